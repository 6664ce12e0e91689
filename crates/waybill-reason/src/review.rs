//! Examiner review: steps that accept, reject or annotate a finding's
//! evidence, recorded in the custody log by `waybill review`, and how an
//! analysis applies them.
//!
//! An item is a rule id of the finding's evidence, or one event as
//! `SOURCE:RECORD` (`I0003:offset 1589 line 8`). Each examiner's latest step on
//! an item is theirs; an item is **left out** when at least one examiner's
//! latest step rejects it and no examiner's latest step accepts it. Where two
//! examiners disagree the item stays in, and the finding says so
//! (`differs`): the evaluation never silently takes one examiner's side. A
//! rejected rule is left out of the combination (shown struck out with the
//! reason); a rejected event is taken out before the rules run, so nothing
//! rests on it (an arrival record included). Notes stay beside the finding.
//! Review steps carry no wall-clock time, so a replay gives the same finding.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One review step, as the custody log holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewStep {
    /// Its place among the case's review steps (1-based, custody order).
    pub step: usize,
    /// The finding's full id.
    pub finding: String,
    /// Who.
    pub examiner: String,
    /// `accept`, `reject` or `note`.
    pub action: String,
    /// A rule id or `SOURCE:RECORD` (accept and reject).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    /// The note (note).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Why.
    pub why: String,
}

impl ReviewStep {
    /// The event an item names: (`I0003`, `offset 1589 line 8`).
    pub fn event(item: &str) -> Option<(&str, &str)> {
        let (source, record) = item.split_once(':')?;
        let is_input = source.len() > 1
            && source.starts_with('I')
            && source.bytes().skip(1).all(|b| b.is_ascii_digit())
            && !record.is_empty();
        is_input.then_some((source, record))
    }
}

/// What the review of one item decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemReview {
    /// The item.
    pub item: String,
    /// `rejected` (left out), `accepted`, or `disputed` (examiners differ; kept).
    pub status: String,
    /// Each examiner's latest step on it: `examiner: accept|reject — why`.
    pub by: Vec<String>,
}

/// A finding's review.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FindingReview {
    /// The steps applied, in order.
    pub steps: Vec<ReviewStep>,
    /// Per item, what they decided.
    pub items: Vec<ItemReview>,
    /// The examiners, in order of their first step.
    pub examiners: Vec<String>,
    /// Where examiners differ, in words.
    pub differs: Vec<String>,
}

impl FindingReview {
    /// The review of finding `id` from every step of the case; `None` when no
    /// step concerns it.
    pub fn of(id: &str, all: &[ReviewStep]) -> Option<Self> {
        let steps: Vec<ReviewStep> = all.iter().filter(|s| s.finding == id).cloned().collect();
        if steps.is_empty() {
            return None;
        }
        let mut examiners: Vec<String> = Vec::new();
        for s in &steps {
            if !examiners.contains(&s.examiner) {
                examiners.push(s.examiner.clone());
            }
        }
        // Each examiner's latest accept/reject per item.
        let mut latest: BTreeMap<&str, BTreeMap<&str, &ReviewStep>> = BTreeMap::new();
        for s in steps.iter().filter(|s| s.action == "accept" || s.action == "reject") {
            if let Some(item) = s.item.as_deref() {
                latest.entry(item).or_default().insert(s.examiner.as_str(), s);
            }
        }
        let mut items = Vec::new();
        let mut differs = Vec::new();
        for (item, by) in &latest {
            let rejects = by.values().filter(|s| s.action == "reject").count();
            let accepts = by.len() - rejects;
            let status = match (rejects, accepts) {
                (0, _) => "accepted",
                (_, 0) => "rejected",
                _ => "disputed",
            };
            let words: Vec<String> = examiners
                .iter()
                .filter_map(|e| by.get(e.as_str()))
                .map(|s| format!("{}: {} — {}", s.examiner, s.action, s.why))
                .collect();
            if status == "disputed" {
                differs.push(format!("{item}: {} (kept: the examiners differ)", words.join("; ")));
            }
            items.push(ItemReview { item: (*item).to_owned(), status: status.into(), by: words });
        }
        Some(Self { steps, items, examiners, differs })
    }

    /// The items left out.
    pub fn rejected(&self) -> impl Iterator<Item = &ItemReview> {
        self.items.iter().filter(|i| i.status == "rejected")
    }

    /// The review of `item`, if any.
    pub fn item(&self, item: &str) -> Option<&ItemReview> {
        self.items.iter().find(|i| i.item == item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(n: usize, examiner: &str, action: &str, item: &str) -> ReviewStep {
        ReviewStep {
            step: n,
            finding: "f1".into(),
            examiner: examiner.into(),
            action: action.into(),
            item: Some(item.into()),
            text: None,
            why: format!("why {n}"),
        }
    }

    #[test]
    fn latest_step_per_examiner_and_disputes_keep_the_item() {
        let all = [
            step(1, "ana", "reject", "download.record_with_tab"),
            step(2, "ana", "accept", "download.record_with_tab"),
            step(3, "ana", "reject", "I0003:offset 10 line 2"),
            step(4, "ben", "reject", "timing.page_load_burst"),
            step(5, "ana", "accept", "timing.page_load_burst"),
            ReviewStep { finding: "other".into(), ..step(6, "ben", "reject", "x") },
        ];
        let r = FindingReview::of("f1", &all).expect("review");
        assert_eq!(r.steps.len(), 5);
        assert_eq!(r.examiners, ["ana", "ben"]);
        let status: Vec<(&str, &str)> = r.items.iter().map(|i| (i.item.as_str(), i.status.as_str())).collect();
        assert_eq!(
            status,
            [
                ("I0003:offset 10 line 2", "rejected"),
                ("download.record_with_tab", "accepted"),
                ("timing.page_load_burst", "disputed")
            ]
        );
        assert_eq!(r.differs.len(), 1);
        assert!(r.differs[0].starts_with("timing.page_load_burst: ana: accept — why 5; ben: reject — why 4"));
        assert_eq!(ReviewStep::event("I0003:offset 10 line 2"), Some(("I0003", "offset 10 line 2")));
        assert_eq!(ReviewStep::event("fetch.user_activation"), None);
        assert!(FindingReview::of("none", &all).is_none());
    }
}

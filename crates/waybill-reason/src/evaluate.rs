//! Combining the evidence items of one copy into one likelihood ratio, a
//! range, a decision band and the ENFSI wording.
//!
//! - **One fact counts once.** Rules are grouped by the fact they measure
//!   ([`crate::rule::GROUPS`]); within a group only one item counts: the
//!   strongest. When items of one group point opposite ways, the item attached
//!   to the arrival's own event (the download's own request, the arrival
//!   record) wins; when neither or both sides are attached, the group's value
//!   is the sum of the strongest of each side and its range spans both (it
//!   then points nowhere). Nothing is dropped silently: every item not counted
//!   says why.
//! - **Groups add** in log10, and so do their low and high ends.
//! - **No verdict from a single source.** The band is `user_initiated` (or
//!   `automatic`) only when the whole range is strictly beyond +1 (−1) *and*
//!   at least two independent groups point that way with their whole range,
//!   or one group rests on a rule documented as conclusive on its own. A
//!   group resting only on records attributed to the subject by address alone
//!   (no User-Agent profile of the device) is never one of them.

use std::collections::BTreeMap;

/// One rule that fired for a copy, before combination.
#[derive(Debug, Clone, PartialEq)]
pub struct EvidenceItem {
    /// The rule id.
    pub rule: String,
    /// Its dependency group.
    pub group: String,
    /// log10 LR (positive favours Hp).
    pub log10_lr: f64,
    /// Low and high log10 LR.
    pub range: [f64; 2],
    /// It rests on the arrival's own event.
    pub attached: bool,
    /// It rests only on records attributed to the subject by address alone.
    pub weak: bool,
    /// The rule is documented as conclusive on its own.
    pub conclusive: bool,
    /// Whether it counted; set by [`combine`].
    pub counted: bool,
    /// Why it did not count (or how it counted with an opposite item); set by
    /// [`combine`].
    pub note: Option<String>,
}

impl EvidenceItem {
    /// An item that is neither attached, weak nor conclusive.
    pub fn new(rule: &str, group: &str, log10_lr: f64, range: [f64; 2]) -> Self {
        Self {
            rule: rule.to_owned(),
            group: group.to_owned(),
            log10_lr,
            range,
            attached: false,
            weak: false,
            conclusive: false,
            counted: false,
            note: None,
        }
    }
}

/// The decision band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    /// The range is above +1 and independent groups agree towards Hp.
    UserInitiated,
    /// The range is below −1 and independent groups agree towards Hd.
    Automatic,
    /// Anything else, including no evidence at all.
    Indeterminate,
}

impl Verdict {
    /// The name used in findings.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UserInitiated => "user_initiated",
            Self::Automatic => "automatic",
            Self::Indeterminate => "indeterminate",
        }
    }
}

/// Which way a group points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Its whole range is above 0.
    Hp,
    /// Its whole range is below 0.
    Hd,
    /// Its range touches or spans 0.
    Neither,
}

impl Direction {
    /// `hp`, `hd` or `neither`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hp => "hp",
            Self::Hd => "hd",
            Self::Neither => "neither",
        }
    }
}

/// One group's contribution.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupResult {
    /// The group.
    pub group: String,
    /// Its log10 LR.
    pub log10_lr: f64,
    /// Its range.
    pub range: [f64; 2],
    /// Which way it points.
    pub direction: Direction,
    /// It rests only on records attributed by address alone.
    pub weak: bool,
    /// It rests on a conclusive rule.
    pub conclusive: bool,
}

/// The combination of a copy's evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct Combined {
    /// Sum of the groups' log10 LRs.
    pub log10_lr: f64,
    /// Sum of their lows and of their highs.
    pub range: [f64; 2],
    /// The decision band.
    pub verdict: Verdict,
    /// Why the band is what it is.
    pub decision: String,
    /// The ENFSI verbal equivalent of `log10_lr`.
    pub verbal: String,
    /// The ENFSI sentence.
    pub statement: String,
    /// Each group's contribution, by group name.
    pub groups: Vec<GroupResult>,
}

/// How decisive a range must be: beyond ±1 (LR 10), strictly.
pub const DECISIVE: f64 = 1.0;

/// How many independent groups must point one way for a decisive band
/// (unless one of them rests on a conclusive rule).
pub const GROUPS_NEEDED: usize = 2;

fn stronger(a: &EvidenceItem, b: &EvidenceItem) -> bool {
    a.log10_lr.abs() > b.log10_lr.abs() || (a.log10_lr.abs() == b.log10_lr.abs() && a.rule < b.rule)
}

/// The strongest of `idx` (preferring attached items when `attached_first`).
fn strongest(items: &[EvidenceItem], idx: &[usize], attached_first: bool) -> Option<usize> {
    idx.iter().copied().fold(None, |best, i| match best {
        None => Some(i),
        Some(j) => {
            let (a, b) = (&items[i], &items[j]);
            let better = if attached_first && a.attached != b.attached { a.attached } else { stronger(a, b) };
            Some(if better { i } else { j })
        }
    })
}

/// Marks which items count and combines them. Items keep their order.
pub fn combine(items: &mut [EvidenceItem]) -> Combined {
    let mut by_group: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, it) in items.iter().enumerate() {
        by_group.entry(it.group.clone()).or_default().push(i);
    }
    for it in items.iter_mut() {
        it.counted = false;
        it.note = None;
    }
    let mut groups = Vec::new();
    for (group, idx) in by_group {
        let pos: Vec<usize> = idx.iter().copied().filter(|&i| items[i].log10_lr >= 0.0).collect();
        let neg: Vec<usize> = idx.iter().copied().filter(|&i| items[i].log10_lr < 0.0).collect();
        let attached = |side: &[usize]| side.iter().any(|&i| items[i].attached);
        let (value, range, weak, conclusive, counted): (f64, [f64; 2], bool, bool, Vec<usize>) = match (
            pos.is_empty(),
            neg.is_empty(),
        ) {
            (false, false) if attached(&pos) != attached(&neg) => {
                let (win, lose) = if attached(&pos) { (&pos, &neg) } else { (&neg, &pos) };
                let Some(w) = strongest(items, win, true) else { continue };
                for &i in lose {
                    items[i].note = Some(format!(
                        "not counted: {} points the other way and rests on the arrival's own event",
                        items[w].rule
                    ));
                }
                let it = &items[w];
                (it.log10_lr, it.range, it.weak, it.conclusive, vec![w])
            }
            (false, false) => {
                let (Some(p), Some(n)) = (strongest(items, &pos, false), strongest(items, &neg, false)) else {
                    continue;
                };
                for i in [p, n] {
                    items[i].note = Some(format!(
                        "opposite-signed evidence of one fact ({group}): {} and {} both count, and the group's range spans both",
                        items[p].rule, items[n].rule
                    ));
                }
                let v = items[p].log10_lr + items[n].log10_lr;
                (v, [items[n].range[0], items[p].range[1]], items[p].weak || items[n].weak, false, vec![p, n])
            }
            (false, true) | (true, false) => {
                let side = if pos.is_empty() { &neg } else { &pos };
                let Some(w) = strongest(items, side, false) else { continue };
                let it = &items[w];
                (it.log10_lr, it.range, it.weak, it.conclusive, vec![w])
            }
            (true, true) => continue,
        };
        for &i in &idx {
            if counted.contains(&i) {
                items[i].counted = true;
            } else if items[i].note.is_none() {
                items[i].note = Some("not counted: a stronger item of its group (the same fact) counts".into());
            }
        }
        let direction = if range[0] > 0.0 {
            Direction::Hp
        } else if range[1] < 0.0 {
            Direction::Hd
        } else {
            Direction::Neither
        };
        groups.push(GroupResult { group, log10_lr: round6(value), range, direction, weak, conclusive });
    }
    let log10_lr = round6(groups.iter().map(|g| g.log10_lr).sum());
    let range = [round6(groups.iter().map(|g| g.range[0]).sum()), round6(groups.iter().map(|g| g.range[1]).sum())];
    let pointing = |d: Direction| -> (Vec<&str>, bool) {
        let gs: Vec<&GroupResult> = groups.iter().filter(|g| g.direction == d && !g.weak).collect();
        (gs.iter().map(|g| g.group.as_str()).collect(), gs.iter().any(|g| g.conclusive))
    };
    let (verdict, decision) = decide(range, pointing(Direction::Hp), pointing(Direction::Hd));
    Combined { log10_lr, range, verdict, decision, verbal: verbal(log10_lr), statement: statement(log10_lr), groups }
}

fn decide(range: [f64; 2], hp: (Vec<&str>, bool), hd: (Vec<&str>, bool)) -> (Verdict, String) {
    let fmt = |x: f64| format!("{x:+.2}");
    let side = |above: bool, (names, conclusive): (Vec<&str>, bool)| -> Result<String, String> {
        let (band, prop) = if above { ("above +1", "Hp") } else { ("below −1", "Hd") };
        if names.len() >= GROUPS_NEEDED || (conclusive && !names.is_empty()) {
            let why = if names.len() >= GROUPS_NEEDED {
                format!("{} independent groups ({}) point towards {prop}", names.len(), names.join(", "))
            } else {
                format!("the group {} rests on a rule documented as conclusive on its own", names.join(", "))
            };
            Ok(format!("the whole range is {band} and {why}"))
        } else if names.is_empty() {
            Err(format!(
                "the whole range is {band}, but no independent group points towards {prop} with its whole range (the records attributed by address alone cannot decide)"
            ))
        } else {
            Err(format!(
                "the whole range is {band}, but only one independent group ({}) points towards {prop}: no verdict rests on a single fact",
                names.join(", ")
            ))
        }
    };
    if range[0] > DECISIVE {
        match side(true, hp) {
            Ok(why) => (Verdict::UserInitiated, format!("user_initiated: {why}")),
            Err(why) => (Verdict::Indeterminate, format!("indeterminate: {why}")),
        }
    } else if range[1] < -DECISIVE {
        match side(false, hd) {
            Ok(why) => (Verdict::Automatic, format!("automatic: {why}")),
            Err(why) => (Verdict::Indeterminate, format!("indeterminate: {why}")),
        }
    } else {
        (
            Verdict::Indeterminate,
            format!("indeterminate: the range [{}, {}] is not wholly beyond +1 or −1", fmt(range[0]), fmt(range[1])),
        )
    }
}

/// Rounds to 6 decimals, so that sums print the same whatever the platform.
fn round6(x: f64) -> f64 {
    // `+ 0.0` turns the −0.0 an empty float sum starts from into 0.0.
    (x * 1e6).round() / 1e6 + 0.0
}

/// The ENFSI guideline's verbal scale for a log10 LR: LR 2–10 weak, 10–100
/// moderate, 100–1,000 moderately strong, 1,000–10,000 strong, 10,000–1,000,000
/// very strong, above that extremely strong support; below 2 the findings do
/// not support either proposition to any useful degree.
pub fn verbal(log10_lr: f64) -> String {
    let m = log10_lr.abs();
    let strength = if m < 2f64.log10() {
        return "no meaningful support for either proposition".to_owned();
    } else if m < 1.0 {
        "weak"
    } else if m < 2.0 {
        "moderate"
    } else if m < 3.0 {
        "moderately strong"
    } else if m < 4.0 {
        "strong"
    } else if m < 6.0 {
        "very strong"
    } else {
        "extremely strong"
    };
    let (a, b) = if log10_lr > 0.0 { ("Hp", "Hd") } else { ("Hd", "Hp") };
    format!("{strength} support for {a} over {b}")
}

/// The likelihood ratio in words as the ENFSI guideline words it: "The
/// findings are about N times more probable if Hp than if Hd." N is rounded
/// to two significant figures.
pub fn statement(log10_lr: f64) -> String {
    let m = log10_lr.abs();
    if m < 2f64.log10() {
        return format!(
            "The findings are about as probable if Hp is true as if Hd is true (likelihood ratio {}); they do not help to distinguish them.",
            times(10f64.powf(log10_lr))
        );
    }
    let (a, b) = if log10_lr > 0.0 { ("Hp", "Hd") } else { ("Hd", "Hp") };
    format!(
        "The findings are about {} times more probable if {a} is true than if {b} is true: {}.",
        times(10f64.powf(m)),
        verbal(log10_lr)
    )
}

/// A ratio to two significant figures, with thousands separated.
fn times(x: f64) -> String {
    if !x.is_finite() {
        return "∞".into();
    }
    if x < 10.0 {
        return format!("{:.1}", (x * 10.0).round() / 10.0);
    }
    let digits = x.log10().floor() as i32;
    let unit = 10f64.powi(digits - 1);
    let rounded = ((x / unit).round() * unit) as u64;
    let s = rounded.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(rule: &str, group: &str, lr: f64, lo: f64, hi: f64) -> EvidenceItem {
        EvidenceItem::new(rule, group, lr, [lo, hi])
    }

    #[test]
    fn strongest_of_a_group_counts_and_two_groups_decide() {
        let mut items = vec![
            item("fetch.a", "navigation", 1.0, 0.5, 1.3),
            item("fetch.b", "navigation", 1.3, 0.7, 1.7),
            item("download.c", "download_record", 1.0, 0.5, 1.5),
        ];
        let c = combine(&mut items);
        assert_eq!(items.iter().map(|i| i.counted).collect::<Vec<_>>(), [false, true, true]);
        assert_eq!(items[0].note.as_deref(), Some("not counted: a stronger item of its group (the same fact) counts"));
        assert_eq!(c.log10_lr, 2.3);
        assert_eq!(c.range, [1.2, 3.2]);
        assert_eq!(c.verdict, Verdict::UserInitiated);
        assert_eq!(
            c.decision,
            "user_initiated: the whole range is above +1 and 2 independent groups (download_record, navigation) point towards Hp"
        );
        assert_eq!(c.verbal, "moderately strong support for Hp over Hd");
        assert_eq!(
            c.statement,
            "The findings are about 200 times more probable if Hp is true than if Hd is true: moderately strong support for Hp over Hd."
        );
    }

    #[test]
    fn one_group_never_decides_however_strong() {
        let mut items = vec![item("state.x", "state", -2.0, -3.0, -1.5)];
        let c = combine(&mut items);
        assert_eq!(c.range, [-3.0, -1.5]);
        assert_eq!(c.verdict, Verdict::Indeterminate);
        assert_eq!(
            c.decision,
            "indeterminate: the whole range is below −1, but only one independent group (state) points towards Hd: no verdict rests on a single fact"
        );
        let mut items = vec![EvidenceItem { conclusive: true, ..item("state.x", "state", -2.0, -3.0, -1.5) }];
        assert_eq!(combine(&mut items).verdict, Verdict::Automatic);
    }

    #[test]
    fn a_weak_group_adds_but_cannot_be_one_of_the_two() {
        let mut items = vec![
            EvidenceItem { weak: true, ..item("fetch.a", "navigation", 1.5, 1.0, 2.0) },
            item("download.c", "download_record", 1.0, 0.5, 1.5),
        ];
        let c = combine(&mut items);
        assert_eq!(c.range, [1.5, 3.5]);
        assert_eq!(c.verdict, Verdict::Indeterminate);
    }

    #[test]
    fn opposite_items_of_one_fact_the_attached_one_wins_else_the_range_spans_both() {
        let mut items = vec![
            EvidenceItem { attached: true, ..item("nav.page", "navigation", -0.5, -1.0, -0.2) },
            item("nav.user", "navigation", 1.3, 0.5, 1.8),
        ];
        let c = combine(&mut items);
        assert_eq!((items[0].counted, items[1].counted), (true, false));
        assert!(items[1].note.as_deref().is_some_and(|n| n.contains("rests on the arrival's own event")));
        assert_eq!((c.log10_lr, c.range), (-0.5, [-1.0, -0.2]));
        let mut items =
            vec![item("nav.page", "navigation", -0.5, -1.0, -0.2), item("nav.user", "navigation", 1.3, 0.5, 1.8)];
        let c = combine(&mut items);
        assert_eq!((items[0].counted, items[1].counted), (true, true));
        assert_eq!((c.log10_lr, c.range), (0.8, [-1.0, 1.8]));
        assert_eq!(c.groups[0].direction, Direction::Neither);
    }

    #[test]
    fn a_range_reaching_the_threshold_is_indeterminate() {
        let mut items = vec![item("p", "embedded", -1.7, -2.2, -1.2), item("d", "download_record", 1.0, 0.5, 1.5)];
        let c = combine(&mut items);
        assert_eq!(c.log10_lr, -0.7);
        assert_eq!(c.range, [-1.7, 0.3]);
        assert_eq!(c.verdict, Verdict::Indeterminate);
        assert_eq!(c.verbal, "weak support for Hd over Hp");
        // Exactly +1 at the low end is not beyond +1.
        let mut items = vec![item("a", "navigation", 1.0, 0.5, 1.5), item("b", "download_record", 1.0, 0.5, 1.5)];
        assert_eq!(combine(&mut items).verdict, Verdict::Indeterminate);
    }

    #[test]
    fn no_evidence_is_indeterminate_with_no_support() {
        let c = combine(&mut []);
        assert_eq!((c.log10_lr, c.range, c.verdict), (0.0, [0.0, 0.0], Verdict::Indeterminate));
        assert_eq!(c.verbal, "no meaningful support for either proposition");
        assert_eq!(
            c.statement,
            "The findings are about as probable if Hp is true as if Hd is true (likelihood ratio 1.0); they do not help to distinguish them."
        );
    }

    #[test]
    fn verbal_scale_boundaries_and_ratios() {
        let cases = [
            (0.2, "no meaningful support for either proposition"),
            (0.31, "weak support for Hp over Hd"),
            (1.0, "moderate support for Hp over Hd"),
            (-2.0, "moderately strong support for Hd over Hp"),
            (3.0, "strong support for Hp over Hd"),
            (5.99, "very strong support for Hp over Hd"),
            (-6.0, "extremely strong support for Hd over Hp"),
        ];
        for (x, want) in cases {
            assert_eq!(verbal(x), want, "{x}");
        }
        assert_eq!(times(10f64.powf(1.3)), "20");
        assert_eq!(times(10f64.powf(2.8)), "630");
        assert_eq!(times(10f64.powf(3.4)), "2,500");
        assert_eq!(times(10f64.powf(0.5)), "3.2");
    }
}

//! Combining evidence items into one likelihood ratio, a range, a verdict and
//! words.

use std::collections::BTreeMap;

/// One rule that fired for a file, before combination.
#[derive(Debug, Clone, PartialEq)]
pub struct EvidenceItem {
    /// The rule id.
    pub rule: String,
    /// Its dependency group.
    pub group: String,
    /// log10 LR (positive favours user-initiated retrieval).
    pub log10_lr: f64,
    /// Low and high log10 LR.
    pub range: [f64; 2],
    /// Whether it counted (the strongest of its group); set by [`combine`].
    pub counted: bool,
}

/// The outcome of a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    /// The whole sensitivity range is at or above +1.
    UserInitiated,
    /// The whole sensitivity range is at or below −1.
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

/// The combination of a file's evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct Combined {
    /// Sum of the counted items' log10 LRs.
    pub log10_lr: f64,
    /// Sum of their lows and of their highs.
    pub range: [f64; 2],
    /// From the range.
    pub verdict: Verdict,
    /// The ENFSI verbal equivalent of `log10_lr`.
    pub verbal: String,
}

/// How decisive a range must be: a verdict needs the whole range beyond ±1
/// (LR 10).
pub const DECISIVE: f64 = 1.0;

/// Marks the strongest item of each dependency group as counted (ties: the
/// smaller rule id) and combines the counted items. Items are left in their
/// order.
pub fn combine(items: &mut [EvidenceItem]) -> Combined {
    let mut best: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, it) in items.iter().enumerate() {
        match best.get(it.group.as_str()) {
            Some(&j) => {
                let cur = &items[j];
                let stronger = it.log10_lr.abs() > cur.log10_lr.abs()
                    || (it.log10_lr.abs() == cur.log10_lr.abs() && it.rule < cur.rule);
                if stronger {
                    best.insert(&it.group, i);
                }
            }
            None => {
                best.insert(&it.group, i);
            }
        }
    }
    let chosen: Vec<usize> = best.into_values().collect();
    for (i, it) in items.iter_mut().enumerate() {
        it.counted = chosen.contains(&i);
    }
    // Sum in a fixed order (by group) so that the result does not depend on the
    // order the items were found in.
    let mut counted: Vec<&EvidenceItem> = items.iter().filter(|i| i.counted).collect();
    counted.sort_by(|a, b| a.group.cmp(&b.group));
    let log10_lr = round6(counted.iter().map(|i| i.log10_lr).sum());
    let range = [round6(counted.iter().map(|i| i.range[0]).sum()), round6(counted.iter().map(|i| i.range[1]).sum())];
    let verdict = if range[0] >= DECISIVE {
        Verdict::UserInitiated
    } else if range[1] <= -DECISIVE {
        Verdict::Automatic
    } else {
        Verdict::Indeterminate
    };
    Combined { log10_lr, range, verdict, verbal: verbal(log10_lr) }
}

/// Rounds to 6 decimals, so that sums print the same whatever the platform.
fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// The ENFSI guideline's verbal scale for a log10 LR: LR 2–10 weak, 10–100
/// moderate, 100–1,000 moderately strong, 1,000–10,000 strong, 10,000–1,000,000
/// very strong, above that extremely strong support; below 2 the evidence does
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
    let side = if log10_lr > 0.0 { "user-initiated retrieval" } else { "delivery without the subject's act" };
    format!("{strength} support for {side}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(rule: &str, group: &str, lr: f64, lo: f64, hi: f64) -> EvidenceItem {
        EvidenceItem { rule: rule.into(), group: group.into(), log10_lr: lr, range: [lo, hi], counted: false }
    }

    #[test]
    fn strongest_of_a_group_counts_and_groups_add() {
        let mut items = vec![
            item("fetch.a", "fetch", 1.0, 0.5, 1.3),
            item("fetch.b", "fetch", 1.3, 0.7, 1.7),
            item("download.c", "download", 1.0, 0.5, 1.5),
        ];
        let c = combine(&mut items);
        assert_eq!(items.iter().map(|i| i.counted).collect::<Vec<_>>(), [false, true, true]);
        assert_eq!(c.log10_lr, 2.3);
        assert_eq!(c.range, [1.2, 3.2]);
        assert_eq!(c.verdict, Verdict::UserInitiated);
        assert_eq!(c.verbal, "moderately strong support for user-initiated retrieval");
    }

    #[test]
    fn a_range_straddling_the_threshold_is_indeterminate() {
        let mut items = vec![item("p", "purpose", -1.7, -2.2, -1.2), item("d", "download", 1.0, 0.5, 1.5)];
        let c = combine(&mut items);
        assert_eq!(c.log10_lr, -0.7);
        assert_eq!(c.range, [-1.7, 0.3]);
        assert_eq!(c.verdict, Verdict::Indeterminate);
        assert_eq!(c.verbal, "weak support for delivery without the subject's act");
    }

    #[test]
    fn no_evidence_is_indeterminate_with_no_support() {
        let c = combine(&mut []);
        assert_eq!((c.log10_lr, c.range, c.verdict), (0.0, [0.0, 0.0], Verdict::Indeterminate));
        assert_eq!(c.verbal, "no meaningful support for either proposition");
    }

    #[test]
    fn verbal_scale_boundaries() {
        let cases = [
            (0.2, "no meaningful support for either proposition"),
            (0.31, "weak support for user-initiated retrieval"),
            (1.0, "moderate support for user-initiated retrieval"),
            (-2.0, "moderately strong support for delivery without the subject's act"),
            (3.0, "strong support for user-initiated retrieval"),
            (5.99, "very strong support for user-initiated retrieval"),
            (-6.0, "extremely strong support for delivery without the subject's act"),
        ];
        for (x, want) in cases {
            assert_eq!(verbal(x), want, "{x}");
        }
    }
}

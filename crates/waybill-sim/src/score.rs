//! Scoring findings against ground truth: the confusion matrix, the share of
//! indeterminate verdicts, decisive-and-correct where the discriminating
//! evidence is present, and the log-likelihood-ratio cost (Cllr).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::scenario::{FileTruth, Truth};

/// One scored file.
#[derive(Debug, Clone, Serialize)]
pub struct Scored {
    /// Scenario.
    pub scenario: String,
    /// True answer.
    pub truth: Truth,
    /// Verdict given.
    pub verdict: String,
    /// log10 LR given.
    pub log10_lr: f64,
    /// The bundle held the discriminating evidence.
    pub discriminating: bool,
    /// Where to look (bundle and file).
    pub label: String,
}

/// The scores of many files.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Score {
    /// Every file.
    pub files: Vec<Scored>,
}

/// A summary of the scores.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Files scored.
    pub files: usize,
    /// `truth → verdict → count`.
    pub confusion: BTreeMap<String, BTreeMap<String, usize>>,
    /// Share of indeterminate verdicts.
    pub indeterminate_share: f64,
    /// Decisive verdicts that contradict the truth (must be zero).
    pub contradicting: usize,
    /// Files whose bundle held the discriminating evidence.
    pub with_discriminating: usize,
    /// Of those, decisive and correct.
    pub decisive_correct_with_discriminating: usize,
    /// Log-likelihood-ratio cost (bits; 0 perfect, 1 uninformative).
    pub cllr: f64,
    /// Per scenario: (files, decisive correct, indeterminate, contradicting).
    pub per_scenario: BTreeMap<String, [usize; 4]>,
}

impl Score {
    /// Adds one finding for a file of the truth.
    pub fn add(&mut self, t: &FileTruth, verdict: &str, log10_lr: f64, label: String) {
        self.files.push(Scored {
            scenario: t.scenario.to_owned(),
            truth: t.truth,
            verdict: verdict.to_owned(),
            log10_lr,
            discriminating: !t.discriminating.is_empty(),
            label,
        });
    }

    /// The summary.
    pub fn summary(&self) -> Summary {
        let mut confusion: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
        let mut per: BTreeMap<String, [usize; 4]> = BTreeMap::new();
        let (mut indeterminate, mut contradicting, mut with_d, mut correct_d) = (0, 0, 0, 0);
        for f in &self.files {
            *confusion.entry(f.truth.as_str().to_owned()).or_default().entry(f.verdict.clone()).or_default() += 1;
            let row = per.entry(f.scenario.clone()).or_default();
            row[0] += 1;
            let correct = f.verdict == f.truth.as_str();
            if f.verdict == "indeterminate" {
                indeterminate += 1;
                row[2] += 1;
            } else if correct {
                row[1] += 1;
            } else {
                contradicting += 1;
                row[3] += 1;
            }
            if f.discriminating {
                with_d += 1;
                if correct {
                    correct_d += 1;
                }
            }
        }
        Summary {
            files: self.files.len(),
            confusion,
            indeterminate_share: ratio(indeterminate, self.files.len()),
            contradicting,
            with_discriminating: with_d,
            decisive_correct_with_discriminating: correct_d,
            cllr: cllr(self.files.iter().map(|f| (f.truth, f.log10_lr))),
            per_scenario: per,
        }
    }

    /// Files with the discriminating evidence that did not get the correct decisive verdict.
    pub fn misses(&self) -> Vec<&Scored> {
        self.files.iter().filter(|f| f.discriminating && f.verdict != f.truth.as_str()).collect()
    }

    /// Files whose decisive verdict contradicts the truth.
    pub fn contradictions(&self) -> Vec<&Scored> {
        self.files.iter().filter(|f| f.verdict != "indeterminate" && f.verdict != f.truth.as_str()).collect()
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// Cllr = ½ [mean over Hu-true of log2(1 + 1/LR) + mean over Ha-true of log2(1 + LR)],
/// with LR for Hu (user-initiated). A side with no files contributes nothing
/// (and the other is not halved).
pub fn cllr(items: impl Iterator<Item = (Truth, f64)>) -> f64 {
    let (mut hu, mut nu, mut ha, mut na) = (0.0, 0usize, 0.0, 0usize);
    for (t, l) in items {
        let lr = 10f64.powf(l);
        match t {
            Truth::UserInitiated => {
                hu += (1.0 + 1.0 / lr).log2();
                nu += 1;
            }
            Truth::Automatic => {
                ha += (1.0 + lr).log2();
                na += 1;
            }
        }
    }
    match (nu, na) {
        (0, 0) => 0.0,
        (0, _) => ha / na as f64,
        (_, 0) => hu / nu as f64,
        _ => 0.5 * (hu / nu as f64 + ha / na as f64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cllr_of_known_sets() {
        // LR = 1 everywhere is uninformative: 1 bit.
        let flat = [(Truth::UserInitiated, 0.0), (Truth::Automatic, 0.0)];
        assert!((cllr(flat.into_iter()) - 1.0).abs() < 1e-12);
        // Strong, correct LRs cost little; wrong ones cost a lot.
        let good = [(Truth::UserInitiated, 3.0), (Truth::Automatic, -3.0)];
        assert!(cllr(good.into_iter()) < 0.002);
        let bad = [(Truth::UserInitiated, -2.0), (Truth::Automatic, 2.0)];
        assert!((cllr(bad.into_iter()) - (101f64).log2()).abs() < 1e-9);
    }
}

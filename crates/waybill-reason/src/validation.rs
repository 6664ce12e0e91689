//! The tool's known error rates: the validation table of the running version,
//! measured by `bench_accuracy` on simulated cases with known truth, on seeds
//! not used while choosing rule values, and compiled into the binary so that
//! every report carries it.
//!
//! The table names the rulebook it was measured with. A report whose findings
//! cite another rulebook says so: its error rates are then not known.

use serde::{Deserialize, Serialize};

/// The table as `bench_accuracy --write-validation` writes it.
pub const EMBEDDED: &str = include_str!("../validation.json");

/// One scenario's rates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioRate {
    /// Scenario name (`waybill simulate --list`).
    pub scenario: String,
    /// The true answer of its copies (`user_initiated`, `automatic`, or `mixed`).
    pub truth: String,
    /// Copies scored.
    pub files: usize,
    /// Decisive and correct.
    pub decisive_correct: usize,
    /// Decisive and wrong.
    pub decisive_wrong: usize,
    /// Indeterminate.
    pub indeterminate: usize,
    /// Copies whose discriminating evidence was in the bundle.
    pub with_discriminating: usize,
    /// Of those, decisive and correct.
    pub decisive_correct_with_discriminating: usize,
    /// Log-likelihood-ratio cost (bits).
    pub cllr: f64,
    /// Cllr over the copies whose discriminating evidence was in the bundle.
    #[serde(default)]
    pub cllr_with_discriminating: f64,
    /// Cllr_min: the Cllr left after the best monotone recalibration (PAV),
    /// the part no choice of rule values removes. 0 for one truth alone.
    #[serde(default)]
    pub cllr_min: f64,
}

/// The validation table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Validation {
    /// `waybill.validation/1`.
    pub schema: String,
    /// The tool version measured.
    pub tool: String,
    /// SHA-256 of the rulebook measured.
    pub rulebook: String,
    /// The command that measured it.
    pub command: String,
    /// The seeds reported (never the ones used to choose values).
    pub seeds: String,
    /// The seeds used while choosing rule values.
    pub tuning_seeds: String,
    /// When it was measured (UTC date).
    pub date: String,
    /// Per scenario.
    pub scenarios: Vec<ScenarioRate>,
    /// All scenarios together.
    pub overall: ScenarioRate,
}

/// The compiled-in table, or `None` when it does not parse (a build defect a
/// test catches).
pub fn embedded() -> Option<Validation> {
    serde_json::from_str(EMBEDDED).ok()
}

//! Reports of a case: `report.json` (the case summary, the propositions, the
//! tool's validation table and every finding in `waybill.finding/2`), a
//! self-contained HTML report, the case as CASE/UCO JSON-LD, and the timeline
//! as Timesketch JSONL. Findings are per copy; reports group the copies of one
//! content.
//!
//! Pure functions from a [`Report`] (gathered by the command from the case
//! folder) to bytes. No report embeds, links or renders the content of a file
//! of interest: hashes, paths and metadata only.

pub mod case;
pub mod html;
pub mod timesketch;

use serde::Serialize;
use waybill_reason::Rulebook;
use waybill_reason::engine::{Finding, Propositions};
use waybill_reason::validation::Validation;

/// One evidence input of the case (a manifest line).
#[derive(Debug, Clone, Serialize)]
pub struct InputRow {
    /// Manifest id (`I0001`).
    pub id: String,
    /// Path at ingest time.
    pub path: String,
    /// Bytes.
    pub size: u64,
    /// SHA-256.
    pub sha256: String,
    /// Format id.
    pub format: String,
    /// Clock name of its events.
    pub clock: String,
    /// Device, when given.
    pub device: Option<String>,
    /// Records read.
    pub records: u64,
    /// Events produced.
    pub events: u64,
    /// Records rejected.
    pub rejects: u64,
}

/// One action of the custody log.
#[derive(Debug, Clone, Serialize)]
pub struct ActionRow {
    /// `case.new`, `ingest`, `match`, `analyze`, `report`.
    pub action: String,
    /// Command line.
    pub command: Vec<String>,
    /// Tool and version.
    pub tool: String,
    /// Start (UTC).
    pub started: String,
    /// End (UTC).
    pub finished: String,
    /// Ids of the inputs it recorded (ingest).
    pub inputs: Vec<String>,
}

/// The case summary.
#[derive(Debug, Clone, Serialize)]
pub struct CaseSummary {
    /// Case name.
    pub name: String,
    /// Examiner.
    pub examiner: Option<String>,
    /// Default zone.
    pub tz: String,
    /// Subjects as `kind=value`.
    pub subjects: Vec<(String, String)>,
    /// The tool that wrote the report.
    pub tool: String,
    /// SHA-256 of `manifest.jsonl`.
    pub manifest_sha256: String,
    /// SHA-256 of `custody.jsonl` (before the report's own line).
    pub custody_sha256: String,
    /// SHA-256 of the two hashes above: the integrity root.
    pub integrity_root: String,
    /// Inputs.
    pub inputs: Vec<InputRow>,
    /// Actions taken on the case.
    pub actions: Vec<ActionRow>,
}

/// Everything a report is made from.
#[derive(Debug, Clone)]
pub struct Report {
    /// The case.
    pub case: CaseSummary,
    /// Every finding, in file order (sorted by SHA-256).
    pub findings: Vec<Finding>,
    /// The rulebook the findings cite.
    pub rulebook: Rulebook,
    /// The running version's validation table (its known error rates).
    pub validation: Option<Validation>,
}

impl Report {
    /// Whether the validation table was measured with the rulebook the
    /// findings cite (else their error rates are not known).
    pub fn validation_applies(&self) -> bool {
        self.validation.as_ref().is_some_and(|v| v.rulebook == self.rulebook.sha256)
            && self.findings.iter().all(|f| f.rulebook == self.rulebook.sha256)
    }
}

/// The integrity root: SHA-256 over `manifest <sha256>\ncustody <sha256>\n`.
pub fn integrity_root(manifest_sha256: &str, custody_sha256: &str) -> String {
    use sha2::Digest as _;
    let d = sha2::Sha256::digest(format!("manifest {manifest_sha256}\ncustody {custody_sha256}\n").as_bytes());
    hex::encode(d)
}

/// `report.json`: `{"schema": "waybill.report/2", "case": …, "propositions":
/// …, "rulebook": …, "validation": {…, "applies": bool}, "findings": […]}`.
pub fn report_json(r: &Report) -> Result<Vec<u8>, serde_json::Error> {
    #[derive(Serialize)]
    struct Doc<'a> {
        schema: &'static str,
        case: &'a CaseSummary,
        propositions: Propositions,
        rulebook: &'a str,
        validation: serde_json::Value,
        findings: &'a [Finding],
    }
    let validation = match &r.validation {
        Some(v) => {
            let mut j = serde_json::to_value(v)?;
            j["applies"] = serde_json::Value::Bool(r.validation_applies());
            j
        }
        None => serde_json::Value::Null,
    };
    let mut v = serde_json::to_vec_pretty(&Doc {
        schema: "waybill.report/2",
        case: &r.case,
        propositions: Propositions::default(),
        rulebook: &r.rulebook.sha256,
        validation,
        findings: &r.findings,
    })?;
    v.push(b'\n');
    Ok(v)
}

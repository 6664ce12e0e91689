//! waybill's reasoning layer: pure functions, no file formats.
//!
//! - [`rule`]: the rulebook. Rules are data — one TOML file per rule under
//!   `rulebook/<group>/<id>.toml`, embedded in the binary and replaceable with a
//!   folder — each with its condition over the events linked to a file of
//!   interest, a log10 likelihood ratio with a low–high range, its dependency
//!   group, rationale, references, and the source that would decide it when it
//!   cannot be evaluated (which is how gaps are named).
//! - [`evaluate`]: combining the evidence items of one file: within a dependency
//!   group only the strongest item counts, groups add in log10; the range comes
//!   from the rules' low–high values; the verdict is decisive only when the whole
//!   range is on one side of ±1; the verbal scale follows the ENFSI guideline.
//!
//! Positive log10 LR favours Hu (the subject initiated the retrieval), negative
//! favours Ha (delivered without the subject's act).

pub mod engine;
pub mod evaluate;
pub mod rule;
pub mod url;

pub use engine::{Coverage, Ev, FileOfInterest, Finding, Matched, analyze};
pub use evaluate::{Combined, EvidenceItem, Verdict, combine, verbal};
pub use rule::{Condition, Decides, Predicate, Rule, Rulebook, RulebookError, Scope};

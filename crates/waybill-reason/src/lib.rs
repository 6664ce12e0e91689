//! waybill's reasoning layer: pure functions over the candidate events of a
//! case ([`waybill_model::evidence::CaseEvidence`]), no file formats, no I/O.
//!
//! - [`engine`]: one finding per copy of a file of interest — its own
//!   records, the server and cloud records attributed to the subject
//!   ([`attribution`]), the clocks ([`clock`]), the arrival and the delivery
//!   window, the facts derived per copy ([`facts`]), the rules, the gaps.
//! - [`rule`]: the rulebook. Rules are data — one TOML file per rule under
//!   `rulebook/<family>/<id>.toml`, embedded in the binary and replaceable
//!   with a folder — each with its condition, a log10 likelihood ratio with a
//!   low–high range, the fact it measures (its dependency group), rationale,
//!   the alternatives under the other proposition, references, and the source
//!   that would decide it when it cannot be evaluated (which is how gaps are
//!   named).
//! - [`evaluate`]: combining the evidence items of one copy: one fact counts
//!   once; groups add in log10; a decision band needs the whole range beyond
//!   ±1 and two independent groups agreeing; the ENFSI wording.
//!
//! The propositions (activity level): **Hp** — the subject, by their own act
//! on this device, caused this copy to be retrieved; **Hd** — this copy
//! reached the device without the subject's act. Positive log10 LR favours
//! Hp, negative favours Hd.

pub mod attribution;
pub mod clock;
pub mod engine;
pub mod evaluate;
mod facts;
pub mod review;
pub mod rule;
pub mod url;
pub mod validation;

pub use engine::{Copy, CopyKind, Finding, Setup, analyze_case};
pub use evaluate::{Combined, Direction, EvidenceItem, Verdict, combine, statement, verbal};
pub use review::{FindingReview, ReviewStep};
pub use rule::{Actor, Condition, Decides, Predicate, Rule, Rulebook, RulebookError, Scope};

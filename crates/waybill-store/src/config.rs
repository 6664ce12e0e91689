//! `case.toml`: who and what the case is about.

use serde::{Deserialize, Serialize};
use waybill_model::Subject;

/// The contents of `case.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseConfig {
    /// Case settings.
    pub case: CaseMeta,
    /// The subjects: accounts, devices, IP addresses, phone numbers.
    #[serde(default, rename = "subject")]
    pub subjects: Vec<Subject>,
    /// What the examiner established beyond the evidence, as `key = value`
    /// (`roaming = "no"`: the subject's phone was not roaming); the reasoning
    /// reads the keys it knows (see `waybill_reason`).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub context: std::collections::BTreeMap<String, String>,
}

/// Case settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseMeta {
    /// Case name (the folder name when created).
    pub name: String,
    /// Examiner, if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub examiner: Option<String>,
    /// Default zone for local times without offset (IANA name, `UTC` or `±HH:MM`).
    pub tz: String,
    /// The waybill version that created the case.
    pub created_by: String,
}

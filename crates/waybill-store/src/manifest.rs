//! `manifest.jsonl`: one line per evidence input, hash-chained.

use serde::{Deserialize, Serialize};

/// A WAL or journal read with an SQLite input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanionEntry {
    /// Path as ingested.
    pub path: String,
    /// `wal` or `journal`.
    pub role: String,
    /// Bytes.
    pub size: u64,
    /// SHA-256 hex.
    pub sha256: String,
}

/// One ingested input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestEntry {
    /// Manifest id (`I0001`): the `source` column of every event from it.
    pub id: String,
    /// Absolute path at ingest time.
    pub path: String,
    /// Bytes.
    pub size: u64,
    /// SHA-256 of the file, hex.
    pub sha256: String,
    /// Source format id.
    pub format: String,
    /// Source version.
    pub parser_version: u32,
    /// `sniffed` or `--format`.
    pub chosen_by: String,
    /// `gzip` when the file was decompressed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compression: Option<String>,
    /// WAL/journal files read with an SQLite database.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub companions: Vec<CompanionEntry>,
    /// `--device`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// Clock name on the events.
    pub clock: String,
    /// Zone assumed for local times.
    pub tz: String,
    /// `--log-format`, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_format: Option<String>,
    /// What the input lacks that its source would have read (an optional
    /// table absent), each with what is therefore not known.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Records read.
    pub records: u64,
    /// Events produced.
    pub events: u64,
    /// Records rejected.
    pub rejects: u64,
    /// The files this input added to the case (events, content, rejects), with
    /// their hashes; set at commit. Empty in cases made before they were recorded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outputs: Vec<crate::Output>,
    /// Hash of the previous manifest line (set by the chain).
    #[serde(default)]
    pub prev: String,
}

impl ManifestEntry {
    /// Records accepted.
    pub fn accepted(&self) -> u64 {
        self.records - self.rejects
    }
}

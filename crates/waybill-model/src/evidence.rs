//! What the candidate selection (`waybill-link`) hands the reasoning
//! (`waybill-reason`): the events tied to each file of interest by a key, the
//! events of the pages around them, the receiving devices' events that the
//! windowed rules read, and what every input covers.
//!
//! Events are held once, in [`CaseEvidence::events`] (sorted by time, input
//! and parse order), and referred to by index, so a request linked to many
//! files is not copied for each.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::StoredEvent;

/// One ingested input as the reasoning needs to know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputInfo {
    /// Manifest id.
    pub source: String,
    /// Format id.
    pub format: String,
    /// The input's path as ingested.
    pub path: String,
    /// `--device`, when given.
    pub device: Option<String>,
    /// The clock of its events.
    pub clock: String,
    /// A server, CDN, storage or cloud record (its format writes the host's
    /// clock), not a record kept on a device.
    pub remote: bool,
    /// First event time (µs).
    pub from: i64,
    /// Last event time (µs).
    pub to: i64,
    /// Columns it fills, or that its log format records even when empty.
    pub columns: BTreeSet<String>,
}

/// One reference-set match of a file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Matched {
    /// The set's name.
    pub set: String,
    /// `sha256`, `md5`, `sha1` or `pdq`.
    pub by: String,
    /// Hamming distance (0 for exact hashes).
    pub distance: i64,
}

/// Where a file tree read by `ingest --files` holds the content.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct CopyLocation {
    /// The device of the input that read it (`--device`), if given.
    pub device: Option<String>,
    /// Path below the walked root, `/`-separated.
    pub path: String,
    /// Manifest id of the tree input.
    pub source: String,
    /// Its record in that input.
    pub record: String,
}

/// One content of interest and the events tied to it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FileEvidence {
    /// SHA-256 (lower-case hex).
    pub sha256: String,
    /// Its reference-set matches.
    pub matched: Vec<Matched>,
    /// MD5 and SHA-1 from the content table, when read.
    pub md5: Option<String>,
    /// SHA-1.
    pub sha1: Option<String>,
    /// Size in bytes, when read.
    pub size: Option<i64>,
    /// The copies file trees hold.
    pub copies: Vec<CopyLocation>,
    /// Events tied to the content by a key (hash, path, name and size, URL),
    /// as indices into [`CaseEvidence::events`], ascending.
    pub linked: Vec<usize>,
    /// Events of the pages the file was fetched from or embedded in (the
    /// referrer, tab and top-frame pages of linked events), ascending.
    pub context: Vec<usize>,
}

/// Everything the reasoning reads.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CaseEvidence {
    /// Every selected event, sorted by [`StoredEvent::order_key`], no duplicates.
    pub events: Vec<StoredEvent>,
    /// Files of interest, by SHA-256.
    pub files: Vec<FileEvidence>,
    /// Device events the windowed rules read (visits, file creations,
    /// sessions, power), ascending index = ascending time.
    pub device_events: Vec<usize>,
    /// Application settings (`app.setting`), ascending.
    pub settings: Vec<usize>,
    /// Every input of the case.
    pub inputs: Vec<InputInfo>,
}

impl CaseEvidence {
    /// The input an event came from.
    pub fn input_of(&self, event: &StoredEvent) -> Option<&InputInfo> {
        self.inputs.iter().find(|i| i.source == event.source)
    }

    /// Inputs by manifest id.
    pub fn inputs_by_id(&self) -> BTreeMap<&str, &InputInfo> {
        self.inputs.iter().map(|i| (i.source.as_str(), i)).collect()
    }
}

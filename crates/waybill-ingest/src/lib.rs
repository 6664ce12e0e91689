//! Evidence sources for waybill.
//!
//! Every evidence format is one [`Source`] in one file under `src/sources/`,
//! listed once in [`registry::SOURCES`]. A source recognises its format from
//! content ([`Source::sniff`] over a [`Probe`]) and streams records into an
//! [`waybill_model::EventSink`]: each record becomes events, or a
//! [`waybill_model::Reject`] with its position and reason. The [`driver`] opens
//! evidence read-only ([`input`] documents exactly how, including SQLite WAL
//! files), picks the source, parses line formats in parallel chunks with bounded
//! memory, hashes the input in the same pass, and hands Arrow record batches to a
//! [`driver::PartSink`] — it never writes files itself.
//!
//! Adding a format: write `src/sources/<id>.rs` implementing [`Source`], add a
//! line to the registry, add fixtures under `tests/fixtures/<id>/` with a
//! `README.md`, and add the fixtures to the test table in `tests/ingest.rs`.

pub mod access;
pub mod driver;
pub mod ext4;
pub mod fat;
pub mod http;
pub mod input;
pub mod json;
pub mod jsonrec;
pub mod lines;
pub mod logformat;
pub mod par;
pub mod prefs_xml;
pub mod progress;
pub mod registry;
pub mod source;
pub mod sources;
pub mod sqlite;
pub mod target;
pub mod tree;
pub mod zone;

pub use driver::{
    Found, IngestError, IngestRequest, InputSummary, NoReporter, PartSink, Reporter, Skipped, detect, entries_in,
    expand, gather_entries, ingest, ingest_entries, sniff_all, unrecognised,
};
pub use input::{Input, PROBE_LEN};
pub use logformat::{LogFormatError, LogFormatSpec};
pub use registry::{SOURCES, find};
pub use source::{ClockHint, InputKind, LineParser, ParseContext, Probe, Sniff, Source, SourceError, SqliteSchema};
pub use zone::{Zone, ZoneError};

//! Integration tests of the ingest crate (one test binary).
//!
//! - `table`: every fixture, its counts, its rejects and a snapshot of its events;
//! - `registry`: properties of the whole registry (unique ids, a fixture folder per
//!   source, the sniff matrix);
//! - `real`: the shared corpus of real artifacts, with plaso parity;
//! - `invariants`: evidence untouched, records read = accepted + rejected,
//!   determinism, parallel = sequential, hostile input;
//! - `progress`: inputs read in one call record how far the parse has got;
//! - `malformed`: numeric fields that do not parse are named, never silently NULL;
//! - `tree`: `ingest --files` over a file tree, with its bad inputs;
//! - `volumes`: FAT and exFAT volumes, clean and damaged;
//! - `batched`: sources that parse records in batches on several threads give
//!   the events of a sequential read, in order.

#[path = "ingest/batched.rs"]
mod batched;
#[path = "ingest/invariants.rs"]
mod invariants;
#[path = "ingest/malformed.rs"]
mod malformed;
#[path = "ingest/progress.rs"]
mod progress;
#[path = "ingest/real.rs"]
mod real;
#[path = "ingest/registry.rs"]
mod registry;
#[path = "ingest/table.rs"]
mod table;
#[path = "ingest/tree.rs"]
mod tree;
#[path = "ingest/volumes.rs"]
mod volumes;

//! Properties of the whole registry.

use std::collections::BTreeSet;

use waybill_ingest::{SOURCES, Sniff, find, sniff_all};
use waybill_testkit::fixture_dir;

use crate::table::{CASES, prepare};

#[test]
fn ids_are_unique_and_findable() {
    let mut seen = BTreeSet::new();
    for s in SOURCES {
        assert!(seen.insert(s.id()), "duplicate source id {}", s.id());
        assert!(find(s.id()).is_some());
        assert!(!s.description().is_empty());
        assert!(
            s.id().chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '_'),
            "id {} must be lower-case dotted",
            s.id()
        );
    }
}

#[test]
fn every_source_has_fixtures_with_a_readme() {
    for s in SOURCES {
        let dir = fixture_dir(s.id());
        assert!(dir.join("README.md").is_file(), "{} has no fixture folder with README.md", s.id());
        assert!(CASES.iter().any(|c| c.source == s.id()), "{} has no case in the fixture table", s.id());
        assert!(CASES.iter().any(|c| c.source == s.id() && c.counts.2 > 0), "{} has no corrupted fixture", s.id());
    }
}

/// Every fixture sniffs `Yes` for its own source and for no other.
#[test]
fn sniff_matrix() {
    let mut failures = Vec::new();
    for case in CASES {
        let (path, _keep) = prepare(case);
        let ctx = (case.opts)().ctx();
        let verdicts = sniff_all(&path, &ctx, None).unwrap_or_else(|e| panic!("{e}"));
        for (id, v) in verdicts {
            let want_yes = id == case.source;
            if want_yes != (v == Sniff::Yes) {
                failures.push(format!("{} sniffed {v:?} by {id}", case.file));
            }
        }
    }
    assert!(failures.is_empty(), "sniff matrix:\n{}", failures.join("\n"));
}

/// Evidence is never modified: for every fixture of every source, read from a
/// folder of its own, the SHA-256, size and mtime of every file and the folder
/// listing are the same after ingest (SQLite opened immutable or copied with
/// its WAL; nothing written beside the input).
#[test]
fn ingest_leaves_every_fixture_untouched() {
    for case in CASES {
        let (path, _keep) = prepare(case);
        let dir = tempfile::tempdir().expect("temp");
        let name = path.file_name().expect("name");
        let copy = dir.path().join(name);
        std::fs::copy(&path, &copy).expect("copy");
        // A database's WAL travels with it.
        let wal = path.with_file_name(format!("{}-wal", name.to_string_lossy()));
        if wal.is_file() {
            std::fs::copy(&wal, dir.path().join(format!("{}-wal", name.to_string_lossy()))).expect("copy wal");
        }
        let before = waybill_testkit::listing_state(dir.path());
        let ctx = (case.opts)();
        let _ = waybill_testkit::ingest_path(&copy, &ctx).unwrap_or_else(|e| panic!("{}: {e}", case.file));
        assert_eq!(waybill_testkit::listing_state(dir.path()), before, "{} changed by ingest", case.file);
    }
}

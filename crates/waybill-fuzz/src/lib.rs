//! Fuzz harnesses: each takes arbitrary bytes and panics only on a bug.
//!
//! The cargo-fuzz targets in `/fuzz` (nightly, libFuzzer) call these; the
//! regression test of this crate replays every input kept in
//! `fuzz/regressions/<target>/` and every fixture through them on stable, so a
//! crash found once stays fixed. What each checks, besides "no panic":
//! - [`sources`]: the bytes as a file, read by one source of the registry
//!   (forced, as `--format`; chosen by the input's length) or by sniffing;
//!   records read = accepted + rejected and events counted = events stored.
//!   [`sources_all`] reads with every source (the regression replay).
//! - [`hash_set`]: the bytes as a reference hash set, in every reader (plain,
//!   hashdeep, NSRL RDS, VICS JSON, PDQ); records = entries' records + rejects.
//! - [`log_format`]: the first line as a `--log-format` string, the rest as log
//!   lines read with it when it parses.
//!
//! Hangs and allocations are bounded by libFuzzer's `-timeout` and
//! `-rss_limit_mb` (see `fuzz/run.sh`).

use std::io::Write as _;
use std::path::Path;

use waybill_ingest::driver::IngestError;
use waybill_testkit::{Opts, ingest_path_chunked};

/// Writes `data` to a fresh temp file named `name` (extension matters to some
/// sniffers) and calls `f` with its path.
fn with_file(data: &[u8], name: &str, f: impl FnOnce(&Path)) {
    let Ok(dir) = tempfile::tempdir() else { return };
    let path = dir.path().join(name);
    let Ok(mut file) = std::fs::File::create(&path) else { return };
    if file.write_all(data).is_err() {
        return;
    }
    drop(file);
    f(&path);
}

/// One source per input, chosen by the input's length (no byte is spent on
/// choosing, so seeds keep their magic numbers): a source forced as with
/// `--format`, or sniffing when the length selects none. One parse per input
/// keeps executions fast enough for libFuzzer's 1 s limit on large seeds.
pub fn sources(data: &[u8]) {
    let all = waybill_ingest::SOURCES;
    let pick = data.len() % (all.len() + 1);
    with_file(data, "input", |path| match all.get(pick) {
        Some(s) => check(path, &forced(s.id()), s.id()),
        None => check(path, &Opts::default(), "sniffed"),
    });
}

/// Every source, forced, then sniffing (the regression replay).
pub fn sources_all(data: &[u8]) {
    with_file(data, "input", |path| {
        for s in waybill_ingest::SOURCES {
            check(path, &forced(s.id()), s.id());
        }
        check(path, &Opts::default(), "sniffed");
    });
}

fn forced(id: &str) -> Opts {
    let log_format = (id == "nginx.access").then(|| "nginx:combined".to_owned());
    Opts { format: Some(id.into()), log_format, ..Opts::default() }
}

fn check(path: &Path, opts: &Opts, what: &str) {
    match ingest_path_chunked(path, opts, 512) {
        Ok(c) => {
            let n = c.summary.counts;
            assert_eq!(n.records, n.accepted() + n.rejects, "{what}: records read = accepted + rejects");
            assert_eq!(n.events, c.events.len() as u64, "{what}: events counted = events stored");
            assert_eq!(n.rejects, c.rejects.len() as u64, "{what}: rejects counted = rejects kept");
        }
        // A whole input refused with a reason is the documented outcome for
        // bytes that are not the format; a panic is not.
        Err(
            IngestError::NothingParsed { .. }
            | IngestError::Source { .. }
            | IngestError::Unrecognised { .. }
            | IngestError::WrongKind { .. }
            | IngestError::Sqlite { .. },
        ) => {}
        Err(e) => panic!("{what}: unexpected error {e}"),
    }
}

/// The bytes as a reference hash set, in every reader.
pub fn hash_set(data: &[u8]) {
    for name in ["set.txt", "set.json", "NSRLFile.txt", "set.csv"] {
        with_file(data, name, |path| {
            for pdq in [false, true] {
                let mut entries = 0u64;
                let mut rejects = 0u64;
                let mut entry_records = std::collections::BTreeSet::new();
                let mut reject_records = std::collections::BTreeSet::new();
                let r = waybill_hash::hashset::read_set(
                    path,
                    pdq,
                    &mut |e| {
                        entries += 1;
                        entry_records.insert(e.record);
                    },
                    &mut |r| {
                        rejects += 1;
                        reject_records.insert(r.record);
                    },
                );
                if let Ok(s) = r {
                    assert_eq!(s.rejects, rejects, "{name}: rejects counted = rejects reported");
                    assert_eq!(s.entries, entries, "{name}: entries counted = entries reported");
                    assert_eq!(reject_records.len() as u64, rejects, "{name}: one reject per rejected record");
                    assert!(entry_records.is_disjoint(&reject_records), "{name}: a record both accepted and rejected");
                    // records read = records accepted (each with its entries) + rejects.
                    assert_eq!(
                        s.records,
                        entry_records.len() as u64 + rejects,
                        "{name}: records = accepted + rejected"
                    );
                }
            }
        });
    }
}

/// First line: a `--log-format`; the rest: lines read with it.
pub fn log_format(data: &[u8]) {
    let (spec, rest) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let Ok(spec) = std::str::from_utf8(spec) else { return };
    if spec.parse::<waybill_ingest::logformat::LogFormatSpec>().is_err() {
        return;
    }
    let format = if spec.starts_with("nginx:") { "nginx.access" } else { "apache.access" };
    with_file(rest, "access.log", |path| {
        check(
            path,
            &Opts { format: Some(format.into()), log_format: Some(spec.to_owned()), ..Opts::default() },
            "log_format",
        );
    });
}

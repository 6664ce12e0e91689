//! Invariants that hold for every input: evidence untouched, records read =
//! accepted + rejected, determinism, parallel = sequential, no panic.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use waybill_ingest::{IngestError, ParseContext, SOURCES, Source};
use waybill_testkit::{Opts, corpus, file_state, fixture, ingest_path, ingest_path_chunked, listing, materialize};

use crate::table::{CASES, prepare};

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir).expect("list").map(|e| e.expect("entry").path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// Every real artifact: hash, size and mtime unchanged, nothing created beside it,
/// and records read = accepted + rejected for each one waybill reads.
#[test]
fn real_evidence_is_never_modified() {
    let Some(root) = corpus() else { return };
    let mut files = Vec::new();
    walk(&root, &mut files);
    let dirs: std::collections::BTreeSet<PathBuf> =
        files.iter().filter_map(|f| f.parent().map(Path::to_owned)).collect();
    let before: Vec<_> = files.iter().map(|f| file_state(f)).collect();
    let listings: Vec<_> = dirs.iter().map(|d| listing(d)).collect();
    let mut read = 0;
    for f in &files {
        if f.to_string_lossy().ends_with("-wal") {
            continue;
        }
        match ingest_path(f, &Opts::default()) {
            Ok(c) => {
                read += 1;
                let n = c.summary.counts;
                assert_eq!(n.records, n.accepted() + n.rejects, "{}", f.display());
                assert_eq!(n.events, c.events.len() as u64, "{}", f.display());
                assert_eq!(n.rejects, c.rejects.len() as u64, "{}", f.display());
            }
            Err(e) if e.is_unrecognised() => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert!(read >= 23, "only {read} real files were read");
    let after: Vec<_> = files.iter().map(|f| file_state(f)).collect();
    assert_eq!(before, after, "evidence changed");
    let listings_after: Vec<_> = dirs.iter().map(|d| listing(d)).collect();
    assert_eq!(listings, listings_after, "files appeared or vanished beside the evidence");
}

#[test]
fn fixtures_are_never_modified_and_ingest_deterministically() {
    for case in CASES {
        let (path, _keep) = prepare(case);
        let state = file_state(&path);
        let a = ingest_path(&path, &(case.opts)()).unwrap_or_else(|e| panic!("{e}"));
        let b = ingest_path(&path, &(case.opts)()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(a.canonical(), b.canonical(), "{}", case.file);
        assert_eq!(a.summary.sha256, b.summary.sha256);
        assert_eq!(state, file_state(&path), "{} changed", case.file);
    }
}

/// A log big enough for many chunks, with rejects spread through it.
fn synthetic_log(lines: usize) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().expect("temp");
    for i in 0..lines {
        if i % 97 == 13 {
            writeln!(f, "garbage line {i}").expect("write");
        } else {
            writeln!(
                f,
                "203.0.113.{} - - [03/Jan/2026:02:{:02}:{:02} +0000] \"GET /item/{i} HTTP/1.1\" 200 {} \"https://www.example.com/\" \"UA/{i}\"",
                i % 250,
                (i / 60) % 60,
                i % 60,
                i * 7
            )
            .expect("write");
        }
    }
    f
}

/// Parsing in many small parallel chunks gives the same events, rejects and counts
/// as one chunk; only `seq` (which encodes the part) differs.
#[test]
fn parallel_chunks_equal_one_chunk() {
    let f = synthetic_log(3000);
    let one = ingest_path(f.path(), &Opts::default()).expect("ingest");
    let many = ingest_path_chunked(f.path(), &Opts::default(), 4096).expect("ingest");
    assert_eq!(one.summary.counts, many.summary.counts);
    assert_eq!(one.summary.counts.records, 3000);
    assert_eq!(one.summary.counts.rejects, 31);
    let strip = |c: &waybill_testkit::Collected| -> Vec<serde_json::Value> {
        c.events
            .iter()
            .map(|e| {
                let mut e = e.clone();
                e.as_object_mut().expect("object").remove("seq");
                e
            })
            .collect()
    };
    assert_eq!(strip(&one), strip(&many));
    let r1: Vec<_> = one.rejects.iter().map(|r| r.record.clone()).collect();
    let r2: Vec<_> = many.rejects.iter().map(|r| r.record.clone()).collect();
    assert_eq!(r1, r2);
    assert_eq!(r1[0], "offset 1424 line 14");
    assert_eq!(one.summary.sha256, many.summary.sha256);
}

/// A line longer than the record limit (4 MiB) is one reject, read in bounded
/// memory; one longer than a chunk but within the limit is read whole, so the
/// chunk size (which follows the file's size) never decides what is read.
#[test]
fn a_line_longer_than_the_limit_is_one_reject_and_one_longer_than_a_chunk_is_read() {
    for (len, reason) in [
        (5_000_000, "too long: 5000000 bytes exceeds the 4194304-byte record limit".to_owned()),
        (200_000, "malformed: line does not match the access-log format (vhost_combined, combined, nginx_main, vhost_noport_combined, common)".to_owned()),
    ] {
        let mut f = tempfile::NamedTempFile::new().expect("temp");
        writeln!(f, "203.0.113.1 - - [03/Jan/2026:02:00:00 +0000] \"GET /a HTTP/1.1\" 200 1").expect("write");
        f.write_all(&vec![b'x'; len]).expect("write");
        writeln!(f).expect("write");
        writeln!(f, "203.0.113.1 - - [03/Jan/2026:02:00:01 +0000] \"GET /b HTTP/1.1\" 200 1").expect("write");
        let c = ingest_path_chunked(f.path(), &Opts::default(), 65_536).expect("ingest");
        assert_eq!((c.summary.counts.records, c.summary.counts.events, c.summary.counts.rejects), (3, 2, 1));
        assert_eq!(c.rejects[0].record, "offset 69 line 2");
        assert_eq!(c.rejects[0].reason.to_string(), reason);
        assert_eq!(c.events[1]["record"], format!("offset {} line 3", 69 + len + 1).as_str());
    }
}

#[test]
fn binary_input_with_a_forced_format_is_a_clear_error() {
    let mut f = tempfile::NamedTempFile::new().expect("temp");
    f.write_all(&(0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect::<Vec<_>>()).expect("write");
    let err = ingest_path(f.path(), &Opts { format: Some("apache.access".into()), ..Opts::default() })
        .expect_err("must fail");
    assert!(matches!(err, IngestError::NothingParsed { format: "apache.access", .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.starts_with(&f.path().display().to_string()) && msg.contains("wrong format?"), "{msg}");
    let err = ingest_path(f.path(), &Opts::default()).expect_err("must fail");
    assert!(err.is_unrecognised(), "{err}");
    assert!(err.to_string().contains("binary content"), "{err}");
}

#[test]
fn truncated_sqlite_is_a_clear_error_or_rejects() {
    let db = materialize(&fixture("chrome.history", "v70_typed_search_click_download.sql"));
    let bytes = std::fs::read(&db).expect("read");
    let dir = tempfile::tempdir().expect("temp");
    for cut in [100, 4096, 8192, bytes.len() / 2, bytes.len() - 1] {
        let p = dir.path().join(format!("History-cut-{cut}"));
        std::fs::write(&p, &bytes[..cut]).expect("write");
        match ingest_path(&p, &Opts::default()) {
            Ok(c) => {
                let n = c.summary.counts;
                assert_eq!(n.records, n.accepted() + n.rejects);
            }
            Err(e) => {
                let msg = e.to_string();
                assert!(msg.starts_with(&p.display().to_string()), "{msg}");
                assert!(!msg.contains('\n'), "one line: {msg}");
            }
        }
    }
}

fn text_sources() -> Vec<&'static dyn Source> {
    SOURCES.iter().copied().filter(|s| s.input_kind() == waybill_ingest::InputKind::Text).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Arbitrary bytes through every text source (forced with --format): no panic,
    /// and every record is accepted or rejected.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048), lines in proptest::collection::vec("[ -~]{0,120}", 0..8)) {
        let mut f = tempfile::NamedTempFile::new().expect("temp");
        f.write_all(&bytes).expect("write");
        for l in &lines {
            writeln!(f, "{l}").expect("write");
        }
        for s in text_sources() {
            let opts = Opts { format: Some(s.id().into()), log_format: (s.id() == "nginx.access").then(|| "nginx:combined".into()), ..Opts::default() };
            match ingest_path_chunked(f.path(), &opts, 512) {
                Ok(c) => {
                    let n = c.summary.counts;
                    prop_assert_eq!(n.records, n.accepted() + n.rejects);
                    prop_assert_eq!(n.events, c.events.len() as u64);
                }
                Err(IngestError::NothingParsed { .. } | IngestError::Source { .. }) => {}
                Err(e) => prop_assert!(false, "{}: {}", s.id(), e),
            }
        }
    }
}

#[test]
fn parse_context_default_is_utc() {
    assert_eq!(ParseContext::default().tz.to_string(), "UTC");
}

/// A damaged gzip stream (found by `arbitrary_bytes_never_panic`: a gzip magic
/// followed by a bad header): what was read before stands, the damage is one
/// reject naming its offset, not an aborted input.
#[test]
fn damaged_gzip_stream_is_a_reject_after_what_was_read() {
    use flate2::{Compression, write::GzEncoder};
    let line = "203.0.113.7 - - [05/Jan/2026:08:00:00 +0000] \"GET /a HTTP/1.1\" 200 12 \"-\" \"UA\"\n";
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    gz.write_all(line.as_bytes()).expect("gzip");
    let mut bytes = gz.finish().expect("gzip");
    // A second member whose header is damaged.
    bytes.extend_from_slice(&[31, 139, 99, 29, 26, 79, 76, 144, 17, 19, 121, 122]);
    let mut f = tempfile::NamedTempFile::new().expect("temp");
    f.write_all(&bytes).expect("write");
    let c = ingest_path_chunked(f.path(), &Opts::default(), 512).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.summary.format, "apache.access");
    let n = c.summary.counts;
    assert_eq!((n.records, n.events, n.rejects), (2, 1, 1));
    assert_eq!(c.rejects[0].record, format!("offset {} line 2", line.len()));
    let reason = c.rejects[0].reason.to_string();
    assert!(reason.contains("compressed stream damaged"), "{reason}");
}

//! Replays what the fuzzers found (`fuzz/regressions/<target>/`, kept once
//! fixed) and every ingest fixture through the harnesses, on stable Rust.

use std::path::{Path, PathBuf};

use waybill_testkit::{materialize, workspace_root};

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        for e in rd.filter_map(Result::ok) {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().is_some_and(|n| n != "README.md") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn replay(target: &str, harness: fn(&[u8])) -> usize {
    let dir = workspace_root().join("fuzz/regressions").join(target);
    let files = files_in(&dir);
    for f in &files {
        let data = std::fs::read(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        harness(&data);
    }
    files.len()
}

#[test]
fn regressions_stay_fixed() {
    let n = replay("sources", waybill_fuzz::sources_all)
        + replay("hash_set", waybill_fuzz::hash_set)
        + replay("log_format", waybill_fuzz::log_format);
    assert!(n >= 3, "the regression folders hold at least one input per target ({n})");
}

/// Every fixture (SQL scripts built into databases) is a seed of the sources
/// target: it must pass the harness as it is.
#[test]
fn fixtures_pass_the_sources_harness() {
    let fixtures = files_in(&workspace_root().join("crates/waybill-ingest/tests/fixtures"));
    assert!(fixtures.len() > 30, "{} fixtures", fixtures.len());
    for f in fixtures {
        let p = materialize(&f);
        let data = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        waybill_fuzz::sources_all(&data);
    }
}

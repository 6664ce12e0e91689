//! The case readers on hostile bytes: a case folder whose `case.toml`,
//! `manifest.jsonl`, `custody.jsonl` and `seals.jsonl` hold arbitrary bytes is
//! refused with an error or read, never a panic; chain verification names a
//! line. (The cargo-fuzz targets in `/fuzz` cover sources, hash sets and log
//! formats; the case files are small, so a property test reaches them well.)

use proptest::prelude::*;
use waybill_store::Case;

fn case_with(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp");
    for (name, bytes) in files {
        std::fs::write(dir.path().join(name), bytes).expect("write");
    }
    dir
}

const TOML: &[u8] = b"[case]\nname = \"x\"\ntz = \"UTC\"\ncreated_by = \"test\"\n";

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_case_files_never_panic(
        toml in proptest::collection::vec(any::<u8>(), 0..512),
        manifest in proptest::collection::vec(any::<u8>(), 0..1024),
        custody in "(\\{[ -~]{0,80}\\}\n){0,6}[ -~]{0,40}",
        seals in "(\\{[ -~]{0,120}\\}\n){0,3}",
    ) {
        for t in [toml.as_slice(), TOML] {
            let dir = case_with(&[("case.toml", t), ("manifest.jsonl", &manifest), ("custody.jsonl", custody.as_bytes()), ("seals.jsonl", seals.as_bytes())]);
            if let Ok(case) = Case::open(dir.path()) {
                // A broken chain names a line that exists (or the incomplete
                // line after the last complete one), and says why.
                for (name, chain) in [("manifest.jsonl", case.manifest()), ("custody.jsonl", case.custody())] {
                    if let Err(b) = chain.verify() {
                        prop_assert!(b.line >= 1 && b.line <= chain.lines().len() + 1, "{name}: line {} of {}", b.line, chain.lines().len());
                        prop_assert!(!b.detail.is_empty(), "{name}: no reason");
                    }
                }
                // A file that cannot be read is named in the error.
                if let Err(e) = case.manifest_entries() {
                    prop_assert!(e.to_string().contains("manifest.jsonl"), "{e}");
                }
                if let Err(e) = case.recorded_outputs() {
                    let m = e.to_string();
                    prop_assert!(m.contains("custody.jsonl") || m.contains("manifest.jsonl"), "{m}");
                }
                if let Err(e) = case.pending_steps() {
                    prop_assert!(!e.to_string().is_empty());
                }
                if let Err(e) = waybill_store::seal::load(dir.path()) {
                    prop_assert!(e.to_string().contains("seals.jsonl"), "{e}");
                }
            }
        }
    }
}

/// A custody line whose `outputs` is not a list of outputs is an error naming
/// the file, not a panic and not silently ignored.
#[test]
fn malformed_outputs_in_custody_are_an_error() {
    let line = r#"{"action":"analyze","outputs":[{"path":1}],"prev":"0000000000000000000000000000000000000000000000000000000000000000"}"#;
    let dir = case_with(&[("case.toml", TOML), ("custody.jsonl", format!("{line}\n").as_bytes())]);
    let case = Case::open(dir.path()).expect("opens");
    let err = case.recorded_outputs().expect_err("malformed outputs");
    assert!(err.to_string().contains("custody.jsonl"), "{err}");
}

//! Regression bundles: simulated evidence bundles checked into
//! `tests/regression/<name>/bundle` (made with `waybill simulate`, see the
//! folder's README), run through `case new`, `ingest`, `match` and `analyze`
//! with the real executable; the findings are compared with a reviewed
//! snapshot, so any change in parsing or reasoning shows up as a diff.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, UNIX_EPOCH};

fn waybill(dir: &Path, args: &[String]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_waybill"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .output()
        .expect("run waybill");
    assert!(
        out.status.success(),
        "waybill {args:?}\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    let mut entries: Vec<_> = std::fs::read_dir(from).expect("read dir").map(|e| e.expect("entry").path()).collect();
    entries.sort();
    for p in entries {
        let dest = to.join(p.file_name().expect("name"));
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).expect("copy");
        }
    }
}

/// Git keeps no modification times: restore the tree's from `mtimes.tsv`
/// (as a forensic export preserves them).
fn restore_mtimes(fixture: &Path, tree: &Path) {
    let text = std::fs::read_to_string(fixture.join("mtimes.tsv")).expect("mtimes.tsv");
    for line in text.lines().filter(|l| !l.is_empty()) {
        let (path, t) = line.split_once('\t').expect("path<TAB>mtime");
        let (secs, frac) = t.split_once('.').unwrap_or((t, "0"));
        let micros: u64 = format!("{frac:0<6}")[..6].parse().expect("fraction");
        let when = UNIX_EPOCH + Duration::from_secs(secs.parse().expect("seconds")) + Duration::from_micros(micros);
        let f = std::fs::File::options().write(true).open(tree.join(path)).expect("tree file");
        f.set_modified(when).expect("set mtime");
    }
}

/// The findings as reviewed text: one block per copy, sorted. The checked-in
/// bundles' truth (`waybill.truth/1`) has one entry per content; a copy is
/// matched to the entry of its content at its location, else its content's.
fn findings(case: &Path, truth: &serde_json::Value) -> String {
    let truths = truth["files"].as_array().expect("files");
    let mut paths: Vec<_> =
        std::fs::read_dir(case.join("findings")).expect("findings").map(|e| e.expect("entry").path()).collect();
    paths.sort();
    let mut blocks = Vec::new();
    for p in paths {
        let text = std::fs::read_to_string(&p).expect("finding");
        let f: serde_json::Value = serde_json::from_str(&text).expect("finding json");
        let copy = &f["copy"];
        let at = if copy["kind"] == "cache_entry" { copy["url"].as_str() } else { copy["path"].as_str() };
        let of_content: Vec<&serde_json::Value> =
            truths.iter().filter(|t| t["sha256"] == f["file"]["sha256"]).collect();
        let here = of_content.iter().find(|t| t["location"].as_str() == at);
        let t = here.or(of_content.first()).expect("every finding is of a file of interest in the truth");
        let mut b = String::new();
        let _ = writeln!(
            b,
            "{} on {}  ({}, {} {})",
            at.unwrap_or(""),
            copy["device"].as_str().unwrap_or(""),
            t["scenario"].as_str().unwrap_or(""),
            if here.is_some() { "truth" } else { "another copy's truth" },
            t["truth"].as_str().unwrap_or("")
        );
        let _ = writeln!(
            b,
            "  verdict {}  log10 LR {} {}  {}",
            f["verdict"],
            f["log10_lr"],
            f["log10_lr_range"],
            f["verbal"].as_str().unwrap_or("")
        );
        let _ = writeln!(b, "  arrival {} at {}", f["arrival"]["what"], f["arrival"]["ts"]);
        for e in f["evidence"].as_array().into_iter().flatten() {
            let _ = writeln!(
                b,
                "  evidence {} {} {}{}",
                e["rule"].as_str().unwrap_or(""),
                e["log10_lr"],
                e["range"],
                if e["counted"] == true { "" } else { " (not counted)" }
            );
        }
        for c in f["clocks"].as_array().into_iter().flatten() {
            let _ = writeln!(
                b,
                "  clock {} offset {} ± {} ({} pairs)",
                c["clock"], c["offset_s"], c["uncertainty_s"], c["pairs"]
            );
        }
        let _ = writeln!(b, "  gaps {}", f["gaps"].as_array().map_or(0, Vec::len));
        blocks.push(b);
    }
    blocks.sort();
    blocks.concat()
}

fn run(name: &str) {
    let fixture = waybill_testkit::workspace_root().join("crates/waybill/tests/regression").join(name);
    let t = tempfile::tempdir().expect("temp");
    let bundle = t.path().join("bundle");
    copy_dir(&fixture.join("bundle"), &bundle);
    let plan: waybill_sim::Plan =
        serde_json::from_slice(&std::fs::read(bundle.join("bundle.json")).expect("bundle.json")).expect("plan");
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(bundle.join("truth.json")).expect("truth.json")).expect("truth");
    for input in plan.inputs.iter().filter(|i| i.files) {
        restore_mtimes(&fixture, &bundle.join(&input.path));
    }
    let case = t.path().join("case");
    for args in plan.commands(&bundle, &case) {
        waybill(t.path(), &args);
    }
    waybill(t.path(), &["analyze".into(), case.display().to_string()]);
    insta::assert_snapshot!(name, findings(&case, &truth));
}

#[test]
fn mixed_linux_chrome() {
    run("mixed-linux-chrome");
}

#[test]
fn search_download_windows_chrome() {
    run("search-download-windows-chrome");
}

#[test]
fn typed_download_linux_firefox() {
    run("typed-download-linux-firefox");
}

//! Examiner review end to end through the CLI, on the demo's case: a step
//! recorded in the custody log, `analyze` applying it (the strongest item of
//! a decisive finding rejected: the LR drops by its group's value and the
//! band follows the decision rule), a second examiner who differs, a drafted
//! file applied, `verify` replaying the steps (and failing on an edited one),
//! and the report showing the review (HTML; in Chromium and as a PDF when
//! those tools are present, required under CI=true).

use std::path::{Path, PathBuf};
use std::process::Command;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn waybill_env(dir: &Path, args: &[&str], env: &[(&str, &Path)]) -> Run {
    let mut c = Command::new(env!("CARGO_BIN_EXE_waybill"));
    c.args(args).current_dir(dir).env_clear();
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().expect("run waybill");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let r = waybill_env(dir, args, &[]);
    assert_eq!(r.code, 0, "waybill {args:?}\nstdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
    r.stdout
}

fn finding(dir: &Path, id: &str) -> serde_json::Value {
    let p = dir.join("d/case/findings").join(format!("{id}.json"));
    serde_json::from_slice(&std::fs::read(&p).expect("finding")).expect("json")
}

/// An outside tool on `PATH` or at `fallback`; under CI=true a missing one fails.
fn tool(names: &[&str], fallback: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        for n in names {
            if dir.join(n).is_file() {
                return Some(dir.join(n));
            }
        }
    }
    if let Some(p) = fallback.iter().map(PathBuf::from).find(|p| p.is_file()) {
        return Some(p);
    }
    assert!(!waybill_testkit::in_ci(), "{} is required under CI=true", names[0]);
    eprintln!("notice: {} not found; skipping that check", names[0]);
    None
}

/// The group value a finding's evidence gives once `rule` is left out: the
/// strongest remaining item of the group in the group's direction.
fn group_without(f: &serde_json::Value, rule: &str) -> (String, f64, f64) {
    let ev = f["evidence"].as_array().expect("evidence");
    let item = ev.iter().find(|e| e["rule"] == rule).expect("rule");
    let group = item["group"].as_str().expect("group").to_owned();
    let old = f["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .find(|g| g["group"] == group.as_str())
        .and_then(|g| g["log10_lr"].as_f64())
        .expect("group value");
    let next = ev
        .iter()
        .filter(|e| e["group"] == group.as_str() && e["rule"] != rule)
        .filter_map(|e| e["log10_lr"].as_f64())
        .filter(|v| v.signum() == old.signum())
        .fold(0.0_f64, |m, v| if v.abs() > m.abs() { v } else { m });
    (group, old, next)
}

#[test]
fn a_review_step_is_custody_analyze_applies_it_and_verify_replays_it() {
    let t = tempfile::tempdir().expect("temp");
    let root = t.path();
    ok(root, &["demo", "d", "--noise", "500"]);
    // The search-download copy: decisive for Hp in the demo.
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.join("d/bundle/truth.json")).expect("truth")).expect("json");
    let copy = truth["files"]
        .as_array()
        .expect("files")
        .iter()
        .find(|c| c["scenario"] == "search-download")
        .expect("search-download copy");
    let ids: Vec<String> = std::fs::read_dir(root.join("d/case/findings"))
        .expect("findings")
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.strip_suffix(".json")).map(str::to_owned))
        .collect();
    let id =
        ids.iter().find(|i| finding(root, i)["copy"]["path"] == copy["location"]).expect("the copy's finding").clone();
    let before = finding(root, &id);
    assert_eq!(before["verdict"], "user_initiated", "{before:#}");
    assert!(before.get("review").is_none());
    // The strongest counted item.
    let strongest = before["evidence"]
        .as_array()
        .expect("evidence")
        .iter()
        .filter(|e| e["counted"] == true)
        .max_by(|a, b| {
            let (x, y) = (a["log10_lr"].as_f64().unwrap_or(0.0), b["log10_lr"].as_f64().unwrap_or(0.0));
            x.abs().total_cmp(&y.abs())
        })
        .and_then(|e| e["rule"].as_str())
        .expect("an item")
        .to_owned();
    assert_eq!(strongest, "fetch.user_activation");
    let (_, old_group, next) = group_without(&before, &strongest);

    // A prefix names the finding; the step lands in the custody log.
    let out = ok(
        root,
        &[
            "review",
            "d/case",
            "--finding",
            &id[..20],
            "--reject",
            &strongest,
            "--why",
            "the server's log line came through a proxy shared by the household",
            "--examiner",
            "A. Examiner",
        ],
    );
    assert!(out.contains("review step 1: A. Examiner reject fetch.user_activation"), "{out}");
    let custody = std::fs::read_to_string(root.join("d/case/custody.jsonl")).expect("custody");
    let last: serde_json::Value = serde_json::from_str(custody.lines().last().expect("line")).expect("json");
    assert_eq!(last["action"], "review");
    assert_eq!(last["finding"], id.as_str());
    assert_eq!(last["decision"], "reject");
    assert_eq!(last["item"], "fetch.user_activation");
    assert_eq!(last["examiner"], "A. Examiner");
    // Items that are not the finding's are refused, and nothing is recorded.
    let r = waybill_env(
        root,
        &["review", "d/case", "--finding", &id, "--reject", "no.such_rule", "--why", "x", "--examiner", "A"],
        &[],
    );
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("neither a rule of finding"), "{}", r.stderr);
    let r = waybill_env(
        root,
        &["review", "d/case", "--finding", "ffff", "--note", "n", "--why", "x", "--examiner", "A"],
        &[],
    );
    assert!(r.stderr.contains("no finding \"ffff\""), "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(root.join("d/case/custody.jsonl")).expect("custody"), custody);

    ok(root, &["analyze", "d/case"]);
    let after = finding(root, &id);
    let want = before["log10_lr"].as_f64().expect("lr") - old_group + next;
    assert!((after["log10_lr"].as_f64().expect("lr") - want).abs() < 1e-9, "{want} {after:#}");
    assert_eq!((before["log10_lr"].as_f64(), after["log10_lr"].as_f64()), (Some(3.0), Some(1.7)));
    // Three groups left, one of them +0.2: the range is no longer wholly beyond +1.
    assert_eq!(after["verdict"], "indeterminate", "{after:#}");
    let item = after["evidence"]
        .as_array()
        .expect("evidence")
        .iter()
        .find(|e| e["rule"] == "fetch.user_activation")
        .expect("kept, struck");
    assert_eq!(item["counted"], false);
    assert_eq!(item["review"]["status"], "rejected");
    assert!(
        item["note"]
            .as_str()
            .expect("note")
            .starts_with("rejected in review (A. Examiner: reject — the server's log line")
    );
    assert_eq!(after["review"]["steps"].as_array().map(Vec::len), Some(1));
    // verify replays the step: the same findings.
    let r = waybill_env(root, &["verify", "d/case"], &[]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);

    // A second examiner differs: the item stays in, and the finding says so.
    ok(
        root,
        &[
            "review",
            "d/case",
            "--finding",
            &id,
            "--accept",
            "fetch.user_activation",
            "--why",
            "the proxy was not in use that day",
            "--examiner",
            "B. Second",
        ],
    );
    // A drafted file (as report.html saves it) adds a note.
    let draft = root.join("draft.json");
    std::fs::write(
        &draft,
        serde_json::to_vec(&serde_json::json!({
            "schema": "waybill.review-draft/1",
            "steps": [{"finding": id, "action": "note", "text": "ask the ISP for the proxy's records", "why": "open line of inquiry"}]
        }))
        .expect("json"),
    )
    .expect("write");
    ok(root, &["review", "d/case", "--apply", "draft.json", "--examiner", "A. Examiner"]);
    // A reason that starts with a dash is a value, here and when verify replays it.
    ok(
        root,
        &[
            "review",
            "d/case",
            "--finding",
            &id,
            "--note=-- see the ISP's letter",
            "--why=- filed with the case",
            "--examiner",
            "B. Second",
        ],
    );
    let list: serde_json::Value =
        serde_json::from_str(&ok(root, &["review", "d/case", "--list", "--json"])).expect("json");
    assert_eq!(list.as_array().map(Vec::len), Some(4));
    assert_eq!(list[3]["text"], "-- see the ISP's letter");
    assert_eq!(list[2]["action"], "note");
    assert_eq!(list[2]["text"], "ask the ISP for the proxy's records");
    ok(root, &["analyze", "d/case"]);
    let disputed = finding(root, &id);
    assert_eq!(disputed["log10_lr"], 3.0, "kept while the examiners differ");
    assert_eq!(disputed["review"]["items"][0]["status"], "disputed");
    assert_eq!(disputed["review"]["examiners"], serde_json::json!(["A. Examiner", "B. Second"]));
    assert!(
        disputed["review"]["differs"][0]
            .as_str()
            .expect("differs")
            .starts_with("fetch.user_activation: A. Examiner: reject")
    );

    // Rejecting the event the rule rests on takes it out before the rules run:
    // the rule no longer fires and the chain no longer shows the event.
    let rests_on = disputed["evidence"]
        .as_array()
        .expect("evidence")
        .iter()
        .find(|e| e["rule"] == "fetch.user_activation")
        .map(|e| e["events"][0].clone())
        .expect("its event");
    let event =
        format!("{}:{}", rests_on["source"].as_str().expect("source"), rests_on["record"].as_str().expect("record"));
    ok(
        root,
        &[
            "review",
            "d/case",
            "--finding",
            &id,
            "--reject",
            &event,
            "--why",
            "a proxy's request",
            "--examiner",
            "A. Examiner",
        ],
    );
    ok(root, &["analyze", "d/case"]);
    let struck = finding(root, &id);
    assert!(
        struck["evidence"].as_array().expect("evidence").iter().all(|e| e["rule"] != "fetch.user_activation"),
        "{struck:#}"
    );
    assert!(
        struck["chain"]
            .as_array()
            .expect("chain")
            .iter()
            .all(|c| c["source"] != rests_on["source"] || c["record"] != rests_on["record"])
    );
    assert_eq!(struck["review"]["items"].as_array().map(Vec::len), Some(2));

    // The report carries the review.
    ok(root, &["report", "d/case", "--format", "html,json"]);
    let html = std::fs::read_to_string(root.join("d/case/report/report.html")).expect("html");
    assert!(html.contains("\"examiners\":[\"A. Examiner\",\"B. Second\"]"), "the review is in the page's data");
    assert!(html.contains("id=\"draft-save\""));
    if let Some(chromium) = tool(&["chromium", "chromium-browser", "google-chrome"], &[]) {
        let url = format!("file://{}", root.join("d/case/report/report.html").display());
        let o = Command::new(&chromium)
            .args(["--headless", "--disable-gpu", "--no-sandbox", "--dump-dom", &url])
            .output()
            .expect("run chromium");
        let dom = String::from_utf8_lossy(&o.stdout);
        assert!(dom.contains("Reviewed by A. Examiner, B. Second."), "the review is drawn");
        assert!(dom.contains("disputed: kept (examiners differ)"));
        assert!(dom.contains("Note by A. Examiner: ask the ISP for the proxy's records — open line of inquiry"));
        // The PDF: report.html printed, with the findings table and the review.
        let r = waybill_env(root, &["report", "d/case", "--format", "pdf"], &[("WAYBILL_CHROMIUM", &chromium)]);
        assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
        if let Some(pdftotext) = tool(&["pdftotext"], &[]) {
            let o = Command::new(pdftotext)
                .arg(root.join("d/case/report/report.pdf"))
                .arg("-")
                .output()
                .expect("pdftotext");
            let text = String::from_utf8_lossy(&o.stdout);
            assert!(text.contains("24 of 24 findings (copies)"), "the findings table is in the PDF");
            assert!(text.contains("Reviewed by A. Examiner, B. Second."));
            assert!(!text.contains("Save draft"), "the draft form is not printed");
        }
    }
    // Without Chromium the PDF is refused, saying so.
    let r =
        waybill_env(root, &["report", "d/case", "--format", "pdf"], &[("WAYBILL_CHROMIUM", Path::new("/nonexistent"))]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("headless Chromium"), "{}", r.stderr);

    // An edited review line breaks the custody chain: verify exits 1.
    let custody = std::fs::read_to_string(root.join("d/case/custody.jsonl")).expect("custody");
    let edited = custody.replacen("the proxy was not in use that day", "the proxy was not in use that week", 1);
    assert_ne!(edited, custody);
    std::fs::write(root.join("d/case/custody.jsonl"), edited).expect("write");
    let r = waybill_env(root, &["verify", "d/case"], &[]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(format!("{}{}", r.stdout, r.stderr).contains("custody.jsonl"), "{}\n{}", r.stdout, r.stderr);
}

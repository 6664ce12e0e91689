//! `waybill demo`: the whole job on a simulated mixed case: simulate, case
//! new, ingest, match, analyze, report.
//!
//! Each step runs this same executable as a subprocess, exactly as a user would
//! type it, so the case's custody log records real command lines.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use waybill_sim::{Plan, Spec, simulate};

use crate::args::DemoArgs;
use crate::exit::ExitStatus;

/// Runs the demo.
pub fn run(a: &DemoArgs) -> Result<ExitStatus> {
    let started = std::time::Instant::now();
    let bundle = a.out.join("bundle");
    let case = a.out.join("case");
    clear_previous(&a.out)?;
    let mut out = std::io::stdout().lock();
    let files = waybill_sim::mixed_names().len();
    let spec = Spec { scenario: "mixed".into(), seed: a.seed, noise: a.noise, files };
    let summary = simulate(&bundle, &spec)?;
    writeln!(
        out,
        "simulated {} ({} inputs, {} server log lines, {} copies of {} files of interest; ground truth in truth.json)",
        bundle.display(),
        summary.plan.inputs.len(),
        summary.log_lines,
        summary.truth.files.len(),
        summary.truth.files.iter().map(|f| f.sha256.as_str()).collect::<std::collections::BTreeSet<_>>().len()
    )?;
    let exe = std::env::current_exe().context("locating the waybill executable")?;
    let plan: Plan = summary.plan;
    for mut args in plan.commands(&bundle, &case) {
        if args[0] == "ingest" {
            args.push("--json".into());
            let doc: serde_json::Value = serde_json::from_str(&super::run_self(&exe, &args)?)
                .with_context(|| format!("reading the output of waybill {}", args.join(" ")))?;
            let input = args.iter().skip(2).find(|a| !a.starts_with("--")).cloned().unwrap_or_default();
            let shown = Path::new(&input).strip_prefix(&bundle).map_or(input.clone(), |p| p.display().to_string());
            writeln!(out, "waybill ingest {shown} … {}", ingest_summary(&doc))?;
        } else {
            let text = super::run_self(&exe, &args)?;
            let last = text.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").trim();
            let name = if args[0] == "case" { "case new" } else { args[0].as_str() };
            writeln!(out, "waybill {name} … {last}")?;
        }
    }
    let analyzed = super::run_self(&exe, &["analyze".into(), s(&case), "--json".into()])?;
    let findings: Vec<serde_json::Value> = analyzed
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()
        .context("reading the output of waybill analyze --json")?;
    writeln!(
        out,
        "\nfindings and ground truth, one row per copy (waybill analyze {}; {}):",
        case.display(),
        bundle.join("truth.json").display()
    )?;
    writeln!(
        out,
        "  {:<40}  {:<12}  {:<24}  {:<14}  {:<14}  {:<28}  agree?",
        "copy", "device", "scenario", "truth", "finding", "log10 LR [range]"
    )?;
    let mut contradictions = 0;
    for t in &summary.truth.files {
        let f = findings.iter().find(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or("");
            waybill_sim::score::locates(t, s("sha256"), f["device"].as_str(), s("path"))
        });
        let (verdict, lr, agree) = match f {
            None => ("missing".to_owned(), String::new(), "no finding"),
            Some(f) => {
                let v = f["verdict"].as_str().unwrap_or("?").to_owned();
                let lr = format!(
                    "log10 LR {:+.1} [{:+.1}, {:+.1}]",
                    f["log10_lr"].as_f64().unwrap_or(0.0),
                    f["log10_lr_range"][0].as_f64().unwrap_or(0.0),
                    f["log10_lr_range"][1].as_f64().unwrap_or(0.0)
                );
                let agree = if v == t.truth.as_str() {
                    "agrees"
                } else if v == "indeterminate" {
                    "no decision"
                } else {
                    contradictions += 1;
                    "CONTRADICTS"
                };
                (v, lr, agree)
            }
        };
        writeln!(
            out,
            "  {:<40}  {:<12}  {:<24}  {:<14}  {:<14}  {:<28}  {agree}",
            shorten(&t.location, 40),
            shorten(&t.device, 12),
            t.scenario,
            t.truth.as_str(),
            verdict,
            lr
        )?;
    }
    if contradictions > 0 {
        writeln!(out, "  {contradictions} decisive finding(s) contradict the ground truth")?;
    }
    super::run_self(&exe, &["report".into(), s(&case)])?;
    writeln!(
        out,
        "\nreport: {}   findings: {}   case: {}   ({:.1} s)",
        case.join("report/report.html").display(),
        case.join("findings").display(),
        case.display(),
        started.elapsed().as_secs_f64()
    )?;
    Ok(ExitStatus::Success)
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

fn shorten(text: &str, n: usize) -> String {
    let count = text.chars().count();
    if count <= n { text.to_owned() } else { format!("…{}", text.chars().skip(count - n + 1).collect::<String>()) }
}

/// Removes an earlier demo in `out` (only folders this command creates).
fn clear_previous(out: &Path) -> Result<()> {
    if !out.exists() {
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(out)
        .with_context(|| format!("reading {}", out.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    let ours = |p: &PathBuf| p.file_name().is_some_and(|n| n == "bundle" || n == "case");
    if !entries.iter().all(ours) {
        bail!("{} exists and holds more than an earlier demo (bundle/, case/); choose another folder", out.display());
    }
    let is_demo = out.join("bundle/truth.json").exists() || !out.join("bundle").exists();
    let is_case = out.join("case/case.toml").exists() || !out.join("case").exists();
    if !(is_demo && is_case) {
        bail!("{} does not look like an earlier demo; choose another folder", out.display());
    }
    for e in entries {
        std::fs::remove_dir_all(&e).with_context(|| format!("removing {}", e.display()))?;
    }
    Ok(())
}

/// `2,048 inputs (chrome.cache 2,047, chrome.history 1): 2,423 events, 0 rejects`.
fn ingest_summary(doc: &serde_json::Value) -> String {
    let mut formats: std::collections::BTreeMap<&str, u64> = std::collections::BTreeMap::new();
    let (mut events, mut rejects, mut inputs) = (0, 0, 0);
    for i in doc["inputs"].as_array().into_iter().flatten().filter(|i| i["status"] == "ingested") {
        inputs += 1;
        *formats.entry(i["format"].as_str().unwrap_or("?")).or_default() += 1;
        events += i["events"].as_u64().unwrap_or(0);
        rejects += i["rejects"].as_u64().unwrap_or(0);
    }
    let formats: Vec<String> = formats.iter().map(|(f, n)| format!("{f} {n}")).collect();
    let unit = if inputs == 1 { "input" } else { "inputs" };
    format!("{inputs} {unit} ({}): {events} events, {rejects} rejects", formats.join(", "))
}

//! `waybill analyze`: a finding for every copy of every file of interest.
//!
//! The candidate events are selected by `waybill_link::gather` (DataFusion
//! queries over the store); attribution, the copies, clocks and the evaluation
//! are `waybill_reason::analyze_case`, a pure function. This command parses
//! the arguments, calls both, writes the findings and prints.

use std::io::Write as _;

use anyhow::{Result, bail};
use waybill_model::SubjectKind;
use waybill_reason::engine::Setup;
use waybill_reason::{Rulebook, analyze_case};
use waybill_store::Case;

use crate::args::AnalyzeArgs;
use crate::exit::ExitStatus;

/// Event kinds every analysis reads around the arrivals beside the windowed
/// rules' own: the device's visits (the pages a download or cache entry came
/// from), the sync downloads of the same sync (the start of a retrieval) and
/// file writes (a messaging app's media written in one burst by a restore).
const ALWAYS_NEAR: &[&str] = &["browser.visit", "cloud.sync_download", "fs.modified"];

/// Runs the analysis.
pub fn run(a: &AnalyzeArgs) -> Result<ExitStatus> {
    let started = super::now();
    let mut case = Case::open_for_write(&a.case)?;
    let book = match &a.rulebook {
        Some(dir) => Rulebook::load_dir(dir)?,
        None => Rulebook::embedded()?,
    };
    if let Some(f) = a.file.as_ref().filter(|f| !(f.len() == 64 && f.bytes().all(|b| b.is_ascii_hexdigit()))) {
        bail!("--file takes a SHA-256 (64 hex digits), not {f:?}");
    }
    let q = super::query(&case, a.cluster.as_deref())?;
    let config = case.config().clone();
    for s in &config.subjects {
        s.bounds()?;
    }
    let mut window_kinds = book.window_kinds();
    window_kinds.extend(ALWAYS_NEAR.iter().map(|k| (*k).to_owned()));
    let request = waybill_link::Request {
        file: a.file.as_ref().map(|f| f.to_ascii_lowercase()),
        window_kinds,
        decide_columns: book.decide_columns(),
        // As given and in canonical form (a log writes the canonical one).
        subject_ips: config
            .subjects
            .iter()
            .filter(|s| s.kind == SubjectKind::Ip)
            .flat_map(|s| {
                let canonical = s.value.parse::<std::net::IpAddr>().ok().map(|ip| ip.to_string());
                std::iter::once(s.value.clone()).chain(canonical)
            })
            .collect(),
    };
    let evidence = waybill_link::gather(&case, &q, &request)?;
    let inputs = case.manifest_sha256()?;
    let reviews = super::review::steps(&case);
    let setup = Setup {
        subjects: &config.subjects,
        context: &config.context,
        book: &book,
        inputs_sha256: &inputs,
        reviews: &reviews,
    };
    let findings = analyze_case(&evidence, &setup);

    let mut out = std::io::stdout().lock();
    let mut written = Vec::new();
    let mut step = case.begin_step("analyze")?;
    for f in &findings {
        let mut json = serde_json::to_vec_pretty(f)?;
        json.push(b'\n');
        let path = case.write_finding(&f.id, &json, &mut step)?;
        let shown = shown(f);
        let arrival = f.arrival.as_ref().map_or("-", |a| a.ts.as_str());
        let device = f.copy.device.as_deref().unwrap_or("-");
        if a.json {
            let doc = serde_json::json!({
                "id": f.id,
                "sha256": f.file.sha256,
                "device": f.copy.device,
                "path": shown,
                "copy": f.copy.kind,
                "arrival": f.arrival,
                "verdict": f.verdict,
                "decision": f.decision,
                "log10_lr": f.log10_lr,
                "log10_lr_range": f.log10_lr_range,
                "verbal": f.verbal,
                "statement": f.statement,
                "gaps": f.gaps.len(),
                "open_questions": f.open_questions.len(),
                "finding": path.display().to_string(),
            });
            writeln!(out, "{}", serde_json::to_string(&doc)?)?;
        } else {
            writeln!(
                out,
                "{shown}  {device}  {arrival}  {:<14}  log10 LR {:+.2} [{:+.2}, {:+.2}]  {}",
                f.verdict, f.log10_lr, f.log10_lr_range[0], f.log10_lr_range[1], f.verbal
            )?;
        }
        written.push(
            serde_json::json!({"id": f.id, "sha256": f.file.sha256, "verdict": f.verdict, "log10_lr": f.log10_lr}),
        );
    }
    if written.is_empty() && !a.json {
        writeln!(out, "no files of interest (run `waybill match` first)")?;
    }
    let entry = serde_json::json!({
        "command": super::argv(),
        "action": "analyze",
        "tool": super::tool(),
        "started": started,
        "finished": super::now(),
        "rulebook": book.sha256,
        "file": a.file,
        "inputs": inputs,
        "review_steps": reviews.len(),
        "findings": written,
    });
    // A full analysis replaces every finding (a file no longer of interest loses
    // its finding); `--file` replaces the findings of that content's copies.
    case.commit_step(step, entry, a.file.is_none().then_some("findings"))?;
    Ok(ExitStatus::Success)
}

/// How a copy is shown: its path, or the URL of a cache entry or of a content
/// known only from server records, or its SHA-256.
pub fn shown(f: &waybill_reason::Finding) -> String {
    use waybill_reason::CopyKind;
    match f.copy.kind {
        CopyKind::File | CopyKind::Record if !f.copy.path.is_empty() => f.copy.path.clone(),
        _ => f.copy.url.clone().unwrap_or_else(|| f.file.sha256.clone()),
    }
}

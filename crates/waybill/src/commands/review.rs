//! `waybill review`: an examiner's review steps, recorded in the custody log.
//!
//! A step accepts or rejects one item of a finding (a rule id of its
//! evidence, or an event `SOURCE:RECORD` of its chain or evidence), or adds a
//! note; every step says why and who. The step is checked against the finding
//! as written by the last `analyze`, then appended to `custody.jsonl` (action
//! `review`); the case is never edited otherwise. `analyze` applies every
//! step ([`waybill_reason::review`]) and `verify` replays them.

use std::io::Write as _;
use std::path::Path;

use anyhow::{Context, Result, bail};
use waybill_reason::ReviewStep;
use waybill_store::Case;

use crate::args::ReviewArgs;
use crate::exit::ExitStatus;

/// The schema of a file of drafted steps (report.html writes it).
pub const DRAFT_SCHEMA: &str = "waybill.review-draft/1";

/// Every review step of the case, in custody order, numbered from 1.
pub fn steps(case: &Case) -> Vec<ReviewStep> {
    let mut out = Vec::new();
    for line in case.custody().lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else { continue };
        if v["action"] != "review" {
            continue;
        }
        let s = |k: &str| v[k].as_str().map(str::to_owned);
        let (Some(finding), Some(examiner), Some(action), Some(why)) =
            (s("finding"), s("examiner"), s("decision"), s("why"))
        else {
            continue;
        };
        out.push(ReviewStep { step: out.len() + 1, finding, examiner, action, item: s("item"), text: s("text"), why });
    }
    out
}

/// One step as asked for, before it is checked.
struct Asked {
    finding: String,
    action: &'static str,
    item: Option<String>,
    text: Option<String>,
    why: String,
}

/// Runs the command.
pub fn run(a: &ReviewArgs) -> Result<ExitStatus> {
    if a.list {
        let case = Case::open(&a.case)?;
        return list(&case, a.json);
    }
    let started = super::now();
    let mut case = Case::open_for_write(&a.case)?;
    let examiner = a
        .examiner
        .clone()
        .or_else(|| case.config().case.examiner.clone())
        .filter(|e| !e.trim().is_empty())
        .context("name the examiner with --examiner (the case has none in case.toml)")?;
    let (asked, draft) = match &a.apply {
        Some(file) => {
            let (asked, sha) = read_draft(file)?;
            (asked, Some((file.display().to_string(), sha)))
        }
        None => {
            let (action, item, text) = match (&a.accept, &a.reject, &a.note) {
                (Some(i), None, None) => ("accept", Some(i.clone()), None),
                (None, Some(i), None) => ("reject", Some(i.clone()), None),
                (None, None, Some(t)) => ("note", None, Some(t.clone())),
                _ => bail!("give one of --accept ITEM, --reject ITEM or --note TEXT"),
            };
            let finding = a.finding.clone().context("--finding ID is required")?;
            let why = a.why.clone().context("--why TEXT is required")?;
            (vec![Asked { finding, action, item, text, why }], None)
        }
    };
    // Check every step before recording any.
    let mut checked = Vec::new();
    for s in asked {
        let id = resolve(&case, &s.finding)?;
        if s.why.trim().is_empty() {
            bail!("--why must say why (finding {id})");
        }
        if let Some(item) = &s.item {
            check_item(&case, &id, item)?;
        }
        checked.push(Asked { finding: id, ..s });
    }
    let before = steps(&case).len();
    let mut out = std::io::stdout().lock();
    for (n, s) in checked.iter().enumerate() {
        let mut entry = serde_json::json!({
            "command": super::argv(),
            "action": "review",
            "tool": super::tool(),
            "started": started,
            "finished": super::now(),
            "finding": s.finding,
            "examiner": examiner,
            "decision": s.action,
            "item": s.item,
            "text": s.text,
            "why": s.why,
        });
        if let (Some((path, sha)), Some(o)) = (&draft, entry.as_object_mut()) {
            o.insert("draft".into(), serde_json::json!({"path": path, "sha256": sha}));
        }
        case.append_custody(&entry)?;
        let what = s.item.as_deref().or(s.text.as_deref()).unwrap_or("");
        if a.json {
            writeln!(
                out,
                "{}",
                serde_json::json!({"step": before + n + 1, "finding": s.finding, "examiner": examiner, "action": s.action, "item": s.item, "text": s.text, "why": s.why})
            )?;
        } else {
            writeln!(
                out,
                "review step {}: {examiner} {} {what} on {} — {}",
                before + n + 1,
                s.action,
                s.finding,
                s.why
            )?;
        }
    }
    if !a.json {
        writeln!(out, "recorded in custody.jsonl; `waybill analyze` applies the review")?;
    }
    Ok(ExitStatus::Success)
}

fn list(case: &Case, json: bool) -> Result<ExitStatus> {
    let all = steps(case);
    let mut out = std::io::stdout().lock();
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&all)?)?;
        return Ok(ExitStatus::Success);
    }
    if all.is_empty() {
        writeln!(out, "no review steps")?;
    }
    for s in &all {
        let what = s.item.as_deref().or(s.text.as_deref()).unwrap_or("");
        writeln!(out, "{:>3}  {}  {:<6}  {what}  on {}  — {}", s.step, s.examiner, s.action, s.finding, s.why)?;
    }
    Ok(ExitStatus::Success)
}

/// A finding id from an id or a unique prefix of one.
fn resolve(case: &Case, id: &str) -> Result<String> {
    let dir = case.root().join("findings");
    let mut found: Vec<String> = std::fs::read_dir(&dir)
        .with_context(|| format!("{}: no findings (run `waybill analyze` first)", dir.display()))?
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.strip_suffix(".json")).map(str::to_owned))
        .filter(|n| n.starts_with(id))
        .collect();
    found.sort();
    match found.as_slice() {
        [one] => Ok(one.clone()),
        [] => bail!("no finding {id:?} in {}", dir.display()),
        many => bail!("{id:?} names {} findings ({}, …): give more of the id", many.len(), many[0]),
    }
}

/// An item must be a rule of the finding's evidence or an event it shows.
fn check_item(case: &Case, id: &str, item: &str) -> Result<()> {
    let path = case.finding_path(id);
    let f: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).with_context(|| path.display().to_string())?)
            .with_context(|| path.display().to_string())?;
    let rules: Vec<&str> = f["evidence"].as_array().into_iter().flatten().filter_map(|e| e["rule"].as_str()).collect();
    // An item an earlier step already reviewed (a rejected event is no longer
    // in the chain) can be reviewed again.
    let reviewed = f["review"]["items"].as_array().into_iter().flatten().any(|i| i["item"] == item);
    if rules.contains(&item) || reviewed {
        return Ok(());
    }
    if let Some((source, record)) = ReviewStep::event(item) {
        let shown = |v: &serde_json::Value| v["source"] == source && v["record"] == record;
        let in_chain = f["chain"].as_array().into_iter().flatten().any(shown);
        let in_evidence = f["evidence"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|e| e["events"].as_array().into_iter().flatten())
            .any(shown);
        if in_chain || in_evidence {
            return Ok(());
        }
        bail!("finding {id} shows no event {source}:{record} (see its chain)");
    }
    bail!("{item:?} is neither a rule of finding {id}'s evidence ({}) nor an event SOURCE:RECORD", rules.join(", "));
}

/// The steps of a drafted file, and its SHA-256.
fn read_draft(file: &Path) -> Result<(Vec<Asked>, String)> {
    use sha2::Digest as _;
    let bytes = std::fs::read(file).with_context(|| file.display().to_string())?;
    let sha = hex::encode(sha2::Sha256::digest(&bytes));
    let v: serde_json::Value =
        serde_json::from_slice(&bytes).with_context(|| format!("{}: not JSON", file.display()))?;
    if v["schema"] != DRAFT_SCHEMA {
        bail!("{}: schema is {}, expected {DRAFT_SCHEMA}", file.display(), v["schema"]);
    }
    let mut out = Vec::new();
    for (i, s) in v["steps"].as_array().into_iter().flatten().enumerate() {
        let get = |k: &str| s[k].as_str().map(str::to_owned);
        let action = match s["action"].as_str() {
            Some("accept") => "accept",
            Some("reject") => "reject",
            Some("note") => "note",
            other => bail!("{}: step {}: action {other:?} is not accept, reject or note", file.display(), i + 1),
        };
        let finding = get("finding").with_context(|| format!("{}: step {}: no finding", file.display(), i + 1))?;
        let why = get("why").with_context(|| format!("{}: step {}: no why", file.display(), i + 1))?;
        let (item, text) = if action == "note" { (None, get("text").or(get("item"))) } else { (get("item"), None) };
        if action != "note" && item.is_none() || action == "note" && text.is_none() {
            bail!(
                "{}: step {}: {action} needs {}",
                file.display(),
                i + 1,
                if action == "note" { "text" } else { "item" }
            );
        }
        out.push(Asked { finding, action, item, text, why });
    }
    if out.is_empty() {
        bail!("{}: no steps", file.display());
    }
    Ok((out, sha))
}

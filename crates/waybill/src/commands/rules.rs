//! `waybill rules`: the rulebook in use, its dependency groups, the facts the
//! engine derives for rules (`ctx.*`) and the rulebook's SHA-256.

use std::io::Write as _;

use anyhow::Result;
use waybill_reason::Rulebook;
use waybill_reason::rule::{CTX_FACTS, GROUPS};

use crate::args::RulesArgs;
use crate::exit::ExitStatus;

/// Lists the rules.
pub fn run(a: &RulesArgs) -> Result<ExitStatus> {
    let book = match &a.rulebook {
        Some(dir) => Rulebook::load_dir(dir)?,
        None => Rulebook::embedded()?,
    };
    let mut out = std::io::stdout().lock();
    if a.json {
        let doc = serde_json::json!({
            "sha256": book.sha256,
            "groups": GROUPS.iter().map(|(g, f)| serde_json::json!({"group": g, "fact": f})).collect::<Vec<_>>(),
            "ctx": CTX_FACTS.iter().map(|(n, m)| serde_json::json!({"fact": n, "meaning": m})).collect::<Vec<_>>(),
            "rules": book.rules.iter().map(|r| serde_json::json!({
                "id": r.id,
                "group": r.group,
                "log10_lr": r.log10_lr,
                "range": r.range,
                "description": r.description,
                "rationale": r.rationale,
                "alternatives": r.alternatives,
                "references": r.references,
                "unless": r.unless,
                "conclusive": r.conclusive,
                "needs": r.decides.needs,
            })).collect::<Vec<_>>(),
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
        return Ok(ExitStatus::Success);
    }
    writeln!(out, "rulebook {} ({} rules)", book.sha256, book.rules.len())?;
    for (g, fact) in GROUPS {
        writeln!(out, "\n{g}: {fact}")?;
        for r in book.rules.iter().filter(|r| r.group == *g) {
            writeln!(
                out,
                "  {:<40} {:+.1} [{:+.1}, {:+.1}]  {}",
                r.id, r.log10_lr, r.range[0], r.range[1], r.description
            )?;
        }
    }
    Ok(ExitStatus::Success)
}

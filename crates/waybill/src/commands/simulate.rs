//! `waybill simulate`: a synthetic evidence bundle with known ground truth.

use std::io::Write as _;

use anyhow::{Result, bail};
use waybill_sim::{Spec, list, simulate};

use crate::args::SimulateArgs;
use crate::exit::ExitStatus;

/// Writes the bundle (or lists the scenarios).
pub fn run(a: &SimulateArgs) -> Result<ExitStatus> {
    let mut out = std::io::stdout().lock();
    if a.list {
        for (name, group, about) in list() {
            writeln!(out, "{name:<22} {group:<11} {about}")?;
        }
        return Ok(ExitStatus::Success);
    }
    let Some(dir) = &a.out else { bail!("give the bundle folder to write (or --list)") };
    let files = a.files.unwrap_or(if a.scenario == "mixed" { waybill_sim::mixed_names().len() } else { 1 });
    let spec = Spec { scenario: a.scenario.clone(), seed: a.seed, noise: a.noise, files };
    let summary = simulate(dir, &spec)?;
    if a.json {
        let doc = serde_json::json!({"bundle": dir.display().to_string(), "plan": summary.plan, "truth": summary.truth, "log_lines": summary.log_lines});
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
        return Ok(ExitStatus::Success);
    }
    let contents: std::collections::BTreeSet<&str> = summary.truth.files.iter().map(|f| f.sha256.as_str()).collect();
    writeln!(
        out,
        "wrote {} ({} inputs, {} server log lines, {} copies of {} files of interest)",
        dir.display(),
        summary.plan.inputs.len(),
        summary.log_lines,
        summary.truth.files.len(),
        contents.len()
    )?;
    for f in &summary.truth.files {
        writeln!(
            out,
            "  {}  {:<22}  {:<14}  {:<12}  {}",
            &f.sha256[..12],
            f.scenario,
            f.truth.as_str(),
            f.device,
            f.location
        )?;
    }
    writeln!(out, "truth: {}", dir.join("truth.json").display())?;
    Ok(ExitStatus::Success)
}

//! `waybill case new`.

use std::io::Write as _;

use anyhow::{Context as _, Result};
use waybill_ingest::Zone;
use waybill_model::Subject;
use waybill_store::{Case, CaseConfig, CaseMeta};

use crate::args::CaseNewArgs;
use crate::exit::ExitStatus;

/// Creates a case folder.
pub fn new(a: &CaseNewArgs) -> Result<ExitStatus> {
    let started = super::now();
    let from: Option<CaseConfig> = match &a.from {
        Some(p) => {
            let text = std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            Some(toml::from_str(&text).with_context(|| format!("{} is not a case.toml", p.display()))?)
        }
        None => None,
    };
    let mut subjects = from.as_ref().map(|c| c.subjects.clone()).unwrap_or_default();
    for s in &a.subjects {
        subjects.push(s.parse::<Subject>().context("--subject")?);
    }
    subjects.sort();
    subjects.dedup();
    let tz = a.tz.as_deref().or(from.as_ref().map(|c| c.case.tz.as_str())).unwrap_or("UTC");
    let tz: Zone = tz.parse().context("--tz")?;
    let examiner = a.examiner.clone().or_else(|| from.as_ref().and_then(|c| c.case.examiner.clone()));
    let name = a.case.file_name().map_or_else(|| a.case.display().to_string(), |n| n.to_string_lossy().into_owned());
    let config =
        CaseConfig { case: CaseMeta { name, examiner, tz: tz.to_string(), created_by: super::tool() }, subjects };
    let mut case = Case::create(&a.case, &config)?;
    case.append_custody(&serde_json::json!({
        "command": super::argv(),
        "action": "case.new",
        "tool": super::tool(),
        "started": started,
        "finished": super::now(),
    }))?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "created case {} ({} subjects, zone {})", a.case.display(), config.subjects.len(), config.case.tz)?;
    Ok(ExitStatus::Success)
}

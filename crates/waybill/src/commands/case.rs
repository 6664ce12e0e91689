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
    let subjects =
        a.subjects.iter().map(|s| s.parse::<Subject>()).collect::<Result<Vec<_>, _>>().context("--subject")?;
    let tz: Zone = a.tz.parse().context("--tz")?;
    let name = a.case.file_name().map_or_else(|| a.case.display().to_string(), |n| n.to_string_lossy().into_owned());
    let config = CaseConfig {
        case: CaseMeta { name, examiner: a.examiner.clone(), tz: tz.to_string(), created_by: super::tool() },
        subjects,
    };
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

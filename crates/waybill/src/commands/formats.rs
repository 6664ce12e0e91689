//! `waybill formats`.

use std::io::Write as _;

use anyhow::Result;
use waybill_ingest::{InputKind, SOURCES};

use crate::args::FormatsArgs;
use crate::exit::ExitStatus;

/// Lists the registered sources.
pub fn run(a: &FormatsArgs) -> Result<ExitStatus> {
    let mut out = std::io::stdout().lock();
    let width = SOURCES.iter().map(|s| s.id().len()).max().unwrap_or(0);
    for s in SOURCES {
        let kind = match s.input_kind() {
            InputKind::Text => "text",
            InputKind::Sqlite => "sqlite",
        };
        if a.json {
            let v = serde_json::json!({"id": s.id(), "version": s.version(), "input": kind, "description": s.description()});
            writeln!(out, "{v}")?;
        } else {
            writeln!(out, "{:width$}  {}", s.id(), s.description())?;
        }
    }
    Ok(ExitStatus::Success)
}

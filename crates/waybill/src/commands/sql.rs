//! `waybill sql`.

use std::io::Write as _;

use anyhow::Result;
use waybill_store::Case;

use crate::args::{SqlArgs, SqlFormat};
use crate::exit::ExitStatus;
use crate::printer;

/// Runs SQL over a case.
pub fn run(a: &SqlArgs) -> Result<ExitStatus> {
    let case = Case::open(&a.case)?;
    let q = super::query(&case, a.cluster.as_deref())?;
    let stdout = std::io::stdout();
    match a.format {
        SqlFormat::Table => {
            let (schema, batches) = q.sql(&a.query)?;
            printer::table(&mut stdout.lock(), &batches, &schema)?;
        }
        SqlFormat::Csv => {
            let mut csv = printer::CsvOut::new(stdout.lock());
            let mut err = None;
            q.sql_each(&a.query, |b| match csv.write(b) {
                Ok(()) => Ok(true),
                Err(e) => {
                    err = Some(e);
                    Ok(false)
                }
            })?;
            if let Some(e) = err {
                return Err(e);
            }
        }
        SqlFormat::Json => {
            let mut out = stdout.lock();
            let mut err = None;
            q.sql_each(&a.query, |b| match printer::json_lines(&mut out, b) {
                Ok(()) => Ok(true),
                Err(e) => {
                    err = Some(e);
                    Ok(false)
                }
            })?;
            if let Some(e) = err {
                return Err(e);
            }
            out.flush()?;
        }
    }
    Ok(ExitStatus::Success)
}

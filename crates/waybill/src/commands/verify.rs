//! `waybill verify`: is the case what its trail says it is? The checks and
//! the replay of the custody log live in `waybill_verify`; this command runs
//! each replayed step with this same executable and prints the report.
//!
//! Exit 0 when everything holds and everything was re-derived; 1 when
//! anything differs (each difference named); 3 when nothing differs but not
//! everything could be re-derived (evidence unreachable, another rulebook, a
//! step still pending: each reason named); 2 when the check could not run.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use waybill_verify::{IngestMode, Options, Rederive, Status, Step};

use crate::args::VerifyArgs;
use crate::exit::ExitStatus;

/// Runs the checks.
pub fn run(a: &VerifyArgs) -> Result<ExitStatus> {
    let embedded = waybill_reason::Rulebook::embedded()?.sha256;
    let opts = Options {
        evidence_root: a.evidence_root.as_deref(),
        trusted_key: a.trusted_key.as_deref(),
        rulebook_sha256: &embedded,
    };
    let exe = std::env::current_exe().context("locating the waybill executable")?;
    let mut runner = SelfRunner { exe };
    let report = waybill_verify::verify(&a.case, &opts, &mut runner)?;
    let mut out = std::io::stdout().lock();
    if a.json {
        let doc = serde_json::json!({
            "status": report.status.as_str(),
            "ok": report.status == Status::Verified,
            "differences": report.differences,
            "not_rederived": report.not_rederived,
            "notes": report.notes,
            "inputs": report.inputs,
            "seals_checked_against_trusted_key": report.trusted_key,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
    } else {
        for d in &report.differences {
            writeln!(out, "DIFFERS  {d}")?;
        }
        for p in &report.not_rederived {
            writeln!(out, "partial  {p}")?;
        }
        for n in &report.notes {
            writeln!(out, "note     {n}")?;
        }
        if !report.trusted_key && report.sealed {
            writeln!(
                out,
                "note     without --trusted-key a seal proves only that the chains were not changed after sealing by someone without a key: anyone can make a new key and seal again"
            )?;
        }
        let head = match report.status {
            Status::Verified => "verified",
            Status::Partial => "PARTIAL (nothing differs, but not everything was re-derived)",
            Status::Differs => "NOT verified",
        };
        writeln!(
            out,
            "{head}: {} inputs, chains {}, {} difference(s)",
            report.inputs,
            if report.chains_intact { "intact" } else { "broken" },
            report.differences.len()
        )?;
    }
    Ok(match report.status {
        Status::Verified => ExitStatus::Success,
        Status::Partial => ExitStatus::Partial,
        Status::Differs => ExitStatus::No,
    })
}

/// Runs each replayed step as a command of this executable.
struct SelfRunner {
    exe: PathBuf,
}

impl Rederive for SelfRunner {
    fn run(&mut self, step: &Step) -> Result<(), String> {
        super::run_self(&self.exe, &args_of(step)).map(|_| ()).map_err(|e| format!("{e:#}"))
    }
}

/// The command line of a step.
fn args_of(step: &Step) -> Vec<String> {
    let sh = |p: &Path| p.display().to_string();
    match step {
        Step::NewCase { case, from } => vec!["case".into(), "new".into(), sh(case), "--from".into(), sh(from)],
        Step::Ingest { case, mode, paths, device, clock, tz, log_format, format } => {
            let mut args = vec!["ingest".to_owned(), sh(case)];
            match mode {
                IngestMode::Paths => {}
                IngestMode::Files => args.push("--files".into()),
                IngestMode::Entries => args.push("--entries".into()),
            }
            args.extend(paths.iter().map(|p| sh(p)));
            if let Some(d) = device {
                args.extend(["--device".into(), d.clone()]);
            }
            if let Some(c) = clock {
                args.extend(["--clock".into(), c.clone()]);
            }
            args.extend(["--tz".into(), tz.clone()]);
            if let Some(f) = log_format {
                args.extend(["--log-format".into(), f.clone()]);
            }
            if let Some(f) = format {
                args.extend(["--format".into(), f.clone()]);
            }
            args
        }
        Step::Match { case, sets, pdq_distance, pdq_any_quality } => {
            let mut args = vec!["match".to_owned(), sh(case)];
            for set in sets {
                args.extend(["--hashset".into(), set.clone()]);
            }
            if let Some(d) = pdq_distance {
                args.extend(["--pdq-distance".into(), d.to_string()]);
            }
            if *pdq_any_quality {
                args.push("--pdq-any-quality".into());
            }
            args
        }
        Step::Analyze { case, file } => {
            let mut args = vec!["analyze".to_owned(), sh(case)];
            if let Some(f) = file {
                args.extend(["--file".into(), f.clone()]);
            }
            args
        }
        // `--name=value`: a note or a reason that starts with `-` stays a value.
        Step::Review { case, finding, examiner, action, what, why } => vec![
            "review".into(),
            sh(case),
            format!("--finding={finding}"),
            format!("--{action}={what}"),
            format!("--why={why}"),
            format!("--examiner={examiner}"),
        ],
    }
}

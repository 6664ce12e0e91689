//! One module per subcommand.

mod analyze;
mod case;
mod cluster;
mod demo;
mod export;
mod formats;
mod hash;
mod ingest;
mod matching;
mod report;
pub mod review;
mod rules;
mod simulate;
mod sql;
mod timeline;
mod verify;

use anyhow::Result;

use crate::args::{CaseCommand, Cli, ClusterCommand, Command};
use crate::exit::ExitStatus;

/// Runs the command.
pub fn run(cli: Cli) -> Result<ExitStatus> {
    match cli.command {
        Command::Case(CaseCommand::New(a)) => case::new(&a),
        Command::Case(CaseCommand::Seal(a)) => case::seal(&a),
        Command::Case(CaseCommand::Keygen(a)) => case::keygen(&a),
        Command::Ingest(a) => ingest::run(&a),
        Command::Formats(a) => formats::run(&a),
        Command::Rules(a) => rules::run(&a),
        Command::Sql(a) => sql::run(&a),
        Command::Timeline(a) => timeline::run(&a),
        Command::Export(a) => export::run(&a),
        Command::Hash(a) => hash::run(&a),
        Command::Match(a) => matching::run(&a),
        Command::Analyze(a) => analyze::run(&a),
        Command::Report(a) => report::run(&a),
        Command::Review(a) => review::run(&a),
        Command::Verify(a) => verify::run(&a),
        Command::Simulate(a) => simulate::run(&a),
        Command::Demo(a) => demo::run(&a),
        Command::Cluster(ClusterCommand::Scheduler(a)) => cluster::scheduler(&a),
        Command::Cluster(ClusterCommand::Executor(a)) => cluster::executor(&a),
    }
}

/// The case's query session: local, or on the Ballista cluster at `cluster`.
pub fn query(case: &waybill_store::Case, cluster: Option<&str>) -> Result<waybill_store::query::Query> {
    match cluster {
        None => Ok(waybill_store::query::Query::open(case)?),
        Some(url) => cluster::query(case, url),
    }
}

/// The command line as run, for the custody log.
pub fn argv() -> Vec<String> {
    std::env::args_os().map(|a| a.to_string_lossy().into_owned()).collect()
}

/// The tool name and version, for the custody log.
pub fn tool() -> String {
    format!("waybill {}", env!("CARGO_PKG_VERSION"))
}

/// Wall-clock time for the custody log (never in results).
pub fn now() -> String {
    let us = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX));
    waybill_model::Timestamp::from_unix_micros(us).map_or_else(|_| String::new(), |t| t.to_string())
}

/// Runs this executable with `args` (the demo and `verify` run each step as a
/// user would); its standard output, or an error with its standard error.
pub fn run_self(exe: &std::path::Path, args: &[String]) -> Result<String> {
    let o = std::process::Command::new(exe)
        .args(args)
        .output()
        .map_err(|e| anyhow::anyhow!("running {}: {e}", exe.display()))?;
    if !o.status.success() {
        anyhow::bail!("waybill {} failed:\n{}", args.join(" "), String::from_utf8_lossy(&o.stderr).trim());
    }
    Ok(String::from_utf8_lossy(&o.stdout).into_owned())
}

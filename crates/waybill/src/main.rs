//! The `waybill` command line. Thin: parsing, printing and exit codes; the work
//! is done by the library crates.

mod args;
mod commands;
mod exit;
mod printer;
mod reporters;

use clap::Parser as _;

fn main() -> std::process::ExitCode {
    exit::install_panic_hook();
    let cli = args::Cli::parse();
    let status = match commands::run(cli) {
        Ok(status) => status,
        Err(err) => exit::report_error(&err),
    };
    status.into()
}

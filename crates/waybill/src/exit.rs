//! Exit statuses, decided only here and in `main`.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | done |
//! | 1 | done, and the answer is "no" (e.g. `verify` found a difference) |
//! | 2 | could not complete (usage, unreadable evidence, I/O, internal error) |
//! | 3 | done, nothing differs, but not all of it could be checked (`verify`: not everything re-derived) |
//! | 130 | interrupted |
//!
//! A broken pipe (output piped into `head`) counts as success.

use std::io::Write as _;

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Done.
    Success,
    /// Done; the answer is "no".
    No,
    /// Could not complete (some or all of the work).
    Failure,
    /// Done; nothing differs, but not all of it could be checked.
    Partial,
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(s: ExitStatus) -> Self {
        match s {
            ExitStatus::Success => Self::from(0),
            ExitStatus::No => Self::from(1),
            ExitStatus::Failure => Self::from(2),
            ExitStatus::Partial => Self::from(3),
        }
    }
}

/// Prints an error chain and decides its status.
pub fn report_error(err: &anyhow::Error) -> ExitStatus {
    if err
        .chain()
        .any(|c| c.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe))
    {
        return ExitStatus::Success;
    }
    let mut stderr = std::io::stderr().lock();
    let _ = write!(stderr, "error: {err}");
    for cause in err.chain().skip(1) {
        let _ = write!(stderr, ": {cause}");
    }
    let _ = writeln!(stderr);
    ExitStatus::Failure
}

/// A panic is a bug: say so, and ask for a report.
pub fn install_panic_hook() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        default(info);
        let _ = writeln!(
            std::io::stderr(),
            "\nwaybill {} crashed: this is a bug. Please report it with the command line and the message above.",
            env!("CARGO_PKG_VERSION")
        );
    }));
}

//! How far a sequential parse has got, for the progress bar.
//!
//! A line format is read in chunks by the driver, which reports each chunk.
//! The other inputs are read by their source in one call: an SQLite
//! database row by row, an EVTX file chunk by chunk, a JSON document or a
//! small text file through [`crate::Input`]. They record their position here
//! (atomics, cheap enough per row) and a watcher thread of the driver turns
//! it into bytes for the [`crate::Reporter`] while the parse runs.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use crate::driver::Reporter;

/// A position in units the reader chose (bytes, rows, chunks) out of a total
/// that may grow as the reader meets more (another table's rows).
#[derive(Debug, Default)]
pub struct Progress {
    done: AtomicU64,
    total: AtomicU64,
}

impl Progress {
    /// Sets the position and the total.
    pub fn set(&self, done: u64, total: u64) {
        self.total.store(total, Ordering::Relaxed);
        self.done.store(done, Ordering::Relaxed);
    }

    /// Adds `n` to the total (the next table's rows).
    pub fn add_total(&self, n: u64) {
        self.total.fetch_add(n, Ordering::Relaxed);
    }

    /// Moves the position on by `n`.
    pub fn advance(&self, n: u64) {
        self.done.fetch_add(n, Ordering::Relaxed);
    }

    /// The position and the total.
    pub fn get(&self) -> (u64, u64) {
        (self.done.load(Ordering::Relaxed), self.total.load(Ordering::Relaxed))
    }

    /// The share done, in `[0, 1]`; `None` before a total is known.
    pub fn fraction(&self) -> Option<f64> {
        let (done, total) = self.get();
        #[allow(clippy::cast_precision_loss, reason = "a bar's position")]
        (total > 0).then(|| (done.min(total) as f64) / (total as f64))
    }
}

/// How often the watcher reads the position.
const TICK: Duration = Duration::from_millis(100);

/// Runs `parse` while a watcher reports `progress` to `reporter` as bytes of
/// an input of `size` bytes (never moving back). Without a live reporter (a
/// pipe, a test) no thread is started.
pub fn watch<R>(reporter: &dyn Reporter, size: u64, progress: &Progress, parse: impl FnOnce() -> R) -> R {
    if !reporter.live() {
        return parse();
    }
    let stop = AtomicBool::new(false);
    /// Stops the watcher however the parse ends (a panic included: the scope
    /// would otherwise wait for it forever).
    struct Stop<'a>(&'a AtomicBool, Option<std::thread::Thread>);
    impl Drop for Stop<'_> {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Relaxed);
            if let Some(t) = &self.1 {
                t.unpark();
            }
        }
    }
    std::thread::scope(|s| {
        let watcher = s.spawn(|| {
            let mut shown = 0u64;
            while !stop.load(Ordering::Relaxed) {
                std::thread::park_timeout(TICK);
                if let Some(f) = progress.fraction() {
                    #[allow(
                        clippy::cast_possible_truncation,
                        clippy::cast_sign_loss,
                        clippy::cast_precision_loss,
                        reason = "a bar's position, in [0, size]"
                    )]
                    let at = ((size as f64) * f) as u64;
                    if at > shown {
                        shown = at;
                        reporter.read(at);
                    }
                }
            }
        });
        let _stop = Stop(&stop, Some(watcher.thread().clone()));
        parse()
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// A drawn bar that records the positions it was given.
    struct Seen(Mutex<Vec<u64>>);

    impl Reporter for Seen {
        fn read(&self, raw_bytes: u64) {
            self.0.lock().unwrap().push(raw_bytes);
        }

        fn live(&self) -> bool {
            true
        }
    }

    #[test]
    fn the_watcher_reports_positions_while_the_parse_runs() {
        let seen = Seen(Mutex::new(Vec::new()));
        let p = Progress::default();
        let r = watch(&seen, 1000, &p, || {
            p.set(1, 4);
            std::thread::sleep(TICK * 4);
            p.set(3, 4);
            std::thread::sleep(TICK * 4);
            p.set(2, 4); // never moves back
            std::thread::sleep(TICK * 4);
            7
        });
        assert_eq!(r, 7);
        assert_eq!(*seen.0.lock().unwrap(), [250, 750]);
    }

    #[test]
    fn a_parse_that_panics_does_not_leave_the_watcher_waiting() {
        let seen = Seen(Mutex::new(Vec::new()));
        let p = Progress::default();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            watch(&seen, 10, &p, || -> u8 { panic!("a source bug") })
        }));
        assert!(r.is_err(), "the panic comes through, and the call returns");
    }

    #[test]
    fn the_fraction_is_bounded_and_waits_for_a_total() {
        let p = Progress::default();
        assert_eq!(p.fraction(), None);
        p.add_total(4);
        p.advance(1);
        assert_eq!(p.fraction(), Some(0.25));
        p.advance(9);
        assert_eq!(p.fraction(), Some(1.0));
        p.set(3, 12);
        assert_eq!((p.get(), p.fraction()), ((3, 12), Some(0.25)));
    }
}

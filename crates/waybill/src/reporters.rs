//! Progress bars (indicatif): drawn on a terminal, silent when piped.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use waybill_ingest::Reporter;

/// A byte progress bar for one input.
pub struct InputProgress {
    bar: ProgressBar,
}

impl InputProgress {
    /// A bar for an input of `size` bytes, labelled with its name.
    pub fn new(size: u64, label: &str) -> Self {
        let bar = ProgressBar::with_draw_target(Some(size), ProgressDrawTarget::stderr());
        if let Ok(style) =
            ProgressStyle::with_template("{msg:30!} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(label.to_owned());
        Self { bar }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Reporter for InputProgress {
    fn read(&self, raw_bytes: u64) {
        self.bar.set_position(raw_bytes);
    }

    fn live(&self) -> bool {
        !self.bar.is_hidden()
    }
}

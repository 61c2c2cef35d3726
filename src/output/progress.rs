//! The progress bar on stderr, while the body goes to a file or a pipe.

use std::io::{self, Write};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::interrupt;

#[derive(Default)]
pub struct Progress(Option<ProgressBar>);

impl Progress {
    pub fn shown() -> Progress {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(style("{spinner} {bytes} {binary_bytes_per_sec} {elapsed}"));
        interrupt::set_progress_shown(true);
        Progress(Some(bar))
    }

    /// Once the head has said how long the body is, the bar shows percent and ETA.
    pub fn set_length(&self, length: u64) {
        if let Some(bar) = &self.0 {
            bar.set_length(length);
            bar.set_style(style(
                "{bytes}/{total_bytes} [{bar:30}] {percent}% {binary_bytes_per_sec} ETA {eta}",
            ));
        }
    }

    pub fn add(&self, bytes: u64) {
        if let Some(bar) = &self.0 {
            bar.inc(bytes);
        }
    }

    pub fn reset(&self) {
        if let Some(bar) = &self.0 {
            bar.reset();
        }
    }

    /// Leaves the bar's last state on screen and ends its line, which indicatif
    /// does not, so that what follows (an error, the prompt) starts on its own line.
    pub fn end(&self, complete: bool) {
        if let Some(bar) = &self.0 {
            if complete {
                bar.finish();
            } else {
                bar.abandon();
            }
            let _ = writeln!(io::stderr());
            interrupt::set_progress_shown(false);
        }
    }
}

/// Our templates are constants that parse; the fallback only keeps this panic-free.
fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

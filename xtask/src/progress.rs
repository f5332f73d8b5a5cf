//! Progress: a bar with iteration, loss and ETA on a terminal; a few plain lines otherwise.

use indicatif::{ProgressBar, ProgressStyle};

/// Reports the progress of one run.
pub struct Progress {
    bar: Option<ProgressBar>,
    label: String,
    total: usize,
    next_line: usize,
}

impl Progress {
    /// Starts reporting a run of `total` steps.
    pub fn new(label: &str, total: usize, interactive: bool) -> Self {
        let bar = interactive.then(|| {
            let bar = ProgressBar::new(total as u64);
            let style =
                ProgressStyle::with_template("{prefix:>28} [{bar:30}] {pos}/{len} {msg} ETA {eta}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> ");
            bar.set_style(style);
            bar.set_prefix(label.to_string());
            bar
        });
        Progress {
            bar,
            label: label.to_string(),
            total,
            next_line: 0,
        }
    }

    /// Records that `step` steps are done, with the current loss.
    pub fn update(&mut self, step: usize, loss: f64) {
        match &self.bar {
            Some(bar) => {
                bar.set_position(step as u64);
                bar.set_message(format!("loss {loss:.4}"));
            }
            None => {
                if step >= self.next_line {
                    println!(
                        "  {:<28} {step:>6}/{} loss {loss:.4}",
                        self.label, self.total
                    );
                    self.next_line = step + self.total.div_ceil(4).max(1);
                }
            }
        }
    }

    /// Ends the run's report.
    pub fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}

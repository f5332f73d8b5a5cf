//! The options of one `reproduce` invocation, shared by every experiment it runs.

use std::path::PathBuf;

/// Options every experiment sees.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Context {
    /// Small scale, for CI: fewer iterations and samples.
    pub quick: bool,
    /// The seed of every random draw.
    pub seed: u64,
    /// Where results go (`results/`).
    pub out_dir: PathBuf,
    /// Threads for the numeric kernels.
    pub threads: usize,
    /// Where to look for data first.
    pub data_dir: Option<PathBuf>,
    /// The dataset to use where more than one fits.
    pub dataset: Option<String>,
    /// Replay the notes' code errors.
    pub as_notebook: bool,
    /// `deep-conv-net`: train on all 60,000 images.
    pub full: bool,
    /// Draw progress bars (a terminal) or print plain lines.
    pub interactive: bool,
}

impl Context {
    /// Scales an iteration count down in quick mode.
    pub fn iterations(&self, full: usize) -> usize {
        if self.quick {
            (full / 10).max(20)
        } else {
            full
        }
    }

    /// Scales a sample count down in quick mode.
    pub fn samples(&self, full: Option<usize>, quick: usize) -> Option<usize> {
        if self.quick {
            Some(full.map_or(quick, |f| f.min(quick)))
        } else {
            full
        }
    }
}

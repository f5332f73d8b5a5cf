//! The options of one `reproduce` invocation, shared by every experiment it runs.

use std::path::PathBuf;

/// Options every experiment sees.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Context {
    /// Small scale, for CI: fewer iterations and samples.
    pub quick: bool,
    /// The seed of every random draw (with `--seeds`, the seed of the run at hand).
    pub seed: u64,
    /// The seeds each experiment runs with: `--seeds`, else `[seed]`.
    #[serde(default)]
    pub seeds: Vec<u64>,
    /// Whether `--seeds` was given: curves gain a seed column, summaries statistics over seeds,
    /// verdicts a count of seeds, figures bands.
    #[serde(default)]
    pub multi_seed: bool,
    /// Where results go (`results/`).
    #[serde(serialize_with = "crate::place::serialize")]
    pub out_dir: PathBuf,
    /// Threads for the numeric kernels.
    pub threads: usize,
    /// Where to look for data first.
    #[serde(serialize_with = "crate::place::serialize_opt")]
    pub data_dir: Option<PathBuf>,
    /// The dataset to use where more than one fits.
    pub dataset: Option<String>,
    /// Accept MNIST or Fashion-MNIST files other than the published ones (hand-made data).
    pub allow_noncanonical_data: bool,
    /// Replay the notes' code errors.
    pub as_notebook: bool,
    /// `deep-conv-net`: train on all 60,000 images.
    pub full: bool,
    /// Iterations (or epochs) per run, replacing the experiment's schedule.
    pub iterations: Option<usize>,
    /// A learning rate for every run, replacing the experiment's.
    pub learning_rate: Option<f64>,
    /// Draw progress bars (a terminal) or print plain lines.
    pub interactive: bool,
    /// Worker processes that share the work (`--jobs`); not part of a result's settings.
    #[serde(skip)]
    pub jobs: usize,
    /// Do only this slice of the work (`--shard I/N`).
    #[serde(skip)]
    pub shard: Option<crate::shard::Shard>,
    /// Print a line `@done <experiment> <seed> <run>` after each finished item (for `--jobs`).
    #[serde(skip)]
    pub report_items: bool,
}

impl Context {
    /// The iterations of a run whose full schedule is `full`: `--iterations` if given, else
    /// `full`, scaled down in quick mode.
    pub fn iterations_for(&self, full: usize) -> usize {
        if let Some(n) = self.iterations {
            n
        } else if self.quick {
            (full / 10).max(20)
        } else {
            full
        }
    }

    /// The epochs of a run whose full schedule is `full`: `--iterations` if given, else `full`
    /// (2 in quick mode).
    pub fn epochs_for(&self, full: usize) -> usize {
        match self.iterations {
            Some(n) => n,
            None if self.quick => full.min(2),
            None => full,
        }
    }

    /// The optimizer of a run: the experiment's, with `--learning-rate` if given.
    pub fn optimizer(&self, declared: dl_models::OptimizerKind) -> dl_models::OptimizerKind {
        match self.learning_rate {
            Some(lr) => declared.with_lr(lr),
            None => declared,
        }
    }

    /// The flags that changed the schedule (` --quick --iterations 30`), for reports.
    pub fn schedule_flags(&self) -> String {
        let mut flags = String::new();
        if self.quick {
            flags.push_str(" --quick");
        }
        if self.full {
            flags.push_str(" --full");
        }
        if self.multi_seed {
            flags.push_str(&format!(" --seeds {}", self.seeds_flag()));
        }
        if let Some(n) = self.iterations {
            flags.push_str(&format!(" --iterations {n}"));
        }
        if let Some(lr) = self.learning_rate {
            flags.push_str(&format!(" --learning-rate {lr}"));
        }
        if self.as_notebook {
            flags.push_str(" --as-notebook");
        }
        flags
    }

    /// The seeds as `--seeds` would take them: `10` for 0 to 9, else a list.
    pub fn seeds_flag(&self) -> String {
        let counted = self.seeds.iter().enumerate().all(|(i, &s)| s == i as u64);
        if counted {
            self.seeds.len().to_string()
        } else {
            let list: Vec<String> = self.seeds.iter().map(u64::to_string).collect();
            list.join(",")
        }
    }

    /// The same options with `seed` as the seed of every random draw.
    pub fn with_seed(&self, seed: u64) -> Context {
        Context {
            seed,
            ..self.clone()
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

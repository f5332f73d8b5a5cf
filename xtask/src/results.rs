//! What runs produce: curves, summaries and verdicts.

use serde::Serialize;

use crate::spec::Verdict;

/// One recorded point of a run: the library's training-loop history point.
pub use dl_models::Point;

/// The result of one run.
#[derive(Clone, Debug, Serialize)]
pub struct RunResult {
    /// Legend label.
    pub label: String,
    /// Every setting of the run.
    pub settings: serde_json::Value,
    /// The recorded points.
    pub curve: Vec<Point>,
    /// Wall time of the run in seconds.
    pub wall_seconds: f64,
    /// Trainable parameters.
    pub parameters: usize,
}

impl RunResult {
    /// The last recorded point.
    pub fn last(&self) -> &Point {
        self.curve.last().expect("a run records at least one point")
    }
    /// Final test accuracy.
    pub fn final_test(&self) -> f64 {
        self.last().test_acc
    }
    /// Final train accuracy.
    pub fn final_train(&self) -> f64 {
        self.last().train_acc
    }
    /// Best test accuracy over the run.
    pub fn best_test(&self) -> f64 {
        self.curve.iter().map(|p| p.test_acc).fold(0.0, f64::max)
    }
    /// Mean test accuracy over the last `k` points (smooths the noise of one evaluation).
    pub fn tail_test(&self, k: usize) -> f64 {
        let tail = &self.curve[self.curve.len().saturating_sub(k)..];
        tail.iter().map(|p| p.test_acc).sum::<f64>() / tail.len() as f64
    }
    /// Mean train accuracy over the last `k` points.
    pub fn tail_train(&self, k: usize) -> f64 {
        let tail = &self.curve[self.curve.len().saturating_sub(k)..];
        tail.iter().map(|p| p.train_acc).sum::<f64>() / tail.len() as f64
    }
    /// Lowest validation loss over the run.
    pub fn best_val_loss(&self) -> f64 {
        self.curve
            .iter()
            .filter_map(|p| p.val_loss)
            .fold(f64::INFINITY, f64::min)
    }
    /// Final validation loss.
    pub fn final_val_loss(&self) -> f64 {
        self.last().val_loss.unwrap_or(f64::NAN)
    }
}

/// A checked claim.
#[derive(Clone, Debug, Serialize)]
pub struct CheckResult {
    /// The claim.
    pub claim: String,
    /// Its verdict.
    pub verdict: Verdict,
}

/// Everything an experiment produced.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Outcome {
    /// The runs.
    pub runs: Vec<RunResult>,
    /// The checks.
    pub checks: Vec<CheckResult>,
    /// Free text printed and reported (shapes, quiz answers, dataset notes).
    pub notes: Vec<String>,
    /// Figures written, relative to the experiment's folder.
    pub figures: Vec<String>,
    /// The data the runs trained on, when they did.
    pub data: Option<crate::data::DataRecord>,
}

//! The experiments of the notes: each one's runs and the checks a comparison can say are in a
//! file of `xtask/experiments/`, embedded; here is what a file cannot say.

mod alexnet;
mod batch_norm;
mod convnets;
mod gradient_vanishing;
mod keras;
mod optimizers;
mod overfitting;
mod quiz;

use crate::results::RunResult;
use crate::spec::Experiment;

/// The experiment of a file in `xtask/experiments/`, embedded in the binary.
macro_rules! embedded {
    ($file:literal) => {
        crate::experiment_file::embedded($file, include_str!(concat!("../../experiments/", $file)))
    };
}
use embedded;

/// Every experiment, in the notes' order. `full` selects DeepConvNet's full-data schedule.
pub fn all_with(full: bool) -> Vec<Experiment> {
    vec![
        gradient_vanishing::experiment(),
        batch_norm::experiment(),
        optimizers::experiment(),
        overfitting::experiment(),
        convnets::simple(),
        convnets::double(),
        convnets::deep(full),
        alexnet::experiment(),
        keras::regularization(),
        keras::dropout(),
        keras::normalization(),
        quiz::experiment(),
    ]
}

/// Every experiment at the notes' settings.
pub fn all() -> Vec<Experiment> {
    all_with(false)
}

/// The recorded point closest to `step` (at or before it when possible).
fn point_at(r: &RunResult, step: usize) -> &crate::results::Point {
    r.curve
        .iter()
        .rev()
        .find(|p| p.step <= step)
        .unwrap_or(&r.curve[0])
}

/// Test accuracy at (or just before) iteration `step`.
pub fn acc_at(r: &RunResult, step: usize) -> f64 {
    point_at(r, step).test_acc
}

/// Train accuracy at (or just before) iteration `step`.
pub fn train_at(r: &RunResult, step: usize) -> f64 {
    point_at(r, step).train_acc
}

/// Mean absolute change of test accuracy between evaluations over the second half of a run.
pub fn jitter(r: &RunResult) -> f64 {
    let half = &r.curve[r.curve.len() / 2..];
    if half.len() < 2 {
        return 0.0;
    }
    half.windows(2)
        .map(|w| (w[1].test_acc - w[0].test_acc).abs())
        .sum::<f64>()
        / (half.len() - 1) as f64
}

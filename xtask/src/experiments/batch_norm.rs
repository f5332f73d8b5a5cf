//! 2_3 Batch normalization (`xtask/experiments/batch-norm.toml`): the same sigmoid/Xavier MLP
//! with and without BatchNorm.

use super::{acc_at, embedded};
use crate::spec::{Check, Experiment, Verdict, run};

/// The experiment.
pub fn experiment() -> Experiment {
    embedded!("batch-norm.toml").with_checks([Check::new(
        "BatchNorm speeds learning up: higher test accuracy at every quarter of training",
        |r| {
            let (bn, plain) = (run(r, "BatchNorm"), run(r, "no BatchNorm"));
            let n = bn.last().step + 1;
            let marks: Vec<(usize, f64, f64)> = (1..=4)
                .map(|q| q * n / 4 - 1)
                .map(|s| (s, acc_at(bn, s), acc_at(plain, s)))
                .collect();
            let text = marks
                .iter()
                .map(|(s, a, b)| format!("it {s}: {a:.4} vs {b:.4}"))
                .collect::<Vec<_>>()
                .join("; ");
            Verdict::new(marks.iter().all(|m| m.1 > m.2), text)
        },
    )])
}

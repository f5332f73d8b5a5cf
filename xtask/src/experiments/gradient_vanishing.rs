//! 2_2 Vanishing gradient (`xtask/experiments/gradient-vanishing.toml`): activations × weight
//! initialisation on MLP 784-\[40,20\]-10. Here: the checks over all five \[40,20\] runs.

use super::embedded;
use crate::spec::{Check, Experiment, Verdict, run};

const WIDE: [&str; 5] = [
    "sigmoid + gauss 0.01",
    "ReLU + gauss 0.01",
    "sigmoid + Xavier",
    "ReLU + He",
    "ReLU + Xavier",
];

/// The experiment.
pub fn experiment() -> Experiment {
    embedded!("gradient-vanishing.toml").with_checks([
        Check::new(
            "ReLU+He reaches the highest test accuracy of the [40,20] runs",
            |r| {
                let scores: Vec<(&str, f64)> =
                    WIDE.iter().map(|l| (*l, run(r, l).tail_test(5))).collect();
                let best = scores
                    .iter()
                    .cloned()
                    .fold(("", 0.0), |a, b| if b.1 > a.1 { b } else { a });
                let text = scores
                    .iter()
                    .map(|(l, s)| format!("{l} {s:.4}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                Verdict::new(
                    best.0 == WIDE[3],
                    format!("mean of the last 5 test accuracies: {text}"),
                )
            },
        ),
        Check::new(
            "activation and initialisation matter a great deal (best and worst [40,20] runs differ by over 0.5)",
            |r| {
                let s: Vec<f64> = WIDE.iter().map(|l| run(r, l).tail_test(5)).collect();
                let (lo, hi) = (
                    s.iter().cloned().fold(1.0, f64::min),
                    s.iter().cloned().fold(0.0, f64::max),
                );
                Verdict::new(
                    hi - lo > 0.5,
                    format!("worst {lo:.4}, best {hi:.4}, spread {:.4}", hi - lo),
                )
            },
        ),
    ])
}

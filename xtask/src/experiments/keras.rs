//! 2_9 to 2_11: the Keras CNN with activity penalties, dropout and normalization, comparing
//! val_loss per epoch (`xtask/experiments/regularization.toml`, `dropout.toml`,
//! `normalization.toml`). CIFAR-10 when present, else Fashion-MNIST.

use super::embedded;
use crate::spec::{Check, Experiment, Verdict, run};

/// 2_9 activity penalties. Here: the ranking check.
pub fn regularization() -> Experiment {
    embedded!("regularization.toml").with_checks([Check::new(
        "L2 and Elastic Net give the best (lowest) final val_loss of the penalised runs",
        |r| {
            let names = [
                "L1 0.01",
                "L2 0.01",
                "L1L2(0.01) as Keras (l1 only)",
                "Elastic Net 0.01 + 0.01",
            ];
            let mut s: Vec<(&str, f64)> = names
                .iter()
                .map(|n| (*n, run(r, n).final_val_loss()))
                .collect();
            s.sort_by(|a, b| a.1.total_cmp(&b.1));
            let top: Vec<&str> = s.iter().take(2).map(|x| x.0).collect();
            let text = s
                .iter()
                .map(|(n, v)| format!("{n} {v:.4}"))
                .collect::<Vec<_>>()
                .join(", ");
            Verdict::new(
                top.contains(&"L2 0.01") && top.contains(&"Elastic Net 0.01 + 0.01"),
                text,
            )
        },
    )])
}

/// 2_10 dropout.
pub fn dropout() -> Experiment {
    embedded!("dropout.toml")
}

/// 2_11 normalization.
pub fn normalization() -> Experiment {
    embedded!("normalization.toml")
}

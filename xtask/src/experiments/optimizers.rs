//! 2_4 Optimizers (`xtask/experiments/optimizers.toml`): SGD, Momentum, AdaGrad, RMSProp, Adam
//! (and Adam with BatchNorm). Here: the ranking check.

use super::embedded;
use crate::spec::{Check, Experiment, Verdict, run};

/// The experiment.
pub fn experiment() -> Experiment {
    embedded!("optimizers.toml").with_checks([Check::new(
        "RMSProp and Adam learn most efficiently: the two highest final test accuracies",
        |r| {
            let names = ["SGD", "Momentum", "AdaGrad", "RMSProp", "Adam"];
            let mut s: Vec<(&str, f64)> =
                names.iter().map(|n| (*n, run(r, n).tail_test(5))).collect();
            s.sort_by(|a, b| b.1.total_cmp(&a.1));
            let top: Vec<&str> = s.iter().take(2).map(|x| x.0).collect();
            let text = s
                .iter()
                .map(|(n, v)| format!("{n} {v:.4}"))
                .collect::<Vec<_>>()
                .join(", ");
            Verdict::new(top.contains(&"RMSProp") && top.contains(&"Adam"), text)
        },
    )])
}

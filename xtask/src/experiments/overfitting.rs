//! 2_5 Overfitting and regularization (`xtask/experiments/overfitting.toml`): 300 training
//! images, a deep ReLU net, L1, L2, Dropout. Here: the checks on gaps of smoothed curves.

use super::embedded;
use crate::results::RunResult;
use crate::spec::{Check, Experiment, Verdict, run};

/// The train–test gap of the last five evaluations' means.
fn gap(r: &RunResult) -> f64 {
    r.tail_train(5) - r.tail_test(5)
}

const PENALIZED: [&str; 2] = ["L2 λ=0.1", "L1 λ=0.005"];

/// The experiment.
pub fn experiment() -> Experiment {
    embedded!("overfitting.toml").with_checks([
        Check::new(
            "L1 and L2 suppress overfitting: the penalties narrow the train–test gap",
            |r| {
                let base = gap(run(r, "no penalty"));
                let gaps: Vec<(&str, f64)> =
                    PENALIZED.iter().map(|l| (*l, gap(run(r, l)))).collect();
                let text = gaps
                    .iter()
                    .map(|(l, g)| format!("{l} {g:.4}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                Verdict::new(
                    gaps.iter().all(|g| g.1 < base),
                    format!("gap without penalty {base:.4}; {text}"),
                )
            },
        ),
        Check::new(
            "test accuracy barely improves with a penalty (by less than 0.03)",
            |r| {
                let base = run(r, "no penalty").tail_test(5);
                let best = PENALIZED
                    .iter()
                    .map(|l| run(r, l).tail_test(5))
                    .fold(0.0, f64::max);
                Verdict::new(
                    best - base < 0.03,
                    format!("no penalty {base:.4}, best penalised {best:.4}"),
                )
            },
        ),
        Check::new(
            "Dropout behaves like L2 (narrows the gap), learning slightly slower",
            |r| {
                let (d, l2, base) = (
                    run(r, "Dropout 0.15 (+ L2 λ=0.005)"),
                    run(r, PENALIZED[0]),
                    run(r, "no penalty"),
                );
                let mid = d.last().step / 2;
                let (dm, lm) = (super::train_at(d, mid), super::train_at(l2, mid));
                Verdict::new(
                    gap(d) < gap(base) && dm <= lm,
                    format!(
                        "gap: dropout {:.4}, no penalty {:.4}; train acc at it {mid}: dropout {dm:.4}, L2 {lm:.4}",
                        gap(d),
                        gap(base)
                    ),
                )
            },
        ),
    ])
}

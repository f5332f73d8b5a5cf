//! 2_3 Batch normalization: the same sigmoid/Xavier MLP with and without BatchNorm.

use dl_models::{Activation, Init, MultiLayerNetConfig, OptimizerKind, Preset};

use super::{acc_at, mnist_mlp};
use crate::spec::{Check, Experiment, IterSpec, Kind, RunSpec, TrainMetric, Verdict, run};

fn net(label: &str, bn: bool) -> RunSpec {
    RunSpec {
        label: label.into(),
        model: Preset::MultiLayerNet(
            MultiLayerNetConfig::new(784, &[40, 20], 10)
                .activation(Activation::Sigmoid)
                .init(Init::Xavier)
                .batch_norm(bn),
        ),
        optimizer: OptimizerKind::sgd(0.01),
        penalty: None,
    }
}

/// The experiment.
pub fn experiment() -> Experiment {
    Experiment {
        name: "batch-norm".into(),
        section: "2_3 Batch normalization".into(),
        summary: "MLP 784-[40,20]-10 sigmoid/Xavier, SGD lr 0.01, 1000 iterations, with and without BatchNorm".into(),
        kind: Kind::Iterations(IterSpec {
            data: mnist_mlp(),
            iterations: 1000,
            batch_size: 100,
            eval_every: 10,
            train_metric: TrainMetric::Batch,
            eval_batch: 1000,
            runs: vec![net("BatchNorm", true), net("no BatchNorm", false)],
            checks: vec![
                Check::new(
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
                    }),
                Check::new(
"BatchNorm stabilises learning: its test curve fluctuates less over the second half",
|r| {
                        let (a, b) = (
                            super::jitter(run(r, "BatchNorm")),
                            super::jitter(run(r, "no BatchNorm")),
                        );
                        Verdict::new(
                            a < b,
                            format!(
                                "mean |Δ test acc| between evaluations: {a:.4} with, {b:.4} without"
                            ),
                        )
                    }),
            ],
        }),
    }
}

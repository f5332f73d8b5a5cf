//! 2_4 Optimizers: SGD, Momentum, AdaGrad, RMSProp, Adam (and Adam with BatchNorm).

use dl_models::{Activation, Init, MultiLayerNetConfig, OptimizerKind, Preset};

use super::{acc_at, mnist_mlp};
use crate::spec::{Check, Experiment, IterSpec, Kind, RunSpec, TrainMetric, Verdict, run};

fn net(label: &str, optimizer: OptimizerKind, bn: bool) -> RunSpec {
    RunSpec {
        label: label.into(),
        model: Preset::MultiLayerNet(
            MultiLayerNetConfig::new(784, &[40, 20], 10)
                .activation(Activation::Sigmoid)
                .init(Init::Std(0.01))
                .batch_norm(bn),
        ),
        optimizer,
        penalty: None,
    }
}

/// The experiment.
pub fn experiment() -> Experiment {
    Experiment {
        name: "optimizers".into(),
        section: "2_4 Optimizers".into(),
        summary: "MLP 784-[40,20]-10 sigmoid, 0.01·randn, 1000 iterations: SGD, Momentum, AdaGrad, RMSProp, Adam".into(),
        kind: Kind::Iterations(IterSpec {
            data: mnist_mlp(),
            iterations: 1000,
            batch_size: 100,
            eval_every: 10,
            train_metric: TrainMetric::Batch,
            eval_batch: 1000,
            runs: vec![
                net("SGD", OptimizerKind::sgd(0.01), false),
                net(
                    "Momentum",
                    OptimizerKind::Momentum {
                        lr: 0.3,
                        momentum: 0.9,
                    },
                    false,
                ),
                net("AdaGrad", OptimizerKind::adagrad(0.1), false),
                net(
                    "RMSProp",
                    OptimizerKind::RmsProp {
                        lr: 0.01,
                        rho: 0.99,
                    },
                    false,
                ),
                net("Adam", OptimizerKind::adam(0.01), false),
                net("Adam + BatchNorm", OptimizerKind::adam(0.01), true),
            ],
            checks: vec![
                Check::new(
"RMSProp and Adam end above SGD",
|r| {
                        let (rms, adam, sgd) = (
                            run(r, "RMSProp").tail_test(5),
                            run(r, "Adam").tail_test(5),
                            run(r, "SGD").tail_test(5),
                        );
                        Verdict::new(
                            rms > sgd && adam > sgd,
                            format!("RMSProp {rms:.4}, Adam {adam:.4}, SGD {sgd:.4}"),
                        )
                    }),
                Check::new(
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
                    }),
                Check::new(
"with BatchNorm, Adam learns faster early on (test accuracy at iteration 100)",
|r| {
                        let (bn, plain) = (
                            acc_at(run(r, "Adam + BatchNorm"), 100),
                            acc_at(run(r, "Adam"), 100),
                        );
                        Verdict::new(
                            bn > plain,
                            format!("Adam + BatchNorm {bn:.4} vs Adam {plain:.4}"),
                        )
                    }),
            ],
        }),
    }
}

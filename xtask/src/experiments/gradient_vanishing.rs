//! 2_2 Vanishing gradient: activations × weight initialisation on MLP 784-\[40,20\]-10.

use dl_models::{Activation, Init, MultiLayerNetConfig, OptimizerKind, Preset};

use super::mnist_mlp;
use crate::spec::{Check, Experiment, IterSpec, Kind, RunSpec, TrainMetric, Verdict, run};

fn mlp(label: &str, hidden: &[usize], activation: Activation, init: Init) -> RunSpec {
    RunSpec {
        label: label.into(),
        model: Preset::MultiLayerNet(
            MultiLayerNetConfig::new(784, hidden, 10)
                .activation(activation)
                .init(init),
        ),
        optimizer: OptimizerKind::sgd(0.1),
        penalty: None,
    }
}

const WIDE: [&str; 5] = [
    "sigmoid + gauss 0.01",
    "ReLU + gauss 0.01",
    "sigmoid + Xavier",
    "ReLU + He",
    "ReLU + Xavier",
];

/// The experiment.
pub fn experiment() -> Experiment {
    use Activation::{Relu, Sigmoid};
    use Init::{He, Std, Xavier};
    let runs = vec![
        mlp(WIDE[0], &[40, 20], Sigmoid, Std(0.01)),
        mlp(WIDE[1], &[40, 20], Relu, Std(0.01)),
        mlp(WIDE[2], &[40, 20], Sigmoid, Xavier),
        mlp(WIDE[3], &[40, 20], Relu, He),
        mlp(WIDE[4], &[40, 20], Relu, Xavier),
        mlp("sigmoid + He [20,10]", &[20, 10], Sigmoid, He),
        mlp("sigmoid + Xavier [20,10]", &[20, 10], Sigmoid, Xavier),
    ];
    Experiment {
        name: "gradient-vanishing".into(),
        section: "2_2 Vanishing gradient".into(),
        summary: "MLP 784-[40,20]-10, SGD lr 0.1, 2000 iterations: which activation and weight init learn".into(),
        kind: Kind::Iterations(IterSpec {
            data: mnist_mlp(),
            iterations: 2000,
            batch_size: 100,
            eval_every: 10,
            train_metric: TrainMetric::Batch,
            eval_batch: 1000,
            runs,
            checks: vec![
                Check::new(
"sigmoid with 0.01 gauss never learns: its test accuracy stays below 0.2",
|r| {
                        let best = run(r, WIDE[0]).best_test();
                        Verdict::new(best < 0.2, format!("best test accuracy {best:.4}"))
                    }),
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
                    }),
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
                    }),
                Check::new(
"smaller hidden layers learn less: sigmoid+Xavier [20,10] ends below [40,20]",
|r| {
                        let (small, wide) = (
                            run(r, "sigmoid + Xavier [20,10]").tail_test(5),
                            run(r, WIDE[2]).tail_test(5),
                        );
                        Verdict::new(
                            small < wide,
                            format!("[20,10] {small:.4} vs [40,20] {wide:.4}"),
                        )
                    }),
            ],
        }),
    }
}

//! 2_9 to 2_11: the Keras CNN with activity penalties, dropout and normalization, comparing
//! val_loss per epoch. CIFAR-10 when present, else Fashion-MNIST.

use dl_models::{KerasCnnConfig, NormKind, OptimizerKind, Preset};

use crate::results::RunResult;
use crate::spec::{Check, EpochSpec, Experiment, Kind, RunSpec, Verdict, run};

const DATASETS: &[&str] = &["cifar10", "fashion-mnist"];

/// The Keras CNN with the given options; channels and image size are set once the data is known.
fn cnn(
    label: &str,
    activity_penalty: Option<(f64, f64)>,
    dropout: Option<f64>,
    norm: Option<NormKind>,
) -> RunSpec {
    RunSpec {
        label: label.into(),
        model: Preset::KerasCnn(KerasCnnConfig {
            in_channels: 3,
            image_size: 32,
            classes: 10,
            activity_penalty,
            dropout,
            norm,
        }),
        optimizer: OptimizerKind::adam(0.001),
        penalty: None,
    }
}

fn spec(runs: Vec<RunSpec>, checks: Vec<Check>) -> EpochSpec {
    EpochSpec {
        datasets: DATASETS.to_vec(),
        epochs: 10,
        batch_size: 256,
        runs,
        checks,
    }
}

/// How much val_loss rose from its minimum to its last value.
fn rise(r: &RunResult) -> f64 {
    r.final_val_loss() - r.best_val_loss()
}

/// 2_9 activity penalties.
pub fn regularization() -> Experiment {
    Experiment {
        name: "regularization".into(),
        section: "2_9 Regularization (Keras)".into(),
        summary: "Keras CNN with an activity penalty of 0.01 on Dense-512: none, L1, L2, Keras's L1L2(0.01), a real Elastic Net".into(),
        kind: Kind::Epochs(spec(
            vec![
                cnn("no penalty", None, None, None),
                cnn("L1 0.01", Some((0.01, 0.0)), None, None),
                cnn("L2 0.01", Some((0.0, 0.01)), None, None),
                cnn(
                    "L1L2(0.01) as Keras (l1 only)",
                    Some((0.01, 0.0)),
                    None,
                    None,
                ),
                cnn("Elastic Net 0.01 + 0.01", Some((0.01, 0.01)), None, None),
            ],
            vec![Check::new(
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
                })],
        )),
    }
}

/// 2_10 dropout.
pub fn dropout() -> Experiment {
    Experiment {
        name: "dropout".into(),
        section: "2_10 Dropout (Keras)".into(),
        summary: "Keras CNN with and without inverted Dropout(0.3) after Dense-512".into(),
        kind: Kind::Epochs(spec(
            vec![
                cnn("no dropout", None, None, None),
                cnn("Dropout 0.3", None, Some(0.3), None),
            ],
            vec![Check::new(
                "dropout suppresses the rise of val_loss (smaller rise from its minimum to the end)",
                |r| {
                    let (d, n) = (rise(run(r, "Dropout 0.3")), rise(run(r, "no dropout")));
                    Verdict::new(d < n, format!("rise: with dropout {d:.4}, without {n:.4}"))
                },
            )],
        )),
    }
}

/// 2_11 normalization.
pub fn normalization() -> Experiment {
    Experiment {
        name: "normalization".into(),
        section: "2_11 Normalization (Keras)".into(),
        summary: "Keras CNN with BatchNorm, LayerNorm (channels, and C·H·W) or InstanceNorm after the first conv".into(),
        kind: Kind::Epochs(spec(
            vec![
                cnn("no normalization", None, None, None),
                cnn("BatchNorm", None, None, Some(NormKind::BatchNorm)),
                cnn(
                    "LayerNorm (channels, Keras axis -1)",
                    None,
                    None,
                    Some(NormKind::LayerNormChannels),
                ),
                cnn(
                    "LayerNorm (C·H·W, the notes' text)",
                    None,
                    None,
                    Some(NormKind::LayerNormAll),
                ),
                cnn("InstanceNorm", None, None, Some(NormKind::InstanceNorm)),
            ],
            vec![Check::new(
"BatchNorm and InstanceNorm suppress the rise of val_loss",
|r| {
                    let (b, i, n) = (
                        rise(run(r, "BatchNorm")),
                        rise(run(r, "InstanceNorm")),
                        rise(run(r, "no normalization")),
                    );
                    Verdict::new(
                        b < n && i < n,
                        format!("rise: BatchNorm {b:.4}, InstanceNorm {i:.4}, none {n:.4}"),
                    )
                })],
        )),
    }
}

//! 2_6, 2_7 and 2_8: SimpleConvNet, DoubleConvNet and DeepConvNet on MNIST images.

use dl_models::{OptimizerKind, Preset};

use crate::spec::{
    Check, DataSpec, Experiment, IterSpec, Kind, RunSpec, TrainMetric, Verdict, run,
};

fn images(train: usize, test: usize) -> DataSpec {
    DataSpec {
        dataset: "mnist",
        train_first: Some(train),
        test_first: Some(test),
        flatten: false,
    }
}

fn adam_run(label: &str, model: Preset) -> RunSpec {
    RunSpec {
        label: label.into(),
        model,
        optimizer: OptimizerKind::adam(0.001),
        penalty: None,
    }
}

/// 2_6 SimpleConvNet.
pub fn simple() -> Experiment {
    Experiment {
        name: "simple-convnet".into(),
        section: "2_6 Convolution: SimpleConvNet".into(),
        summary: "conv 30@5×5 → ReLU → pool → 100 → 10, Adam 0.001, first 5000/1000 images, 1000 iterations".into(),
        kind: Kind::Iterations(IterSpec {
            data: images(5000, 1000),
            iterations: 1000,
            batch_size: 100,
            eval_every: 10,
            train_metric: TrainMetric::Full,
            eval_batch: 100,
            runs: vec![adam_run("SimpleConvNet", Preset::SimpleConvNet)],
            checks: vec![Check::new(
"the convnet learns MNIST well from 5000 images (test accuracy above 0.95)",
|r| {
                    let t = run(r, "SimpleConvNet").tail_test(5);
                    Verdict::new(
                        t > 0.95,
                        format!("mean of the last 5 test accuracies {t:.4}"),
                    )
                })],
        }),
    }
}

/// 2_7 DoubleConvNet.
pub fn double() -> Experiment {
    Experiment {
        name: "double-convnet".into(),
        section: "2_7 Convolution: DoubleConvNet".into(),
        summary: "conv 10@7×7 → pool → conv 20@3×3 → pool → 100 → 10, Adam 0.001, 100 iterations as the notes".into(),
        kind: Kind::Iterations(IterSpec {
            data: images(5000, 1000),
            iterations: 100,
            batch_size: 100,
            eval_every: 10,
            train_metric: TrainMetric::Full,
            eval_batch: 100,
            runs: vec![adam_run("DoubleConvNet", Preset::DoubleConvNet)],
            checks: vec![Check::new(
"even 100 iterations take the two-conv net well above chance (test accuracy above 0.7)",
|r| {
                    let t = run(r, "DoubleConvNet").final_test();
                    Verdict::new(t > 0.7, format!("final test accuracy {t:.4}"))
                })],
        }),
    }
}

/// 2_8 DeepConvNet (500/100 images as the notes; `--full` for all 60,000).
pub fn deep(full: bool) -> Experiment {
    let (data, iterations) = if full {
        (
            DataSpec {
                dataset: "mnist",
                train_first: None,
                test_first: None,
                flatten: false,
            },
            12_000,
        )
    } else {
        (images(500, 100), 1000)
    };
    Experiment {
        name: "deep-conv-net".into(),
        section: "2_8 DeepConvNet".into(),
        summary: "six 3×3 convs, three pools, 1024→50→10 with Dropout 0.5, Adam 0.001, first 500/100 images, 1000 iterations".into(),
        kind: Kind::Iterations(IterSpec {
            data,
            iterations,
            batch_size: 100,
            eval_every: if full { 600 } else { 10 },
            train_metric: TrainMetric::Full,
            eval_batch: 100,
            runs: vec![adam_run("DeepConvNet", Preset::deep_conv_net())],
            checks: if full {
                vec![Check::new(
"on all 60,000 training images DeepConvNet exceeds 99.3% test accuracy (the class's docstring claims over 99%)",
|r| {
                        let t = run(r, "DeepConvNet").final_test();
                        Verdict::new(t >= 0.993, format!("final test accuracy {t:.4}"))
                    })]
            } else {
                vec![
                    Check::new(
"learning progresses smoothly and very fast (train accuracy above 0.9 by iteration 300)",
|r| {
                            let t = super::train_at(run(r, "DeepConvNet"), 300);
                            Verdict::new(
                                t > 0.9,
                                format!("train accuracy at iteration 300: {t:.4}"),
                            )
                        }),
                    Check::new(
"with 500 training images, the test accuracy stays below the docstring's 99%",
|r| {
                            let t = run(r, "DeepConvNet").tail_test(5);
                            Verdict::new(
                                t < 0.99,
                                format!("mean of the last 5 test accuracies {t:.4}; see `--full`"),
                            )
                        }),
                ]
            },
        }),
    }
}

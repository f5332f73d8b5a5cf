//! 2_5 Overfitting and regularization: 300 training images, a deep ReLU net, L1, L2, Dropout.

use dl_models::{Activation, Init, MultiLayerNetConfig, OptimizerKind, Penalty, Preset};

use super::jitter;
use crate::spec::{
    Check, DataSpec, Experiment, IterSpec, Kind, RunSpec, TrainMetric, Verdict, run,
};

fn config() -> MultiLayerNetConfig {
    MultiLayerNetConfig::new(784, &[100; 6], 10)
        .activation(Activation::Relu)
        .init(Init::He)
}

fn net(label: &str, lr: f64, penalty: Option<Penalty>) -> RunSpec {
    RunSpec {
        label: label.into(),
        model: Preset::MultiLayerNet(config()),
        optimizer: OptimizerKind::Sgd { lr },
        penalty,
    }
}

fn gap(r: &crate::results::RunResult) -> f64 {
    r.tail_train(5) - r.tail_test(5)
}

const PENALIZED: [&str; 4] = ["L2 λ=0.1", "L1 λ=0.005", "L2 λ=0.125", "L1 λ=0.001"];

/// The experiment.
pub fn experiment() -> Experiment {
    let dropout = RunSpec {
        label: "Dropout 0.15 (+ L2 λ=0.005)".into(),
        model: Preset::MultiLayerNet(config().dropout(0.15).weight_penalty(Penalty::l2(0.005))),
        optimizer: OptimizerKind::sgd(0.01),
        penalty: None,
    };
    Experiment {
        name: "overfitting".into(),
        section: "2_5 Overfitting and regularization".into(),
        summary: "first 300 images, MLP 784-[100×6]-10 ReLU/He, 1000 iterations: no penalty, L2, L1, Dropout".into(),
        kind: Kind::Iterations(IterSpec {
            data: DataSpec {
                dataset: "mnist",
                train_first: Some(300),
                test_first: None,
                flatten: true,
            },
            iterations: 1000,
            batch_size: 100,
            eval_every: 10,
            train_metric: TrainMetric::Full,
            eval_batch: 1000,
            runs: vec![
                net("no penalty", 0.01, None),
                net(PENALIZED[0], 0.01, Some(Penalty::l2(0.1))),
                net(PENALIZED[1], 0.1, Some(Penalty::l1(0.005))),
                net(PENALIZED[2], 0.01, Some(Penalty::l2(0.125))),
                net(PENALIZED[3], 0.1, Some(Penalty::l1(0.001))),
                dropout,
            ],
            checks: vec![
                Check::new(
"with 300 samples and no penalty, train accuracy reaches 1.0 and test stays far below it",
|r| {
                        let n = run(r, "no penalty");
                        let (train, test) = (n.final_train(), n.final_test());
                        Verdict::new(
                            train >= 0.999 && train - test > 0.15,
                            format!("train {train:.4}, test {test:.4}"),
                        )
                    }),
                Check::new(
"L1 and L2 suppress overfitting: the penalties narrow the train–test gap",
|r| {
                        let base = gap(run(r, "no penalty"));
                        let gaps: Vec<(&str, f64)> = PENALIZED[..2]
                            .iter()
                            .map(|l| (*l, gap(run(r, l))))
                            .collect();
                        let text = gaps
                            .iter()
                            .map(|(l, g)| format!("{l} {g:.4}"))
                            .collect::<Vec<_>>()
                            .join(", ");
                        Verdict::new(
                            gaps.iter().all(|g| g.1 < base),
                            format!("gap without penalty {base:.4}; {text}"),
                        )
                    }),
                Check::new(
"test accuracy barely improves with a penalty (by less than 0.03)",
|r| {
                        let base = run(r, "no penalty").tail_test(5);
                        let best = PENALIZED[..2]
                            .iter()
                            .map(|l| run(r, l).tail_test(5))
                            .fold(0.0, f64::max);
                        Verdict::new(
                            best - base < 0.03,
                            format!("no penalty {base:.4}, best penalised {best:.4}"),
                        )
                    }),
                Check::new(
"L1 is less stable than L2 (its test curve fluctuates more)",
|r| {
                        let (l1, l2) = (jitter(run(r, PENALIZED[1])), jitter(run(r, PENALIZED[0])));
                        Verdict::new(
                            l1 > l2,
                            format!("mean |Δ test acc|: L1 {l1:.4}, L2 {l2:.4}"),
                        )
                    }),
                Check::new(
"changing the strengths made both worse (L2 λ 0.125 and L1 λ 0.001 end below λ 0.1 and 0.005)",
|r| {
                        let t = |l: &str| run(r, l).tail_test(5);
                        let (l2, l2s, l1, l1w) = (
                            t(PENALIZED[0]),
                            t(PENALIZED[2]),
                            t(PENALIZED[1]),
                            t(PENALIZED[3]),
                        );
                        Verdict::new(
                            l2s < l2 && l1w < l1,
                            format!("L2 {l2:.4} → {l2s:.4}; L1 {l1:.4} → {l1w:.4}"),
                        )
                    }),
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
                    }),
            ],
        }),
    }
}

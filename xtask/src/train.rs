//! The training loops, written once: mini-batch iterations (the NumPy experiments) and epochs
//! (the Keras experiments).

use std::time::Instant;

use dl_data::Dataset;
use dl_layers::{Labels, Mode};
use dl_models::{Network, PenaltyConfig};
use dl_tensor::Float;

use crate::context::Context;
use crate::error::XtaskError;
use crate::progress::Progress;
use crate::results::{Point, RunResult};
use crate::spec::{IterSpec, RunSpec, TrainMetric};

/// Train and test data of an experiment.
pub struct Data {
    /// Training set.
    pub train: Dataset,
    /// Test (validation) set.
    pub test: Dataset,
    /// Where it came from, for the report.
    pub description: String,
}

fn diverged(ctx_name: &str, run: &str, iteration: usize, loss: f64) -> XtaskError {
    XtaskError::Diverged {
        experiment: ctx_name.to_string(),
        run: run.to_string(),
        iteration,
        loss,
    }
}

/// Runs one mini-batch-iteration run: batches drawn with replacement, accuracies every
/// `eval_every` iterations.
pub fn run_iterations(
    ctx: &Context,
    experiment: &str,
    spec: &IterSpec,
    run: &RunSpec,
    data: &Data,
    run_index: usize,
) -> Result<RunResult, XtaskError> {
    let started = Instant::now();
    let seed = ctx.seed.wrapping_add(run_index as u64 * 1_000_003);
    let mut net = Network::<f32>::build(&run.model, seed);
    let mut optimizer = ctx.optimizer(run.optimizer).build::<f32>(ctx.as_notebook);
    let penalty = run.penalty;
    let mut rng = dl_tensor::rng_from_seed(seed ^ 0x5eed);
    let iterations = ctx.iterations_for(spec.iterations);
    let mut progress = Progress::new(&run.label, iterations, ctx.interactive);
    let mut curve = Vec::new();
    for it in 0..iterations {
        let indices = dl_data::sample_with_replacement(data.train.len(), spec.batch_size, &mut rng);
        let (x, labels) = data.train.batch(&indices);
        let mut loss = net.loss(&x, Labels::Index(&labels), Mode::Train).as_f64();
        net.backward();
        if let Some(p) = penalty {
            loss += penalty_term(p, ctx.as_notebook, &mut net);
            p.penalty().apply_to_grads(|f| net.visit_params(f));
        }
        if !loss.is_finite() {
            progress.finish();
            return Err(diverged(experiment, &run.label, it, loss));
        }
        if ctx.as_notebook {
            replay_notebook_freezes(&mut net, penalty.is_some());
        }
        net.update(optimizer.as_mut());
        if it % spec.eval_every == 0 || it + 1 == iterations {
            let train_acc = match spec.train_metric {
                TrainMetric::Batch => net.accuracy(&x, &labels, spec.eval_batch),
                TrainMetric::Full => {
                    net.accuracy(&data.train.images, &data.train.labels, spec.eval_batch)
                }
            };
            let test_acc = net.accuracy(&data.test.images, &data.test.labels, spec.eval_batch);
            curve.push(Point {
                step: it,
                train_acc,
                test_acc,
                loss,
                val_loss: None,
            });
        }
        progress.update(it + 1, loss);
    }
    progress.finish();
    Ok(RunResult {
        label: run.label.clone(),
        settings: serde_json::to_value(run).unwrap_or_default(),
        curve,
        wall_seconds: started.elapsed().as_secs_f64(),
        parameters: net.param_count(),
    })
}

/// The loss term of the training loop's penalty; with `as_notebook`, the L2 term the notes log
/// (`0.5·λ·√ΣW²` per weight tensor — the gradient is right either way).
fn penalty_term(config: PenaltyConfig, as_notebook: bool, net: &mut Network<f32>) -> f64 {
    let visit = |f: &mut dyn FnMut(dl_layers::ParamMut<'_, f32>)| net.visit_params(f);
    match config {
        PenaltyConfig::L2 { lambda } if as_notebook => {
            dl_optim::notebook_l2_loss_term(lambda, visit).as_f64()
        }
        _ => config.penalty().loss_term(visit).as_f64(),
    }
}

/// The notes' code errors that freeze parameters: BatchNorm's γ and β are never updated, and
/// the hand-written penalty loops leave the output layer at its initial values.
fn replay_notebook_freezes(net: &mut Network<f32>, hand_written_loop: bool) {
    let mut last_layer = String::new();
    net.visit_params(&mut |p| last_layer = p.layer.to_string());
    net.visit_params(&mut |p| {
        let frozen_norm = matches!(
            p.kind,
            dl_layers::ParamKind::Scale | dl_layers::ParamKind::Shift
        );
        if frozen_norm || (hand_written_loop && p.layer == last_layer) {
            p.grad.fill(0.0);
        }
    });
}

/// Runs one epoch-based run (Keras style): shuffled batches without replacement, then the
/// validation loss and accuracy on the test set after each epoch.
pub fn run_epochs(
    ctx: &Context,
    experiment: &str,
    spec: &crate::spec::EpochSpec,
    run: &RunSpec,
    data: &Data,
    run_index: usize,
) -> Result<RunResult, XtaskError> {
    let started = Instant::now();
    let seed = ctx.seed.wrapping_add(run_index as u64 * 1_000_003);
    let model = fit_model_to_data(&run.model, &data.train);
    let mut net = Network::<f32>::build(&model, seed);
    let mut optimizer = ctx.optimizer(run.optimizer).build::<f32>(ctx.as_notebook);
    let mut rng = dl_tensor::rng_from_seed(seed ^ 0x5eed);
    let epochs = ctx.epochs_for(spec.epochs);
    let batches_per_epoch = data.train.len().div_ceil(spec.batch_size);
    let mut progress = Progress::new(&run.label, epochs * batches_per_epoch, ctx.interactive);
    let mut curve = Vec::new();
    let mut step = 0;
    for epoch in 1..=epochs {
        let order = dl_data::permutation(data.train.len(), &mut rng);
        let (mut loss_sum, mut correct, mut seen) = (0.0, 0usize, 0usize);
        for chunk in order.chunks(spec.batch_size) {
            let (x, labels) = data.train.batch(chunk);
            let loss = net.loss(&x, Labels::Index(&labels), Mode::Train).as_f64();
            if !loss.is_finite() {
                progress.finish();
                return Err(diverged(experiment, &run.label, step, loss));
            }
            let predicted = net.layers().last_scores_argmax();
            correct += predicted
                .iter()
                .zip(&labels)
                .filter(|(p, l)| p == l)
                .count();
            net.backward();
            net.update(optimizer.as_mut());
            loss_sum += loss * chunk.len() as f64;
            seen += chunk.len();
            step += 1;
            progress.update(step, loss);
        }
        let (val_loss, val_acc) = evaluate(&mut net, &data.test, 1000);
        curve.push(Point {
            step: epoch,
            train_acc: correct as f64 / seen as f64,
            test_acc: val_acc,
            loss: loss_sum / seen as f64,
            val_loss: Some(val_loss),
        });
    }
    progress.finish();
    Ok(RunResult {
        label: run.label.clone(),
        settings: serde_json::to_value(&model).unwrap_or_default(),
        curve,
        wall_seconds: started.elapsed().as_secs_f64(),
        parameters: net.param_count(),
    })
}

/// Mean loss and accuracy over a dataset in eval mode, in batches.
fn evaluate(net: &mut Network<f32>, set: &Dataset, batch: usize) -> (f64, f64) {
    let n = set.len();
    let (mut loss_sum, mut correct) = (0.0, 0usize);
    let mut start = 0;
    while start < n {
        let len = batch.min(n - start);
        let x = set.images.narrow(0, start, len);
        let labels = &set.labels[start..start + len];
        loss_sum += net.loss(&x, Labels::Index(labels), Mode::Eval).as_f64() * len as f64;
        let predicted = net.layers().last_scores_argmax();
        correct += predicted.iter().zip(labels).filter(|(p, l)| p == l).count();
        start += len;
    }
    (loss_sum / n as f64, correct as f64 / n as f64)
}

/// Sets the Keras CNN's input channels and image size from the data it will see.
fn fit_model_to_data(model: &dl_models::ModelConfig, train: &Dataset) -> dl_models::ModelConfig {
    match model {
        dl_models::ModelConfig::KerasCnn(c) => {
            let shape = train.images.shape();
            dl_models::ModelConfig::KerasCnn(dl_models::KerasCnnConfig {
                in_channels: shape[1],
                image_size: shape[2],
                ..c.clone()
            })
        }
        other => other.clone(),
    }
}

//! Runs an experiment's runs through the library's [`Trainer`]: mini-batch iterations (the
//! NumPy experiments) and epochs (the Keras experiments), with a progress bar and the notes'
//! code errors replayed on request.

use std::time::Instant;

use dl_data::Dataset;
use dl_models::{
    Callback, Event, Flow, OptimizerKind, Preset, Schedule, Sequential, TrainAccuracy, TrainError,
    Trainer,
};

use crate::context::Context;
use crate::error::XtaskError;
use crate::progress::Progress;
use crate::results::RunResult;
use crate::spec::{IterSpec, Model, RunSpec, TrainMetric};

/// Train and test data of an experiment.
pub struct Data {
    /// Training set.
    pub train: Dataset,
    /// Test (validation) set.
    pub test: Dataset,
    /// What it is and where it came from, for the summary and the report.
    pub record: crate::data::DataRecord,
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
    let trainer = Trainer::new(Schedule::Iterations {
        iterations: ctx.iterations_for(spec.iterations),
        eval_every: spec.eval_every,
    })
    .batch_size(spec.batch_size)
    .eval_batch(spec.eval_batch)
    .train_accuracy(match spec.train_metric {
        TrainMetric::Batch => TrainAccuracy::Batch,
        TrainMetric::Full => TrainAccuracy::Full,
    })
    .penalty(run.penalty)
    .notebook_l2_loss(ctx.as_notebook);
    let settings = serde_json::to_value(run).unwrap_or_default();
    let freezes = ctx.as_notebook;
    train(
        ctx,
        experiment,
        run,
        &run.model,
        (trainer, freezes),
        data,
        run_index,
        settings,
    )
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
    let model = fit_model_to_data(&run.model, &data.train);
    let trainer = Trainer::new(Schedule::Epochs {
        epochs: ctx.epochs_for(spec.epochs),
    })
    .batch_size(spec.batch_size)
    .eval_batch(1000)
    .penalty(run.penalty);
    let settings = serde_json::to_value(&model).unwrap_or_default();
    // The notes' Keras code has no hand-written update to get wrong: nothing is frozen.
    train(
        ctx,
        experiment,
        run,
        &model,
        (trainer, false),
        data,
        run_index,
        settings,
    )
}

/// Builds the run's network and trains it (replaying the notes' frozen parameters if
/// `freezes`); the seed of run `i` is `seed + i·1,000,003`, its batches drawn from
/// `seed ^ 0x5eed`.
fn train(
    ctx: &Context,
    experiment: &str,
    run: &RunSpec,
    model: &Model,
    (trainer, freezes): (Trainer, bool),
    data: &Data,
    run_index: usize,
    settings: serde_json::Value,
) -> Result<RunResult, XtaskError> {
    let started = Instant::now();
    let seed = ctx.seed.wrapping_add(run_index as u64 * 1_000_003);
    let refuse = |why: String| XtaskError::Other(format!("{experiment} / {}: {why}", run.label));
    // `--dataset` (or a data set's fallback) can hand a model images it does not take.
    let takes = model.spec().map_err(|e| refuse(e.to_string()))?.input;
    let gives = &data.train.images.shape()[1..];
    if takes != gives {
        return Err(refuse(format!(
            "the model takes samples of shape {takes:?}, the data set {} gives {gives:?}",
            data.record.dataset
        )));
    }
    let mut net = model.build(seed).map_err(|e| refuse(e.to_string()))?;
    let mut optimizer = optimizer_for(ctx, run.optimizer).build::<f32>();
    let trainer = trainer.seed(seed ^ 0x5eed);
    let total = trainer.total_steps(data.train.len());
    let mut progress = ProgressBar(Progress::new(&run.label, total, ctx.interactive));
    let mut freezes = NotebookFreezes {
        on: freezes,
        hand_written_loop: run.penalty.is_some(),
    };
    let result = trainer.fit(
        &mut net,
        optimizer.as_mut(),
        &data.train,
        &data.test,
        &mut [&mut progress, &mut freezes],
    );
    progress.0.finish();
    let history = result.map_err(|e| match e {
        TrainError::Diverged { step, loss } => XtaskError::Diverged {
            experiment: experiment.to_string(),
            run: run.label.clone(),
            iteration: step,
            loss,
        },
        other => XtaskError::Other(format!("{experiment} / {}: {other}", run.label)),
    })?;
    Ok(RunResult {
        label: run.label.clone(),
        settings,
        curve: history.points,
        wall_seconds: started.elapsed().as_secs_f64(),
        parameters: net.param_count(),
    })
}

/// The run's optimizer, with `--learning-rate` applied; with `--as-notebook`, AdaGrad replays
/// the notes' code (`h` from 1e-4, the first `h += g²` skipped).
fn optimizer_for(ctx: &Context, declared: OptimizerKind) -> OptimizerKind {
    match ctx.optimizer(declared) {
        OptimizerKind::AdaGrad { lr, .. } if ctx.as_notebook => OptimizerKind::adagrad_notebook(lr),
        other => other,
    }
}

/// The progress bar, fed by the trainer's step events.
struct ProgressBar(Progress);

impl Callback for ProgressBar {
    fn on_event(&mut self, event: &Event<'_>, _: &mut dyn dl_optim::Optimizer<f32>) -> Flow {
        if let Event::Step { step, loss, .. } = *event {
            self.0.update(step, loss);
        }
        Flow::Continue
    }
}

/// The notes' code errors that freeze parameters (with `--as-notebook`): BatchNorm's γ and β
/// are never updated, and the hand-written penalty loops leave the output layer at its initial
/// values.
struct NotebookFreezes {
    on: bool,
    hand_written_loop: bool,
}

impl Callback for NotebookFreezes {
    fn on_event(&mut self, _: &Event<'_>, _: &mut dyn dl_optim::Optimizer<f32>) -> Flow {
        Flow::Continue
    }

    fn before_update(&mut self, net: &mut Sequential<f32>, _step: usize) {
        if !self.on {
            return;
        }
        let mut last_layer = String::new();
        net.visit_params(&mut |p| last_layer = p.layer.to_string());
        net.visit_params(&mut |p| {
            let frozen_norm = matches!(
                p.kind,
                dl_layers::ParamKind::Scale | dl_layers::ParamKind::Shift
            );
            if frozen_norm || (self.hand_written_loop && p.layer == last_layer) {
                p.grad.fill(0.0);
            }
        });
    }
}

/// Sets the Keras CNN's input channels and image size from the data it will see.
fn fit_model_to_data(model: &Model, train: &Dataset) -> Model {
    match model {
        Model::Preset(Preset::KerasCnn(c)) => {
            let shape = train.images.shape();
            Model::Preset(Preset::KerasCnn(dl_models::KerasCnnConfig {
                in_channels: shape[1],
                image_size: shape[2],
                ..c.clone()
            }))
        }
        other => other.clone(),
    }
}

//! The training loops, written once: mini-batch iterations (the NumPy experiments) and epochs
//! (the Keras experiments).

use std::time::Instant;

use dl_data::Dataset;
use dl_layers::{Labels, Mode};
use dl_models::{Network, Penalty};

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
    XtaskError::Diverged { experiment: ctx_name.to_string(), run: run.to_string(), iteration, loss }
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
    let mut optimizer = run.optimizer.build::<f32>(ctx.as_notebook);
    let penalty: Option<Penalty> = run.penalty.map(|p| p.build(ctx.as_notebook));
    let mut rng = dl_tensor::rng_from_seed(seed ^ 0x5eed);
    let iterations = ctx.iterations(spec.iterations);
    let mut progress = Progress::new(&run.label, iterations, ctx.interactive);
    let mut curve = Vec::new();
    for it in 0..iterations {
        let indices = dl_data::sample_with_replacement(data.train.len(), spec.batch_size, &mut rng);
        let (x, labels) = data.train.batch(&indices);
        let mut loss = net.loss(&x, Labels::Index(&labels), Mode::Train).as_f64();
        net.backward();
        if let Some(p) = &penalty {
            loss += p.apply(&mut net);
        }
        if !loss.is_finite() {
            progress.finish();
            return Err(diverged(experiment, &run.label, it, loss));
        }
        optimizer.step(&mut net);
        if it % spec.eval_every == 0 || it + 1 == iterations {
            let train_acc = match spec.train_metric {
                TrainMetric::Batch => net.accuracy(&x, &labels, spec.eval_batch),
                TrainMetric::Full => net.accuracy(&data.train.images, &data.train.labels, spec.eval_batch),
            };
            let test_acc = net.accuracy(&data.test.images, &data.test.labels, spec.eval_batch);
            curve.push(Point { step: it, train_acc, test_acc, loss, val_loss: None });
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

//! The training loop, written once: mini-batch iterations drawn with replacement (the course's
//! NumPy experiments) or shuffled epochs (Keras's `fit`), an optimizer, an optional penalty,
//! evaluation on a held-out set, a history of the curves, callbacks, and a stop when the loss
//! is no longer finite.

use dl_data::Dataset;
use dl_layers::{Labels, Mode};
use dl_optim::{Optimizer, Penalty};
use dl_tensor::{Float, rng_from_seed};
use serde::Serialize;

use crate::sequential::Sequential;

/// How long to train and when to evaluate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Schedule {
    /// `iterations` mini-batches drawn with replacement (`np.random.choice`), evaluated at
    /// iteration 0, every `eval_every` iterations, and after the last.
    Iterations {
        /// Optimizer steps.
        iterations: usize,
        /// Evaluate every this many steps.
        eval_every: usize,
    },
    /// `epochs` passes over a fresh permutation of the training set (the last batch holds the
    /// remainder), evaluated after each epoch.
    Epochs {
        /// Passes over the training set.
        epochs: usize,
    },
}

/// Which accuracy a history's `train_acc` records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TrainAccuracy {
    /// On the current mini-batch, in eval mode after the step (the notes' 2_2 to 2_4; noisy).
    Batch,
    /// On the whole training set, in eval mode (2_5 to 2_8).
    Full,
    /// The running accuracy of the epoch's training-mode forward passes (Keras's `accuracy`).
    Running,
}

/// One evaluation: the numbers of a training curve at one step.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Point {
    /// The iteration (from 0) or the epoch (from 1).
    pub step: usize,
    /// Accuracy on the training data (see [`TrainAccuracy`]).
    pub train_acc: f64,
    /// Accuracy on the evaluation set.
    pub test_acc: f64,
    /// The training loss: the step's (iterations) or the epoch's mean (epochs).
    pub loss: f64,
    /// The loss on the evaluation set, when asked for.
    pub val_loss: Option<f64>,
}

/// What a training run recorded.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct History {
    /// Every evaluation, in order.
    pub points: Vec<Point>,
    /// Optimizer steps taken.
    pub steps: usize,
    /// Whether a callback stopped the run before its schedule ended.
    pub stopped_early: bool,
}

/// What happened, as a callback sees it.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum Event<'a> {
    /// An optimizer step was taken.
    Step {
        /// Steps taken so far (from 1).
        step: usize,
        /// Steps the schedule will take in all.
        of: usize,
        /// This step's training loss.
        loss: f64,
    },
    /// An evaluation was recorded.
    Eval(&'a Point),
}

/// Whether training goes on after a callback.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Go on.
    Continue,
    /// Stop now; the history so far is returned.
    Stop,
}

/// Something that watches training: progress, early stopping, a learning-rate schedule.
/// A closure `FnMut(&Event) -> Flow` is one.
pub trait Callback {
    /// Called after every step and every evaluation; may change the optimizer's learning rate.
    fn on_event(&mut self, event: &Event<'_>, optimizer: &mut dyn Optimizer<f32>) -> Flow;

    /// Called after the backward pass (and the penalty's gradient), before the optimizer step,
    /// with the step's index from 0: the gradients may be changed here.
    fn before_update(&mut self, _net: &mut Sequential<f32>, _step: usize) {}
}

impl<F: FnMut(&Event<'_>) -> Flow> Callback for F {
    fn on_event(&mut self, event: &Event<'_>, _optimizer: &mut dyn Optimizer<f32>) -> Flow {
        self(event)
    }
}

/// Stops when the evaluation loss (or, without one, the evaluation accuracy) has not improved
/// for `patience` evaluations (at the first evaluation without improvement for a patience of
/// 0 or 1).
#[derive(Clone, Debug)]
pub struct EarlyStopping {
    patience: usize,
    best: f64,
    since_best: usize,
}

impl EarlyStopping {
    /// Stops after `patience` evaluations without improvement.
    pub fn new(patience: usize) -> Self {
        EarlyStopping {
            patience,
            best: f64::INFINITY,
            since_best: 0,
        }
    }
}

impl Callback for EarlyStopping {
    fn on_event(&mut self, event: &Event<'_>, _optimizer: &mut dyn Optimizer<f32>) -> Flow {
        let Event::Eval(point) = event else {
            return Flow::Continue;
        };
        let score = point.val_loss.unwrap_or(-point.test_acc);
        if score < self.best {
            self.best = score;
            self.since_best = 0;
        } else {
            self.since_best += 1;
        }
        if self.since_best > 0 && self.since_best >= self.patience {
            Flow::Stop
        } else {
            Flow::Continue
        }
    }
}

/// Multiplies the learning rate by `factor` every `every` steps.
#[derive(Clone, Copy, Debug)]
pub struct StepDecay {
    /// Steps between two decays.
    pub every: usize,
    /// The factor applied each time.
    pub factor: f64,
}

impl Callback for StepDecay {
    fn on_event(&mut self, event: &Event<'_>, optimizer: &mut dyn Optimizer<f32>) -> Flow {
        if let Event::Step { step, .. } = *event
            && self.every > 0
            && step.is_multiple_of(self.every)
        {
            optimizer.set_learning_rate(optimizer.learning_rate() * self.factor);
        }
        Flow::Continue
    }
}

/// Why training stopped with an error.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum TrainError {
    /// The loss became NaN or infinite.
    #[error("the loss became {loss} at step {step}")]
    Diverged {
        /// The step (from 0) whose loss was not finite.
        step: usize,
        /// That loss.
        loss: f64,
    },
    /// The settings make no run (a batch size of 0, an empty training set, …).
    #[error("{0}")]
    Settings(String),
}

/// Trains a [`Sequential`] on a [`Dataset`].
///
/// ```
/// use dl_data::Dataset;
/// use dl_models::{Schedule, Sequential, Trainer};
/// use dl_optim::OptimizerKind;
/// use dl_tensor::{Tensor, rng_from_seed};
///
/// // Two separable blobs.
/// let x = Tensor::<f32>::randn([64, 2], 0.3, &mut rng_from_seed(1));
/// let labels: Vec<usize> = (0..64).map(|i| i % 2).collect();
/// let shifted: Vec<f32> = x.to_vec().iter().enumerate()
///     .map(|(i, v)| v + if labels[i / 2] == 1 { 2.0 } else { -2.0 }).collect();
/// let data = Dataset::new(Tensor::from_vec(shifted, [64, 2]), labels, 2);
///
/// let mut net = Sequential::builder([2]).affine(8).relu().affine(2).build::<f32>(0)?;
/// let mut adam = OptimizerKind::adam(0.05).build::<f32>();
/// let trainer = Trainer::new(Schedule::Iterations { iterations: 50, eval_every: 10 }).batch_size(16);
/// let history = trainer.fit(&mut net, adam.as_mut(), &data, &data, &mut []).unwrap();
/// assert_eq!(history.points.iter().map(|p| p.step).collect::<Vec<_>>(), [0, 10, 20, 30, 40, 49]);
/// assert!(history.points.last().unwrap().test_acc > 0.9);
/// # Ok::<(), dl_models::BuildError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Trainer {
    schedule: Schedule,
    batch_size: usize,
    eval_batch: usize,
    train_accuracy: TrainAccuracy,
    val_loss: bool,
    seed: u64,
    penalty: Option<Penalty>,
    notebook_l2_loss: bool,
}

impl Trainer {
    /// A trainer for `schedule`: batches of 100, evaluation in batches of 1000, batch
    /// accuracy for iterations and running accuracy for epochs, no evaluation loss (always on
    /// for epochs), sampling seed 0, no penalty.
    pub fn new(schedule: Schedule) -> Self {
        let epochs = matches!(schedule, Schedule::Epochs { .. });
        Trainer {
            schedule,
            batch_size: 100,
            eval_batch: 1000,
            train_accuracy: if epochs {
                TrainAccuracy::Running
            } else {
                TrainAccuracy::Batch
            },
            val_loss: epochs,
            seed: 0,
            penalty: None,
            notebook_l2_loss: false,
        }
    }

    /// Sets the mini-batch size.
    pub fn batch_size(mut self, n: usize) -> Self {
        self.batch_size = n;
        self
    }

    /// Sets the batch size of evaluations (it changes no result, only memory and speed).
    pub fn eval_batch(mut self, n: usize) -> Self {
        self.eval_batch = n;
        self
    }

    /// Sets which training accuracy is recorded.
    pub fn train_accuracy(mut self, which: TrainAccuracy) -> Self {
        self.train_accuracy = which;
        self
    }

    /// Records the loss on the evaluation set at each evaluation.
    pub fn val_loss(mut self, on: bool) -> Self {
        self.val_loss = on;
        self
    }

    /// Seeds the mini-batch sampling.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// A weight penalty added by the loop: its term to the loss, its gradient to the
    /// gradients before the optimizer step (the notes' hand-written loops of 2_5).
    pub fn penalty(mut self, penalty: Option<Penalty>) -> Self {
        self.penalty = penalty;
        self
    }

    /// Logs an L2 penalty's term as the notes' code does (`0.5·λ·√ΣW²` per weight tensor, a
    /// code error of the notes); the gradient is the correct one either way.
    pub fn notebook_l2_loss(mut self, on: bool) -> Self {
        self.notebook_l2_loss = on;
        self
    }

    /// The steps this schedule takes on `train_len` samples.
    pub fn total_steps(&self, train_len: usize) -> usize {
        match self.schedule {
            Schedule::Iterations { iterations, .. } => iterations,
            Schedule::Epochs { epochs } => epochs * train_len.div_ceil(self.batch_size.max(1)),
        }
    }

    /// Trains `net` with `optimizer` on `train`, evaluating on `eval`; each callback sees every
    /// event. Returns the history, or the step at which the loss stopped being finite.
    pub fn fit(
        &self,
        net: &mut Sequential<f32>,
        optimizer: &mut dyn Optimizer<f32>,
        train: &Dataset,
        eval: &Dataset,
        callbacks: &mut [&mut dyn Callback],
    ) -> Result<History, TrainError> {
        if self.batch_size == 0 || self.eval_batch == 0 {
            return Err(TrainError::Settings(
                "the batch sizes must be at least 1".into(),
            ));
        }
        if train.is_empty() {
            return Err(TrainError::Settings("the training set is empty".into()));
        }
        let mut run = Run {
            trainer: self,
            net,
            optimizer,
            callbacks,
            history: History::default(),
            of: self.total_steps(train.len()),
        };
        let mut rng = rng_from_seed(self.seed);
        match self.schedule {
            Schedule::Iterations {
                iterations,
                eval_every,
            } => {
                if eval_every == 0 {
                    return Err(TrainError::Settings("eval_every must be at least 1".into()));
                }
                for it in 0..iterations {
                    let indices =
                        dl_data::sample_with_replacement(train.len(), self.batch_size, &mut rng);
                    let (x, labels) = train.batch(&indices);
                    let (loss, _) = run.step(&x, &labels)?;
                    if (it % eval_every == 0 || it + 1 == iterations)
                        && run.evaluate(it, loss, train, eval, (&x, &labels), None) == Flow::Stop
                    {
                        return Ok(run.stopped());
                    }
                    if run.emit_step(loss) == Flow::Stop {
                        return Ok(run.stopped());
                    }
                }
            }
            Schedule::Epochs { epochs } => {
                for epoch in 1..=epochs {
                    let order = dl_data::permutation(train.len(), &mut rng);
                    let (mut loss_sum, mut correct, mut seen) = (0.0, 0usize, 0usize);
                    let mut last = None;
                    for chunk in order.chunks(self.batch_size) {
                        let (x, labels) = train.batch(chunk);
                        let (loss, right) = run.step(&x, &labels)?;
                        loss_sum += loss * chunk.len() as f64;
                        correct += right;
                        seen += chunk.len();
                        let stop = run.emit_step(loss) == Flow::Stop;
                        last = Some((x, labels));
                        if stop {
                            return Ok(run.stopped());
                        }
                    }
                    let (x, labels) = last.expect("a non-empty set has a batch");
                    let running = correct as f64 / seen as f64;
                    let mean_loss = loss_sum / seen as f64;
                    if run.evaluate(epoch, mean_loss, train, eval, (&x, &labels), Some(running))
                        == Flow::Stop
                    {
                        return Ok(run.stopped());
                    }
                }
            }
        }
        Ok(run.history)
    }
}

/// One `fit` in progress.
struct Run<'a, 'c> {
    trainer: &'a Trainer,
    net: &'a mut Sequential<f32>,
    optimizer: &'a mut dyn Optimizer<f32>,
    callbacks: &'a mut [&'c mut dyn Callback],
    history: History,
    of: usize,
}

impl Run<'_, '_> {
    /// One optimizer step on a batch: its loss (penalty included) and, for running accuracy,
    /// how many of its samples the training-mode forward pass got right.
    fn step(
        &mut self,
        x: &dl_tensor::Tensor<f32>,
        labels: &[usize],
    ) -> Result<(f64, usize), TrainError> {
        let step = self.history.steps;
        let mut loss = self
            .net
            .loss(x, Labels::Index(labels), Mode::Train)
            .as_f64();
        let right = if self.trainer.train_accuracy == TrainAccuracy::Running {
            let predicted = self.net.last_scores_argmax();
            predicted.iter().zip(labels).filter(|(p, l)| p == l).count()
        } else {
            0
        };
        self.net.backward();
        if let Some(p) = self.trainer.penalty {
            let net = &mut *self.net;
            loss += match p.kind {
                dl_optim::PenaltyKind::L2 { lambda } if self.trainer.notebook_l2_loss => {
                    dl_optim::notebook_l2_loss_term(lambda, |f| net.visit_params(f)).as_f64()
                }
                _ => p.loss_term(|f| net.visit_params(f)).as_f64(),
            };
            p.apply_to_grads(|f| net.visit_params(f));
        }
        if !loss.is_finite() {
            return Err(TrainError::Diverged { step, loss });
        }
        for c in self.callbacks.iter_mut() {
            c.before_update(self.net, step);
        }
        self.net.update(self.optimizer);
        self.history.steps += 1;
        Ok((loss, right))
    }

    fn emit_step(&mut self, loss: f64) -> Flow {
        let event = Event::Step {
            step: self.history.steps,
            of: self.of,
            loss,
        };
        self.emit(&event)
    }

    fn emit(&mut self, event: &Event<'_>) -> Flow {
        let mut flow = Flow::Continue;
        for c in self.callbacks.iter_mut() {
            if c.on_event(event, self.optimizer) == Flow::Stop {
                flow = Flow::Stop;
            }
        }
        flow
    }

    /// Records an evaluation at `step` and tells the callbacks.
    fn evaluate(
        &mut self,
        step: usize,
        loss: f64,
        train: &Dataset,
        eval: &Dataset,
        batch: (&dl_tensor::Tensor<f32>, &[usize]),
        running: Option<f64>,
    ) -> Flow {
        let t = self.trainer;
        let train_acc = match (t.train_accuracy, running) {
            (TrainAccuracy::Running, Some(r)) => r,
            (TrainAccuracy::Full, _) => {
                self.net
                    .accuracy(&train.images, &train.labels, t.eval_batch)
            }
            _ => self.net.accuracy(batch.0, batch.1, t.eval_batch),
        };
        let (test_acc, val_loss) = if t.val_loss {
            let (l, a) = self.net.evaluate(&eval.images, &eval.labels, t.eval_batch);
            (a, Some(l))
        } else {
            (
                self.net.accuracy(&eval.images, &eval.labels, t.eval_batch),
                None,
            )
        };
        let point = Point {
            step,
            train_acc,
            test_acc,
            loss,
            val_loss,
        };
        self.history.points.push(point);
        self.emit(&Event::Eval(&point))
    }

    fn stopped(mut self) -> History {
        self.history.stopped_early = true;
        self.history
    }
}

//! What an experiment is: a declarative description. The training loop, writers and plots that
//! carry it out live elsewhere, once.

use dl_models::{BuildError, NetworkSpec, OptimizerKind, Penalty, Preset, Sequential};

use crate::results::RunResult;

/// One experiment of the notes.
pub struct Experiment {
    /// The command-line name (`gradient-vanishing`).
    pub name: String,
    /// The notes' section it reproduces (`2_2 Vanishing gradient`).
    pub section: String,
    /// One sentence on what it shows.
    pub summary: String,
    /// How it runs.
    pub kind: Kind,
}

/// How an experiment runs.
pub enum Kind {
    /// Mini-batch iterations on MNIST, accuracy recorded every few iterations (2_2 to 2_8).
    Iterations(IterSpec),
    /// Epochs over a dataset, loss and val_loss per epoch (the Keras experiments 2_9 to 2_11).
    Epochs(EpochSpec),
    /// Something else: prints and checks, with its own code.
    Custom(
        fn(&crate::context::Context) -> Result<crate::results::Outcome, crate::error::XtaskError>,
    ),
}

/// Which accuracy is plotted as "training set".
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrainMetric {
    /// The accuracy of the current mini-batch (2_2 to 2_4; noisy).
    Batch,
    /// The accuracy over the whole (reduced) training set (2_5 to 2_8).
    Full,
}

/// The data an experiment reads.
#[derive(Clone, Debug, serde::Serialize)]
pub struct DataSpec {
    /// Dataset name (`mnist`).
    pub dataset: &'static str,
    /// Keep only the first n training images.
    pub train_first: Option<usize>,
    /// Keep only the first n test images.
    pub test_first: Option<usize>,
    /// Flatten images to 784 (MLPs) or keep (1, 28, 28) (convnets).
    pub flatten: bool,
}

/// A mini-batch-iteration experiment.
pub struct IterSpec {
    /// The data.
    pub data: DataSpec,
    /// Iterations per run.
    pub iterations: usize,
    /// Mini-batch size (drawn with replacement).
    pub batch_size: usize,
    /// Record accuracies every this many iterations.
    pub eval_every: usize,
    /// The "training set" curve.
    pub train_metric: TrainMetric,
    /// Batch size for accuracy evaluation (the notes evaluate convnets in batches of 100).
    pub eval_batch: usize,
    /// The runs to compare.
    pub runs: Vec<RunSpec>,
    /// The notes' conclusions, as checks.
    pub checks: Vec<Check>,
}

/// An epoch-based experiment (Keras style).
pub struct EpochSpec {
    /// Dataset preference: the first one found (CIFAR-10 when present, else Fashion-MNIST).
    pub datasets: Vec<&'static str>,
    /// Epochs per run.
    pub epochs: usize,
    /// Batch size (shuffled each epoch).
    pub batch_size: usize,
    /// The runs to compare.
    pub runs: Vec<RunSpec>,
    /// The notes' conclusions, as checks.
    pub checks: Vec<Check>,
}

/// One run: a label, a model, an optimizer and a penalty.
#[derive(Clone, Debug, serde::Serialize)]
pub struct RunSpec {
    /// Legend label.
    pub label: String,
    /// The network.
    pub model: Model,
    /// The optimizer.
    pub optimizer: OptimizerKind,
    /// A weight penalty applied by the training loop (the hand-written loops of 2_5).
    pub penalty: Option<Penalty>,
}

/// Evaluates a claim on the runs' results: whether it holds, and the numbers behind it.
pub type Evaluator = Box<dyn Fn(&[RunResult]) -> Verdict + Send + Sync>;

/// A run's network: one of the notes' presets, or a layer list.
///
/// Written as the preset or the [`NetworkSpec`] itself (no tag), so a run's settings read as
/// they did when every model was a preset.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(untagged)]
pub enum Model {
    /// A named network of the notes.
    Preset(Preset),
    /// A layer list.
    Network(NetworkSpec),
}

impl Model {
    /// The network's description.
    pub fn spec(&self) -> Result<NetworkSpec, BuildError> {
        match self {
            Model::Preset(p) => p.spec(),
            Model::Network(n) => Ok(n.clone()),
        }
    }

    /// Builds the network, weights drawn from `seed`.
    pub fn build(&self, seed: u64) -> Result<Sequential<f32>, BuildError> {
        match self {
            Model::Preset(p) => Ok(p.build::<f32>(seed)),
            Model::Network(n) => n.build::<f32>(seed),
        }
    }
}

impl From<Preset> for Model {
    fn from(p: Preset) -> Self {
        Model::Preset(p)
    }
}

impl Experiment {
    /// The runs of a training experiment, in order (none for [`Kind::Custom`]).
    pub fn runs(&self) -> &[RunSpec] {
        match &self.kind {
            Kind::Iterations(s) => &s.runs,
            Kind::Epochs(s) => &s.runs,
            Kind::Custom(_) => &[],
        }
    }

    /// The checks of a training experiment (none for [`Kind::Custom`], which makes its own).
    pub fn checks(&self) -> &[Check] {
        match &self.kind {
            Kind::Iterations(s) => &s.checks,
            Kind::Epochs(s) => &s.checks,
            Kind::Custom(_) => &[],
        }
    }

    /// The checks of a training experiment, to add some written in Rust.
    ///
    /// # Panics
    /// If the experiment is [`Kind::Custom`] (it makes its own checks).
    pub fn checks_mut(&mut self) -> &mut Vec<Check> {
        match &mut self.kind {
            Kind::Iterations(s) => &mut s.checks,
            Kind::Epochs(s) => &mut s.checks,
            Kind::Custom(_) => panic!("experiment `{}` makes its own checks", self.name),
        }
    }

    /// Adds checks written in Rust (what a file's comparison cannot say) after the file's.
    pub fn with_checks(mut self, checks: impl IntoIterator<Item = Check>) -> Self {
        self.checks_mut().extend(checks);
        self
    }
}

/// A conclusion of the notes, checked against what was measured.
pub struct Check {
    /// The claim, as a sentence.
    pub claim: String,
    /// Evaluates the claim on the runs' results.
    pub eval: Evaluator,
}

impl Check {
    /// A claim and the function that checks it.
    pub fn new(
        claim: impl Into<String>,
        eval: impl Fn(&[RunResult]) -> Verdict + Send + Sync + 'static,
    ) -> Self {
        Check {
            claim: claim.into(),
            eval: Box::new(eval),
        }
    }

    /// The verdict on `results`.
    pub fn verdict(&self, results: &[RunResult]) -> Verdict {
        (self.eval)(results)
    }
}

/// The outcome of a check.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Verdict {
    /// Whether the claim holds.
    pub holds: bool,
    /// The numbers behind the verdict.
    pub evidence: String,
}

impl Verdict {
    /// A verdict from a condition and its evidence.
    pub fn new(holds: bool, evidence: impl Into<String>) -> Self {
        Verdict {
            holds,
            evidence: evidence.into(),
        }
    }
}

/// Finds a run's result by label.
///
/// # Panics
/// If no run has that label (a mistake in an experiment's description).
pub fn run<'a>(results: &'a [RunResult], label: &str) -> &'a RunResult {
    results
        .iter()
        .find(|r| r.label == label)
        .unwrap_or_else(|| panic!("check refers to unknown run `{label}`"))
}

#[cfg(test)]
mod tests {
    /// Experiments are shared across threads (one per seed): they must stay `Send + Sync`.
    #[test]
    fn an_experiment_is_send_and_sync() {
        fn both<T: Send + Sync>() {}
        both::<super::Experiment>();
    }
}

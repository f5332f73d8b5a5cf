//! Carries out an experiment's share of the work, one (seed, run) pair at a time, and puts the
//! seeds' runs back together into one result. One process, a `--shard` and `merge` all go
//! through [`assemble`], so a merged result is the one a single process would have written.

use std::path::Path;
use std::time::Instant;

use crate::context::Context;
use crate::error::XtaskError;
use crate::folder::PARTIAL_CURVES;
use crate::output::write_atomic;
use crate::results::{CheckResult, Outcome, Results, RunResult, SeedRun};
use crate::spec::{Experiment, Kind};
use crate::{data, stop, train, write};

/// One piece of work: a run of one seed, or a print-and-check experiment as a whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Item {
    /// Run `run` of the experiment with seed `seed`.
    Run {
        /// The experiment's seed.
        seed: u64,
        /// The run's index in the experiment's list.
        run: usize,
    },
    /// A print-and-check experiment ([`Kind::Custom`]), seed-independent, done once.
    Whole,
}

/// The labels of an experiment's runs, in order.
pub fn run_labels(experiment: &Experiment) -> Vec<String> {
    experiment.runs().iter().map(|r| r.label.clone()).collect()
}

/// Every item of an experiment in the order one process does them: seed by seed, each seed's
/// runs in the experiment's order.
pub fn items(experiment: &Experiment, seeds: &[u64]) -> Vec<Item> {
    if let Kind::Custom(_) = experiment.kind {
        return vec![Item::Whole];
    }
    let runs = run_labels(experiment).len();
    seeds
        .iter()
        .flat_map(|&seed| (0..runs).map(move |run| Item::Run { seed, run }))
        .collect()
}

/// What one process did of an experiment.
#[derive(Clone, Debug, Default)]
pub struct Done {
    /// The finished runs, in the order they ran.
    pub runs: Vec<SeedRun>,
    /// A print-and-check experiment's outcome, if this process did it.
    pub whole: Option<Outcome>,
    /// The data the runs read.
    pub data: Option<crate::data::DataRecord>,
    /// Seconds spent.
    pub seconds: f64,
}

/// Does `todo` (items of `experiment`), saving the curves finished so far to
/// `curves.partial.csv` in `dir` after each run; `finished(item)` is called after each item.
pub fn execute(
    ctx: &Context,
    experiment: &Experiment,
    todo: &[Item],
    dir: &Path,
    mut finished: impl FnMut(&Item, &str),
) -> Result<Done, XtaskError> {
    let started = Instant::now();
    let mut done = Done::default();
    let labels = run_labels(experiment);
    let loaded = match &experiment.kind {
        _ if todo.is_empty() => None,
        Kind::Iterations(spec) => Some(data::load_iter_data(ctx, &spec.data)?),
        Kind::Epochs(spec) => Some(data::load_epoch_data(ctx, &spec.datasets)?),
        Kind::Custom(_) => None,
    };
    if let Some(d) = &loaded {
        println!("   data: {}", d.record.describe());
        done.data = Some(d.record.clone());
    }
    for (k, item) in todo.iter().enumerate() {
        let (seed, run) = match *item {
            Item::Whole => {
                if let Kind::Custom(f) = &experiment.kind {
                    done.whole = Some(f(ctx)?);
                }
                finished(item, "");
                continue;
            }
            Item::Run { seed, run } => (seed, run),
        };
        if let Some(d) = stop::guard().as_mut() {
            d.run = Some((labels[run].clone(), k, todo.len()));
        }
        let seeded = ctx.with_seed(seed);
        let data = loaded.as_ref().expect("data is loaded when there are runs");
        let result = match &experiment.kind {
            Kind::Iterations(spec) => {
                train::run_iterations(&seeded, &experiment.name, spec, &spec.runs[run], data, run)?
            }
            Kind::Epochs(spec) => {
                train::run_epochs(&seeded, &experiment.name, spec, &spec.runs[run], data, run)?
            }
            Kind::Custom(_) => unreachable!("a print-and-check experiment has no runs"),
        };
        done.runs.push(SeedRun { seed, run, result });
        {
            let mut doing = stop::guard();
            let csv = write::curves_csv(
                done.runs.iter().map(|r| (r.seed, &r.result)),
                ctx.multi_seed,
            );
            write_atomic(&dir.join(PARTIAL_CURVES), csv.as_bytes())?;
            if let Some(d) = doing.as_mut() {
                (d.finished, d.run) = (done.runs.len(), None);
            }
        }
        finished(item, &labels[run]);
    }
    done.seconds = started.elapsed().as_secs_f64();
    Ok(done)
}

/// Puts the pieces of an experiment back together: each seed's runs in the experiment's order,
/// its checks evaluated, and each claim counted over the seeds. Refuses pieces that leave a
/// (seed, run) pair out or give one twice.
pub fn assemble(
    experiment: &Experiment,
    seeds: &[u64],
    multi_seed: bool,
    pieces: Vec<Done>,
) -> Result<Results, XtaskError> {
    let labels = run_labels(experiment);
    let mut data = None;
    let mut whole = None;
    let mut slots: Vec<Vec<Option<RunResult>>> = vec![vec![None; labels.len()]; seeds.len()];
    for piece in pieces {
        data = data.or(piece.data);
        whole = whole.or(piece.whole);
        for SeedRun { seed, run, result } in piece.runs {
            let s = seeds.iter().position(|&x| x == seed);
            let slot = s.and_then(|s| slots[s].get_mut(run)).ok_or_else(|| {
                XtaskError::Other(format!(
                    "{}: a piece holds run {run} of seed {seed}, which this experiment does not have",
                    experiment.name
                ))
            })?;
            if slot.replace(result).is_some() {
                return Err(XtaskError::Other(format!(
                    "{}: run `{}` of seed {seed} is given twice",
                    experiment.name, labels[run]
                )));
            }
        }
    }
    if let Kind::Custom(_) = experiment.kind {
        let outcome = whole.ok_or_else(|| {
            XtaskError::Other(format!("{}: its result is missing", experiment.name))
        })?;
        // Its checks are about shapes and counts, not training: one seed says it all.
        return Ok(Results::single(
            seeds.first().copied().unwrap_or(0),
            outcome,
        ));
    }
    let mut per_seed = Vec::with_capacity(seeds.len());
    for (&seed, runs) in seeds.iter().zip(slots) {
        let mut outcome = Outcome {
            data: data.clone(),
            ..Outcome::default()
        };
        for (label, run) in labels.iter().zip(runs) {
            outcome.runs.push(run.ok_or_else(|| {
                XtaskError::Other(format!(
                    "{}: run `{label}` of seed {seed} is missing",
                    experiment.name
                ))
            })?);
        }
        outcome.checks = experiment
            .checks()
            .iter()
            .map(|c| CheckResult {
                claim: c.claim.clone(),
                verdict: c.verdict(&outcome.runs),
            })
            .collect();
        per_seed.push((seed, outcome));
    }
    let mut results = Results {
        per_seed,
        multi_seed,
        data,
        ..Results::default()
    };
    results.tally_checks();
    Ok(results)
}

//! `cargo xtask reproduce`: runs experiments (over one seed or many, all of the work or one
//! shard of it), writes their results, prints tables and verdicts.

use std::path::{Path, PathBuf};

use crate::context::Context;
use crate::error::XtaskError;
use crate::execute::{self, Item};
use crate::folder::OutFolder;
use crate::results::Results;
use crate::spec::{Experiment, Kind};
use crate::{experiment_file, experiments, report, shard, stop, write};

/// Resolves names (or `all`) and experiment files (a name ending in `.toml` or naming a file)
/// to experiments, in the order given; `full` selects DeepConvNet's full-data schedule.
pub fn select(names: &[String], full: bool) -> Result<Vec<Experiment>, XtaskError> {
    let known = || {
        experiments::all()
            .iter()
            .map(|e| e.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if names.is_empty() {
        return Err(XtaskError::InvalidFlag {
            flag: "<EXPERIMENT>",
            reason: format!(
                "name at least one experiment, or `all`, or an experiment file (.toml); known: {}",
                known()
            ),
        });
    }
    // A built-in experiment named twice (or also by `all`) runs once; a file's experiment
    // whose name is taken is refused, as both would write results/<name>/.
    let mut out: Vec<Experiment> = Vec::new();
    let mut from_files: Vec<String> = Vec::new();
    for name in names {
        let found = if name == "all" {
            experiments::all_with(full)
        } else if experiment_file::is_file_name(name) {
            let e = experiment_file::load(Path::new(name))?;
            if out.iter().any(|f| f.name == e.name) {
                return Err(XtaskError::InvalidFlag {
                    flag: "<EXPERIMENT>",
                    reason: format!(
                        "{name} names its experiment `{}`, as does another one given: both would \
                         write results/{0}/ (set `name` in the file)",
                        e.name
                    ),
                });
            }
            from_files.push(e.name.clone());
            out.push(e);
            continue;
        } else {
            match experiments::all_with(full)
                .into_iter()
                .find(|e| e.name == *name)
            {
                Some(e) => vec![e],
                None => {
                    return Err(XtaskError::UnknownExperiment {
                        name: name.clone(),
                        known: format!("{}, or an experiment file (.toml)", known()),
                    });
                }
            }
        };
        for e in found {
            if from_files.contains(&e.name) {
                return Err(XtaskError::InvalidFlag {
                    flag: "<EXPERIMENT>",
                    reason: format!(
                        "an experiment file given names its experiment `{}`, like the built-in \
                         one: both would write results/{0}/ (set `name` in the file)",
                        e.name
                    ),
                });
            }
            if !out.iter().any(|f| f.name == e.name) {
                out.push(e);
            }
        }
    }
    Ok(out)
}

/// Runs the named experiments: the whole work, a `--shard` of it, or `--jobs` shards merged.
/// Each experiment writes into a staging folder that replaces its results folder whole when it
/// ends ([`crate::folder`]).
pub fn reproduce(names: &[String], ctx: &Context) -> Result<(), XtaskError> {
    let selected = select(names, ctx.full)?;
    // The revision the results will name: the one this run started from.
    crate::write::git_revision();
    if ctx.jobs > 1 && ctx.shard.is_none() {
        return crate::jobs::run(names, ctx, &selected);
    }
    let out = OutFolder::open(&ctx.out_dir)?;
    stop::listen(out.path());
    warn_lossy_paths(ctx);
    dl_tensor::set_num_threads(ctx.threads);
    let plan = shard::plan(&selected, &ctx.seeds, ctx.shard);
    for (experiment, todo) in selected.iter().zip(&plan) {
        let slice = match ctx.shard {
            Some(s) => format!(" [shard {}/{}: {} item(s)]", s.index, s.of, todo.len()),
            None => String::new(),
        };
        println!(
            "== {} ({}){}{slice}",
            experiment.name,
            experiment.section,
            if ctx.quick { " [quick]" } else { "" },
        );
        let staging = out.stage(&experiment.name)?;
        if let Some(d) = stop::guard().as_mut() {
            (d.experiment, d.run, d.finished) =
                (Some((experiment.name.clone(), staging.clone())), None, 0);
        }
        let dir = ctx.out_dir.join(&experiment.name);
        let report_item = |item: &Item, label: &str| {
            if ctx.report_items {
                let seed = match *item {
                    Item::Run { seed, .. } => seed.to_string(),
                    Item::Whole => "-".into(),
                };
                println!("@done {}\t{seed}\t{label}", experiment.name);
            }
        };
        let done = execute::execute(ctx, experiment, todo, &staging, report_item)
            .and_then(|done| {
                if ctx.shard.is_some() {
                    shard::write_part(experiment, &done, &staging)?;
                }
                Ok(done)
            })
            .map_err(|e| {
                crate::folder::discard_if_empty(&staging);
                e.published_as(&staging, &dir)
            })?;
        if ctx.shard.is_some() {
            publish_folder(&out, &staging, &experiment.name)?;
            println!("   {} item(s) in {}", todo.len(), dir.display());
            continue;
        }
        let seconds = done.seconds;
        let results = execute::assemble(experiment, &ctx.seeds, ctx.multi_seed, vec![done])?;
        publish(ctx, &out, experiment, results, seconds, staging)?;
    }
    if let Some(s) = ctx.shard {
        let _writing = stop::guard();
        shard::write_manifest(ctx, s, names, &selected)?;
        println!("shard {}/{}: {}", s.index, s.of, ctx.out_dir.display());
    } else if names.iter().any(|n| n == "all") {
        let _writing = stop::guard();
        report::write_report(&ctx.out_dir)?;
        println!("report: {}", ctx.out_dir.join("REPORT.md").display());
    }
    Ok(())
}

/// Writes an experiment's results into `staging` (a folder of `out`), puts it in place as the
/// experiment's folder and prints its table and verdicts.
pub fn publish(
    ctx: &Context,
    out: &OutFolder,
    experiment: &Experiment,
    mut results: Results,
    seconds: f64,
    staging: PathBuf,
) -> Result<Results, XtaskError> {
    let dir = ctx.out_dir.join(&experiment.name);
    let epochs = matches!(experiment.kind, Kind::Epochs(_));
    write::write_outcome(ctx, experiment, &mut results, &staging, seconds, epochs).map_err(
        |e| {
            crate::folder::discard_if_empty(&staging);
            e.published_as(&staging, &dir)
        },
    )?;
    publish_folder(out, &staging, &experiment.name)?;
    print_outcome(&results, &dir, seconds, ctx.quick);
    Ok(results)
}

/// Swaps a staging folder in, holding the stop guard so a signal cannot cut it.
fn publish_folder(out: &OutFolder, staging: &Path, name: &str) -> Result<(), XtaskError> {
    let mut doing = stop::guard();
    out.publish(staging, name)?;
    if let Some(d) = doing.as_mut() {
        (d.experiment, d.published) = (None, d.published + 1);
    }
    Ok(())
}

/// Says, on stderr, which given paths are not valid UTF-8 and so are recorded lossily.
fn warn_lossy_paths(ctx: &Context) {
    let given = [
        ("--out", Some(&ctx.out_dir)),
        ("--data-dir", ctx.data_dir.as_ref()),
    ];
    for (flag, path) in given {
        if let Some(path) = path.filter(|p| p.to_str().is_none()) {
            eprintln!(
                "warning: {flag} {path:?} is not valid UTF-8; summary.json records it as {:?}",
                crate::place::portable(path)
            );
        }
    }
}

fn print_outcome(results: &Results, dir: &Path, seconds: f64, quick: bool) {
    for note in &results.notes {
        println!("   {note}");
    }
    let seeds = results.per_seed.len();
    if results.has_runs() {
        if results.multi_seed {
            println!("   {seeds} seed(s): mean [min, max] over seeds");
            println!(
                "   {:<30} {:>24} {:>24} {:>8}",
                "run", "final train", "final test", "secs"
            );
        } else {
            println!(
                "   {:<30} {:>8} {:>8} {:>8} {:>9} {:>7}",
                "run", "train", "test", "best", "loss", "secs"
            );
        }
        for (k, label) in results.labels().iter().enumerate() {
            let runs = results.run_over_seeds(k);
            if results.multi_seed {
                let spread = |f: &dyn Fn(&crate::results::RunResult) -> f64| {
                    let s = crate::seeds::Stats::of(
                        &runs.iter().map(|(_, r)| f(r)).collect::<Vec<_>>(),
                    );
                    format!("{:.4} [{:.4}, {:.4}]", s.mean, s.min, s.max)
                };
                let secs: f64 = runs.iter().map(|(_, r)| r.wall_seconds).sum();
                println!(
                    "   {label:<30} {:>24} {:>24} {secs:>8.1}",
                    spread(&|r| r.final_train()),
                    spread(&|r| r.final_test()),
                );
            } else if let Some((_, r)) = runs.first() {
                let loss = r.last().val_loss.unwrap_or(r.last().loss);
                println!(
                    "   {:<30} {:>8.4} {:>8.4} {:>8.4} {:>9.4} {:>7.2}",
                    label,
                    r.final_train(),
                    r.final_test(),
                    r.best_test(),
                    loss,
                    r.wall_seconds
                );
            }
        }
    }
    for c in &results.checks {
        let verdict = if results.multi_seed {
            c.tally.describe()
        } else if c.tally.held == c.tally.of {
            "holds".into()
        } else {
            "does not hold".into()
        };
        println!("   [{verdict}] {} — {}", c.claim, c.evidence);
    }
    if quick && !results.checks.is_empty() {
        println!("   (quick run: a reduced schedule; verdicts are indicative only)");
    }
    println!("   results in {} ({seconds:.1} s)", dir.display());
}

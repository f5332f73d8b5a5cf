//! `cargo xtask reproduce`: runs experiments, writes their results, prints tables and verdicts.

use std::path::Path;
use std::time::Instant;

use crate::context::Context;
use crate::error::XtaskError;
use crate::folder::{OutFolder, PARTIAL_CURVES};
use crate::output::write_atomic;
use crate::results::{CheckResult, Outcome};
use crate::spec::{Experiment, Kind};
use crate::{data, experiments, report, stop, train, write};

/// Resolves names (or `all`) to experiments, in the order given; `full` selects DeepConvNet's
/// full-data schedule.
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
            reason: format!("name at least one experiment, or `all`; known: {}", known()),
        });
    }
    if names.iter().any(|n| n == "all") {
        return Ok(experiments::all_with(full));
    }
    let mut out = Vec::new();
    for name in names {
        match experiments::all_with(full)
            .into_iter()
            .find(|e| e.name == *name)
        {
            Some(e) => out.push(e),
            None => {
                return Err(XtaskError::UnknownExperiment {
                    name: name.clone(),
                    known: known(),
                });
            }
        }
    }
    Ok(out)
}

/// Runs the named experiments. Each writes into a staging folder that replaces its results
/// folder whole when it ends ([`crate::folder`]).
pub fn reproduce(names: &[String], ctx: &Context) -> Result<(), XtaskError> {
    let selected = select(names, ctx.full)?;
    // The revision the results will name: the one this run started from.
    crate::write::git_revision();
    let out = OutFolder::open(&ctx.out_dir)?;
    stop::listen(out.path());
    warn_lossy_paths(ctx);
    dl_tensor::set_num_threads(ctx.threads);
    let all = names.iter().any(|n| n == "all");
    let mut done = Vec::new();
    for experiment in &selected {
        println!(
            "== {} ({}){}",
            experiment.name,
            experiment.section,
            if ctx.quick { " [quick]" } else { "" }
        );
        let staging = out.stage(&experiment.name)?;
        if let Some(d) = stop::guard().as_mut() {
            (d.experiment, d.run, d.finished) =
                (Some((experiment.name.clone(), staging.clone())), None, 0);
        }
        let started = Instant::now();
        let written = run(ctx, experiment, &staging).and_then(|mut outcome| {
            let epochs = matches!(experiment.kind, Kind::Epochs(_));
            let wall = started.elapsed();
            write::write_outcome(ctx, experiment, &mut outcome, &staging, wall, epochs)?;
            Ok(outcome)
        });
        let dir = ctx.out_dir.join(&experiment.name);
        let outcome = match written {
            Ok(outcome) => outcome,
            Err(e) => {
                crate::folder::discard_if_empty(&staging);
                return Err(e.published_as(&staging, &dir));
            }
        };
        {
            let mut doing = stop::guard();
            out.publish(&staging, &experiment.name)?;
            if let Some(d) = doing.as_mut() {
                (d.experiment, d.published) = (None, d.published + 1);
            }
        }
        print_outcome(&outcome, &dir, started.elapsed().as_secs_f64(), ctx.quick);
        done.push((
            experiment.name.as_str(),
            experiment.section.as_str(),
            outcome,
        ));
    }
    if all {
        let _writing = stop::guard();
        report::write_report(ctx, &done)?;
        println!("report: {}", ctx.out_dir.join("REPORT.md").display());
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

/// Runs one experiment; after each run, the curves of the runs done so far are saved to
/// `curves.partial.csv` in `dir`, so a long experiment that is stopped keeps what it finished.
fn run(ctx: &Context, experiment: &Experiment, dir: &Path) -> Result<Outcome, XtaskError> {
    let save_progress = |outcome: &Outcome| {
        let mut doing = stop::guard();
        write_atomic(
            &dir.join(PARTIAL_CURVES),
            write::curves_csv(outcome).as_bytes(),
        )?;
        if let Some(d) = doing.as_mut() {
            (d.finished, d.run) = (outcome.runs.len(), None);
        }
        Ok::<(), XtaskError>(())
    };
    let running = |label: &str, i: usize, n: usize| {
        if let Some(d) = stop::guard().as_mut() {
            d.run = Some((label.to_string(), i, n));
        }
    };
    match &experiment.kind {
        Kind::Iterations(spec) => {
            let data = data::load_iter_data(ctx, &spec.data)?;
            println!("   data: {}", data.record.describe());
            let mut outcome = Outcome {
                data: Some(data.record.clone()),
                ..Outcome::default()
            };
            for (i, r) in spec.runs.iter().enumerate() {
                running(&r.label, i, spec.runs.len());
                outcome.runs.push(train::run_iterations(
                    ctx,
                    &experiment.name,
                    spec,
                    r,
                    &data,
                    i,
                )?);
                save_progress(&outcome)?;
            }
            outcome.checks = spec
                .checks
                .iter()
                .map(|c| CheckResult {
                    claim: c.claim.clone(),
                    verdict: c.verdict(&outcome.runs),
                })
                .collect();
            Ok(outcome)
        }
        Kind::Epochs(spec) => {
            let data = data::load_epoch_data(ctx, &spec.datasets)?;
            println!("   data: {}", data.record.describe());
            let mut outcome = Outcome {
                data: Some(data.record.clone()),
                ..Outcome::default()
            };
            for (i, r) in spec.runs.iter().enumerate() {
                running(&r.label, i, spec.runs.len());
                outcome
                    .runs
                    .push(train::run_epochs(ctx, &experiment.name, spec, r, &data, i)?);
                save_progress(&outcome)?;
            }
            outcome.checks = spec
                .checks
                .iter()
                .map(|c| CheckResult {
                    claim: c.claim.clone(),
                    verdict: c.verdict(&outcome.runs),
                })
                .collect();
            Ok(outcome)
        }
        Kind::Custom(f) => f(ctx),
    }
}

fn print_outcome(outcome: &Outcome, dir: &Path, seconds: f64, quick: bool) {
    for note in &outcome.notes {
        println!("   {note}");
    }
    if !outcome.runs.is_empty() {
        println!(
            "   {:<30} {:>8} {:>8} {:>8} {:>9} {:>7}",
            "run", "train", "test", "best", "loss", "secs"
        );
        for r in &outcome.runs {
            let loss = r.last().val_loss.unwrap_or(r.last().loss);
            println!(
                "   {:<30} {:>8.4} {:>8.4} {:>8.4} {:>9.4} {:>7.2}",
                r.label,
                r.final_train(),
                r.final_test(),
                r.best_test(),
                loss,
                r.wall_seconds
            );
        }
    }
    for c in &outcome.checks {
        let verdict = if c.verdict.holds {
            "holds"
        } else {
            "does not hold"
        };
        println!("   [{verdict}] {} — {}", c.claim, c.verdict.evidence);
    }
    if quick && !outcome.checks.is_empty() {
        println!("   (quick run: a reduced schedule; verdicts are indicative only)");
    }
    println!("   results in {} ({seconds:.1} s)", dir.display());
}

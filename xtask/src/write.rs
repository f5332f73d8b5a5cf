//! Writes an experiment's results: `curves.csv`, `summary.json`, one accuracy plot per run and
//! an overlay of the runs' test curves (val_loss for epoch experiments); over many seeds, each
//! curve is the mean with a min–max band and the summary gives statistics over the seeds.

use std::fmt::Write as _;
use std::path::Path;

use crate::context::Context;
use crate::error::XtaskError;
use crate::output::{save_chart, write_atomic, write_json};
use crate::plot::{LineChart, Series};
use crate::results::{Point, Results, RunResult};
use crate::seeds::Stats;
use crate::spec::Experiment;

/// File-name-safe form of a run label.
pub fn slug(label: &str) -> String {
    let mut s: String = label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    while s.contains("--") {
        s = s.replace("--", "-");
    }
    s.trim_matches('-').to_string()
}

/// The CSV of runs' curves: `run,step,…`, or `run,seed,step,…` when `with_seed`.
pub fn curves_csv<'a>(
    runs: impl IntoIterator<Item = (u64, &'a RunResult)>,
    with_seed: bool,
) -> String {
    let mut csv = String::from(if with_seed {
        "run,seed,step,train_acc,test_acc,loss,val_loss\n"
    } else {
        "run,step,train_acc,test_acc,loss,val_loss\n"
    });
    for (seed, run) in runs {
        let label = run.label.replace(',', ";");
        let seed = if with_seed {
            format!("{seed},")
        } else {
            String::new()
        };
        for p in &run.curve {
            let val = p.val_loss.map(|v| format!("{v:.6}")).unwrap_or_default();
            let _ = writeln!(
                csv,
                "{label},{seed}{},{:.6},{:.6},{:.6},{val}",
                p.step, p.train_acc, p.test_acc, p.loss
            );
        }
    }
    csv
}

/// A curve over seeds: at each recorded step, the mean of `value` over the seeds' runs, and
/// with many seeds the min–max band.
fn curve(label: &str, runs: &[(u64, &RunResult)], value: impl Fn(&Point) -> Option<f64>) -> Series {
    let steps = runs.first().map_or(0, |(_, r)| r.curve.len());
    let mut points = Vec::with_capacity(steps);
    let mut band = Vec::with_capacity(steps);
    for i in 0..steps {
        let values: Vec<f64> = runs
            .iter()
            .filter_map(|(_, r)| r.curve.get(i).and_then(&value))
            .filter(|v| v.is_finite())
            .collect();
        if values.is_empty() {
            continue;
        }
        let x = runs[0].1.curve[i].step as f64;
        let s = Stats::of(&values);
        points.push((x, s.mean));
        band.push((x, s.min, s.max));
    }
    Series {
        label: label.to_string(),
        points,
        band: (runs.len() > 1).then_some(band),
    }
}

/// How a figure says which seeds it shows.
fn seeds_note(results: &Results) -> String {
    match results.per_seed.as_slice() {
        [(seed, _)] if !results.multi_seed => format!("seed {seed}"),
        seeds => format!("{} seed(s): mean, band min–max", seeds.len()),
    }
}

/// Writes curves, summary and figures under `dir` (and removes its partial curves).
pub fn write_outcome(
    ctx: &Context,
    experiment: &Experiment,
    results: &mut Results,
    dir: &Path,
    seconds: f64,
    epochs: bool,
) -> Result<(), XtaskError> {
    if results.has_runs() {
        let rows = results
            .per_seed
            .iter()
            .flat_map(|(seed, o)| o.runs.iter().map(move |r| (*seed, r)));
        write_atomic(
            &dir.join("curves.csv"),
            curves_csv(rows, results.multi_seed).as_bytes(),
        )?;
        let x_label = if epochs { "epoch" } else { "iteration" };
        let note = seeds_note(results);
        let labels: Vec<String> = results.labels().iter().map(|l| l.to_string()).collect();
        let mut figures = Vec::new();
        for (k, label) in labels.iter().enumerate() {
            let runs = results.run_over_seeds(k);
            let stem = format!("run-{}", slug(label));
            let chart = LineChart {
                title: format!("{}: {label}", experiment.name),
                subtitle: note.clone(),
                x_label: x_label.into(),
                y_label: "accuracy".into(),
                y_range: Some((0.0, 1.0)),
                series: vec![
                    curve("training set", &runs, |p| Some(p.train_acc)),
                    curve("test set", &runs, |p| Some(p.test_acc)),
                ],
            };
            save_chart(&chart, &dir.join(&stem))?;
            figures.push(format!("{stem}.png"));
        }
        let overlay_of =
            |title: &str, y_label: &str, y_range, value: &dyn Fn(&Point) -> Option<f64>| {
                LineChart {
                    title: format!("{}: {title}", experiment.name),
                    subtitle: note.clone(),
                    x_label: x_label.into(),
                    y_label: y_label.into(),
                    y_range,
                    series: labels
                        .iter()
                        .enumerate()
                        .map(|(k, label)| curve(label, &results.run_over_seeds(k), value))
                        .collect(),
                }
            };
        let mut front = vec!["overlay.png".to_string()];
        if epochs {
            let overlay = overlay_of("validation loss", "val_loss", None, &|p| p.val_loss);
            save_chart(&overlay, &dir.join("overlay"))?;
            let loss = overlay_of("training loss", "loss", None, &|p| Some(p.loss));
            save_chart(&loss, &dir.join("loss"))?;
            front.push("loss.png".into());
        } else {
            let overlay = overlay_of("test accuracy", "test accuracy", Some((0.0, 1.0)), &|p| {
                Some(p.test_acc)
            });
            save_chart(&overlay, &dir.join("overlay"))?;
        }
        front.extend(figures);
        results.figures = front;
    }
    let mut summary = serde_json::json!({
        "experiment": experiment.name,
        "section": experiment.section,
        "summary": experiment.summary,
        "settings": ctx,
        // The threads used: fewer than asked if the system refused to start some.
        "threads": dl_tensor::num_threads(),
        "git_revision": git_revision(),
        "wall_seconds": seconds,
    });
    let fields = if results.multi_seed {
        multi_seed_summary(results)
    } else {
        single_seed_summary(results)
    };
    let map = summary.as_object_mut().expect("a JSON object");
    for (key, value) in fields {
        map.insert(key.into(), value);
    }
    map.insert("data".into(), serde_json::json!(results.data));
    map.insert("notes".into(), serde_json::json!(results.notes));
    map.insert("figures".into(), serde_json::json!(results.figures));
    write_json(&dir.join("summary.json"), &summary)?;
    // The whole curves are written: the partial ones of the runs so far are not needed.
    let _ = std::fs::remove_file(dir.join(crate::folder::PARTIAL_CURVES));
    Ok(())
}

/// The figures of a run that a summary gives, by name.
fn figures_of(r: &RunResult) -> Vec<(&'static str, Option<f64>)> {
    let has_val = r.curve.iter().any(|p| p.val_loss.is_some());
    vec![
        ("final_train_acc", Some(r.final_train())),
        ("final_test_acc", Some(r.final_test())),
        ("best_test_acc", Some(r.best_test())),
        ("gap", Some(r.final_train() - r.final_test())),
        ("final_loss", Some(r.last().loss)),
        ("final_val_loss", r.last().val_loss),
        ("best_val_loss", has_val.then(|| r.best_val_loss())),
    ]
}

/// `runs` and `checks` of a one-seed summary.
fn single_seed_summary(results: &Results) -> Vec<(&'static str, serde_json::Value)> {
    let Some((_, outcome)) = results.per_seed.first() else {
        return vec![
            ("runs", serde_json::json!([])),
            ("checks", serde_json::json!([])),
        ];
    };
    let runs = outcome.runs.iter().map(|r| serde_json::json!({
        "label": r.label,
        "settings": r.settings,
        "parameters": r.parameters,
        "final_train_acc": r.final_train(),
        "final_test_acc": r.final_test(),
        "best_test_acc": r.best_test(),
        "final_loss": r.last().loss,
        "final_val_loss": r.last().val_loss,
        "best_val_loss": r.curve.iter().any(|p| p.val_loss.is_some()).then(|| r.best_val_loss()),
        "wall_seconds": r.wall_seconds,
    }));
    vec![
        ("runs", serde_json::json!(runs.collect::<Vec<_>>())),
        ("checks", serde_json::json!(outcome.checks)),
    ]
}

/// `seeds`, `runs` (statistics over seeds, then each seed's figures) and `checks` (counted
/// over seeds) of a many-seed summary.
fn multi_seed_summary(results: &Results) -> Vec<(&'static str, serde_json::Value)> {
    let seeds: Vec<u64> = results.per_seed.iter().map(|(s, _)| *s).collect();
    let runs: Vec<serde_json::Value> = results
        .labels()
        .iter()
        .enumerate()
        .map(|(k, label)| {
            let over = results.run_over_seeds(k);
            let first = over[0].1;
            let mut statistics = serde_json::Map::new();
            for (i, (name, _)) in figures_of(first).into_iter().enumerate() {
                let values: Vec<f64> = over
                    .iter()
                    .filter_map(|(_, r)| figures_of(r)[i].1)
                    .collect();
                if !values.is_empty() {
                    statistics.insert(name.into(), serde_json::json!(Stats::of(&values)));
                }
            }
            let per_seed: Vec<serde_json::Value> = over
                .iter()
                .map(|(seed, r)| {
                    let mut m = serde_json::Map::new();
                    m.insert("seed".into(), serde_json::json!(seed));
                    for (name, v) in figures_of(r) {
                        if let Some(v) = v {
                            m.insert(name.into(), serde_json::json!(v));
                        }
                    }
                    m.insert("wall_seconds".into(), serde_json::json!(r.wall_seconds));
                    serde_json::Value::Object(m)
                })
                .collect();
            serde_json::json!({
                "label": label,
                "settings": first.settings,
                "parameters": first.parameters,
                "statistics": statistics,
                "per_seed": per_seed,
            })
        })
        .collect();
    let checks: Vec<serde_json::Value> = results
        .checks
        .iter()
        .map(|c| {
            serde_json::json!({
                "claim": c.claim,
                "verdict": c.tally.standing(),
                "held": c.tally.held,
                "of": c.tally.of,
                "evidence": c.evidence,
                "per_seed": c.per_seed.iter().map(|(seed, v)| serde_json::json!({
                    "seed": seed, "holds": v.holds, "evidence": v.evidence,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    vec![
        ("seeds", serde_json::json!(seeds)),
        ("runs", serde_json::json!(runs)),
        ("checks", serde_json::json!(checks)),
    ]
}

/// The git revision when this process first asked (`reproduce` asks as it starts), or
/// "unknown".
pub fn git_revision() -> String {
    // Read once per process, so every summary and the report of one run name the same commit
    // even if HEAD moves while it runs.
    static REVISION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    REVISION
        .get_or_init(|| {
            std::process::Command::new("git")
                .args(["rev-parse", "--short", "HEAD"])
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
                .unwrap_or_else(|| "unknown".into())
        })
        .clone()
}

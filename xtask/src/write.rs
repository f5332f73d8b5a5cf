//! Writes an experiment's results: `curves.csv`, `summary.json`, one accuracy plot per run and
//! an overlay of the runs' test curves (val_loss for epoch experiments).

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use crate::context::Context;
use crate::error::XtaskError;
use crate::output::{save_chart, write_atomic, write_json};
use crate::plot::{LineChart, Series};
use crate::results::Outcome;
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

/// The CSV of every run's curve.
pub fn curves_csv(outcome: &Outcome) -> String {
    let mut csv = String::from("run,step,train_acc,test_acc,loss,val_loss\n");
    for run in &outcome.runs {
        for p in &run.curve {
            let val = p.val_loss.map(|v| format!("{v:.6}")).unwrap_or_default();
            let _ = writeln!(
                csv,
                "{},{},{:.6},{:.6},{:.6},{val}",
                run.label.replace(',', ";"),
                p.step,
                p.train_acc,
                p.test_acc,
                p.loss
            );
        }
    }
    csv
}

/// Writes curves, summary and figures under `dir` (and removes its partial curves).
pub fn write_outcome(
    ctx: &Context,
    experiment: &Experiment,
    outcome: &mut Outcome,
    dir: &Path,
    wall: Duration,
    epochs: bool,
) -> Result<(), XtaskError> {
    if !outcome.runs.is_empty() {
        write_atomic(&dir.join("curves.csv"), curves_csv(outcome).as_bytes())?;
        let x_label = if epochs { "epoch" } else { "iteration" };
        for run in &outcome.runs {
            let stem = format!("run-{}", slug(&run.label));
            let chart = LineChart {
                title: format!("{}: {}", experiment.name, run.label),
                x_label: x_label.into(),
                y_label: "accuracy".into(),
                y_range: Some((0.0, 1.0)),
                series: vec![
                    Series {
                        label: "training set".into(),
                        points: run
                            .curve
                            .iter()
                            .map(|p| (p.step as f64, p.train_acc))
                            .collect(),
                    },
                    Series {
                        label: "test set".into(),
                        points: run
                            .curve
                            .iter()
                            .map(|p| (p.step as f64, p.test_acc))
                            .collect(),
                    },
                ],
            };
            save_chart(&chart, &dir.join(&stem))?;
            outcome.figures.push(format!("{stem}.png"));
        }
        let overlay = if epochs {
            LineChart {
                title: format!("{}: validation loss", experiment.name),
                x_label: "epoch".into(),
                y_label: "val_loss".into(),
                y_range: None,
                series: outcome
                    .runs
                    .iter()
                    .map(|r| Series {
                        label: r.label.clone(),
                        points: r
                            .curve
                            .iter()
                            .filter_map(|p| p.val_loss.map(|v| (p.step as f64, v)))
                            .collect(),
                    })
                    .collect(),
            }
        } else {
            LineChart {
                title: format!("{}: test accuracy", experiment.name),
                x_label: x_label.into(),
                y_label: "test accuracy".into(),
                y_range: Some((0.0, 1.0)),
                series: outcome
                    .runs
                    .iter()
                    .map(|r| Series {
                        label: r.label.clone(),
                        points: r
                            .curve
                            .iter()
                            .map(|p| (p.step as f64, p.test_acc))
                            .collect(),
                    })
                    .collect(),
            }
        };
        save_chart(&overlay, &dir.join("overlay"))?;
        outcome.figures.insert(0, "overlay.png".into());
        if epochs {
            let loss_chart = LineChart {
                title: format!("{}: training loss", experiment.name),
                x_label: "epoch".into(),
                y_label: "loss".into(),
                y_range: None,
                series: outcome
                    .runs
                    .iter()
                    .map(|r| Series {
                        label: r.label.clone(),
                        points: r.curve.iter().map(|p| (p.step as f64, p.loss)).collect(),
                    })
                    .collect(),
            };
            save_chart(&loss_chart, &dir.join("loss"))?;
            outcome.figures.insert(1, "loss.png".into());
        }
    }
    let summary = serde_json::json!({
        "experiment": experiment.name,
        "section": experiment.section,
        "summary": experiment.summary,
        "settings": ctx,
        // The threads used: fewer than asked if the system refused to start some.
        "threads": dl_tensor::num_threads(),
        "git_revision": git_revision(),
        "wall_seconds": wall.as_secs_f64(),
        "runs": outcome.runs.iter().map(|r| serde_json::json!({
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
        })).collect::<Vec<_>>(),
        "checks": outcome.checks,
        "data": outcome.data,
        "notes": outcome.notes,
        "figures": outcome.figures,
    });
    write_json(&dir.join("summary.json"), &summary)?;
    // The whole curves are written: the partial ones of the runs so far are not needed.
    let _ = std::fs::remove_file(dir.join(crate::folder::PARTIAL_CURVES));
    Ok(())
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

//! `REPORT.md`: every experiment's figures, table and verdicts, read back from the
//! `summary.json` files of the results folder (so it shows what is on disk, whatever runs made
//! each folder and with how many seeds), which of the notes' conclusions survive the seed, and
//! the notes' errata.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

use crate::context::Context;
use crate::error::XtaskError;
use crate::output::write_atomic;
/// The notes' code errors and what this project does instead.
pub const ERRATA: &[(&str, &str)] = &[
    (
        "The L2 loss term is logged as `0.5·λ·√ΣW²`.",
        "We log `0.5·λ·ΣW²`, the term whose gradient is `λW`.",
    ),
    (
        "The hand-written L1/L2 loops update only the hidden layers; the output layer stays at its random init.",
        "Every layer is updated; `--as-notebook` replays the frozen output layer.",
    ),
    (
        "The hand-written AdaGrad skips `h += g²` on the first step.",
        "`h` is accumulated on every step; `--as-notebook` replays the skip.",
    ),
    (
        "The loss is computed inside the per-parameter update loop (six times, on half-updated weights).",
        "The loss is computed once per iteration, before the update.",
    ),
    (
        "BatchNorm's γ and β are never updated in 2_3/2_4.",
        "γ and β are trained like every parameter; `--as-notebook` freezes them.",
    ),
    (
        "The Elastic Net formula has a minus sign.",
        "It is `λ1·Σ|w| + λ2·Σw²` (we use `λ1·Σ|w| + 0.5·λ2·Σw²` to match the L2 convention).",
    ),
    (
        "The BatchNorm formula writes `γx + β`.",
        "It is `γx̂ + β`, with x̂ the normalised input.",
    ),
    (
        "The course's Dropout is not inverted (no scaling in training, ×(1−p) at inference).",
        "Both conventions exist; the NumPy experiments use the course's, the Keras ones the inverted.",
    ),
    (
        "The course's BatchNorm on 4-D input normalises per feature (C·H·W), ε written `10e-7`.",
        "Both per-feature (course) and per-channel (Keras/PyTorch) statistics exist; ε = 1e-6 as the code means.",
    ),
    (
        "AlexNet prose: 96 filters, a \"5×5 pooling\", \"4096 = 13×13×256\".",
        "torchvision's layout: 64 filters first, 3×3 max pooling stride 2, 256×6×6 = 9216 inputs to the first Linear.",
    ),
    (
        "Keras's `L1L2(0.01)` sets only l1.",
        "We run it as Keras does and a real Elastic Net with both terms.",
    ),
];

/// Writes `REPORT.md` in `out` from the summaries of the experiments found there, in the
/// notes' order; returns how many it found.
pub fn write_report(out: &Path) -> Result<usize, XtaskError> {
    let mut summaries = Vec::new();
    for experiment in crate::experiments::all() {
        let path = out.join(&experiment.name).join("summary.json");
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let summary: Value = serde_json::from_str(&text).map_err(|e| {
            XtaskError::Other(format!(
                "{}: not a summary this version reads ({e}); run the experiment again",
                path.display()
            ))
        })?;
        summaries.push(summary);
    }
    if summaries.is_empty() {
        return Err(XtaskError::Path {
            flag: "--out",
            path: out.to_path_buf(),
            expected: "holds no experiment's summary.json; run `cargo xtask reproduce` first"
                .into(),
        });
    }
    let mut md = String::from("# Reproduction report\n\n");
    md.push_str(
        "Each section names the command that made it. Over many seeds, tables give `mean ± \
         standard deviation [min, max]` over the seeds; a claim **holds** when it holds on at \
         least 80 % of the seeds, **does not hold** on at most 20 %, and is **mixed** in \
         between, its numbers given as `mean [min, max]`.\n\n",
    );
    for summary in &summaries {
        section(&mut md, summary);
    }
    survival(&mut md, &summaries);
    md.push_str(
        "## Errata: the notes' errors and what we do instead\n\n| the notes | here |\n|---|---|\n",
    );
    for (wrong, right) in ERRATA {
        let _ = writeln!(md, "| {wrong} | {right} |");
    }
    write_atomic(&out.join("REPORT.md"), md.as_bytes())?;
    Ok(summaries.len())
}

/// `10` seeds, or the one seed, from a summary.
fn seeds_of(summary: &Value) -> Vec<u64> {
    match summary["seeds"].as_array() {
        Some(seeds) => seeds.iter().filter_map(Value::as_u64).collect(),
        None => summary["settings"]["seed"].as_u64().into_iter().collect(),
    }
}

/// `0–9` for consecutive seeds, else the list.
fn describe_seeds(seeds: &[u64]) -> String {
    let consecutive = seeds.windows(2).all(|w| w[1] == w[0] + 1);
    match seeds {
        [one] => format!("seed {one}"),
        [first, .., last] if consecutive => format!("{} seeds ({first}–{last})", seeds.len()),
        _ => format!(
            "seeds {}",
            seeds
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

fn section(md: &mut String, s: &Value) {
    let name = s["experiment"].as_str().unwrap_or_default();
    let many = s["seeds"].is_array();
    let _ = writeln!(
        md,
        "## {} — `{name}`\n",
        s["section"].as_str().unwrap_or_default()
    );
    let flags = serde_json::from_value::<Context>(s["settings"].clone())
        .map(|c| c.schedule_flags())
        .unwrap_or_default();
    let _ = writeln!(
        md,
        "`cargo xtask reproduce {name}{flags}`: {}, {} thread(s), revision {}, {:.0} s.  ",
        describe_seeds(&seeds_of(s)),
        s["threads"],
        s["git_revision"].as_str().unwrap_or("unknown"),
        f(&s["wall_seconds"])
    );
    if let Ok(data) = serde_json::from_value::<crate::data::DataRecord>(s["data"].clone()) {
        let _ = writeln!(md, "data: {}  ", data.describe());
    }
    for note in s["notes"].as_array().into_iter().flatten() {
        let _ = writeln!(md, "{}  ", note.as_str().unwrap_or_default());
    }
    md.push('\n');
    let runs = s["runs"].as_array().cloned().unwrap_or_default();
    if !runs.is_empty() && many {
        md.push_str("| run | final train | final test | best test | gap (train − test) | final loss |\n|---|---|---|---|---|---|\n");
        for r in &runs {
            let st = &r["statistics"];
            let cell = |key: &str| {
                let c = &st[key];
                format!(
                    "{:.4} ± {:.4} [{:.4}, {:.4}]",
                    f(&c["mean"]),
                    f(&c["std"]),
                    f(&c["min"]),
                    f(&c["max"])
                )
            };
            let loss = if st["final_val_loss"].is_object() {
                "final_val_loss"
            } else {
                "final_loss"
            };
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} |",
                r["label"].as_str().unwrap_or_default(),
                cell("final_train_acc"),
                cell("final_test_acc"),
                cell("best_test_acc"),
                cell("gap"),
                cell(loss)
            );
        }
        md.push('\n');
    } else if !runs.is_empty() {
        md.push_str("| run | final train | final test | best test | final loss | val_loss | seconds |\n|---|---|---|---|---|---|---|\n");
        for r in &runs {
            let val = r["final_val_loss"]
                .as_f64()
                .map(|v| format!("{v:.4}"))
                .unwrap_or_else(|| "—".into());
            let _ = writeln!(
                md,
                "| {} | {:.4} | {:.4} | {:.4} | {:.4} | {val} | {:.1} |",
                r["label"].as_str().unwrap_or_default(),
                f(&r["final_train_acc"]),
                f(&r["final_test_acc"]),
                f(&r["best_test_acc"]),
                f(&r["final_loss"]),
                f(&r["wall_seconds"])
            );
        }
        md.push('\n');
    }
    for c in s["checks"].as_array().into_iter().flatten() {
        let (verdict, evidence) = verdict_of(c);
        let _ = writeln!(
            md,
            "- **{verdict}**: {} — {evidence}",
            c["claim"].as_str().unwrap_or_default()
        );
    }
    md.push('\n');
    for fig in s["figures"].as_array().into_iter().flatten() {
        let fig = fig.as_str().unwrap_or_default();
        let _ = writeln!(md, "![{name} {fig}]({name}/{fig})");
    }
    md.push('\n');
}

/// A check's verdict as words (`holds (9 of 10 seeds)`, or `holds` for one seed) and its
/// evidence, from either summary layout.
fn verdict_of(c: &Value) -> (String, String) {
    if let Some(held) = c["held"].as_u64() {
        let tally = crate::seeds::Tally {
            held: held as usize,
            of: c["of"].as_u64().unwrap_or(0) as usize,
        };
        (
            tally.describe(),
            c["evidence"].as_str().unwrap_or_default().into(),
        )
    } else {
        let holds = c["verdict"]["holds"].as_bool().unwrap_or(false);
        let word = if holds { "holds" } else { "does not hold" };
        (
            word.into(),
            c["verdict"]["evidence"].as_str().unwrap_or_default().into(),
        )
    }
}

/// Which of the notes' conclusions survive the seed: every claim checked over many seeds,
/// grouped by its standing.
fn survival(md: &mut String, summaries: &[Value]) {
    let mut rows = Vec::new();
    for s in summaries.iter().filter(|s| s["seeds"].is_array()) {
        for c in s["checks"].as_array().into_iter().flatten() {
            let (verdict, _) = verdict_of(c);
            rows.push((
                c["verdict"].as_str().unwrap_or_default().to_string(),
                s["experiment"].as_str().unwrap_or_default().to_string(),
                c["claim"].as_str().unwrap_or_default().to_string(),
                verdict,
            ));
        }
    }
    if rows.is_empty() {
        return;
    }
    md.push_str(
        "## Which of the notes' conclusions survive the seed\n\nEvery claim checked over many \
         seeds above, grouped: those that hold whatever the seed, those the seed decides, and \
         those that do not hold.\n\n| standing | experiment | claim |\n|---|---|---|\n",
    );
    for standing in ["holds", "mixed", "does_not_hold"] {
        for (_, experiment, claim, verdict) in rows.iter().filter(|r| r.0 == standing) {
            let _ = writeln!(md, "| {verdict} | `{experiment}` | {claim} |");
        }
    }
    md.push('\n');
}

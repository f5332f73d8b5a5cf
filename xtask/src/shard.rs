//! Work divided between processes and machines: `--shard I/N` does every N-th (experiment,
//! seed, run) item starting with the I-th and writes what it did to its own folder;
//! `cargo xtask merge OUT DIR…` puts the folders of all N shards together into the result one
//! process would have written. `--jobs J` is J shards on this machine, merged at the end.
//!
//! A shard folder holds `shard.json` (the slice, the revision, the settings) and, per
//! experiment, `<name>/part.json` with each finished run's curve (floats stored as their bits,
//! so a merged result is identical to a one-process one, verdicts included).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::context::Context;
use crate::error::XtaskError;
use crate::execute::{Done, Item};
use crate::folder::OutFolder;
use crate::output::write_json;
use crate::results::{CheckResult, Outcome, RunResult, SeedRun};
use crate::spec::{Experiment, Verdict};

/// The I-th of N slices of the work (I from 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// Which slice, from 1.
    pub index: usize,
    /// How many slices.
    pub of: usize,
}

impl Shard {
    /// Parses `I/N` with 1 ≤ I ≤ N.
    pub fn parse(value: &str) -> Result<Shard, String> {
        let bad = || format!("`{value}` is not I/N with 1 ≤ I ≤ N (for example 2/8)");
        let (i, n) = value.split_once('/').ok_or_else(bad)?;
        let (index, of) = (
            i.trim().parse::<usize>().map_err(|_| bad())?,
            n.trim().parse::<usize>().map_err(|_| bad())?,
        );
        if index == 0 || index > of {
            return Err(bad());
        }
        Ok(Shard { index, of })
    }

    /// Whether the `k`-th item of the work (from 0) is this slice's.
    pub fn takes(self, k: usize) -> bool {
        k % self.of == self.index - 1
    }
}

/// Each experiment's items that this invocation does: all of them, or the shard's slice of the
/// items numbered across the experiments in order.
pub fn plan(experiments: &[Experiment], seeds: &[u64], shard: Option<Shard>) -> Vec<Vec<Item>> {
    let mut k = 0;
    experiments
        .iter()
        .map(|e| {
            crate::execute::items(e, seeds)
                .into_iter()
                .filter(|_| {
                    let mine = shard.is_none_or(|s| s.takes(k));
                    k += 1;
                    mine
                })
                .collect()
        })
        .collect()
}

/// The file that says what a shard folder is.
const MANIFEST: &str = "shard.json";
/// The file of one experiment's finished items in a shard folder.
const PART: &str = "part.json";
/// The version of the shard files' layout.
const FORMAT: u32 = 1;

/// What a shard folder holds: which slice of which work, by which revision, with which settings.
#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    format: u32,
    shard: Shard,
    /// The experiment names as given (`all`, names or files).
    names: Vec<String>,
    /// The experiments they resolved to, in order.
    experiments: Vec<String>,
    revision: String,
    /// The options of the invocation.
    settings: Context,
}

/// One finished run, with its curve's floats as bits.
#[derive(Debug, Serialize, Deserialize)]
struct PartRun {
    seed: u64,
    run: usize,
    label: String,
    settings: serde_json::Value,
    parameters: usize,
    wall_seconds: f64,
    /// `[step, train_acc, test_acc, loss, val_loss or u64::MAX]`, the floats as `f64::to_bits`.
    curve: Vec<[u64; 5]>,
}

/// A print-and-check experiment's outcome.
#[derive(Debug, Serialize, Deserialize)]
struct WholeRecord {
    notes: Vec<String>,
    /// `(claim, holds, evidence)`.
    checks: Vec<(String, bool, String)>,
}

/// One experiment's share of a shard.
#[derive(Debug, Serialize, Deserialize)]
struct Part {
    experiment: String,
    runs: Vec<PartRun>,
    whole: Option<WholeRecord>,
    data: Option<crate::data::DataRecord>,
    seconds: f64,
}

const NO_VALUE: u64 = u64::MAX;

impl PartRun {
    fn new(r: &SeedRun) -> PartRun {
        let curve = r
            .result
            .curve
            .iter()
            .map(|p| {
                [
                    p.step as u64,
                    p.train_acc.to_bits(),
                    p.test_acc.to_bits(),
                    p.loss.to_bits(),
                    p.val_loss.map_or(NO_VALUE, f64::to_bits),
                ]
            })
            .collect();
        PartRun {
            seed: r.seed,
            run: r.run,
            label: r.result.label.clone(),
            settings: r.result.settings.clone(),
            parameters: r.result.parameters,
            wall_seconds: r.result.wall_seconds,
            curve,
        }
    }

    fn into_seed_run(self) -> SeedRun {
        let curve = self
            .curve
            .iter()
            .map(|&[step, train, test, loss, val]| crate::results::Point {
                step: step as usize,
                train_acc: f64::from_bits(train),
                test_acc: f64::from_bits(test),
                loss: f64::from_bits(loss),
                val_loss: (val != NO_VALUE).then(|| f64::from_bits(val)),
            })
            .collect();
        SeedRun {
            seed: self.seed,
            run: self.run,
            result: RunResult {
                label: self.label,
                settings: self.settings,
                curve,
                wall_seconds: self.wall_seconds,
                parameters: self.parameters,
            },
        }
    }
}

/// Writes one experiment's share into `dir` (its staging folder).
pub fn write_part(experiment: &Experiment, done: &Done, dir: &Path) -> Result<(), XtaskError> {
    let whole = done.whole.as_ref().map(|o| WholeRecord {
        notes: o.notes.clone(),
        checks: o
            .checks
            .iter()
            .map(|c| (c.claim.clone(), c.verdict.holds, c.verdict.evidence.clone()))
            .collect(),
    });
    let part = Part {
        experiment: experiment.name.clone(),
        runs: done.runs.iter().map(PartRun::new).collect(),
        whole,
        data: done.data.clone(),
        seconds: done.seconds,
    };
    write_json(&dir.join(PART), &part)?;
    let _ = std::fs::remove_file(dir.join(crate::folder::PARTIAL_CURVES));
    Ok(())
}

/// Writes the shard's manifest once every experiment's share is in place.
pub fn write_manifest(
    ctx: &Context,
    shard: Shard,
    names: &[String],
    experiments: &[Experiment],
) -> Result<(), XtaskError> {
    let manifest = Manifest {
        format: FORMAT,
        shard,
        names: names.to_vec(),
        experiments: experiments.iter().map(|e| e.name.clone()).collect(),
        revision: crate::write::git_revision(),
        settings: ctx.clone(),
    };
    write_json(&ctx.out_dir.join(MANIFEST), &manifest)
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path, what: &str) -> Result<T, XtaskError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        XtaskError::Other(format!(
            "{}: cannot read {what} ({e}); expected a folder written by `reproduce --shard`",
            path.display()
        ))
    })?;
    serde_json::from_str(&text).map_err(|e| {
        XtaskError::Other(format!(
            "{}: not a {what} of this version ({e}); write it again with `reproduce --shard`",
            path.display()
        ))
    })
}

/// The settings that must agree between shards: all but where they wrote and how many threads
/// they had.
fn comparable(ctx: &Context) -> serde_json::Value {
    let mut v = serde_json::to_value(ctx).unwrap_or_default();
    if let Some(map) = v.as_object_mut() {
        for key in ["out_dir", "threads", "interactive"] {
            map.remove(key);
        }
    }
    v
}

/// `cargo xtask merge OUT DIR…`: checks that the folders are the N shards of one invocation
/// (same revision, names and settings; every slice once) and writes the result into `out`.
pub fn merge(out: &Path, dirs: &[PathBuf], interactive: bool) -> Result<(), XtaskError> {
    merge_into(&OutFolder::open(out)?, dirs, interactive)
}

/// [`merge`] into an output folder this process holds.
pub fn merge_into(
    folder: &OutFolder,
    dirs: &[PathBuf],
    interactive: bool,
) -> Result<(), XtaskError> {
    let out = folder.path();
    if dirs.is_empty() {
        return Err(XtaskError::InvalidFlag {
            flag: "<DIR>",
            reason: "name the shard folders to merge".into(),
        });
    }
    let manifests: Vec<Manifest> = dirs
        .iter()
        .map(|d| read_json(&d.join(MANIFEST), "shard manifest"))
        .collect::<Result<_, _>>()?;
    let first = &manifests[0];
    for (m, dir) in manifests.iter().zip(dirs).skip(1) {
        let differs = |what: &str, a: String, b: String| {
            XtaskError::Other(format!(
                "{} is a shard of another run: its {what} is {b}, {}'s is {a}; merge only the \
                 shards of one invocation",
                dir.display(),
                dirs[0].display()
            ))
        };
        if m.shard.of != first.shard.of {
            return Err(differs(
                "shard count",
                first.shard.of.to_string(),
                m.shard.of.to_string(),
            ));
        }
        if m.revision != first.revision {
            return Err(differs(
                "revision",
                first.revision.clone(),
                m.revision.clone(),
            ));
        }
        if m.names != first.names || m.experiments != first.experiments {
            return Err(differs(
                "experiment list",
                first.names.join(" "),
                m.names.join(" "),
            ));
        }
        if comparable(&m.settings) != comparable(&first.settings) {
            return Err(differs(
                "settings",
                comparable(&first.settings).to_string(),
                comparable(&m.settings).to_string(),
            ));
        }
    }
    let n = first.shard.of;
    let mut seen = vec![None; n];
    for (m, dir) in manifests.iter().zip(dirs) {
        if let Some(other) = seen[m.shard.index - 1].replace(dir) {
            return Err(XtaskError::Other(format!(
                "{} and {} are both shard {}/{n}",
                other.display(),
                dir.display(),
                m.shard.index
            )));
        }
    }
    let missing: Vec<String> = (1..=n)
        .filter(|i| seen[i - 1].is_none())
        .map(|i| format!("{i}/{n}"))
        .collect();
    if !missing.is_empty() {
        return Err(XtaskError::Other(format!(
            "shard(s) {} missing: run `cargo xtask reproduce {} --shard I/{n}` for each and \
             name its folder too",
            missing.join(", "),
            first.names.join(" ")
        )));
    }
    let mut ctx = first.settings.clone();
    ctx.out_dir = out.to_path_buf();
    ctx.interactive = interactive;
    ctx.shard = None;
    ctx.threads = dl_tensor::num_threads();
    let experiments = crate::reproduce::select(&first.names, ctx.full)?;
    let resolved: Vec<&str> = experiments.iter().map(|e| e.name.as_str()).collect();
    if resolved != first.experiments {
        return Err(XtaskError::Other(format!(
            "the shards ran {}, but {} now names {}; merge with the revision that wrote them",
            first.experiments.join(", "),
            first.names.join(" "),
            resolved.join(", ")
        )));
    }
    for experiment in &experiments {
        let mut pieces = Vec::new();
        for dir in dirs {
            let part: Part = read_json(&dir.join(&experiment.name).join(PART), "shard part")?;
            pieces.push(Done {
                runs: part.runs.into_iter().map(PartRun::into_seed_run).collect(),
                whole: part.whole.map(|w| Outcome {
                    notes: w.notes,
                    checks: w
                        .checks
                        .into_iter()
                        .map(|(claim, holds, evidence)| CheckResult {
                            claim,
                            verdict: Verdict::new(holds, evidence),
                        })
                        .collect(),
                    ..Outcome::default()
                }),
                data: part.data,
                seconds: part.seconds,
            });
        }
        let seconds = pieces.iter().map(|p| p.seconds).sum::<f64>();
        let results = crate::execute::assemble(experiment, &ctx.seeds, ctx.multi_seed, pieces)?;
        let staging = folder.stage(&experiment.name)?;
        crate::reproduce::publish(&ctx, folder, experiment, results, seconds, staging)?;
    }
    if first.names.iter().any(|n| n == "all") {
        crate::report::write_report(out)?;
        println!("report: {}", out.join("REPORT.md").display());
    }
    Ok(())
}

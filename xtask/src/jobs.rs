//! `--jobs J`: J worker processes of this program, each doing one shard of the work
//! (`--shard k/J`) into a temporary folder with its share of the threads, one progress bar over
//! all of them, then the shards merged into `--out`. Every item's numbers depend only on its
//! seed and run, so the result does not depend on J.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::context::Context;
use crate::error::XtaskError;
use crate::spec::Experiment;

/// The arguments that make a worker do shard `index` of `jobs` into `dir`.
fn worker_args(
    names: &[String],
    ctx: &Context,
    index: usize,
    jobs: usize,
    dir: &Path,
) -> Vec<String> {
    let mut args = vec!["reproduce".to_string()];
    args.extend(names.iter().cloned());
    let mut flag = |name: &str, value: Option<String>| {
        args.push(format!("--{name}"));
        args.extend(value);
    };
    flag("shard", Some(format!("{index}/{jobs}")));
    flag("out", Some(dir.display().to_string()));
    flag("threads", Some((ctx.threads / jobs).max(1).to_string()));
    flag("report-items", None);
    if ctx.multi_seed {
        flag("seeds", Some(ctx.seeds_flag()));
    } else {
        flag("seed", Some(ctx.seed.to_string()));
    }
    if ctx.quick {
        flag("quick", None);
    }
    if ctx.full {
        flag("full", None);
    }
    if ctx.as_notebook {
        flag("as-notebook", None);
    }
    if ctx.allow_noncanonical_data {
        flag("allow-noncanonical-data", None);
    }
    if let Some(d) = &ctx.data_dir {
        flag("data-dir", Some(d.display().to_string()));
    }
    if let Some(d) = &ctx.dataset {
        flag("dataset", Some(d.clone()));
    }
    if let Some(n) = ctx.iterations {
        flag("iterations", Some(n.to_string()));
    }
    if let Some(lr) = ctx.learning_rate {
        flag("learning-rate", Some(lr.to_string()));
    }
    args
}

/// Kills the workers still running when dropped (an error or a panic in the parent).
struct Workers(Vec<Child>);

impl Drop for Workers {
    fn drop(&mut self) {
        for child in &mut self.0 {
            if matches!(child.try_wait(), Ok(None)) {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}

/// Runs `names` as `ctx.jobs` worker processes and merges their shards into `ctx.out_dir`.
pub fn run(names: &[String], ctx: &Context, experiments: &[Experiment]) -> Result<(), XtaskError> {
    let total: usize = crate::shard::plan(experiments, &ctx.seeds, None)
        .iter()
        .map(Vec::len)
        .sum();
    let jobs = ctx.jobs.min(total.max(1));
    // Holding --out from the start refuses a second writer before any work is done.
    let out = crate::folder::OutFolder::open(&ctx.out_dir)?;
    let scratch = std::env::temp_dir().join(format!("dl-xtask-jobs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    let dirs: Vec<PathBuf> = (1..=jobs).map(|k| scratch.join(k.to_string())).collect();
    let exe = std::env::current_exe()
        .map_err(|e| XtaskError::Other(format!("--jobs: cannot find this program ({e})")))?;
    println!(
        "{jobs} job(s) over {total} item(s), {} thread(s) each",
        (ctx.threads / jobs).max(1)
    );
    // The worker's own error is on stderr already.
    let failed = |k: usize, status: std::process::ExitStatus| {
        XtaskError::Other(format!(
            "job {} of {jobs} failed ({status}); nothing was written to {}",
            k + 1,
            ctx.out_dir.display()
        ))
    };
    let (sender, lines) = mpsc::channel::<String>();
    let mut workers = Workers(Vec::with_capacity(jobs));
    for (k, dir) in dirs.iter().enumerate() {
        let mut child = Command::new(&exe)
            .args(worker_args(names, ctx, k + 1, jobs, dir))
            .stdout(Stdio::piped())
            .stdin(Stdio::null())
            .spawn()
            .map_err(|e| {
                XtaskError::Other(format!("--jobs: cannot start worker {} ({e})", k + 1))
            })?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let sender = sender.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        workers.0.push(child);
    }
    drop(sender);
    let bar = ctx.interactive.then(|| {
        let bar = ProgressBar::new(total as u64);
        bar.set_style(
            ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg} ETA {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_prefix(format!("{jobs} jobs"));
        bar
    });
    let mut done = 0;
    loop {
        match lines.recv_timeout(Duration::from_millis(200)) {
            Ok(line) => {
                let Some(item) = line.strip_prefix("@done ") else {
                    continue;
                };
                done += 1;
                let mut fields = item.split('\t');
                let (experiment, seed, label) = (
                    fields.next().unwrap_or(""),
                    fields.next().unwrap_or(""),
                    fields.next().unwrap_or(""),
                );
                let what = if seed == "-" {
                    experiment.to_string()
                } else {
                    format!("{experiment} · seed {seed} · {label}")
                };
                match &bar {
                    Some(bar) => {
                        bar.set_position(done as u64);
                        bar.set_message(what);
                    }
                    None => println!("  [{done}/{total}] {what}"),
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
        // A worker that failed ends the others.
        for (k, child) in workers.0.iter_mut().enumerate() {
            if let Ok(Some(status)) = child.try_wait()
                && !status.success()
            {
                if let Some(bar) = &bar {
                    bar.abandon();
                }
                return Err(failed(k, status));
            }
        }
    }
    for (k, child) in workers.0.iter_mut().enumerate() {
        let status = child
            .wait()
            .map_err(|e| XtaskError::Other(format!("job {}: {e}", k + 1)))?;
        if !status.success() {
            return Err(failed(k, status));
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let merged = crate::shard::merge_into(&out, &dirs, ctx.interactive);
    let _ = std::fs::remove_dir_all(&scratch);
    merged
}

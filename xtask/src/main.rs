//! `cargo xtask`: reproduces the experiments of the course's Day-2 deep-learning notes.
//!
//! `cargo xtask list` shows them; `cargo xtask reproduce gradient-vanishing` runs one and writes
//! its curves, figures and verdicts under `results/`.

mod context;
mod data;
mod error;
mod experiments;
mod output;
mod plot;
mod progress;
mod report;
mod reproduce;
mod results;
mod spec;
mod train;
mod write;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::context::Context;
use crate::error::XtaskError;

/// Reproduces the experiments of the course's Day-2 deep-learning notes.
#[derive(Parser)]
#[command(name = "cargo xtask", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Lists every experiment with the notes' section it reproduces and its runs.
    List,
    /// Runs experiments and writes curves, figures, summaries and verdicts.
    Reproduce(ReproduceArgs),
}

#[derive(clap::Args)]
struct ReproduceArgs {
    /// Experiment names (see `cargo xtask list`), or `all`.
    #[arg(value_name = "EXPERIMENT")]
    names: Vec<String>,
    /// Small scale (a tenth of the iterations, fewer samples): for CI and a first look.
    #[arg(long)]
    quick: bool,
    /// Seed of every random draw.
    #[arg(long, default_value_t = 2024)]
    seed: u64,
    /// Output folder.
    #[arg(long, default_value = "results")]
    out: PathBuf,
    /// Threads for the numeric kernels (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Folder to look for datasets in first (then $DL_DATA_DIR, datasets/, /usr/share/datasets/).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Dataset where more than one fits (the Keras experiments: cifar10 or fashion-mnist).
    #[arg(long)]
    dataset: Option<String>,
    /// Replay the notes' code errors (see EXPERIMENTS.md's errata).
    #[arg(long)]
    as_notebook: bool,
    /// deep-conv-net: train on all 60,000 training images.
    #[arg(long)]
    full: bool,
}

fn context(args: &ReproduceArgs) -> Result<Context, XtaskError> {
    let threads = match args.threads {
        Some(0) => {
            return Err(XtaskError::InvalidFlag {
                flag: "--threads",
                reason: "expected at least 1, got 0".into(),
            });
        }
        Some(n) => n,
        None => dl_tensor::num_threads(),
    };
    if let Some(d) = &args.dataset {
        if !["mnist", "fashion-mnist", "cifar10"].contains(&d.as_str()) {
            return Err(XtaskError::InvalidFlag {
                flag: "--dataset",
                reason: format!("`{d}` is not one of mnist, fashion-mnist, cifar10"),
            });
        }
    }
    // The project root, so `results/` lands there when run through `cargo xtask`.
    let out_dir = if args.out.is_relative() && std::env::var_os("CARGO").is_some() {
        project_root().join(&args.out)
    } else {
        args.out.clone()
    };
    Ok(Context {
        quick: args.quick,
        seed: args.seed,
        out_dir,
        threads,
        data_dir: args.data_dir.clone(),
        dataset: args.dataset.clone(),
        as_notebook: args.as_notebook,
        full: args.full,
        interactive: std::io::stderr().is_terminal(),
    })
}

/// The workspace root (the folder above `xtask/`).
pub fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default()
}

fn list() {
    for e in experiments::all() {
        println!("{:<20} {} — {}", e.name, e.section, e.summary);
        match &e.kind {
            spec::Kind::Iterations(s) => {
                for r in &s.runs {
                    println!("{:<20}   · {}", "", r.label);
                }
            }
            spec::Kind::Epochs(s) => {
                for r in &s.runs {
                    println!("{:<20}   · {}", "", r.label);
                }
            }
            spec::Kind::Custom(_) => {}
        }
    }
}

fn try_main() -> Result<(), XtaskError> {
    let cli = Cli::parse();
    match cli.command {
        Command::List => {
            list();
            Ok(())
        }
        Command::Reproduce(args) => reproduce::reproduce(&args.names, &context(&args)?),
    }
}

fn main() -> ExitCode {
    match try_main() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

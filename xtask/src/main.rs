//! `cargo xtask`: reproduces the experiments of the course's Day-2 deep-learning notes.
//!
//! `cargo xtask list` shows them; `cargo xtask reproduce gradient-vanishing` runs one and writes
//! its curves, figures and verdicts under `results/` (`--seeds 10` over ten seeds, `--jobs 2` in
//! two processes, `--shard I/N` one slice of the work for `cargo xtask merge`);
//! `cargo xtask fetch fashion-mnist` downloads a dataset that is not in the repository.

mod bench;
mod cli;
mod context;
mod data;
mod error;
mod execute;
mod experiment_file;
mod experiments;
mod fetch;
mod folder;
mod jobs;
mod output;
mod place;
mod plot;
mod png;
mod progress;
mod report;
mod reproduce;
mod results;
mod seeds;
mod shard;
mod spec;
mod stop;
mod train;
mod write;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::cli::Request;
use crate::error::XtaskError;

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
        for r in e.runs() {
            println!("{:<20}   · {}", "", r.label);
        }
    }
}

fn try_main() -> Result<(), XtaskError> {
    dl_tensor::gemm::kernel_from_env().map_err(XtaskError::Other)?;
    dl_tensor::threads_from_env().map_err(XtaskError::Other)?;
    match cli::parse()? {
        Request::List => {
            list();
            Ok(())
        }
        Request::Reproduce { names, context } => reproduce::reproduce(&names, &context),
        Request::Report { out } => {
            let n = report::write_report(&out)?;
            println!(
                "report of {n} experiment(s): {}",
                out.join("REPORT.md").display()
            );
            Ok(())
        }
        Request::Merge { out, dirs } => shard::merge(&out, &dirs, std::io::stderr().is_terminal()),
        Request::Bench(request) => bench::bench(&request),
        Request::Fetch {
            names,
            root,
            mirror,
        } => fetch::fetch(
            &names,
            &root,
            mirror.as_deref(),
            std::io::stderr().is_terminal(),
        ),
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

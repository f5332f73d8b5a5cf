//! The command line: `list`, `reproduce`, `fetch` and `bench` with their flags, parsed with clap's builder API.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Arg, ArgAction, ArgMatches, Command, value_parser};

use crate::context::Context;
use crate::error::XtaskError;

/// What the user asked for.
pub enum Request {
    /// `cargo xtask list`.
    List,
    /// `cargo xtask reproduce <names> [flags]`: the names and the validated flags.
    Reproduce {
        /// Experiment names, or `all`.
        names: Vec<String>,
        /// The options every experiment sees.
        context: Context,
    },
    /// `cargo xtask report [--out DIR]`: REPORT.md from the summaries in a results folder.
    Report {
        /// The results folder.
        out: PathBuf,
    },
    /// `cargo xtask merge OUT DIR…`: shard folders put together into one result.
    Merge {
        /// The results folder to write.
        out: PathBuf,
        /// The shard folders, one per slice.
        dirs: Vec<PathBuf>,
    },
    /// `cargo xtask bench [steps] [--threads N] [--reps N]`.
    Bench(crate::bench::BenchRequest),
    /// `cargo xtask fetch <datasets> [--data-dir DIR] [--mirror URL]`.
    Fetch {
        /// The datasets to download.
        names: Vec<dl_data::DatasetName>,
        /// The folder receiving `<name>/`.
        root: PathBuf,
        /// A base URL serving every file, instead of the published mirrors.
        mirror: Option<String>,
    },
}

/// The command-line interface.
pub fn command() -> Command {
    Command::new("cargo xtask")
        .version(env!("CARGO_PKG_VERSION"))
        .about("Reproduces the experiments of the course's Day-2 deep-learning notes.")
        .subcommand_required(true)
        .arg_required_else_help(true)
        .subcommand(
            Command::new("list").about(
                "Lists every experiment with the notes' section it reproduces and its runs.",
            ),
        )
        .subcommand(reproduce())
        .subcommand(merge())
        .subcommand(
            Command::new("report")
                .about("Writes REPORT.md from the summary.json files of a results folder.")
                .arg(
                    Arg::new("out")
                        .long("out")
                        .value_parser(value_parser!(PathBuf))
                        .default_value("results")
                        .help("The results folder."),
                ),
        )
        .subcommand(fetch())
        .subcommand(bench())
}

fn bench() -> Command {
    Command::new("bench")
        .about("Times the notes' training steps: one line `step=<name> threads=<t> ms=<median>` each.")
        .arg(
            Arg::new("steps")
                .value_name("STEP")
                .num_args(0..)
                .help("mlp-sigmoid, mlp-relu-deep, deep-conv-net, alexnet-forward, alexnet-step, keras-cnn (default: all)."),
        )
        .arg(
            Arg::new("threads")
                .long("threads")
                .value_parser(value_parser!(usize))
                .num_args(1..)
                .help(
                    "Thread counts to time each step with (default: 1 and all cores); more \
                     than 4 per core is refused.",
                ),
        )
        .arg(
            Arg::new("reps")
                .long("reps")
                .value_parser(value_parser!(usize))
                .default_value("11")
                .help("Timed steps per line, after two untimed warm-up steps."),
        )
        .arg(
            Arg::new("busy")
                .long("busy")
                .value_name("N")
                .value_parser(value_parser!(usize))
                .num_args(0..=1)
                .default_missing_value("1")
                .help("Time the steps while N processes (1 if N is left out) spin on a core each."),
        )
}

fn merge() -> Command {
    Command::new("merge")
        .about(
            "Puts the folders of `reproduce --shard I/N` (all N of them) together into the \
             result one process would have written.",
        )
        .arg(
            Arg::new("out")
                .value_name("OUT")
                .required(true)
                .value_parser(value_parser!(PathBuf))
                .help("The results folder to write (like reproduce's --out)."),
        )
        .arg(
            Arg::new("dirs")
                .value_name("DIR")
                .required(true)
                .num_args(1..)
                .value_parser(value_parser!(PathBuf))
                .help("The shard folders, one per slice, in any order."),
        )
}

fn fetch() -> Command {
    Command::new("fetch")
        .about("Downloads a dataset (needs network access and curl) and verifies its checksums.")
        .arg(
            Arg::new("names")
                .value_name("DATASET")
                .num_args(0..)
                .help("mnist, fashion-mnist, cifar10, or all."),
        )
        .arg(
            Arg::new("data-dir")
                .long("data-dir")
                .value_parser(value_parser!(PathBuf))
                .help("Folder to put `<dataset>/` in (default: the repository's datasets/)."),
        )
        .arg(
            Arg::new("mirror")
                .long("mirror")
                .value_name("URL")
                .help("Base URL serving the dataset's files, instead of the published mirrors."),
        )
}

fn flag(name: &'static str, help: &'static str) -> Arg {
    Arg::new(name)
        .long(name)
        .action(ArgAction::SetTrue)
        .help(help)
}

fn reproduce() -> Command {
    Command::new("reproduce")
        .about("Runs experiments and writes curves, figures, summaries and verdicts.")
        .arg(
            Arg::new("names")
                .value_name("EXPERIMENT")
                .num_args(0..)
                .help("Experiment names (see `cargo xtask list`), or `all`."),
        )
        .arg(flag(
            "quick",
            "Small scale (a tenth of the iterations, fewer samples): for CI and a first look.",
        ))
        .arg(
            Arg::new("seed")
                .long("seed")
                .allow_negative_numbers(true)
                .value_parser(seed)
                .default_value("2024")
                .help("Seed of every random draw: 0 to 18446744073709551615."),
        )
        .arg(
            Arg::new("seeds")
                .long("seeds")
                .value_name("SEEDS")
                .conflicts_with("seed")
                .help(
                    "Run every experiment once per seed: `10` (seeds 0 to 9), a list `3,7,11` or \
                     a range `5-9`; statistics and verdicts over the seeds.",
                ),
        )
        .arg(
            Arg::new("jobs")
                .long("jobs")
                .value_name("J")
                .value_parser(value_parser!(usize))
                .help("Share the work between J worker processes (the threads divided among them); results do not depend on J."),
        )
        .arg(
            Arg::new("shard")
                .long("shard")
                .value_name("I/N")
                .help(
                    "Do only the I-th of N slices of the (experiment, seed, run) work, into \
                     --out; `cargo xtask merge` puts the N folders together.",
                ),
        )
        .arg(
            Arg::new("report-items")
                .long("report-items")
                .action(ArgAction::SetTrue)
                .hide(true)
                .help("Print `@done` after each item (for --jobs' workers)."),
        )
        .arg(
            Arg::new("out")
                .long("out")
                .value_parser(value_parser!(PathBuf))
                .default_value("results")
                .help("Output folder."),
        )
        .arg(
            Arg::new("threads")
                .long("threads")
                .value_parser(value_parser!(usize))
                .help(
                    "Threads for the numeric kernels (default: all cores); more than 4 per core \
                     is refused.",
                ),
        )
        .arg(
            Arg::new("data-dir")
                .long("data-dir")
                .value_parser(value_parser!(PathBuf))
                .help("Folder to look for datasets in first (then $DL_DATA_DIR, datasets/, /usr/share/datasets/)."),
        )
        .arg(
            Arg::new("dataset")
                .long("dataset")
                .help("Dataset where more than one fits (the Keras experiments: cifar10 or fashion-mnist)."),
        )
        .arg(flag(
            "allow-noncanonical-data",
            "Accept MNIST or Fashion-MNIST files that are not the published ones (hand-made \
             data); files of the other data set are still refused.",
        ))
        .arg(flag(
            "as-notebook",
            "Replay the notes' code errors (see EXPERIMENTS.md's errata).",
        ))
        .arg(flag(
            "full",
            "deep-conv-net: train on all 60,000 training images.",
        ))
        .arg(
            Arg::new("iterations")
                .long("iterations")
                .value_name("N")
                .value_parser(value_parser!(usize))
                .help("Iterations (epochs for the Keras experiments) per run, instead of the experiment's."),
        )
        .arg(
            Arg::new("learning-rate")
                .long("learning-rate")
                .value_name("LR")
                .allow_negative_numbers(true)
                .value_parser(value_parser!(f64))
                .help("One learning rate for every run, instead of the experiment's."),
        )
}

/// Parses and validates the process's arguments. On a usage error (an unknown flag, a value of
/// the wrong type) clap prints it and exits with code 2; values clap cannot judge (`--threads 0`,
/// an unknown `--dataset`) are returned as errors.
pub fn parse() -> Result<Request, XtaskError> {
    let matches = command().get_matches();
    match matches.subcommand() {
        Some(("reproduce", m)) => Ok(Request::Reproduce {
            names: m
                .get_many::<String>("names")
                .map(|v| v.cloned().collect())
                .unwrap_or_default(),
            context: context(m)?,
        }),
        Some(("bench", m)) => bench_request(m).map(Request::Bench),
        Some(("report", m)) => Ok(Request::Report {
            out: rooted(m.get_one::<PathBuf>("out").cloned().unwrap_or_default()),
        }),
        Some(("merge", m)) => Ok(Request::Merge {
            out: rooted(m.get_one::<PathBuf>("out").cloned().unwrap_or_default()),
            dirs: m
                .get_many::<PathBuf>("dirs")
                .map(|v| v.cloned().collect())
                .unwrap_or_default(),
        }),
        Some(("fetch", m)) => {
            let names: Vec<String> = m
                .get_many::<String>("names")
                .map(|v| v.cloned().collect())
                .unwrap_or_default();
            Ok(Request::Fetch {
                names: crate::fetch::parse_names(&names)?,
                root: crate::fetch::root(m.get_one::<PathBuf>("data-dir").cloned()),
                mirror: m.get_one::<String>("mirror").cloned(),
            })
        }
        _ => Ok(Request::List),
    }
}

fn bench_request(m: &ArgMatches) -> Result<crate::bench::BenchRequest, XtaskError> {
    let reps = m.get_one::<usize>("reps").copied().unwrap_or(11);
    if reps == 0 {
        return Err(invalid("--reps", "expected at least 1, got 0".into()));
    }
    let threads: Vec<usize> = match m.get_many::<usize>("threads") {
        Some(t) => t.copied().collect(),
        None => dl_benches::thread_counts(),
    };
    for &n in &threads {
        check_threads(n)?;
    }
    Ok(crate::bench::BenchRequest {
        steps: m
            .get_many::<String>("steps")
            .map(|v| v.cloned().collect())
            .unwrap_or_default(),
        threads,
        reps,
        busy: m.get_one::<usize>("busy").copied().unwrap_or(0),
    })
}

/// `--seed`'s parser: an unsigned 64-bit number, with the range said when it is not one.
fn seed(value: &str) -> Result<u64, String> {
    value
        .parse()
        .map_err(|_| format!("seeds are unsigned whole numbers, from 0 to {}", u64::MAX))
}

/// How many threads per core `--threads` may ask for.
const THREADS_PER_CORE: usize = 4;

/// Checks a `--threads` value: at least 1 and at most [`THREADS_PER_CORE`] per core.
fn check_threads(n: usize) -> Result<usize, XtaskError> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let max = cores * THREADS_PER_CORE;
    if (1..=max).contains(&n) {
        return Ok(n);
    }
    Err(invalid(
        "--threads",
        format!(
            "expected 1 to {max} ({THREADS_PER_CORE} per core, {cores} core(s) available), got {n}"
        ),
    ))
}

fn invalid(flag: &'static str, reason: String) -> XtaskError {
    XtaskError::InvalidFlag { flag, reason }
}

fn context(m: &ArgMatches) -> Result<Context, XtaskError> {
    let threads = match m.get_one::<usize>("threads").copied() {
        Some(n) => check_threads(n)?,
        None => dl_tensor::num_threads(),
    };
    let iterations = m.get_one::<usize>("iterations").copied();
    if iterations == Some(0) {
        return Err(invalid("--iterations", "expected at least 1, got 0".into()));
    }
    let learning_rate = m.get_one::<f64>("learning-rate").copied();
    if let Some(lr) = learning_rate.filter(|lr| !(lr.is_finite() && *lr > 0.0)) {
        return Err(invalid(
            "--learning-rate",
            format!("expected a positive number, got {lr}"),
        ));
    }
    let dataset = m.get_one::<String>("dataset").cloned();
    if let Some(d) = dataset
        .as_deref()
        .filter(|d| !["mnist", "fashion-mnist", "cifar10"].contains(d))
    {
        return Err(invalid(
            "--dataset",
            format!("`{d}` is not one of mnist, fashion-mnist, cifar10"),
        ));
    }
    let out_dir = rooted(
        m.get_one::<PathBuf>("out")
            .cloned()
            .unwrap_or_else(|| PathBuf::from("results")),
    );
    let seed = m.get_one::<u64>("seed").copied().unwrap_or(2024);
    let given_seeds = m.get_one::<String>("seeds");
    let seeds = match given_seeds {
        Some(v) => crate::seeds::parse(v).map_err(|reason| invalid("--seeds", reason))?,
        None => vec![seed],
    };
    let jobs = m.get_one::<usize>("jobs").copied().unwrap_or(1);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if jobs == 0 || jobs > cores * THREADS_PER_CORE {
        return Err(invalid(
            "--jobs",
            format!(
                "expected 1 to {} ({THREADS_PER_CORE} per core, {cores} core(s) available), got {jobs}",
                cores * THREADS_PER_CORE
            ),
        ));
    }
    let shard = m
        .get_one::<String>("shard")
        .map(|v| crate::shard::Shard::parse(v).map_err(|reason| invalid("--shard", reason)))
        .transpose()?;
    if shard.is_some() && jobs > 1 {
        return Err(invalid(
            "--jobs",
            "a --shard runs in one process; give --jobs to the whole run, not to a shard".into(),
        ));
    }
    let report_items = m.get_flag("report-items");
    Ok(Context {
        quick: m.get_flag("quick"),
        seed: seeds[0],
        seeds,
        multi_seed: given_seeds.is_some(),
        jobs,
        shard,
        report_items,
        out_dir,
        threads,
        data_dir: m.get_one::<PathBuf>("data-dir").cloned(),
        dataset,
        allow_noncanonical_data: m.get_flag("allow-noncanonical-data"),
        as_notebook: m.get_flag("as-notebook"),
        full: m.get_flag("full"),
        iterations,
        learning_rate,
        interactive: std::io::stderr().is_terminal() && !report_items,
    })
}

/// A relative output folder under the project root when run through `cargo xtask`, so
/// `results/` lands there.
fn rooted(out: PathBuf) -> PathBuf {
    if out.is_relative() && std::env::var_os("CARGO").is_some() {
        crate::project_root().join(&out)
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_line_is_well_formed() {
        super::command().debug_assert();
    }
}

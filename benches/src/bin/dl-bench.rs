//! Times the notes' training steps and prints one line per step and thread count:
//!
//! ```text
//! dl-bench [STEP…] [--threads T…] [--reps N]
//! step=<name> threads=<t> ms=<median> min_ms=<fastest> allocs_per_step=<n> reps=<N>  # <about>
//! ```
//!
//! then a comment line with the measured worker hand-off. `cargo xtask bench` runs this binary
//! and relays its output; it lives apart from xtask so that the allocation-counting allocator is
//! installed here, where allocations are counted, and nowhere else.

use std::process::ExitCode;

use dl_benches::alloc_count::Counting;
use dl_benches::timing::time_step;
use dl_benches::{WORKLOADS, Workload, thread_counts, workload};

#[global_allocator]
static ALLOCATOR: Counting = Counting;

struct Args {
    steps: Vec<&'static Workload>,
    threads: Vec<usize>,
    reps: usize,
}

fn positive(flag: &str, value: &str) -> Result<usize, String> {
    value.parse().ok().filter(|&n: &usize| n > 0).ok_or(format!(
        "{flag}: expected a positive integer, got `{value}`"
    ))
}

fn parse_args() -> Result<Args, String> {
    dl_tensor::gemm::kernel_from_env()?;
    dl_tensor::threads_from_env()?;
    let mut args = Args {
        steps: Vec::new(),
        threads: Vec::new(),
        reps: 11,
    };
    let mut flag: Option<String> = None;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--threads" | "--reps" => flag = Some(arg),
            "-h" | "--help" => {
                return Err("usage: dl-bench [STEP…] [--threads T…] [--reps N]".into());
            }
            value => match flag.as_deref() {
                Some("--threads") => args.threads.push(positive("--threads", value)?),
                Some("--reps") => {
                    args.reps = positive("--reps", value)?;
                    flag = None;
                }
                _ => args.steps.push(workload(value).ok_or_else(|| {
                    let names: Vec<&str> = WORKLOADS.iter().map(|w| w.name).collect();
                    format!(
                        "unknown step `{value}`; expected one of: {}",
                        names.join(", ")
                    )
                })?),
            },
        }
    }
    if args.steps.is_empty() {
        args.steps = WORKLOADS.iter().collect();
    }
    if args.threads.is_empty() {
        args.threads = thread_counts();
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("dl-bench: {e}");
            return ExitCode::from(2);
        }
    };
    for w in args.steps {
        let mut step = w.build(0);
        for &threads in &args.threads {
            dl_tensor::set_num_threads(threads);
            let t = time_step(&mut step, args.reps);
            println!(
                "step={} threads={threads} ms={:.3} min_ms={:.3} allocs_per_step={} reps={}  # {}",
                w.name, t.median_ms, t.min_ms, t.allocs_per_step, args.reps, w.about
            );
        }
    }
    if let Some(ns) = dl_tensor::handoff_ns() {
        // Steps on several threads depend on it; it changes with where the VM's vCPUs run.
        println!("# worker hand-off: {ns} ns");
    }
    ExitCode::SUCCESS
}

//! `cargo xtask bench`: times the notes' training steps (`dl-benches`) and prints one line per
//! step, `step=<name> threads=<t> ms=<median>`, for scripts and for BENCHMARKS.md, with the
//! fastest step and the heap allocations per step, then a comment line with the measured worker
//! hand-off (`dl_tensor::handoff_ns`), which multi-thread timings depend on. `--busy N` times
//! them while N other processes spin, as on a busy laptop or a shared CI machine.

use std::time::Instant;

use crate::error::XtaskError;

/// What to time.
pub struct BenchRequest {
    /// Workload names; empty means every one.
    pub steps: Vec<String>,
    /// Thread counts to time each step with.
    pub threads: Vec<usize>,
    /// Timed repetitions per step (after two untimed warm-up steps).
    pub reps: usize,
    /// Competing processes that spin on a core each while the steps are timed (a busy laptop
    /// or a shared CI machine).
    pub busy: usize,
}

/// Processes that keep a core busy each, killed when this is dropped.
struct Competitors(Vec<std::process::Child>);

impl Competitors {
    /// Starts `n` shell loops that never sleep.
    fn start(n: usize) -> Result<Self, XtaskError> {
        let mut children = Vec::with_capacity(n);
        for _ in 0..n {
            let child = std::process::Command::new("sh")
                .args(["-c", "while :; do :; done"])
                .spawn()
                .map_err(|e| {
                    XtaskError::Other(format!("--busy: cannot start `sh` to compete ({e})"))
                })?;
            children.push(child);
        }
        Ok(Competitors(children))
    }
}

impl Drop for Competitors {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Times every requested step at every thread count and prints the medians.
pub fn bench(request: &BenchRequest) -> Result<(), XtaskError> {
    let workloads = select(&request.steps)?;
    let competitors = Competitors::start(request.busy)?;
    if request.busy > 0 {
        println!(
            "# busy: {} competing process(es) spinning while the steps are timed",
            request.busy
        );
    }
    for workload in workloads {
        let mut step = workload.build(0);
        for &threads in &request.threads {
            dl_tensor::set_num_threads(threads);
            // The first step creates the optimizer's state and the layers' buffers; layers that
            // hand out two output buffers in turn fill the second in the second step.
            step.run();
            step.run();
            let allocs_before = dl_benches::alloc_count::allocations();
            let mut ms: Vec<f64> = (0..request.reps)
                .map(|_| {
                    let start = Instant::now();
                    std::hint::black_box(step.run());
                    start.elapsed().as_secs_f64() * 1e3
                })
                .collect();
            let allocs = dl_benches::alloc_count::allocations() - allocs_before;
            ms.sort_by(f64::total_cmp);
            println!(
                "step={} threads={threads} ms={:.3} min_ms={:.3} allocs_per_step={} reps={}  # {}",
                workload.name,
                median(&ms),
                ms[0],
                allocs / request.reps as u64,
                request.reps,
                workload.about
            );
        }
    }
    if let Some(ns) = dl_tensor::handoff_ns() {
        // Steps on several threads depend on it; it changes with where the VM's vCPUs run.
        println!("# worker hand-off: {ns} ns");
    }
    drop(competitors);
    Ok(())
}

fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        0.5 * (sorted[n / 2 - 1] + sorted[n / 2])
    }
}

fn select(names: &[String]) -> Result<Vec<&'static dl_benches::Workload>, XtaskError> {
    if names.is_empty() {
        return Ok(dl_benches::WORKLOADS.iter().collect());
    }
    names
        .iter()
        .map(|n| {
            dl_benches::workload(n).ok_or_else(|| XtaskError::InvalidFlag {
                flag: "bench",
                reason: format!(
                    "unknown step `{n}`; expected one of: {}",
                    dl_benches::WORKLOADS
                        .iter()
                        .map(|w| w.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_is_the_middle_value() {
        assert_eq!(median(&[1.0, 2.0, 10.0]), 2.0);
        assert_eq!(median(&[1.0, 2.0, 4.0, 10.0]), 3.0);
    }

    #[test]
    fn unknown_steps_are_named() {
        let err = select(&["resnet".into()]).err().unwrap().to_string();
        assert!(
            err.contains("resnet") && err.contains("deep-conv-net"),
            "{err}"
        );
        assert_eq!(select(&[]).unwrap().len(), dl_benches::WORKLOADS.len());
    }
}

//! `cargo xtask bench`: times the notes' training steps (`dl-benches`) and prints one line per
//! step, `step=<name> threads=<t> ms=<median>`, for scripts and for BENCHMARKS.md, with the
//! fastest step and the heap allocations per step, then a comment line with the measured worker
//! hand-off (`dl_tensor::handoff_ns`), which multi-thread timings depend on. `--busy N` times
//! them while N other processes spin, as on a busy laptop or a shared CI machine.
//!
//! The steps run in a child process, `dl-benches`'s `dl-bench` binary, built on demand: only it
//! installs the allocator that counts allocations, so xtask's other commands keep the system
//! allocator.

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

/// Times every requested step at every thread count and prints the medians: builds and runs
/// `dl-bench` (the `dl-benches` crate's binary, the one process that installs the
/// allocation-counting allocator), whose output goes straight to ours.
pub fn bench(request: &BenchRequest) -> Result<(), XtaskError> {
    let workloads = select(&request.steps)?;
    let program = build_dl_bench()?;
    let competitors = Competitors::start(request.busy)?;
    if request.busy > 0 {
        println!(
            "# busy: {} competing process(es) spinning while the steps are timed",
            request.busy
        );
    }
    let mut command = std::process::Command::new(&program);
    command
        .args(workloads.iter().map(|w| w.name))
        .arg("--threads");
    command.args(request.threads.iter().map(usize::to_string));
    command.args(["--reps", &request.reps.to_string()]);
    let status = command
        .status()
        .map_err(|e| XtaskError::Other(format!("cannot run {} ({e})", program.display())))?;
    drop(competitors);
    if !status.success() {
        return Err(XtaskError::Other(format!(
            "{} failed ({status})",
            program.display()
        )));
    }
    Ok(())
}

/// The Cargo profile `dl-bench` is built with: `release` under `cargo xtask`, else `test` (what
/// `cargo test` and CI build xtask with, whose compiled crates it then reuses).
const PROFILE: &str = if cfg!(debug_assertions) {
    "test"
} else {
    "release"
};

/// Builds `dl-bench` (a no-op when it is up to date) and returns its path, as Cargo reports it.
fn build_dl_bench() -> Result<std::path::PathBuf, XtaskError> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = std::process::Command::new(&cargo)
        .current_dir(crate::project_root())
        .args(["build", "--quiet", "--profile", PROFILE])
        .args(["--package", "dl-benches", "--bin", "dl-bench"])
        .arg("--message-format=json-render-diagnostics")
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| XtaskError::Other(format!("cannot run cargo to build dl-bench ({e})")))?;
    if !out.status.success() {
        return Err(XtaskError::Other(format!(
            "`cargo build --profile {PROFILE} -p dl-benches --bin dl-bench` failed ({})",
            out.status
        )));
    }
    executable(&String::from_utf8_lossy(&out.stdout))
        .ok_or_else(|| XtaskError::Other("cargo built dl-bench but did not say where it is".into()))
}

/// The `dl-bench` executable named in Cargo's JSON messages.
fn executable(messages: &str) -> Option<std::path::PathBuf> {
    messages.lines().find_map(|line| {
        let m: serde_json::Value = serde_json::from_str(line).ok()?;
        (m["reason"] == "compiler-artifact" && m["target"]["name"] == "dl-bench")
            .then(|| m["executable"].as_str().map(Into::into))
            .flatten()
    })
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
    fn the_executable_is_read_from_cargos_messages() {
        let messages = r#"{"reason":"compiler-artifact","target":{"name":"dl_benches"},"executable":null}
{"reason":"compiler-artifact","target":{"name":"dl-bench"},"executable":"/t/release/dl-bench"}
{"reason":"build-finished","success":true}"#;
        assert_eq!(
            executable(messages),
            Some(std::path::PathBuf::from("/t/release/dl-bench"))
        );
        assert_eq!(executable("not json"), None);
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

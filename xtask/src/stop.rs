//! Ctrl-C and `kill`: SIGINT or SIGTERM ends `reproduce` with one line saying which run was
//! stopped and where the finished runs are, and exit code 130 or 143. The results folder stays
//! whole: an experiment's folder is only ever replaced whole ([`crate::folder`]), and the steps
//! that write files hold [`guard`], so the process never exits in the middle of one.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// What `reproduce` is doing, for the line a stop prints.
#[derive(Default)]
pub struct Doing {
    /// The output folder.
    pub out: PathBuf,
    /// Experiments whose results are in place.
    pub published: usize,
    /// The running experiment and its staging folder.
    pub experiment: Option<(String, PathBuf)>,
    /// The running run: label, index, count.
    pub run: Option<(String, usize, usize)>,
    /// Runs of the running experiment saved to its partial curves.
    pub finished: usize,
}

static DOING: Mutex<Option<Doing>> = Mutex::new(None);

/// The state, locked: a stop waits until the guard is dropped, so hold it across a step that
/// must not be cut (a file renamed in place, a folder swapped).
pub fn guard() -> MutexGuard<'static, Option<Doing>> {
    DOING.lock().unwrap_or_else(|e| e.into_inner())
}

/// Starts listening for SIGINT and SIGTERM (on Unix; elsewhere the system's default stays).
pub fn listen(out: &Path) {
    *guard() = Some(Doing {
        out: out.to_path_buf(),
        ..Doing::default()
    });
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGINT, SIGTERM};
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
            return;
        };
        std::thread::spawn(move || {
            if let Some(signal) = signals.forever().next() {
                let doing = guard();
                let name = if signal == SIGINT {
                    "SIGINT"
                } else {
                    "SIGTERM"
                };
                eprintln!("{}", stopped_line(name, doing.as_ref()));
                std::process::exit(128 + signal);
            }
        });
    }
}

/// `stopped by SIGTERM during run `ReLU + He` (4 of 7) of gradient-vanishing; its 3 finished
/// runs are in …/.gradient-vanishing.staging-12.tmp/curves.partial.csv; …/gradient-vanishing is
/// unchanged`.
fn stopped_line(signal: &str, doing: Option<&Doing>) -> String {
    let Some(d) = doing else {
        return format!("stopped by {signal}");
    };
    let earlier = match d.published {
        0 => String::new(),
        n => format!(" ({n} finished experiment(s) of this command are in place)"),
    };
    let Some((experiment, staging)) = &d.experiment else {
        return format!("stopped by {signal}; {} is whole{earlier}", d.out.display());
    };
    let during = match &d.run {
        Some((label, i, n)) => format!("run `{label}` ({} of {n}) of {experiment}", i + 1),
        None => format!("experiment {experiment}"),
    };
    let finished = match d.finished {
        0 => "no run had finished".to_string(),
        n => format!(
            "its {n} finished run(s) are in {}",
            staging.join(crate::folder::PARTIAL_CURVES).display()
        ),
    };
    format!(
        "stopped by {signal} during {during}; {finished}; {} is unchanged{earlier}",
        d.out.join(experiment).display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_names_the_run_and_where_the_finished_runs_are() {
        let d = Doing {
            out: "results".into(),
            published: 0,
            experiment: Some((
                "optimizers".into(),
                "results/.optimizers.staging-7.tmp".into(),
            )),
            run: Some(("AdaGrad".into(), 2, 6)),
            finished: 2,
        };
        assert_eq!(
            stopped_line("SIGINT", Some(&d)),
            "stopped by SIGINT during run `AdaGrad` (3 of 6) of optimizers; its 2 finished \
             run(s) are in results/.optimizers.staging-7.tmp/curves.partial.csv; results/optimizers \
             is unchanged"
        );
    }
}

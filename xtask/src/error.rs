//! Errors a user can cause: each names the value or path and what was expected.

use std::path::PathBuf;

/// An error that ends a command with one clear line and a non-zero exit.
#[derive(Debug, thiserror::Error)]
pub enum XtaskError {
    /// An experiment name that does not exist.
    #[error("unknown experiment `{name}`; expected one of: {known}")]
    UnknownExperiment {
        /// What the user typed.
        name: String,
        /// The valid names, comma-separated.
        known: String,
    },
    /// A flag value out of range or inconsistent.
    #[error("invalid value for {flag}: {reason}")]
    InvalidFlag {
        /// The flag.
        flag: &'static str,
        /// What is wrong and what is expected.
        reason: String,
    },
    /// Could not create or write an output file.
    #[error("cannot write {path}: {reason}")]
    Write {
        /// The file or folder.
        path: PathBuf,
        /// The underlying reason.
        reason: String,
    },
    /// Loading data failed.
    #[error(transparent)]
    Data(#[from] dl_data::DataError),
    /// The loss became NaN or infinite.
    #[error(
        "training diverged: loss is {loss} in experiment `{experiment}`, run `{run}`, iteration {iteration}"
    )]
    Diverged {
        /// Experiment name.
        experiment: String,
        /// Run label.
        run: String,
        /// Iteration at which the loss was not finite.
        iteration: usize,
        /// The loss value.
        loss: f64,
    },
    /// Anything else, already phrased for the user.
    #[error("{0}")]
    Other(String),
}

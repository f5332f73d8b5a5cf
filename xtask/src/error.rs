//! Errors a user can cause: each names the value or path and what was expected.

use std::path::{Path, PathBuf};

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
    /// Could not create or write an output file: the message names the file and its folder.
    #[error("cannot write {} in {}: {reason}", file_name(path), folder(path))]
    Write {
        /// The file or folder.
        path: PathBuf,
        /// The underlying reason.
        reason: String,
    },
    /// A path given on the command line that cannot be used as it is.
    #[error("{flag} {}: {expected}", path.display())]
    Path {
        /// The flag (`--out`).
        flag: &'static str,
        /// The path as given.
        path: PathBuf,
        /// What was expected, what was found, and what to do.
        expected: String,
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
    /// An experiment file that does not make an experiment (its line, key and what was
    /// expected).
    #[error(transparent)]
    ExperimentFile(#[from] crate::experiment_file::FileError),
    /// Anything else, already phrased for the user.
    #[error("{0}")]
    Other(String),
}

impl XtaskError {
    /// This error with a path inside `staging` told as the same path inside `published`, the
    /// folder the user asked for (a staging folder is an implementation detail).
    pub fn published_as(self, staging: &Path, published: &Path) -> Self {
        match self {
            XtaskError::Write { path, reason } => XtaskError::Write {
                path: path
                    .strip_prefix(staging)
                    .map_or_else(|_| path.clone(), |rel| published.join(rel)),
                reason,
            },
            other => other,
        }
    }
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

fn folder(path: &Path) -> String {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.display().to_string(),
        _ => ".".into(),
    }
}

//! The xtask as a user meets it, through the built binary: command-line errors, bad data
//! files, short real runs, and `fetch` from local mirrors.

mod cli;
mod common;
mod experiment_files;
mod fetch;
mod runs;
mod seeds;

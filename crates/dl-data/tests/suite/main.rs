//! Integration tests of `dl_data`, gathered in one test binary so the crate and its
//! dependencies are linked once rather than once per file.

mod common;

mod bounded;
mod cifar;
mod corrupt;
mod fetch;
mod fuzz_corpus;
mod idx;
mod loader;
mod mnist;
#[cfg(unix)]
mod named;
mod verified;

//! Integration tests of `dl_optim`, gathered in one test binary so the crate and its
//! dependencies are linked once rather than once per file.

mod activity;
mod optimizers;
mod penalties;

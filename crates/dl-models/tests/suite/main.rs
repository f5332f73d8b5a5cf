//! Integration tests of `dl_models`, gathered in one test binary so the crate and its
//! dependencies are linked once rather than once per file.

mod checkpoint;
mod fused;
mod fuzz_corpus;
mod library;
mod models;
mod trainer;

//! Integration tests of `dl_norm`, gathered in one test binary so the crate and its
//! dependencies are linked once rather than once per file.

mod batch_norm;
mod gradcheck;
mod layer_instance_norm;

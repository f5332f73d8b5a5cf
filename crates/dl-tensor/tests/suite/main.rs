//! Integration tests of `dl_tensor`, gathered in one test binary so the crate and its
//! dependencies are linked once rather than once per file.

mod gemm;
#[cfg(feature = "ndarray")]
mod ndarray;
mod tensor;

//! `dl-tensor`: a strided n-dimensional tensor for `f32` and `f64`, with NumPy-style
//! broadcasting, reductions, seeded random initialisation and a fast, strided GEMM.
//!
//! ```
//! use dl_tensor::{rng_from_seed, Tensor};
//! let mut rng = rng_from_seed(0);
//! let x = Tensor::<f32>::randn([100, 784], 1.0, &mut rng);
//! let w = Tensor::<f32>::randn([784, 40], 0.01, &mut rng);
//! let b = Tensor::<f32>::zeros([40]);
//! let h = &x.matmul(&w) + &b; // the bias broadcasts over the rows
//! assert_eq!(h.shape(), &[100, 40]);
//! // A transposed operand goes to GEMM as strides: no copy.
//! let dw = x.t().matmul(&h);
//! assert_eq!(dw.shape(), &[784, 40]);
//! ```
//!
//! Shape mismatches are programming errors: they panic with a message naming the operation and
//! both shapes. The thread count of parallel kernels is [`set_num_threads`] (fewer while other
//! processes keep cores busy: [`fewer_threads_when_busy`]); results do not depend on it.
//!
//! # Features
//! - `ndarray` (on by default): conversions between [`Tensor`] and `ndarray` arrays of any
//!   dimension (`From` both ways, `Tensor::to_ndarray_dim` for a fixed rank), and `ndarray`
//!   itself re-exported as `dl_tensor::ndarray`, so no direct dependency is needed.

#[cfg(feature = "ndarray")]
mod convert;
mod elementwise;
pub mod gemm;
mod init;
mod matmul;
mod reduce;
mod scalar;
mod shape;
mod tensor;
mod threads;
mod walk;

#[cfg(feature = "ndarray")]
pub use convert::RankMismatch;
pub use init::{Rng, rng_from_seed};
pub use scalar::Float;
pub use shape::{MAX_DIMS, Shape, Strides, broadcast_shapes, shape_mismatch};
pub use tensor::Tensor;
pub use threads::{
    FEWER_THREADS_WHEN_BUSY_ENV, THREADS_ENV, fewer_threads_when_busy, for_each_chunk_mut,
    for_each_chunk_with_scratch, for_each_task, handoff_ns, num_threads,
    set_fewer_threads_when_busy, set_num_threads, threads_from_env,
};

/// The `ndarray` crate, for the conversions of the `ndarray` feature.
#[cfg(feature = "ndarray")]
pub use ndarray;

/// The README's examples, compiled and run by `cargo test --doc` (they use the `ndarray` feature).
#[cfg(all(doctest, feature = "ndarray"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

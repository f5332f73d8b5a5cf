//! `dl-layers`: neural-network layers with explicit forward and backward passes.
//!
//! Every layer implements [`Layer`] for `f32` and `f64`: `forward` caches what `backward`
//! needs, `backward` fills the parameter gradients and returns `∂L/∂x`, and `visit_params`
//! hands each parameter (with its gradient and a stable name) to optimizers and checkpoints.
//! [`gradcheck`] compares any layer's backward with finite differences.
//!
//! A tiny two-layer net, forward and backward by hand:
//!
//! ```
//! use dl_layers::{Affine, Init, Labels, Layer, Loss, Mode, Relu, SoftmaxWithLoss};
//! use dl_layers::{rng_from_seed, Tensor}; // re-exported from dl_tensor
//!
//! let mut rng = rng_from_seed(42);
//! let mut layers: Vec<Box<dyn Layer<f32>>> = vec![
//!     Box::new(Affine::new(4, 8, Init::He, &mut rng)),
//!     Box::new(Relu::new()),
//!     Box::new(Affine::new(8, 3, Init::Xavier, &mut rng)),
//! ];
//! let mut loss = SoftmaxWithLoss::new();
//!
//! let x = Tensor::<f32>::randn([5, 4], 1.0, &mut rng);
//! let labels = [0, 2, 1, 1, 0];
//!
//! // Forward: each layer caches what its backward needs.
//! let mut h = x.clone();
//! for layer in &mut layers {
//!     h = layer.forward(&h, Mode::Train);
//! }
//! let l = loss.forward(&h, Labels::Index(&labels));
//! assert!(l > 0.0 && l.is_finite());
//!
//! // Backward: the chain rule, layer by layer in reverse.
//! let mut d = loss.backward();
//! for layer in layers.iter_mut().rev() {
//!     d = layer.backward(&d);
//! }
//! assert_eq!(d.shape(), x.shape());
//!
//! // Every parameter, with its gradient, under a stable name.
//! let mut names = Vec::new();
//! for layer in &mut layers {
//!     layer.visit_params(&mut |p| {
//!         assert_eq!(p.value.shape(), p.grad.shape());
//!         names.push(p.full_name());
//!     });
//! }
//! assert_eq!(names, ["W", "b", "W", "b"]);
//! ```

mod affine;
mod check;
pub mod conv;
mod dropout;
mod flatten;
mod global_pool;
pub mod gradcheck;
mod init;
mod layer;
mod output_buffer;
mod pooling;
#[cfg(target_arch = "x86_64")]
mod pooling_x86;
mod relu;
mod sigmoid;
mod softmax_loss;
mod tanh;

pub use affine::Affine;
pub use conv::Convolution;
// The course's `im2col` and `col2im` (the module and the functions) at the crate's root.
pub use conv::{col2im, conv_output_size, im2col};
pub use dropout::{Dropout, DropoutKind};
pub use flatten::Flatten;
pub use global_pool::{GlobalAvgPool, GlobalMaxPool};
pub use init::Init;
pub use layer::{
    BufferMut, Labels, Layer, Loss, Mode, ParamKind, ParamMut, backward_before_forward,
    dout_shape_mismatch,
};
pub use output_buffer::OutputBuffer;
pub use pooling::{PoolKind, Pooling};
pub use relu::Relu;
pub use sigmoid::Sigmoid;
pub use softmax_loss::{CROSS_ENTROPY_EPS, SoftmaxWithLoss, softmax};
pub use tanh::Tanh;

// What the public API hands out, so that depending on this crate alone is enough.
pub use dl_tensor;
#[doc(no_inline)]
pub use dl_tensor::{Float, Rng, Shape, Tensor, rng_from_seed};

/// The README's examples, compiled and run by `cargo test --doc`.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

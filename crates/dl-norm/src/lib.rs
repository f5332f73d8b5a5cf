//! `dl-norm`: batch, layer and instance normalization with explicit backward passes.
//!
//! All three compute `y = γ·x̂ + β` with `x̂ = (x − μ)/√(σ² + ε)`; they differ in which
//! elements share μ and σ² (always the biased variance, divided by the group size):
//!
//! | layer | statistics over | γ, β |
//! |---|---|---|
//! | [`BatchNorm`], [`BatchStats::PerFeature`] (the course) | the batch, per `C·H·W` feature | `(C·H·W)` |
//! | [`BatchNorm`], [`BatchStats::PerChannel`] (Keras) | `N·H·W`, per channel | `(C)` |
//! | [`LayerNorm`], [`LayerNormAxes::Channels`] (Keras) | `C`, per sample and position | `(C)` |
//! | [`LayerNorm`], [`LayerNormAxes::AllAxes`] (textbook) | `C·H·W`, per sample | `(C·H·W)` |
//! | [`InstanceNorm`] | `H·W`, per sample and channel | `(C)` |
//!
//! Inputs are NCHW (or `(N, D)`). Only [`BatchNorm`] behaves differently in
//! [`Mode::Eval`](dl_layers::Mode): it then uses its running statistics.
//!
//! ```
//! use dl_norm::{BatchNorm, BatchNormConfig, BatchStats, InstanceNorm, LayerNorm};
//! use dl_norm::{Layer, Mode, Tensor, rng_from_seed}; // re-exported from the lower crates
//!
//! let mut rng = rng_from_seed(1);
//! let x = Tensor::<f32>::randn([8, 4, 5, 5], 3.0, &mut rng);
//! let mut layers: Vec<Box<dyn Layer<f32>>> = vec![
//!     Box::new(BatchNorm::course(4 * 5 * 5)),
//!     Box::new(BatchNormConfig::keras(4).stats(BatchStats::PerChannel).build()),
//!     Box::new(LayerNorm::channels(4)),
//!     Box::new(LayerNorm::all_axes(4 * 5 * 5)),
//!     Box::new(InstanceNorm::new(4)),
//! ];
//! for layer in &mut layers {
//!     let y = layer.forward(&x, Mode::Train);
//!     assert_eq!(y.shape(), x.shape());
//!     let dx = layer.backward(&Tensor::ones([8, 4, 5, 5]));
//!     assert_eq!(dx.shape(), x.shape());
//!     let mut names = Vec::new();
//!     layer.visit_params(&mut |p| names.push(p.name));
//!     assert_eq!(names, ["gamma", "beta"]);
//! }
//! ```

mod batch_norm;
mod core;
mod instance_norm;
mod layer_norm;

pub use batch_norm::{BatchNorm, BatchNormConfig, BatchStats};
pub use instance_norm::InstanceNorm;
pub use layer_norm::{LayerNorm, LayerNormAxes};

// What the public API hands out, so that depending on this crate alone is enough.
pub use dl_layers;
#[doc(no_inline)]
pub use dl_layers::{BufferMut, Layer, Mode, ParamKind, ParamMut};
pub use dl_tensor;
#[doc(no_inline)]
pub use dl_tensor::{Float, Tensor, rng_from_seed};

/// The README's examples, compiled and run by `cargo test --doc`.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

//! `dl-optim`: SGD, Momentum, AdaGrad, RMSProp and Adam in the course's formulas, weight
//! penalties (L2, L1, Elastic Net) and Keras-style activity penalties.
//!
//! An optimizer updates parameters one *slot* at a time through [`ParamMut`]; [`step`] numbers
//! the slots in the order a model visits them, so any model with a `visit_params` method can be
//! trained. State is created on the first step, and a slot that later holds another parameter
//! is a programming error (a panic naming both). A [`Penalty`] is applied to the gradients
//! between backward and the optimizer step.
//!
//! ```
//! use dl_optim::{OptimizerKind, ParamKind, ParamMut, Penalty, Tensor, step};
//!
//! // A one-parameter "model": minimize ½‖w − t‖² + 0.5·λ·‖w‖².
//! let target = Tensor::from_vec(vec![3.0f64, -1.0], [2]);
//! let mut w = Tensor::<f64>::zeros([2]);
//! let mut dw = Tensor::<f64>::zeros([2]);
//! let mut opt = OptimizerKind::adam(0.1).build::<f64>();
//! let penalty = Penalty::l2(0.5);
//! for _ in 0..500 {
//!     dw = w.sub(&target); // gradient of the data term
//!     let mut visit = |f: &mut dyn FnMut(ParamMut<'_, f64>)| {
//!         f(ParamMut { layer: "toy", name: "W", kind: ParamKind::Weight, value: &mut w, grad: &mut dw })
//!     };
//!     penalty.apply_to_grads(&mut visit);
//!     step(opt.as_mut(), visit);
//! }
//! // The minimum is t / (1 + λ).
//! assert!((w.at(&[0]) - 2.0).abs() < 1e-3 && (w.at(&[1]) + 2.0 / 3.0).abs() < 1e-3);
//! ```

mod activity;
mod adagrad;
mod adam;
mod kind;
mod momentum;
mod optimizer;
mod penalty;
mod rmsprop;
mod sgd;

pub use activity::ActivityPenalty;
pub use adagrad::AdaGrad;
pub use adam::{Adam, AdamEpsilon};
pub use kind::OptimizerKind;
pub use momentum::Momentum;
pub use optimizer::{Optimizer, step};
pub use penalty::{Penalty, PenaltyKind, PenaltyTarget, notebook_l2_loss_term};
pub use rmsprop::RmsProp;
pub use sgd::Sgd;

// What the public API hands out, so that depending on this crate alone is enough.
pub use dl_layers;
#[doc(no_inline)]
pub use dl_layers::{Layer, Mode, ParamKind, ParamMut};
pub use dl_tensor;
#[doc(no_inline)]
pub use dl_tensor::{Float, Tensor};

/// The README's examples, compiled and run by `cargo test --doc`.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

//! `dl-models`: networks as data. A [`Sequential`] container of named layers, built from the
//! input shape by a [`SequentialBuilder`] that infers every layer's sizes; a serializable
//! [`NetworkSpec`] of any such network; the notes' networks as named [`Preset`]s (the course's
//! `MultiLayerNet`, SimpleConvNet, DoubleConvNet, DeepConvNet, LeNet-5, AlexNet and the Keras
//! CNN of 2_9–2_11); `.safetensors` [`checkpoint`]s that rebuild a network without being told
//! its architecture; and a [`Trainer`] with callbacks.
//!
//! # The crates
//!
//! | crate | holds |
//! |---|---|
//! | [`dl_tensor`] | strided tensors (views without copies), element-wise ops, reductions, GEMM, threads, random init |
//! | [`dl_layers`] | layers with explicit `forward`/`backward`, im2col/col2im, gradient checking |
//! | [`dl_norm`] | BatchNorm, LayerNorm, InstanceNorm |
//! | [`dl_optim`] | SGD, Momentum, AdaGrad, RMSProp, Adam; L1 / L2 / Elastic Net / activity penalties |
//! | [`dl_data`] | IDX / MNIST / Fashion-MNIST / CIFAR-10 loaders, sampling |
//! | `dl_models` | this crate: containers, builder, presets, checkpoints, the training loop |
//!
//! Each is re-exported here, and [`prelude`] brings the common path into scope:
//!
//! ```
//! use dl_models::prelude::*;
//!
//! let mut net = Sequential::builder([1, 28, 28])
//!     .conv(16, 3).pad(1).relu().max_pool(2)
//!     .flatten().affine(10)
//!     .build::<f32>(0)?;
//! println!("{}", net.summary());
//! let x = Tensor::<f32>::zeros([2, 1, 28, 28]);
//! assert_eq!(net.forward(&x, Mode::Eval).shape(), &[2, 10]);
//! # Ok::<(), BuildError>(())
//! ```

mod builder;
pub mod checkpoint;
mod layer_config;
mod presets;
mod sequential;
mod spec;
mod summary;
mod trainer;

pub use builder::SequentialBuilder;
pub use checkpoint::CheckpointError;
pub use layer_config::LayerConfig;
pub use presets::{Activation, KerasCnnConfig, MultiLayerNetConfig, NormKind, Preset};
pub use sequential::Sequential;
pub use spec::{BuildError, NamedLayer, NetworkSpec};
pub use summary::{Summary, SummaryRow};
pub use trainer::{
    Callback, EarlyStopping, Event, Flow, History, Point, Schedule, StepDecay, TrainAccuracy,
    TrainError, Trainer,
};

// The types this crate's public API takes or hands out, so a user needs no other direct
// dependency.
#[doc(no_inline)]
pub use dl_data::Dataset;
#[doc(no_inline)]
pub use dl_layers::{DropoutKind, Init, Labels, Layer, Mode, PoolKind};
#[doc(no_inline)]
pub use dl_norm::{BatchStats, LayerNormAxes};
#[doc(no_inline)]
pub use dl_optim::{Optimizer, OptimizerKind, Penalty, PenaltyKind};
#[doc(no_inline)]
pub use dl_tensor::{Float, Tensor};

pub use dl_data;
pub use dl_layers;
pub use dl_norm;
pub use dl_optim;
pub use dl_tensor;

/// The common path in one `use`: tensors, layers, the builder, presets, optimizers, penalties,
/// data and the trainer.
pub mod prelude {
    pub use crate::{
        BuildError, Callback, Event, Flow, LayerConfig, NetworkSpec, Preset, Schedule, Sequential,
        TrainAccuracy, Trainer, checkpoint,
    };
    pub use dl_data::{Dataset, Splits};
    pub use dl_layers::{DropoutKind, Init, Labels, Layer, Mode, PoolKind};
    pub use dl_norm::LayerNormAxes;
    pub use dl_optim::{Optimizer, OptimizerKind, Penalty};
    pub use dl_tensor::{Float, Tensor, rng_from_seed};
}

/// This crate's README examples, compiled and run by `cargo test --doc`.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

/// The top-level README's "Using the crates in your project" program, compiled and run by
/// `cargo test --doc`.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct WorkspaceReadmeDoctests;

//! `dl-models`: the networks of the notes — `MultiLayerNet` with every option, SimpleConvNet,
//! DoubleConvNet, DeepConvNet, AlexNet and the Keras CNN of 2_9–2_11 — built from serializable
//! configurations, with `.safetensors` checkpoints.
//!
//! ```
//! use dl_models::{ModelConfig, Network};
//! let mut net = Network::<f32>::build(&ModelConfig::DeepConvNet, 0);
//! assert_eq!(net.param_count(), 123_552);
//! ```

mod build;
pub mod checkpoint;
mod config;
mod mlp;
mod network;
mod sequential;
mod validate;

pub use checkpoint::CheckpointError;
pub use config::{
    Activation, DropoutStyle, KerasCnnConfig, ModelConfig, MultiLayerNetConfig, NormKind,
    OptimizerConfig, PenaltyConfig, WeightInit,
};
pub use network::Network;
pub use sequential::Sequential;

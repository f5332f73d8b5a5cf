//! `dl-layers`: neural-network layers with explicit forward and backward passes.

pub mod gradcheck;
mod layer;

pub use layer::{
    BufferMut, Labels, Layer, Loss, Mode, ParamKind, ParamMut, backward_before_forward,
    dout_shape_mismatch,
};

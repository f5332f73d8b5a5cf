//! `dl-layers`: neural-network layers with explicit forward and backward passes.

mod layer;

pub use layer::{backward_before_forward, dout_shape_mismatch, BufferMut, Labels, Layer, Loss, Mode, ParamKind, ParamMut};

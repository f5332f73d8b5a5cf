//! The hyperbolic tangent.

use dl_tensor::{Float, Tensor};

use crate::activation_buffers::ActivationBuffers;
use crate::{Layer, Mode};

/// `tanh x` element-wise; backward `dx = dout · (1 − y²)` from the cached output `y`.
///
/// # Shapes
/// Any input shape; the output and `dx` have the input's shape.
#[derive(Default)]
pub struct Tanh<T: Float> {
    /// The last output (what backward needs) and the last input gradient.
    buffers: ActivationBuffers<T>,
}

impl<T: Float> Tanh<T> {
    /// A tanh layer.
    pub fn new() -> Self {
        Tanh {
            buffers: ActivationBuffers::default(),
        }
    }
}

impl<T: Float> Layer<T> for Tanh<T> {
    fn describe(&self) -> String {
        "Tanh".into()
    }

    fn forward(&mut self, x: &Tensor<T>, _mode: Mode) -> Tensor<T> {
        self.buffers.forward(x, T::tanh)
    }

    #[track_caller]
    fn backward(&mut self, dout: &Tensor<T>) -> Tensor<T> {
        self.buffers
            .backward("Tanh", dout, |d, y| d * (T::one() - y * y))
    }
}

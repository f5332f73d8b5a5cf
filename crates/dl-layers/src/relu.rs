//! The rectified linear unit.

use dl_tensor::{Float, Tensor};

use crate::activation_buffers::ActivationBuffers;
use crate::{Layer, Mode};

/// `max(0, x)` element-wise; the gradient passes where `x > 0` and is zero elsewhere
/// (at `x = 0` too, as the course's `mask = (x <= 0)`).
///
/// # Shapes
/// Any input shape; the output and `dx` have the input's shape.
#[derive(Default)]
pub struct Relu<T: Float> {
    /// The last output (what backward needs) and the last input gradient.
    buffers: ActivationBuffers<T>,
}

impl<T: Float> Relu<T> {
    /// A ReLU layer.
    pub fn new() -> Self {
        Relu {
            buffers: ActivationBuffers::default(),
        }
    }
}

impl<T: Float> Layer<T> for Relu<T> {
    fn describe(&self) -> String {
        "Relu".into()
    }

    fn forward(&mut self, x: &Tensor<T>, _mode: Mode) -> Tensor<T> {
        self.buffers
            .forward(x, |v| if v > T::zero() { v } else { T::zero() })
    }

    #[track_caller]
    fn backward(&mut self, dout: &Tensor<T>) -> Tensor<T> {
        self.buffers.backward(
            "Relu",
            dout,
            |d, y| {
                if y > T::zero() { d } else { T::zero() }
            },
        )
    }
}

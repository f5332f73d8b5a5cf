//! The logistic sigmoid.

use dl_tensor::{Float, Tensor};

use crate::activation_buffers::ActivationBuffers;
use crate::{Layer, Mode};

/// `σ(x) = 1 / (1 + e⁻ˣ)` element-wise, computed without overflow for large `|x|`;
/// backward `dx = dout · σ(x)·(1 − σ(x))` from the cached output.
///
/// # Shapes
/// Any input shape; the output and `dx` have the input's shape.
#[derive(Default)]
pub struct Sigmoid<T: Float> {
    /// The last output (what backward needs) and the last input gradient.
    buffers: ActivationBuffers<T>,
}

impl<T: Float> Sigmoid<T> {
    /// A sigmoid layer.
    pub fn new() -> Self {
        Sigmoid {
            buffers: ActivationBuffers::default(),
        }
    }
}

/// `1 / (1 + e⁻ˣ)`, evaluated so that `e^|x|` never overflows.
pub(crate) fn sigmoid<T: Float>(x: T) -> T {
    if x >= T::zero() {
        T::one() / (T::one() + (-x).exp())
    } else {
        let e = x.exp();
        e / (T::one() + e)
    }
}

impl<T: Float> Layer<T> for Sigmoid<T> {
    fn describe(&self) -> String {
        "Sigmoid".into()
    }

    fn forward(&mut self, x: &Tensor<T>, _mode: Mode) -> Tensor<T> {
        self.buffers.forward(x, sigmoid)
    }

    #[track_caller]
    fn backward(&mut self, dout: &Tensor<T>) -> Tensor<T> {
        self.buffers
            .backward("Sigmoid", dout, |d, y| d * y * (T::one() - y))
    }
}

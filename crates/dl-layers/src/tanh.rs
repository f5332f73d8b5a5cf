//! The hyperbolic tangent.

use dl_tensor::{Float, Tensor};

use crate::check::check_dout;
use crate::{Layer, Mode, OutputBuffer, backward_before_forward};

/// `tanh x` element-wise; backward `dx = dout · (1 − y²)` from the cached output `y`.
///
/// # Shapes
/// Any input shape; the output and `dx` have the input's shape.
#[derive(Default)]
pub struct Tanh<T: Float> {
    /// The outputs `y` (the last one is what backward needs).
    out: OutputBuffer<T>,
    /// The input gradients.
    dx: OutputBuffer<T>,
}

impl<T: Float> Tanh<T> {
    /// A tanh layer.
    pub fn new() -> Self {
        Tanh {
            out: OutputBuffer::new(),
            dx: OutputBuffer::new(),
        }
    }
}

impl<T: Float> Layer<T> for Tanh<T> {
    fn describe(&self) -> String {
        "Tanh".into()
    }

    fn forward(&mut self, x: &Tensor<T>, _mode: Mode) -> Tensor<T> {
        x.map_into(self.out.next_tensor(), T::tanh);
        self.out.share()
    }

    #[track_caller]
    fn backward(&mut self, dout: &Tensor<T>) -> Tensor<T> {
        let Some(y) = self.out.last() else {
            backward_before_forward("Tanh")
        };
        check_dout("Tanh", y.shape(), dout);
        dout.zip_map_into(y, self.dx.next_tensor(), "Tanh", |d, y| {
            d * (T::one() - y * y)
        });
        self.dx.share()
    }
}

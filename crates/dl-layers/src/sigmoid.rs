//! The logistic sigmoid.

use dl_tensor::{Float, Tensor};

use crate::check::check_dout;
use crate::{Layer, Mode, OutputBuffer, backward_before_forward};

/// `σ(x) = 1 / (1 + e⁻ˣ)` element-wise ([`Float::logistic`]: no overflow for large `|x|`; in
/// `f32` a vectorized `exp` of its own, within 2 ulp);
/// backward `dx = dout · σ(x)·(1 − σ(x))` from the cached output.
///
/// # Shapes
/// Any input shape; the output and `dx` have the input's shape.
#[derive(Default)]
pub struct Sigmoid<T: Float> {
    /// The outputs `y` (the last one is what backward needs).
    out: OutputBuffer<T>,
    /// The input gradients.
    dx: OutputBuffer<T>,
}

impl<T: Float> Sigmoid<T> {
    /// A sigmoid layer.
    pub fn new() -> Self {
        Sigmoid {
            out: OutputBuffer::new(),
            dx: OutputBuffer::new(),
        }
    }
}

impl<T: Float> Layer<T> for Sigmoid<T> {
    fn describe(&self) -> String {
        "Sigmoid".into()
    }

    fn forward(&mut self, x: &Tensor<T>, _mode: Mode) -> Tensor<T> {
        x.map_into(self.out.next_tensor(), T::logistic);
        self.out.share()
    }

    #[track_caller]
    fn backward(&mut self, dout: &Tensor<T>) -> Tensor<T> {
        let Some(y) = self.out.last() else {
            backward_before_forward("Sigmoid")
        };
        check_dout("Sigmoid", y.shape(), dout);
        dout.zip_map_into(y, self.dx.next_tensor(), "Sigmoid", |d, y| {
            d * y * (T::one() - y)
        });
        self.dx.share()
    }
}

//! The rectified linear unit.

use dl_tensor::{Float, Tensor};

use crate::check::check_dout;
use crate::{Layer, Mode, backward_before_forward};

/// `max(0, x)` element-wise; the gradient passes where `x > 0` and is zero elsewhere
/// (at `x = 0` too, as the course's `mask = (x <= 0)`).
///
/// # Shapes
/// Any input shape; the output and `dx` have the input's shape.
#[derive(Default)]
pub struct Relu<T: Float> {
    /// The last output: positive exactly where the input was.
    out: Option<Tensor<T>>,
}

impl<T: Float> Relu<T> {
    /// A ReLU layer.
    pub fn new() -> Self {
        Relu { out: None }
    }
}

impl<T: Float> Layer<T> for Relu<T> {
    fn describe(&self) -> String {
        "Relu".into()
    }

    fn forward(&mut self, x: &Tensor<T>, _mode: Mode) -> Tensor<T> {
        let out = x.map(|v| if v > T::zero() { v } else { T::zero() });
        self.out = Some(out.clone());
        out
    }

    #[track_caller]
    fn backward(&mut self, dout: &Tensor<T>) -> Tensor<T> {
        let Some(out) = &self.out else {
            backward_before_forward("Relu")
        };
        check_dout("Relu", out.shape(), dout);
        dout.zip_map(out, "Relu backward", |d, y| {
            if y > T::zero() { d } else { T::zero() }
        })
    }
}

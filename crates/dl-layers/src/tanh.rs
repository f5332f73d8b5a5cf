//! The hyperbolic tangent.

use dl_tensor::{Float, Tensor};

use crate::check::check_dout;
use crate::{Layer, Mode, backward_before_forward};

/// `tanh x` element-wise; backward `dx = dout · (1 − y²)` from the cached output `y`.
///
/// # Shapes
/// Any input shape; the output and `dx` have the input's shape.
#[derive(Default)]
pub struct Tanh<T: Float> {
    out: Option<Tensor<T>>,
}

impl<T: Float> Tanh<T> {
    /// A tanh layer.
    pub fn new() -> Self {
        Tanh { out: None }
    }
}

impl<T: Float> Layer<T> for Tanh<T> {
    fn describe(&self) -> String {
        "Tanh".into()
    }

    fn forward(&mut self, x: &Tensor<T>, _mode: Mode) -> Tensor<T> {
        let out = x.map(T::tanh);
        self.out = Some(out.clone());
        out
    }

    #[track_caller]
    fn backward(&mut self, dout: &Tensor<T>) -> Tensor<T> {
        let Some(out) = &self.out else {
            backward_before_forward("Tanh")
        };
        check_dout("Tanh", out.shape(), dout);
        dout.zip_map(out, "Tanh backward", |d, y| d * (T::one() - y * y))
    }
}

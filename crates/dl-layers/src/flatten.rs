//! Flattening everything but the batch axis.

use dl_tensor::{Float, Shape, Tensor};

use crate::check::{check_dout, input_rank_mismatch};
use crate::{Layer, Mode, backward_before_forward};

/// Reshapes `(N, d1, d2, …)` to `(N, d1·d2·…)`; backward reshapes `dx` back. No copy when the
/// input is contiguous.
///
/// # Shapes
/// - input: `(N, …)`, at least 1-D.
/// - output: `(N, −1)`.
#[derive(Default)]
pub struct Flatten {
    input_shape: Option<Shape>,
}

impl Flatten {
    /// A flatten layer.
    pub fn new() -> Self {
        Flatten { input_shape: None }
    }
}

impl<T: Float> Layer<T> for Flatten {
    fn describe(&self) -> String {
        "Flatten".into()
    }

    #[track_caller]
    fn forward(&mut self, x: &Tensor<T>, _mode: Mode) -> Tensor<T> {
        if x.ndim() == 0 {
            input_rank_mismatch("Flatten", "batched (at least 1-D)", x.shape());
        }
        self.input_shape = Some(x.dims());
        x.flatten_2d()
    }

    #[track_caller]
    fn backward(&mut self, dout: &Tensor<T>) -> Tensor<T> {
        let Some(shape) = self.input_shape else {
            backward_before_forward("Flatten")
        };
        let rest: usize = shape[1..].iter().product();
        check_dout("Flatten", &[shape[0], rest], dout);
        dout.reshape(shape)
    }
}

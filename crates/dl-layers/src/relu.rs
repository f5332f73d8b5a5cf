//! The rectified linear unit.

use dl_tensor::{Float, Tensor};

use crate::check::check_dout;
use crate::{Layer, Mode, OutputBuffer, backward_before_forward};

/// `max(0, x)` element-wise; the gradient passes where `x > 0` and is zero elsewhere
/// (at `x = 0` too, as the course's `mask = (x <= 0)`).
///
/// # Shapes
/// Any input shape; the output and `dx` have the input's shape.
#[derive(Default)]
pub struct Relu<T: Float> {
    /// The outputs `y` (the last one is what backward needs).
    out: OutputBuffer<T>,
    /// The input gradients.
    dx: OutputBuffer<T>,
    /// The output computed by the layer before with the ReLU folded in, when it was
    /// ([`Layer::adopt_relu_output`]); backward masks with it instead of `out`.
    adopted: Option<Tensor<T>>,
}

impl<T: Float> Relu<T> {
    /// A ReLU layer.
    pub fn new() -> Self {
        Relu {
            out: OutputBuffer::new(),
            dx: OutputBuffer::new(),
            adopted: None,
        }
    }
}

impl<T: Float> Layer<T> for Relu<T> {
    fn describe(&self) -> String {
        "Relu".into()
    }

    fn forward(&mut self, x: &Tensor<T>, _mode: Mode) -> Tensor<T> {
        self.adopted = None;
        x.map_into(self.out.next_tensor(), relu);
        self.out.share()
    }

    fn is_relu(&self) -> bool {
        true
    }

    fn adopt_relu_output(&mut self, y: &Tensor<T>) {
        self.adopted = Some(y.clone());
    }

    #[track_caller]
    fn backward(&mut self, dout: &Tensor<T>) -> Tensor<T> {
        let Some(y) = self.adopted.as_ref().or(self.out.last()) else {
            backward_before_forward("Relu")
        };
        check_dout("Relu", y.shape(), dout);
        dout.zip_map_into(y, self.dx.next_tensor(), "Relu", |d, y| {
            if y > T::zero() { d } else { T::zero() }
        });
        self.dx.share()
    }
}

/// `max(0, v)` (`0` for NaN too): the one definition of the layer and of the passes that fold
/// it in ([`Layer::forward_relu`]), so both give the same bits.
#[inline]
pub(crate) fn relu<T: Float>(v: T) -> T {
    if v > T::zero() { v } else { T::zero() }
}

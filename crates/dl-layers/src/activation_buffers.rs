//! The buffers of an element-wise activation that keeps its output for backward.

use dl_tensor::{Float, Tensor};

use crate::backward_before_forward;
use crate::check::check_dout;
use crate::output_slots::OutputSlots;

/// The last output `y` of an element-wise activation and the last input gradient, both reused
/// from step to step (see [`Tensor::recycle`]); the output in turn with a second buffer while
/// the next layer holds the last one.
pub(crate) struct ActivationBuffers<T: Float> {
    /// The outputs.
    out: OutputSlots<T>,
    /// Whether a forward pass has run.
    ready: bool,
    /// The input gradient handed out by the last backward pass.
    dx: Tensor<T>,
}

impl<T: Float> Default for ActivationBuffers<T> {
    fn default() -> Self {
        ActivationBuffers {
            out: OutputSlots::default(),
            ready: false,
            dx: Tensor::zeros([0]),
        }
    }
}

impl<T: Float> ActivationBuffers<T> {
    /// `y = f(x)` element-wise into the kept output, which is returned (shared, not copied).
    pub(crate) fn forward(&mut self, x: &Tensor<T>, f: impl Fn(T) -> T + Sync + Send) -> Tensor<T> {
        let out = self.out.next();
        x.map_into(out, f);
        self.ready = true;
        out.clone()
    }

    /// `dx = g(dout, y)` element-wise into the kept gradient, which is returned.
    ///
    /// # Panics
    /// Before the first forward pass, or if `dout` does not have the output's shape; the message
    /// names `layer`.
    #[track_caller]
    pub(crate) fn backward(
        &mut self,
        layer: &str,
        dout: &Tensor<T>,
        g: impl Fn(T, T) -> T + Sync + Send,
    ) -> Tensor<T> {
        if !self.ready {
            backward_before_forward(layer)
        }
        let out = self.out.last();
        check_dout(layer, out.shape(), dout);
        dout.zip_map_into(out, &mut self.dx, layer, g);
        self.dx.clone()
    }
}

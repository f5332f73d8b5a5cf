//! The buffers of an element-wise activation that keeps its output for backward.

use dl_tensor::{Float, Tensor};

use crate::backward_before_forward;
use crate::check::check_dout;

/// The last output `y` of an element-wise activation and the last input gradient, both reused
/// from step to step (see [`Tensor::recycle`]) as long as the caller drops the tensors it got
/// back before the next call.
pub(crate) struct ActivationBuffers<T: Float> {
    /// The last output (`None` before the first forward pass).
    out: Option<Tensor<T>>,
    /// The input gradient handed out by the last backward pass.
    dx: Tensor<T>,
}

impl<T: Float> Default for ActivationBuffers<T> {
    fn default() -> Self {
        ActivationBuffers {
            out: None,
            dx: Tensor::zeros([0]),
        }
    }
}

impl<T: Float> ActivationBuffers<T> {
    /// `y = f(x)` element-wise into the kept output, which is returned (shared, not copied).
    pub(crate) fn forward(&mut self, x: &Tensor<T>, f: impl Fn(T) -> T + Sync + Send) -> Tensor<T> {
        let mut out = self.out.take().unwrap_or_else(|| Tensor::zeros([0]));
        x.map_into(&mut out, f);
        self.out = Some(out.clone());
        out
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
        let Some(out) = &self.out else {
            backward_before_forward(layer)
        };
        check_dout(layer, out.shape(), dout);
        dout.zip_map_into(out, &mut self.dx, layer, g);
        self.dx.clone()
    }
}

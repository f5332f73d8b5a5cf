//! An activity penalty on a layer's output, as Keras's `activity_regularizer`.

use dl_layers::{Layer, Mode, backward_before_forward, dout_shape_mismatch};
use dl_tensor::{Float, Tensor};

/// Identity in the forward pass; adds `(l1·Σ|a| + l2·Σa²) / N` to the loss (Keras divides the
/// activity penalty by the batch size `N`) and its gradient `(l1·sign(a) + 2·l2·a) / N` to `dout`.
///
/// # Shapes
/// Any input `(N, …)`; the output has the input's shape.
pub struct ActivityPenalty<T: Float> {
    l1: f64,
    l2: f64,
    input: Option<Tensor<T>>,
    term: T,
}

impl<T: Float> ActivityPenalty<T> {
    /// A penalty with strengths `l1` and `l2`.
    pub fn new(l1: f64, l2: f64) -> Self {
        ActivityPenalty {
            l1,
            l2,
            input: None,
            term: T::zero(),
        }
    }
}

impl<T: Float> Layer<T> for ActivityPenalty<T> {
    fn describe(&self) -> String {
        format!("ActivityPenalty(l1={}, l2={})", self.l1, self.l2)
    }

    fn forward(&mut self, x: &Tensor<T>, _mode: Mode) -> Tensor<T> {
        let n = x.shape().first().copied().unwrap_or(1).max(1) as f64;
        let (mut abs, mut sq) = (0.0, 0.0);
        x.for_each(|a| {
            let a = a.as_f64();
            abs += a.abs();
            sq += a * a;
        });
        self.term = T::lit((self.l1 * abs + self.l2 * sq) / n);
        self.input = Some(x.clone());
        x.clone()
    }

    fn backward(&mut self, dout: &Tensor<T>) -> Tensor<T> {
        let Some(x) = &self.input else {
            backward_before_forward("ActivityPenalty")
        };
        if x.shape() != dout.shape() {
            dout_shape_mismatch("ActivityPenalty", x.shape(), dout.shape());
        }
        let n = T::lit(x.shape().first().copied().unwrap_or(1).max(1) as f64);
        let (l1, l2) = (T::lit(self.l1), T::lit(2.0 * self.l2));
        dout.zip_map(x, "ActivityPenalty::backward", |d, a| {
            let sign = if a > T::zero() {
                T::one()
            } else if a < T::zero() {
                -T::one()
            } else {
                T::zero()
            };
            d + (l1 * sign + l2 * a) / n
        })
    }

    fn aux_loss(&self) -> T {
        self.term
    }
}

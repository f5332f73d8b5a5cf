//! An activity penalty as a layer: identity forward, penalty gradient added in backward.

use dl_layers::{Layer, Mode, backward_before_forward, dout_shape_mismatch};
use dl_tensor::{Float, Tensor};

use crate::penalty::sign;

/// Keras's `activity_regularizer` as a layer: the identity on its input `a`, adding
/// `(l1·Σ|a| + l2·Σa²) / N` to the loss (via [`Layer::aux_loss`]) and its gradient
/// `(l1·sign(a) + 2·l2·a) / N` to `dout` in backward.
///
/// Keras's regularizers have no 0.5: `L2(l2)` is `l2·Σa²`. The division by the batch size `N`
/// is what `tf.keras` 2.x does for activity regularizers (`activity_loss / batch_size`);
/// Keras 3 adds the undivided sum — [`ActivityPenalty::with_batch_mean`] chooses. Keras's
/// `L1L2(0.01)` sets only `l1 = 0.01` (`l2` defaults to 0): a real Elastic Net needs both.
///
/// The term is computed on every forward pass, in both modes (Keras's validation loss includes
/// it too).
///
/// # Shapes
/// - input `(N, …)`, any rank ≥ 1 with `N` the batch size; output the same.
/// - no parameters.
///
/// # Example
/// ```
/// use dl_layers::{Layer, Mode};
/// use dl_optim::ActivityPenalty;
/// use dl_tensor::Tensor;
/// let mut reg = ActivityPenalty::l2(0.01);
/// let a = Tensor::from_vec(vec![1.0f64, -2.0, 3.0, 0.0], [2, 2]);
/// let y = reg.forward(&a, Mode::Train);
/// assert_eq!(y, a);
/// // 0.01 · (1 + 4 + 9 + 0) / 2
/// assert!((reg.aux_loss() - 0.07).abs() < 1e-15);
/// let dx = reg.backward(&Tensor::zeros([2, 2]));
/// assert_eq!(dx.to_vec(), vec![0.01, -0.02, 0.03, 0.0]);
/// ```
pub struct ActivityPenalty<T> {
    l1: f64,
    l2: f64,
    batch_mean: bool,
    input: Option<Tensor<T>>,
    loss: T,
}

impl<T: Float> ActivityPenalty<T> {
    /// Both terms: `l1` on `Σ|a|`, `l2` on `Σa²`, divided by the batch size.
    pub fn new(l1: f64, l2: f64) -> Self {
        ActivityPenalty {
            l1,
            l2,
            batch_mean: true,
            input: None,
            loss: T::zero(),
        }
    }

    /// L1 only.
    pub fn l1(l1: f64) -> Self {
        Self::new(l1, 0.0)
    }

    /// L2 only.
    pub fn l2(l2: f64) -> Self {
        Self::new(0.0, l2)
    }

    /// Whether the term is divided by the batch size (true: `tf.keras` 2.x; false: Keras 3).
    pub fn with_batch_mean(mut self, on: bool) -> Self {
        self.batch_mean = on;
        self
    }

    /// The strengths `(l1, l2)`.
    pub fn strengths(&self) -> (f64, f64) {
        (self.l1, self.l2)
    }

    fn scale(&self, x: &Tensor<T>) -> f64 {
        if self.batch_mean {
            1.0 / x.shape()[0] as f64
        } else {
            1.0
        }
    }
}

impl<T: Float> Layer<T> for ActivityPenalty<T> {
    fn describe(&self) -> String {
        format!("ActivityPenalty(l1={}, l2={})", self.l1, self.l2)
    }

    /// # Panics
    /// If the input is rank 0 (there is no batch axis).
    #[track_caller]
    fn forward(&mut self, x: &Tensor<T>, _mode: Mode) -> Tensor<T> {
        if x.ndim() == 0 {
            no_batch_axis(x.shape());
        }
        let (mut abs, mut sq) = (0.0f64, 0.0f64);
        x.for_each(|a| {
            let a = a.as_f64();
            abs += a.abs();
            sq += a * a;
        });
        self.loss = T::lit((self.l1 * abs + self.l2 * sq) * self.scale(x));
        self.input = Some(x.clone());
        x.clone()
    }

    #[track_caller]
    fn backward(&mut self, dout: &Tensor<T>) -> Tensor<T> {
        let Some(x) = &self.input else {
            backward_before_forward("ActivityPenalty")
        };
        if dout.shape() != x.shape() {
            dout_shape_mismatch("ActivityPenalty", x.shape(), dout.shape());
        }
        let s = self.scale(x);
        let (l1, l2) = (T::lit(self.l1 * s), T::lit(2.0 * self.l2 * s));
        dout.zip_map(x, "ActivityPenalty::backward", |d, a| {
            d + l1 * sign(a) + l2 * a
        })
    }

    fn aux_loss(&self) -> T {
        self.loss
    }
}

/// Panics because a rank-0 input has no batch axis to divide by.
#[cold]
#[track_caller]
fn no_batch_axis(shape: &[usize]) -> ! {
    panic!("ActivityPenalty: input of shape {shape:?} has no batch axis")
}

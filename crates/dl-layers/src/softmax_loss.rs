//! Softmax followed by the cross-entropy error, with the fused backward `(y − t)/N`.

use dl_tensor::{Float, Tensor};

use crate::check::input_rank_mismatch;
use crate::{Labels, Loss, backward_before_forward};

/// The course's `SoftmaxWithLoss`: `y = softmax(scores)` row by row (shifted by the row maximum
/// so `exp` never overflows), loss `−Σₙ log(y[n, tₙ] + 1e-7) / N`, backward `(y − t) / N`.
///
/// With one-hot labels the loss is `−Σ t·log(y + 1e-7) / N`, the same number for true one-hot
/// rows. The `1e-7` guards `log 0`, as the course; it makes the exact derivative of the loss
/// differ from `(y − t)/N` by a relative `1e-7/y[n, tₙ]`.
///
/// # Shapes
/// - scores: `(N, classes)`.
/// - labels: one-hot `(N, classes)` or `N` class indices.
/// - loss: a scalar; backward: `(N, classes)`.
///
/// # Example
/// ```
/// use dl_layers::{Labels, Loss, SoftmaxWithLoss};
/// use dl_tensor::Tensor;
/// let mut loss = SoftmaxWithLoss::<f64>::new();
/// let scores = Tensor::zeros([2, 4]); // uniform probabilities 1/4
/// let l = loss.forward(&scores, Labels::Index(&[0, 3]));
/// assert!((l - (4.0f64).ln()).abs() < 1e-6);
/// let d = loss.backward();
/// assert!((d.at(&[0, 0]) - (0.25 - 1.0) / 2.0).abs() < 1e-12);
/// ```
#[derive(Default)]
pub struct SoftmaxWithLoss<T: Float> {
    cache: Option<Cache<T>>,
}

struct Cache<T> {
    /// Softmax probabilities of the last forward.
    y: Tensor<T>,
    /// The labels as class indices or one-hot rows.
    t: Target<T>,
}

enum Target<T> {
    OneHot(Tensor<T>),
    Index(Vec<usize>),
}

/// The `log` guard of the course's cross-entropy error.
pub const CROSS_ENTROPY_EPS: f64 = 1e-7;

impl<T: Float> SoftmaxWithLoss<T> {
    /// A softmax-with-loss layer.
    pub fn new() -> Self {
        SoftmaxWithLoss { cache: None }
    }

    /// The softmax probabilities `(N, classes)` of the last forward, if any.
    pub fn probabilities(&self) -> Option<&Tensor<T>> {
        self.cache.as_ref().map(|c| &c.y)
    }
}

/// Row-wise softmax of a 2-D tensor, each row shifted by its maximum.
///
/// # Panics
/// If `scores` is not 2-D.
#[track_caller]
pub fn softmax<T: Float>(scores: &Tensor<T>) -> Tensor<T> {
    if scores.ndim() != 2 {
        input_rank_mismatch("softmax", "2-D (N, classes)", scores.shape());
    }
    let classes = scores.shape()[1];
    let mut y = scores.to_contiguous();
    if classes == 0 {
        return y;
    }
    for row in y.as_mut_slice().chunks_exact_mut(classes) {
        let max = row.iter().copied().fold(T::neg_infinity(), T::max);
        let mut sum = T::zero();
        for v in row.iter_mut() {
            *v = (*v - max).exp();
            sum += *v;
        }
        for v in row.iter_mut() {
            *v /= sum;
        }
    }
    y
}

#[cold]
#[track_caller]
fn labels_mismatch(scores: &[usize], labels: &[usize], what: &str) -> ! {
    panic!(
        "SoftmaxWithLoss: scores of shape {scores:?} do not fit labels of shape {labels:?} ({what})"
    )
}

impl<T: Float> Loss<T> for SoftmaxWithLoss<T> {
    /// # Panics
    /// If `scores` is not 2-D, or the labels do not match it (one-hot shape, index count, or an
    /// index out of range).
    #[track_caller]
    fn forward(&mut self, scores: &Tensor<T>, labels: Labels<'_, T>) -> T {
        let y = softmax(scores);
        let (n, classes) = (scores.shape()[0], scores.shape()[1]);
        let eps = T::lit(CROSS_ENTROPY_EPS);
        let probs = y.as_slice();
        let mut total = T::zero();
        let t = match labels {
            Labels::OneHot(t) => {
                if t.shape() != scores.shape() {
                    labels_mismatch(scores.shape(), t.shape(), "one-hot labels");
                }
                let t = t.to_contiguous();
                for (&p, &ti) in probs.iter().zip(t.as_slice()) {
                    if ti != T::zero() {
                        total -= ti * (p + eps).ln();
                    }
                }
                Target::OneHot(t)
            }
            Labels::Index(idx) => {
                if idx.len() != n {
                    labels_mismatch(scores.shape(), &[idx.len()], "one index per row");
                }
                for (row, &k) in idx.iter().enumerate() {
                    if k >= classes {
                        labels_mismatch(scores.shape(), &[idx.len()], "class index out of range");
                    }
                    total -= (probs[row * classes + k] + eps).ln();
                }
                Target::Index(idx.to_vec())
            }
        };
        self.cache = Some(Cache { y, t });
        total / T::lit(n as f64)
    }

    #[track_caller]
    fn backward(&mut self) -> Tensor<T> {
        let Some(cache) = &self.cache else {
            backward_before_forward("SoftmaxWithLoss")
        };
        let (n, classes) = (cache.y.shape()[0], cache.y.shape()[1]);
        let scale = T::one() / T::lit(n as f64);
        let mut dx = match &cache.t {
            Target::OneHot(t) => cache.y.sub(t),
            Target::Index(idx) => {
                let mut dx = cache.y.clone();
                let d = dx.as_mut_slice();
                for (row, &k) in idx.iter().enumerate() {
                    d[row * classes + k] -= T::one();
                }
                dx
            }
        };
        dx.scale_inplace(scale);
        dx
    }
}

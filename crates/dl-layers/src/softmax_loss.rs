//! Softmax followed by the cross-entropy error, with the fused backward `(y − t)/N`.

use dl_tensor::{Float, Tensor};

use crate::check::input_rank_mismatch;
use crate::{Labels, Loss, OutputBuffer, backward_before_forward};

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
pub struct SoftmaxWithLoss<T: Float> {
    /// Softmax probabilities of the last forward pass, reused by the next.
    y: Tensor<T>,
    /// The labels of the last forward pass (`None` before the first).
    target: Option<Target>,
    /// The last one-hot labels, when they came one-hot.
    one_hot: Tensor<T>,
    /// The last class indices, when they came as indices.
    indices: Vec<usize>,
    /// The gradients handed out.
    dx: OutputBuffer<T>,
}

/// How the last labels came.
#[derive(Clone, Copy)]
enum Target {
    OneHot,
    Index,
}

impl<T: Float> Default for SoftmaxWithLoss<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// The `log` guard of the course's cross-entropy error.
pub const CROSS_ENTROPY_EPS: f64 = 1e-7;

impl<T: Float> SoftmaxWithLoss<T> {
    /// A softmax-with-loss layer.
    pub fn new() -> Self {
        SoftmaxWithLoss {
            y: Tensor::zeros([0]),
            target: None,
            one_hot: Tensor::zeros([0]),
            indices: Vec::new(),
            dx: OutputBuffer::new(),
        }
    }

    /// The softmax probabilities `(N, classes)` of the last forward, if any.
    pub fn probabilities(&self) -> Option<&Tensor<T>> {
        self.target.map(|_| &self.y)
    }
}

/// Row-wise softmax of a 2-D tensor, each row shifted by its maximum.
///
/// # Panics
/// If `scores` is not 2-D.
#[track_caller]
pub fn softmax<T: Float>(scores: &Tensor<T>) -> Tensor<T> {
    let (_, classes) = rows_and_classes(scores);
    let mut y = scores.to_contiguous();
    softmax_rows(y.as_mut_slice(), classes);
    y
}

/// `(N, classes)` of a score matrix.
///
/// # Panics
/// If `scores` is not 2-D.
#[track_caller]
fn rows_and_classes<T: Copy>(scores: &Tensor<T>) -> (usize, usize) {
    match *scores.shape() {
        [n, classes] => (n, classes),
        _ => input_rank_mismatch("softmax", "2-D (N, classes)", scores.shape()),
    }
}

/// Replaces every row of `classes` scores in `data` by its softmax.
fn softmax_rows<T: Float>(data: &mut [T], classes: usize) {
    if classes == 0 {
        return;
    }
    for row in data.chunks_exact_mut(classes) {
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
        let (n, classes) = rows_and_classes(scores);
        scores.map_into(&mut self.y, |v| v);
        softmax_rows(self.y.as_mut_slice(), classes);
        let eps = T::lit(CROSS_ENTROPY_EPS);
        let probs = self.y.as_slice();
        let mut total = T::zero();
        let target = match labels {
            Labels::OneHot(t) => {
                if t.shape() != scores.shape() {
                    labels_mismatch(scores.shape(), t.shape(), "one-hot labels");
                }
                t.map_into(&mut self.one_hot, |v| v);
                for (&p, &ti) in probs.iter().zip(self.one_hot.as_slice()) {
                    if ti != T::zero() {
                        total -= ti * (p + eps).ln();
                    }
                }
                Target::OneHot
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
                self.indices.clear();
                self.indices.extend_from_slice(idx);
                Target::Index
            }
        };
        self.target = Some(target);
        total / T::lit(n as f64)
    }

    #[track_caller]
    fn backward(&mut self) -> Tensor<T> {
        let Some(target) = self.target else {
            backward_before_forward("SoftmaxWithLoss")
        };
        let (n, classes) = (self.y.shape()[0], self.y.shape()[1]);
        let scale = T::one() / T::lit(n as f64);
        match target {
            Target::OneHot => self.y.zip_map_into(
                &self.one_hot,
                self.dx.next_tensor(),
                "SoftmaxWithLoss",
                |y, t| (y - t) * scale,
            ),
            Target::Index => {
                let dx = self.dx.next_tensor();
                self.y.map_into(dx, |v| v);
                let d = dx.as_mut_slice();
                for (row, &k) in self.indices.iter().enumerate() {
                    d[row * classes + k] -= T::one();
                }
                d.iter_mut().for_each(|v| *v *= scale);
            }
        }
        self.dx.share()
    }
}

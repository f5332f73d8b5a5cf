//! Max and average pooling over windows, through `im2col`.

use dl_tensor::{Float, Shape, Tensor};

use crate::check::{check_dout, input_rank_mismatch, nchw};
use crate::im2col::{col2im, conv_output_size, im2col};
use crate::{Layer, Mode, backward_before_forward};

/// What a [`Pooling`] layer computes over each window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PoolKind {
    /// The window's maximum; backward routes the gradient to the (first) maximal element.
    Max,
    /// The window's mean; backward spreads the gradient evenly over the window.
    Avg,
}

/// Pooling of each channel over `PH×PW` windows with a stride and zero padding.
///
/// The windows are unrolled with [`im2col`] (columns ordered `(c, ph, pw)`, so each row splits
/// into one `PH·PW` segment per channel); max pooling caches the argmax of every segment, and
/// backward scatters `dout` into a column matrix that [`col2im`] folds back, adding overlaps.
/// As in the course, padding is zeros and counts in both the maximum and the mean.
///
/// # Shapes
/// - input: `(N, C, H, W)`.
/// - output: `(N, C, OH, OW)` with `OH = (H + 2·pad − PH) / stride + 1`, likewise `OW`.
///
/// # Example
/// ```
/// use dl_layers::{Layer, Mode, Pooling};
/// use dl_tensor::Tensor;
/// let mut pool = Pooling::<f32>::max(2, 2, 2, 0);
/// let x = Tensor::from_fn([1, 1, 4, 4], |i| (i[2] * 4 + i[3]) as f32);
/// let y = pool.forward(&x, Mode::Eval);
/// assert_eq!(y.shape(), &[1, 1, 2, 2]);
/// assert_eq!(y.to_vec(), vec![5.0, 7.0, 13.0, 15.0]);
/// ```
pub struct Pooling<T: Float> {
    kind: PoolKind,
    ph: usize,
    pw: usize,
    stride: usize,
    pad: usize,
    cache: Option<Cache>,
    _marker: std::marker::PhantomData<fn() -> T>,
}

struct Cache {
    input_shape: Shape,
    out_shape: Shape,
    /// For max pooling, the winning position inside each window segment, in the order
    /// `(n, oh, ow, c)` of the column matrix.
    argmax: Vec<usize>,
}

impl<T: Float> Pooling<T> {
    /// A pooling layer of `kind` over `ph×pw` windows.
    ///
    /// # Panics
    /// If the window is empty or `stride` is zero.
    #[track_caller]
    pub fn new(kind: PoolKind, ph: usize, pw: usize, stride: usize, pad: usize) -> Self {
        assert!(
            ph > 0 && pw > 0 && stride > 0,
            "Pooling::new: window {ph}×{pw} and stride {stride} must be at least 1"
        );
        Pooling {
            kind,
            ph,
            pw,
            stride,
            pad,
            cache: None,
            _marker: std::marker::PhantomData,
        }
    }

    /// Max pooling over `ph×pw` windows.
    #[track_caller]
    pub fn max(ph: usize, pw: usize, stride: usize, pad: usize) -> Self {
        Self::new(PoolKind::Max, ph, pw, stride, pad)
    }

    /// Average pooling over `ph×pw` windows.
    #[track_caller]
    pub fn avg(ph: usize, pw: usize, stride: usize, pad: usize) -> Self {
        Self::new(PoolKind::Avg, ph, pw, stride, pad)
    }

    /// Max or average.
    pub fn kind(&self) -> PoolKind {
        self.kind
    }

    /// The output shape for an input of shape `(N, C, H, W)`.
    ///
    /// # Panics
    /// If the input is not 4-D or is smaller than the window.
    #[track_caller]
    pub fn output_shape(&self, input: &[usize]) -> [usize; 4] {
        let [n, c, h, w] = match *input {
            [n, c, h, w] => [n, c, h, w],
            _ => input_rank_mismatch(&self.describe(), "4-D (N, C, H, W)", input),
        };
        [
            n,
            c,
            conv_output_size(h, self.ph, self.stride, self.pad),
            conv_output_size(w, self.pw, self.stride, self.pad),
        ]
    }
}

impl<T: Float> Layer<T> for Pooling<T> {
    fn describe(&self) -> String {
        let name = match self.kind {
            PoolKind::Max => "MaxPool",
            PoolKind::Avg => "AvgPool",
        };
        format!(
            "{name}({}×{}, stride {}, pad {})",
            self.ph, self.pw, self.stride, self.pad
        )
    }

    /// # Panics
    /// If the input is not 4-D or is smaller than the window.
    #[track_caller]
    fn forward(&mut self, x: &Tensor<T>, _mode: Mode) -> Tensor<T> {
        let [n, c, _, _] = nchw(|| self.describe(), x);
        let out_shape = self.output_shape(x.shape());
        let [_, _, oh, ow] = out_shape;
        let k = self.ph * self.pw;
        let col = im2col(x, self.ph, self.pw, self.stride, self.pad);
        let mut out = vec![T::zero(); n * c * oh * ow];
        let mut argmax = Vec::new();
        if self.kind == PoolKind::Max {
            argmax.reserve(n * oh * ow * c);
        }
        let inv_k = T::one() / T::lit(k as f64);
        // Segment s of the column matrix is window (n, oy, ox) of channel ci.
        for (s, seg) in col.as_slice().chunks_exact(k).enumerate() {
            let (pos, ci) = (s / c, s % c);
            let (ni, oyx) = (pos / (oh * ow), pos % (oh * ow));
            let o = (ni * c + ci) * oh * ow + oyx;
            out[o] = match self.kind {
                PoolKind::Max => {
                    let (best, v) = first_max(seg);
                    argmax.push(best);
                    v
                }
                PoolKind::Avg => seg.iter().copied().sum::<T>() * inv_k,
            };
        }
        self.cache = Some(Cache {
            input_shape: x.dims(),
            out_shape: Shape::new(&out_shape),
            argmax,
        });
        Tensor::from_vec(out, out_shape)
    }

    #[track_caller]
    fn backward(&mut self, dout: &Tensor<T>) -> Tensor<T> {
        let Some(cache) = &self.cache else {
            backward_before_forward(&self.describe())
        };
        check_dout(|| self.describe(), &cache.out_shape, dout);
        let [n, c, oh, ow] = [
            cache.out_shape[0],
            cache.out_shape[1],
            cache.out_shape[2],
            cache.out_shape[3],
        ];
        let k = self.ph * self.pw;
        let dout = dout.to_contiguous();
        let d = dout.as_slice();
        let inv_k = T::one() / T::lit(k as f64);
        let mut dcol = vec![T::zero(); n * oh * ow * c * k];
        for (s, seg) in dcol.chunks_exact_mut(k).enumerate() {
            let (pos, ci) = (s / c, s % c);
            let (ni, oyx) = (pos / (oh * ow), pos % (oh * ow));
            let g = d[(ni * c + ci) * oh * ow + oyx];
            match self.kind {
                PoolKind::Max => seg[cache.argmax[s]] = g,
                PoolKind::Avg => seg.fill(g * inv_k),
            }
        }
        let dcol = Tensor::from_vec(dcol, [n * oh * ow, c * k]);
        col2im(
            &dcol,
            &cache.input_shape,
            self.ph,
            self.pw,
            self.stride,
            self.pad,
        )
    }
}

/// The index and value of the first maximum (NaN wins, so it propagates).
fn first_max<T: Float>(seg: &[T]) -> (usize, T) {
    let mut best = (0, seg[0]);
    for (i, &v) in seg.iter().enumerate().skip(1) {
        if v > best.1 || (v.is_nan() && !best.1.is_nan()) {
            best = (i, v);
        }
    }
    best
}

//! Max and average pooling over windows, through `im2col`.

use dl_tensor::{Float, Shape, Tensor};

use dl_tensor::for_each_chunk_mut;

use crate::check::check_dout;
use crate::conv::conv_output_size;
use crate::conv::shape::nchw;
use crate::{Layer, Mode, OutputBuffer, backward_before_forward};

/// What a [`Pooling`] layer computes over each window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum PoolKind {
    /// The window's maximum; backward routes the gradient to the (first) maximal element.
    Max,
    /// The window's mean; backward spreads the gradient evenly over the window.
    Avg,
}

/// Pooling of each channel over `PH×PW` windows with a stride and zero padding.
///
/// Each output reads its window straight from the input (the course unrolls the windows with
/// `im2col` first; the values are the same). Max pooling caches where each window's (first)
/// maximum came from, and backward adds `dout` there; average pooling spreads `dout` evenly over
/// each window. Overlapping windows add up. As in the course, padding is zeros and counts in both
/// the maximum and the mean. On an x86-64 CPU with AVX2, `f32` max pooling without padding
/// (other than the course's 2×2, stride 2) scans eight windows at a time, with the same picks.
/// Samples run in parallel; the output and input gradient go into [`OutputBuffer`]s and the
/// cache is overwritten in place, so a warm step allocates nothing.
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
    /// Max pooling: for each output (NCHW order), the offset in its sample of the input element
    /// its maximum came from, or [`FROM_PADDING`].
    argmax: Vec<usize>,
    /// The outputs.
    out: OutputBuffer<T>,
    /// The input gradients.
    dx: OutputBuffer<T>,
}

struct Cache {
    input_shape: Shape,
    windows: Windows,
}

/// Where a window's maximum came from when it was a padding zero.
const FROM_PADDING: usize = usize::MAX;

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
            argmax: Vec::new(),
            out: OutputBuffer::new(),
            dx: OutputBuffer::new(),
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
        let [n, c, h, w] = nchw(|| self.describe(), input);
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
        let windows = self.windows(x.shape());
        let out_shape = windows.output_shape(x.shape()[0]);
        let x = x.to_contiguous();
        let (image, per_sample) = (x.as_slice(), windows.per_sample());
        let out = self.out.write(out_shape);
        match self.kind {
            PoolKind::Max => {
                self.argmax.resize(out.len(), FROM_PADDING);
                for_each_chunk_mut(&mut self.argmax, per_sample, |i, argmax_i| {
                    windows.argmax_sample(&image[i * windows.image_len()..], argmax_i);
                });
                let argmax = &self.argmax;
                for_each_chunk_mut(out, per_sample, |i, out_i| {
                    let image_i = &image[i * windows.image_len()..];
                    let argmax_i = &argmax[i * per_sample..];
                    for (o, &from) in out_i.iter_mut().zip(argmax_i) {
                        *o = if from == FROM_PADDING {
                            T::zero()
                        } else {
                            image_i[from]
                        };
                    }
                });
            }
            PoolKind::Avg => {
                for_each_chunk_mut(out, per_sample, |i, out_i| {
                    windows.mean_sample(&image[i * windows.image_len()..], out_i);
                });
            }
        }
        self.cache = Some(Cache {
            input_shape: x.dims(),
            windows,
        });
        self.out.share()
    }

    #[track_caller]
    fn backward(&mut self, dout: &Tensor<T>) -> Tensor<T> {
        let Some(cache) = &self.cache else {
            backward_before_forward(&self.describe())
        };
        let windows = cache.windows;
        check_dout(
            || self.describe(),
            &windows.output_shape(cache.input_shape[0]),
            dout,
        );
        let dout = dout.to_contiguous();
        let (d, per_sample) = (dout.as_slice(), windows.per_sample());
        let (kind, argmax) = (self.kind, &self.argmax);
        let dx = self.dx.write(cache.input_shape);
        if windows.image_len() > 0 {
            for_each_chunk_mut(dx, windows.image_len(), |i, dx_i| {
                dx_i.fill(T::zero());
                let d_i = &d[i * per_sample..(i + 1) * per_sample];
                match kind {
                    PoolKind::Max => {
                        for (&g, &from) in d_i.iter().zip(&argmax[i * per_sample..]) {
                            if from != FROM_PADDING {
                                dx_i[from] += g;
                            }
                        }
                    }
                    PoolKind::Avg => windows.spread_sample(d_i, dx_i),
                }
            });
        }
        self.dx.share()
    }
}

impl<T: Float> Pooling<T> {
    /// The window geometry over an input of `shape` `(N, C, H, W)`.
    ///
    /// # Panics
    /// As [`Pooling::output_shape`].
    #[track_caller]
    fn windows(&self, shape: &[usize]) -> Windows {
        let [_, c, oh, ow] = self.output_shape(shape);
        Windows {
            c,
            h: shape[2],
            w: shape[3],
            ph: self.ph,
            pw: self.pw,
            stride: self.stride,
            pad: self.pad,
            oh,
            ow,
        }
    }
}

/// The pooling windows over one sample `(C, H, W)`.
#[derive(Clone, Copy, Debug)]
struct Windows {
    c: usize,
    h: usize,
    w: usize,
    ph: usize,
    pw: usize,
    stride: usize,
    pad: usize,
    oh: usize,
    ow: usize,
}

impl Windows {
    /// The output shape for `n` samples: `(N, C, OH, OW)`.
    fn output_shape(&self, n: usize) -> [usize; 4] {
        [n, self.c, self.oh, self.ow]
    }

    /// Elements of one input sample.
    fn image_len(&self) -> usize {
        self.c * self.h * self.w
    }

    /// Outputs of one sample.
    fn per_sample(&self) -> usize {
        self.c * self.oh * self.ow
    }

    /// The outputs `(ci, oy, ox)` of one sample, in `C, OH, OW` order.
    fn outputs(&self) -> impl Iterator<Item = (usize, usize, usize)> + use<> {
        let (c, oh, ow) = (self.c, self.oh, self.ow);
        (0..c).flat_map(move |ci| (0..oh).flat_map(move |oy| (0..ow).map(move |ox| (ci, oy, ox))))
    }

    /// Calls `f(from)` for every element of the window of output `(ci, oy, ox)`, row by row:
    /// `from` is the element's offset in the sample, or `None` for padding.
    #[inline]
    fn for_each_element(&self, ci: usize, oy: usize, ox: usize, mut f: impl FnMut(Option<usize>)) {
        for ky in 0..self.ph {
            let iy = (oy * self.stride + ky)
                .checked_sub(self.pad)
                .filter(|&y| y < self.h);
            for kx in 0..self.pw {
                let ix = (ox * self.stride + kx)
                    .checked_sub(self.pad)
                    .filter(|&x| x < self.w);
                let from = iy.zip(ix).map(|(y, x)| (ci * self.h + y) * self.w + x);
                f(from);
            }
        }
    }

    /// For every output of one sample (`C, OH, OW` order), where its window's first maximum
    /// is (padding counts as 0; NaN wins, so it propagates).
    fn argmax_sample<T: Float>(&self, image: &[T], argmax: &mut [usize]) {
        let course_2x2 = (self.ph, self.pw, self.stride, self.pad) == (2, 2, 2, 0);
        #[cfg(target_arch = "x86_64")]
        if !course_2x2
            && let Some(image) = as_f32(image)
            && self.argmax_sample_avx2(image, argmax)
        {
            return;
        }
        match (self.ph, self.pw) {
            _ if course_2x2 => self.argmax_sample_2x2(image, argmax),
            (2, 2) => self.argmax_sample_window::<T, 2, 2>(image, argmax),
            (3, 3) => self.argmax_sample_window::<T, 3, 3>(image, argmax),
            _ => self.argmax_sample_window::<T, 0, 0>(image, argmax),
        }
    }

    /// [`Windows::argmax_sample`] for the course's 2×2 windows with stride 2 and no padding:
    /// each pair of input lines read once, side by side, with the picks of
    /// [`Windows::argmax_sample_window`] (each line's winner, then the two lines' in order).
    fn argmax_sample_2x2<T: Float>(&self, image: &[T], argmax: &mut [usize]) {
        let w = self.w;
        for (ci, plane) in argmax.chunks_exact_mut(self.oh * self.ow).enumerate() {
            for (oy, row) in plane.chunks_exact_mut(self.ow).enumerate() {
                let top = (ci * self.h + 2 * oy) * w;
                let (upper, lower) = (
                    &image[top..][..2 * self.ow],
                    &image[top + w..][..2 * self.ow],
                );
                for (ox, ((slot, a), b)) in row
                    .iter_mut()
                    .zip(upper.chunks_exact(2))
                    .zip(lower.chunks_exact(2))
                    .enumerate()
                {
                    let i = top + 2 * ox;
                    let (ia, va) = if beats(a[1], a[0]) {
                        (i + 1, a[1])
                    } else {
                        (i, a[0])
                    };
                    let (ib, vb) = if beats(b[1], b[0]) {
                        (i + w + 1, b[1])
                    } else {
                        (i + w, b[0])
                    };
                    *slot = if beats(vb, va) { ib } else { ia };
                }
            }
        }
    }

    /// [`Windows::argmax_sample`] for `f32` without padding on a CPU with AVX2: eight outputs
    /// of a line at a time ([`crate::pooling_x86`]). Returns `false`, having written nothing,
    /// when it does not apply.
    #[cfg(target_arch = "x86_64")]
    fn argmax_sample_avx2(&self, image: &[f32], argmax: &mut [usize]) -> bool {
        use crate::pooling_x86::{LANES, argmax_windows, available};
        /// The most window elements the offsets table holds.
        const MAX_WINDOW: usize = 64;
        let (w, s, pw, elements) = (self.w, self.stride, self.pw, self.ph * self.pw);
        let fits_i32 = |v: usize| i32::try_from(v).is_ok();
        if self.pad != 0
            || elements > MAX_WINDOW
            || !fits_i32(self.ph * w)
            || !fits_i32(LANES * s)
            || !available()
        {
            return false;
        }
        let mut offsets = [0usize; MAX_WINDOW];
        for (e, offset) in offsets.iter_mut().enumerate().take(elements) {
            *offset = e / pw * w + e % pw;
        }
        let offsets = &offsets[..elements];
        let mut at = [0i32; LANES];
        for (ci, plane) in argmax.chunks_exact_mut(self.oh * self.ow).enumerate() {
            for (oy, row) in plane.chunks_exact_mut(self.ow).enumerate() {
                let top = (ci * self.h + oy * s) * w;
                for (k, slots) in row.chunks_mut(LANES).enumerate() {
                    let first = top + k * LANES * s;
                    // SAFETY: AVX2 is available; the windows of these outputs lie inside the
                    // sample (no padding), and the offsets and strides fit `i32` (checked).
                    unsafe { argmax_windows(image, first, s, slots.len(), offsets, &mut at) };
                    for (o, (slot, &from)) in slots.iter_mut().zip(&at).enumerate() {
                        *slot = first + o * s + from as usize;
                    }
                }
            }
        }
        true
    }

    /// [`Windows::argmax_sample`] with the window known at compile time (`PH, PW > 0`) or not
    /// (`0, 0`): windows wholly inside the image are scanned without bounds arithmetic.
    #[inline(always)]
    fn argmax_sample_window<T: Float, const PH: usize, const PW: usize>(
        &self,
        image: &[T],
        argmax: &mut [usize],
    ) {
        let (ph, pw) = if PH > 0 { (PH, PW) } else { (self.ph, self.pw) };
        let (s, pad) = (self.stride, self.pad);
        let inside = |o: usize, k: usize, len: usize| o * s >= pad && o * s + k <= len + pad;
        for (ci, plane) in argmax.chunks_exact_mut(self.oh * self.ow).enumerate() {
            for (oy, row) in plane.chunks_exact_mut(self.ow).enumerate() {
                let row_inside = inside(oy, ph, self.h);
                for (ox, slot) in row.iter_mut().enumerate() {
                    if !(row_inside && inside(ox, pw, self.w)) {
                        *slot = self.argmax_window(image, ci, oy, ox);
                        continue;
                    }
                    let top_left = (ci * self.h + oy * s - pad) * self.w + ox * s - pad;
                    // Without branches (which element wins is data, not predictable): only
                    // an index is selected, and its value read again. Each line's winner is a
                    // chain over its elements, the lines' winners are independent of each
                    // other, and then meet in order (for 2×2, a tree of three picks).
                    let pick = |i: usize, j: usize| -> usize {
                        if beats(image[j], image[i]) { j } else { i }
                    };
                    let line_winner = |start: usize| (start + 1..start + pw).fold(start, pick);
                    *slot = (1..ph)
                        .map(|ky| line_winner(top_left + ky * self.w))
                        .fold(line_winner(top_left), pick);
                }
            }
        }
    }

    /// Where the first maximum of output `(ci, oy, ox)`'s window is, for any window.
    fn argmax_window<T: Float>(&self, image: &[T], ci: usize, oy: usize, ox: usize) -> usize {
        let mut best: Option<(usize, T)> = None;
        self.for_each_element(ci, oy, ox, |from| {
            let (from, v) = match from {
                Some(i) => (i, image[i]),
                None => (FROM_PADDING, T::zero()),
            };
            match best {
                Some((_, b)) if !beats(v, b) => {}
                _ => best = Some((from, v)),
            }
        });
        best.map_or(FROM_PADDING, |b| b.0)
    }

    /// The mean of every window of one sample (padding counts as 0), in `C, OH, OW` order.
    fn mean_sample<T: Float>(&self, image: &[T], out: &mut [T]) {
        let inv_k = T::one() / T::lit((self.ph * self.pw) as f64);
        for ((ci, oy, ox), o) in self.outputs().zip(out) {
            let mut sum = T::zero();
            self.for_each_element(ci, oy, ox, |from| {
                if let Some(i) = from {
                    sum += image[i];
                }
            });
            *o = sum * inv_k;
        }
    }

    /// Adds `d[o] / (PH·PW)` to every input element of output `o`'s window, for one sample.
    fn spread_sample<T: Float>(&self, d: &[T], dx: &mut [T]) {
        let inv_k = T::one() / T::lit((self.ph * self.pw) as f64);
        for ((ci, oy, ox), &d_o) in self.outputs().zip(d) {
            let g = d_o * inv_k;
            self.for_each_element(ci, oy, ox, |from| {
                if let Some(i) = from {
                    dx[i] += g;
                }
            });
        }
    }
}

/// `values` as `f32`, when that is what `T` is.
#[cfg(target_arch = "x86_64")]
fn as_f32<T: Float>(values: &[T]) -> Option<&[f32]> {
    (std::any::TypeId::of::<T>() == std::any::TypeId::of::<f32>()).then(|| {
        // SAFETY: `T` is `f32`, so the slice is one of `f32`.
        unsafe { std::slice::from_raw_parts(values.as_ptr().cast(), values.len()) }
    })
}

/// Whether `v` replaces `best` as a window's maximum: it is greater, or NaN where `best` is not
/// (NaN propagates, as in NumPy's `max`; ties keep the first). Without short-circuits, so that
/// the fast path compiles to selects rather than branches.
#[inline(always)]
fn beats<T: Float>(v: T, best: T) -> bool {
    (v > best) | (v.is_nan() & !best.is_nan())
}

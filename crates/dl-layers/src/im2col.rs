//! `im2col` and `col2im`: the course's unrolling of convolution windows into matrix rows, and
//! its adjoint.
//!
//! For an input `(N, C, H, W)` and a `FH×FW` window, `im2col` gives a matrix of shape
//! `(N·OH·OW, C·FH·FW)`: one row per output position, ordered `(n, oh, ow)`, and one column per
//! window element, ordered `(c, fh, fw)` — the order of the course's
//! `col.transpose(0, 4, 5, 1, 2, 3).reshape(N*out_h*out_w, -1)`. Padding is zeros.
//!
//! ```
//! use dl_layers::im2col::{col2im, conv_output_size, im2col};
//! use dl_tensor::Tensor;
//! let x = Tensor::<f32>::from_fn([1, 1, 3, 3], |i| (i[2] * 3 + i[3]) as f32);
//! let col = im2col(&x, 2, 2, 1, 0);
//! assert_eq!(conv_output_size(3, 2, 1, 0), 2);
//! assert_eq!(col.shape(), &[4, 4]);
//! assert_eq!(col.index_axis(0, 0).to_vec(), vec![0.0, 1.0, 3.0, 4.0]); // top-left window
//! // col2im adds each window back: the centre pixel sits in all four windows.
//! let back = col2im(&col, &[1, 1, 3, 3], 2, 2, 1, 0);
//! assert_eq!(back.at(&[0, 0, 1, 1]), 4.0 * 4.0);
//! ```

use dl_tensor::{Float, Tensor, for_each_chunk_mut};

use crate::check::input_rank_mismatch;

/// `(input + 2·pad − filter) / stride + 1`, rounded down (a window never hangs over the padded
/// edge).
///
/// # Panics
/// If `stride` is zero or the filter is larger than the padded input.
#[track_caller]
pub fn conv_output_size(input: usize, filter: usize, stride: usize, pad: usize) -> usize {
    if stride == 0 || filter == 0 || filter > input + 2 * pad {
        bad_geometry(input, filter, stride, pad);
    }
    (input + 2 * pad - filter) / stride + 1
}

#[cold]
#[track_caller]
fn bad_geometry(input: usize, filter: usize, stride: usize, pad: usize) -> ! {
    panic!(
        "conv_output_size: a filter of {filter} with stride {stride} does not fit an input of \
         {input} padded by {pad} (need 1 ≤ filter ≤ input + 2·pad and stride ≥ 1)"
    )
}

/// The geometry of one im2col: input `(n, c, h, w)`, window, stride, pad, output `oh×ow`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Geometry {
    pub(crate) n: usize,
    pub(crate) c: usize,
    pub(crate) h: usize,
    pub(crate) w: usize,
    pub(crate) fh: usize,
    pub(crate) fw: usize,
    pub(crate) stride: usize,
    pub(crate) pad: usize,
    pub(crate) oh: usize,
    pub(crate) ow: usize,
}

impl Geometry {
    /// The geometry of a `fh×fw` window over an input of `shape` `(N, C, H, W)`.
    ///
    /// # Panics
    /// If the window does not fit (see [`conv_output_size`]).
    #[track_caller]
    pub(crate) fn new(shape: [usize; 4], fh: usize, fw: usize, stride: usize, pad: usize) -> Self {
        let [n, c, h, w] = shape;
        Geometry {
            n,
            c,
            h,
            w,
            fh,
            fw,
            stride,
            pad,
            oh: conv_output_size(h, fh, stride, pad),
            ow: conv_output_size(w, fw, stride, pad),
        }
    }

    /// Columns of the column matrix: `C·FH·FW`.
    pub(crate) fn row_len(&self) -> usize {
        self.c * self.fh * self.fw
    }

    /// Output positions per sample: `OH·OW`.
    pub(crate) fn positions(&self) -> usize {
        self.oh * self.ow
    }

    /// Rows of the column matrix: `N·OH·OW`.
    pub(crate) fn rows(&self) -> usize {
        self.n * self.positions()
    }

    /// Elements of one input sample: `C·H·W`.
    pub(crate) fn image_len(&self) -> usize {
        self.c * self.h * self.w
    }

    /// For output position `(oy, ox)`, calls `f(dst, row, x0)` for every window line: `dst` is
    /// the line's offset in the column row, `row` the input line's offset in the sample (`None`
    /// for a padding line) and `x0` the window's first input column (may be negative).
    #[inline]
    fn for_each_line(&self, oy: usize, ox: usize, mut f: impl FnMut(usize, Option<usize>, isize)) {
        let pad = self.pad as isize;
        let x0 = (ox * self.stride) as isize - pad;
        for ci in 0..self.c {
            for ky in 0..self.fh {
                let iy = (oy * self.stride + ky) as isize - pad;
                let dst = (ci * self.fh + ky) * self.fw;
                let row = (0..self.h as isize)
                    .contains(&iy)
                    .then(|| (ci * self.h + iy as usize) * self.w);
                f(dst, row, x0);
            }
        }
    }

    /// Whether the window at output position `(oy, ox)` lies wholly inside the input (no
    /// padding), and if so the offset of its top-left element in a channel plane.
    #[inline]
    fn inner_window(&self, oy: usize, ox: usize) -> Option<usize> {
        let (y0, x0) = (oy * self.stride, ox * self.stride);
        let inside = y0 >= self.pad
            && x0 >= self.pad
            && y0 + self.fh <= self.h + self.pad
            && x0 + self.fw <= self.w + self.pad;
        inside.then(|| (y0 - self.pad) * self.w + (x0 - self.pad))
    }

    /// Unrolls one sample `image` `(C, H, W)` into its `OH·OW` rows of the column matrix,
    /// writing every element of `col` (zeros for padding).
    pub(crate) fn im2col_sample<T: Float>(&self, image: &[T], col: &mut [T]) {
        match self.fw {
            3 => self.im2col_sample_fw::<T, 3>(image, col),
            5 => self.im2col_sample_fw::<T, 5>(image, col),
            _ => self.im2col_sample_fw::<T, 0>(image, col),
        }
    }

    /// [`Geometry::im2col_sample`] with the window width known at compile time (`FW > 0`) or
    /// not (`FW = 0`), so the lines of inner windows are copied without a loop.
    #[inline(always)]
    fn im2col_sample_fw<T: Float, const FW: usize>(&self, image: &[T], col: &mut [T]) {
        let (fh, fw, w, row_len) = (self.fh, self.fw, self.w as isize, self.row_len());
        let plane = self.h * self.w;
        for (pos, col_row) in col.chunks_exact_mut(row_len).enumerate() {
            let (oy, ox) = (pos / self.ow, pos % self.ow);
            if let Some(top_left) = self.inner_window(oy, ox) {
                for (ci, window) in col_row.chunks_exact_mut(fh * fw).enumerate() {
                    let first = ci * plane + top_left;
                    for (ky, out) in window.chunks_exact_mut(fw).enumerate() {
                        let start = first + ky * self.w;
                        if FW > 0 {
                            let out: &mut [T; FW] = out.try_into().expect("window line");
                            *out = image[start..start + FW].try_into().expect("window line");
                        } else {
                            out.copy_from_slice(&image[start..start + fw]);
                        }
                    }
                }
                continue;
            }
            self.for_each_line(oy, ox, |dst, row, x0| {
                let out = &mut col_row[dst..dst + fw];
                let Some(row) = row else {
                    out.fill(T::zero());
                    return;
                };
                for (kx, o) in out.iter_mut().enumerate() {
                    let ix = x0 + kx as isize;
                    *o = if (0..w).contains(&ix) {
                        image[row + ix as usize]
                    } else {
                        T::zero()
                    };
                }
            });
        }
    }

    /// The adjoint of [`Geometry::im2col_sample`]: overwrites `image` `(C, H, W)` with the sum of
    /// every window of `col` (one sample's `OH·OW` rows) added back where it came from.
    pub(crate) fn col2im_sample<T: Float>(&self, col: &[T], image: &mut [T]) {
        match self.fw {
            3 => self.col2im_sample_fw::<T, 3>(col, image),
            5 => self.col2im_sample_fw::<T, 5>(col, image),
            _ => self.col2im_sample_fw::<T, 0>(col, image),
        }
    }

    /// [`Geometry::col2im_sample`] with the window width known at compile time (`FW > 0`) or
    /// not (`FW = 0`).
    #[inline(always)]
    fn col2im_sample_fw<T: Float, const FW: usize>(&self, col: &[T], image: &mut [T]) {
        image.fill(T::zero());
        let (fh, fw, w, row_len) = (self.fh, self.fw, self.w as isize, self.row_len());
        let plane = self.h * self.w;
        for (pos, col_row) in col.chunks_exact(row_len).enumerate() {
            let (oy, ox) = (pos / self.ow, pos % self.ow);
            if let Some(top_left) = self.inner_window(oy, ox) {
                for (ci, window) in col_row.chunks_exact(fh * fw).enumerate() {
                    let first = ci * plane + top_left;
                    for (ky, src) in window.chunks_exact(fw).enumerate() {
                        let start = first + ky * self.w;
                        if FW > 0 {
                            let acc: &mut [T; FW] = (&mut image[start..start + FW])
                                .try_into()
                                .expect("window line");
                            let src: &[T; FW] = src.try_into().expect("window line");
                            for (a, &v) in acc.iter_mut().zip(src) {
                                *a += v;
                            }
                        } else {
                            for (a, &v) in image[start..start + fw].iter_mut().zip(src) {
                                *a += v;
                            }
                        }
                    }
                }
                continue;
            }
            self.for_each_line(oy, ox, |dst, row, x0| {
                let Some(row) = row else { return };
                for (kx, &v) in col_row[dst..dst + fw].iter().enumerate() {
                    let ix = x0 + kx as isize;
                    if (0..w).contains(&ix) {
                        image[row + ix as usize] += v;
                    }
                }
            });
        }
    }

    /// [`Geometry::im2col_sample`] for every sample of `input` `(N, C, H, W)`, in parallel over
    /// samples, into `col` `(N·OH·OW, C·FH·FW)`.
    pub(crate) fn im2col_into<T: Float>(&self, input: &[T], col: &mut [T]) {
        let (image_len, sample_len) = (self.image_len(), self.positions() * self.row_len());
        debug_assert_eq!(col.len(), self.n * sample_len);
        if sample_len == 0 {
            return;
        }
        for_each_chunk_mut(col, sample_len, |i, col_i| {
            self.im2col_sample(&input[i * image_len..(i + 1) * image_len], col_i);
        });
    }

    /// [`Geometry::col2im_sample`] for every sample, in parallel over samples, into `image`
    /// `(N, C, H, W)`.
    pub(crate) fn col2im_into<T: Float>(&self, col: &[T], image: &mut [T]) {
        let (image_len, sample_len) = (self.image_len(), self.positions() * self.row_len());
        debug_assert_eq!(image.len(), self.n * image_len);
        if image_len == 0 {
            return;
        }
        for_each_chunk_mut(image, image_len, |i, image_i| {
            self.col2im_sample(&col[i * sample_len..(i + 1) * sample_len], image_i);
        });
    }
}

#[track_caller]
pub(crate) fn four_dims(op: &str, shape: &[usize]) -> [usize; 4] {
    match *shape {
        [n, c, h, w] => [n, c, h, w],
        _ => input_rank_mismatch(op, "4-D (N, C, H, W)", shape),
    }
}

/// Unrolls every `fh×fw` window of `x` into a row: `(N, C, H, W)` → `(N·OH·OW, C·FH·FW)`.
///
/// # Panics
/// If `x` is not 4-D or the window does not fit (see [`conv_output_size`]).
#[track_caller]
pub fn im2col<T: Float>(
    x: &Tensor<T>,
    fh: usize,
    fw: usize,
    stride: usize,
    pad: usize,
) -> Tensor<T> {
    let g = Geometry::new(four_dims("im2col", x.shape()), fh, fw, stride, pad);
    let x = x.to_contiguous();
    let mut col = vec![T::zero(); g.rows() * g.row_len()];
    g.im2col_into(x.as_slice(), &mut col);
    Tensor::from_vec(col, [g.rows(), g.row_len()])
}

/// The adjoint of [`im2col`]: adds every row's window back into an image of `input_shape`
/// `(N, C, H, W)`, accumulating where windows overlap and dropping the padding.
///
/// # Panics
/// If `input_shape` is not 4-D, the window does not fit, or `col` is not
/// `(N·OH·OW, C·FH·FW)`; the message names both shapes.
#[track_caller]
pub fn col2im<T: Float>(
    col: &Tensor<T>,
    input_shape: &[usize],
    fh: usize,
    fw: usize,
    stride: usize,
    pad: usize,
) -> Tensor<T> {
    let g = Geometry::new(four_dims("col2im", input_shape), fh, fw, stride, pad);
    let expected = [g.rows(), g.row_len()];
    if col.shape() != expected {
        col_shape_mismatch(col.shape(), &expected, input_shape);
    }
    let col = col.to_contiguous();
    let mut img = vec![T::zero(); g.n * g.image_len()];
    g.col2im_into(col.as_slice(), &mut img);
    Tensor::from_vec(img, input_shape)
}

#[cold]
#[track_caller]
fn col_shape_mismatch(got: &[usize], expected: &[usize], input: &[usize]) -> ! {
    panic!(
        "col2im: a column matrix of shape {got:?} does not fit input shape {input:?} \
         (expected {expected:?})"
    )
}

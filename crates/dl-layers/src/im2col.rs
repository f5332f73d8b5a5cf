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

use dl_tensor::{Float, Tensor};

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
struct Geometry {
    n: usize,
    c: usize,
    h: usize,
    w: usize,
    fh: usize,
    fw: usize,
    stride: usize,
    pad: usize,
    oh: usize,
    ow: usize,
}

impl Geometry {
    #[track_caller]
    fn new(shape: [usize; 4], fh: usize, fw: usize, stride: usize, pad: usize) -> Self {
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

    fn row_len(&self) -> usize {
        self.c * self.fh * self.fw
    }

    fn rows(&self) -> usize {
        self.n * self.oh * self.ow
    }

    /// Calls `f(col_index, image_index)` for every element of the column matrix that reads a
    /// real (unpadded) pixel, in row-major order of the column matrix.
    #[inline]
    fn for_each_pair(&self, mut f: impl FnMut(usize, usize)) {
        let (pad, stride) = (self.pad as isize, self.stride);
        let row_len = self.row_len();
        for ni in 0..self.n {
            for oy in 0..self.oh {
                for ox in 0..self.ow {
                    let row = (ni * self.oh + oy) * self.ow + ox;
                    for ci in 0..self.c {
                        let plane = (ni * self.c + ci) * self.h * self.w;
                        for ky in 0..self.fh {
                            let iy = (oy * stride + ky) as isize - pad;
                            if iy < 0 || iy >= self.h as isize {
                                continue;
                            }
                            let src = plane + iy as usize * self.w;
                            let dst = row * row_len + (ci * self.fh + ky) * self.fw;
                            for kx in 0..self.fw {
                                let ix = (ox * stride + kx) as isize - pad;
                                if ix >= 0 && ix < self.w as isize {
                                    f(dst + kx, src + ix as usize);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[track_caller]
fn four_dims(op: &str, shape: &[usize]) -> [usize; 4] {
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
    let src = x.as_slice();
    let mut col = vec![T::zero(); g.rows() * g.row_len()];
    g.for_each_pair(|c, i| col[c] = src[i]);
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
    let src = col.as_slice();
    let mut img = vec![T::zero(); g.n * g.c * g.h * g.w];
    g.for_each_pair(|c, i| img[i] += src[c]);
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

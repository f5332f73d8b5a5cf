//! `im2col` and `col2im`, the course's `common/util.py` functions: every window of the input as
//! a row of a matrix, and the adjoint that adds the rows back into an image.
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

use super::blocks::transpose;
pub use super::shape::conv_output_size;
use super::shape::{Geometry, nchw};

impl Geometry {
    /// im2col of every sample of `input` `(N, C, H, W)` into `col` `(N·OH·OW, C·FH·FW)`, in
    /// parallel over samples: [`Geometry::im2col_transposed`], transposed.
    fn im2col_into<T: Float>(&self, input: &[T], col: &mut [T]) {
        let (image_len, positions, row_len) = (self.image_len(), self.positions(), self.row_len());
        if positions * row_len == 0 {
            return;
        }
        for_each_chunk_mut(col, positions * row_len, |i, col_i| {
            let mut col_t = vec![T::zero(); row_len * positions];
            self.im2col_transposed(&input[i * image_len..][..image_len], &mut col_t, positions);
            transpose(&col_t, row_len, positions, col_i, |_, v| v);
        });
    }

    /// The adjoint of [`Geometry::im2col_into`]: every sample's rows of `col` added back into
    /// `image` `(N, C, H, W)`, in parallel over samples.
    fn col2im_into<T: Float>(&self, col: &[T], image: &mut [T]) {
        let (image_len, positions, row_len) = (self.image_len(), self.positions(), self.row_len());
        if image_len == 0 {
            return;
        }
        for_each_chunk_mut(image, image_len, |i, image_i| {
            let col_i = &col[i * positions * row_len..][..positions * row_len];
            let mut col_t = vec![T::zero(); row_len * positions];
            transpose(col_i, positions, row_len, &mut col_t, |_, v| v);
            self.col2im_transposed(&mut col_t, positions, image_i);
        });
    }
}

/// Every `fh×fw` window of `x` as a row: `(N, C, H, W)` → `(N·OH·OW, C·FH·FW)` (the course's
/// `im2col(input_data, filter_h, filter_w, stride, pad)`).
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
    let g = Geometry::new(nchw("im2col", x.shape()), fh, fw, stride, pad);
    let x = x.to_contiguous();
    let mut col = vec![T::zero(); g.rows() * g.row_len()];
    g.im2col_into(x.as_slice(), &mut col);
    Tensor::from_vec(col, [g.rows(), g.row_len()])
}

/// The adjoint of [`im2col`]: adds every row's window back into an image of `input_shape`
/// `(N, C, H, W)`, accumulating where windows overlap and dropping the padding (the course's
/// `col2im(col, input_shape, filter_h, filter_w, stride, pad)` and its `+=`).
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
    let g = Geometry::new(nchw("col2im", input_shape), fh, fw, stride, pad);
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

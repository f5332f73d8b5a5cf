//! Window geometry: the output size of a sliding window, the four dimensions of an NCHW input,
//! and the sizes of the column matrix.

use crate::check::{LayerName, input_rank_mismatch};

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

/// The four dimensions of an NCHW `shape`.
///
/// # Panics
/// If `shape` is not 4-D; the message names `layer` (the layer or function).
#[track_caller]
pub(crate) fn nchw(layer: impl LayerName, shape: &[usize]) -> [usize; 4] {
    match *shape {
        [n, c, h, w] => [n, c, h, w],
        _ => input_rank_mismatch(&layer.name(), "4-D (N, C, H, W)", shape),
    }
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
}

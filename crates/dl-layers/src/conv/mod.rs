//! Convolution, in one place: the course's `im2col`, `col2im` and `Convolution` layer.
//!
//! One verb throughout: *im2col* writes every window of an image as a row (or, transposed, a
//! column) of a matrix; *col2im* is its adjoint, adding each row back onto the pixels it was
//! read from. Where the course's code (`common/util.py`, `common/layers.py`) lives here:
//!
//! | the course | here |
//! |---|---|
//! | `im2col(input_data, filter_h, filter_w, stride, pad)` | [`im2col()`] in [`mod@im2col`] (row order `(n, oh, ow)`, column order `(c, fh, fw)`, as the course) |
//! | `col2im(col, input_shape, filter_h, filter_w, stride, pad)` | [`col2im`] in [`mod@im2col`] (overlaps added, the course's `+=`) |
//! | `out_h = 1 + (H + 2*pad - FH) // stride` | [`conv_output_size`] (`shape.rs`, with the NCHW check and the window geometry) |
//! | `Convolution.forward`: `col = im2col(x, …)`, `out = col·W + b`, reshape to NCHW | [`Convolution`]'s `forward` (`layer.rs`) |
//! | `Convolution.backward`: `db = Σ dout`, `dW = colᵀ·dout`, `dcol = dout·Wᵀ`, `dx = col2im(dcol, …)` | [`Convolution`]'s `backward` (`layer.rs`) |
//!
//! The layer does not build the whole batch's column matrix: it runs im2col and col2im on one
//! sample at a time, transposed (`im2col_transposed.rs`: rows are shifted input lines, so they
//! are copied line by line, with stride 1 from the zero-padded image), on blocks of samples
//! that fit a core's cache (`blocks.rs`: block and group sizes, per-thread buffers, tiled
//! transposes). Where one sample's column matrix is
//! larger than a block (AlexNet's layers), neither forward nor the weight gradient writes it:
//! the GEMM reads each window from the zero-padded image through two offset tables
//! (`implicit.rs`, an implicit GEMM through `dl_tensor::gemm::gemm_indexed`; `col` for forward,
//! `colᵀ` with the tables swapped for `∂W`), with the same bits. The public
//! [`im2col()`] and [`col2im`] are built on the same per-sample code, so the layer and the
//! functions users know agree element for element.

mod blocks;
pub mod im2col;
mod im2col_transposed;
mod implicit;
mod layer;
pub(crate) mod shape;

pub use im2col::{col2im, im2col};
pub use layer::Convolution;
pub use shape::conv_output_size;

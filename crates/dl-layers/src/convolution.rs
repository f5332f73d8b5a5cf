//! 2-D convolution (cross-correlation, as the course) through `im2col` and GEMM.

use dl_tensor::gemm::{MatMut, MatRef, gemm};
use dl_tensor::{Float, Rng, Tensor, for_each_chunk_mut};

use crate::check::{check_dout, input_rank_mismatch, input_shape_mismatch};
use crate::im2col::{Geometry, conv_output_size, four_dims};
use crate::{Init, Layer, Mode, ParamKind, ParamMut, backward_before_forward};

/// A convolution layer: `FN` filters of `C×FH×FW` slide over the input with a stride and zero
/// padding; each output is a window's dot product with a filter plus the filter's bias.
///
/// Forward unrolls the windows with [`im2col`](crate::im2col::im2col) into `col`
/// `(N·OH·OW, C·FH·FW)` and computes the whole batch as one GEMM, `col · Wᵀ` `(N·OH·OW, FN)`
/// (the course's formulation; `Wᵀ` is a strided view, never copied), then adds the bias while
/// transposing each sample into the NCHW output. Backward, with `D` the upstream gradient laid
/// out as `(N·OH·OW, FN)`: `dW = Dᵀ · col`, `db = Σ D` over rows, `dcol = D · W`, and
/// [`col2im`](crate::im2col::col2im) adds overlapping windows back into `dx`.
///
/// The column matrices and the output and input-gradient tensors are kept between calls and
/// reused (see [`Tensor::recycle`]) as long as the caller drops the tensors it got back before
/// the next call, so once warmed up a step allocates none of its large buffers. im2col, col2im
/// and the NCHW transposes run in parallel over samples, the GEMMs over blocks of their output:
/// the results do not depend on the thread count.
///
/// # Shapes
/// - `W`: `(FN, C, FH, FW)`, `b`: `(FN)`.
/// - input: `(N, C, H, W)`.
/// - output: `(N, FN, OH, OW)` with `OH = (H + 2·pad − FH) / stride + 1`, likewise `OW`.
///
/// # Example
/// ```
/// use dl_layers::{Convolution, Init, Layer, Mode};
/// use dl_tensor::{rng_from_seed, Tensor};
/// let mut rng = rng_from_seed(0);
/// // 30 filters of 1×5×5, stride 1, pad 0: the course's SimpleConvNet.
/// let mut conv = Convolution::<f32>::new(30, 1, 5, 5, 1, 0, Init::Std(0.01), &mut rng);
/// let x = Tensor::zeros([2, 1, 28, 28]);
/// let y = conv.forward(&x, Mode::Train);
/// assert_eq!(y.shape(), &[2, 30, 24, 24]);
/// ```
pub struct Convolution<T: Float> {
    w: Tensor<T>,
    b: Tensor<T>,
    dw: Tensor<T>,
    db: Tensor<T>,
    stride: usize,
    pad: usize,
    /// The geometry of the last forward pass (`None` before the first).
    last: Option<Geometry>,
    /// The last forward pass's unrolled input, `(N·OH·OW, C·FH·FW)`.
    col: Vec<T>,
    /// Scratch: the product `col · Wᵀ` in forward, `dcol` in backward.
    work: Vec<T>,
    /// Scratch: the upstream gradient as `(N·OH·OW, FN)`.
    dout_rows: Vec<T>,
    /// The output handed out by the last forward pass, reused by the next.
    out: Tensor<T>,
    /// The input gradient handed out by the last backward pass, reused by the next.
    dx: Tensor<T>,
}

impl<T: Float> Convolution<T> {
    /// `filters` filters of `channels×fh×fw`, weights drawn by `init` with fan-in `C·FH·FW`
    /// (fan-out `FN·FH·FW` for [`Init::GlorotUniform`], as Keras), zero biases.
    ///
    /// # Panics
    /// If `stride` is zero.
    #[track_caller]
    pub fn new(
        filters: usize,
        channels: usize,
        fh: usize,
        fw: usize,
        stride: usize,
        pad: usize,
        init: Init,
        rng: &mut Rng,
    ) -> Self {
        let (fan_in, fan_out) = (channels * fh * fw, filters * fh * fw);
        let w = init.sample([filters, channels, fh, fw], fan_in, fan_out, rng);
        Self::from_params(w, Tensor::zeros([filters]), stride, pad)
    }

    /// A layer with the given filters `W` `(FN, C, FH, FW)` and biases `b` `(FN)`.
    ///
    /// # Panics
    /// If `W` is not 4-D, `b` is not `(FN)`, or `stride` is zero.
    #[track_caller]
    pub fn from_params(w: Tensor<T>, b: Tensor<T>, stride: usize, pad: usize) -> Self {
        if w.ndim() != 4 || b.shape() != [w.shape()[0]] {
            panic!(
                "Convolution::from_params: W must be (FN, C, FH, FW) and b (FN), got W {:?} and b {:?}",
                w.shape(),
                b.shape()
            );
        }
        assert!(
            stride > 0,
            "Convolution::from_params: stride must be at least 1"
        );
        Convolution {
            dw: Tensor::zeros_like(&w),
            db: Tensor::zeros_like(&b),
            w: w.to_contiguous(),
            b: b.to_contiguous(),
            stride,
            pad,
            last: None,
            col: Vec::new(),
            work: Vec::new(),
            dout_rows: Vec::new(),
            out: Tensor::zeros([0]),
            dx: Tensor::zeros([0]),
        }
    }

    /// `[FN, C, FH, FW]`.
    pub fn filter_shape(&self) -> [usize; 4] {
        let s = self.w.shape();
        [s[0], s[1], s[2], s[3]]
    }

    /// The stride.
    pub fn stride(&self) -> usize {
        self.stride
    }

    /// The zero padding on each side.
    pub fn pad(&self) -> usize {
        self.pad
    }

    /// The output shape for an input of shape `(N, C, H, W)`.
    ///
    /// # Panics
    /// If the input is not 4-D, has another channel count, or is too small for the filter.
    #[track_caller]
    pub fn output_shape(&self, input: &[usize]) -> [usize; 4] {
        let [fnum, c, fh, fw] = self.filter_shape();
        let [n, ci, h, w] = match *input {
            [n, ci, h, w] => [n, ci, h, w],
            _ => input_rank_mismatch(&self.describe(), "4-D (N, C, H, W)", input),
        };
        if ci != c {
            input_shape_mismatch(&self.describe(), &[n, c, h, w], input);
        }
        [
            n,
            fnum,
            conv_output_size(h, fh, self.stride, self.pad),
            conv_output_size(w, fw, self.stride, self.pad),
        ]
    }

    /// The filters `W`, `(FN, C, FH, FW)`.
    pub fn weight(&self) -> &Tensor<T> {
        &self.w
    }

    /// The biases `b`, `(FN)`.
    pub fn bias(&self) -> &Tensor<T> {
        &self.b
    }

    /// `∂L/∂W` from the last backward pass (zeros before).
    pub fn weight_grad(&self) -> &Tensor<T> {
        &self.dw
    }

    /// `∂L/∂b` from the last backward pass (zeros before).
    pub fn bias_grad(&self) -> &Tensor<T> {
        &self.db
    }
}

impl<T: Float> Layer<T> for Convolution<T> {
    fn describe(&self) -> String {
        let [fnum, c, fh, fw] = self.filter_shape();
        format!(
            "Convolution({fnum}@{c}×{fh}×{fw}, stride {}, pad {})",
            self.stride, self.pad
        )
    }

    /// # Panics
    /// If the input is not `(N, C, H, W)` with the filters' `C`, or is smaller than a filter.
    #[track_caller]
    fn forward(&mut self, x: &Tensor<T>, _mode: Mode) -> Tensor<T> {
        let out_shape = self.output_shape(x.shape());
        let [fnum, _, fh, fw] = self.filter_shape();
        let shape = four_dims("Convolution", x.shape());
        let g = Geometry::new(shape, fh, fw, self.stride, self.pad);
        let (rows, ckk, positions) = (g.rows(), g.row_len(), g.positions());

        let (x, w, b) = (
            x.to_contiguous(),
            self.w.to_contiguous(),
            self.b.to_contiguous(),
        );
        resize(&mut self.col, rows * ckk);
        g.im2col_into(x.as_slice(), &mut self.col);

        // work (N·OH·OW, FN) = col · Wᵀ.
        resize(&mut self.work, rows * fnum);
        gemm(
            T::one(),
            MatRef::row_major(&self.col, rows, ckk),
            MatRef::row_major(w.as_slice(), fnum, ckk).t(),
            T::zero(),
            MatMut::row_major(&mut self.work, rows, fnum),
        );

        // out[n, f, p] = work[n·OH·OW + p, f] + b[f].
        let (work, bias) = (&self.work, b.as_slice());
        let out = self.out.recycle(out_shape, T::zero());
        if positions > 0 && fnum > 0 {
            for_each_chunk_mut(out, fnum * positions, |i, out_i| {
                let work_i = &work[i * positions * fnum..(i + 1) * positions * fnum];
                for (f, (plane, &bf)) in out_i.chunks_exact_mut(positions).zip(bias).enumerate() {
                    for (o, w_row) in plane.iter_mut().zip(work_i.chunks_exact(fnum)) {
                        *o = w_row[f] + bf;
                    }
                }
            });
        }
        self.last = Some(g);
        self.out.clone()
    }

    #[track_caller]
    fn backward(&mut self, dout: &Tensor<T>) -> Tensor<T> {
        let Some(g) = self.last else {
            backward_before_forward(&self.describe())
        };
        let fnum = self.filter_shape()[0];
        check_dout(|| self.describe(), &[g.n, fnum, g.oh, g.ow], dout);
        let (rows, ckk, positions) = (g.rows(), g.row_len(), g.positions());
        let (dout, w) = (dout.to_contiguous(), self.w.to_contiguous());
        let d = dout.as_slice();

        // db[f] = Σ over (N, OH, OW) of dout[n, f, ·, ·].
        let db = self.db.as_mut_slice();
        db.fill(T::zero());
        if positions > 0 && fnum > 0 {
            for d_i in d.chunks_exact(fnum * positions) {
                for (acc, plane) in db.iter_mut().zip(d_i.chunks_exact(positions)) {
                    *acc += plane.iter().copied().sum::<T>();
                }
            }
        }

        // D (N·OH·OW, FN): each sample's (FN, OH·OW) block, transposed.
        resize(&mut self.dout_rows, rows * fnum);
        if positions > 0 && fnum > 0 {
            for_each_chunk_mut(&mut self.dout_rows, positions * fnum, |i, rows_i| {
                let d_i = &d[i * fnum * positions..(i + 1) * fnum * positions];
                for (p, row) in rows_i.chunks_exact_mut(fnum).enumerate() {
                    for (r, plane) in row.iter_mut().zip(d_i.chunks_exact(positions)) {
                        *r = plane[p];
                    }
                }
            });
        }
        let d_rows = MatRef::row_major(&self.dout_rows, rows, fnum);

        // dW (FN, CKK) = Dᵀ · col.
        gemm(
            T::one(),
            d_rows.t(),
            MatRef::row_major(&self.col, rows, ckk),
            T::zero(),
            MatMut::row_major(self.dw.as_mut_slice(), fnum, ckk),
        );

        // dcol (N·OH·OW, CKK) = D · W, then dx = col2im(dcol).
        resize(&mut self.work, rows * ckk);
        gemm(
            T::one(),
            d_rows,
            MatRef::row_major(w.as_slice(), fnum, ckk),
            T::zero(),
            MatMut::row_major(&mut self.work, rows, ckk),
        );
        let dx = self.dx.recycle([g.n, g.c, g.h, g.w], T::zero());
        g.col2im_into(&self.work, dx);
        self.dx.clone()
    }

    fn visit_params(&mut self, f: &mut dyn FnMut(ParamMut<'_, T>)) {
        f(ParamMut {
            layer: "",
            name: "W",
            kind: ParamKind::Weight,
            value: &mut self.w,
            grad: &mut self.dw,
        });
        f(ParamMut {
            layer: "",
            name: "b",
            kind: ParamKind::Bias,
            value: &mut self.b,
            grad: &mut self.db,
        });
    }
}

/// Sets `buf`'s length to `len`, reusing its capacity (new elements are zero; the caller
/// overwrites them all).
fn resize<T: Float>(buf: &mut Vec<T>, len: usize) {
    buf.resize(len, T::zero());
}

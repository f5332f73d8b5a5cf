//! 2-D convolution (cross-correlation, as the course) through `im2col` and GEMM.

use dl_tensor::gemm::{MatMut, MatRef, gemm};
use dl_tensor::{Float, Rng, Shape, Tensor};

use crate::check::{check_dout, input_rank_mismatch, input_shape_mismatch};
use crate::im2col::{col2im, conv_output_size, im2col};
use crate::{Init, Layer, Mode, ParamKind, ParamMut, backward_before_forward};

/// A convolution layer: `FN` filters of `C×FH×FW` slide over the input with a stride and zero
/// padding; each output is a window's dot product with a filter plus the filter's bias.
///
/// Forward unrolls the windows with [`im2col`] into `col` `(N·OH·OW, C·FH·FW)`; sample `n`'s
/// output is then one GEMM `out_n (FN, OH·OW) = W (FN, C·FH·FW) · col_nᵀ`, written straight into
/// the NCHW output (the transpose is a strided view, never copied). Backward:
/// `dW = Σₙ dout_n · col_n`, `db = Σ dout` over `(N, OH, OW)`, `dcol_n = dout_nᵀ · W`, and
/// [`col2im`] adds overlapping windows back into `dx`.
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
    cache: Option<Cache<T>>,
}

struct Cache<T> {
    /// The unrolled input, `(N·OH·OW, C·FH·FW)`.
    col: Tensor<T>,
    input_shape: Shape,
    out_shape: Shape,
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
            cache: None,
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
        let [n, fnum, oh, ow] = out_shape;
        let [_, c, fh, fw] = self.filter_shape();
        let (ckk, ohow) = (c * fh * fw, oh * ow);

        let col = im2col(x, fh, fw, self.stride, self.pad);
        let col_data = col.as_slice();
        let (w, b) = (self.w.to_contiguous(), self.b.to_contiguous());
        let w = MatRef::row_major(w.as_slice(), fnum, ckk);
        let bias = b.as_slice();
        let mut out = vec![T::zero(); n * fnum * ohow];
        for (i, out_i) in out.chunks_exact_mut(fnum * ohow).enumerate() {
            for (row, &bf) in out_i.chunks_exact_mut(ohow).zip(bias) {
                row.fill(bf);
            }
            let col_i = MatRef::new(col_data, i * ohow * ckk, ohow, ckk, ckk as isize, 1);
            gemm(
                T::one(),
                w,
                col_i.t(),
                T::one(),
                MatMut::row_major(out_i, fnum, ohow),
            );
        }
        self.cache = Some(Cache {
            col,
            input_shape: x.dims(),
            out_shape: Shape::new(&out_shape),
        });
        Tensor::from_vec(out, out_shape)
    }

    #[track_caller]
    fn backward(&mut self, dout: &Tensor<T>) -> Tensor<T> {
        let Some(cache) = &self.cache else {
            backward_before_forward(&self.describe())
        };
        check_dout(&self.describe(), &cache.out_shape, dout);
        let [n, fnum, oh, ow] = [
            cache.out_shape[0],
            cache.out_shape[1],
            cache.out_shape[2],
            cache.out_shape[3],
        ];
        let [_, c, fh, fw] = self.filter_shape();
        let (ckk, ohow) = (c * fh * fw, oh * ow);
        let dout = dout.to_contiguous();
        let d = dout.as_slice();
        let col = cache.col.as_slice();
        let w = self.w.to_contiguous();
        let w = MatRef::row_major(w.as_slice(), fnum, ckk);

        // db = Σ over (N, OH, OW).
        let db = self.db.as_mut_slice();
        db.fill(T::zero());
        for d_i in d.chunks_exact(fnum * ohow) {
            for (acc, plane) in db.iter_mut().zip(d_i.chunks_exact(ohow)) {
                *acc += plane.iter().copied().sum::<T>();
            }
        }

        let dw = self.dw.as_mut_slice();
        let mut dcol = vec![T::zero(); n * ohow * ckk];
        for (i, dcol_i) in dcol.chunks_exact_mut(ohow * ckk).enumerate() {
            let dout_i = MatRef::new(d, i * fnum * ohow, fnum, ohow, ohow as isize, 1);
            let col_i = MatRef::new(col, i * ohow * ckk, ohow, ckk, ckk as isize, 1);
            // dW (FN, CKK) += dout_i (FN, OH·OW) · col_i (OH·OW, CKK); the first sample overwrites.
            let beta = if i == 0 { T::zero() } else { T::one() };
            gemm(
                T::one(),
                dout_i,
                col_i,
                beta,
                MatMut::row_major(dw, fnum, ckk),
            );
            // dcol_i (OH·OW, CKK) = dout_iᵀ · W.
            gemm(
                T::one(),
                dout_i.t(),
                w,
                T::zero(),
                MatMut::row_major(dcol_i, ohow, ckk),
            );
        }
        if n == 0 {
            dw.fill(T::zero());
        }
        let dcol = Tensor::from_vec(dcol, [n * ohow, ckk]);
        col2im(&dcol, &cache.input_shape, fh, fw, self.stride, self.pad)
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

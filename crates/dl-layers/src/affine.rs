//! The fully connected layer `out = x·W + b`.

use dl_tensor::{Float, Rng, Shape, Tensor};

use crate::check::{check_dout, input_shape_mismatch};
use crate::relu::relu;
use crate::{Init, Layer, Mode, OutputBuffer, ParamKind, ParamMut, backward_before_forward};

/// A fully connected layer: `out = x·W + b`.
///
/// An input of more than two axes is flattened to `(N, −1)` first (the course's
/// `x.reshape(x.shape[0], -1)`), and `dx` is handed back in the input's shape.
///
/// # Shapes
/// - `W`: `(in, out)`, `b`: `(out)`.
/// - input: `(N, in)`, or `(N, d1, d2, …)` with `d1·d2·… = in`.
/// - output: `(N, out)`.
///
/// # Example
/// ```
/// use dl_layers::{Affine, Init, Layer, Mode};
/// use dl_tensor::{rng_from_seed, Tensor};
/// let mut rng = rng_from_seed(0);
/// let mut fc = Affine::<f32>::new(4, 3, Init::Std(0.01), &mut rng);
/// let x = Tensor::ones([2, 2, 2]); // flattened to (2, 4)
/// let y = fc.forward(&x, Mode::Train);
/// assert_eq!(y.shape(), &[2, 3]);
/// let dx = fc.backward(&Tensor::ones([2, 3]));
/// assert_eq!(dx.shape(), &[2, 2, 2]);
/// ```
pub struct Affine<T: Float> {
    w: Tensor<T>,
    b: Tensor<T>,
    dw: Tensor<T>,
    db: Tensor<T>,
    /// The input's shape in the last forward pass (`None` before the first).
    input_shape: Option<Shape>,
    /// The last input, flattened to `(N, in)`: a view, so the layer before writes its next
    /// output into its second buffer (see [`Layer`]'s rule).
    x: Tensor<T>,
    /// The outputs `(N, out)`.
    out: OutputBuffer<T>,
    /// The input gradients `(N, in)`.
    dx: OutputBuffer<T>,
}

impl<T: Float> Affine<T> {
    /// A layer with `W` drawn by `init` (fan-in `n_in`, fan-out `n_out`) and zero biases.
    pub fn new(n_in: usize, n_out: usize, init: Init, rng: &mut Rng) -> Self {
        let w = init.sample([n_in, n_out], n_in, n_out, rng);
        Self::from_params(w, Tensor::zeros([n_out]))
    }

    /// A layer with the given `W` `(in, out)` and `b` `(out)`.
    ///
    /// # Panics
    /// If `W` is not 2-D or `b` is not `(out)`.
    #[track_caller]
    pub fn from_params(w: Tensor<T>, b: Tensor<T>) -> Self {
        if w.ndim() != 2 || b.shape() != [w.shape()[1]] {
            panic!(
                "Affine::from_params: W must be (in, out) and b (out), got W {:?} and b {:?}",
                w.shape(),
                b.shape()
            );
        }
        Affine {
            dw: Tensor::zeros_like(&w),
            db: Tensor::zeros_like(&b),
            w: w.to_contiguous(),
            b: b.to_contiguous(),
            input_shape: None,
            x: Tensor::zeros([0]),
            out: OutputBuffer::new(),
            dx: OutputBuffer::new(),
        }
    }

    /// The number of input features.
    pub fn in_features(&self) -> usize {
        self.w.shape()[0]
    }

    /// The number of output features.
    pub fn out_features(&self) -> usize {
        self.w.shape()[1]
    }

    /// The weights `W`, `(in, out)`.
    pub fn weight(&self) -> &Tensor<T> {
        &self.w
    }

    /// The biases `b`, `(out)`.
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

impl<T: Float> Affine<T> {
    /// Forward, with `activation` applied to every output as the bias is added (the identity,
    /// or the ReLU of [`Layer::forward_relu`]).
    #[track_caller]
    fn forward_then(&mut self, x: &Tensor<T>, activation: impl Fn(T) -> T) -> Tensor<T> {
        let features: usize = x.shape().iter().skip(1).product();
        if x.ndim() < 2 || features != self.in_features() {
            let n = x.shape().first().copied().unwrap_or(1);
            input_shape_mismatch(&self.describe(), &[n, self.in_features()], x.shape());
        }
        self.x = x.flatten_2d();
        let out_shape = [self.x.shape()[0], self.out_features()];
        let out = self.out.next_tensor();
        out.recycle(out_shape, T::zero());
        out.gemm_assign(T::one(), &self.x, &self.w, T::zero());
        out.zip_apply(&self.b, "Affine", |v, b| *v = activation(*v + b));
        self.input_shape = Some(x.dims());
        self.out.share()
    }

    /// Checks `dout`, fills `dW = xᵀ·dout` and `db = Σ dout` over rows, and returns the input
    /// shape of the last forward pass.
    #[track_caller]
    fn param_grads(&mut self, dout: &Tensor<T>) -> Shape {
        let Some(input_shape) = self.input_shape else {
            backward_before_forward(&self.describe())
        };
        let rows = self.x.shape()[0];
        check_dout(|| self.describe(), &[rows, self.out_features()], dout);
        // xᵀ is a strided view, not a copy.
        self.dw.gemm_assign(T::one(), &self.x.t(), dout, T::zero());
        // db = Σ dout over rows, row by row.
        let dout_rows = dout.to_contiguous();
        let db = self.db.as_mut_slice();
        db.fill(T::zero());
        for row in dout_rows.as_slice().chunks_exact(db.len().max(1)) {
            for (acc, &g) in db.iter_mut().zip(row) {
                *acc += g;
            }
        }
        input_shape
    }
}

impl<T: Float> Layer<T> for Affine<T> {
    fn describe(&self) -> String {
        format!("Affine({}→{})", self.in_features(), self.out_features())
    }

    /// # Panics
    /// If the input does not flatten to `(N, in)`.
    #[track_caller]
    fn forward(&mut self, x: &Tensor<T>, _mode: Mode) -> Tensor<T> {
        self.forward_then(x, |v| v)
    }

    /// The bias pass writes `max(0, x·W + b)`.
    #[track_caller]
    fn forward_relu(&mut self, x: &Tensor<T>, _mode: Mode) -> Option<Tensor<T>> {
        Some(self.forward_then(x, relu))
    }

    #[track_caller]
    fn backward(&mut self, dout: &Tensor<T>) -> Tensor<T> {
        let input_shape = self.param_grads(dout);
        // dx = dout·Wᵀ: the transpose is a strided view, not a copy.
        let dx_shape = [dout.shape()[0], self.in_features()];
        let dx = self.dx.next_tensor();
        dx.recycle(dx_shape, T::zero());
        dx.gemm_assign(T::one(), dout, &self.w.t(), T::zero());
        self.dx.share().reshape(input_shape)
    }

    #[track_caller]
    fn backward_params(&mut self, dout: &Tensor<T>) {
        self.param_grads(dout);
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

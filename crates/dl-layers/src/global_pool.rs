//! Global pooling: one value per channel.

use dl_tensor::{Float, Shape, Tensor};

use crate::check::check_dout;
use crate::conv::shape::nchw;
use crate::{Layer, Mode, OutputBuffer, backward_before_forward};

/// The mean of each channel over all positions.
///
/// # Shapes
/// - input: `(N, C, H, W)`.
/// - output: `(N, C)`.
#[derive(Default)]
pub struct GlobalAvgPool<T: Float> {
    input_shape: Option<Shape>,
    /// The outputs `(N, C)`.
    out: OutputBuffer<T>,
    /// The input gradients.
    dx: OutputBuffer<T>,
}

impl<T: Float> GlobalAvgPool<T> {
    /// A global average pooling layer.
    pub fn new() -> Self {
        Self::default()
    }
}

impl<T: Float> Layer<T> for GlobalAvgPool<T> {
    fn describe(&self) -> String {
        "GlobalAvgPool".into()
    }

    /// # Panics
    /// If the input is not 4-D.
    #[track_caller]
    fn forward(&mut self, x: &Tensor<T>, _mode: Mode) -> Tensor<T> {
        let [n, c, h, w] = nchw("GlobalAvgPool", x.shape());
        self.input_shape = Some(x.dims());
        let (x, hw) = (x.to_contiguous(), h * w);
        let (xs, count) = (x.as_slice(), T::lit(hw as f64));
        for (i, o) in self.out.write([n, c]).iter_mut().enumerate() {
            *o = xs[i * hw..][..hw].iter().fold(T::zero(), |sum, &v| sum + v) / count;
        }
        self.out.share()
    }

    #[track_caller]
    fn backward(&mut self, dout: &Tensor<T>) -> Tensor<T> {
        let Some(shape) = self.input_shape else {
            backward_before_forward("GlobalAvgPool")
        };
        let (n, c, hw) = (shape[0], shape[1], shape[2] * shape[3]);
        check_dout("GlobalAvgPool", &[n, c], dout);
        let scale = T::one() / T::lit(hw as f64);
        let dout = dout.to_contiguous();
        let dx = self.dx.write(shape);
        for (plane, &g) in dx.chunks_exact_mut(hw.max(1)).zip(dout.as_slice()) {
            plane.fill(g * scale);
        }
        self.dx.share()
    }
}

/// The maximum of each channel over all positions; backward routes the gradient to the (first)
/// maximal position.
///
/// # Shapes
/// - input: `(N, C, H, W)`.
/// - output: `(N, C)`.
#[derive(Default)]
pub struct GlobalMaxPool<T: Float> {
    input_shape: Option<Shape>,
    /// For each `(n, c)`, the position of its (first) maximum.
    argmax: Vec<usize>,
    /// The outputs `(N, C)`.
    out: OutputBuffer<T>,
    /// The input gradients.
    dx: OutputBuffer<T>,
}

impl<T: Float> GlobalMaxPool<T> {
    /// A global max pooling layer.
    pub fn new() -> Self {
        Self::default()
    }
}

impl<T: Float> Layer<T> for GlobalMaxPool<T> {
    fn describe(&self) -> String {
        "GlobalMaxPool".into()
    }

    /// # Panics
    /// If the input is not 4-D or has no positions.
    #[track_caller]
    fn forward(&mut self, x: &Tensor<T>, _mode: Mode) -> Tensor<T> {
        let [n, c, h, w] = nchw("GlobalMaxPool", x.shape());
        let flat = x.reshape([n, c, h * w]);
        self.argmax.clear();
        self.argmax.extend(flat.argmax_axis(2).into_vec());
        let data = flat.as_slice();
        let out = self.out.write([n, c]);
        for ((i, o), &k) in out.iter_mut().enumerate().zip(&self.argmax) {
            *o = data[i * h * w + k];
        }
        self.input_shape = Some(x.dims());
        self.out.share()
    }

    #[track_caller]
    fn backward(&mut self, dout: &Tensor<T>) -> Tensor<T> {
        let Some(shape) = self.input_shape else {
            backward_before_forward("GlobalMaxPool")
        };
        let (n, c, hw) = (shape[0], shape[1], shape[2] * shape[3]);
        check_dout("GlobalMaxPool", &[n, c], dout);
        let dout = dout.to_contiguous();
        let dx = self.dx.write(shape);
        dx.fill(T::zero());
        for ((plane, &k), &g) in dx
            .chunks_exact_mut(hw.max(1))
            .zip(&self.argmax)
            .zip(dout.as_slice())
        {
            plane[k] = g;
        }
        self.dx.share()
    }
}

//! Global pooling: one value per channel.

use dl_tensor::{Float, Shape, Tensor};

use crate::check::check_dout;
use crate::conv::shape::nchw;
use crate::{Layer, Mode, backward_before_forward};

/// The mean of each channel over all positions.
///
/// # Shapes
/// - input: `(N, C, H, W)`.
/// - output: `(N, C)`.
#[derive(Default)]
pub struct GlobalAvgPool {
    input_shape: Option<Shape>,
}

impl GlobalAvgPool {
    /// A global average pooling layer.
    pub fn new() -> Self {
        GlobalAvgPool { input_shape: None }
    }
}

impl<T: Float> Layer<T> for GlobalAvgPool {
    fn describe(&self) -> String {
        "GlobalAvgPool".into()
    }

    /// # Panics
    /// If the input is not 4-D.
    #[track_caller]
    fn forward(&mut self, x: &Tensor<T>, _mode: Mode) -> Tensor<T> {
        let [n, c, h, w] = nchw("GlobalAvgPool", x.shape());
        self.input_shape = Some(x.dims());
        x.reshape([n, c, h * w]).mean_axis(2, false)
    }

    #[track_caller]
    fn backward(&mut self, dout: &Tensor<T>) -> Tensor<T> {
        let Some(shape) = self.input_shape else {
            backward_before_forward("GlobalAvgPool")
        };
        let (n, c, hw) = (shape[0], shape[1], shape[2] * shape[3]);
        check_dout("GlobalAvgPool", &[n, c], dout);
        let scale = T::one() / T::lit(hw as f64);
        dout.mul_scalar(scale)
            .reshape([n, c, 1])
            .broadcast_to([n, c, hw])
            .reshape(shape)
    }
}

/// The maximum of each channel over all positions; backward routes the gradient to the (first)
/// maximal position.
///
/// # Shapes
/// - input: `(N, C, H, W)`.
/// - output: `(N, C)`.
#[derive(Default)]
pub struct GlobalMaxPool {
    cache: Option<(Shape, Vec<usize>)>,
}

impl GlobalMaxPool {
    /// A global max pooling layer.
    pub fn new() -> Self {
        GlobalMaxPool { cache: None }
    }
}

impl<T: Float> Layer<T> for GlobalMaxPool {
    fn describe(&self) -> String {
        "GlobalMaxPool".into()
    }

    /// # Panics
    /// If the input is not 4-D or has no positions.
    #[track_caller]
    fn forward(&mut self, x: &Tensor<T>, _mode: Mode) -> Tensor<T> {
        let [n, c, h, w] = nchw("GlobalMaxPool", x.shape());
        let flat = x.reshape([n, c, h * w]);
        let argmax = flat.argmax_axis(2).into_vec();
        let data = flat.as_slice();
        let out = argmax
            .iter()
            .enumerate()
            .map(|(i, &k)| data[i * h * w + k])
            .collect();
        self.cache = Some((x.dims(), argmax));
        Tensor::from_vec(out, [n, c])
    }

    #[track_caller]
    fn backward(&mut self, dout: &Tensor<T>) -> Tensor<T> {
        let Some((shape, argmax)) = &self.cache else {
            backward_before_forward("GlobalMaxPool")
        };
        let (n, c, hw) = (shape[0], shape[1], shape[2] * shape[3]);
        check_dout("GlobalMaxPool", &[n, c], dout);
        let mut dx = vec![T::zero(); n * c * hw];
        for ((plane, &k), g) in dx.chunks_exact_mut(hw).zip(argmax).zip(dout.to_vec()) {
            plane[k] = g;
        }
        Tensor::from_vec(dx, *shape)
    }
}

//! Programming errors panic with messages naming the layer and both shapes.

use dl_layers::{
    Affine, Convolution, Dropout, DropoutKind, Flatten, GlobalAvgPool, Init, Layer, Mode, Pooling,
    Relu,
};
use dl_tensor::{Tensor, rng_from_seed};

fn affine() -> Affine<f64> {
    Affine::new(4, 3, Init::Xavier, &mut rng_from_seed(0))
}

#[test]
#[should_panic(expected = "Affine(4→3): forward expected an input of shape [2, 4] but got [2, 5]")]
fn affine_wrong_features() {
    affine().forward(&Tensor::zeros([2, 5]), Mode::Train);
}

#[test]
#[should_panic(expected = "backward got dout of shape [2, 4] but the last output had shape [2, 3]")]
fn affine_wrong_dout() {
    let mut fc = affine();
    fc.forward(&Tensor::zeros([2, 4]), Mode::Train);
    fc.backward(&Tensor::zeros([2, 4]));
}

#[test]
#[should_panic(expected = "backward called before forward")]
fn affine_backward_before_forward() {
    affine().backward(&Tensor::zeros([2, 3]));
}

#[test]
#[should_panic(expected = "Relu: backward got dout of shape [3] but the last output had shape [2]")]
fn relu_wrong_dout() {
    let mut relu = Relu::<f32>::new();
    relu.forward(&Tensor::zeros([2]), Mode::Train);
    relu.backward(&Tensor::zeros([3]));
}

#[test]
#[should_panic(expected = "forward expected an input of shape [2, 3, 8, 8] but got [2, 1, 8, 8]")]
fn convolution_wrong_channels() {
    let mut conv = Convolution::<f32>::new(4, 3, 3, 3, 1, 1, Init::He, &mut rng_from_seed(0));
    conv.forward(&Tensor::zeros([2, 1, 8, 8]), Mode::Train);
}

#[test]
#[should_panic(expected = "4-D (N, C, H, W)")]
fn pooling_needs_4d() {
    Pooling::<f32>::max(2, 2, 2, 0).forward(&Tensor::zeros([2, 8, 8]), Mode::Train);
}

#[test]
#[should_panic(expected = "GlobalAvgPool: backward got dout of shape [2, 2]")]
fn global_pool_wrong_dout() {
    let mut pool = GlobalAvgPool::new();
    Layer::<f32>::forward(&mut pool, &Tensor::zeros([2, 3, 4, 4]), Mode::Train);
    Layer::<f32>::backward(&mut pool, &Tensor::zeros([2, 2]));
}

#[test]
#[should_panic(
    expected = "Flatten: backward got dout of shape [2, 5] but the last output had shape [2, 6]"
)]
fn flatten_wrong_dout() {
    let mut flat = Flatten::new();
    Layer::<f32>::forward(&mut flat, &Tensor::zeros([2, 2, 3]), Mode::Train);
    Layer::<f32>::backward(&mut flat, &Tensor::zeros([2, 5]));
}

#[test]
#[should_panic(
    expected = "Dropout (fixed mask): forward expected an input of shape [2, 2] but got [3, 2]"
)]
fn dropout_fixed_mask_shape() {
    let mut d = Dropout::<f32>::new(0.5, DropoutKind::Course, 0);
    d.set_fixed_mask(Some(Tensor::ones([2, 2])));
    d.forward(&Tensor::zeros([3, 2]), Mode::Train);
}

#[test]
#[should_panic(expected = "expected a 4-D (N, C, H, W) input but got shape [3, 8, 8]")]
fn convolution_needs_4d() {
    let mut conv = Convolution::<f32>::new(4, 3, 3, 3, 1, 1, Init::He, &mut rng_from_seed(0));
    conv.forward(&Tensor::zeros([3, 8, 8]), Mode::Train);
}

//! ReLU, Sigmoid, Tanh and Flatten: values against the formulas, gradient checks.

use crate::common::{TOL, assert_close, randn, randn_away_from_zero, rng};
use dl_layers::gradcheck::check_layer;
use dl_layers::{Flatten, Layer, Mode, Relu, Sigmoid, Tanh};
use dl_tensor::Tensor;

#[test]
fn relu_forward_and_backward() {
    let x = Tensor::from_vec(vec![-2.0, -0.0, 0.0, 0.5, 3.0, -1e-9], [2, 3]);
    let mut relu = Relu::new();
    let y = relu.forward(&x, Mode::Train);
    assert_eq!(y.to_vec(), vec![0.0, 0.0, 0.0, 0.5, 3.0, 0.0]);
    // Gradient passes only where x > 0 (zero at x = 0, as the course's mask x <= 0).
    let dx = relu.backward(&Tensor::full([2, 3], 7.0));
    assert_eq!(dx.to_vec(), vec![0.0, 0.0, 0.0, 7.0, 7.0, 0.0]);
}

#[test]
fn relu_gradcheck() {
    let mut r = rng(1);
    let x = randn_away_from_zero(&[4, 6], 0.01, &mut r);
    check_layer(&mut Relu::new(), &x, Mode::Train, 1).assert_below(TOL);
}

#[test]
fn sigmoid_values_and_extremes() {
    let x = Tensor::from_vec(vec![0.0, 2.0, -2.0, 800.0, -800.0], [5]);
    let y = Sigmoid::new().forward(&x, Mode::Eval);
    let e2 = (2.0f64).exp();
    let want = Tensor::from_vec(vec![0.5, e2 / (1.0 + e2), 1.0 / (1.0 + e2), 1.0, 0.0], [5]);
    assert_close(&y, &want, 1e-15);
    assert!(y.to_vec().iter().all(|v| v.is_finite()));
}

#[test]
fn sigmoid_gradcheck() {
    let mut r = rng(2);
    let x = randn(&[3, 7], &mut r).mul_scalar(2.0);
    check_layer(&mut Sigmoid::new(), &x, Mode::Train, 2).assert_below(TOL);
}

#[test]
fn tanh_values_and_gradcheck() {
    let x = Tensor::from_vec(vec![0.0, 1.0, -0.5], [3]);
    let y = Tanh::new().forward(&x, Mode::Eval);
    // tanh u = (e^{2u} − 1)/(e^{2u} + 1).
    let th = |u: f64| ((2.0 * u).exp() - 1.0) / ((2.0 * u).exp() + 1.0);
    assert_close(
        &y,
        &Tensor::from_vec(vec![0.0, th(1.0), th(-0.5)], [3]),
        1e-15,
    );

    let mut r = rng(3);
    let x = randn(&[5, 4], &mut r);
    check_layer(&mut Tanh::new(), &x, Mode::Train, 3).assert_below(TOL);
}

#[test]
fn flatten_roundtrip_and_gradcheck() {
    let mut r = rng(4);
    let x = randn(&[2, 3, 4, 5], &mut r);
    let mut flat = Flatten::new();
    let y = Layer::<f64>::forward(&mut flat, &x, Mode::Train);
    assert_eq!(y.shape(), &[2, 60]);
    assert_eq!(y.to_vec(), x.to_vec());
    let dx = flat.backward(&y);
    assert_eq!(dx, x);
    check_layer(&mut flat, &x, Mode::Train, 4).assert_below(TOL);
}

#[test]
fn activations_accept_non_contiguous_input() {
    let mut r = rng(5);
    let x = randn(&[3, 4], &mut r);
    let xt = x.t();
    let y = Tanh::new().forward(&xt, Mode::Eval);
    assert_eq!(y.shape(), &[4, 3]);
    assert_eq!(y.at(&[1, 2]), x.at(&[2, 1]).tanh());
}

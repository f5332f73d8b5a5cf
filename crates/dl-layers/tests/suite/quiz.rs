//! The notes' quizzes, answered with the layers.

use crate::common::{TOL, assert_close, randn, rng};
use dl_layers::gradcheck::check_layer;
use dl_layers::{
    Affine, Convolution, Init, Labels, Layer, Loss, Mode, Sigmoid, SoftmaxWithLoss,
    conv_output_size,
};
use dl_tensor::Tensor;

/// `t = x + y` for a fixed `y`: backward passes `dout` through unchanged.
struct AddY(Tensor<f64>);

impl Layer<f64> for AddY {
    fn describe(&self) -> String {
        "AddY".into()
    }
    fn forward(&mut self, x: &Tensor<f64>, _mode: Mode) -> Tensor<f64> {
        x.add(&self.0)
    }
    fn backward(&mut self, dout: &Tensor<f64>) -> Tensor<f64> {
        dout.clone()
    }
}

/// `z = t²`: backward `dt = 2t · dout`.
#[derive(Default)]
struct Square(Option<Tensor<f64>>);

impl Layer<f64> for Square {
    fn describe(&self) -> String {
        "Square".into()
    }
    fn forward(&mut self, t: &Tensor<f64>, _mode: Mode) -> Tensor<f64> {
        self.0 = Some(t.clone());
        t.mul(t)
    }
    fn backward(&mut self, dout: &Tensor<f64>) -> Tensor<f64> {
        dout.mul(self.0.as_ref().unwrap()).mul_scalar(2.0)
    }
}

#[test]
fn derivative_of_square_of_sum_is_twice_the_sum() {
    // z = t², t = x + y  ⇒  ∂z/∂x = ∂z/∂t · ∂t/∂x = 2t · 1 = 2(x + y).
    let x = Tensor::from_vec(vec![1.0, -2.0, 0.5, 3.0], [4]);
    let y = Tensor::from_vec(vec![2.0, 1.0, -0.5, -1.0], [4]);
    let mut chain: Vec<Box<dyn Layer<f64>>> =
        vec![Box::new(AddY(y.clone())), Box::new(Square::default())];
    let mut h = x.clone();
    for layer in &mut chain {
        h = layer.forward(&h, Mode::Train);
    }
    let mut d = Tensor::ones([4]); // ∂z/∂z
    for layer in chain.iter_mut().rev() {
        d = layer.backward(&d);
    }
    // 2(x + y), worked out by hand: 2·[3, −1, 0, 2].
    assert_eq!(d.to_vec(), vec![6.0, -2.0, 0.0, 4.0]);
    // The boxed chain is itself a layer the gradient checker accepts.
    let mut square = Box::new(Square::default()) as Box<dyn Layer<f64>>;
    check_layer(&mut square, &x.add(&y), Mode::Train, 1).assert_below(TOL);
}

#[test]
fn sigmoid_derivative_peaks_at_zero_with_a_quarter() {
    // Scan u over [−6, 6] in steps of 0.01 and read σ′(u) from the layer's backward.
    let u = Tensor::from_fn([1201], |i| (i[0] as f64 - 600.0) / 100.0);
    let mut sig = Sigmoid::new();
    sig.forward(&u, Mode::Train);
    let slope = sig.backward(&Tensor::ones([1201])).to_vec();
    let (best, &peak) = slope
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .unwrap();
    assert_eq!(u.at(&[best]), 0.0);
    // σ(0) = 1/2, so σ′(0) = σ(0)(1 − σ(0)) = 1/4 exactly.
    assert_eq!(peak, 0.25);
}

#[test]
fn six_by_six_with_two_by_two_filter_stride_one_pad_one_gives_seven_by_seven() {
    // (6 + 2·1 − 2)/1 + 1 = 7.
    assert_eq!(conv_output_size(6, 2, 1, 1), 7);
    let mut conv = Convolution::<f64>::new(1, 1, 2, 2, 1, 1, Init::Std(0.1), &mut rng(1));
    let y = conv.forward(&Tensor::ones([1, 1, 6, 6]), Mode::Eval);
    assert_eq!(y.shape(), &[1, 1, 7, 7]);
}

#[test]
fn equal_initial_weights_make_hidden_units_learn_the_same() {
    // With every first-layer weight equal and every hidden unit sending the same weights on, all
    // hidden units compute the same value and get the same gradient: the columns of dW1 (one per
    // hidden unit) are identical, so the units never diverge. (Were W2 constant too, dW1 would be
    // exactly zero: softmax gradients sum to zero over the classes.)
    let mut r = rng(2);
    let x = randn(&[6, 5], &mut r);
    let mut fc1 = Affine::from_params(Tensor::full([5, 4], 0.3), Tensor::zeros([4]));
    let mut act = Sigmoid::new();
    let row = [0.3, -0.2, 0.5];
    let mut fc2 = Affine::from_params(Tensor::from_fn([4, 3], |i| row[i[1]]), Tensor::zeros([3]));
    let mut loss = SoftmaxWithLoss::new();
    let h = act.forward(&fc1.forward(&x, Mode::Train), Mode::Train);
    loss.forward(
        &fc2.forward(&h, Mode::Train),
        Labels::Index(&[0, 1, 2, 0, 1, 2]),
    );
    let d = loss.backward();
    let d = act.backward(&fc2.backward(&d));
    fc1.backward(&d);
    let dw1 = fc1.weight_grad();
    let first = dw1.narrow(1, 0, 1);
    for j in 1..4 {
        assert_close(&dw1.narrow(1, j, 1), &first, 1e-15);
    }
    assert!(
        first.abs().max_all() > 1e-3,
        "the gradient is not trivially zero"
    );
    let dw2 = fc2.weight_grad();
    for j in 1..4 {
        assert_close(&dw2.narrow(0, j, 1), &dw2.narrow(0, 0, 1), 1e-15);
    }
}

#[test]
fn equal_initial_weights_stay_equal_through_training_steps() {
    // The quiz's point over several SGD steps: starting from W1 all 0.3 (and each hidden unit
    // sending the same weights on), the hidden units' weights move but stay identical.
    let mut r = rng(3);
    let x = randn(&[6, 5], &mut r);
    let labels = [0, 1, 2, 0, 1, 2];
    let mut fc1 = Affine::from_params(Tensor::full([5, 4], 0.3), Tensor::zeros([4]));
    let mut act = Sigmoid::new();
    let row = [0.3, -0.2, 0.5];
    let mut fc2 = Affine::from_params(Tensor::from_fn([4, 3], |i| row[i[1]]), Tensor::zeros([3]));
    let mut loss = SoftmaxWithLoss::new();
    for _ in 0..5 {
        let h = act.forward(&fc1.forward(&x, Mode::Train), Mode::Train);
        loss.forward(&fc2.forward(&h, Mode::Train), Labels::Index(&labels));
        let d = loss.backward();
        fc1.backward(&act.backward(&fc2.backward(&d)));
        for layer in [&mut fc1 as &mut dyn Layer<f64>, &mut fc2] {
            layer.visit_params(&mut |p| p.value.axpy(-0.5, p.grad));
        }
    }
    let w1 = fc1.weight();
    for j in 1..4 {
        assert_close(&w1.narrow(1, j, 1), &w1.narrow(1, 0, 1), 1e-12);
    }
    let moved = w1.sub_scalar(0.3).abs().max_all();
    assert!(moved > 1e-3, "W1 did not move ({moved})");
    let w2 = fc2.weight();
    for j in 1..4 {
        assert_close(&w2.narrow(0, j, 1), &w2.narrow(0, 0, 1), 1e-12);
    }
}

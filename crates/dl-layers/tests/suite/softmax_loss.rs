//! SoftmaxWithLoss: loss against the formula, probabilities, gradient checks for both label forms.

use crate::common::{TOL, assert_close, rng};
use dl_layers::gradcheck::check_loss;
use dl_layers::{Labels, Loss, SoftmaxWithLoss};
use dl_tensor::Tensor;

fn one_hot(idx: &[usize], classes: usize) -> Tensor<f64> {
    Tensor::from_fn([idx.len(), classes], |i| {
        if idx[i[0]] == i[1] { 1.0 } else { 0.0 }
    })
}

/// Random scores with the true class lifted by 1.5, so its probability stays well above the
/// loss's 1e-7 guard (which perturbs the exact derivative by a relative 1e-7/y_true).
fn scores_for(idx: &[usize], classes: usize, seed: u64) -> Tensor<f64> {
    let mut r = rng(seed);
    let s = Tensor::<f64>::randn([idx.len(), classes], 0.5, &mut r);
    s.add(&one_hot(idx, classes).mul_scalar(1.5))
}

#[test]
fn loss_matches_the_formula() {
    // Scores [ln 1, ln 2, ln 3] give probabilities [1/6, 2/6, 3/6].
    let s = Tensor::from_vec(
        vec![0.0, 2f64.ln(), 3f64.ln(), 3f64.ln(), 2f64.ln(), 0.0],
        [2, 3],
    );
    let mut loss = SoftmaxWithLoss::new();
    let l = loss.forward(&s, Labels::Index(&[2, 1]));
    let want = -((0.5 + 1e-7f64).ln() + (2.0 / 6.0 + 1e-7f64).ln()) / 2.0;
    assert!((l - want).abs() < 1e-14, "{l} vs {want}");
    let p = loss.probabilities().unwrap();
    let want_p = Tensor::from_vec(vec![1.0, 2.0, 3.0, 3.0, 2.0, 1.0], [2, 3]).div_scalar(6.0);
    assert_close(p, &want_p, 1e-15);
    // Same loss with one-hot labels.
    let l2 = loss.forward(&s, Labels::OneHot(&one_hot(&[2, 1], 3)));
    assert!((l2 - want).abs() < 1e-14);
}

#[test]
fn backward_is_y_minus_t_over_n() {
    let s = Tensor::from_vec(vec![1.0, 2.0, 3.0, 0.0, 0.0, 0.0], [2, 3]);
    let mut loss = SoftmaxWithLoss::new();
    loss.forward(&s, Labels::Index(&[0, 2]));
    let d = loss.backward();
    let e: Vec<f64> = [1.0f64, 2.0, 3.0].iter().map(|v| v.exp()).collect();
    let z: f64 = e.iter().sum();
    let want = Tensor::from_vec(
        vec![
            (e[0] / z - 1.0) / 2.0,
            e[1] / z / 2.0,
            e[2] / z / 2.0,
            1.0 / 3.0 / 2.0,
            1.0 / 3.0 / 2.0,
            (1.0 / 3.0 - 1.0) / 2.0,
        ],
        [2, 3],
    );
    assert_close(&d, &want, 1e-15);
}

#[test]
fn large_scores_do_not_overflow() {
    let s = Tensor::<f64>::from_vec(vec![1000.0, 1001.0, 999.0, -1000.0], [2, 2]);
    let mut loss = SoftmaxWithLoss::new();
    let l = loss.forward(&s, Labels::Index(&[1, 0]));
    assert!(l.is_finite());
    let p = loss.probabilities().unwrap();
    let e = (-1.0f64).exp();
    assert!((p.at(&[0, 1]) - 1.0 / (1.0 + e)).abs() < 1e-12);
    assert!((p.at(&[1, 0]) - 1.0).abs() < 1e-12);
}

#[test]
fn gradcheck_index_labels() {
    let idx = [0, 3, 1, 1, 2];
    let s = scores_for(&idx, 4, 1);
    check_loss(&mut SoftmaxWithLoss::new(), &s, Labels::Index(&idx)).assert_below(TOL);
}

#[test]
fn gradcheck_one_hot_labels() {
    let idx = [2, 0, 1, 3];
    let s = scores_for(&idx, 4, 2);
    let t = one_hot(&idx, 4);
    check_loss(&mut SoftmaxWithLoss::new(), &s, Labels::OneHot(&t)).assert_below(TOL);
}

#[test]
fn f32_works() {
    let mut loss = SoftmaxWithLoss::<f32>::new();
    let l = loss.forward(&Tensor::zeros([3, 10]), Labels::Index(&[1, 2, 3]));
    assert!((l - 10f32.ln()).abs() < 1e-5);
}

#[test]
#[should_panic(expected = "class index out of range")]
fn index_out_of_range_panics() {
    SoftmaxWithLoss::<f64>::new().forward(&Tensor::zeros([2, 3]), Labels::Index(&[0, 3]));
}

#[test]
#[should_panic(expected = "[2, 3]")]
fn one_hot_shape_mismatch_panics() {
    let t = Tensor::zeros([2, 4]);
    SoftmaxWithLoss::<f64>::new().forward(&Tensor::zeros([2, 3]), Labels::OneHot(&t));
}

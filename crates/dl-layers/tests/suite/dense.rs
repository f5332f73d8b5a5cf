//! Affine: forward against the formula, gradient checks on 2-D and 4-D input, parameters, init.

use crate::common::{TOL, assert_backward_params_matches_backward, assert_close, randn, rng};
use dl_layers::gradcheck::check_layer;
use dl_layers::{Affine, Init, Layer, Mode, ParamKind};
use dl_tensor::Tensor;

#[test]
fn forward_is_x_w_plus_b() {
    // x (2×3), W (3×2), b (2): out[i][j] = Σ_k x[i][k]·W[k][j] + b[j], worked out by hand.
    let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, -1.0, 0.0, 2.0], [2, 3]);
    let w = Tensor::from_vec(vec![1.0, 0.5, -1.0, 2.0, 0.0, 1.0], [3, 2]);
    let b = Tensor::from_vec(vec![0.1, -0.2], [2]);
    let mut fc = Affine::from_params(w, b);
    let y = fc.forward(&x, Mode::Train);
    // Row 0: [1 − 2 + 0, 0.5 + 4 + 3] + b; row 1: [−1 + 0 + 0, −0.5 + 0 + 2] + b.
    let expected = Tensor::from_vec(vec![-0.9, 7.3, -0.9, 1.3], [2, 2]);
    assert_close(&y, &expected, 1e-12);
}

#[test]
fn backward_matches_hand_formulas() {
    let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], [2, 2]);
    let w = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [2, 3]);
    let mut fc = Affine::from_params(w, Tensor::zeros([3]));
    fc.forward(&x, Mode::Train);
    let dout = Tensor::ones([2, 3]);
    let dx = fc.backward(&dout);
    // dx = dout·Wᵀ: each row is the row sums of W, [6, 15].
    assert_close(
        &dx,
        &Tensor::from_vec(vec![6.0, 15.0, 6.0, 15.0], [2, 2]),
        1e-12,
    );
    // dW = xᵀ·dout: row k is Σ_i x[i][k] repeated, [4, 6].
    let dw = Tensor::from_vec(vec![4.0, 4.0, 4.0, 6.0, 6.0, 6.0], [2, 3]);
    assert_close(fc.weight_grad(), &dw, 1e-12);
    // db = Σ_i dout[i] = 2.
    assert_close(fc.bias_grad(), &Tensor::full([3], 2.0), 1e-12);
}

#[test]
fn gradcheck_2d_input() {
    let mut r = rng(1);
    let mut fc = Affine::<f64>::new(5, 4, Init::Std(1.0), &mut r);
    // Non-zero biases so their gradient path is exercised with a general point.
    fc.visit_params(&mut |p| {
        if p.kind == ParamKind::Bias {
            *p.value = Tensor::from_vec(vec![0.3, -0.1, 0.7, 0.2], [4]);
        }
    });
    let x = randn(&[3, 5], &mut r);
    check_layer(&mut fc, &x, Mode::Train, 11).assert_below(TOL);
}

#[test]
fn gradcheck_4d_input_flattens_and_restores_shape() {
    let mut r = rng(2);
    let mut fc = Affine::<f64>::new(2 * 3 * 2, 5, Init::He, &mut r);
    let x = randn(&[4, 2, 3, 2], &mut r);
    let y = fc.forward(&x, Mode::Train);
    assert_eq!(y.shape(), &[4, 5]);
    let dx = fc.backward(&Tensor::ones([4, 5]));
    assert_eq!(dx.shape(), &[4, 2, 3, 2]);
    check_layer(&mut fc, &x, Mode::Train, 12).assert_below(TOL);
}

#[test]
fn params_are_named_and_kinded() {
    let mut r = rng(3);
    let mut fc = Affine::<f32>::new(3, 2, Init::Xavier, &mut r);
    let mut seen = Vec::new();
    fc.visit_params(&mut |p| seen.push((p.name, p.kind, p.value.shape().to_vec())));
    assert_eq!(
        seen,
        vec![
            ("W", ParamKind::Weight, vec![3, 2]),
            ("b", ParamKind::Bias, vec![2]),
        ]
    );
    assert_eq!(fc.bias().to_vec(), vec![0.0, 0.0]);
    assert_eq!(<Affine<f32> as Layer<f32>>::describe(&fc), "Affine(3→2)");
}

/// Sample standard deviation, computed here from the definition.
fn sample_std(v: &[f64]) -> f64 {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt()
}

#[test]
fn init_scales_follow_the_formulas() {
    let mut r = rng(4);
    let (n_in, n_out) = (400, 100);
    for (init, want) in [
        (Init::Std(0.01), 0.01),
        (Init::Xavier, (1.0 / 400.0f64).sqrt()),
        (Init::He, (2.0 / 400.0f64).sqrt()),
        // U(−a, a) has standard deviation a/√3, with a = √(6/(400 + 100)).
        (Init::GlorotUniform, (6.0 / 500.0f64).sqrt() / 3.0f64.sqrt()),
    ] {
        let fc = Affine::<f64>::new(n_in, n_out, init, &mut r);
        let s = sample_std(&fc.weight().to_vec());
        // 40,000 samples: the sample std is within 2% of the true one with room to spare.
        assert!((s / want - 1.0).abs() < 0.02, "{init:?}: std {s} vs {want}");
        assert!(fc.bias().to_vec().iter().all(|&b| b == 0.0));
    }
    let fc = Affine::<f64>::new(n_in, n_out, Init::GlorotUniform, &mut r);
    let a = (6.0 / 500.0f64).sqrt();
    assert!(fc.weight().to_vec().iter().all(|&w| w.abs() <= a));
}

#[test]
fn f32_and_f64_agree() {
    let mut r = rng(5);
    let w = Tensor::<f64>::randn([6, 3], 0.5, &mut r);
    let b = Tensor::<f64>::randn([3], 0.5, &mut r);
    let x = Tensor::<f64>::randn([4, 6], 1.0, &mut r);
    let mut l64 = Affine::from_params(w.clone(), b.clone());
    let mut l32 = Affine::<f32>::from_params(w.cast(), b.cast());
    let y64 = l64.forward(&x, Mode::Eval);
    let y32 = l32.forward(&x.cast(), Mode::Eval);
    assert_close(&y32.cast(), &y64, 1e-5);
}

#[test]
fn backward_params_fills_the_same_gradients_without_dx() {
    let mut layer = Affine::<f64>::new(6, 4, Init::He, &mut rng(50));
    assert_backward_params_matches_backward(&mut layer, &randn(&[5, 6], &mut rng(51)));
}

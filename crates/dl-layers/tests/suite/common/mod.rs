//! Helpers shared by the integration tests.
#![allow(dead_code)]

use dl_tensor::{Rng, Tensor, rng_from_seed};

/// The tolerance the gradient checks must meet (relative, norm-wise).
pub const TOL: f64 = 1e-6;

pub fn rng(seed: u64) -> Rng {
    rng_from_seed(seed)
}

/// Standard normal samples.
pub fn randn(shape: &[usize], rng: &mut Rng) -> Tensor<f64> {
    Tensor::randn(shape, 1.0, rng)
}

/// Normal samples pushed away from zero: `|x| ≥ margin` (for kinks such as ReLU's).
pub fn randn_away_from_zero(shape: &[usize], margin: f64, rng: &mut Rng) -> Tensor<f64> {
    randn(shape, rng).map(|v| if v >= 0.0 { v + margin } else { v - margin })
}

/// Distinct values: a random permutation of `len` points evenly spaced in `[-2, 2]`, so any two
/// differ by at least `4/len` (no ties in a max, and far more than a finite-difference step).
pub fn distinct(shape: &[usize], rng: &mut Rng) -> Tensor<f64> {
    let len: usize = shape.iter().product();
    let mut values: Vec<f64> = (0..len)
        .map(|i| -2.0 + 4.0 * i as f64 / len as f64)
        .collect();
    // Fisher–Yates with uniform draws.
    let u = Tensor::<f64>::rand_uniform([len.max(1)], 0.0, 1.0, rng).to_vec();
    for i in (1..len).rev() {
        let j = ((u[i] * (i + 1) as f64) as usize).min(i);
        values.swap(i, j);
    }
    Tensor::from_vec(values, shape)
}

/// Asserts two tensors have the same shape and agree element-wise within `tol`.
#[track_caller]
pub fn assert_close(a: &Tensor<f64>, b: &Tensor<f64>, tol: f64) {
    assert_eq!(a.shape(), b.shape(), "shapes differ");
    let diff = a.max_abs_diff(b);
    assert!(diff <= tol, "max abs difference {diff:e} exceeds {tol:e}");
}

/// Runs `backward` and then `backward_params` after the same forward pass and asserts that both
/// leave bit-identical parameter gradients (the second skips only ∂L/∂x).
#[track_caller]
pub fn assert_backward_params_matches_backward<L: dl_layers::Layer<f64>>(
    layer: &mut L,
    x: &Tensor<f64>,
) {
    let y = layer.forward(x, dl_layers::Mode::Train);
    let dout = randn(y.shape(), &mut rng(99));
    let grads = |layer: &mut L| {
        let mut all = Vec::new();
        layer.visit_params(&mut |p| all.push(p.grad.to_vec()));
        all
    };
    layer.backward(&dout);
    let full = grads(layer);
    layer.visit_params(&mut |p| {
        let shape = p.grad.dims();
        *p.grad = Tensor::full(shape, f64::NAN);
    });
    layer.backward_params(&dout);
    let params_only = grads(layer);
    assert!(!full.is_empty(), "the layer has parameters");
    assert_eq!(
        format!("{full:?}"),
        format!("{params_only:?}"),
        "parameter gradients differ"
    );
}

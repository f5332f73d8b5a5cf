//! Gradient checking: a layer's backward against central finite differences, in `f64`.
//!
//! The scalar checked is `L = Σ out ⊙ g` for a random upstream gradient `g`, so `∂L/∂out = g`.
//! Errors are norm-wise relative errors per tensor, `‖a − n‖ / (‖a‖ + ‖n‖)`, which stay
//! meaningful where single gradients are near zero.

use dl_tensor::{Tensor, rng_from_seed};

use crate::{Labels, Layer, Loss, Mode};

/// The step of the central differences.
pub const STEP: f64 = 1e-5;

/// The outcome of a gradient check: the relative error of each checked tensor.
#[derive(Clone, Debug)]
pub struct GradReport {
    /// `(name, relative error)` for the input and every parameter.
    pub errors: Vec<(String, f64)>,
}

impl GradReport {
    /// The largest relative error.
    pub fn max_error(&self) -> f64 {
        self.errors.iter().map(|e| e.1).fold(0.0, f64::max)
    }

    /// Panics with the full report if any error exceeds `tolerance`.
    ///
    /// # Panics
    /// If a relative error exceeds `tolerance`.
    #[track_caller]
    pub fn assert_below(&self, tolerance: f64) {
        assert!(
            self.max_error() <= tolerance,
            "gradient check failed (tolerance {tolerance:e}): {:?}",
            self.errors
        );
    }
}

/// `‖a − n‖ / (‖a‖ + ‖n‖)`, or 0 when both are zero.
pub fn relative_error(analytic: &[f64], numeric: &[f64]) -> f64 {
    let norm = |v: &mut dyn Iterator<Item = f64>| v.map(|x| x * x).sum::<f64>().sqrt();
    let diff = norm(&mut analytic.iter().zip(numeric).map(|(a, n)| a - n));
    let scale = norm(&mut analytic.iter().copied()) + norm(&mut numeric.iter().copied());
    if scale == 0.0 { 0.0 } else { diff / scale }
}

fn weighted_output(
    layer: &mut dyn Layer<f64>,
    x: &Tensor<f64>,
    mode: Mode,
    g: &Tensor<f64>,
) -> f64 {
    let out = layer.forward(x, mode);
    out.mul(g).sum_all() + layer.aux_loss()
}

fn param_count(layer: &mut dyn Layer<f64>) -> usize {
    let mut n = 0;
    layer.visit_params(&mut |_| n += 1);
    n
}

/// Adds `delta` to element `index` of parameter slot `slot`.
fn nudge_param(layer: &mut dyn Layer<f64>, slot: usize, index: usize, delta: f64) {
    let mut k = 0;
    layer.visit_params(&mut |p| {
        if k == slot {
            p.value.as_mut_slice()[index] += delta;
        }
        k += 1;
    });
}

/// Checks `layer`'s input and parameter gradients at `x` in `mode`, with a random upstream
/// gradient drawn from `seed`. The layer must be deterministic between forward calls (fix any
/// dropout mask first). Includes the layer's [`Layer::aux_loss`] in the checked scalar.
pub fn check_layer(
    layer: &mut dyn Layer<f64>,
    x: &Tensor<f64>,
    mode: Mode,
    seed: u64,
) -> GradReport {
    let mut rng = rng_from_seed(seed);
    let out = layer.forward(x, mode);
    let g = Tensor::<f64>::randn(out.dims(), 1.0, &mut rng);
    let dx = layer.backward(&g);
    let mut analytic: Vec<(String, Vec<f64>)> = vec![("x".into(), dx.to_vec())];
    layer.visit_params(&mut |p| analytic.push((p.full_name(), p.grad.to_vec())));

    let mut errors = Vec::new();
    // Input.
    let mut xp = x.to_contiguous();
    let mut numeric = Vec::with_capacity(x.len());
    for i in 0..x.len() {
        let orig = xp.as_slice()[i];
        xp.as_mut_slice()[i] = orig + STEP;
        let plus = weighted_output(layer, &xp, mode, &g);
        xp.as_mut_slice()[i] = orig - STEP;
        let minus = weighted_output(layer, &xp, mode, &g);
        xp.as_mut_slice()[i] = orig;
        numeric.push((plus - minus) / (2.0 * STEP));
    }
    errors.push(("x".to_string(), relative_error(&analytic[0].1, &numeric)));
    // Parameters.
    for slot in 0..param_count(layer) {
        let (name, grad) = &analytic[slot + 1];
        let mut numeric = Vec::with_capacity(grad.len());
        for i in 0..grad.len() {
            nudge_param(layer, slot, i, STEP);
            let plus = weighted_output(layer, x, mode, &g);
            nudge_param(layer, slot, i, -2.0 * STEP);
            let minus = weighted_output(layer, x, mode, &g);
            nudge_param(layer, slot, i, STEP);
            numeric.push((plus - minus) / (2.0 * STEP));
        }
        errors.push((name.clone(), relative_error(grad, &numeric)));
    }
    GradReport { errors }
}

/// Checks a loss's gradient with respect to its scores.
pub fn check_loss(
    loss: &mut dyn Loss<f64>,
    scores: &Tensor<f64>,
    labels: Labels<'_, f64>,
) -> GradReport {
    loss.forward(scores, labels);
    let analytic = loss.backward().to_vec();
    let mut s = scores.to_contiguous();
    let mut numeric = Vec::with_capacity(s.len());
    for i in 0..s.len() {
        let orig = s.as_slice()[i];
        s.as_mut_slice()[i] = orig + STEP;
        let plus = loss.forward(&s, labels);
        s.as_mut_slice()[i] = orig - STEP;
        let minus = loss.forward(&s, labels);
        s.as_mut_slice()[i] = orig;
        numeric.push((plus - minus) / (2.0 * STEP));
    }
    GradReport {
        errors: vec![("scores".into(), relative_error(&analytic, &numeric))],
    }
}

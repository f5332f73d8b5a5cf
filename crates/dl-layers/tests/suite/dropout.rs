//! Dropout, both conventions: scaling in training and inference, gradient checks with a fixed
//! mask, reproducible masks from the seed.

use crate::common::{TOL, assert_close, randn, rng};
use dl_layers::gradcheck::check_layer;
use dl_layers::{Dropout, DropoutKind, Layer, Mode};
use dl_tensor::Tensor;

#[test]
fn course_dropout_masks_without_scaling_and_scales_at_inference() {
    let x = Tensor::full([50, 40], 3.0);
    let mut d = Dropout::<f64>::new(0.3, DropoutKind::Course, 1);
    let y = d.forward(&x, Mode::Train);
    assert!(y.to_vec().iter().all(|&v| v == 0.0 || v == 3.0));
    let kept = y.to_vec().iter().filter(|&&v| v != 0.0).count() as f64 / 2000.0;
    // 2000 Bernoulli(0.7) draws: standard error ≈ 0.01, so ±0.05 is a 5σ band.
    assert!((kept - 0.7).abs() < 0.05, "kept {kept}");
    // The backward uses the same mask.
    let dx = d.backward(&Tensor::ones([50, 40]));
    assert_eq!(dx.to_vec(), y.div_scalar(3.0).to_vec());
    // Inference: × (1 − p), deterministic.
    let y = d.forward(&x, Mode::Eval);
    assert_close(&y, &Tensor::full([50, 40], 3.0 * 0.7), 1e-15);
    assert_close(
        &d.backward(&Tensor::ones([50, 40])),
        &Tensor::full([50, 40], 0.7),
        1e-15,
    );
}

#[test]
fn inverted_dropout_scales_in_training_and_is_identity_at_inference() {
    let x = Tensor::full([30, 30], 1.0);
    let mut d = Dropout::<f64>::new(0.25, DropoutKind::Inverted, 2);
    let y = d.forward(&x, Mode::Train);
    let scale = 1.0 / 0.75;
    assert!(
        y.to_vec()
            .iter()
            .all(|&v| v == 0.0 || (v - scale).abs() < 1e-15)
    );
    // The expected value of each unit is preserved: mean ≈ 1.
    assert!((y.mean_all() - 1.0).abs() < 0.08);
    assert_eq!(d.forward(&x, Mode::Eval), x);
    assert_eq!(d.backward(&x), x);
}

#[test]
fn masks_are_reproducible_from_the_seed() {
    let x = Tensor::<f32>::ones([8, 8]);
    let mut a = Dropout::<f32>::new(0.5, DropoutKind::Course, 42);
    let mut b = Dropout::<f32>::new(0.5, DropoutKind::Course, 42);
    let ya = a.forward(&x, Mode::Train);
    assert_eq!(ya, b.forward(&x, Mode::Train));
    // A second forward draws a fresh mask.
    assert_ne!(ya, a.forward(&x, Mode::Train));
}

#[test]
fn fixed_mask_is_used_and_scaled_by_the_convention() {
    let mask = Tensor::from_vec(vec![1.0, 0.0, 1.0, 0.0], [2, 2]);
    let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], [2, 2]);
    let mut d = Dropout::<f64>::new(0.5, DropoutKind::Inverted, 0);
    d.set_fixed_mask(Some(mask.clone()));
    let y = d.forward(&x, Mode::Train);
    assert_eq!(y.to_vec(), vec![2.0, 0.0, 6.0, 0.0]);
    assert_eq!(d.last_mask(), Some(&mask));
}

#[test]
fn gradcheck_both_kinds_with_fixed_mask() {
    for (k, kind) in [DropoutKind::Course, DropoutKind::Inverted]
        .into_iter()
        .enumerate()
    {
        let mut r = rng(10 + k as u64);
        let x = randn(&[4, 6], &mut r);
        let mut d = Dropout::<f64>::new(0.4, kind, 5);
        d.forward(&x, Mode::Train);
        assert!(d.fix_last_mask());
        check_layer(&mut d, &x, Mode::Train, 20).assert_below(TOL);
        check_layer(&mut d, &x, Mode::Eval, 21).assert_below(TOL);
    }
}

#[test]
#[should_panic(expected = "[0, 1)")]
fn ratio_one_is_rejected() {
    Dropout::<f32>::new(1.0, DropoutKind::Inverted, 0);
}

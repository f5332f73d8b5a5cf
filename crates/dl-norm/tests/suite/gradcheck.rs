//! Every normalization's backward against central differences, in `f64`, with random γ and β.

use dl_layers::gradcheck::check_layer;
use dl_layers::{Layer, Mode};
use dl_norm::{BatchNorm, BatchNormConfig, BatchStats, InstanceNorm, LayerNorm};
use dl_tensor::{Tensor, rng_from_seed};

const TOLERANCE: f64 = 1e-6;

/// Replaces γ and β by random values so their gradients are not the trivial ones.
fn randomize_params(layer: &mut dyn Layer<f64>, seed: u64) {
    let mut rng = rng_from_seed(seed);
    layer.visit_params(&mut |p| {
        let fresh = Tensor::<f64>::randn(p.value.dims(), 1.0, &mut rng).add_scalar(0.5);
        *p.value = fresh;
    });
}

/// An input with a non-zero mean and unequal scales per element.
fn input(shape: &[usize], seed: u64) -> Tensor<f64> {
    let mut rng = rng_from_seed(seed);
    Tensor::<f64>::randn(shape, 2.0, &mut rng).add_scalar(1.5)
}

fn check(layer: &mut dyn Layer<f64>, shape: &[usize], mode: Mode, seed: u64) {
    randomize_params(layer, seed);
    let x = input(shape, seed + 100);
    let report = check_layer(layer, &x, mode, seed + 200);
    assert_eq!(report.errors.len(), 3, "x, gamma and beta are checked");
    report.assert_below(TOLERANCE);
}

#[test]
fn batch_norm_per_feature_2d() {
    check(&mut BatchNorm::course(5), &[6, 5], Mode::Train, 1);
}

#[test]
fn batch_norm_per_feature_4d() {
    check(
        &mut BatchNorm::course(2 * 3 * 3),
        &[4, 2, 3, 3],
        Mode::Train,
        2,
    );
}

#[test]
fn batch_norm_per_channel_2d() {
    let mut bn = BatchNormConfig::keras(5).build();
    check(&mut bn, &[6, 5], Mode::Train, 3);
}

#[test]
fn batch_norm_per_channel_4d() {
    let mut bn = BatchNormConfig::keras(3).build();
    check(&mut bn, &[2, 3, 3, 4], Mode::Train, 4);
}

#[test]
fn batch_norm_eval_mode_after_training() {
    for stats in [BatchStats::PerFeature, BatchStats::PerChannel] {
        let features = if stats == BatchStats::PerFeature {
            2 * 3 * 3
        } else {
            2
        };
        let mut bn = BatchNormConfig::course(features)
            .stats(stats)
            .build::<f64>();
        for step in 0..5 {
            bn.forward(&input(&[4, 2, 3, 3], 50 + step), Mode::Train);
        }
        check(&mut bn, &[4, 2, 3, 3], Mode::Eval, 5);
    }
}

#[test]
fn layer_norm_channels_4d() {
    check(&mut LayerNorm::channels(4), &[2, 4, 3, 2], Mode::Train, 6);
}

#[test]
fn layer_norm_channels_2d() {
    check(&mut LayerNorm::channels(6), &[3, 6], Mode::Train, 7);
}

#[test]
fn layer_norm_all_axes_4d() {
    check(
        &mut LayerNorm::all_axes(3 * 2 * 3),
        &[3, 3, 2, 3],
        Mode::Train,
        8,
    );
}

#[test]
fn instance_norm_4d() {
    check(&mut InstanceNorm::new(3), &[2, 3, 3, 3], Mode::Train, 9);
}

#[test]
fn instance_norm_eval_mode_is_the_same_function() {
    check(&mut InstanceNorm::new(2), &[2, 2, 2, 3], Mode::Eval, 10);
}

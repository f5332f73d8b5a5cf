//! Every model's parameter count and stage shapes (against the notes and torchvision), a
//! whole-network gradient check, and training that reduces the loss.

use dl_layers::{Labels, Mode};
use dl_models::{
    Activation, Init, KerasCnnConfig, MultiLayerNetConfig, NormKind, OptimizerKind, Penalty,
    Preset, Sequential,
};
use dl_tensor::{Tensor, rng_from_seed};

fn keras(norm: Option<NormKind>) -> Preset {
    Preset::KerasCnn(KerasCnnConfig {
        in_channels: 3,
        image_size: 32,
        classes: 10,
        activity_penalty: None,
        dropout: Some(0.5),
        norm,
    })
}

#[test]
fn parameter_counts_match_the_notes_and_torchvision() {
    let cases: Vec<(Preset, usize)> = vec![
        (Preset::SimpleConvNet, 433_890),
        (Preset::DoubleConvNet, 75_430),
        (Preset::deep_conv_net(), 123_552),
        (
            Preset::MultiLayerNet(MultiLayerNetConfig::new(784, &[100; 5], 10)),
            784 * 100 + 100 + 4 * (100 * 100 + 100) + 100 * 10 + 10,
        ),
        (keras(None), 3_702_186),
        // BatchNorm adds γ and β per channel (its running statistics are buffers).
        (keras(Some(NormKind::BatchNorm)), 3_702_186 + 64),
    ];
    for (config, expected) in cases {
        let mut net = config.build::<f32>(0);
        assert_eq!(net.param_count(), expected, "{config:?}");
    }
}

#[test]
fn alexnet_has_torchvisions_61_100_840_parameters() {
    let config = Preset::AlexNet {
        classes: 1000,
        in_channels: 3,
    };
    let mut net = config.build::<f32>(0);
    assert_eq!(net.param_count(), 61_100_840);
}

fn stage_shapes(config: &Preset, input: [usize; 4]) -> Vec<(String, Vec<usize>)> {
    let mut net = config.build::<f32>(0);
    let x = Tensor::randn(input, 1.0, &mut rng_from_seed(3));
    net.trace_shapes(&x, Mode::Eval)
        .into_iter()
        .map(|(name, _, shape)| (name, shape))
        .collect()
}

/// The output shape of the layer called `name`.
fn shape_of(shapes: &[(String, Vec<usize>)], name: &str) -> Vec<usize> {
    shapes
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no layer {name} in {shapes:?}"))
        .1
        .clone()
}

#[test]
fn deep_conv_net_stages_follow_the_notes() {
    let shapes = stage_shapes(&Preset::deep_conv_net(), [2, 1, 28, 28]);
    let get = |name: &str| shape_of(&shapes, name);
    assert_eq!(get("conv1"), vec![2, 16, 28, 28]);
    assert_eq!(get("pool1"), vec![2, 16, 14, 14]);
    // conv4's padding of 2 turns 14×14 into 16×16.
    assert_eq!(get("conv4"), vec![2, 32, 16, 16]);
    assert_eq!(get("pool2"), vec![2, 32, 8, 8]);
    assert_eq!(get("pool3"), vec![2, 64, 4, 4]);
    assert_eq!(get("affine1"), vec![2, 50]);
    assert_eq!(shapes.last().unwrap().1, vec![2, 10]);
}

#[test]
fn alexnet_stages_follow_torchvision() {
    // A 10-class AlexNet keeps the test small; the feature stages do not depend on the classes.
    let config = Preset::AlexNet {
        classes: 10,
        in_channels: 3,
    };
    let shapes = stage_shapes(&config, [1, 3, 224, 224]);
    let get = |name: &str| shape_of(&shapes, name);
    assert_eq!(get("conv1"), vec![1, 64, 55, 55]);
    assert_eq!(get("pool1"), vec![1, 64, 27, 27]);
    assert_eq!(get("pool2"), vec![1, 192, 13, 13]);
    assert_eq!(get("conv5"), vec![1, 256, 13, 13]);
    assert_eq!(get("pool3"), vec![1, 256, 6, 6]);
    assert_eq!(get("linear3"), vec![1, 10]);
}

/// Adds `delta` to element `i` of the parameter in `slot`.
fn nudge(net: &mut Sequential<f64>, slot: usize, i: usize, delta: f64) {
    let mut index = 0;
    net.visit_params(&mut |p| {
        if index == slot {
            p.value.as_mut_slice()[i] += delta;
        }
        index += 1;
    });
}

/// The loss of a whole network (Affine, BatchNorm, ReLU, penalty) against central differences
/// in f64, through `Network::loss` and `Network::backward`.
#[test]
fn whole_network_gradient_matches_finite_differences() {
    let config = Preset::MultiLayerNet(
        MultiLayerNetConfig::new(6, &[5, 4], 3)
            .activation(Activation::Tanh)
            .init(Init::Xavier)
            .batch_norm(true)
            .weight_penalty(Penalty::elastic_net(0.01, 0.1)),
    );
    let mut net = config.build::<f64>(11);
    let x = Tensor::randn([7, 6], 1.0, &mut rng_from_seed(12));
    let labels = [0usize, 1, 2, 0, 1, 2, 1];
    net.loss(&x, Labels::Index(&labels), Mode::Train);
    net.backward();
    let mut analytic = Vec::new();
    net.visit_params(&mut |p| analytic.push((p.layer.to_string(), p.name, p.grad.to_vec())));

    let h = 1e-6;
    let mut worst = 0.0f64;
    for (slot, (layer, name, grad)) in analytic.iter().enumerate() {
        let mut numeric = vec![0.0; grad.len()];
        for i in 0..grad.len() {
            nudge(&mut net, slot, i, h);
            let plus = net.loss(&x, Labels::Index(&labels), Mode::Train);
            nudge(&mut net, slot, i, -2.0 * h);
            let minus = net.loss(&x, Labels::Index(&labels), Mode::Train);
            nudge(&mut net, slot, i, h);
            numeric[i] = (plus - minus) / (2.0 * h);
        }
        let diff: f64 = grad
            .iter()
            .zip(&numeric)
            .map(|(a, b)| (a - b).powi(2))
            .sum();
        let norm: f64 = grad.iter().chain(&numeric).map(|a| a * a).sum();
        let (diff, norm) = (diff.sqrt(), norm.sqrt());
        // The bias of an Affine followed by BatchNorm has a true gradient of exactly zero (the
        // normalisation removes any shift), so both sides are rounding noise: an absolute floor.
        let ok = diff <= 1e-6 * norm || diff <= 1e-8;
        assert!(ok, "{layer}.{name}: |Δ| {diff:e}, ‖g‖ {norm:e}");
        if norm > 1e-6 {
            worst = worst.max(diff / norm);
        }
    }
    assert!(analytic.len() == 3 * 2 + 2 * 2, "{} slots", analytic.len());
    assert!(
        worst > 0.0 && worst <= 1e-6,
        "worst relative error {worst:e}"
    );
}

#[test]
fn sgd_training_reduces_the_loss_of_a_small_conv_net() {
    let mut net = Preset::DoubleConvNet.build::<f32>(5);
    let mut rng = rng_from_seed(6);
    let x = Tensor::<f32>::randn([16, 1, 28, 28], 1.0, &mut rng);
    let labels: Vec<usize> = (0..16).map(|i| i % 10).collect();
    let mut opt = OptimizerKind::adam(0.01).build::<f32>();
    let first = net.loss(&x, Labels::Index(&labels), Mode::Train);
    for _ in 0..30 {
        net.loss(&x, Labels::Index(&labels), Mode::Train);
        net.backward();
        net.update(opt.as_mut());
    }
    let last = net.loss(&x, Labels::Index(&labels), Mode::Train);
    assert!(last < 0.5 * first, "loss {first} → {last}");
    assert!(net.accuracy(&x, &labels, 8) > 0.9);
}

#[test]
fn same_seed_same_weights_other_seed_other_weights() {
    let config = Preset::SimpleConvNet;
    let weights = |seed| {
        let mut net = config.build::<f32>(seed);
        let mut all = Vec::new();
        net.visit_params(&mut |p| all.extend(p.value.to_vec()));
        all
    };
    assert_eq!(weights(1), weights(1));
    assert_ne!(weights(1), weights(2));
}

/// Training steps on one fixed batch, returning the loss before and after.
fn loss_before_and_after(
    config: &Preset,
    input: &[usize],
    steps: usize,
    optimizer: OptimizerKind,
) -> (f32, f32) {
    let mut net = config.build::<f32>(11);
    let x = Tensor::<f32>::rand_uniform(input, 0.0, 1.0, &mut rng_from_seed(12));
    let classes = match config {
        Preset::AlexNet { classes, .. } => *classes,
        _ => 10,
    };
    let labels: Vec<usize> = (0..input[0]).map(|i| i % classes).collect();
    // Measured without dropout's noise (eval mode), except where BatchNorm's running
    // statistics, still near their start, would make eval mode meaningless.
    let batch_norm = match config {
        Preset::MultiLayerNet(m) => m.batch_norm,
        Preset::KerasCnn(k) => k.norm == Some(NormKind::BatchNorm),
        _ => false,
    };
    let measure = if batch_norm { Mode::Train } else { Mode::Eval };
    let mut opt = optimizer.build::<f32>();
    let first = net.loss(&x, Labels::Index(&labels), measure);
    for _ in 0..steps {
        net.loss(&x, Labels::Index(&labels), Mode::Train);
        net.backward();
        net.update(opt.as_mut());
    }
    (first, net.loss(&x, Labels::Index(&labels), measure))
}

#[test]
fn a_few_training_steps_lower_the_loss_of_every_model() {
    let mlp = |hidden: &[usize]| MultiLayerNetConfig::new(784, hidden, 10);
    let with_activity = |norm| match keras(norm) {
        Preset::KerasCnn(k) => Preset::KerasCnn(KerasCnnConfig {
            activity_penalty: Some((1e-4, 1e-4)),
            ..k
        }),
        other => other,
    };
    let cases: Vec<(&str, Preset, Vec<usize>, usize, f64)> = vec![
        (
            "MLP sigmoid, Xavier, L2",
            Preset::MultiLayerNet(
                mlp(&[40, 20])
                    .activation(Activation::Sigmoid)
                    .init(Init::Xavier)
                    .weight_penalty(Penalty::l2(0.01)),
            ),
            vec![8, 784],
            10,
            0.01,
        ),
        (
            "MLP ReLU, He, BatchNorm, dropout, L1",
            Preset::MultiLayerNet(
                mlp(&[50, 50, 50])
                    .activation(Activation::Relu)
                    .init(Init::He)
                    .batch_norm(true)
                    .dropout(0.15)
                    .weight_penalty(Penalty::l1(1e-4)),
            ),
            vec![8, 784],
            10,
            0.01,
        ),
        (
            "SimpleConvNet",
            Preset::SimpleConvNet,
            vec![8, 1, 28, 28],
            10,
            0.01,
        ),
        (
            "DeepConvNet",
            Preset::deep_conv_net(),
            vec![8, 1, 28, 28],
            20,
            0.001,
        ),
        (
            "Keras CNN, BatchNorm, activity penalty, dropout",
            with_activity(Some(NormKind::BatchNorm)),
            vec![8, 3, 32, 32],
            8,
            0.001,
        ),
        (
            "Keras CNN, LayerNorm",
            keras(Some(NormKind::LayerNormChannels)),
            vec![8, 3, 32, 32],
            8,
            0.001,
        ),
        (
            "Keras CNN, InstanceNorm",
            keras(Some(NormKind::InstanceNorm)),
            vec![8, 3, 32, 32],
            8,
            0.001,
        ),
    ];
    for (what, config, input, steps, lr) in cases {
        let adam = OptimizerKind::adam(lr);
        let (first, last) = loss_before_and_after(&config, &input, steps, adam);
        assert!(
            last.is_finite() && last < 0.95 * first,
            "{what}: loss {first} → {last} after {steps} steps"
        );
    }
}

/// AlexNet at its real input size (1 channel, 10 classes, two 224×224 images): a few SGD steps
/// lower the loss. The step must be small: with He init the gradients are large, and SGD at
/// 1e-3 or 1e-2 (or Adam at 1e-4) overshoots and kills the ReLUs within five steps.
#[test]
fn a_few_sgd_steps_lower_the_loss_of_alexnet() {
    let config = Preset::AlexNet {
        classes: 10,
        in_channels: 1,
    };
    let sgd = OptimizerKind::sgd(3e-5);
    let (first, last) = loss_before_and_after(&config, &[2, 1, 224, 224], 4, sgd);
    assert!(
        last.is_finite() && last < 0.95 * first,
        "AlexNet: loss {first} → {last} after 4 SGD steps"
    );
}

/// Asserts the whole list of `(layer, output shape)` of `config` on `input`.
fn assert_stages(config: &Preset, input: [usize; 4], expected: &[(&str, &[usize])]) {
    let shapes = stage_shapes(config, input);
    let got: Vec<(&str, &[usize])> = shapes
        .iter()
        .map(|(n, s)| (n.as_str(), s.as_slice()))
        .collect();
    assert_eq!(got, expected, "{config:?}");
}

#[test]
fn every_stage_of_the_other_networks_has_the_notes_shape() {
    assert_stages(
        &Preset::SimpleConvNet,
        [2, 1, 28, 28],
        &[
            ("conv1", &[2, 30, 24, 24]),
            ("relu1", &[2, 30, 24, 24]),
            ("pool1", &[2, 30, 12, 12]),
            ("affine1", &[2, 100]),
            ("relu2", &[2, 100]),
            ("affine2", &[2, 10]),
        ],
    );
    assert_stages(
        &Preset::DoubleConvNet,
        [2, 1, 28, 28],
        &[
            ("conv1", &[2, 10, 24, 24]),
            ("relu1", &[2, 10, 24, 24]),
            ("pool1", &[2, 10, 12, 12]),
            ("conv2", &[2, 20, 12, 12]),
            ("relu2", &[2, 20, 12, 12]),
            ("pool2", &[2, 20, 6, 6]),
            ("affine1", &[2, 100]),
            ("relu3", &[2, 100]),
            ("affine2", &[2, 10]),
        ],
    );
    let mlp = MultiLayerNetConfig::new(784, &[40, 20], 10)
        .activation(Activation::Relu)
        .batch_norm(true)
        .dropout(0.2);
    assert_stages(
        &Preset::MultiLayerNet(mlp),
        [2, 1, 28, 28],
        &[
            ("affine1", &[2, 40]),
            ("batchnorm1", &[2, 40]),
            ("relu1", &[2, 40]),
            ("dropout1", &[2, 40]),
            ("affine2", &[2, 20]),
            ("batchnorm2", &[2, 20]),
            ("relu2", &[2, 20]),
            ("dropout2", &[2, 20]),
            ("affine3", &[2, 10]),
        ],
    );
    let keras = Preset::KerasCnn(KerasCnnConfig {
        in_channels: 3,
        image_size: 32,
        classes: 10,
        activity_penalty: Some((1e-4, 1e-4)),
        dropout: Some(0.5),
        norm: Some(NormKind::BatchNorm),
    });
    assert_stages(
        &keras,
        [2, 3, 32, 32],
        &[
            ("conv1", &[2, 32, 32, 32]),
            ("relu1", &[2, 32, 32, 32]),
            ("batchnorm", &[2, 32, 32, 32]),
            ("conv2", &[2, 32, 30, 30]),
            ("relu2", &[2, 32, 30, 30]),
            ("pool1", &[2, 32, 15, 15]),
            ("flatten", &[2, 7200]),
            ("dense1", &[2, 512]),
            ("relu3", &[2, 512]),
            ("activity", &[2, 512]),
            ("dropout", &[2, 512]),
            ("dense2", &[2, 10]),
        ],
    );
}

#[test]
fn alexnet_middle_stages_follow_torchvision_for_any_input_channels() {
    let config = Preset::AlexNet {
        classes: 10,
        in_channels: 1,
    };
    let shapes = stage_shapes(&config, [1, 1, 224, 224]);
    let get = |name: &str| shape_of(&shapes, name);
    assert_eq!(get("conv1"), vec![1, 64, 55, 55]);
    assert_eq!(get("conv2"), vec![1, 192, 27, 27]);
    assert_eq!(get("conv3"), vec![1, 384, 13, 13]);
    assert_eq!(get("conv4"), vec![1, 256, 13, 13]);
    assert_eq!(get("flatten"), vec![1, 9216]);
    assert_eq!(get("linear1"), vec![1, 4096]);
    assert_eq!(get("linear2"), vec![1, 4096]);
    assert_eq!(get("linear3"), vec![1, 10]);
}

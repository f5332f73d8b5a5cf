//! The crates as a library: a network built with the builder, holding every layer type, saves
//! and loads back bit-identically; the builder names the layer and the shapes of a mistake;
//! the summary and LeNet's stages match the notes.

use dl_layers::{Labels, Mode, Relu};
use dl_models::checkpoint::{self, CheckpointError};
use dl_models::{BuildError, LayerNormAxes, OptimizerKind, Preset, Sequential};
use dl_tensor::{Tensor, rng_from_seed};

/// Trains `net` for a few Adam steps on `x`, so weights and running statistics move.
fn train_a_little(net: &mut Sequential<f32>, x: &Tensor<f32>, classes: usize) {
    let labels: Vec<usize> = (0..x.shape()[0]).map(|i| i % classes).collect();
    let mut adam = OptimizerKind::adam(0.01).build::<f32>();
    for _ in 0..3 {
        let loss = net.loss(x, Labels::Index(&labels), Mode::Train);
        assert!(loss.is_finite());
        net.backward();
        net.update(adam.as_mut());
    }
}

/// Saves `net`, loads it back without naming the architecture, and compares eval-mode scores
/// bit for bit.
fn assert_round_trip(mut net: Sequential<f32>, x: &Tensor<f32>, classes: usize) {
    train_a_little(&mut net, x, classes);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mine.safetensors");
    checkpoint::save(&mut net, &path).unwrap();
    let mut back = checkpoint::load::<f32>(&path).unwrap();
    assert_eq!(back.spec().unwrap(), net.spec().unwrap());
    assert_eq!(back.names(), net.names());
    let before = net.forward(x, Mode::Eval).to_vec();
    let after = back.forward(x, Mode::Eval).to_vec();
    assert_eq!(
        before.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
        after.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
    );
}

#[test]
fn a_network_with_every_layer_type_saves_and_loads_bit_identically() {
    let net = Sequential::builder([2, 8, 8])
        .conv(4, 3)
        .pad(1)
        .batch_norm_keras()
        .relu()
        .instance_norm()
        .layer_norm(LayerNormAxes::Channels)
        .max_pool(2)
        .conv(6, 3)
        .pad(1)
        .tanh()
        .avg_pool(2)
        .layer_norm(LayerNormAxes::AllAxes)
        .sigmoid()
        .flatten()
        .affine(16)
        .batch_norm()
        .relu()
        .dropout(0.3)
        .activity_penalty(1e-3, 1e-3)
        .affine(5)
        .build::<f32>(3)
        .unwrap();
    let x = Tensor::randn([6, 2, 8, 8], 1.0, &mut rng_from_seed(4));
    assert_round_trip(net, &x, 5);

    for global in [true, false] {
        let b = Sequential::builder([3, 6, 6]).conv(5, 3).stride(2).relu();
        let b = if global {
            b.global_avg_pool()
        } else {
            b.global_max_pool()
        };
        let net = b.affine(4).build::<f32>(8).unwrap();
        let x = Tensor::randn([5, 3, 6, 6], 1.0, &mut rng_from_seed(9));
        assert_round_trip(net, &x, 4);
    }
}

#[test]
fn every_preset_saves_and_loads_bit_identically() {
    let x = Tensor::randn([2, 1, 28, 28], 1.0, &mut rng_from_seed(5));
    for preset in [
        Preset::SimpleConvNet,
        Preset::DoubleConvNet,
        Preset::deep_conv_net(),
    ] {
        assert_round_trip(preset.build::<f32>(1), &x, 10);
    }
    let x = Tensor::randn([2, 1, 32, 32], 1.0, &mut rng_from_seed(6));
    assert_round_trip(Preset::LeNet.build::<f32>(1), &x, 10);
}

#[test]
fn builder_mistakes_name_the_layer_and_both_shapes() {
    let err = Sequential::builder([784])
        .affine(40)
        .relu()
        .conv(8, 3)
        .build::<f32>(0)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "layer 3 `conv1` (conv): expects an input of shape (C, H, W); it receives [40]"
    );

    let err = Sequential::builder([1, 4, 4])
        .max_pool(2)
        .max_pool(3)
        .build::<f32>(0)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "layer 2 `pool2` (pool): a window of 3 does not fit an axis of 2 padded by 0; it \
         receives [1, 2, 2]"
    );

    let err = Sequential::builder([1, 4, 4])
        .conv(2, 3)
        .relu()
        .pad(1)
        .spec()
        .unwrap_err();
    assert!(matches!(err, BuildError::Modifier { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "`pad` does not apply to layer 2 `relu1` (relu)"
    );

    let err = Sequential::builder([4])
        .affine(3)
        .name("fc")
        .affine(2)
        .name("fc")
        .spec()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "two layers are named `fc` (layers 1 and 2)"
    );

    let err = Sequential::builder([4]).dropout(1.0).spec().unwrap_err();
    assert!(err.to_string().contains("[0, 1)"), "{err}");
    let err = Sequential::builder([0, 3]).relu().spec().unwrap_err();
    assert!(matches!(err, BuildError::Input { .. }), "{err:?}");
}

#[test]
fn lenet_has_61_706_parameters_and_the_notes_stages() {
    let mut net = Preset::LeNet.build::<f32>(0);
    let summary = net.summary();
    assert_eq!(summary.total_params, 61_706);
    let stages: Vec<(&str, Vec<usize>, usize)> = summary
        .rows
        .iter()
        .map(|r| (r.name.as_str(), r.output.clone().unwrap(), r.params))
        .collect();
    assert_eq!(
        stages,
        [
            ("conv1", vec![6, 28, 28], 156),
            ("relu1", vec![6, 28, 28], 0),
            ("pool1", vec![6, 14, 14], 0),
            ("conv2", vec![16, 10, 10], 2_416),
            ("relu2", vec![16, 10, 10], 0),
            ("pool2", vec![16, 5, 5], 0),
            ("flatten1", vec![400], 0),
            ("affine1", vec![120], 48_120),
            ("relu3", vec![120], 0),
            ("affine2", vec![84], 10_164),
            ("relu4", vec![84], 0),
            ("affine3", vec![10], 850),
        ]
    );
    // The summary's shapes are what a forward pass really produces.
    let x = Tensor::zeros([3, 1, 32, 32]);
    for ((_, _, traced), row) in net.trace_shapes(&x, Mode::Eval).iter().zip(&summary.rows) {
        assert_eq!(traced[1..], row.output.clone().unwrap()[..]);
    }
    let text = summary.to_string();
    assert!(text.contains("total parameters: 61,706"), "{text}");
    assert!(text.contains("(N, 16, 5, 5)"), "{text}");
}

#[test]
fn the_presets_declared_stored_values_equal_what_they_store() {
    for preset in [
        Preset::deep_conv_net(),
        Preset::LeNet,
        Preset::SimpleConvNet,
    ] {
        let spec = preset.spec().unwrap();
        let mut net = spec.build::<f32>(0).unwrap();
        let mut stored = 0;
        net.visit_params(&mut |p| stored += p.value.len());
        net.visit_buffers(&mut |b| stored += b.value.len());
        assert_eq!(
            spec.stored_values().unwrap(),
            Some(stored as u64),
            "{preset:?}"
        );
    }
}

#[test]
fn a_hand_pushed_layer_is_refused_by_save_with_its_name() {
    let mut net = Sequential::builder([4]).affine(3).build::<f32>(0).unwrap();
    net.push("mine", Relu::<f32>::new());
    let dir = tempfile::tempdir().unwrap();
    let err = checkpoint::save(&mut net, &dir.path().join("x.safetensors")).unwrap_err();
    assert!(
        matches!(err, CheckpointError::Undescribed { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("`mine`"), "{err}");
}

#[test]
fn layers_are_reachable_by_name_and_replaceable() {
    let mut net = Preset::deep_conv_net().build::<f32>(0);
    assert_eq!(net.names()[0], "conv1");
    assert!(
        net.get("dropout2")
            .unwrap()
            .describe()
            .starts_with("Dropout")
    );
    let mut filters = 0;
    net.get_mut("conv6")
        .unwrap()
        .visit_params(&mut |p| filters += p.value.len());
    assert_eq!(filters, 64 * 64 * 9 + 64);
    // The logits' dropout swapped for a ReLU: the network no longer matches its description.
    let old = net.replace("dropout2", Relu::<f32>::new()).unwrap();
    assert!(old.describe().starts_with("Dropout"));
    assert!(net.spec().is_err());
    assert!(net.replace("no-such-layer", Relu::<f32>::new()).is_none());
    let convs = net
        .iter()
        .filter(|(_, l)| l.describe().starts_with("Conv"))
        .count();
    assert_eq!(convs, 6);
    let mut weights = 0;
    for (_, layer) in net.iter_mut() {
        layer.visit_params(&mut |p| weights += p.value.len());
    }
    assert_eq!(weights, 123_552);
}

//! Checkpoints: a round trip restores every parameter and buffer exactly, and each kind of bad
//! file gets an error that names the file and what was expected.

use std::path::Path;

use dl_layers::{Labels, Mode};
use dl_models::checkpoint::{self, CheckpointError};
use dl_models::{MultiLayerNetConfig, OptimizerKind, Preset, Sequential};
use dl_tensor::{Tensor, rng_from_seed};

fn mlp(batch_norm: bool) -> Preset {
    Preset::MultiLayerNet(MultiLayerNetConfig::new(12, &[8, 6], 4).batch_norm(batch_norm))
}

/// A network trained for a few steps, so parameters and BatchNorm's running statistics are
/// no longer their initial values.
fn trained(config: &Preset) -> Sequential<f32> {
    let mut net = config.build::<f32>(1);
    let x = Tensor::randn([10, 12], 1.0, &mut rng_from_seed(2));
    let labels = [0usize, 1, 2, 3, 0, 1, 2, 3, 0, 1];
    let mut opt = OptimizerKind::adam(0.05).build::<f32>();
    for _ in 0..5 {
        net.loss(&x, Labels::Index(&labels), Mode::Train);
        net.backward();
        net.update(opt.as_mut());
    }
    net
}

fn everything(net: &mut Sequential<f32>) -> Vec<(String, Vec<f32>)> {
    let mut out = Vec::new();
    net.visit_params(&mut |p| out.push((p.full_name(), p.value.to_vec())));
    net.visit_buffers(&mut |b| out.push((format!("{}.{}", b.layer, b.name), b.value.to_vec())));
    out
}

#[test]
fn round_trip_restores_parameters_buffers_and_predictions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("net.safetensors");
    let mut net = trained(&mlp(true));
    checkpoint::save(&mut net, &path).unwrap();

    let mut loaded = checkpoint::load::<f32>(&path).unwrap();
    assert_eq!(loaded.spec().unwrap(), net.spec().unwrap());
    let saved = everything(&mut net);
    assert!(saved.iter().any(|(n, _)| n.ends_with("running_mean")));
    assert_eq!(everything(&mut loaded), saved);

    let x = Tensor::randn([5, 12], 1.0, &mut rng_from_seed(9));
    assert_eq!(loaded.forward(&x, Mode::Eval), net.forward(&x, Mode::Eval));

    // load_into a freshly built network of the same configuration.
    let mut fresh = mlp(true).build::<f32>(77);
    assert_ne!(everything(&mut fresh), saved);
    checkpoint::load_into(&mut fresh, &path).unwrap();
    assert_eq!(everything(&mut fresh), saved);
    // No temporary file is left behind.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

fn message(err: CheckpointError) -> String {
    err.to_string()
}

#[test]
fn checkpoint_of_another_model_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bn.safetensors");
    checkpoint::save(&mut trained(&mlp(true)), &path).unwrap();
    let mut other = mlp(false).build::<f32>(0);
    let err = checkpoint::load_into(&mut other, &path).unwrap_err();
    assert!(matches!(err, CheckpointError::ConfigMismatch { .. }));
    let text = message(err);
    assert!(
        text.contains("bn.safetensors") && text.contains("another model"),
        "{text}"
    );
}

#[test]
fn missing_file_names_the_path() {
    let err = checkpoint::load::<f32>(Path::new("/no/such/dir/net.safetensors"))
        .map(|_| ())
        .unwrap_err();
    assert!(matches!(err, CheckpointError::Io { .. }));
    assert!(message(err).contains("/no/such/dir/net.safetensors"));
}

#[test]
fn corrupt_and_truncated_files_are_format_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("net.safetensors");
    checkpoint::save(&mut trained(&mlp(false)), &path).unwrap();
    let bytes = std::fs::read(&path).unwrap();

    for (what, data) in [
        ("empty", Vec::new()),
        ("text", b"hello, world".to_vec()),
        ("truncated", bytes[..bytes.len() - 10].to_vec()),
    ] {
        let err = checkpoint::from_bytes::<f32>(&data, &path)
            .map(|_| ())
            .unwrap_err();
        assert!(
            matches!(err, CheckpointError::Format { .. }),
            "{what}: {err:?}"
        );
        assert!(message(err).contains("net.safetensors"), "{what}");
    }
}

#[test]
fn wrong_element_type_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f32.safetensors");
    checkpoint::save(&mut trained(&mlp(false)), &path).unwrap();
    let err = checkpoint::load::<f64>(&path).map(|_| ()).unwrap_err();
    assert!(matches!(err, CheckpointError::Dtype { .. }), "{err:?}");
    let text = message(err);
    assert!(text.contains("F32") && text.contains("F64"), "{text}");
}

#[test]
fn a_file_without_our_metadata_is_refused() {
    let data: Vec<u8> = vec![0; 16];
    let view =
        safetensors::tensor::TensorView::new(safetensors::Dtype::F32, vec![4], &data).unwrap();
    let bytes = safetensors::serialize(vec![("w", view)], None).unwrap();
    let err = checkpoint::from_bytes::<f32>(&bytes, Path::new("foreign.safetensors"))
        .map(|_| ())
        .unwrap_err();
    assert!(
        matches!(err, CheckpointError::MissingConfig { .. }),
        "{err:?}"
    );
    assert!(message(err).contains("foreign.safetensors"));
}

/// A checkpoint-shaped file whose metadata holds `config` (as JSON) and one small tensor.
fn with_config(config: &str) -> Vec<u8> {
    let data: Vec<u8> = vec![0; 16];
    let view =
        safetensors::tensor::TensorView::new(safetensors::Dtype::F32, vec![4], &data).unwrap();
    let meta =
        std::collections::HashMap::from([(checkpoint::CONFIG_KEY.to_string(), config.to_string())]);
    safetensors::serialize(vec![("w", view)], Some(meta)).unwrap()
}

#[test]
fn a_configuration_larger_than_the_file_is_refused_before_building() {
    // 10^6 × 10^6 weights announced by a 100-byte file: refused without allocating them.
    let huge = r#"{"model":"multi_layer_net","input_size":1000000,"hidden_sizes":[1000000],"output_size":10,"activation":"relu","init":"he","batch_norm":false,"dropout":null,"weight_penalty":null}"#;
    let err = checkpoint::from_bytes::<f32>(&with_config(huge), Path::new("huge.safetensors"))
        .map(|_| ())
        .unwrap_err();
    assert!(matches!(err, CheckpointError::TooLarge { .. }), "{err:?}");
    assert!(message(err).contains("huge.safetensors"));

    let zero = huge.replace("[1000000]", "[0]");
    let err = checkpoint::from_bytes::<f32>(&with_config(&zero), Path::new("zero.safetensors"))
        .map(|_| ())
        .unwrap_err();
    assert!(matches!(err, CheckpointError::BadConfig { .. }), "{err:?}");
    assert!(message(err).contains("affine1"));
}

/// A checkpoint of the trained 12-8-6-4 MLP, re-serialized after `edit` changed its tensor
/// list `(name, shape, bytes)`; the configuration metadata is kept.
fn rewritten(edit: impl FnOnce(&mut Vec<(String, Vec<usize>, Vec<u8>)>)) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("net.safetensors");
    checkpoint::save(&mut trained(&mlp(false)), &path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let (_, meta) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    let file = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let mut tensors: Vec<(String, Vec<usize>, Vec<u8>)> = file
        .tensors()
        .into_iter()
        .map(|(n, v)| (n, v.shape().to_vec(), v.data().to_vec()))
        .collect();
    edit(&mut tensors);
    let views: Vec<(String, safetensors::tensor::TensorView<'_>)> = tensors
        .iter()
        .map(|(n, s, d)| {
            let view = safetensors::tensor::TensorView::new(safetensors::Dtype::F32, s.clone(), d);
            (n.clone(), view.unwrap())
        })
        .collect();
    safetensors::serialize(views, meta.metadata().clone()).unwrap()
}

#[test]
fn a_tensor_of_another_shape_is_named_with_both_shapes() {
    let mut swapped = String::new();
    let bytes = rewritten(|tensors| {
        let (name, shape, _) = tensors.iter_mut().find(|t| t.1 == [12, 8]).unwrap();
        shape.reverse();
        swapped = name.clone();
    });
    let err = checkpoint::from_bytes::<f32>(&bytes, Path::new("reshaped.safetensors"))
        .map(|_| ())
        .unwrap_err();
    assert!(matches!(err, CheckpointError::Shape { .. }), "{err:?}");
    let text = message(err);
    for part in ["reshaped.safetensors", &swapped, "[12, 8]", "[8, 12]"] {
        assert!(text.contains(part), "`{part}` missing from: {text}");
    }
}

#[test]
fn a_missing_or_extra_tensor_is_named() {
    let mut removed = String::new();
    let bytes = rewritten(|tensors| {
        let smallest = (0..tensors.len())
            .min_by_key(|&i| tensors[i].2.len())
            .unwrap();
        removed = tensors.remove(smallest).0;
    });
    let err = checkpoint::from_bytes::<f32>(&bytes, Path::new("short.safetensors"))
        .map(|_| ())
        .unwrap_err();
    assert!(
        matches!(err, CheckpointError::MissingTensor { .. }),
        "{err:?}"
    );
    let text = message(err);
    assert!(
        text.contains(&removed) && text.contains("short.safetensors"),
        "{text}"
    );

    let bytes = rewritten(|tensors| tensors.push(("extra.W".into(), vec![2], vec![0; 8])));
    let err = checkpoint::from_bytes::<f32>(&bytes, Path::new("long.safetensors"))
        .map(|_| ())
        .unwrap_err();
    assert!(
        matches!(err, CheckpointError::UnexpectedTensor { .. }),
        "{err:?}"
    );
    assert!(message(err).contains("extra.W"));
}

#[test]
fn a_tensor_name_listed_twice_is_refused_by_name() {
    let good = rewritten(|_| {});
    let header_len = u64::from_le_bytes(good[..8].try_into().unwrap()) as usize;
    let header = std::str::from_utf8(&good[8..8 + header_len]).unwrap();
    // Repeat the first tensor's entry under its own name: same offsets, so the safetensors
    // crate alone would accept the file.
    let start = header.find("\"affine1.W\":").unwrap();
    let end = start + header[start..].find('}').unwrap() + 1;
    let doubled = format!("{{{},{}", &header[start..end], &header[1..]);
    let mut bytes = (doubled.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(doubled.as_bytes());
    bytes.extend_from_slice(&good[8 + header_len..]);
    let err = checkpoint::from_bytes::<f32>(&bytes, Path::new("twice.safetensors"))
        .map(|_| ())
        .unwrap_err();
    assert!(
        matches!(err, CheckpointError::DuplicateTensor { .. }),
        "{err:?}"
    );
    assert!(message(err).contains("affine"));
}

#[test]
fn negative_strengths_in_a_description_are_refused_with_the_value() {
    let bad = [
        (r#""weight_penalty":{"l2":{"lambda":-0.1}}"#, "-0.1"),
        (
            r#""weight_penalty":{"l1":{"lambda":1e400}}"#,
            "number out of range",
        ),
    ];
    for (penalty, expected) in bad {
        let config = format!(
            r#"{{"model":"multi_layer_net","input_size":4,"hidden_sizes":[],"output_size":2,"activation":"relu","init":"he","batch_norm":false,"dropout":null,{penalty}}}"#
        );
        let err =
            checkpoint::from_bytes::<f32>(&with_config(&config), Path::new("neg.safetensors"))
                .map(|_| ())
                .unwrap_err();
        assert!(matches!(err, CheckpointError::BadConfig { .. }), "{err:?}");
        assert!(message(err).contains(expected), "{expected}");
    }
    let spec =
        r#"{"input":[4],"layers":[{"name":"a","type":"activity_penalty","l1":-1.0,"l2":0.0}]}"#;
    let data: Vec<u8> = vec![0; 16];
    let view =
        safetensors::tensor::TensorView::new(safetensors::Dtype::F32, vec![4], &data).unwrap();
    let meta =
        std::collections::HashMap::from([(checkpoint::SPEC_KEY.to_string(), spec.to_string())]);
    let bytes = safetensors::serialize(vec![("w", view)], Some(meta)).unwrap();
    let err = checkpoint::from_bytes::<f32>(&bytes, Path::new("act.safetensors"))
        .map(|_| ())
        .unwrap_err();
    assert!(message(err).contains("the L1 strength must be finite and non-negative, got -1"));
}

#[test]
fn a_header_padded_with_spaces_does_not_make_room_for_a_bigger_model() {
    // 2,000 × 2,000 weights (4 M values, 16 MB) announced by a file of 16 bytes of tensor data
    // and a header padded to 20 MB: the bound counts the data, not the file.
    let config = r#"{"model":"multi_layer_net","input_size":2000,"hidden_sizes":[],"output_size":2000,"activation":"relu","init":"he","batch_norm":false,"dropout":null,"weight_penalty":null}"#;
    let bytes = with_config(config);
    let header_len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let mut header = bytes[8..8 + header_len].to_vec();
    header.resize(20 << 20, b' ');
    let mut padded = (header.len() as u64).to_le_bytes().to_vec();
    padded.extend_from_slice(&header);
    padded.extend_from_slice(&bytes[8 + header_len..]);
    let err = checkpoint::from_bytes::<f32>(&padded, Path::new("padded.safetensors"))
        .map(|_| ())
        .unwrap_err();
    let CheckpointError::TooLarge {
        needed, available, ..
    } = err
    else {
        panic!("{err:?}")
    };
    assert_eq!((needed, available), (2000 * 2000 + 2000, 4));
}

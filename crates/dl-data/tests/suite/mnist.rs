//! The real MNIST (in the repository's `datasets/mnist/`) against the facts its README states,
//! and Fashion-MNIST when Debian's package is installed.

use std::path::PathBuf;
use std::sync::OnceLock;

use dl_data::{
    DataError, DatasetName, LoadOptions, Splits, load_dir, load_fashion_mnist, load_mnist,
    repository_data_dir,
};

fn mnist_dir() -> PathBuf {
    repository_data_dir().join("mnist")
}

/// Loaded once per test binary, with the default options (checksums verified).
fn mnist() -> &'static Splits {
    static DATA: OnceLock<Splits> = OnceLock::new();
    DATA.get_or_init(|| load_mnist(&LoadOptions::default()).expect("MNIST is in datasets/mnist/"))
}

#[test]
fn shapes_and_location() {
    let s = mnist();
    assert_eq!(s.name, DatasetName::Mnist);
    assert_eq!(s.train.images.shape(), &[60_000, 784]);
    assert_eq!(s.test.images.shape(), &[10_000, 784]);
    assert_eq!(s.train.labels.len(), 60_000);
    assert_eq!(s.test.labels.len(), 10_000);
    assert!(
        s.describe().contains("60000 train / 10000 test"),
        "{}",
        s.describe()
    );
}

#[test]
fn label_counts_match_the_readme() {
    let s = mnist();
    assert_eq!(
        s.train.class_counts(),
        vec![5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    );
    assert_eq!(
        s.test.class_counts(),
        vec![980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    );
}

#[test]
fn train_pixel_mean_and_std_match_the_readme() {
    let x = mnist().train.images.as_slice();
    let n = x.len() as f64;
    let mean = x.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let var = x
        .iter()
        .map(|&v| (f64::from(v) - mean).powi(2))
        .sum::<f64>()
        / n;
    let std = var.sqrt();
    // The README gives 0.1307 / 0.3081 to 4 decimals.
    assert!((mean - 0.1307).abs() < 5e-5, "mean {mean}");
    assert!((std - 0.3081).abs() < 5e-5, "std {std}");
    assert!(x.iter().all(|&v| (0.0..=1.0).contains(&v)));
}

#[test]
fn unflattened_raw_one_hot_load() {
    let opts = LoadOptions::default()
        .flatten(false)
        .normalize(false)
        .one_hot(true)
        .verify_checksums(false);
    let s = load_dir(DatasetName::Mnist, &mnist_dir(), &opts).unwrap();
    assert_eq!(s.test.images.shape(), &[10_000, 1, 28, 28]);
    let v = s.test.images.as_slice();
    assert!(
        v.iter()
            .all(|&p| p == p.round() && (0.0..=255.0).contains(&p))
    );
    assert_eq!(v.iter().cloned().fold(0.0f32, f32::max), 255.0);
    // The same pixels as the normalized load, times 255.
    let norm = mnist().test.images.as_slice();
    for i in (0..v.len()).step_by(997) {
        assert_eq!(norm[i], v[i] / 255.0);
    }
    let oh = s.test.one_hot_labels.as_ref().unwrap();
    assert_eq!(oh.shape(), &[10_000, 10]);
    let row_sums: Vec<f32> = oh.to_vec().chunks(10).map(|r| r.iter().sum()).collect();
    assert!(row_sums.iter().all(|&r| r == 1.0));
    for i in [0, 1, 9_999] {
        assert_eq!(oh.at(&[i, s.test.labels[i]]), 1.0);
    }
}

#[test]
fn first_300_500_5000_are_the_first_rows() {
    let s = mnist();
    for n in [300, 500, 5000] {
        let sub = s.train.take_first(n);
        assert_eq!(sub.images.shape(), &[n, 784]);
        assert_eq!(sub.labels, s.train.labels[..n]);
        let (x, _) = s.train.batch(&[n - 1]);
        assert_eq!(sub.images.index_axis(0, n - 1).to_vec(), x.to_vec());
    }
}

#[test]
fn a_modified_copy_fails_its_checksum() {
    // Decompress the training labels into a temporary copy of the folder and change one label
    // to another valid one (same length), keeping SHA256SUMS: the load must fail with Checksum.
    use std::io::Read;
    let src = mnist_dir();
    let tmp = tempfile::tempdir().unwrap();
    for f in [
        "SHA256SUMS",
        "train-images-idx3-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ] {
        std::fs::copy(src.join(f), tmp.path().join(f)).unwrap();
    }
    let gz = std::fs::read(src.join("train-labels-idx1-ubyte.gz")).unwrap();
    let mut labels = Vec::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut labels)
        .unwrap();
    assert_eq!(labels.len(), 8 + 60_000);
    labels[8 + 123] = (labels[8 + 123] + 1) % 10;
    let raw = tmp.path().join("train-labels-idx1-ubyte");
    std::fs::write(&raw, &labels).unwrap();
    let err = load_dir(DatasetName::Mnist, tmp.path(), &LoadOptions::default()).unwrap_err();
    match &err {
        DataError::Checksum { path, expected, .. } => {
            assert_eq!(path, &raw);
            assert_eq!(
                expected,
                "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"
            );
        }
        other => panic!("expected Checksum, got {other}"),
    }
}

#[test]
fn fashion_mnist_when_installed() {
    let opts = LoadOptions::default();
    match load_fashion_mnist(&opts) {
        Ok(s) => {
            assert_eq!(s.train.images.shape(), &[60_000, 784]);
            assert_eq!(s.test.images.shape(), &[10_000, 784]);
            // Fashion-MNIST is balanced: 6,000 training and 1,000 test images per class.
            assert_eq!(s.train.class_counts(), vec![6000; 10]);
            assert_eq!(s.test.class_counts(), vec![1000; 10]);
        }
        Err(DataError::NotFound { .. }) => {
            eprintln!(
                "Fashion-MNIST not installed (apt-get install dataset-fashion-mnist): skipped"
            );
        }
        Err(e) => panic!("{e}"),
    }
}

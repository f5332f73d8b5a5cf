//! The MNIST-format loader's options, search and checksum check, on small synthetic folders.

use crate::common::{self, handmade, mnist_pixel, write, write_mnist_dir};
use dl_data::{DataError, DatasetName, LoadOptions, SearchPath, load, load_dir, sha256_hex};

#[test]
fn default_options_are_the_courses_normalized_flat_index_labels() {
    let dir = tempfile::tempdir().unwrap();
    write_mnist_dir(dir.path(), &[5, 0, 4], &[1, 9]);
    let s = load_dir(DatasetName::Mnist, dir.path(), &handmade()).unwrap();
    assert_eq!(s.train.images.shape(), &[3, 784]);
    assert_eq!(s.test.images.shape(), &[2, 784]);
    assert_eq!(s.train.labels, vec![5, 0, 4]);
    assert_eq!(s.test.labels, vec![1, 9]);
    assert_eq!(s.train.classes, 10);
    assert!(s.train.one_hot_labels.is_none());
    // Image 2, pixel 100 is (7·2 + 3·100) mod 256 = 58, divided by 255.
    let v = s.train.images.at(&[2, 100]);
    assert_eq!(v, 58.0f32 / 255.0);
    let all = s.train.images.to_vec();
    assert!(all.iter().all(|&x| (0.0..=1.0).contains(&x)));
}

#[test]
fn raw_values_unflattened_and_one_hot() {
    let dir = tempfile::tempdir().unwrap();
    write_mnist_dir(dir.path(), &[5, 0, 4], &[1, 9]);
    let opts = handmade().normalize(false).flatten(false).one_hot(true);
    let s = load_dir(DatasetName::Mnist, dir.path(), &opts).unwrap();
    assert_eq!(s.train.images.shape(), &[3, 1, 28, 28]);
    for (i, y, x) in [(0, 0, 0), (1, 3, 5), (2, 27, 27)] {
        let p = y * 28 + x;
        assert_eq!(
            s.train.images.at(&[i, 0, y, x]),
            f32::from(mnist_pixel(i, p))
        );
    }
    let oh = s.test.one_hot_labels.as_ref().unwrap();
    assert_eq!(oh.shape(), &[2, 10]);
    let mut expected = vec![0.0f32; 20];
    expected[1] = 1.0;
    expected[10 + 9] = 1.0;
    assert_eq!(oh.to_vec(), expected);
}

#[test]
fn the_given_folder_comes_first_and_may_be_a_root() {
    let root = tempfile::tempdir().unwrap();
    let mnist = root.path().join("mnist");
    std::fs::create_dir(&mnist).unwrap();
    write_mnist_dir(&mnist, &[7], &[3]);
    // Given as the root holding mnist/ …
    let s = load(DatasetName::Mnist, &handmade().data_dir(root.path())).unwrap();
    assert_eq!(s.dir, mnist);
    assert_eq!(s.train.labels, vec![7]);
    // … or as the dataset folder itself.
    let s = load(DatasetName::Mnist, &handmade().data_dir(&mnist)).unwrap();
    assert_eq!(s.dir, mnist);
    // As $DL_DATA_DIR (passed explicitly: tests do not change the process environment).
    let search = SearchPath::standard_with_env(None, Some(root.path()));
    assert_eq!(search.locate(DatasetName::Mnist).unwrap(), mnist);
}

#[test]
fn uncompressed_file_is_preferred_when_both_exist() {
    let dir = tempfile::tempdir().unwrap();
    write_mnist_dir(dir.path(), &[1, 2], &[3]);
    // A .gz twin of the raw training labels with other labels: the raw one wins.
    let (_, other) = common::mnist_pair(&[8, 8]);
    write(
        dir.path(),
        "train-labels-idx1-ubyte.gz",
        &common::gzip(&other),
    );
    let s = load_dir(DatasetName::Mnist, dir.path(), &handmade()).unwrap();
    assert_eq!(s.train.labels, vec![1, 2]);
}

/// SHA256SUMS lines for the synthetic folder, from the decompressed contents.
fn sums_for(train: &[u8], test: &[u8]) -> String {
    let (ti, tl) = common::mnist_pair(train);
    let (vi, vl) = common::mnist_pair(test);
    format!(
        "{}  train-images-idx3-ubyte\n{}  train-labels-idx1-ubyte\n{}  t10k-images-idx3-ubyte\n{}  t10k-labels-idx1-ubyte\n",
        sha256_hex(&ti),
        sha256_hex(&tl),
        sha256_hex(&vi),
        sha256_hex(&vl)
    )
}

#[test]
fn checksums_are_checked_on_decompressed_content_when_listed() {
    let dir = tempfile::tempdir().unwrap();
    write_mnist_dir(dir.path(), &[1, 2], &[3]);
    write(dir.path(), "SHA256SUMS", sums_for(&[1, 2], &[3]).as_bytes());
    load_dir(DatasetName::Mnist, dir.path(), &handmade()).unwrap();

    // Same length, one label changed (still in range): only the checksum can tell.
    let (_, changed) = common::mnist_pair(&[1, 3]);
    let p = write(dir.path(), "train-labels-idx1-ubyte", &changed);
    let err = load_dir(DatasetName::Mnist, dir.path(), &handmade()).unwrap_err();
    match &err {
        DataError::Checksum {
            path,
            expected,
            actual,
        } => {
            assert_eq!(path, &p);
            assert_eq!(expected, &sha256_hex(&common::mnist_pair(&[1, 2]).1));
            assert_eq!(actual, &sha256_hex(&changed));
        }
        other => panic!("expected Checksum, got {other}"),
    }
    // With verification off it loads (the labels are valid).
    let s = load_dir(
        DatasetName::Mnist,
        dir.path(),
        &LoadOptions::default().verify_checksums(false),
    )
    .unwrap();
    assert_eq!(s.train.labels, vec![1, 3]);
}

#[test]
fn a_malformed_checksum_list_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    write_mnist_dir(dir.path(), &[1], &[3]);
    let p = write(dir.path(), "SHA256SUMS", b"not a checksum line\n");
    let err = load_dir(DatasetName::Mnist, dir.path(), &handmade()).unwrap_err();
    assert!(
        matches!(err, DataError::BadChecksumList { line: 1, .. }),
        "{err}"
    );
    assert!(err.to_string().contains(&p.display().to_string()));
}

//! Every kind of corrupt input against the error it must give; every error names the file.

use std::path::Path;

use crate::common::{gzip, handmade, idx_bytes, mnist_pair, write, write_mnist_dir};
use dl_data::{DataError, DatasetName, SearchPath, load_dir, read_idx, read_idx_with_limit};

fn assert_names(err: &DataError, path: &Path) {
    let text = err.to_string();
    assert!(
        text.contains(&path.display().to_string()),
        "error does not name {}: {text}",
        path.display()
    );
}

#[test]
fn empty_file_raw_and_gzip() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in [("empty", Vec::new()), ("empty.gz", gzip(&[]))] {
        let p = write(dir.path(), name, &bytes);
        let err = read_idx(&p).unwrap_err();
        assert!(matches!(err, DataError::Empty { .. }), "{name}: {err}");
        assert_names(&err, &p);
    }
}

#[test]
fn truncated_magic_and_dimensions() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "magic", &[0, 0, 8]);
    let err = read_idx(&p).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::Truncated {
                part: "header",
                expected: 4,
                found: 3,
                ..
            }
        ),
        "{err}"
    );
    assert_names(&err, &p);

    // Rank 3 announces 4 + 12 header bytes; only 10 are there.
    let p = write(dir.path(), "dims", &[0, 0, 8, 3, 0, 0, 0, 1, 0, 0]);
    let err = read_idx(&p).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::Truncated {
                part: "header",
                expected: 16,
                found: 10,
                ..
            }
        ),
        "{err}"
    );
    assert_names(&err, &p);
}

#[test]
fn truncated_data_raw_and_gzip() {
    let dir = tempfile::tempdir().unwrap();
    // 2×2 u8 announces 4 data bytes; 3 are there.
    let file = idx_bytes(0x08, &[2, 2], &[1, 2, 3]);
    for (name, bytes) in [("short", file.clone()), ("short.gz", gzip(&file))] {
        let p = write(dir.path(), name, &bytes);
        let err = read_idx(&p).unwrap_err();
        assert!(
            matches!(
                err,
                DataError::Truncated {
                    part: "data",
                    expected: 4,
                    found: 3,
                    ..
                }
            ),
            "{name}: {err}"
        );
        assert_names(&err, &p);
    }
    // i32 elements: 2 announced (8 bytes), 7 bytes there.
    let p = write(dir.path(), "i32", &idx_bytes(0x0c, &[2], &[0; 7]));
    assert!(matches!(
        read_idx(&p).unwrap_err(),
        DataError::Truncated {
            expected: 8,
            found: 7,
            ..
        }
    ));
}

#[test]
fn trailing_data_is_a_length_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    let file = idx_bytes(0x08, &[2, 2], &[1, 2, 3, 4, 5]);
    for (name, bytes) in [("long", file.clone()), ("long.gz", gzip(&file))] {
        let p = write(dir.path(), name, &bytes);
        let err = read_idx(&p).unwrap_err();
        assert!(
            matches!(err, DataError::LengthMismatch { found: 5, .. }),
            "{name}: {err}"
        );
        assert_names(&err, &p);
    }
}

#[test]
fn wrong_magic_and_unknown_type() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in [
        ("nonzero", vec![1, 0, 8, 1, 0, 0, 0, 1, 7]),
        ("type0a", vec![0, 0, 0x0a, 1, 0, 0, 0, 1, 7]),
        ("text", b"P5\n28 28\n255\n".to_vec()),
    ] {
        let p = write(dir.path(), name, &bytes);
        let err = read_idx(&p).unwrap_err();
        assert!(matches!(err, DataError::BadMagic { .. }), "{name}: {err}");
        assert_names(&err, &p);
    }
}

#[test]
fn overflowing_dimensions_error_without_allocating() {
    let dir = tempfile::tempdir().unwrap();
    // (2^32 − 1)^3 > 2^64: the product overflows.
    let m = u32::MAX;
    let p = write(
        dir.path(),
        "overflow",
        &idx_bytes(0x08, &[m, m, m], &[0; 4]),
    );
    let err = read_idx(&p).unwrap_err();
    assert!(matches!(err, DataError::DimensionOverflow { .. }), "{err}");
    assert_names(&err, &p);
    // 8 · (2^32 − 1)^2 ≈ 1.5e20 > 2^64 ≈ 1.8e19: overflows only with the element size.
    let p = write(
        dir.path(),
        "overflow-f64",
        &idx_bytes(0x0e, &[m, m], &[0; 8]),
    );
    assert!(matches!(
        read_idx(&p).unwrap_err(),
        DataError::DimensionOverflow {
            element_size: 8,
            ..
        }
    ));
}

#[test]
fn a_header_claiming_4e9_images_fails_fast_on_a_tiny_file() {
    let dir = tempfile::tempdir().unwrap();
    // 4e9 × 28 × 28 = 3.136e12 bytes announced (3 TB), 100 present.
    let file = idx_bytes(0x08, &[4_000_000_000, 28, 28], &[9; 100]);
    for (name, bytes) in [("huge", file.clone()), ("huge.gz", gzip(&file))] {
        let p = write(dir.path(), name, &bytes);
        // Without a size limit, reading stops at the first short read: the 3 TB are never
        // allocated. (With the default limit the claim alone is refused: see `bounded`.)
        let err = read_idx_with_limit(&p, u64::MAX).unwrap_err();
        assert!(
            matches!(
                err,
                DataError::Truncated {
                    part: "data",
                    expected: 3_136_000_000_000,
                    found: 100,
                    ..
                }
            ),
            "{name}: {err}"
        );
        assert_names(&err, &p);
    }
}

#[test]
fn corrupt_and_cut_gzip_streams() {
    let dir = tempfile::tempdir().unwrap();
    // Varied data so the deflate stream is not trivial.
    let data: Vec<u8> = (0..20_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let gz = gzip(&idx_bytes(0x08, &[20_000], &data));

    let mut flipped = gz.clone();
    for b in &mut flipped[gz.len() / 2..gz.len() / 2 + 8] {
        *b ^= 0x5a;
    }
    let cut = gz[..gz.len() / 2].to_vec();
    let mut bad_header = gz.clone();
    bad_header[2] = 0x07; // compression method must be 8 (deflate)
    for (name, bytes) in [
        ("flipped.gz", flipped),
        ("cut.gz", cut),
        ("method.gz", bad_header),
    ] {
        let p = write(dir.path(), name, &bytes);
        let err = read_idx(&p).unwrap_err();
        assert!(matches!(err, DataError::Gzip { .. }), "{name}: {err}");
        assert_names(&err, &p);
    }
}

#[test]
fn labels_out_of_range() {
    let dir = tempfile::tempdir().unwrap();
    write_mnist_dir(dir.path(), &[3, 1], &[0, 9]);
    let (_, labels) = mnist_pair(&[3, 10]);
    let p = write(dir.path(), "train-labels-idx1-ubyte", &labels);
    let err = load_dir(DatasetName::Mnist, dir.path(), &handmade()).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::LabelOutOfRange {
                index: 1,
                label: 10,
                classes: 10,
                ..
            }
        ),
        "{err}"
    );
    assert_names(&err, &p);
}

#[test]
fn image_and_label_counts_differ() {
    let dir = tempfile::tempdir().unwrap();
    write_mnist_dir(dir.path(), &[1, 2, 3], &[0]);
    let (_, labels) = mnist_pair(&[1, 2]);
    let lp = write(dir.path(), "train-labels-idx1-ubyte", &labels);
    let err = load_dir(DatasetName::Mnist, dir.path(), &handmade()).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::CountMismatch {
                images: 3,
                labels: 2,
                ..
            }
        ),
        "{err}"
    );
    assert_names(&err, &lp);
    assert_names(&err, &dir.path().join("train-images-idx3-ubyte.gz"));
}

#[test]
fn wrong_file_kind_and_wrong_image_size() {
    let dir = tempfile::tempdir().unwrap();
    write_mnist_dir(dir.path(), &[1], &[0]);
    // An image file where the labels belong: u8 rank 3, not rank 1.
    let (images, _) = mnist_pair(&[1]);
    let p = write(dir.path(), "t10k-labels-idx1-ubyte.gz", &gzip(&images));
    let err = load_dir(DatasetName::Mnist, dir.path(), &handmade()).unwrap_err();
    match &err {
        DataError::BadMagic {
            expected, found, ..
        } => {
            assert!(expected.starts_with("00 00 08 01"), "{expected}");
            assert!(found.starts_with("00 00 08 03"), "{found}");
        }
        other => panic!("expected BadMagic, got {other}"),
    }
    assert_names(&err, &p);

    let dir = tempfile::tempdir().unwrap();
    write_mnist_dir(dir.path(), &[1], &[0]);
    let p = write(
        dir.path(),
        "t10k-images-idx3-ubyte",
        &idx_bytes(0x08, &[1, 32, 32], &[0; 1024]),
    );
    let err = load_dir(DatasetName::Mnist, dir.path(), &handmade()).unwrap_err();
    assert!(matches!(err, DataError::BadShape { .. }), "{err}");
    assert_names(&err, &p);
}

#[test]
fn missing_files_list_the_places_tried_and_how_to_get_them() {
    // Default places (not named by the user) are passed over when they lack the dataset.
    let root = tempfile::tempdir().unwrap();
    let other = tempfile::tempdir().unwrap();
    let search = SearchPath::empty()
        .with_root(other.path())
        .with_root(root.path());
    let err = search.locate(DatasetName::FashionMnist).unwrap_err();
    let DataError::NotFound { tried, .. } = &err else {
        panic!("expected NotFound, got {err}");
    };
    assert_eq!(
        tried,
        &vec![
            other.path().join("fashion-mnist"),
            root.path().join("fashion-mnist"),
        ]
    );
    let text = err.to_string();
    for p in tried {
        assert!(text.contains(&p.display().to_string()), "{text}");
    }
    assert!(
        text.contains("apt-get install dataset-fashion-mnist"),
        "{text}"
    );
    assert!(text.contains("cargo xtask fetch fashion-mnist"), "{text}");

    // A folder with only some of the files does not qualify; loading from it names the file.
    let partial = root.path().join("mnist");
    std::fs::create_dir(&partial).unwrap();
    write_mnist_dir(&partial, &[1], &[2]);
    std::fs::remove_file(partial.join("t10k-images-idx3-ubyte")).unwrap();
    assert!(
        SearchPath::empty()
            .with_root(root.path())
            .locate(DatasetName::Mnist)
            .is_err()
    );
    let err = load_dir(DatasetName::Mnist, &partial, &handmade()).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("t10k-images-idx3-ubyte.gz"), "{text}");
    assert!(text.contains("cargo xtask fetch mnist"), "{text}");
}

#[test]
fn a_missing_file_given_directly_is_an_io_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("nothing-here");
    let err = read_idx(&p).unwrap_err();
    assert!(matches!(err, DataError::Io { .. }), "{err}");
    assert_names(&err, &p);
}

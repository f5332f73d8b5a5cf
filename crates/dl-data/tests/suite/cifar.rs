//! CIFAR-10's binary format on files the tests generate.

use std::path::Path;

use crate::common::{CIFAR_FILES, cifar_file, cifar_label, cifar_pixel, gzip, write};
use dl_data::{
    DataError, DatasetName, LoadOptions, SearchPath, load_dir, read_cifar_batch, sha256_hex,
};

/// Writes the six files into `dir`, file f holding `sizes[f]` records; odd files gzip-compressed.
fn write_cifar(dir: &Path, sizes: [usize; 6]) {
    for (f, name) in CIFAR_FILES.iter().enumerate() {
        let bytes = cifar_file(f, sizes[f]);
        if f % 2 == 1 {
            write(dir, &format!("{name}.gz"), &gzip(&bytes));
        } else {
            write(dir, name, &bytes);
        }
    }
}

#[test]
fn loads_chw_images_and_labels_in_file_order() {
    let dir = tempfile::tempdir().unwrap();
    let sizes = [2, 1, 3, 1, 2, 3];
    write_cifar(dir.path(), sizes);
    let opts = LoadOptions::default().flatten(false).normalize(false);
    let s = load_dir(DatasetName::Cifar10, dir.path(), &opts).unwrap();
    assert_eq!(s.train.images.shape(), &[9, 3, 32, 32]);
    assert_eq!(s.test.images.shape(), &[3, 3, 32, 32]);

    // Sample order: file 0's records, then file 1's, …
    let mut n = 0;
    for f in 0..5 {
        for r in 0..sizes[f] {
            assert_eq!(s.train.labels[n], usize::from(cifar_label(f, r)));
            for (c, y, x) in [(0, 0, 0), (1, 5, 7), (2, 31, 31), (2, 0, 31)] {
                let p = c * 1024 + y * 32 + x;
                assert_eq!(
                    s.train.images.at(&[n, c, y, x]),
                    f32::from(cifar_pixel(f, r, p)),
                    "sample {n} (file {f}, record {r}) at {c},{y},{x}"
                );
            }
            n += 1;
        }
    }
    assert_eq!(
        s.test.labels,
        (0..3)
            .map(|r| usize::from(cifar_label(5, r)))
            .collect::<Vec<_>>()
    );
}

#[test]
fn normalized_flat_one_hot() {
    let dir = tempfile::tempdir().unwrap();
    write_cifar(dir.path(), [1; 6]);
    let s = load_dir(
        DatasetName::Cifar10,
        dir.path(),
        &LoadOptions::default().one_hot(true),
    )
    .unwrap();
    assert_eq!(s.train.images.shape(), &[5, 3072]);
    assert_eq!(
        s.train.images.at(&[4, 100]),
        f32::from(cifar_pixel(4, 0, 100)) / 255.0
    );
    assert_eq!(s.train.one_hot_labels.as_ref().unwrap().shape(), &[5, 10]);
}

#[test]
fn found_in_the_archive_subfolder() {
    let root = tempfile::tempdir().unwrap();
    let sub = root.path().join("cifar10").join("cifar-10-batches-bin");
    std::fs::create_dir_all(&sub).unwrap();
    write_cifar(&sub, [1; 6]);
    let search = SearchPath::empty().with_root(root.path());
    assert_eq!(search.locate(DatasetName::Cifar10).unwrap(), sub);
}

#[test]
fn length_not_a_multiple_of_3073() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = cifar_file(0, 2);
    bytes.pop();
    for (name, content) in [("short.bin", bytes.clone()), ("short.bin.gz", gzip(&bytes))] {
        let p = write(dir.path(), name, &content);
        let err = read_cifar_batch(&p).unwrap_err();
        assert!(
            matches!(err, DataError::LengthMismatch { found: 6145, .. }),
            "{name}: {err}"
        );
        assert!(err.to_string().contains("multiple of 3073"), "{err}");
        assert!(err.to_string().contains(&p.display().to_string()));
    }
}

#[test]
fn empty_file_and_bad_label() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "empty.bin", &[]);
    assert!(matches!(
        read_cifar_batch(&p).unwrap_err(),
        DataError::Empty { .. }
    ));

    let mut bytes = cifar_file(0, 3);
    bytes[2 * 3073] = 10; // label of record 2
    let p = write(dir.path(), "label.bin", &bytes);
    let err = read_cifar_batch(&p).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::LabelOutOfRange {
                index: 2,
                label: 10,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn checksum_of_a_batch_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    write_cifar(dir.path(), [1; 6]);
    let sums: String = CIFAR_FILES
        .iter()
        .enumerate()
        .map(|(f, name)| format!("{}  {name}\n", sha256_hex(&cifar_file(f, 1))))
        .collect();
    write(dir.path(), "SHA256SUMS", sums.as_bytes());
    let listed = sha256_hex(&cifar_file(5, 1));
    load_dir(DatasetName::Cifar10, dir.path(), &LoadOptions::default()).unwrap();

    let mut changed = cifar_file(5, 1);
    changed[500] ^= 1;
    let p = write(dir.path(), "test_batch.bin.gz", &gzip(&changed));
    std::fs::remove_file(dir.path().join("test_batch.bin")).ok();
    let err = load_dir(DatasetName::Cifar10, dir.path(), &LoadOptions::default()).unwrap_err();
    match err {
        DataError::Checksum {
            path,
            expected,
            actual,
        } => {
            assert_eq!(path, p);
            assert_eq!(expected, listed);
            assert_eq!(actual, sha256_hex(&changed));
        }
        other => panic!("expected Checksum, got {other}"),
    }
}

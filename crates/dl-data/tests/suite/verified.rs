//! Checksums that cover what is read: a folder's `SHA256SUMS` must list every file loaded, and
//! MNIST's and Fashion-MNIST's files must be the published ones, so that one dataset given as
//! the other, or hand-made data, is an error rather than a silent swap.

use std::path::{Path, PathBuf};

use crate::common::{CIFAR_FILES, cifar_file, handmade, mnist_pair, write, write_mnist_dir};
use dl_data::{
    DataError, DatasetName, IDX_FILES, LoadOptions, load_dir, repository_data_dir, sha256_hex,
};

/// The decompressed contents of the folder [`write_mnist_dir`] writes for `[1, 2]` / `[3]`, by
/// file name without `.gz`.
fn mnist_contents() -> Vec<(&'static str, Vec<u8>)> {
    let (ti, tl) = mnist_pair(&[1, 2]);
    let (vi, vl) = mnist_pair(&[3]);
    vec![
        ("train-images-idx3-ubyte", ti),
        ("train-labels-idx1-ubyte", tl),
        ("t10k-images-idx3-ubyte", vi),
        ("t10k-labels-idx1-ubyte", vl),
    ]
}

/// `SHA256SUMS` lines for `contents`, each name passed through `rename`.
fn sums(contents: &[(&str, Vec<u8>)], rename: impl Fn(&str) -> Option<String>) -> String {
    contents
        .iter()
        .filter_map(|(name, bytes)| rename(name).map(|n| format!("{}  {n}\n", sha256_hex(bytes))))
        .collect()
}

fn all_but(skip: &'static str) -> impl Fn(&str) -> Option<String> {
    move |n| (n != skip).then(|| n.to_string())
}

#[test]
fn every_file_read_must_be_listed() {
    let contents = mnist_contents();
    // write_mnist_dir gzips the training images and the test labels.
    let on_disk = |name: &str| match name {
        "train-images-idx3-ubyte" | "t10k-labels-idx1-ubyte" => format!("{name}.gz"),
        other => other.to_string(),
    };
    // (what, SHA256SUMS text, file named in the error, words of what the list holds)
    let cases: Vec<(String, String, &str, &str)> = IDX_FILES
        .iter()
        .map(|&f| {
            (
                format!("all but {f}"),
                sums(&contents, all_but(f)),
                f,
                "lines for ",
            )
        })
        .chain([
            (
                "an empty list".to_string(),
                String::new(),
                "train-images-idx3-ubyte",
                "an empty list",
            ),
            (
                "comments only".to_string(),
                "# nothing listed\n\n".to_string(),
                "train-images-idx3-ubyte",
                "an empty list",
            ),
            (
                "the .gz names".to_string(),
                sums(&contents, |n| Some(format!("{n}.gz"))),
                "train-images-idx3-ubyte",
                "a line for `train-images-idx3-ubyte.gz`, the compressed file's name",
            ),
        ])
        .collect();
    for (what, list, missing, holds) in cases {
        let dir = tempfile::tempdir().unwrap();
        write_mnist_dir(dir.path(), &[1, 2], &[3]);
        let list_path = write(dir.path(), "SHA256SUMS", list.as_bytes());
        let err = load_dir(DatasetName::Mnist, dir.path(), &handmade()).unwrap_err();
        let DataError::NotCovered {
            path,
            list,
            expected_name,
            found,
        } = &err
        else {
            panic!("{what}: expected NotCovered, got {err}");
        };
        assert_eq!(path, &dir.path().join(on_disk(missing)), "{what}");
        assert_eq!(list, &list_path, "{what}");
        assert_eq!(expected_name, missing, "{what}");
        assert!(found.contains(holds), "{what}: {found}");
        let text = err.to_string();
        for w in [
            path.display().to_string().as_str(),
            "SHA256SUMS",
            "sha256sum",
        ] {
            assert!(text.contains(w), "{what}: `{w}` missing from {text}");
        }
        // Turning verification off is the one way past an incomplete list.
        let off = handmade().verify_checksums(false);
        load_dir(DatasetName::Mnist, dir.path(), &off).unwrap();
    }
    // A complete list loads.
    let dir = tempfile::tempdir().unwrap();
    write_mnist_dir(dir.path(), &[1, 2], &[3]);
    write(
        dir.path(),
        "SHA256SUMS",
        sums(&contents, |n| Some(n.to_string())).as_bytes(),
    );
    load_dir(DatasetName::Mnist, dir.path(), &handmade()).unwrap();
}

#[test]
fn every_cifar_batch_read_must_be_listed() {
    let dir = tempfile::tempdir().unwrap();
    for (f, name) in CIFAR_FILES.iter().enumerate() {
        write(dir.path(), name, &cifar_file(f, 1));
    }
    let line = |f: usize, name: &str| format!("{}  {name}\n", sha256_hex(&cifar_file(f, 1)));
    let without_3: String = CIFAR_FILES
        .iter()
        .enumerate()
        .filter(|(_, n)| **n != "data_batch_3.bin")
        .map(|(f, n)| line(f, n))
        .collect();
    write(dir.path(), "SHA256SUMS", without_3.as_bytes());
    let err = load_dir(DatasetName::Cifar10, dir.path(), &LoadOptions::default()).unwrap_err();
    assert!(
        matches!(&err, DataError::NotCovered { path, .. } if path == &dir.path().join("data_batch_3.bin")),
        "{err}"
    );
    let all: String = CIFAR_FILES
        .iter()
        .enumerate()
        .map(|(f, n)| line(f, n))
        .collect();
    write(dir.path(), "SHA256SUMS", all.as_bytes());
    load_dir(DatasetName::Cifar10, dir.path(), &LoadOptions::default()).unwrap();
}

/// A temporary copy of the repository's MNIST with its files renamed by `rename` (the
/// `SHA256SUMS` is not copied).
fn mnist_copy(rename: impl Fn(&str) -> String) -> tempfile::TempDir {
    let src = repository_data_dir().join("mnist");
    let tmp = tempfile::tempdir().unwrap();
    for f in IDX_FILES {
        let to = format!("{}.gz", rename(f));
        std::fs::copy(src.join(format!("{f}.gz")), tmp.path().join(to)).unwrap();
    }
    tmp
}

fn expect_misidentified(
    err: &DataError,
    want: (DatasetName, &str, DatasetName, &str),
    path: &Path,
    words: &[&str],
) {
    match err {
        DataError::Misidentified {
            path: p,
            expected,
            expected_file,
            found,
            found_file,
        } => {
            assert_eq!(p, path);
            assert_eq!(
                (
                    *expected,
                    expected_file.as_str(),
                    *found,
                    found_file.as_str()
                ),
                want
            );
        }
        other => panic!("expected Misidentified, got {other}"),
    }
    let text = err.to_string();
    for w in words {
        assert!(text.contains(w), "`{w}` missing from {text}");
    }
}

#[test]
fn one_published_dataset_given_as_another_is_named() {
    // The repository's MNIST folder, with its own (complete, matching) SHA256SUMS, given as
    // Fashion-MNIST: even the opt-out for hand-made data does not let a known swap through.
    let dir = repository_data_dir().join("mnist");
    let labels = dir.join("train-labels-idx1-ubyte.gz");
    for opts in [LoadOptions::default(), handmade()] {
        let err = load_dir(DatasetName::FashionMnist, &dir, &opts).unwrap_err();
        expect_misidentified(
            &err,
            (
                DatasetName::FashionMnist,
                "train-labels-idx1-ubyte",
                DatasetName::Mnist,
                "train-labels-idx1-ubyte",
            ),
            &labels,
            &[
                "these are MNIST's files, not Fashion-MNIST's",
                "load it as `mnist`",
                &labels.display().to_string(),
            ],
        );
    }

    // Debian's Fashion-MNIST given as MNIST, when installed.
    let fashion = PathBuf::from("/usr/share/datasets/fashion-mnist");
    if fashion.is_dir() {
        let err = load_dir(DatasetName::Mnist, &fashion, &LoadOptions::default()).unwrap_err();
        expect_misidentified(
            &err,
            (
                DatasetName::Mnist,
                "train-labels-idx1-ubyte",
                DatasetName::FashionMnist,
                "train-labels-idx1-ubyte",
            ),
            &fashion.join("train-labels-idx1-ubyte.gz"),
            &["these are Fashion-MNIST's files, not MNIST's"],
        );
    } else {
        eprintln!("Fashion-MNIST not installed (apt-get install dataset-fashion-mnist): skipped");
    }
}

#[test]
fn training_and_test_files_swapped_are_named() {
    let tmp = mnist_copy(|f| {
        f.strip_prefix("train")
            .map(|rest| format!("t10k{rest}"))
            .or_else(|| f.strip_prefix("t10k").map(|rest| format!("train{rest}")))
            .unwrap()
    });
    let err = load_dir(DatasetName::Mnist, tmp.path(), &LoadOptions::default()).unwrap_err();
    expect_misidentified(
        &err,
        (
            DatasetName::Mnist,
            "train-labels-idx1-ubyte",
            DatasetName::Mnist,
            "t10k-labels-idx1-ubyte",
        ),
        &tmp.path().join("train-labels-idx1-ubyte.gz"),
        &[
            "this is MNIST's t10k-labels-idx1-ubyte, not its train-labels-idx1-ubyte",
            "swapped",
        ],
    );
}

#[test]
fn hand_made_data_is_not_loaded_as_mnist_unless_allowed() {
    let contents = mnist_contents();
    let labels = "train-labels-idx1-ubyte";
    let labels_bytes = &contents[1].1;
    for with_list in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        write_mnist_dir(dir.path(), &[1, 2], &[3]);
        if with_list {
            // A complete, matching list of its own does not make it MNIST.
            let list = sums(&contents, |n| Some(n.to_string()));
            write(dir.path(), "SHA256SUMS", list.as_bytes());
        }
        for name in [DatasetName::Mnist, DatasetName::FashionMnist] {
            let err = load_dir(name, dir.path(), &LoadOptions::default()).unwrap_err();
            match &err {
                DataError::NotCanonical {
                    path,
                    dataset,
                    file,
                    expected,
                    actual,
                } => {
                    assert_eq!(path, &dir.path().join(labels));
                    assert_eq!(*dataset, name);
                    assert_eq!(file, labels);
                    assert_eq!(actual, &sha256_hex(labels_bytes));
                    assert_eq!(expected.len(), 64);
                }
                other => panic!("expected NotCanonical, got {other}"),
            }
            let text = err.to_string();
            for w in [name.title(), "published", "allow_noncanonical"] {
                assert!(text.contains(w), "`{w}` missing from {text}");
            }
            // Allowed explicitly, or with verification off, it loads.
            for opts in [handmade(), LoadOptions::default().verify_checksums(false)] {
                let s = load_dir(name, dir.path(), &opts).unwrap();
                assert_eq!(s.train.labels, vec![1, 2]);
            }
        }
        // The opt-out still checks the folder's own list.
        if with_list {
            let (_, changed) = mnist_pair(&[1, 3]);
            write(dir.path(), labels, &changed);
            let err = load_dir(DatasetName::Mnist, dir.path(), &handmade()).unwrap_err();
            assert!(matches!(err, DataError::Checksum { .. }), "{err}");
        }
    }
}

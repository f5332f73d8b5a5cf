//! Decompression is bounded: a header claiming more than the limit is refused before anything
//! past it is read, a gzip stream is inflated into a buffer that grows only as data arrives,
//! and a stream longer than announced is counted no further than the limit.

use std::path::Path;

use crate::common::alloc::largest_allocation;
use crate::common::{CIFAR_FILES, cifar_file, gzip, handmade, idx_bytes, write, write_mnist_dir};
use dl_data::{
    DEFAULT_MAX_DECOMPRESSED, DataError, DatasetName, LoadOptions, load_dir, read_idx,
    read_idx_with_limit,
};

const MIB: usize = 1 << 20;

/// A load and its expected outcome: (dataset, folder, limit, the file refused and the size it
/// claims or holds (0: not stated), or `None` when it loads).
type Case<'a> = (DatasetName, &'a Path, u64, Option<(&'a str, u64)>);

#[test]
fn a_header_claiming_2_31_labels_is_refused_before_inflating() {
    let dir = tempfile::tempdir().unwrap();
    // A header claiming 2³¹ u8 labels (2 GiB + 8 bytes), then 8 MiB of zeros: a few KB of gzip.
    let header = idx_bytes(0x08, &[1 << 31], &[]);
    let mut file = header.clone();
    file.resize(header.len() + 8 * MIB, 0);
    let p = write(dir.path(), "bomb-labels-idx1-ubyte.gz", &gzip(&file));
    assert!(std::fs::metadata(&p).unwrap().len() < 64 * 1024);

    let (err, largest) = largest_allocation(|| read_idx(&p).unwrap_err());
    match &err {
        DataError::TooLarge { path, found, limit } => {
            assert_eq!(path, &p);
            assert_eq!(*limit, DEFAULT_MAX_DECOMPRESSED);
            assert!(found.contains("2147483656"), "{found}");
        }
        other => panic!("expected TooLarge, got {other}"),
    }
    let text = err.to_string();
    for w in [p.display().to_string().as_str(), "2147483656", "1073741824"] {
        assert!(text.contains(w), "`{w}` missing from {text}");
    }
    // Nothing past the header was inflated: no buffer near the 8 MiB that follow it.
    assert!(largest < MIB, "largest allocation {largest} bytes");
}

#[test]
fn the_inflate_buffer_grows_only_as_data_arrives() {
    let dir = tempfile::tempdir().unwrap();
    // A header claiming 10⁹ bytes (under the limit) and 256 KiB of incompressible data
    // (xorshift64): deflate's 1032:1 bound on this file would allow ~270 MB.
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let data: Vec<u8> = (0..256 * 1024)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 56) as u8
        })
        .collect();
    let p = write(
        dir.path(),
        "short.gz",
        &gzip(&idx_bytes(0x08, &[1_000_000_000], &data)),
    );
    let (err, largest) = largest_allocation(|| read_idx(&p).unwrap_err());
    assert!(
        matches!(
            err,
            DataError::Truncated {
                part: "data",
                expected: 1_000_000_000,
                found: 262_144,
                ..
            }
        ),
        "{err}"
    );
    // At most about twice what arrived, never what the header (or the deflate ratio) allows.
    assert!(largest <= 2 * MIB, "largest allocation {largest} bytes");
}

#[test]
fn a_stream_longer_than_announced_is_counted_up_to_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    // 4 bytes announced, then 4 MiB more.
    let mut file = idx_bytes(0x08, &[4], &[1, 2, 3, 4]);
    file.resize(file.len() + 4 * MIB, 0);
    let p = write(dir.path(), "long.gz", &gzip(&file));
    let err = read_idx_with_limit(&p, MIB as u64).unwrap_err();
    match &err {
        DataError::TooLarge { found, limit, .. } => {
            assert_eq!(*limit, MIB as u64);
            assert!(found.contains("more than 1048576"), "{found}");
        }
        other => panic!("expected TooLarge, got {other}"),
    }
    // Under a limit it fits, the real length is reported.
    let err = read_idx(&p).unwrap_err();
    assert!(
        matches!(err, DataError::LengthMismatch { found, .. } if found == 4 + 4 * MIB as u64),
        "{err}"
    );
}

#[test]
fn loaders_take_the_limit_from_their_options() {
    // write_mnist_dir: training images gzip (3 × 784 + 16 = 2368 bytes), test images raw
    // (2 × 784 + 16 = 1584 bytes), labels 11 and 10 bytes.
    let mnist = tempfile::tempdir().unwrap();
    write_mnist_dir(mnist.path(), &[1, 2, 3], &[4, 5]);
    let cifar = tempfile::tempdir().unwrap();
    for (f, name) in CIFAR_FILES.iter().enumerate() {
        let records = if f == 2 { 3 } else { 1 };
        if f == 2 {
            write(
                cifar.path(),
                &format!("{name}.gz"),
                &gzip(&cifar_file(f, records)),
            );
        } else {
            write(cifar.path(), name, &cifar_file(f, records));
        }
    }
    let cases: Vec<Case> = vec![
        (
            DatasetName::Mnist,
            mnist.path(),
            2367,
            Some(("train-images-idx3-ubyte.gz", 2368)),
        ),
        (DatasetName::Mnist, mnist.path(), 2368, None),
        (
            DatasetName::Mnist,
            mnist.path(),
            10,
            Some(("train-images-idx3-ubyte.gz", 2368)),
        ),
        (
            DatasetName::Cifar10,
            cifar.path(),
            3 * 3073 - 1,
            Some(("data_batch_3.bin.gz", 0)),
        ),
        (
            DatasetName::Cifar10,
            cifar.path(),
            3073,
            Some(("data_batch_3.bin.gz", 0)),
        ),
        (DatasetName::Cifar10, cifar.path(), 3 * 3073, None),
    ];
    for (name, dir, limit, refused) in cases {
        let opts = handmade().max_decompressed(limit);
        let got = load_dir(name, dir, &opts);
        match (refused, got) {
            (None, Ok(_)) => {}
            (None, Err(e)) => panic!("{name} at limit {limit}: {e}"),
            (Some(_), Ok(_)) => panic!("{name} at limit {limit}: loaded"),
            (Some((file, claim)), Err(e)) => {
                let DataError::TooLarge {
                    path,
                    found,
                    limit: l,
                } = &e
                else {
                    panic!("{name} at limit {limit}: expected TooLarge, got {e}");
                };
                assert_eq!(path, &dir.join(file), "{name} at limit {limit}");
                assert_eq!(*l, limit);
                if claim > 0 {
                    assert!(found.contains(&claim.to_string()), "{found}");
                }
            }
        }
    }
    // A raw CIFAR file over the limit is refused from its length on disk.
    let raw = tempfile::tempdir().unwrap();
    for (f, name) in CIFAR_FILES.iter().enumerate() {
        write(raw.path(), name, &cifar_file(f, 2));
    }
    let opts = LoadOptions::default().max_decompressed(3073);
    let err = load_dir(DatasetName::Cifar10, raw.path(), &opts).unwrap_err();
    assert!(
        matches!(&err, DataError::TooLarge { found, .. } if found.contains("6146")),
        "{err}"
    );
}

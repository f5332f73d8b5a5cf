//! Builders of test files, written from the formats' specifications (not with the crate's
//! own encoders), so the tests check the readers against an independent source.
#![allow(dead_code)]

pub mod alloc;

use std::io::Write;
use std::path::Path;

use dl_data::LoadOptions;
use flate2::Compression;
use flate2::write::GzEncoder;

/// The default options for the hand-made MNIST-format folders of these tests, which are not the
/// published files: verification stays on (their own `SHA256SUMS`, if any, is checked).
pub fn handmade() -> LoadOptions {
    LoadOptions::default().allow_noncanonical(true)
}

/// An IDX file: magic `00 00 <code> <rank>`, big-endian u32 dimensions, then `data` as given.
pub fn idx_bytes(code: u8, dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut out = vec![0, 0, code, dims.len() as u8];
    for d in dims {
        out.extend_from_slice(&d.to_be_bytes());
    }
    out.extend_from_slice(data);
    out
}

/// `bytes` gzip-compressed.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// Writes `bytes` to `dir/name`, returning the path.
pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// Pixel `p` of image `i` in the synthetic MNIST-like sets: `(7i + 3p) mod 256`.
pub fn mnist_pixel(i: usize, p: usize) -> u8 {
    ((7 * i + 3 * p) % 256) as u8
}

/// A synthetic MNIST-like pair: `labels.len()` images of 28×28 (pixels from [`mnist_pixel`]).
pub fn mnist_pair(labels: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let n = labels.len();
    let pixels: Vec<u8> = (0..n)
        .flat_map(|i| (0..784).map(move |p| mnist_pixel(i, p)))
        .collect();
    let images = idx_bytes(0x08, &[n as u32, 28, 28], &pixels);
    let labels = idx_bytes(0x08, &[n as u32], labels);
    (images, labels)
}

/// Writes a synthetic MNIST-like dataset folder: training images gzip-compressed, the rest raw.
pub fn write_mnist_dir(dir: &Path, train_labels: &[u8], test_labels: &[u8]) {
    let (ti, tl) = mnist_pair(train_labels);
    let (vi, vl) = mnist_pair(test_labels);
    write(dir, "train-images-idx3-ubyte.gz", &gzip(&ti));
    write(dir, "train-labels-idx1-ubyte", &tl);
    write(dir, "t10k-images-idx3-ubyte", &vi);
    write(dir, "t10k-labels-idx1-ubyte.gz", &gzip(&vl));
}

/// Pixel `p` (CHW order) of record `r` of CIFAR file `f`.
pub fn cifar_pixel(f: usize, r: usize, p: usize) -> u8 {
    ((31 * p + 7 * r + f) % 256) as u8
}

/// Label of record `r` of CIFAR file `f`.
pub fn cifar_label(f: usize, r: usize) -> u8 {
    ((7 * f + r) % 10) as u8
}

/// `records` CIFAR-10 records of file `f`: label byte then 3072 pixel bytes each.
pub fn cifar_file(f: usize, records: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for r in 0..records {
        out.push(cifar_label(f, r));
        out.extend((0..3072).map(|p| cifar_pixel(f, r, p)));
    }
    out
}

/// The CIFAR-10 file names: five training batches (files 0..5) and the test batch (file 5).
pub const CIFAR_FILES: [&str; 6] = [
    "data_batch_1.bin",
    "data_batch_2.bin",
    "data_batch_3.bin",
    "data_batch_4.bin",
    "data_batch_5.bin",
    "test_batch.bin",
];

/// A ustar archive of `members` (name, content), laid out as POSIX.1-1988 specifies.
pub fn make_tar(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, data) in members {
        let mut h = [0u8; 512];
        h[..name.len()].copy_from_slice(name.as_bytes());
        h[100..107].copy_from_slice(b"0000644");
        h[124..135].copy_from_slice(format!("{:011o}", data.len()).as_bytes());
        h[156] = b'0';
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
        h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        out.extend_from_slice(&h);
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.resize(out.len() + 1024, 0);
    out
}

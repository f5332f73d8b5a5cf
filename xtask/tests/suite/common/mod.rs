//! What the xtask tests share: running the built binary, reading its output, writing IDX files.

use std::path::Path;
use std::process::{Command, Output};

/// The built `xtask` binary, as `cargo xtask` runs it but without `CARGO` set, so relative
/// output paths stay relative to the test's working folder.
pub fn xtask() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_xtask"));
    command.env_remove("CARGO");
    command
}

/// Runs `xtask` with `args` to completion.
pub fn run(args: &[&str]) -> Output {
    xtask().args(args).output().expect("the xtask binary runs")
}

/// Bytes as text, for messages.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// An IDX file: magic `00 00 08 <rank>` (u8 elements), big-endian dimensions, then `data`.
pub fn idx_u8(dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0, 0, 8, dims.len() as u8];
    for d in dims {
        bytes.extend_from_slice(&d.to_be_bytes());
    }
    bytes.extend_from_slice(data);
    bytes
}

/// A small MNIST-format folder under `root/mnist` (300 training and 100 test images of
/// pseudo-random pixels), so each run loads in an instant; returns `root` for `--data-dir`.
pub fn tiny_mnist(root: &Path) -> String {
    write_tiny_mnist(root);
    root.to_str().unwrap().to_string()
}

/// Writes [`tiny_mnist`]'s files under `root/mnist`, whatever `root`'s name.
pub fn write_tiny_mnist(root: &Path) {
    let dir = root.join("mnist");
    std::fs::create_dir_all(&dir).unwrap();
    let mut state = 12345u32;
    let mut next = move || {
        state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        (state >> 24) as u8
    };
    for (prefix, n) in [("train", 300u32), ("t10k", 100)] {
        let pixels: Vec<u8> = (0..n * 784).map(|_| next()).collect();
        let labels: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
        let images = idx_u8(&[n, 28, 28], &pixels);
        std::fs::write(dir.join(format!("{prefix}-images-idx3-ubyte")), images).unwrap();
        let labels = idx_u8(&[n], &labels);
        std::fs::write(dir.join(format!("{prefix}-labels-idx1-ubyte")), labels).unwrap();
    }
}

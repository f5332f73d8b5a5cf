//! What the xtask tests share: running the built binary, reading its output, writing IDX files.

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

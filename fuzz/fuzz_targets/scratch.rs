//! The readers under test take paths, so each input is written to a per-process scratch file.

use std::path::PathBuf;

/// Writes `data` to this process's scratch file and returns its path.
pub fn scratch_file(data: &[u8]) -> PathBuf {
    let path = std::env::temp_dir().join(format!("dl-fuzz-{}", std::process::id()));
    std::fs::write(&path, data).expect("the scratch file is writable");
    path
}

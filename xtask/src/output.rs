//! Writing results: every file goes to a temporary name first and is renamed into place, so an
//! interrupted run never leaves a half-written file.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::XtaskError;

/// Writes `bytes` to `path` atomically (temporary file in the same folder, then rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), XtaskError> {
    let fail = |e: std::io::Error| XtaskError::Write {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let tmp = temp_name(path);
    let mut file = fs::File::create(&tmp).map_err(fail)?;
    file.write_all(bytes).map_err(fail)?;
    file.sync_all().map_err(fail)?;
    drop(file);
    fs::rename(&tmp, path).map_err(fail)
}

/// `dir/.name.tmp`, beside the final file.
pub fn temp_name(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}

/// Creates `dir` (and parents), checking that it is writable.
pub fn ensure_dir(dir: &Path) -> Result<(), XtaskError> {
    let fail = |e: std::io::Error| XtaskError::Write {
        path: dir.to_path_buf(),
        reason: e.to_string(),
    };
    fs::create_dir_all(dir).map_err(fail)?;
    let probe = dir.join(format!(".write-test.{}", std::process::id()));
    fs::write(&probe, b"").map_err(fail)?;
    fs::remove_file(&probe).map_err(fail)
}

/// Serialises `value` as pretty JSON to `path`, atomically.
pub fn write_json(path: &Path, value: &impl serde::Serialize) -> Result<(), XtaskError> {
    let text = serde_json::to_string_pretty(value).map_err(|e| XtaskError::Write {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    write_atomic(path, (text + "\n").as_bytes())
}

/// Writes a plot atomically: draws to temporary stems, then renames `.svg` and `.png` into place.
pub fn save_chart(chart: &crate::plot::LineChart, stem: &Path) -> Result<(), XtaskError> {
    let tmp_stem = temp_name(stem);
    chart.save(&tmp_stem)?;
    for ext in ["svg", "png"] {
        let from = tmp_stem.with_extension(ext);
        let to = stem.with_extension(ext);
        fs::rename(&from, &to).map_err(|e| XtaskError::Write {
            path: to.clone(),
            reason: e.to_string(),
        })?;
    }
    Ok(())
}

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

/// Creates `dir` (and parents), checking that it is writable, and removes temporary files that
/// an earlier, interrupted run left there.
pub fn ensure_dir(dir: &Path) -> Result<(), XtaskError> {
    let fail = |e: std::io::Error| XtaskError::Write {
        path: dir.to_path_buf(),
        reason: e.to_string(),
    };
    fs::create_dir_all(dir).map_err(fail)?;
    let probe = dir.join(format!(".write-test.{}.tmp", std::process::id()));
    fs::write(&probe, b"").map_err(fail)?;
    fs::remove_file(&probe).map_err(fail)?;
    for entry in fs::read_dir(dir).map_err(fail)?.flatten() {
        if is_stale_temp(&entry.file_name().to_string_lossy()) {
            let _ = fs::remove_file(entry.path());
        }
    }
    Ok(())
}

/// Whether `name` is a temporary file of [`temp_name`]'s form (`.name.<pid>.tmp`, or `.svg` /
/// `.png` for a plot's) written by another process.
fn is_stale_temp(name: &str) -> bool {
    let Some(rest) = name.strip_prefix('.') else {
        return false;
    };
    let mut parts = rest.rsplit('.');
    let (Some(ext), Some(pid)) = (parts.next(), parts.next()) else {
        return false;
    };
    ["tmp", "svg", "png"].contains(&ext)
        && !pid.is_empty()
        && pid.bytes().all(|b| b.is_ascii_digit())
        && pid != std::process::id().to_string()
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

#[cfg(test)]
mod tests {
    use super::is_stale_temp;

    #[test]
    fn only_other_processes_temporaries_are_stale() {
        assert!(is_stale_temp(".curves.csv.12345.tmp"));
        assert!(is_stale_temp(".run-relu-he.777.svg"));
        assert!(!is_stale_temp("curves.csv"));
        assert!(!is_stale_temp(".curves.csv.tmp"));
        assert!(!is_stale_temp(".hidden"));
        let own = format!(".summary.json.{}.tmp", std::process::id());
        assert!(!is_stale_temp(&own));
    }
}

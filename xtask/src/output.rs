//! Writing results: every file goes to a temporary name first and is renamed into place, so an
//! interrupted run never leaves a half-written file.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::XtaskError;

/// Writes `bytes` to `path` atomically (temporary file in the same folder, then rename). On
/// failure the temporary file is removed and the error names `path`, not it.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), XtaskError> {
    let fail = |e: std::io::Error| XtaskError::Write {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let tmp = temp_name(path);
    let written = (|| {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, path)
    })();
    written.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        fail(e)
    })
}

/// `dir/.name.tmp`, beside the final file.
pub fn temp_name(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}

/// Removes the temporary files of [`temp_name`]'s form in `dir` that another process wrote.
/// Called only under the output folder's lock, when no other writer can be at work there.
pub fn remove_stale_temps(dir: &Path) {
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        if is_stale_temp(&entry.file_name().to_string_lossy()) {
            let _ = fs::remove_file(entry.path());
        }
    }
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

/// Writes a plot atomically: draws to temporary stems, then renames `.svg` and `.png` into
/// place. On failure both temporaries are removed and the error names the figure's own file.
pub fn save_chart(chart: &crate::plot::LineChart, stem: &Path) -> Result<(), XtaskError> {
    let tmp_stem = temp_name(stem);
    let saved = chart.save(&tmp_stem).and_then(|()| {
        for ext in ["svg", "png"] {
            let to = stem.with_extension(ext);
            fs::rename(tmp_stem.with_extension(ext), &to).map_err(|e| XtaskError::Write {
                path: to.clone(),
                reason: e.to_string(),
            })?;
        }
        Ok(())
    });
    saved.map_err(|e| {
        for ext in ["svg", "png"] {
            let _ = fs::remove_file(tmp_stem.with_extension(ext));
        }
        match e {
            XtaskError::Write { path, reason } => XtaskError::Write {
                path: path
                    .extension()
                    .map_or(path.clone(), |ext| stem.with_extension(ext)),
                reason,
            },
            other => other,
        }
    })
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

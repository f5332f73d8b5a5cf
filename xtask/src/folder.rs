//! The output folder of `reproduce`: one writer at a time, and each experiment's results swapped
//! in whole. An experiment writes into `.<name>.staging-<pid>.tmp/` beside its folder; when it
//! ends, that folder takes `<name>/`'s place in one step, so `<name>/` is always one whole run,
//! the earlier one or the new one, whenever the process is stopped or killed. The names of what is
//! not a result end in `.tmp`, which the repository's `.gitignore` leaves out under `results/`.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use crate::error::XtaskError;
use crate::output::remove_stale_temps;

/// The file in the output folder that holds its lock and the holder's process id.
const LOCK: &str = ".reproduce.lock.tmp";

/// The partial curves of an experiment that has not ended, in its staging folder.
pub const PARTIAL_CURVES: &str = "curves.partial.csv";

/// An output folder this process alone writes, until it exits (the system then drops the lock).
pub struct OutFolder {
    path: PathBuf,
    _lock: File,
}

impl OutFolder {
    /// Opens `--out` as given: creates it if needed, refuses a file or a folder another process
    /// writes (naming it), and clears what killed runs left there.
    pub fn open(path: &Path) -> Result<Self, XtaskError> {
        let refuse = |expected: String| XtaskError::Path {
            flag: "--out",
            path: path.to_path_buf(),
            expected,
        };
        if let Some(file) = path.ancestors().find(|a| a.is_file()) {
            return Err(refuse(if file == path {
                "expected a folder, found a file; choose another path".into()
            } else {
                format!(
                    "{} is a file, not a folder; choose another path",
                    file.display()
                )
            }));
        }
        fs::create_dir_all(path).map_err(|e| {
            refuse(format!(
                "cannot create this folder ({e}); choose another path"
            ))
        })?;
        let lock_path = path.join(LOCK);
        let write_fail = |e: std::io::Error| XtaskError::Write {
            path: lock_path.clone(),
            reason: e.to_string(),
        };
        let mut lock = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .map_err(write_fail)?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = lock.read_to_string(&mut holder);
                let holder = match holder.trim() {
                    "" => "another process".to_string(),
                    pid => format!("process {pid}"),
                };
                return Err(refuse(format!(
                    "{holder} is writing results there; wait for it to end or choose another \
                     folder"
                )));
            }
            Err(fs::TryLockError::Error(e)) => return Err(write_fail(e)),
        }
        lock.set_len(0).map_err(write_fail)?;
        lock.rewind().map_err(write_fail)?;
        writeln!(lock, "{}", std::process::id()).map_err(write_fail)?;
        // Holding the lock, no other writer is at work: what others left is stale.
        remove_stale_temps(path);
        repair(path);
        Ok(Self {
            path: path.to_path_buf(),
            _lock: lock,
        })
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A new, empty staging folder for experiment `name`.
    pub fn stage(&self, name: &str) -> Result<PathBuf, XtaskError> {
        let staging = self.path.join(staging_name(name, std::process::id()));
        let _ = fs::remove_dir_all(&staging);
        fs::create_dir(&staging).map_err(|e| XtaskError::Write {
            path: staging.clone(),
            reason: e.to_string(),
        })?;
        Ok(staging)
    }

    /// Puts the whole `staging` folder in place as `name/` in one step, then removes the
    /// earlier results and the staging folders that stopped runs of `name` left.
    pub fn publish(&self, staging: &Path, name: &str) -> Result<PathBuf, XtaskError> {
        let dir = self.path.join(name);
        let fail = |e: std::io::Error| XtaskError::Write {
            path: dir.clone(),
            reason: e.to_string(),
        };
        if dir.is_dir() {
            swap(
                staging,
                &dir,
                &self
                    .path
                    .join(format!(".{name}.old-{}.tmp", std::process::id())),
            )
            .map_err(fail)?;
        } else {
            fs::rename(staging, &dir).map_err(fail)?;
        }
        for entry in fs::read_dir(&self.path).into_iter().flatten().flatten() {
            if is_leftover_of(&entry.file_name().to_string_lossy(), name) {
                let _ = fs::remove_dir_all(entry.path());
            }
        }
        Ok(dir)
    }
}

/// Removes a staging folder that holds no finished run (an experiment that failed early).
pub fn discard_if_empty(staging: &Path) {
    if !staging.join(PARTIAL_CURVES).exists() {
        let _ = fs::remove_dir_all(staging);
    }
}

fn staging_name(name: &str, pid: u32) -> String {
    format!(".{name}.staging-{pid}.tmp")
}

/// Whether `entry` is a staging folder or an earlier result of experiment `name` left beside it.
fn is_leftover_of(entry: &str, name: &str) -> bool {
    let Some(rest) = entry
        .strip_prefix('.')
        .and_then(|r| r.strip_prefix(name))
        .and_then(|r| r.strip_suffix(".tmp"))
    else {
        return false;
    };
    let pid = rest
        .strip_prefix(".staging-")
        .or_else(|| rest.strip_prefix(".old-"));
    pid.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// Exchanges the folders `new` and `dir` in one step where the system can (Linux), then
/// removes the old one; elsewhere renames `dir` to `old`, `new` to `dir`, and removes `old`
/// ([`repair`] puts `old` back if the process dies between the two renames).
fn swap(new: &Path, dir: &Path, old: &Path) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{CWD, RenameFlags, renameat_with};
        if renameat_with(CWD, new, CWD, dir, RenameFlags::EXCHANGE).is_ok() {
            let _ = fs::remove_dir_all(new);
            return Ok(());
        }
    }
    fs::rename(dir, old)?;
    if let Err(e) = fs::rename(new, dir) {
        let _ = fs::rename(old, dir);
        return Err(e);
    }
    let _ = fs::remove_dir_all(old);
    Ok(())
}

/// Puts back an earlier result that a process killed in the middle of [`swap`]'s two renames
/// left as `.<name>.old-<pid>.tmp`, and removes it where `<name>/` is in place.
fn repair(out: &Path) {
    for entry in fs::read_dir(out).into_iter().flatten().flatten() {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let Some((name, pid)) = file_name
            .strip_prefix('.')
            .and_then(|r| r.strip_suffix(".tmp"))
            .and_then(|r| r.rsplit_once(".old-"))
        else {
            continue;
        };
        if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let dir = out.join(name);
        if dir.exists() {
            let _ = fs::remove_dir_all(entry.path());
        } else {
            let _ = fs::rename(entry.path(), dir);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_staging_and_old_folders_of_the_same_experiment_are_leftovers() {
        assert!(is_leftover_of(".optimizers.staging-123.tmp", "optimizers"));
        assert!(is_leftover_of(".optimizers.old-9.tmp", "optimizers"));
        assert!(!is_leftover_of("optimizers", "optimizers"));
        assert!(!is_leftover_of(".optimizers.staging-.tmp", "optimizers"));
        assert!(!is_leftover_of(".batch-norm.staging-12.tmp", "optimizers"));
        assert!(!is_leftover_of(LOCK, "optimizers"));
    }

    #[test]
    fn a_publish_replaces_the_whole_folder_and_repair_restores_a_half_swap() {
        let tmp = tempfile::tempdir().unwrap();
        let out = OutFolder::open(tmp.path()).unwrap();
        let first = out.stage("x").unwrap();
        fs::write(first.join("a"), "1").unwrap();
        let dir = out.publish(&first, "x").unwrap();
        let second = out.stage("x").unwrap();
        fs::write(second.join("b"), "2").unwrap();
        out.publish(&second, "x").unwrap();
        assert!(!dir.join("a").exists() && dir.join("b").exists());
        let names: Vec<_> = fs::read_dir(tmp.path()).unwrap().flatten().collect();
        assert_eq!(names.len(), 2, "x and .lock only: {names:?}");
        // A process killed between the two renames of the portable swap.
        fs::rename(&dir, tmp.path().join(".x.old-77.tmp")).unwrap();
        repair(tmp.path());
        assert!(dir.join("b").exists());
    }
}

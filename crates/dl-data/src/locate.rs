//! Where data is looked for, in order:
//!
//! 1. a folder the caller gives (it may be the dataset's folder itself or hold `<name>/`);
//! 2. `$DL_DATA_DIR/<name>/`;
//! 3. the repository's `datasets/<name>/` (found from this crate's manifest directory at
//!    compile time), then `datasets/<name>/` relative to the current directory;
//! 4. `/usr/share/datasets/<name>/` (where Debian's `dataset-fashion-mnist` installs).
//!
//! A folder qualifies when it holds every file of the dataset, each with or without `.gz`;
//! for CIFAR-10 its `cifar-10-batches-bin/` subfolder is looked in too.

use std::path::{Component, Path, PathBuf};

use crate::error::DataError;
use crate::name::{CIFAR10_SUBDIR, DatasetName};

/// The environment variable naming a folder that holds `<name>/` dataset folders.
pub const DATA_DIR_ENV: &str = "DL_DATA_DIR";

/// The system-wide dataset folder (Debian's `dataset-*` packages install there).
pub const SYSTEM_DATA_DIR: &str = "/usr/share/datasets";

/// The repository's `datasets/` folder, as seen from this crate at compile time.
pub fn repository_data_dir() -> PathBuf {
    normalize(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../datasets"))
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Place {
    /// A folder that is the dataset folder itself, or holds `<name>/`.
    Given(PathBuf),
    /// A folder holding `<name>/`.
    Root(PathBuf),
}

/// An ordered list of places to look for a dataset in.
///
/// [`SearchPath::standard`] looks, in order, in: a folder the caller gives (the dataset's
/// folder itself, or one holding `<name>/`); `$DL_DATA_DIR/<name>/`; the repository's
/// `datasets/<name>/`; `./datasets/<name>/`; `/usr/share/datasets/<name>/`. A folder
/// qualifies when it holds every file of the dataset, each with or without `.gz`; for
/// CIFAR-10 its `cifar-10-batches-bin/` subfolder is looked in too.
///
/// # Example
/// ```
/// use dl_data::{DatasetName, SearchPath};
/// let search = SearchPath::empty().with_root("/data");
/// assert_eq!(
///     search.candidates(DatasetName::Mnist),
///     vec![std::path::PathBuf::from("/data/mnist")]
/// );
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchPath {
    places: Vec<Place>,
}

impl SearchPath {
    /// No places at all.
    pub fn empty() -> Self {
        Self::default()
    }

    /// The standard order (see [`SearchPath`]): `given`, then `$DL_DATA_DIR`, the
    /// repository's `datasets/`, `./datasets/`, `/usr/share/datasets/`.
    pub fn standard(given: Option<&Path>) -> Self {
        let env = std::env::var_os(DATA_DIR_ENV)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        Self::standard_with_env(given, env.as_deref())
    }

    /// The standard order with `env_dir` standing for `$DL_DATA_DIR` (for tests, and callers
    /// that resolve the variable themselves).
    pub fn standard_with_env(given: Option<&Path>, env_dir: Option<&Path>) -> Self {
        let mut s = Self::empty();
        if let Some(g) = given {
            s = s.with_dir(g);
        }
        if let Some(e) = env_dir {
            s = s.with_root(e);
        }
        s.with_root(repository_data_dir())
            .with_root("datasets")
            .with_root(SYSTEM_DATA_DIR)
    }

    /// Adds a folder that is either the dataset's folder itself or holds `<name>/`.
    pub fn with_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.places.push(Place::Given(dir.into()));
        self
    }

    /// Adds a folder holding `<name>/` dataset folders.
    pub fn with_root(mut self, root: impl Into<PathBuf>) -> Self {
        self.places.push(Place::Root(root.into()));
        self
    }

    /// Every folder looked in for `name`, in order, without duplicates.
    pub fn candidates(&self, name: DatasetName) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = Vec::new();
        let mut push = |p: PathBuf| {
            let key = absolute(&p);
            if !out.iter().any(|q| absolute(q) == key) {
                out.push(p);
            }
        };
        for place in &self.places {
            let dirs = match place {
                Place::Given(d) => vec![d.clone(), d.join(name.as_str())],
                Place::Root(r) => vec![r.join(name.as_str())],
            };
            for d in dirs {
                if name == DatasetName::Cifar10 {
                    push(d.clone());
                    push(d.join(CIFAR10_SUBDIR));
                } else {
                    push(d);
                }
            }
        }
        out
    }

    /// The first candidate folder holding every file of `name`.
    ///
    /// # Errors
    /// [`DataError::NotFound`] listing every folder tried and how to get the data.
    pub fn locate(&self, name: DatasetName) -> Result<PathBuf, DataError> {
        let tried = self.candidates(name);
        for dir in &tried {
            if name.files().iter().all(|f| find_file(dir, f).is_some()) {
                return Ok(dir.clone());
            }
        }
        Err(DataError::NotFound {
            dataset: name.as_str().to_string(),
            tried,
            hint: name.hint(),
        })
    }
}

/// `dir/stem` if it is a file, else `dir/stem.gz` if that is, else `None`.
pub fn find_file(dir: &Path, stem: &str) -> Option<PathBuf> {
    let raw = dir.join(stem);
    if raw.is_file() {
        return Some(raw);
    }
    let gz = dir.join(format!("{stem}.gz"));
    gz.is_file().then_some(gz)
}

/// Like [`find_file`], but a missing file is [`DataError::NotFound`] naming both names tried.
pub(crate) fn require_file(
    dir: &Path,
    stem: &str,
    name: DatasetName,
) -> Result<PathBuf, DataError> {
    find_file(dir, stem).ok_or_else(|| DataError::NotFound {
        dataset: name.as_str().to_string(),
        tried: vec![dir.join(stem), dir.join(format!("{stem}.gz"))],
        hint: name.hint(),
    })
}

/// `p` made absolute (against the current directory) with `.` and `..` removed lexically.
fn absolute(p: &Path) -> PathBuf {
    if p.is_absolute() {
        normalize(p)
    } else {
        match std::env::current_dir() {
            Ok(cwd) => normalize(&cwd.join(p)),
            Err(_) => normalize(p),
        }
    }
}

/// Removes `.` and resolves `..` lexically.
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_order_is_given_env_repo_cwd_system() {
        let s = SearchPath::standard_with_env(Some(Path::new("/given")), Some(Path::new("/env")));
        let c = s.candidates(DatasetName::FashionMnist);
        let repo = repository_data_dir().join("fashion-mnist");
        assert_eq!(c[0], PathBuf::from("/given"));
        assert_eq!(c[1], PathBuf::from("/given/fashion-mnist"));
        assert_eq!(c[2], PathBuf::from("/env/fashion-mnist"));
        assert_eq!(c[3], repo);
        assert_eq!(
            c.last().unwrap(),
            &PathBuf::from("/usr/share/datasets/fashion-mnist")
        );
    }

    #[test]
    fn repository_dir_ends_in_datasets_without_dot_dot() {
        let d = repository_data_dir();
        assert!(d.ends_with("datasets"), "{}", d.display());
        assert!(!d.components().any(|c| c == Component::ParentDir));
    }

    #[test]
    fn cifar_candidates_include_the_archive_subfolder() {
        let c = SearchPath::empty()
            .with_root("/r")
            .candidates(DatasetName::Cifar10);
        assert_eq!(
            c,
            vec![
                PathBuf::from("/r/cifar10"),
                PathBuf::from("/r/cifar10/cifar-10-batches-bin")
            ]
        );
    }

    #[test]
    fn duplicates_are_dropped() {
        let c = SearchPath::empty()
            .with_root("/r")
            .with_root("/r/./x/..")
            .candidates(DatasetName::Mnist);
        assert_eq!(c, vec![PathBuf::from("/r/mnist")]);
    }
}

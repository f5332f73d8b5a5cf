//! Where data is looked for, in order:
//!
//! 1. a folder the caller gives (it may be the dataset's folder itself or hold `<name>/`);
//! 2. `$DL_DATA_DIR/<name>/`;
//! 3. the repository's `datasets/<name>/` (found from this crate's manifest directory at
//!    compile time), then `datasets/<name>/` relative to the current directory;
//! 4. `/usr/share/datasets/<name>/` (where Debian's `dataset-fashion-mnist` installs).
//!
//! A folder the user named (1 and 2) is used or refused: when it does not hold the dataset the
//! search stops with an error saying what is wrong with it. The others (3 and 4) are passed
//! over when they do not qualify. A folder qualifies when it holds every file of the dataset,
//! each with or without `.gz`, as a readable file; for CIFAR-10 its `cifar-10-batches-bin/`
//! subfolder is looked in too.

use std::fs::{self, FileType};
use std::io;
use std::path::{Component, Path, PathBuf};

use crate::error::DataError;
use crate::name::{CIFAR10_SUBDIR, DatasetName};

/// The environment variable naming a folder that holds `<name>/` dataset folders.
pub const DATA_DIR_ENV: &str = "DL_DATA_DIR";

/// The system-wide dataset folder (Debian's `dataset-*` packages install there).
pub const SYSTEM_DATA_DIR: &str = "/usr/share/datasets";

/// Who names a folder given with [`SearchPath::with_dir`], in errors.
const GIVEN: &str = "the data folder given";

/// The repository's `datasets/` folder, as seen from this crate at compile time.
pub fn repository_data_dir() -> PathBuf {
    normalize(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../datasets"))
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Place {
    /// A folder the caller named: the dataset folder itself, or one holding `<name>/`.
    Given(PathBuf),
    /// A folder the user named holding `<name>/`; `by` says who named it.
    NamedRoot { root: PathBuf, by: String },
    /// A default folder holding `<name>/`, passed over when it does not qualify.
    Root(PathBuf),
}

/// An ordered list of places to look for a dataset in.
///
/// [`SearchPath::standard`] looks, in order, in: a folder the caller gives (the dataset's
/// folder itself, or one holding `<name>/`); `$DL_DATA_DIR/<name>/`; the repository's
/// `datasets/<name>/`; `./datasets/<name>/`; `/usr/share/datasets/<name>/`. A folder
/// qualifies when it holds every file of the dataset, each with or without `.gz`, as a
/// readable file; for CIFAR-10 its `cifar-10-batches-bin/` subfolder is looked in too.
///
/// The first two are named by the user, and a named folder is used or refused
/// ([`DataError::UnusableDataDir`]): one that does not exist, is empty, lacks a file or has
/// something else than a readable file where a data file should be (a folder, a FIFO, a
/// symbolic link that cannot be followed) stops the search there, never letting the data
/// come silently from the next place.
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
            s = s.with_named_root(e, format!("${DATA_DIR_ENV}"));
        }
        s.with_root(repository_data_dir())
            .with_root("datasets")
            .with_root(SYSTEM_DATA_DIR)
    }

    /// Adds a folder the caller names, either the dataset's folder itself or one holding
    /// `<name>/`: used or refused when reached, never passed over.
    pub fn with_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.places.push(Place::Given(dir.into()));
        self
    }

    /// Adds a folder the user named (`by`, e.g. `"$DL_DATA_DIR"`, says who in errors) holding
    /// `<name>/`: used or refused when reached, never passed over.
    pub fn with_named_root(mut self, root: impl Into<PathBuf>, by: impl Into<String>) -> Self {
        self.places.push(Place::NamedRoot {
            root: root.into(),
            by: by.into(),
        });
        self
    }

    /// Adds a default folder holding `<name>/` dataset folders, passed over when it does not
    /// hold the dataset.
    pub fn with_root(mut self, root: impl Into<PathBuf>) -> Self {
        self.places.push(Place::Root(root.into()));
        self
    }

    /// Every folder looked in for `name`, in order, without duplicates.
    pub fn candidates(&self, name: DatasetName) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = Vec::new();
        for place in &self.places {
            for d in place_folders(place, name) {
                let key = absolute(&d);
                if !out.iter().any(|q| absolute(q) == key) {
                    out.push(d);
                }
            }
        }
        out
    }

    /// The folder to load `name` from: the first named place (used or refused), or the first
    /// default place that qualifies, whichever comes first.
    ///
    /// # Errors
    /// [`DataError::UnusableDataDir`] when a named folder is reached that does not hold the
    /// dataset as it should, naming the folder (or the file at fault) and what is wrong;
    /// [`DataError::NotFound`] listing every folder tried and how to get the data.
    pub fn locate(&self, name: DatasetName) -> Result<PathBuf, DataError> {
        for place in &self.places {
            let folders = place_folders(place, name);
            match place {
                Place::Given(dir) => return use_named(dir, GIVEN, &folders, name),
                Place::NamedRoot { root, by } => return use_named(root, by, &folders, name),
                Place::Root(_) => {
                    if let Some(dir) = folders.into_iter().find(|d| qualifies(d, name)) {
                        return Ok(dir);
                    }
                }
            }
        }
        Err(DataError::NotFound {
            dataset: name.as_str().to_string(),
            tried: self.candidates(name),
            hint: name.hint(),
        })
    }
}

/// The folders a place stands for, in the order they are looked in.
fn place_folders(place: &Place, name: DatasetName) -> Vec<PathBuf> {
    let dirs = match place {
        Place::Given(d) => vec![d.clone(), d.join(name.as_str())],
        Place::NamedRoot { root, .. } | Place::Root(root) => vec![root.join(name.as_str())],
    };
    if name == DatasetName::Cifar10 {
        dirs.into_iter()
            .flat_map(|d| {
                let sub = d.join(CIFAR10_SUBDIR);
                [d, sub]
            })
            .collect()
    } else {
        dirs
    }
}

/// Whether `dir` holds every file of `name` as a readable file.
fn qualifies(dir: &Path, name: DatasetName) -> bool {
    name.files()
        .iter()
        .all(|f| matches!(check_file(dir, f), Ok(Some(_))))
}

/// The folder of `name` inside the named place `place` (one of `folders`), or why there is
/// none: the place is refused, not passed over.
fn use_named(
    place: &Path,
    by: &str,
    folders: &[PathBuf],
    name: DatasetName,
) -> Result<PathBuf, DataError> {
    let given = by == GIVEN;
    let refuse = |problem: String| DataError::UnusableDataDir {
        dir: place.to_path_buf(),
        named_by: by.to_string(),
        expected: expected_in(name, given),
        problem,
    };
    match fs::metadata(place) {
        Ok(m) if m.is_dir() => {}
        Ok(m) => {
            let kind = describe_kind(&m.file_type());
            return Err(refuse(format!("it is {kind}, not a folder")));
        }
        Err(e) => return Err(refuse(describe_missing(place, &e))),
    }
    let mut entries =
        fs::read_dir(place).map_err(|e| refuse(format!("it cannot be listed ({e})")))?;
    if entries.next().is_none() {
        return Err(refuse("it is empty".to_string()));
    }
    for folder in folders {
        if folder != place {
            match fs::symlink_metadata(folder) {
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                _ => {}
            }
            match fs::metadata(folder) {
                Ok(m) if m.is_dir() => {}
                Ok(m) => {
                    let kind = describe_kind(&m.file_type());
                    return Err(refuse(format!(
                        "{} is {kind}, not a folder",
                        folder.display()
                    )));
                }
                Err(e) => {
                    return Err(refuse(format!(
                        "{} is {}",
                        folder.display(),
                        unfollowable(&e)
                    )));
                }
            }
        }
        if !holds_any(folder, name) {
            continue;
        }
        for stem in name.files() {
            match check_file(folder, stem) {
                Ok(Some(_)) => {}
                Ok(None) => {
                    return Err(refuse(format!(
                        "{} (or {stem}.gz) is missing",
                        folder.join(stem).display()
                    )));
                }
                Err((path, found)) => {
                    return Err(refuse(format!("{} is {found}", path.display())));
                }
            }
        }
        return Ok(folder.clone());
    }
    let files = name.files().join(", ");
    Err(refuse(if given {
        format!(
            "it holds none of {name}'s files ({files}), neither itself nor in {}",
            place.join(name.as_str()).display()
        )
    } else {
        format!("it has no {name}/ folder holding {name}'s files ({files})")
    }))
}

/// What a named place should be, for [`DataError::UnusableDataDir`].
fn expected_in(name: DatasetName, given: bool) -> String {
    let files = if name == DatasetName::Cifar10 {
        format!("{name}'s files (or a {CIFAR10_SUBDIR}/ folder of them)")
    } else {
        format!("{name}'s files")
    };
    let each = "each a readable file, with or without .gz";
    if given {
        format!("a folder holding {files}, or a {name}/ folder holding them; {each}")
    } else {
        format!("a folder holding a {name}/ folder of {files}; {each}")
    }
}

/// Whether `dir` has an entry (of any kind) named like one of `name`'s files.
fn holds_any(dir: &Path, name: DatasetName) -> bool {
    name.files().iter().any(|stem| {
        [dir.join(stem), dir.join(format!("{stem}.gz"))]
            .iter()
            .any(|p| fs::symlink_metadata(p).is_ok())
    })
}

/// The file of `stem` in `dir`: `dir/stem` if anything has that name, else `dir/stem.gz`.
/// `Ok(None)` when neither exists; `Err((path, found))` when what is there is not a readable
/// file (a folder, a FIFO, a symbolic link that cannot be followed, a file that cannot be
/// opened). A FIFO is never opened.
pub(crate) fn check_file(dir: &Path, stem: &str) -> Result<Option<PathBuf>, (PathBuf, String)> {
    for path in [dir.join(stem), dir.join(format!("{stem}.gz"))] {
        let link = match fs::symlink_metadata(&path) {
            Ok(m) => m.file_type().is_symlink(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err((path, format!("unreachable ({e})"))),
        };
        let meta = match fs::metadata(&path) {
            Ok(m) => m,
            Err(e) if link => return Err((path, unfollowable(&e))),
            Err(e) => return Err((path, format!("unreachable ({e})"))),
        };
        if !meta.is_file() {
            return Err((path, describe_kind(&meta.file_type())));
        }
        if let Err(e) = fs::File::open(&path) {
            return Err((path, format!("a file that cannot be read ({e})")));
        }
        return Ok(Some(path));
    }
    Ok(None)
}

/// A symbolic link whose target cannot be reached, described with the reason (a loop, a
/// missing target).
fn unfollowable(e: &io::Error) -> String {
    format!("a symbolic link that cannot be followed ({e})")
}

/// Why a named folder cannot be opened: missing, a broken link, or another error.
fn describe_missing(place: &Path, e: &io::Error) -> String {
    let link = fs::symlink_metadata(place).is_ok_and(|m| m.file_type().is_symlink());
    if link {
        format!("it is {}", unfollowable(e))
    } else if e.kind() == io::ErrorKind::NotFound {
        "it does not exist".to_string()
    } else {
        format!("it cannot be opened ({e})")
    }
}

/// What kind of thing a file type is, with its article: `a folder`, `a FIFO (named pipe)`.
pub(crate) fn describe_kind(t: &FileType) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO (named pipe)".to_string();
        }
        if t.is_socket() {
            return "a socket".to_string();
        }
        if t.is_block_device() || t.is_char_device() {
            return "a device".to_string();
        }
    }
    if t.is_dir() {
        "a folder".to_string()
    } else if t.is_file() {
        "a file".to_string()
    } else {
        "not a regular file".to_string()
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

/// The file of `stem` in `dir` (see [`check_file`]): a missing file is [`DataError::NotFound`]
/// naming both names tried, something else than a readable file [`DataError::NotAFile`].
pub(crate) fn require_file(
    dir: &Path,
    stem: &str,
    name: DatasetName,
) -> Result<PathBuf, DataError> {
    match check_file(dir, stem) {
        Ok(Some(path)) => Ok(path),
        Ok(None) => Err(DataError::NotFound {
            dataset: name.as_str().to_string(),
            tried: vec![dir.join(stem), dir.join(format!("{stem}.gz"))],
            hint: name.hint(),
        }),
        Err((path, found)) => Err(DataError::NotAFile { path, found }),
    }
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

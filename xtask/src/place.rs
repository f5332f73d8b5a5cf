//! Paths as results may record them: never an absolute path of the machine a run was made on.

use std::path::{Path, PathBuf};

use serde::Serializer;

/// `path` as a result records it: relative to the repository when inside it, as
/// `$DL_DATA_DIR/…` under that folder, by Debian package under `/usr/share/datasets`, and
/// otherwise by its last component only (`<outside the repository>/mnist`). Relative paths are
/// kept as given; non-UTF-8 parts are written lossily.
pub fn portable(path: &Path) -> String {
    if path.is_relative() && !path.starts_with("..") {
        return path.to_string_lossy().into_owned();
    }
    let full = canonical(path);
    if let Ok(rel) = full.strip_prefix(canonical(&crate::project_root())) {
        return non_empty(rel);
    }
    if let Some(env) = std::env::var_os(dl_data::DATA_DIR_ENV)
        && let Ok(rel) = full.strip_prefix(canonical(Path::new(&env)))
    {
        return format!("${}/{}", dl_data::DATA_DIR_ENV, rel.to_string_lossy());
    }
    if let Ok(rel) = full.strip_prefix(dl_data::SYSTEM_DATA_DIR)
        && let Some(first) = rel.components().next()
    {
        let package = first.as_os_str().to_string_lossy();
        return format!("Debian's dataset-{package} ({})", full.to_string_lossy());
    }
    let last = full
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!("<outside the repository>/{last}")
}

/// `serde` serializer of a path field through [`portable`].
pub fn serialize<S: Serializer>(path: &Path, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&portable(path))
}

/// `serde` serializer of an optional path field through [`portable`].
pub fn serialize_opt<S: Serializer>(path: &Option<PathBuf>, s: S) -> Result<S::Ok, S::Error> {
    match path {
        Some(p) => s.serialize_str(&portable(p)),
        None => s.serialize_none(),
    }
}

fn canonical(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

fn non_empty(rel: &Path) -> String {
    if rel.as_os_str().is_empty() {
        ".".into()
    } else {
        rel.to_string_lossy().into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::portable;
    use std::path::Path;

    #[test]
    fn no_absolute_path_of_this_machine_is_recorded() {
        let root = crate::project_root();
        assert_eq!(portable(&root.join("datasets/mnist")), "datasets/mnist");
        assert_eq!(portable(Path::new("results")), "results");
        let tmp = tempfile::tempdir().unwrap();
        let outside = tmp.path().join("mnist");
        std::fs::create_dir(&outside).unwrap();
        assert_eq!(portable(&outside), "<outside the repository>/mnist");
        assert_eq!(
            portable(Path::new("/usr/share/datasets/fashion-mnist")),
            "Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist)"
        );
    }
}

//! What a load checks each file it reads against: the folder's `SHA256SUMS`, which must list
//! every file read, and, for MNIST and Fashion-MNIST, the SHA-256 of the published files.
//!
//! Both are taken over a file's decompressed content, under its name without `.gz`. The rules
//! are stated on [`LoadOptions`](crate::LoadOptions).

use std::path::Path;

use crate::checksum::{Checksums, verify};
use crate::error::DataError;
use crate::fetch::{DigestOf, sources};
use crate::load::LoadOptions;
use crate::name::DatasetName;

/// The checks of one load, decided from its options and the folder's `SHA256SUMS`.
pub(crate) struct Verification {
    name: DatasetName,
    /// `false` when verification is off: nothing is hashed or checked.
    on: bool,
    list: Option<Checksums>,
    allow_noncanonical: bool,
}

impl Verification {
    /// The checks for loading `name` from `dir` with `opts` (reads `dir/SHA256SUMS` when
    /// verification is on).
    pub(crate) fn new(
        name: DatasetName,
        dir: &Path,
        opts: &LoadOptions,
    ) -> Result<Self, DataError> {
        let list = if opts.verify_checksums {
            Checksums::load(dir)?
        } else {
            None
        };
        Ok(Verification {
            name,
            on: opts.verify_checksums,
            list,
            allow_noncanonical: opts.allow_noncanonical,
        })
    }

    /// Called before `path` is read: whether its content must be hashed. A folder list that
    /// does not cover the file is [`DataError::NotCovered`].
    pub(crate) fn before_reading(&self, path: &Path) -> Result<bool, DataError> {
        if !self.on {
            return Ok(false);
        }
        if let Some(list) = &self.list {
            let key = sum_key(path);
            if list.get(&key).is_none() {
                return Err(DataError::NotCovered {
                    path: path.to_path_buf(),
                    list: list.path().to_path_buf(),
                    found: what_the_list_holds(list, &key),
                    expected_name: key,
                });
            }
            return Ok(true);
        }
        Ok(has_published(self.name))
    }

    /// Called after `path` was read, with the SHA-256 of its content when it was hashed.
    pub(crate) fn after_reading(&self, path: &Path, actual: Option<&str>) -> Result<(), DataError> {
        let Some(actual) = actual else {
            return Ok(());
        };
        let key = sum_key(path);
        if let Some(expected) = self.list.as_ref().and_then(|l| l.get(&key)) {
            verify(path, expected, actual)?;
        }
        let Some(expected) = published(self.name, &key) else {
            return Ok(());
        };
        if expected.eq_ignore_ascii_case(actual) {
            return Ok(());
        }
        if let Some((found, found_file)) = identify(actual) {
            return Err(DataError::Misidentified {
                path: path.to_path_buf(),
                expected: self.name,
                expected_file: key,
                found,
                found_file,
            });
        }
        if self.allow_noncanonical {
            return Ok(());
        }
        Err(DataError::NotCanonical {
            path: path.to_path_buf(),
            dataset: self.name,
            file: key,
            expected: expected.to_string(),
            actual: actual.to_string(),
        })
    }
}

/// Whether the published digests of `name`'s files are known (MNIST, Fashion-MNIST).
fn has_published(name: DatasetName) -> bool {
    sources(name)
        .iter()
        .any(|s| s.digest_of == DigestOf::Content)
}

/// The SHA-256 of the published file `file` (name without `.gz`) of `name`, when known.
pub(crate) fn published(name: DatasetName, file: &str) -> Option<&'static str> {
    sources(name)
        .iter()
        .filter(|s| s.digest_of == DigestOf::Content)
        .find(|s| s.file.strip_suffix(".gz").unwrap_or(s.file) == file)
        .map(|s| s.sha256)
}

/// The published file (dataset, name without `.gz`) whose content has SHA-256 `digest`.
fn identify(digest: &str) -> Option<(DatasetName, String)> {
    DatasetName::ALL.into_iter().find_map(|name| {
        sources(name)
            .iter()
            .filter(|s| s.digest_of == DigestOf::Content)
            .find(|s| s.sha256.eq_ignore_ascii_case(digest))
            .map(|s| {
                (
                    name,
                    s.file.strip_suffix(".gz").unwrap_or(s.file).to_string(),
                )
            })
    })
}

/// What a list that lacks `key` holds, for [`DataError::NotCovered`].
fn what_the_list_holds(list: &Checksums, key: &str) -> String {
    let gz = format!("{key}.gz");
    if list.get(&gz).is_some() {
        return format!(
            "a line for `{gz}`, the compressed file's name (the list holds the SHA-256 of the \
             decompressed content, under the name without .gz)"
        );
    }
    if list.is_empty() {
        return "an empty list".to_string();
    }
    let names: Vec<&str> = list.names().collect();
    format!("lines for {} only", names.join(", "))
}

/// The name a file has in `SHA256SUMS`: its file name without `.gz`.
pub(crate) fn sum_key(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    name.strip_suffix(".gz").map(str::to_string).unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sum_key_drops_gz_only() {
        assert_eq!(
            sum_key(Path::new("/a/train-images-idx3-ubyte.gz")),
            "train-images-idx3-ubyte"
        );
        assert_eq!(sum_key(Path::new("b/test_batch.bin")), "test_batch.bin");
    }

    #[test]
    fn published_digests_are_known_for_the_idx_datasets_only() {
        for name in [DatasetName::Mnist, DatasetName::FashionMnist] {
            assert!(has_published(name));
            for f in crate::name::IDX_FILES {
                let digest = published(name, f).unwrap();
                assert_eq!(identify(digest), Some((name, f.to_string())));
            }
        }
        assert!(!has_published(DatasetName::Cifar10));
        assert_eq!(identify(&"0".repeat(64)), None);
    }
}

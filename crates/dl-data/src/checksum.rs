//! SHA-256 checksums: the `SHA256SUMS` list of a dataset folder and the check against it.
//!
//! The list holds the checksum of each file's *decompressed* content under the file's name
//! without `.gz` (as `sha256sum` prints it: `<64 hex digits>  <name>`), so it holds whatever
//! gzip produced the archive.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::DataError;

/// The file name of a dataset folder's checksum list.
pub const CHECKSUM_FILE: &str = "SHA256SUMS";

/// Lowercase hex of `bytes`.
pub(crate) fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
    out
}

/// The SHA-256 of `bytes`, as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    to_hex(&Sha256::digest(bytes))
}

/// A parsed `SHA256SUMS` file: expected checksums by file name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Checksums {
    path: PathBuf,
    sums: BTreeMap<String, String>,
}

impl Checksums {
    /// Reads `dir/SHA256SUMS`; `Ok(None)` when the folder has none.
    ///
    /// # Errors
    /// [`DataError::NotAFile`] when something else than a file has that name (a FIFO is never
    /// opened), [`DataError::Io`] when it cannot be read, [`DataError::BadChecksumList`] for a
    /// malformed line.
    pub fn load(dir: &Path) -> Result<Option<Self>, DataError> {
        let path = dir.join(CHECKSUM_FILE);
        if let Ok(meta) = std::fs::metadata(&path)
            && !meta.is_file()
        {
            return Err(DataError::NotAFile {
                found: crate::locate::describe_kind(&meta.file_type()),
                path,
            });
        }
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::parse(&text, &path).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(DataError::io(path, e)),
        }
    }

    /// Parses the text of a checksum list read from `path` (named in errors). Blank lines and
    /// lines starting with `#` are skipped; a `*` before the name (binary mode) is accepted.
    pub fn parse(text: &str, path: &Path) -> Result<Self, DataError> {
        let mut sums = BTreeMap::new();
        for (i, line) in text.lines().enumerate() {
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let bad = || DataError::BadChecksumList {
                path: path.to_path_buf(),
                line: i + 1,
                text: line.to_string(),
            };
            let (hex, name) = trimmed.split_once(char::is_whitespace).ok_or_else(bad)?;
            let name = name.trim_start();
            let name = name.strip_prefix('*').unwrap_or(name);
            if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) || name.is_empty() {
                return Err(bad());
            }
            sums.insert(name.to_string(), hex.to_ascii_lowercase());
        }
        Ok(Checksums {
            path: path.to_path_buf(),
            sums,
        })
    }

    /// The checksum listed for `name` (a file name without `.gz`).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.sums.get(name).map(String::as_str)
    }

    /// The names listed, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.sums.keys().map(String::as_str)
    }

    /// The number of files listed.
    pub fn len(&self) -> usize {
        self.sums.len()
    }

    /// Whether no file is listed.
    pub fn is_empty(&self) -> bool {
        self.sums.is_empty()
    }

    /// The list's own path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Compares a computed checksum with the expected one; `path` is named in the error.
pub(crate) fn verify(path: &Path, expected: &str, actual: &str) -> Result<(), DataError> {
    if expected.eq_ignore_ascii_case(actual) {
        Ok(())
    } else {
        Err(DataError::Checksum {
            path: path.to_path_buf(),
            expected: expected.to_ascii_lowercase(),
            actual: actual.to_string(),
        })
    }
}

/// Renders checksum lines as `sha256sum` does: `<hex>  <name>`, sorted by name.
pub(crate) fn render(entries: &[(String, String)]) -> String {
    let mut sorted: Vec<_> = entries.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    sorted
        .into_iter()
        .map(|(name, hex)| format!("{hex}  {name}\n"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_abc_matches_fips_180_2() {
        // FIPS 180-2, appendix B.1.
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn parses_sha256sum_output_and_rejects_malformed_lines() {
        let a = "a".repeat(64);
        let b = "B".repeat(64);
        let text = format!("# comment\n{a}  one\n\n{b} *two\n");
        let sums = Checksums::parse(&text, Path::new("SUMS")).unwrap();
        assert_eq!(sums.len(), 2);
        assert_eq!(sums.get("one"), Some(a.as_str()));
        assert_eq!(sums.get("two"), Some("b".repeat(64).as_str()));
        assert_eq!(sums.get("three"), None);

        let err = Checksums::parse(&format!("{a}  ok\nxyz  bad\n"), Path::new("SUMS")).unwrap_err();
        assert!(
            matches!(err, DataError::BadChecksumList { line: 2, .. }),
            "{err}"
        );
        assert!(Checksums::parse("abc\n", Path::new("S")).is_err());
    }

    #[test]
    fn verify_reports_both_checksums() {
        let err = verify(Path::new("f"), "AB", "cd").unwrap_err();
        match err {
            DataError::Checksum {
                expected, actual, ..
            } => assert_eq!((expected.as_str(), actual.as_str()), ("ab", "cd")),
            other => panic!("wrong error {other}"),
        }
        assert!(verify(Path::new("f"), "AB", "ab").is_ok());
    }
}

//! The error type of every fallible operation in this crate: each variant names the file (or
//! dataset) and what was expected against what was found.

use std::fmt::Write as _;
use std::io;
use std::path::PathBuf;

/// Everything that can go wrong reading, locating, verifying or fetching data.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// No folder holding the dataset's files was found.
    #[error(
        "dataset `{dataset}` not found; looked in:{}\nto get it: {hint}",
        list_paths(.tried)
    )]
    NotFound {
        /// The dataset's name (`mnist`, `fashion-mnist`, `cifar10`).
        dataset: String,
        /// Every folder looked in, in order.
        tried: Vec<PathBuf>,
        /// How to get the data.
        hint: String,
    },
    /// A dataset name that is not one of `mnist`, `fashion-mnist`, `cifar10`.
    #[error("unknown dataset `{name}`: expected one of mnist, fashion-mnist, cifar10")]
    UnknownDataset {
        /// The name given.
        name: String,
    },
    /// Reading or writing a file failed.
    #[error("{}: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// A file starting with the gzip magic bytes is not a valid gzip stream.
    #[error("{}: corrupt gzip stream: {source}", .path.display())]
    Gzip {
        /// The file.
        path: PathBuf,
        /// What the decoder reported.
        source: io::Error,
    },
    /// The file (after decompression) holds no bytes at all.
    #[error("{}: file is empty", .path.display())]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// The file does not start with the magic number expected.
    #[error("{}: bad magic number: expected {expected}, found {found}", .path.display())]
    BadMagic {
        /// The file.
        path: PathBuf,
        /// What a valid file starts with.
        expected: String,
        /// What this one starts with.
        found: String,
    },
    /// The file ends before the header or the data it announces.
    #[error(
        "{}: truncated {part}: expected {expected} bytes, found {found}",
        .path.display()
    )]
    Truncated {
        /// The file.
        path: PathBuf,
        /// `"header"` or `"data"`.
        part: &'static str,
        /// Bytes the header announces (or the header's own size).
        expected: u64,
        /// Bytes actually present.
        found: u64,
    },
    /// The data length differs from what the header announces (or, for headerless formats, is
    /// not a whole number of records).
    #[error("{}: data length mismatch: expected {expected}, found {found} bytes", .path.display())]
    LengthMismatch {
        /// The file.
        path: PathBuf,
        /// What the header (or the record size) implies.
        expected: String,
        /// Bytes actually present.
        found: u64,
    },
    /// The product of the header's dimensions (times the element size) overflows.
    #[error("{}: dimensions {dims:?} overflow (element size {element_size} bytes)", .path.display())]
    DimensionOverflow {
        /// The file.
        path: PathBuf,
        /// The dimensions the header claims.
        dims: Vec<u64>,
        /// Bytes per element.
        element_size: usize,
    },
    /// The dimensions are valid IDX but not what the dataset needs (e.g. 32×32 MNIST images).
    #[error("{}: expected dimensions {expected}, found {found:?}", .path.display())]
    BadShape {
        /// The file.
        path: PathBuf,
        /// The dimensions wanted, e.g. `N×28×28`.
        expected: String,
        /// The dimensions found.
        found: Vec<usize>,
    },
    /// A label outside `0..classes`.
    #[error(
        "{}: label {label} at index {index} is outside 0..={}",
        .path.display(), .classes.saturating_sub(1)
    )]
    LabelOutOfRange {
        /// The file.
        path: PathBuf,
        /// Position of the label (sample index).
        index: usize,
        /// The label found.
        label: i64,
        /// The number of classes.
        classes: usize,
    },
    /// The image and label files hold different numbers of samples.
    #[error(
        "{} holds {images} images but {} holds {labels} labels",
        .images_path.display(), .labels_path.display()
    )]
    CountMismatch {
        /// The image file.
        images_path: PathBuf,
        /// Its number of images.
        images: usize,
        /// The label file.
        labels_path: PathBuf,
        /// Its number of labels.
        labels: usize,
    },
    /// The SHA-256 of a file's (decompressed) content differs from the one listed.
    #[error(
        "{}: SHA-256 mismatch: expected {expected}, found {actual} (the file is corrupt or was modified)",
        .path.display()
    )]
    Checksum {
        /// The file.
        path: PathBuf,
        /// The listed checksum (lowercase hex).
        expected: String,
        /// The checksum of the content read (lowercase hex).
        actual: String,
    },
    /// A `SHA256SUMS` line that is not `<64 hex digits>  <file name>`.
    #[error("{}:{line}: malformed checksum line: {text:?}", .path.display())]
    BadChecksumList {
        /// The `SHA256SUMS` file.
        path: PathBuf,
        /// Line number (1-based).
        line: usize,
        /// The line's text.
        text: String,
    },
    /// Every mirror of a file failed to deliver verified content.
    #[error("could not fetch {file}:{}", list_lines(.attempts))]
    Download {
        /// The file wanted.
        file: String,
        /// One line per mirror: its URL and what went wrong.
        attempts: Vec<String>,
    },
    /// A downloaded archive is malformed or lacks a member.
    #[error("{}: bad archive: {reason}", .path.display())]
    Archive {
        /// The archive.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

impl DataError {
    /// An [`DataError::Io`] for `path`.
    pub(crate) fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        DataError::Io {
            path: path.into(),
            source,
        }
    }
}

fn list_paths(paths: &[PathBuf]) -> String {
    let mut out = String::new();
    for p in paths {
        let _ = write!(out, "\n  - {}", p.display());
    }
    out
}

fn list_lines(lines: &[String]) -> String {
    let mut out = String::new();
    for l in lines {
        let _ = write!(out, "\n  - {l}");
    }
    out
}

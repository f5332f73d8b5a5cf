//! The error type of every fallible operation in this crate: each variant names the file (or
//! dataset) and what was expected against what was found.

use std::fmt::Write as _;
use std::io;
use std::path::PathBuf;

use crate::name::DatasetName;

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
    /// A data folder the user named (`LoadOptions::data_dir`, `$DL_DATA_DIR`) cannot be used.
    /// A named folder is used or refused, never passed over for the next place to look in.
    #[error(
        "{} ({named_by}) cannot be used: {problem}\n  expected: {expected}\n  a folder you name is \
         used or refused, never passed over for another: fix it, or name another",
        .dir.display()
    )]
    UnusableDataDir {
        /// The folder named.
        dir: PathBuf,
        /// Who named it: `"the data folder given"` or `"$DL_DATA_DIR"`.
        named_by: String,
        /// What the folder should be or hold.
        expected: String,
        /// What is wrong with it (naming the file at fault, if one is).
        problem: String,
    },
    /// Something other than a readable file where a data file should be.
    #[error("{}: expected a readable data file, found {found}", .path.display())]
    NotAFile {
        /// Where the data file should be.
        path: PathBuf,
        /// What is there: a folder, a FIFO, a symbolic link that cannot be followed, a file
        /// that cannot be read.
        found: String,
    },
    /// A file to be read has no line in the folder's `SHA256SUMS`: with verification on, every
    /// file read must be listed.
    #[error(
        "{}: not covered by {}: expected a line `<SHA-256 of the decompressed content>  \
         {expected_name}`, found {found}; add the line (`zcat -f <file> | sha256sum`) or turn \
         checksum verification off",
        .path.display(), .list.display()
    )]
    NotCovered {
        /// The file.
        path: PathBuf,
        /// The `SHA256SUMS` file.
        list: PathBuf,
        /// The name the file must be listed under (its name without `.gz`).
        expected_name: String,
        /// What the list holds instead.
        found: String,
    },
    /// A file of MNIST or Fashion-MNIST whose content is not the published one.
    #[error(
        "{}: not {}'s published {file}: expected SHA-256 {expected}, found {actual}; get the \
         real files (`cargo xtask fetch {}`), or, for hand-made data in its format, pass \
         `--allow-noncanonical-data` (LoadOptions::allow_noncanonical in code)",
        .path.display(), .dataset.title(), .dataset.as_str()
    )]
    NotCanonical {
        /// The file.
        path: PathBuf,
        /// The dataset being loaded.
        dataset: DatasetName,
        /// The file's name without `.gz`.
        file: String,
        /// The published file's SHA-256 (lowercase hex).
        expected: String,
        /// The SHA-256 of the content read (lowercase hex).
        actual: String,
    },
    /// A file whose content is another published file: another dataset's (Fashion-MNIST's
    /// files given as MNIST) or another file of the same dataset (train and test swapped).
    #[error("{}", misidentified(.path, *.expected, .expected_file, *.found, .found_file))]
    Misidentified {
        /// The file.
        path: PathBuf,
        /// The dataset being loaded.
        expected: DatasetName,
        /// The file it should be (name without `.gz`).
        expected_file: String,
        /// The dataset whose file it is.
        found: DatasetName,
        /// The published file it is (name without `.gz`).
        found_file: String,
    },
    /// A file whose (decompressed) content would exceed the size limit; refused before the
    /// content is read.
    #[error(
        "{}: too large: {found}, above the limit of {limit} bytes (LoadOptions::max_decompressed); \
         raise the limit if the file is genuine",
        .path.display()
    )]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// What its size is or claims to be.
        found: String,
        /// The limit, in bytes of decompressed content.
        limit: u64,
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

fn misidentified(
    path: &std::path::Path,
    expected: DatasetName,
    expected_file: &str,
    found: DatasetName,
    found_file: &str,
) -> String {
    let path = path.display();
    if expected == found {
        format!(
            "{path}: this is {}'s {found_file}, not its {expected_file} (by its SHA-256): the \
             files are swapped",
            found.title()
        )
    } else {
        format!(
            "{path}: these are {}'s files, not {}'s: this is {}'s {found_file} (by its \
             SHA-256); load it as `{}`",
            found.title(),
            expected.title(),
            found.title(),
            found.as_str()
        )
    }
}

fn list_lines(lines: &[String]) -> String {
    let mut out = String::new();
    for l in lines {
        let _ = write!(out, "\n  - {l}");
    }
    out
}

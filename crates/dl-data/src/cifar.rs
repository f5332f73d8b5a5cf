//! CIFAR-10, binary version: each file is a run of 3073-byte records, one label byte (0..=9)
//! then 3072 pixel bytes, channel-major (1024 red, 1024 green, 1024 blue, each 32×32 row-major).

use std::path::Path;

use crate::dataset::Dataset;
use crate::error::DataError;
use crate::load::{
    DEFAULT_MAX_DECOMPRESSED, LoadOptions, assemble, checked_labels, pixels_to_tensor,
};
use crate::locate::require_file;
use crate::name::{CIFAR10_TEST_FILE, CIFAR10_TRAIN_FILES, DatasetName};
use crate::read::DataReader;
use crate::verify::Verification;

/// Pixels per CIFAR-10 image: 3 × 32 × 32.
pub const CIFAR10_PIXELS: usize = 3 * 32 * 32;

/// Bytes per CIFAR-10 record: the label byte and the pixels.
pub const CIFAR10_RECORD: usize = 1 + CIFAR10_PIXELS;

/// The records of one CIFAR-10 batch file, split into labels and pixels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CifarBatch {
    /// One label per record, checked to be in `0..=9`.
    pub labels: Vec<usize>,
    /// `labels.len() × 3072` pixel bytes, record after record (CHW within a record).
    pub pixels: Vec<u8>,
}

/// Reads one CIFAR-10 binary batch (raw or gzip). The length must be a non-zero multiple of
/// 3073 bytes (checked before reading a raw file), at most [`DEFAULT_MAX_DECOMPRESSED`], and
/// every label in `0..=9`.
///
/// # Errors
/// [`DataError::Empty`], [`DataError::LengthMismatch`], [`DataError::TooLarge`],
/// [`DataError::LabelOutOfRange`], [`DataError::Gzip`] or [`DataError::Io`], each naming the
/// file.
pub fn read_cifar_batch(path: impl AsRef<Path>) -> Result<CifarBatch, DataError> {
    read_batch_hashed(path.as_ref(), false, DEFAULT_MAX_DECOMPRESSED).map(|(b, _)| b)
}

fn read_batch_hashed(
    path: &Path,
    hash: bool,
    limit: u64,
) -> Result<(CifarBatch, Option<String>), DataError> {
    let mut reader = DataReader::open(path, hash, limit)?;
    let check_len = |len: u64| {
        if len == 0 {
            Err(DataError::Empty {
                path: path.to_path_buf(),
            })
        } else if !len.is_multiple_of(CIFAR10_RECORD as u64) {
            Err(DataError::LengthMismatch {
                path: path.to_path_buf(),
                expected: format!("a multiple of {CIFAR10_RECORD} bytes (label + 3×32×32 pixels)"),
                found: len,
            })
        } else {
            Ok(())
        }
    };
    if let Some(len) = reader.raw_remaining() {
        check_len(len)?;
    }
    let bytes = reader.read_rest()?;
    check_len(bytes.len() as u64)?;
    let n = bytes.len() / CIFAR10_RECORD;
    let mut raw_labels = Vec::with_capacity(n);
    let mut pixels = Vec::with_capacity(n * CIFAR10_PIXELS);
    for record in bytes.chunks_exact(CIFAR10_RECORD) {
        raw_labels.push(record[0]);
        pixels.extend_from_slice(&record[1..]);
    }
    let labels = checked_labels(&raw_labels, 10, path)?;
    Ok((CifarBatch { labels, pixels }, reader.finish()))
}

fn load_files(
    dir: &Path,
    files: &[&str],
    opts: &LoadOptions,
    verification: &Verification,
) -> Result<Dataset, DataError> {
    let name = DatasetName::Cifar10;
    let mut labels = Vec::new();
    let mut pixels = Vec::new();
    for file in files {
        let path = require_file(dir, file, name)?;
        let hash = verification.before_reading(&path)?;
        let (batch, digest) = read_batch_hashed(&path, hash, opts.max_decompressed)?;
        verification.after_reading(&path, digest.as_deref())?;
        labels.extend(batch.labels);
        pixels.extend(batch.pixels);
    }
    let images = pixels_to_tensor(&pixels, labels.len(), name.image_shape(), opts);
    Ok(assemble(images, labels, name.classes(), opts))
}

/// Loads the five training batches and the test batch from `dir`.
pub(crate) fn load_cifar_dir(
    dir: &Path,
    opts: &LoadOptions,
    verification: &Verification,
) -> Result<(Dataset, Dataset), DataError> {
    let train = load_files(dir, &CIFAR10_TRAIN_FILES, opts, verification)?;
    let test = load_files(dir, &[CIFAR10_TEST_FILE], opts, verification)?;
    Ok((train, test))
}

//! The loaders' options and entry points: find a dataset, read it, verify it, convert it.

use std::path::{Path, PathBuf};

use dl_tensor::Tensor;

use crate::dataset::{Dataset, Splits};
use crate::error::DataError;
use crate::locate::SearchPath;
use crate::name::DatasetName;
use crate::verify::Verification;
use crate::{cifar, mnist};

/// The default limit on one file's content after decompression: 1 GiB, above every file of
/// the datasets this crate knows (the largest, MNIST's training images, is 47 MB).
pub const DEFAULT_MAX_DECOMPRESSED: u64 = 1 << 30;

/// How to load a dataset: the options of the course's `load_mnist`, plus where to look, what
/// to verify and how much to decompress.
///
/// The default is the course's: pixels ÷ 255, flattened, class-index labels; checksums
/// verified against the published files; the standard search path; at most
/// [`DEFAULT_MAX_DECOMPRESSED`] bytes per file.
///
/// # Verification
/// With [`LoadOptions::verify_checksums`] on (the default), the SHA-256 of every file's
/// decompressed content is checked:
///
/// - when the folder has a `SHA256SUMS`, every file read must be listed in it (under its name
///   without `.gz`) and match: a file the list does not cover is
///   [`DataError::NotCovered`], before it is read;
/// - for MNIST and Fashion-MNIST, every file must also be the published one, whether or not
///   the folder has a list. A file that is another published file (Fashion-MNIST's given as
///   MNIST, or train and test swapped) is [`DataError::Misidentified`], always; any other
///   content is [`DataError::NotCanonical`] unless [`LoadOptions::allow_noncanonical`] is set,
///   which is how hand-made data in their format is loaded (still checked against its own
///   `SHA256SUMS`, if it has one).
///
/// With verification off nothing is hashed or checked.
///
/// # Where
/// A folder the user named ([`LoadOptions::data_dir`], `$DL_DATA_DIR`) is used or refused
/// ([`DataError::UnusableDataDir`]), never passed over for the next place; see [`SearchPath`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadOptions {
    /// Pixels as `f32` in `[0, 1]` (÷ 255) when `true`, raw `0..=255` as `f32` when `false`.
    pub normalize: bool,
    /// Images as `(N, C·H·W)` when `true`, `(N, C, H, W)` when `false`.
    pub flatten: bool,
    /// Also fill [`Dataset::one_hot_labels`].
    pub one_hot: bool,
    /// Check each file's SHA-256 against the folder's `SHA256SUMS` (which must list every file
    /// read) and, for MNIST and Fashion-MNIST, against the published files'.
    pub verify_checksums: bool,
    /// Accept MNIST or Fashion-MNIST files that are not the published ones (hand-made data in
    /// their format); a file that *is* another published file is refused all the same.
    pub allow_noncanonical: bool,
    /// The most bytes one file's content may hold after decompression; a header claiming more
    /// is refused before anything past it is read.
    pub max_decompressed: u64,
    /// A folder to look in first (the dataset folder itself, or one holding `<name>/`); used
    /// or refused, never passed over.
    pub data_dir: Option<PathBuf>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            normalize: true,
            flatten: true,
            one_hot: false,
            verify_checksums: true,
            allow_noncanonical: false,
            max_decompressed: DEFAULT_MAX_DECOMPRESSED,
            data_dir: None,
        }
    }
}

impl LoadOptions {
    /// Sets [`LoadOptions::normalize`].
    pub fn normalize(mut self, on: bool) -> Self {
        self.normalize = on;
        self
    }

    /// Sets [`LoadOptions::flatten`].
    pub fn flatten(mut self, on: bool) -> Self {
        self.flatten = on;
        self
    }

    /// Sets [`LoadOptions::one_hot`].
    pub fn one_hot(mut self, on: bool) -> Self {
        self.one_hot = on;
        self
    }

    /// Sets [`LoadOptions::verify_checksums`].
    pub fn verify_checksums(mut self, on: bool) -> Self {
        self.verify_checksums = on;
        self
    }

    /// Sets [`LoadOptions::allow_noncanonical`].
    pub fn allow_noncanonical(mut self, on: bool) -> Self {
        self.allow_noncanonical = on;
        self
    }

    /// Sets [`LoadOptions::max_decompressed`] (bytes).
    pub fn max_decompressed(mut self, bytes: u64) -> Self {
        self.max_decompressed = bytes;
        self
    }

    /// Sets [`LoadOptions::data_dir`].
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }
}

/// Finds `name` on the standard search path (after `opts.data_dir`) and loads it.
///
/// # Errors
/// [`DataError::UnusableDataDir`] when `opts.data_dir` or `$DL_DATA_DIR` is set but does not
/// hold the dataset, [`DataError::NotFound`] listing the places tried, or any error of
/// [`load_dir`].
pub fn load(name: DatasetName, opts: &LoadOptions) -> Result<Splits, DataError> {
    let dir = SearchPath::standard(opts.data_dir.as_deref()).locate(name)?;
    load_dir(name, &dir, opts)
}

/// Loads `name` from exactly the folder `dir` (no search).
///
/// # Errors
/// A missing file or something else than a file in its place, a malformed or corrupt one, one
/// too large, a checksum mismatch or a file the checksums do not cover (see
/// [`LoadOptions`]), a label out of range or image and label counts that differ: each error
/// names the file.
pub fn load_dir(name: DatasetName, dir: &Path, opts: &LoadOptions) -> Result<Splits, DataError> {
    let verification = Verification::new(name, dir, opts)?;
    let (train, test) = match name {
        DatasetName::Mnist | DatasetName::FashionMnist => {
            mnist::load_idx_dir(name, dir, opts, &verification)?
        }
        DatasetName::Cifar10 => cifar::load_cifar_dir(dir, opts, &verification)?,
    };
    Ok(Splits {
        name,
        dir: dir.to_path_buf(),
        train,
        test,
    })
}

/// MNIST with the given options: 60,000 training and 10,000 test images of 28×28.
///
/// # Errors
/// As [`load`].
pub fn load_mnist(opts: &LoadOptions) -> Result<Splits, DataError> {
    load(DatasetName::Mnist, opts)
}

/// Fashion-MNIST with the given options (same format and sizes as MNIST).
///
/// # Errors
/// As [`load`].
pub fn load_fashion_mnist(opts: &LoadOptions) -> Result<Splits, DataError> {
    load(DatasetName::FashionMnist, opts)
}

/// CIFAR-10 (binary version) with the given options: 50,000 training and 10,000 test images
/// of 3×32×32.
///
/// # Errors
/// As [`load`].
pub fn load_cifar10(opts: &LoadOptions) -> Result<Splits, DataError> {
    load(DatasetName::Cifar10, opts)
}

/// Pixels to `f32` (÷ 255 when `normalize`) with shape `(n, c·h·w)` or `(n, c, h, w)`.
pub(crate) fn pixels_to_tensor(
    pixels: &[u8],
    n: usize,
    chw: [usize; 3],
    opts: &LoadOptions,
) -> Tensor<f32> {
    let data: Vec<f32> = if opts.normalize {
        pixels.iter().map(|&p| f32::from(p) / 255.0).collect()
    } else {
        pixels.iter().map(|&p| f32::from(p)).collect()
    };
    let [c, h, w] = chw;
    if opts.flatten {
        Tensor::from_vec(data, [n, c * h * w])
    } else {
        Tensor::from_vec(data, [n, c, h, w])
    }
}

/// Labels checked against `classes` (errors name `path` and the index).
pub(crate) fn checked_labels(
    raw: &[u8],
    classes: usize,
    path: &Path,
) -> Result<Vec<usize>, DataError> {
    raw.iter()
        .enumerate()
        .map(|(index, &l)| {
            if usize::from(l) < classes {
                Ok(usize::from(l))
            } else {
                Err(DataError::LabelOutOfRange {
                    path: path.to_path_buf(),
                    index,
                    label: i64::from(l),
                    classes,
                })
            }
        })
        .collect()
}

/// A [`Dataset`] from checked parts, with one-hot labels when asked.
pub(crate) fn assemble(
    images: Tensor<f32>,
    labels: Vec<usize>,
    classes: usize,
    opts: &LoadOptions,
) -> Dataset {
    let d = Dataset::new(images, labels, classes);
    if opts.one_hot { d.with_one_hot() } else { d }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pixels_scale_by_255_and_keep_raw_values() {
        let px = [0u8, 51, 255, 102];
        let t = pixels_to_tensor(&px, 1, [1, 2, 2], &LoadOptions::default());
        assert_eq!(t.shape(), &[1, 4]);
        assert_eq!(t.to_vec(), vec![0.0, 0.2, 1.0, 0.4]);
        let raw = pixels_to_tensor(
            &px,
            1,
            [1, 2, 2],
            &LoadOptions::default().normalize(false).flatten(false),
        );
        assert_eq!(raw.shape(), &[1, 1, 2, 2]);
        assert_eq!(raw.to_vec(), vec![0.0, 51.0, 255.0, 102.0]);
    }

    #[test]
    fn labels_out_of_range_name_the_index() {
        let err = checked_labels(&[1, 9, 10], 10, Path::new("l")).unwrap_err();
        assert!(
            matches!(
                err,
                DataError::LabelOutOfRange {
                    index: 2,
                    label: 10,
                    ..
                }
            ),
            "{err}"
        );
    }
}

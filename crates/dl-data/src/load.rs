//! The loaders' options and entry points: find a dataset, read it, verify it, convert it.

use std::path::{Path, PathBuf};

use dl_tensor::Tensor;

use crate::checksum::{Checksums, verify};
use crate::dataset::{Dataset, Splits};
use crate::error::DataError;
use crate::locate::SearchPath;
use crate::name::DatasetName;
use crate::{cifar, mnist};

/// How to load a dataset: the options of the course's `load_mnist`, plus where to look.
///
/// The default is the course's: pixels ÷ 255, flattened, class-index labels; checksums
/// verified; the standard search path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadOptions {
    /// Pixels as `f32` in `[0, 1]` (÷ 255) when `true`, raw `0..=255` as `f32` when `false`.
    pub normalize: bool,
    /// Images as `(N, C·H·W)` when `true`, `(N, C, H, W)` when `false`.
    pub flatten: bool,
    /// Also fill [`Dataset::one_hot_labels`].
    pub one_hot: bool,
    /// Check each file's SHA-256 against the folder's `SHA256SUMS`, when it has one.
    pub verify_checksums: bool,
    /// A folder to look in first (the dataset folder itself, or one holding `<name>/`).
    pub data_dir: Option<PathBuf>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            normalize: true,
            flatten: true,
            one_hot: false,
            verify_checksums: true,
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

    /// Sets [`LoadOptions::data_dir`].
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }
}

/// Finds `name` on the standard search path (after `opts.data_dir`) and loads it.
///
/// # Errors
/// [`DataError::NotFound`] listing the places tried, or any error of [`load_dir`].
pub fn load(name: DatasetName, opts: &LoadOptions) -> Result<Splits, DataError> {
    let dir = SearchPath::standard(opts.data_dir.as_deref()).locate(name)?;
    load_dir(name, &dir, opts)
}

/// Loads `name` from exactly the folder `dir` (no search).
///
/// # Errors
/// A missing file, a malformed or corrupt one, a checksum mismatch, a label out of range or
/// image and label counts that differ: each error names the file.
pub fn load_dir(name: DatasetName, dir: &Path, opts: &LoadOptions) -> Result<Splits, DataError> {
    let sums = if opts.verify_checksums {
        Checksums::load(dir)?
    } else {
        None
    };
    let (train, test) = match name {
        DatasetName::Mnist | DatasetName::FashionMnist => {
            mnist::load_idx_dir(name, dir, opts, sums.as_ref())?
        }
        DatasetName::Cifar10 => cifar::load_cifar_dir(dir, opts, sums.as_ref())?,
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

/// Checks `actual` (when computed) against the checksum `sums` lists for `path`'s file name
/// without `.gz`.
pub(crate) fn check_sum(
    sums: Option<&Checksums>,
    path: &Path,
    actual: Option<&str>,
) -> Result<(), DataError> {
    if let (Some(expected), Some(actual)) = (sums.and_then(|s| s.get(&sum_key(path))), actual) {
        verify(path, expected, actual)?;
    }
    Ok(())
}

/// Whether `sums` lists `path` (so its content needs hashing).
pub(crate) fn listed(sums: Option<&Checksums>, path: &Path) -> bool {
    sums.is_some_and(|s| s.get(&sum_key(path)).is_some())
}

/// The name a file has in `SHA256SUMS`: its file name without `.gz`.
fn sum_key(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    name.strip_suffix(".gz").map(str::to_string).unwrap_or(name)
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
    fn sum_key_drops_gz_only() {
        assert_eq!(
            sum_key(Path::new("/a/train-images-idx3-ubyte.gz")),
            "train-images-idx3-ubyte"
        );
        assert_eq!(sum_key(Path::new("b/test_batch.bin")), "test_batch.bin");
    }

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

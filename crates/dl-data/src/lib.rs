//! `dl-data`: IDX, MNIST, Fashion-MNIST and CIFAR-10 loaders with mini-batch sampling.
//!
//! The course's `load_mnist(normalize=True, flatten=True, one_hot_label=False)` is
//! [`load_mnist`] with [`LoadOptions`]; its `np.random.choice(train_size, batch_size)` is
//! [`sample_with_replacement`], and `x_train[batch_mask]` is [`Dataset::batch`]:
//!
//! ```
//! # fn main() -> Result<(), dl_data::DataError> {
//! use dl_data::{LoadOptions, load_mnist, sample_with_replacement};
//!
//! let mnist = load_mnist(&LoadOptions::default())?; // ÷255, flattened, class indices
//! assert_eq!(mnist.train.images.shape(), &[60_000, 784]);
//! assert_eq!(mnist.test.len(), 10_000);
//!
//! let train = mnist.train.take_first(300); // the notes' first 300 images: a view, no copy
//! let mut rng = dl_data::rng_from_seed(0); // re-exported from dl_tensor
//! let mask = sample_with_replacement(train.len(), 100, &mut rng);
//! let (x, t) = train.batch(&mask);
//! assert_eq!(x.shape(), &[100, 784]);
//! assert!(t.iter().all(|&label| label < 10));
//! let t_one_hot = train.one_hot(&t);
//! assert_eq!(t_one_hot.shape(), &[100, 10]);
//! # Ok(())
//! # }
//! ```
//!
//! Data is looked for in a folder the caller gives, `$DL_DATA_DIR/<name>/`, the repository's
//! `datasets/<name>/`, `./datasets/<name>/` and `/usr/share/datasets/<name>/` (see
//! [`SearchPath`]); a folder the user named is used or refused, never passed over. Files may
//! be gzip-compressed or not. With verification on (the default), a dataset folder's
//! `SHA256SUMS` must list every file read, and MNIST's and Fashion-MNIST's files must be the
//! published ones (see [`LoadOptions`]).
//!
//! Malformed input is a [`DataError`] naming the file and what was expected against what was
//! found; a header announcing more data than the file holds, or more than the limit on
//! decompressed content, fails before anything of that size is allocated. Downloading is left to the caller: [`fetch()`] verifies, unpacks and records what
//! a downloader (e.g. `curl`) fetched from [`sources`].

mod checksum;
mod cifar;
mod dataset;
mod error;
mod fetch;
mod idx;
mod load;
mod locate;
mod mnist;
mod name;
mod read;
mod sampling;
mod tar;
mod verify;

pub use checksum::{CHECKSUM_FILE, Checksums, sha256_hex};
pub use cifar::{CIFAR10_PIXELS, CIFAR10_RECORD, CifarBatch, read_cifar_batch};
pub use dataset::{Dataset, Splits, one_hot};
pub use error::DataError;
pub use fetch::{DigestOf, Downloader, FetchEvent, Source, fetch, fetch_sources, sources};
pub use idx::{Idx, IdxData, IdxHeader, IdxType, encode_idx, read_idx, read_idx_with_limit};
pub use load::{
    DEFAULT_MAX_DECOMPRESSED, LoadOptions, load, load_cifar10, load_dir, load_fashion_mnist,
    load_mnist,
};
pub use locate::{DATA_DIR_ENV, SYSTEM_DATA_DIR, SearchPath, find_file, repository_data_dir};
pub use name::{CIFAR10_SUBDIR, CIFAR10_TEST_FILE, CIFAR10_TRAIN_FILES, DatasetName, IDX_FILES};
pub use read::GZIP_MAGIC;
pub use sampling::{EpochBatches, epoch_batches, permutation, sample_with_replacement};

// What the public API hands out, so that depending on this crate alone is enough.
pub use dl_tensor;
#[doc(no_inline)]
pub use dl_tensor::{Float, Rng, Tensor, rng_from_seed};

/// The README's examples, compiled and run by `cargo test --doc`.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

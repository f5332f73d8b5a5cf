//! Getting a dataset: where each file is published, what its checksum must be, and [`fetch`],
//! which verifies, places and unpacks what a caller-supplied downloader fetched.
//!
//! This crate holds no HTTP client: the downloader is the caller's (the xtask runs `curl` as a
//! subprocess). Nothing here touches the network by itself.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::checksum::{CHECKSUM_FILE, Checksums, render, to_hex};
use crate::error::DataError;
use crate::load::DEFAULT_MAX_DECOMPRESSED;
use crate::name::DatasetName;
use crate::read::DataReader;
use crate::tar;

/// What a [`Source`]'s checksum is taken over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DigestOf {
    /// The file's content after gzip decompression (as `SHA256SUMS` lists it), so any mirror's
    /// recompression of the same data verifies.
    Content,
    /// The downloaded bytes themselves (an archive).
    Download,
}

/// One published file of a dataset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Source {
    /// The file's name, as published and as saved.
    pub file: &'static str,
    /// Base URLs (ending in `/`) of the mirrors, tried in order; the file's URL is base + file.
    pub mirrors: &'static [&'static str],
    /// The expected SHA-256 (lowercase hex), over [`Source::digest_of`].
    pub sha256: &'static str,
    /// What [`Source::sha256`] is taken over.
    pub digest_of: DigestOf,
    /// The download's size in bytes, when fixed.
    pub size: Option<u64>,
    /// For an archive: the members to take out (paths inside it), saved under their base
    /// names; the archive is deleted afterwards. Empty for a plain file, which is kept as is.
    pub extract: &'static [&'static str],
}

impl Source {
    /// The file's URL on every mirror, in order.
    pub fn urls(&self) -> Vec<String> {
        self.mirrors
            .iter()
            .map(|m| format!("{m}{}", self.file))
            .collect()
    }
}

const MNIST_MIRRORS: &[&str] = &[
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
];

const FASHION_MIRRORS: &[&str] = &[
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
];

const fn idx_source(
    file: &'static str,
    mirrors: &'static [&'static str],
    sha256: &'static str,
) -> Source {
    Source {
        file,
        mirrors,
        sha256,
        digest_of: DigestOf::Content,
        size: None,
        extract: &[],
    }
}

/// MNIST: SHA-256 of the decompressed files, as in `datasets/mnist/SHA256SUMS`.
static MNIST: [Source; 4] = [
    idx_source(
        "train-images-idx3-ubyte.gz",
        MNIST_MIRRORS,
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    ),
    idx_source(
        "train-labels-idx1-ubyte.gz",
        MNIST_MIRRORS,
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    ),
    idx_source(
        "t10k-images-idx3-ubyte.gz",
        MNIST_MIRRORS,
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    ),
    idx_source(
        "t10k-labels-idx1-ubyte.gz",
        MNIST_MIRRORS,
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    ),
];

/// Fashion-MNIST: SHA-256 of the decompressed files, computed from Debian's
/// `dataset-fashion-mnist` (0.0~git20200523.55506a9-1), which packages Zalando's files.
static FASHION_MNIST: [Source; 4] = [
    idx_source(
        "train-images-idx3-ubyte.gz",
        FASHION_MIRRORS,
        "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    ),
    idx_source(
        "train-labels-idx1-ubyte.gz",
        FASHION_MIRRORS,
        "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    ),
    idx_source(
        "t10k-images-idx3-ubyte.gz",
        FASHION_MIRRORS,
        "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    ),
    idx_source(
        "t10k-labels-idx1-ubyte.gz",
        FASHION_MIRRORS,
        "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    ),
];

/// CIFAR-10, binary version: one archive from its authors (MD5
/// `c32a1d4ab5d03f1284b67883e8d87530` on their page; the SHA-256 is the one TensorFlow
/// Datasets pins).
static CIFAR10: [Source; 1] = [Source {
    file: "cifar-10-binary.tar.gz",
    mirrors: &["https://www.cs.toronto.edu/~kriz/"],
    sha256: "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd",
    digest_of: DigestOf::Download,
    size: Some(170_052_171),
    extract: &[
        "cifar-10-batches-bin/data_batch_1.bin",
        "cifar-10-batches-bin/data_batch_2.bin",
        "cifar-10-batches-bin/data_batch_3.bin",
        "cifar-10-batches-bin/data_batch_4.bin",
        "cifar-10-batches-bin/data_batch_5.bin",
        "cifar-10-batches-bin/test_batch.bin",
        "cifar-10-batches-bin/batches.meta.txt",
    ],
}];

/// The published files of `name`, with their mirrors and checksums.
pub fn sources(name: DatasetName) -> &'static [Source] {
    match name {
        DatasetName::Mnist => &MNIST,
        DatasetName::FashionMnist => &FASHION_MNIST,
        DatasetName::Cifar10 => &CIFAR10,
    }
}

/// What [`fetch`] is doing, for the downloader to report.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FetchEvent {
    /// A file (or an archive's members) is already present and verified: not downloaded.
    Present {
        /// The file.
        file: String,
    },
    /// A download from `url` starts.
    Downloading {
        /// Where from.
        url: String,
    },
    /// A mirror failed; the next one is tried.
    MirrorFailed {
        /// Which mirror.
        url: String,
        /// Why.
        reason: String,
    },
    /// A file was downloaded and its checksum matched.
    Verified {
        /// The file.
        file: String,
    },
    /// A member was taken out of an archive.
    Extracted {
        /// The member's base name.
        file: String,
    },
}

/// Downloads a URL to a file: the caller's HTTP client (e.g. `curl` as a subprocess).
///
/// Closures `FnMut(&str, &Path) -> Result<(), String>` implement it.
pub trait Downloader {
    /// Downloads `url` into the file `dest` (created or overwritten); `Err` says why not.
    fn download(&mut self, url: &str, dest: &Path) -> Result<(), String>;

    /// Hears what [`fetch`] is doing (ignored by default).
    fn event(&mut self, _event: &FetchEvent) {}
}

impl<F: FnMut(&str, &Path) -> Result<(), String>> Downloader for F {
    fn download(&mut self, url: &str, dest: &Path) -> Result<(), String> {
        self(url, dest)
    }
}

/// Fetches `name` into `datasets_root/<name>/` and returns that folder.
///
/// Each file of [`sources`] is downloaded with `downloader` from its mirrors in turn until one
/// delivers content whose SHA-256 matches; files already present and matching are kept. Plain
/// files are kept as downloaded (gzip); archives are unpacked (only the listed members, under
/// their base names) and deleted. Finally the folder's `SHA256SUMS` is written for the
/// loaders to check against.
///
/// # Errors
/// [`DataError::Download`] when every mirror of a file fails (each failure listed),
/// [`DataError::Archive`] for a bad archive, [`DataError::Io`] for local file errors.
pub fn fetch(
    name: DatasetName,
    datasets_root: &Path,
    downloader: &mut dyn Downloader,
) -> Result<PathBuf, DataError> {
    let dir = datasets_root.join(name.as_str());
    fetch_sources(sources(name), &dir, downloader)?;
    Ok(dir)
}

/// [`fetch`] for any list of sources, into exactly `dir`.
///
/// # Errors
/// As [`fetch`].
pub fn fetch_sources(
    sources: &[Source],
    dir: &Path,
    downloader: &mut dyn Downloader,
) -> Result<(), DataError> {
    std::fs::create_dir_all(dir).map_err(|e| DataError::io(dir, e))?;
    let mut sums: Vec<(String, String)> = Vec::new();
    for source in sources {
        if source.extract.is_empty() {
            let digest = fetch_one(source, dir, downloader)?;
            sums.push((content_name(source.file), digest));
        } else if let Some(present) = extracted_and_verified(source, dir)? {
            downloader.event(&FetchEvent::Present {
                file: source.file.to_string(),
            });
            sums.extend(present);
        } else {
            fetch_one(source, dir, downloader)?;
            let archive = dir.join(source.file);
            for member in tar::extract(&archive, source.extract, dir)? {
                downloader.event(&FetchEvent::Extracted {
                    file: member.name.clone(),
                });
                sums.push((member.name, member.sha256));
            }
            std::fs::remove_file(&archive).map_err(|e| DataError::io(&archive, e))?;
        }
    }
    let list = dir.join(CHECKSUM_FILE);
    std::fs::write(&list, render(&sums)).map_err(|e| DataError::io(&list, e))
}

/// The name `SHA256SUMS` lists a plain file under: without `.gz`.
fn content_name(file: &str) -> String {
    file.strip_suffix(".gz").unwrap_or(file).to_string()
}

/// Downloads one file (unless present and verified); returns its content's SHA-256.
fn fetch_one(
    source: &Source,
    dir: &Path,
    downloader: &mut dyn Downloader,
) -> Result<String, DataError> {
    let path = dir.join(source.file);
    if path.is_file()
        && let Ok(digest) = check(source, &path)
    {
        downloader.event(&FetchEvent::Present {
            file: source.file.to_string(),
        });
        return Ok(digest);
    }
    let part = dir.join(format!("{}.part", source.file));
    let mut attempts = Vec::new();
    for url in source.urls() {
        downloader.event(&FetchEvent::Downloading { url: url.clone() });
        let outcome = downloader
            .download(&url, &part)
            .and_then(|()| check(source, &part));
        match outcome {
            Ok(digest) => {
                std::fs::rename(&part, &path).map_err(|e| DataError::io(&path, e))?;
                downloader.event(&FetchEvent::Verified {
                    file: source.file.to_string(),
                });
                return Ok(digest);
            }
            Err(reason) => {
                let _ = std::fs::remove_file(&part);
                downloader.event(&FetchEvent::MirrorFailed {
                    url: url.clone(),
                    reason: reason.clone(),
                });
                attempts.push(format!("{url}: {reason}"));
            }
        }
    }
    Err(DataError::Download {
        file: source.file.to_string(),
        attempts,
    })
}

/// Verifies a downloaded file against its source; returns the checksum of what `SHA256SUMS`
/// will list (the decompressed content, or the download itself).
fn check(source: &Source, path: &Path) -> Result<String, String> {
    let digest = match source.digest_of {
        DigestOf::Content => {
            let mut reader = DataReader::open(path, true, DEFAULT_MAX_DECOMPRESSED)
                .map_err(|e| e.to_string())?;
            reader.read_rest().map_err(|e| e.to_string())?;
            reader.finish().expect("hashing was asked for")
        }
        DigestOf::Download => {
            let len = std::fs::metadata(path).map_err(|e| e.to_string())?.len();
            if let Some(size) = source.size.filter(|&s| s != len) {
                return Err(format!("size {len} bytes, expected {size}"));
            }
            hash_file(path).map_err(|e| e.to_string())?
        }
    };
    if digest.eq_ignore_ascii_case(source.sha256) {
        Ok(digest)
    } else {
        Err(format!("SHA-256 {digest}, expected {}", source.sha256))
    }
}

/// Streams a file through SHA-256.
fn hash_file(path: &Path) -> std::io::Result<String> {
    let mut r = BufReader::with_capacity(1 << 16, File::open(path)?);
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            return Ok(to_hex(&h.finalize()));
        }
        h.update(&buf[..n]);
    }
}

/// When every member of an archive source is already in `dir` and matches the folder's
/// `SHA256SUMS`, their (name, checksum) entries.
fn extracted_and_verified(
    source: &Source,
    dir: &Path,
) -> Result<Option<Vec<(String, String)>>, DataError> {
    let Some(listed) = Checksums::load(dir)? else {
        return Ok(None);
    };
    let mut out = Vec::new();
    for member in source.extract {
        let base = member.rsplit('/').next().unwrap_or(member);
        let path = dir.join(base);
        let Some(expected) = listed.get(base) else {
            return Ok(None);
        };
        match hash_file(&path) {
            Ok(actual) if actual == expected => out.push((base.to_string(), actual)),
            _ => return Ok(None),
        }
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_source_has_a_well_formed_checksum_and_urls() {
        for name in DatasetName::ALL {
            let list = sources(name);
            assert!(!list.is_empty(), "{name}");
            for s in list {
                assert_eq!(s.sha256.len(), 64, "{}", s.file);
                assert!(
                    s.sha256
                        .bytes()
                        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
                );
                for url in s.urls() {
                    assert!(url.starts_with("http") && url.ends_with(s.file), "{url}");
                }
            }
        }
    }

    #[test]
    fn idx_sources_cover_the_files_the_loader_needs() {
        for name in [DatasetName::Mnist, DatasetName::FashionMnist] {
            let names: Vec<String> = sources(name).iter().map(|s| content_name(s.file)).collect();
            assert_eq!(names, crate::name::IDX_FILES.to_vec(), "{name}");
        }
        let cifar = &sources(DatasetName::Cifar10)[0];
        for f in DatasetName::Cifar10.files() {
            assert!(cifar.extract.iter().any(|m| m.ends_with(f)), "{f}");
        }
    }
}

//! MNIST and Fashion-MNIST: two pairs of IDX files (u8 images N×28×28, u8 labels N).

use std::path::Path;

use crate::dataset::Dataset;
use crate::error::DataError;
use crate::idx::{self, IdxData, IdxHeader, IdxType, describe_magic};
use crate::load::{LoadOptions, assemble, checked_labels, pixels_to_tensor};
use crate::locate::require_file;
use crate::name::DatasetName;
use crate::read::DataReader;
use crate::verify::Verification;

/// Loads the training and test pairs of an IDX dataset from `dir`.
pub(crate) fn load_idx_dir(
    name: DatasetName,
    dir: &Path,
    opts: &LoadOptions,
    verification: &Verification,
) -> Result<(Dataset, Dataset), DataError> {
    let train = load_pair(name, dir, "train", opts, verification)?;
    let test = load_pair(name, dir, "t10k", opts, verification)?;
    Ok((train, test))
}

/// An opened IDX file whose header has been read and checked.
struct Opened {
    reader: DataReader,
    header: IdxHeader,
}

/// Opens `path` (hashing it when `hash`) and checks its header is u8 of rank `rank`.
fn open_checked(path: &Path, rank: u8, hash: bool, limit: u64) -> Result<Opened, DataError> {
    let mut reader = DataReader::open(path, hash, limit)?;
    let header = idx::read_header(&mut reader)?;
    if header.element_type != IdxType::U8 || header.dims.len() != usize::from(rank) {
        return Err(DataError::BadMagic {
            path: path.to_path_buf(),
            expected: describe_magic(&[0, 0, IdxType::U8.code(), rank]),
            found: describe_magic(&header.magic()),
        });
    }
    Ok(Opened { reader, header })
}

fn load_pair(
    name: DatasetName,
    dir: &Path,
    prefix: &str,
    opts: &LoadOptions,
    verification: &Verification,
) -> Result<Dataset, DataError> {
    let images_path = require_file(dir, &format!("{prefix}-images-idx3-ubyte"), name)?;
    let labels_path = require_file(dir, &format!("{prefix}-labels-idx1-ubyte"), name)?;
    let hash_images = verification.before_reading(&images_path)?;
    let hash_labels = verification.before_reading(&labels_path)?;
    let [c, h, w] = name.image_shape();

    // Headers first: a wrong shape, count or size fails before any data is decompressed.
    let mut images = open_checked(&images_path, 3, hash_images, opts.max_decompressed)?;
    if images.header.dims[1..] != [h, w] {
        return Err(DataError::BadShape {
            path: images_path,
            expected: format!("N×{h}×{w}"),
            found: images.header.dims,
        });
    }
    let mut labels = open_checked(&labels_path, 1, hash_labels, opts.max_decompressed)?;
    let (n_images, n_labels) = (images.header.dims[0], labels.header.dims[0]);
    if n_images != n_labels {
        return Err(DataError::CountMismatch {
            images_path,
            images: n_images,
            labels_path,
            labels: n_labels,
        });
    }

    // The small label file next, so its errors come before the images are decompressed.
    let raw_labels = idx::read_body(&mut labels.reader, &labels.header)?;
    verification.after_reading(&labels_path, labels.reader.finish().as_deref())?;
    let IdxData::U8(raw_labels) = raw_labels.data else {
        unreachable!("the label header was checked to be u8");
    };
    let labels = checked_labels(&raw_labels, name.classes(), &labels_path)?;

    let pixels = idx::read_body(&mut images.reader, &images.header)?;
    verification.after_reading(&images_path, images.reader.finish().as_deref())?;
    let IdxData::U8(pixels) = pixels.data else {
        unreachable!("the image header was checked to be u8");
    };
    let images = pixels_to_tensor(&pixels, n_images, [c, h, w], opts);
    Ok(assemble(images, labels, name.classes(), opts))
}

//! The IDX format of the MNIST files: every element type and rank, big-endian, raw or gzip.
//!
//! An IDX file is a 4-byte magic number `00 00 <type> <rank>`, then `rank` big-endian `u32`
//! dimensions, then the elements in row-major order, each big-endian:
//!
//! | type code | element |
//! |---|---|
//! | `0x08` | `u8` |
//! | `0x09` | `i8` |
//! | `0x0B` | `i16` |
//! | `0x0C` | `i32` |
//! | `0x0D` | `f32` |
//! | `0x0E` | `f64` |

use std::fmt;
use std::path::Path;

use dl_tensor::{Float, MAX_DIMS, Tensor};

use crate::error::DataError;
use crate::load::DEFAULT_MAX_DECOMPRESSED;
use crate::read::DataReader;

/// The element type of an IDX file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IdxType {
    /// Unsigned byte (`0x08`).
    U8,
    /// Signed byte (`0x09`).
    I8,
    /// Big-endian 16-bit integer (`0x0B`).
    I16,
    /// Big-endian 32-bit integer (`0x0C`).
    I32,
    /// Big-endian IEEE single (`0x0D`).
    F32,
    /// Big-endian IEEE double (`0x0E`).
    F64,
}

impl IdxType {
    /// Every element type.
    pub const ALL: [IdxType; 6] = [
        IdxType::U8,
        IdxType::I8,
        IdxType::I16,
        IdxType::I32,
        IdxType::F32,
        IdxType::F64,
    ];

    /// The type code of the magic number's third byte.
    pub fn code(self) -> u8 {
        match self {
            IdxType::U8 => 0x08,
            IdxType::I8 => 0x09,
            IdxType::I16 => 0x0B,
            IdxType::I32 => 0x0C,
            IdxType::F32 => 0x0D,
            IdxType::F64 => 0x0E,
        }
    }

    /// The type with this code, if any.
    pub fn from_code(code: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.code() == code)
    }

    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            IdxType::U8 | IdxType::I8 => 1,
            IdxType::I16 => 2,
            IdxType::I32 | IdxType::F32 => 4,
            IdxType::F64 => 8,
        }
    }
}

impl fmt::Display for IdxType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            IdxType::U8 => "u8",
            IdxType::I8 => "i8",
            IdxType::I16 => "i16",
            IdxType::I32 => "i32",
            IdxType::F32 => "f32",
            IdxType::F64 => "f64",
        };
        f.write_str(name)
    }
}

/// The elements of an IDX file, in the file's own type.
#[derive(Clone, Debug, PartialEq)]
pub enum IdxData {
    /// `u8` elements.
    U8(Vec<u8>),
    /// `i8` elements.
    I8(Vec<i8>),
    /// `i16` elements.
    I16(Vec<i16>),
    /// `i32` elements.
    I32(Vec<i32>),
    /// `f32` elements.
    F32(Vec<f32>),
    /// `f64` elements.
    F64(Vec<f64>),
}

impl IdxData {
    /// The element type.
    pub fn element_type(&self) -> IdxType {
        match self {
            IdxData::U8(_) => IdxType::U8,
            IdxData::I8(_) => IdxType::I8,
            IdxData::I16(_) => IdxType::I16,
            IdxData::I32(_) => IdxType::I32,
            IdxData::F32(_) => IdxType::F32,
            IdxData::F64(_) => IdxType::F64,
        }
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        match self {
            IdxData::U8(v) => v.len(),
            IdxData::I8(v) => v.len(),
            IdxData::I16(v) => v.len(),
            IdxData::I32(v) => v.len(),
            IdxData::F32(v) => v.len(),
            IdxData::F64(v) => v.len(),
        }
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every element widened to `f64` (exact for every IDX type).
    pub fn to_f64_vec(&self) -> Vec<f64> {
        match self {
            IdxData::U8(v) => v.iter().map(|&x| f64::from(x)).collect(),
            IdxData::I8(v) => v.iter().map(|&x| f64::from(x)).collect(),
            IdxData::I16(v) => v.iter().map(|&x| f64::from(x)).collect(),
            IdxData::I32(v) => v.iter().map(|&x| f64::from(x)).collect(),
            IdxData::F32(v) => v.iter().map(|&x| f64::from(x)).collect(),
            IdxData::F64(v) => v.clone(),
        }
    }

    fn decode(ty: IdxType, bytes: Vec<u8>) -> Self {
        fn be<const N: usize, T>(bytes: &[u8], f: fn([u8; N]) -> T) -> Vec<T> {
            bytes
                .chunks_exact(N)
                .map(|c| f(c.try_into().expect("chunks_exact yields N bytes")))
                .collect()
        }
        match ty {
            IdxType::U8 => IdxData::U8(bytes),
            IdxType::I8 => IdxData::I8(bytes.into_iter().map(|b| b as i8).collect()),
            IdxType::I16 => IdxData::I16(be(&bytes, i16::from_be_bytes)),
            IdxType::I32 => IdxData::I32(be(&bytes, i32::from_be_bytes)),
            IdxType::F32 => IdxData::F32(be(&bytes, f32::from_be_bytes)),
            IdxType::F64 => IdxData::F64(be(&bytes, f64::from_be_bytes)),
        }
    }
}

/// An IDX header: element type and dimensions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdxHeader {
    /// The element type.
    pub element_type: IdxType,
    /// The dimensions (rank = `dims.len()`).
    pub dims: Vec<usize>,
}

impl IdxHeader {
    /// The magic number's four bytes, `00 00 <type> <rank>`.
    ///
    /// # Panics
    /// If the rank exceeds 255 (no IDX file can hold it).
    #[track_caller]
    pub fn magic(&self) -> [u8; 4] {
        let rank = u8::try_from(self.dims.len())
            .unwrap_or_else(|_| panic!("IdxHeader::magic: rank {} > 255", self.dims.len()));
        [0, 0, self.element_type.code(), rank]
    }

    /// The header's size in bytes: 4 + 4 per dimension.
    pub fn len(&self) -> usize {
        4 + 4 * self.dims.len()
    }

    /// Always `false`: a header holds at least its magic number.
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// An IDX array: dimensions and elements.
#[derive(Clone, Debug, PartialEq)]
pub struct Idx {
    /// The dimensions.
    pub dims: Vec<usize>,
    /// The elements, row-major.
    pub data: IdxData,
}

impl Idx {
    /// The element type.
    pub fn element_type(&self) -> IdxType {
        self.data.element_type()
    }

    /// The header describing this array.
    pub fn header(&self) -> IdxHeader {
        IdxHeader {
            element_type: self.element_type(),
            dims: self.dims.clone(),
        }
    }

    /// The elements converted to a float tensor of the array's dimensions (integers exactly,
    /// `f64` rounded when `T` is `f32`); `None` when the rank exceeds [`MAX_DIMS`].
    pub fn to_tensor<T: Float>(&self) -> Option<Tensor<T>> {
        if self.dims.len() > MAX_DIMS {
            return None;
        }
        let data = self.data.to_f64_vec().into_iter().map(T::lit).collect();
        Some(Tensor::from_vec(data, self.dims.as_slice()))
    }
}

/// Renders a magic number as `00 00 08 03 (u8, rank 3)`.
pub(crate) fn describe_magic(bytes: &[u8]) -> String {
    let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let mut out = hex.join(" ");
    if let [0, 0, code, rank] = *bytes
        && let Some(t) = IdxType::from_code(code)
    {
        out.push_str(&format!(" ({t}, rank {rank})"));
    }
    out
}

/// Reads and validates an IDX header from `reader`.
pub(crate) fn read_header(reader: &mut DataReader) -> Result<IdxHeader, DataError> {
    let magic = reader.read_header(4, "header")?;
    let element_type = match magic[..] {
        [0, 0, code, _] => IdxType::from_code(code),
        _ => None,
    };
    let Some(element_type) = element_type else {
        return Err(DataError::BadMagic {
            path: reader.path().to_path_buf(),
            expected: "00 00 <type 08|09|0b|0c|0d|0e> <rank>".to_string(),
            found: describe_magic(&magic),
        });
    };
    let rank = usize::from(magic[3]);
    let raw = reader.read_header(4 * rank, "header")?;
    let dims64: Vec<u64> = raw
        .chunks_exact(4)
        .map(|c| u64::from(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
        .collect();
    let overflow = || DataError::DimensionOverflow {
        path: reader.path().to_path_buf(),
        dims: dims64.clone(),
        element_size: element_type.size(),
    };
    let dims = dims64
        .iter()
        .map(|&d| usize::try_from(d).map_err(|_| overflow()))
        .collect::<Result<Vec<usize>, _>>()?;
    let data = data_bytes(&dims64, element_type).ok_or_else(overflow)?;
    reader.check_claim(data.saturating_add(4 + 4 * rank as u64))?;
    Ok(IdxHeader { element_type, dims })
}

/// The data size the dimensions announce, `None` on overflow.
fn data_bytes(dims: &[u64], ty: IdxType) -> Option<u64> {
    dims.iter()
        .try_fold(ty.size() as u64, |acc, &d| acc.checked_mul(d))
}

/// Reads the rest of an IDX file after its header: exactly the announced number of elements.
pub(crate) fn read_body(reader: &mut DataReader, header: &IdxHeader) -> Result<Idx, DataError> {
    let dims64: Vec<u64> = header.dims.iter().map(|&d| d as u64).collect();
    let n = data_bytes(&dims64, header.element_type).expect("checked by read_header");
    let bytes = reader.read_exactly_rest(n)?;
    Ok(Idx {
        dims: header.dims.clone(),
        data: IdxData::decode(header.element_type, bytes),
    })
}

/// Reads the IDX file at `path`, raw or gzip-compressed (detected by its first two bytes).
///
/// The header is validated (magic `00 00 <type> <rank>`, the dimensions' product checked for
/// overflow), a content size above [`DEFAULT_MAX_DECOMPRESSED`] is refused, and the announced
/// size is compared with what the file really holds before any buffer of that size is
/// allocated. Every error names `path`.
///
/// # Example
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use dl_data::{read_idx, IdxData};
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("pair-idx1-i16");
/// // magic 00 00 0b 01 (i16, rank 1), one dimension: 2, then -2 and 258 big-endian.
/// std::fs::write(&path, [0, 0, 0x0b, 1, 0, 0, 0, 2, 0xff, 0xfe, 0x01, 0x02])?;
/// let idx = read_idx(&path)?;
/// assert_eq!(idx.dims, vec![2]);
/// assert_eq!(idx.data, IdxData::I16(vec![-2, 258]));
/// # Ok(())
/// # }
/// ```
pub fn read_idx(path: impl AsRef<Path>) -> Result<Idx, DataError> {
    read_idx_with_limit(path, DEFAULT_MAX_DECOMPRESSED)
}

/// [`read_idx`] with another limit on the file's content (header included, after
/// decompression): a header claiming more than `max_bytes` is [`DataError::TooLarge`], before
/// anything past the header is read.
pub fn read_idx_with_limit(path: impl AsRef<Path>, max_bytes: u64) -> Result<Idx, DataError> {
    let mut reader = DataReader::open(path.as_ref(), false, max_bytes)?;
    let header = read_header(&mut reader)?;
    read_body(&mut reader, &header)
}

/// The bytes of an IDX file holding `idx` (uncompressed): header then big-endian elements.
///
/// # Panics
/// If the rank exceeds 255, a dimension exceeds `u32::MAX`, or the element count differs from
/// the dimensions' product.
#[track_caller]
pub fn encode_idx(idx: &Idx) -> Vec<u8> {
    let numel: usize = idx.dims.iter().product();
    if numel != idx.data.len() {
        panic!(
            "encode_idx: dimensions {:?} hold {numel} elements, data has {}",
            idx.dims,
            idx.data.len()
        );
    }
    let header = idx.header();
    let mut out = Vec::with_capacity(header.len() + numel * header.element_type.size());
    out.extend_from_slice(&header.magic());
    for &d in &idx.dims {
        let d = u32::try_from(d)
            .unwrap_or_else(|_| panic!("encode_idx: dimension {d} exceeds u32::MAX"));
        out.extend_from_slice(&d.to_be_bytes());
    }
    match &idx.data {
        IdxData::U8(v) => out.extend_from_slice(v),
        IdxData::I8(v) => out.extend(v.iter().map(|&x| x as u8)),
        IdxData::I16(v) => v.iter().for_each(|x| out.extend(x.to_be_bytes())),
        IdxData::I32(v) => v.iter().for_each(|x| out.extend(x.to_be_bytes())),
        IdxData::F32(v) => v.iter().for_each(|x| out.extend(x.to_be_bytes())),
        IdxData::F64(v) => v.iter().for_each(|x| out.extend(x.to_be_bytes())),
    }
    out
}

//! Opening a data file, raw or gzip-compressed (recognised by its magic bytes `1f 8b`, not by its
//! name), and reading it in size-checked pieces while hashing the decompressed bytes.
//!
//! Sizes announced by a header are checked against what the file really holds *before* any
//! buffer of that size is allocated: for a raw file against its length on disk, for a gzip file
//! by decompressing at most one byte more than announced.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use flate2::bufread::MultiGzDecoder;
use sha2::{Digest, Sha256};

use crate::checksum::to_hex;
use crate::error::DataError;

/// The two bytes every gzip stream starts with.
pub const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Deflate cannot expand data by more than about 1032:1; used to bound the buffer reserved up
/// front for a gzip file, whatever its header claims.
const MAX_DEFLATE_RATIO: u64 = 1032;

enum Inner {
    Raw {
        reader: BufReader<File>,
        len: u64,
    },
    Gzip {
        reader: Box<MultiGzDecoder<BufReader<File>>>,
        compressed_len: u64,
    },
}

/// A reader over a file's (decompressed) content that checks every size it is asked for.
pub(crate) struct DataReader {
    path: PathBuf,
    inner: Inner,
    consumed: u64,
    hasher: Option<Sha256>,
}

impl DataReader {
    /// Opens `path`, detecting gzip by its first two bytes; hashes the content when `hash`.
    pub(crate) fn open(path: &Path, hash: bool) -> Result<Self, DataError> {
        let mut file = File::open(path).map_err(|e| DataError::io(path, e))?;
        let len = file.metadata().map_err(|e| DataError::io(path, e))?.len();
        let mut magic = Vec::with_capacity(2);
        (&mut file)
            .take(2)
            .read_to_end(&mut magic)
            .and_then(|_| file.seek(SeekFrom::Start(0)))
            .map_err(|e| DataError::io(path, e))?;
        let reader = BufReader::with_capacity(1 << 16, file);
        let inner = if magic == GZIP_MAGIC {
            Inner::Gzip {
                reader: Box::new(MultiGzDecoder::new(reader)),
                compressed_len: len,
            }
        } else {
            Inner::Raw { reader, len }
        };
        Ok(DataReader {
            path: path.to_path_buf(),
            inner,
            consumed: 0,
            hasher: hash.then(Sha256::new),
        })
    }

    /// The file's path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes left in a raw file; `None` for gzip, whose length is unknown until decompressed.
    pub(crate) fn raw_remaining(&self) -> Option<u64> {
        match &self.inner {
            Inner::Raw { len, .. } => Some(len.saturating_sub(self.consumed)),
            Inner::Gzip { .. } => None,
        }
    }

    fn reader(&mut self) -> &mut dyn Read {
        match &mut self.inner {
            Inner::Raw { reader, .. } => reader,
            Inner::Gzip { reader, .. } => reader.as_mut(),
        }
    }

    fn read_error(&self, e: io::Error) -> DataError {
        read_error(&self.path, matches!(self.inner, Inner::Gzip { .. }), e)
    }

    fn record(&mut self, bytes: &[u8]) {
        self.consumed += bytes.len() as u64;
        if let Some(h) = &mut self.hasher {
            h.update(bytes);
        }
    }

    /// Reads exactly `n` bytes of a header (`part` names it in errors). An empty file is
    /// [`DataError::Empty`], a short one [`DataError::Truncated`].
    pub(crate) fn read_header(
        &mut self,
        n: usize,
        part: &'static str,
    ) -> Result<Vec<u8>, DataError> {
        let mut buf = vec![0u8; n];
        let mut got = 0;
        while got < n {
            match self.reader().read(&mut buf[got..]) {
                Ok(0) => break,
                Ok(k) => got += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.read_error(e)),
            }
        }
        if got == 0 && self.consumed == 0 && n > 0 {
            return Err(DataError::Empty {
                path: self.path.clone(),
            });
        }
        if got < n {
            return Err(DataError::Truncated {
                path: self.path.clone(),
                part,
                expected: (self.consumed + n as u64),
                found: self.consumed + got as u64,
            });
        }
        self.record(&buf);
        Ok(buf)
    }

    /// Reads the rest of the file, which must be exactly `n` bytes: fewer is
    /// [`DataError::Truncated`], more is [`DataError::LengthMismatch`]. Never allocates more
    /// than the file really holds.
    pub(crate) fn read_exactly_rest(&mut self, n: u64) -> Result<Vec<u8>, DataError> {
        let header = self.consumed;
        let mismatch = |path: &Path, found: u64| DataError::LengthMismatch {
            path: path.to_path_buf(),
            expected: format!("{n} bytes of data after the {header}-byte header"),
            found,
        };
        let truncated = |path: &Path, found: u64| DataError::Truncated {
            path: path.to_path_buf(),
            part: "data",
            expected: n,
            found,
        };
        let buf = match &mut self.inner {
            Inner::Raw { reader, len } => {
                let remaining = len.saturating_sub(header);
                if remaining < n {
                    return Err(truncated(&self.path, remaining));
                }
                if remaining > n {
                    return Err(mismatch(&self.path, remaining));
                }
                let size = usize::try_from(n).map_err(|_| mismatch(&self.path, remaining))?;
                let mut buf = vec![0u8; size];
                reader
                    .read_exact(&mut buf)
                    .map_err(|e| DataError::io(&self.path, e))?;
                buf
            }
            Inner::Gzip {
                reader,
                compressed_len,
            } => {
                let limit = n.saturating_add(1);
                let bound = compressed_len
                    .saturating_mul(MAX_DEFLATE_RATIO)
                    .saturating_add(64);
                let reserve = usize::try_from(limit.min(bound)).unwrap_or(0);
                let mut buf = Vec::with_capacity(reserve);
                let got = reader.as_mut().take(limit).read_to_end(&mut buf);
                if let Err(e) = got {
                    return Err(read_error(&self.path, true, e));
                }
                let got = buf.len() as u64;
                if got < n {
                    return Err(truncated(&self.path, got));
                }
                if got > n {
                    // Count (without keeping) what follows, to report the real length.
                    let rest = io::copy(reader.as_mut(), &mut io::sink());
                    let rest = match rest {
                        Ok(r) => r,
                        Err(e) => return Err(read_error(&self.path, true, e)),
                    };
                    return Err(mismatch(&self.path, got + rest));
                }
                buf
            }
        };
        self.record(&buf);
        Ok(buf)
    }

    /// Reads everything left (for headerless formats); allocates only what the file holds.
    pub(crate) fn read_rest(&mut self) -> Result<Vec<u8>, DataError> {
        let mut buf = Vec::new();
        if let Some(remaining) = self.raw_remaining() {
            buf.reserve_exact(usize::try_from(remaining).unwrap_or(0));
        }
        if let Err(e) = self.reader().read_to_end(&mut buf) {
            return Err(self.read_error(e));
        }
        self.record(&buf);
        Ok(buf)
    }

    /// The SHA-256 (lowercase hex) of everything read, when hashing was asked for.
    pub(crate) fn finish(self) -> Option<String> {
        self.hasher.map(|h| to_hex(&h.finalize()))
    }
}

/// Maps a read error: decoder errors of a gzip file are [`DataError::Gzip`].
fn read_error(path: &Path, gzip: bool, e: io::Error) -> DataError {
    let from_decoder = matches!(
        e.kind(),
        io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData | io::ErrorKind::UnexpectedEof
    );
    if gzip && from_decoder {
        DataError::Gzip {
            path: path.to_path_buf(),
            source: e,
        }
    } else {
        DataError::io(path, e)
    }
}

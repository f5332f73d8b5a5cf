//! Opening a data file, raw or gzip-compressed (recognised by its magic bytes `1f 8b`, not by its
//! name), and reading it in size-checked pieces while hashing the decompressed bytes.
//!
//! Sizes announced by a header are checked against a limit on the decompressed content, and
//! against what the file really holds, *before* any buffer of that size is allocated: for a raw
//! file against its length on disk; a gzip file is inflated as a stream into a buffer that grows
//! only as data arrives, stopping one byte past what was announced (or past the limit).

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use flate2::bufread::MultiGzDecoder;
use sha2::{Digest, Sha256};

use crate::checksum::to_hex;
use crate::error::DataError;
use crate::locate::describe_kind;

/// The two bytes every gzip stream starts with.
pub const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The first buffer a gzip stream is inflated into; it doubles as data arrives.
const FIRST_CHUNK: usize = 1 << 16;

enum Inner {
    Raw {
        reader: BufReader<File>,
        len: u64,
    },
    Gzip {
        reader: Box<MultiGzDecoder<BufReader<File>>>,
    },
}

/// A reader over a file's (decompressed) content that checks every size it is asked for.
pub(crate) struct DataReader {
    path: PathBuf,
    inner: Inner,
    consumed: u64,
    limit: u64,
    hasher: Option<Sha256>,
}

impl DataReader {
    /// Opens `path`, detecting gzip by its first two bytes; hashes the content when `hash`;
    /// refuses content (after decompression) of more than `limit` bytes.
    pub(crate) fn open(path: &Path, hash: bool, limit: u64) -> Result<Self, DataError> {
        // Opening a FIFO would wait for a writer: refuse anything but a regular file first.
        let meta = std::fs::metadata(path).map_err(|e| DataError::io(path, e))?;
        if !meta.is_file() {
            return Err(DataError::NotAFile {
                path: path.to_path_buf(),
                found: describe_kind(&meta.file_type()),
            });
        }
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
            }
        } else {
            Inner::Raw { reader, len }
        };
        Ok(DataReader {
            path: path.to_path_buf(),
            inner,
            consumed: 0,
            limit,
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

    /// Refuses a file whose header claims `total` bytes of content (header included) when
    /// that is above the limit; called before anything past the header is read.
    pub(crate) fn check_claim(&self, total: u64) -> Result<(), DataError> {
        if total > self.limit {
            return Err(self.too_large(format!("its header claims {total} bytes")));
        }
        Ok(())
    }

    fn too_large(&self, found: String) -> DataError {
        DataError::TooLarge {
            path: self.path.clone(),
            found,
            limit: self.limit,
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
            Inner::Gzip { reader, .. } => {
                // One byte more than announced tells a longer stream from an exact one.
                let buf = match read_growing(reader.as_mut(), n.saturating_add(1)) {
                    Ok(buf) => buf,
                    Err(e) => return Err(read_error(&self.path, true, e)),
                };
                let got = buf.len() as u64;
                if got < n {
                    return Err(truncated(&self.path, got));
                }
                if got > n {
                    // Count (without keeping) what follows, up to the limit, to report the
                    // real length.
                    let budget = self.limit.saturating_sub(header + got);
                    let mut rest = reader.as_mut().take(budget.saturating_add(1));
                    let rest = match io::copy(&mut rest, &mut io::sink()) {
                        Ok(r) => r,
                        Err(e) => return Err(read_error(&self.path, true, e)),
                    };
                    if rest > budget {
                        let limit = self.limit;
                        return Err(
                            self.too_large(format!("it decompresses to more than {limit} bytes"))
                        );
                    }
                    return Err(mismatch(&self.path, got + rest));
                }
                buf
            }
        };
        self.record(&buf);
        Ok(buf)
    }

    /// Reads everything left (for headerless formats); allocates only what the file holds, and
    /// refuses content of more than the limit, holding at most one byte past it.
    pub(crate) fn read_rest(&mut self) -> Result<Vec<u8>, DataError> {
        let allowed = self.limit.saturating_sub(self.consumed);
        if let Some(remaining) = self.raw_remaining()
            && remaining > allowed
        {
            let total = self.consumed + remaining;
            return Err(self.too_large(format!("it holds {total} bytes")));
        }
        let buf = match read_growing(self.reader(), allowed.saturating_add(1)) {
            Ok(buf) => buf,
            Err(e) => return Err(self.read_error(e)),
        };
        if buf.len() as u64 > allowed {
            let limit = self.limit;
            return Err(self.too_large(format!("it decompresses to more than {limit} bytes")));
        }
        self.record(&buf);
        Ok(buf)
    }

    /// The SHA-256 (lowercase hex) of everything read, when hashing was asked for.
    pub(crate) fn finish(self) -> Option<String> {
        self.hasher.map(|h| to_hex(&h.finalize()))
    }
}

/// Reads until the end of `reader` or `max` bytes, whichever comes first, into a buffer that
/// grows (doubling, never past `max`) only as data arrives.
fn read_growing(reader: &mut dyn Read, max: u64) -> io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    let mut filled = 0usize;
    while (filled as u64) < max {
        if filled == buf.len() {
            let room = usize::try_from(max - filled as u64).unwrap_or(usize::MAX);
            let grow = buf.len().max(FIRST_CHUNK).min(room);
            buf.reserve_exact(grow);
            buf.resize(filled + grow, 0);
        }
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(k) => filled += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    buf.truncate(filled);
    Ok(buf)
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

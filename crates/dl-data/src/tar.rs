//! Just enough of the tar format (POSIX ustar, plus GNU long names) to take named regular
//! files out of a downloaded archive, gzip-compressed or not.
//!
//! Only the members asked for are written, each under its base name in the destination folder:
//! no path in the archive can place a file anywhere else.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use flate2::bufread::MultiGzDecoder;
use sha2::{Digest, Sha256};

use crate::checksum::to_hex;
use crate::error::DataError;
use crate::read::GZIP_MAGIC;

const BLOCK: usize = 512;

/// A member written out: its base name, where it went, and the SHA-256 of its content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Extracted {
    pub name: String,
    pub path: PathBuf,
    pub sha256: String,
}

fn bad(path: &Path, reason: impl Into<String>) -> DataError {
    DataError::Archive {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// The text of a NUL-terminated header field.
fn field(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// An octal header number (spaces and NULs around it allowed).
fn octal(bytes: &[u8]) -> Option<u64> {
    let text = field(bytes);
    let digits = text.trim_matches(|c: char| c == ' ' || c == '\0');
    if digits.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(digits, 8).ok()
}

/// Reads exactly one block; `Ok(false)` at a clean end of input.
fn read_block(r: &mut dyn Read, block: &mut [u8; BLOCK]) -> io::Result<bool> {
    let mut got = 0;
    while got < BLOCK {
        match r.read(&mut block[got..]) {
            Ok(0) if got == 0 => return Ok(false),
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(k) => got += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

/// Copies `size` bytes of member data to `out` (hashing them), then skips the block padding.
fn copy_member(
    r: &mut dyn Read,
    size: u64,
    out: &mut dyn Write,
    hasher: &mut Sha256,
) -> io::Result<()> {
    let mut left = size;
    let mut buf = vec![0u8; 1 << 16];
    while left > 0 {
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        r.read_exact(&mut buf[..want])?;
        hasher.update(&buf[..want]);
        out.write_all(&buf[..want])?;
        left -= want as u64;
    }
    skip(r, padding(size))
}

fn padding(size: u64) -> u64 {
    (BLOCK as u64 - size % BLOCK as u64) % BLOCK as u64
}

fn skip(r: &mut dyn Read, n: u64) -> io::Result<()> {
    let copied = io::copy(&mut r.take(n), &mut io::sink())?;
    if copied < n {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    Ok(())
}

/// Extracts the regular-file members named in `wanted` (full paths inside the archive, a
/// leading `./` ignored) into `dest`, each under its base name.
///
/// # Errors
/// [`DataError::Archive`] for a malformed archive or a wanted member it lacks;
/// [`DataError::Io`] for write failures.
pub(crate) fn extract(
    archive: &Path,
    wanted: &[&str],
    dest: &Path,
) -> Result<Vec<Extracted>, DataError> {
    let mut file = File::open(archive).map_err(|e| DataError::io(archive, e))?;
    let mut magic = [0u8; 2];
    let n = file
        .read(&mut magic)
        .map_err(|e| DataError::io(archive, e))?;
    drop(file);
    let file = File::open(archive).map_err(|e| DataError::io(archive, e))?;
    let buffered = BufReader::with_capacity(1 << 16, file);
    let mut reader: Box<dyn Read> = if n == 2 && magic == GZIP_MAGIC {
        Box::new(MultiGzDecoder::new(buffered))
    } else {
        Box::new(buffered)
    };
    let io_bad = |e: io::Error| bad(archive, format!("read failed: {e}"));

    let mut out = Vec::new();
    let mut long_name: Option<String> = None;
    let mut block = [0u8; BLOCK];
    loop {
        if !read_block(reader.as_mut(), &mut block).map_err(io_bad)?
            || block.iter().all(|&b| b == 0)
        {
            break;
        }
        let stored =
            octal(&block[148..156]).ok_or_else(|| bad(archive, "unreadable header checksum"))?;
        let computed: u64 = block
            .iter()
            .enumerate()
            .map(|(i, &b)| {
                if (148..156).contains(&i) {
                    u64::from(b' ')
                } else {
                    u64::from(b)
                }
            })
            .sum();
        if stored != computed {
            return Err(bad(
                archive,
                format!("header checksum mismatch: stored {stored}, computed {computed}"),
            ));
        }
        let size = octal(&block[124..136]).ok_or_else(|| bad(archive, "unreadable member size"))?;
        let mut name = field(&block[..100]);
        if &block[257..262] == b"ustar" {
            let prefix = field(&block[345..500]);
            if !prefix.is_empty() {
                name = format!("{prefix}/{name}");
            }
        }
        if let Some(long) = long_name.take() {
            name = long;
        }
        let typeflag = block[156];
        if typeflag == b'L' {
            let mut data = Vec::new();
            copy_member(reader.as_mut(), size, &mut data, &mut Sha256::new()).map_err(io_bad)?;
            long_name = Some(field(&data));
            continue;
        }
        let clean = name.trim_start_matches("./");
        let is_file = typeflag == b'0' || typeflag == 0;
        if !(is_file && wanted.contains(&clean)) {
            skip(reader.as_mut(), size + padding(size)).map_err(io_bad)?;
            continue;
        }
        let base = clean.rsplit('/').next().unwrap_or(clean).to_string();
        let path = dest.join(&base);
        let part = dest.join(format!("{base}.part"));
        let mut hasher = Sha256::new();
        {
            let f = File::create(&part).map_err(|e| DataError::io(&part, e))?;
            let mut w = BufWriter::new(f);
            copy_member(reader.as_mut(), size, &mut w, &mut hasher).map_err(io_bad)?;
            w.flush().map_err(|e| DataError::io(&part, e))?;
        }
        std::fs::rename(&part, &path).map_err(|e| DataError::io(&path, e))?;
        out.push(Extracted {
            name: base,
            path,
            sha256: to_hex(&hasher.finalize()),
        });
    }
    for w in wanted {
        let base = w.rsplit('/').next().unwrap_or(w);
        if !out.iter().any(|e| e.name == base) {
            return Err(bad(archive, format!("member `{w}` is missing")));
        }
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A ustar archive of `members` (name, content), built by hand from the format's layout.
    pub(crate) fn make_tar(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        for (name, data) in members {
            let mut h = [0u8; BLOCK];
            h[..name.len()].copy_from_slice(name.as_bytes());
            h[100..107].copy_from_slice(b"0000644");
            h[108..115].copy_from_slice(b"0000000");
            h[116..123].copy_from_slice(b"0000000");
            h[124..135].copy_from_slice(format!("{:011o}", data.len()).as_bytes());
            h[136..147].copy_from_slice(b"00000000000");
            h[156] = b'0';
            h[257..263].copy_from_slice(b"ustar\0");
            h[263..265].copy_from_slice(b"00");
            h[148..156].copy_from_slice(b"        ");
            let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
            h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
            out.extend_from_slice(&h);
            out.extend_from_slice(data);
            out.resize(out.len().div_ceil(BLOCK) * BLOCK, 0);
        }
        out.resize(out.len() + 2 * BLOCK, 0);
        out
    }

    #[test]
    fn extracts_wanted_members_by_base_name_only() {
        let dir = tempfile::tempdir().unwrap();
        let tar = make_tar(&[
            ("top/a.bin", b"alpha"),
            ("top/skip.txt", b"not wanted"),
            ("../../evil/b.bin", b"beta"),
        ]);
        let archive = dir.path().join("x.tar");
        std::fs::write(&archive, tar).unwrap();
        let dest = dir.path().join("out");
        std::fs::create_dir(&dest).unwrap();
        let got = extract(&archive, &["top/a.bin", "../../evil/b.bin"], &dest).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(std::fs::read(dest.join("a.bin")).unwrap(), b"alpha");
        assert_eq!(std::fs::read(dest.join("b.bin")).unwrap(), b"beta");
        assert!(!dest.join("skip.txt").exists());
        assert_eq!(got[0].sha256, crate::sha256_hex(b"alpha"));
    }

    #[test]
    fn missing_member_and_bad_header_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("x.tar");
        std::fs::write(&archive, make_tar(&[("a", b"1")])).unwrap();
        let err = extract(&archive, &["b"], dir.path()).unwrap_err();
        assert!(err.to_string().contains("member `b` is missing"), "{err}");

        let mut tar = make_tar(&[("a", b"1")]);
        tar[0] = b'z'; // the header checksum no longer matches
        std::fs::write(&archive, tar).unwrap();
        let err = extract(&archive, &["a"], dir.path()).unwrap_err();
        assert!(
            err.to_string().contains("header checksum mismatch"),
            "{err}"
        );
    }
}

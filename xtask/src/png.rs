//! A minimal PNG encoder for the plots: 8-bit RGB, no interlacing, every scanline unfiltered,
//! the image data zlib-compressed with `flate2`. Enough for figures, without an image library.

use std::io::Write;

use flate2::Compression;
use flate2::write::ZlibEncoder;

const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];

/// The PNG file of a `width × height` image whose pixels are `rgb` (3 bytes each, row-major).
///
/// # Panics
/// If `rgb` does not hold exactly `width · height · 3` bytes.
pub fn encode_rgb(width: u32, height: u32, rgb: &[u8]) -> Vec<u8> {
    let row = width as usize * 3;
    assert_eq!(
        rgb.len(),
        row * height as usize,
        "encode_rgb: {width}×{height} RGB needs {} bytes, got {}",
        row * height as usize,
        rgb.len()
    );
    let mut header = Vec::with_capacity(13);
    header.extend_from_slice(&width.to_be_bytes());
    header.extend_from_slice(&height.to_be_bytes());
    // Bit depth 8, colour type 2 (RGB), deflate, filtering method 0, no interlace.
    header.extend_from_slice(&[8, 2, 0, 0, 0]);

    let mut zlib = ZlibEncoder::new(Vec::new(), Compression::default());
    for line in rgb.chunks_exact(row.max(1)).take(height as usize) {
        // Filter type 0 (none) before each scanline; writing to a Vec cannot fail.
        let _ = zlib.write_all(&[0]);
        let _ = zlib.write_all(line);
    }
    let data = zlib.finish().unwrap_or_default();

    let mut png = SIGNATURE.to_vec();
    chunk(&mut png, b"IHDR", &header);
    chunk(&mut png, b"IDAT", &data);
    chunk(&mut png, b"IEND", &[]);
    png
}

/// Appends one chunk: length, type, data, CRC-32 of type and data.
fn chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    png.extend_from_slice(&(data.len() as u32).to_be_bytes());
    png.extend_from_slice(kind);
    png.extend_from_slice(data);
    let crc = crc32(kind.iter().chain(data));
    png.extend_from_slice(&crc.to_be_bytes());
}

/// CRC-32 (ISO-HDLC, polynomial 0xEDB88320 reflected), as PNG specifies.
fn crc32<'a>(bytes: impl Iterator<Item = &'a u8>) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xedb8_8320 & mask);
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn crc_matches_the_check_value() {
        // The standard check value of CRC-32/ISO-HDLC.
        assert_eq!(crc32(b"123456789".iter()), 0xcbf4_3926);
        // The CRC of an IEND chunk, as every PNG file ends.
        assert_eq!(crc32(b"IEND".iter()), 0xae42_6082);
    }

    #[test]
    fn a_small_image_round_trips_through_its_chunks() {
        let rgb: Vec<u8> = (0..2 * 3 * 3).map(|i| (i * 13) as u8).collect();
        let png = encode_rgb(3, 2, &rgb);
        assert_eq!(&png[..8], &SIGNATURE);
        assert_eq!(&png[12..16], b"IHDR");
        assert_eq!(&png[16..20], &3u32.to_be_bytes());
        assert_eq!(&png[20..24], &2u32.to_be_bytes());
        assert!(png.ends_with(&[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xae, 0x42, 0x60, 0x82]));
        // IDAT holds each row behind a 0 filter byte.
        let idat_len = u32::from_be_bytes(png[33..37].try_into().unwrap()) as usize;
        assert_eq!(&png[37..41], b"IDAT");
        let mut raw = Vec::new();
        flate2::read::ZlibDecoder::new(&png[41..41 + idat_len])
            .read_to_end(&mut raw)
            .unwrap();
        let mut expected = vec![0];
        expected.extend_from_slice(&rgb[..9]);
        expected.push(0);
        expected.extend_from_slice(&rgb[9..]);
        assert_eq!(raw, expected);
    }
}

//! The IDX reader on every element type and rank, raw and gzip, against hand-made files.

use crate::common::{gzip, idx_bytes, write};
use dl_data::{Idx, IdxData, IdxType, encode_idx, read_idx};

/// (type, dims, big-endian data bytes, the values they encode — worked out by hand).
fn cases() -> Vec<(IdxType, Vec<u32>, Vec<u8>, IdxData)> {
    vec![
        (
            IdxType::U8,
            vec![2, 3],
            vec![0, 1, 2, 253, 254, 255],
            IdxData::U8(vec![0, 1, 2, 253, 254, 255]),
        ),
        (
            IdxType::I8,
            vec![3],
            vec![0xff, 0x80, 0x7f],
            IdxData::I8(vec![-1, -128, 127]),
        ),
        (
            IdxType::I16,
            vec![2],
            vec![0x80, 0x00, 0x12, 0x34],
            IdxData::I16(vec![-32768, 0x1234]),
        ),
        (
            IdxType::I32,
            vec![1, 2],
            vec![0xff, 0xff, 0xff, 0xfe, 0x01, 0x02, 0x03, 0x04],
            IdxData::I32(vec![-2, 0x0102_0304]),
        ),
        (
            // 1.5 = 0x3fc00000, -0.25 = 0xbe800000.
            IdxType::F32,
            vec![2, 1, 1],
            vec![0x3f, 0xc0, 0, 0, 0xbe, 0x80, 0, 0],
            IdxData::F32(vec![1.5, -0.25]),
        ),
        (
            // 2.0 = 0x4000000000000000.
            IdxType::F64,
            vec![1, 1, 1, 1],
            vec![0x40, 0, 0, 0, 0, 0, 0, 0],
            IdxData::F64(vec![2.0]),
        ),
    ]
}

#[test]
fn every_type_and_rank_reads_raw_and_gzip() {
    let dir = tempfile::tempdir().unwrap();
    for (ty, dims, bytes, expected) in cases() {
        let file = idx_bytes(ty.code(), &dims, &bytes);
        let want_dims: Vec<usize> = dims.iter().map(|&d| d as usize).collect();
        for (name, content) in [("raw", file.clone()), ("gz", gzip(&file))] {
            let p = write(dir.path(), &format!("{ty}-{name}"), &content);
            let idx = read_idx(&p).unwrap_or_else(|e| panic!("{ty} {name}: {e}"));
            assert_eq!(idx.dims, want_dims, "{ty} {name}");
            assert_eq!(idx.data, expected, "{ty} {name}");
            assert_eq!(idx.element_type(), ty);
        }
    }
}

#[test]
fn type_codes_follow_the_format() {
    let codes: Vec<u8> = IdxType::ALL.iter().map(|t| t.code()).collect();
    assert_eq!(codes, vec![0x08, 0x09, 0x0b, 0x0c, 0x0d, 0x0e]);
    let sizes: Vec<usize> = IdxType::ALL.iter().map(|t| t.size()).collect();
    assert_eq!(sizes, vec![1, 1, 2, 4, 4, 8]);
}

#[test]
fn rank_zero_holds_one_element() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "scalar", &idx_bytes(0x0c, &[], &[0, 0, 1, 0]));
    let idx = read_idx(&p).unwrap();
    assert!(idx.dims.is_empty());
    assert_eq!(idx.data, IdxData::I32(vec![256]));
}

#[test]
fn zero_sized_dimension_reads_empty() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "none", &idx_bytes(0x08, &[0, 28, 28], &[]));
    let idx = read_idx(&p).unwrap();
    assert_eq!(idx.dims, vec![0, 28, 28]);
    assert!(idx.data.is_empty());
}

#[test]
fn encode_matches_the_hand_made_bytes() {
    for (ty, dims, bytes, data) in cases() {
        let idx = Idx {
            dims: dims.iter().map(|&d| d as usize).collect(),
            data,
        };
        assert_eq!(
            encode_idx(&idx),
            idx_bytes(ty.code(), &dims, &bytes),
            "{ty}"
        );
    }
}

#[test]
fn to_tensor_converts_exactly() {
    let idx = Idx {
        dims: vec![2, 2],
        data: IdxData::I16(vec![-3, 0, 7, 300]),
    };
    let t = idx.to_tensor::<f32>().unwrap();
    assert_eq!(t.shape(), &[2, 2]);
    assert_eq!(t.to_vec(), vec![-3.0, 0.0, 7.0, 300.0]);
}

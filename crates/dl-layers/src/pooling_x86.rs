//! Max pooling's window scan in AVX2 registers, for `f32` windows wholly inside the image: eight
//! outputs of a line side by side, each window element fetched for all eight at once (a gather
//! with the stride between them) and compared against the eight best so far, value and position
//! selected together without branches. Element by element in row-major order, as the scalar
//! scan: the same first maximum (or first NaN).

use std::arch::x86_64::*;

/// Outputs per vector.
pub(crate) const LANES: usize = 8;

/// Whether the running CPU has AVX2 (checked once by the standard library's cache).
pub(crate) fn available() -> bool {
    std::arch::is_x86_feature_detected!("avx2")
}

/// For the `outputs ≤ LANES` outputs whose windows' top-left corners are `first + o·stride` in
/// `image`, writes to `at[o]` the offset from the corner of the window's first maximum;
/// `offsets[e]` is the offset of window element `e` (row-major) from its corner. Lanes past
/// `outputs` read nothing and hold nothing of use.
///
/// # Safety
/// The CPU must have AVX2; `outputs ≥ 1`; `first + o·stride + offsets[e]` must lie in `image`
/// for every `o < outputs` and every `e`, and each `offsets[e]` fit an `i32`, as must
/// `(LANES − 1)·stride`.
#[target_feature(enable = "avx2")]
pub(crate) unsafe fn argmax_windows(
    image: &[f32],
    first: usize,
    stride: usize,
    outputs: usize,
    offsets: &[usize],
    at: &mut [i32; LANES],
) {
    let lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    let apart = _mm256_mullo_epi32(lanes, _mm256_set1_epi32(stride as i32));
    let live = _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32(outputs as i32), lanes));
    // SAFETY: every gathered element, `first + offset + o·stride` for a live lane `o`, lies in
    // `image` (caller); the other lanes are not read.
    let fetch = |offset: usize| unsafe {
        let corner = image.as_ptr().add(first + offset);
        _mm256_mask_i32gather_ps::<4>(_mm256_setzero_ps(), corner, apart, live)
    };
    let mut best = fetch(offsets[0]);
    let mut from = _mm256_set1_epi32(offsets[0] as i32);
    for &offset in &offsets[1..] {
        let v = fetch(offset);
        // beats(v, best): greater, or NaN where best is not.
        let greater = _mm256_cmp_ps::<_CMP_GT_OQ>(v, best);
        let v_nan = _mm256_cmp_ps::<_CMP_UNORD_Q>(v, v);
        let best_nan = _mm256_cmp_ps::<_CMP_UNORD_Q>(best, best);
        let take = _mm256_or_ps(greater, _mm256_andnot_ps(best_nan, v_nan));
        best = _mm256_blendv_ps(best, v, take);
        let here = _mm256_castsi256_ps(_mm256_set1_epi32(offset as i32));
        from = _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(from), here, take));
    }
    // SAFETY: `at` holds LANES i32, 32 bytes; the store is unaligned.
    unsafe { _mm256_storeu_si256(at.as_mut_ptr().cast(), from) };
}

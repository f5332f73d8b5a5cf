//! Interleaving lines into a packed sliver: `dst[p·lines + i] = line_i[p]`, the transposing
//! copy that packs row-major `A` (and column-major `B`).
//!
//! On x86-64, `f32` and `f64` lines are moved as small blocks transposed in SSE2 registers
//! (part of the x86-64 baseline, so no run-time detection): 4×4 blocks for `f32`, 2×2 for `f64`.
//! Elsewhere, and for line counts without a fast path, one element at a time. Either way the
//! values are moved, not computed, so the packed bits are the same.

/// Interleaves `lines` lines of `len` contiguous elements, the `i`-th at `src + i·stride`:
/// `dst[p·lines + i] = line_i[p]`.
///
/// # Safety
/// The lines must be readable and `dst` must hold `lines·len` elements, not overlapping them.
#[inline]
pub(crate) unsafe fn interleave_lines<T: Copy>(
    lines: usize,
    len: usize,
    src: *const T,
    stride: isize,
    dst: *mut T,
) {
    #[cfg(target_arch = "x86_64")]
    if lines.is_multiple_of(2) {
        // SAFETY (both arms): forwarded; `T` has the size of the type its pointers are cast
        // to, and the blocks only move its bits.
        unsafe {
            match size_of::<T>() {
                4 => return sse::interleave_f32(lines, len, src.cast(), stride, dst.cast()),
                8 => return sse::interleave_f64(lines, len, src.cast(), stride, dst.cast()),
                _ => {}
            }
        }
    }
    // SAFETY: forwarded.
    unsafe { interleave_scalar(lines, 0, len, src, stride, dst) };
}

/// The element-by-element interleave of positions `from..len` of each line.
///
/// # Safety
/// As [`interleave_lines`].
unsafe fn interleave_scalar<T: Copy>(
    lines: usize,
    from: usize,
    len: usize,
    src: *const T,
    stride: isize,
    dst: *mut T,
) {
    for i in 0..lines {
        // SAFETY: line `i` holds `len` readable elements; `dst` holds `lines·len`.
        unsafe {
            let line = src.offset(i as isize * stride);
            for p in from..len {
                *dst.add(p * lines + i) = *line.add(p);
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod sse {
    use std::arch::x86_64::*;

    use super::interleave_scalar;

    /// [`super::interleave_lines`] for `f32` and an even line count: 4×4 blocks (and a 2×4
    /// block for the last two lines when the count is not a multiple of 4).
    ///
    /// # Safety
    /// As [`super::interleave_lines`].
    pub(super) unsafe fn interleave_f32(
        lines: usize,
        len: usize,
        src: *const f32,
        stride: isize,
        dst: *mut f32,
    ) {
        let full = len / 4 * 4;
        // SAFETY: every load reads positions `p..p + 4 ≤ len` of a line `< lines`; every
        // store writes outputs `(p + j)·lines + i ..` of row `p + j < len`, inside `dst`.
        unsafe {
            let line = |i: usize, p: usize| src.offset(i as isize * stride).add(p);
            for p in (0..full).step_by(4) {
                let out = |j: usize, i: usize| dst.add((p + j) * lines + i);
                let mut i = 0;
                while i + 4 <= lines {
                    let r0 = _mm_loadu_ps(line(i, p));
                    let r1 = _mm_loadu_ps(line(i + 1, p));
                    let r2 = _mm_loadu_ps(line(i + 2, p));
                    let r3 = _mm_loadu_ps(line(i + 3, p));
                    let lo01 = _mm_unpacklo_ps(r0, r1);
                    let lo23 = _mm_unpacklo_ps(r2, r3);
                    let hi01 = _mm_unpackhi_ps(r0, r1);
                    let hi23 = _mm_unpackhi_ps(r2, r3);
                    _mm_storeu_ps(out(0, i), _mm_movelh_ps(lo01, lo23));
                    _mm_storeu_ps(out(1, i), _mm_movehl_ps(lo23, lo01));
                    _mm_storeu_ps(out(2, i), _mm_movelh_ps(hi01, hi23));
                    _mm_storeu_ps(out(3, i), _mm_movehl_ps(hi23, hi01));
                    i += 4;
                }
                if i < lines {
                    let r0 = _mm_loadu_ps(line(i, p));
                    let r1 = _mm_loadu_ps(line(i + 1, p));
                    let lo = _mm_unpacklo_ps(r0, r1);
                    let hi = _mm_unpackhi_ps(r0, r1);
                    // Two elements per row: the low and high halves of each register.
                    let low_half = |v: __m128| _mm_castps_si128(v);
                    let high_half = |v: __m128| _mm_castps_si128(_mm_movehl_ps(v, v));
                    _mm_storel_epi64(out(0, i).cast(), low_half(lo));
                    _mm_storel_epi64(out(1, i).cast(), high_half(lo));
                    _mm_storel_epi64(out(2, i).cast(), low_half(hi));
                    _mm_storel_epi64(out(3, i).cast(), high_half(hi));
                }
            }
            interleave_scalar(lines, full, len, src, stride, dst);
        }
    }

    /// [`super::interleave_lines`] for `f64` and an even line count: 2×2 blocks.
    ///
    /// # Safety
    /// As [`super::interleave_lines`].
    pub(super) unsafe fn interleave_f64(
        lines: usize,
        len: usize,
        src: *const f64,
        stride: isize,
        dst: *mut f64,
    ) {
        let full = len / 2 * 2;
        // SAFETY: as in `interleave_f32`, with blocks of two positions of two lines.
        unsafe {
            let line = |i: usize, p: usize| src.offset(i as isize * stride).add(p);
            for p in (0..full).step_by(2) {
                for i in (0..lines).step_by(2) {
                    let r0 = _mm_loadu_pd(line(i, p));
                    let r1 = _mm_loadu_pd(line(i + 1, p));
                    _mm_storeu_pd(dst.add(p * lines + i), _mm_unpacklo_pd(r0, r1));
                    _mm_storeu_pd(dst.add((p + 1) * lines + i), _mm_unpackhi_pd(r0, r1));
                }
            }
            interleave_scalar(lines, full, len, src, stride, dst);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::interleave_lines;

    /// Every line count and length, lines laid out with a gap between them, against the index
    /// formula, for both element types.
    fn check<T: Copy + PartialEq + std::fmt::Debug>(value: impl Fn(usize) -> T, zero: T) {
        for lines in 1..=33 {
            for len in 0..=11 {
                let stride = len + 3;
                let src: Vec<T> = (0..lines * stride).map(&value).collect();
                let mut dst = vec![zero; lines * len];
                // SAFETY: `lines` lines of `len` elements at stride `stride` lie in `src`, and
                // `dst` holds `lines·len` elements.
                unsafe {
                    interleave_lines(lines, len, src.as_ptr(), stride as isize, dst.as_mut_ptr())
                };
                for p in 0..len {
                    for i in 0..lines {
                        assert_eq!(
                            dst[p * lines + i],
                            src[i * stride + p],
                            "lines {lines}, len {len}, (p, i) = ({p}, {i})"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn interleave_matches_the_index_formula() {
        check(|x| x as f32 + 0.5, 0.0f32);
        check(|x| x as f64 - 0.25, 0.0f64);
        check(|x| x as u16, 0u16);
    }
}

//! AVX2+FMA micro-kernels for x86-64: 6×16 for `f32` and 6×8 for `f64`, i.e. 6 rows of two
//! 256-bit vectors each: twelve accumulators, two loads of `B` and one broadcast of `A` per step
//! (15 of the 16 `ymm` registers), enough independent FMAs to keep both FMA ports busy.
//!
//! Only called after run-time detection of AVX2 and FMA (see `gemm::resolve`).

use std::arch::x86_64::*;

use super::kernel::Kernel;

/// The `f32` AVX2+FMA kernel, 6×16.
pub(crate) struct Avx2F32;
/// The `f64` AVX2+FMA kernel, 6×8.
pub(crate) struct Avx2F64;

/// Rows of both kernels' tiles.
const MR: usize = 6;

macro_rules! avx2_kernel {
    (
        $name:ident, $kernel:ident, $t:ty, $lanes:expr, $kc:expr, $mc:expr, $nc:expr,
        $vec:ty, $zero:ident, $set1:ident, $loadu:ident, $storeu:ident, $fmadd:ident, $mul:ident
    ) => {
        impl Kernel<$t> for $name {
            const MR: usize = MR;
            const NR: usize = 2 * $lanes;
            const KC: usize = $kc;
            const MC: usize = $mc;
            const NC: usize = $nc;

            #[inline]
            unsafe fn tile(
                k: usize,
                alpha: $t,
                a: *const $t,
                rsa: isize,
                csa: isize,
                b: *const $t,
                rsb: isize,
                beta: $t,
                c: *mut $t,
                rsc: isize,
                csc: isize,
                mr: usize,
                nr: usize,
            ) {
                // SAFETY: forwarded from the caller (which also guarantees AVX2 and FMA).
                unsafe { $kernel(k, alpha, a, rsa, csa, b, rsb, beta, c, rsc, csc, mr, nr) }
            }
        }

        /// The tile kernel; see [`Kernel::tile`].
        ///
        /// # Safety
        /// As [`Kernel::tile`]; the CPU must support AVX2 and FMA.
        #[target_feature(enable = "avx2,fma")]
        unsafe fn $kernel(
            k: usize,
            alpha: $t,
            a: *const $t,
            rsa: isize,
            csa: isize,
            b: *const $t,
            rsb: isize,
            beta: $t,
            c: *mut $t,
            rsc: isize,
            csc: isize,
            mr: usize,
            nr: usize,
        ) {
            const NR: usize = 2 * $lanes;
            let mut acc: [[$vec; 2]; MR] = [[$zero(); 2]; MR];
            let (mut pa, mut pb) = (a, b);
            for _ in 0..k {
                // SAFETY: `pa` walks column `p` of the MR×k A sliver and `pb` row `p` of the
                // k×NR B sliver, both readable by the caller's contract.
                unsafe {
                    let b0 = $loadu(pb);
                    let b1 = $loadu(pb.add($lanes));
                    for (i, row) in acc.iter_mut().enumerate() {
                        let ai = $set1(*pa.offset(i as isize * rsa));
                        row[0] = $fmadd(ai, b0, row[0]);
                        row[1] = $fmadd(ai, b1, row[1]);
                    }
                    pa = pa.offset(csa);
                    pb = pb.offset(rsb);
                }
            }
            let va = $set1(alpha);
            let vb = $set1(beta);
            if mr == MR && nr == NR && csc == 1 {
                for (i, row) in acc.iter().enumerate() {
                    // SAFETY: row `i` of the full tile: NR contiguous, exclusive elements of C.
                    unsafe {
                        let ci = c.offset(i as isize * rsc);
                        for (h, &ab) in row.iter().enumerate() {
                            let ch = ci.add(h * $lanes);
                            let r = if beta == 0.0 {
                                $mul(va, ab)
                            } else {
                                $fmadd(va, ab, $mul(vb, $loadu(ch)))
                            };
                            $storeu(ch, r);
                        }
                    }
                }
            } else {
                let mut tile = [[0.0 as $t; NR]; MR];
                for (out, row) in tile.iter_mut().zip(&acc) {
                    // SAFETY: `out` holds NR = 2·lanes elements.
                    unsafe {
                        $storeu(out.as_mut_ptr(), row[0]);
                        $storeu(out.as_mut_ptr().add($lanes), row[1]);
                    }
                }
                for (i, row) in tile.iter().enumerate().take(mr) {
                    for (j, &ab) in row.iter().enumerate().take(nr) {
                        // SAFETY: `(i, j)` with `i < mr`, `j < nr` is an exclusive element of C.
                        unsafe {
                            let cij = c.offset(i as isize * rsc + j as isize * csc);
                            // The same operations as the vector path, so a tile's values do not
                            // depend on whether it is an edge tile.
                            *cij = if beta == 0.0 {
                                alpha * ab
                            } else {
                                alpha.mul_add(ab, beta * *cij)
                            };
                        }
                    }
                }
            }
        }
    };
}

avx2_kernel!(
    Avx2F32,
    sgemm_6x16,
    f32,
    8,
    256,
    144,
    4096,
    __m256,
    _mm256_setzero_ps,
    _mm256_set1_ps,
    _mm256_loadu_ps,
    _mm256_storeu_ps,
    _mm256_fmadd_ps,
    _mm256_mul_ps
);

avx2_kernel!(
    Avx2F64,
    dgemm_6x8,
    f64,
    4,
    256,
    72,
    4096,
    __m256d,
    _mm256_setzero_pd,
    _mm256_set1_pd,
    _mm256_loadu_pd,
    _mm256_storeu_pd,
    _mm256_fmadd_pd,
    _mm256_mul_pd
);

//! x86-64 micro-kernels, each a tile of `MR` rows by two vectors:
//!
//! - AVX2+FMA: 6×16 for `f32` and 6×8 for `f64`: twelve `ymm` accumulators, two loads of `B`
//!   and one broadcast of `A` per step (15 of the 16 `ymm` registers).
//! - AVX-512F: 12×32 for `f32` and 12×16 for `f64`: twenty-four `zmm` accumulators, two loads of
//!   `B` per step and `A` broadcast from memory (27 of the 32 `zmm` registers).
//!
//! Each also has a half-width variant (`…Half`, one vector per row: its [`Kernel::Half`]) for
//! column edges of at most `NR / 2` columns, and variants of a third and two thirds of `MR` rows
//! (both widths) for row edges — a batch of 100 leaves 4 rows, AlexNet's dense layers at batch 8
//! have 8 — which would otherwise pay for a full tile of padding.
//!
//! Both keep enough independent FMAs in flight to fill two FMA ports. They use the same `KC`
//! and the same order of operations for each element of `C` (one FMA chain over `p`, then
//! `α·acc` or `α·acc + β·c`), so they give bit-identical results.
//!
//! `KC` is 512 for `f32`: each `k`-slice reads and writes every tile of `C` once, and halving
//! those passes (from `KC` 256) paid for large products more than a 12×32 sliver of `B`
//! (64 KiB) no longer fitting in L1 cost (BENCHMARKS.md).
//!
//! Only called after run-time detection of the features (see `gemm::resolve`).

use std::arch::x86_64::*;

use super::kernel::{Carry, Kernel, TileFn};

/// A tile prefetches its rows of C when its k loop is at least this long (a short loop would
/// wait for the prefetches instead of hiding them).
const PREFETCH_MIN_K: usize = 128;
/// A tile reading rows of A in place prefetches the next tile's rows when its rows are at
/// least this long (shorter rows lie close together, where the hardware prefetchers follow).
const PREFETCH_A_MIN_K: usize = 32;

/// The `f32` AVX2+FMA kernel, 6×16.
pub(crate) struct Avx2F32;
/// The `f64` AVX2+FMA kernel, 6×8.
pub(crate) struct Avx2F64;
/// The `f32` AVX-512F kernel, 12×32.
pub(crate) struct Avx512F32;
/// The `f64` AVX-512F kernel, 12×16.
pub(crate) struct Avx512F64;

macro_rules! x86_kernel {
    (
        $name:ident, $kernel:ident, $half_name:ident, $half:ident, $features:literal, $t:ty,
        $mr:expr, $lanes:expr, $kc:expr, $mc:expr, $nc:expr, $vec:ty, $zero:ident,
        $set1:ident, $loadu:ident, $storeu:ident, $fmadd:ident, $mul:ident,
        short: [$(($rows:expr, $short:ident, $short_half:ident)),*],
        quarter: $quarter:path
    ) => {
        #[doc = concat!("The half-width variant of [`", stringify!($name), "`]: one vector per row.")]
        pub(crate) struct $half_name;

        x86_kernel_impl!(
            $name, $half_name, $kernel, 2, $features, $t, $mr, $lanes, $kc, $mc, $nc, $vec, $zero,
            $set1, $loadu, $storeu, $fmadd, $mul, [$(($rows, $short, $short_half)),*], $quarter
        );
        x86_kernel_impl!(
            $half_name, $half_name, $half, 1, $features, $t, $mr, $lanes, $kc, $mc, $nc, $vec,
            $zero, $set1, $loadu, $storeu, $fmadd, $mul, [], no_quarter
        );
        $(
            x86_tile_fn!(
                $short, 2, $features, $t, $rows, $lanes, $vec, $zero, $set1, $loadu, $storeu,
                $fmadd, $mul
            );
            x86_tile_fn!(
                $short_half, 1, $features, $t, $rows, $lanes, $vec, $zero, $set1, $loadu,
                $storeu, $fmadd, $mul
            );
        )*
    };
}

/// The [`Kernel`] impl of one kernel type of `$vecs` vectors per row, and its tile function.
macro_rules! x86_kernel_impl {
    (
        $name:ident, $half_name:ident, $kernel:ident, $vecs:literal, $features:literal, $t:ty,
        $mr:expr, $lanes:expr, $kc:expr, $mc:expr, $nc:expr, $vec:ty, $zero:ident,
        $set1:ident, $loadu:ident, $storeu:ident, $fmadd:ident, $mul:ident,
        [$(($rows:expr, $short:ident, $short_half:ident)),*], $quarter:path
    ) => {
        impl Kernel<$t> for $name {
            const MR: usize = $mr;
            const NR: usize = $vecs * $lanes;
            const KC: usize = $kc;
            const MC: usize = $mc;
            const NC: usize = $nc;
            type Half = $half_name;

            fn tile_for(rows: usize, cols: usize) -> TileFn<$t> {
                if let Some(tile) = $quarter(rows, cols) {
                    return tile;
                }
                let narrow = $vecs == 2 && cols <= $lanes;
                $(
                    if rows <= $rows {
                        return if narrow { $short_half } else { $short };
                    }
                )*
                if narrow {
                    <Self::Half as Kernel<$t>>::tile
                } else {
                    Self::tile
                }
            }

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
                carry: Carry<$t>,
            ) {
                // SAFETY: forwarded from the caller (which also guarantees the features).
                unsafe { $kernel(k, alpha, a, rsa, csa, b, rsb, beta, c, rsc, csc, mr, nr, carry) }
            }
        }

        x86_tile_fn!(
            $kernel, $vecs, $features, $t, $mr, $lanes, $vec, $zero, $set1, $loadu, $storeu,
            $fmadd, $mul
        );
    };
}

/// One tile function: `MR` rows by `$vecs` vectors of `$lanes` elements.
macro_rules! x86_tile_fn {
    (
        $kernel:ident, $vecs:literal, $features:literal, $t:ty, $mr:expr, $lanes:expr,
        $vec:ty, $zero:ident, $set1:ident, $loadu:ident, $storeu:ident, $fmadd:ident,
        $mul:ident
    ) => {
        /// A tile kernel of `MR` rows by `$vecs` vectors; see [`Kernel::tile`].
        ///
        /// # Safety
        /// As [`Kernel::tile`] for a tile `$vecs·lanes` wide; the CPU must support the
        /// kernel's features.
        #[target_feature(enable = $features)]
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
            carry: Carry<$t>,
        ) {
            const MR: usize = $mr;
            const V: usize = $vecs;
            const NR: usize = V * $lanes;
            const LINE_ELEMS: usize = 64 / std::mem::size_of::<$t>();
            let mut acc: [[$vec; V]; MR] = [[$zero(); V]; MR];
            if carry.loads() {
                for (i, row) in acc.iter_mut().enumerate() {
                    for (h, v) in row.iter_mut().enumerate() {
                        // SAFETY: the carried accumulators hold `MR×NR` elements (caller).
                        *v = unsafe { $loadu(carry.acc.add(i * NR + h * $lanes)) };
                    }
                }
            }
            // Ask for the tile's rows of C now, so that they have arrived when the k loop
            // ends (C is read and written once per k-slice, from wherever it lies).
            if csc == 1 && k >= PREFETCH_MIN_K {
                for i in 0..mr {
                    // SAFETY: a prefetch only hints; row `i < mr` of the tile is inside C.
                    unsafe {
                        let ci = c.offset(i as isize * rsc).cast::<i8>();
                        _mm_prefetch::<_MM_HINT_T0>(ci);
                        _mm_prefetch::<_MM_HINT_T0>(
                            ci.wrapping_add(std::mem::size_of::<$t>() * NR - 1),
                        );
                    }
                }
            }
            // The k loop: at step `p`, column `p` of the MR×k A sliver times row `p` of the
            // k×NR B sliver, where `$elem` is the address of A's element `($i, $p)`. Expanded
            // once per layout of A, so that each gets the addressing that suits it.
            macro_rules! steps {
                ($i:ident, $p:ident => $elem:expr) => {
                    steps!($i, $p in k, b => $elem)
                };
                ($i:ident, $p:ident in $steps:expr, $b0:expr => $elem:expr) => {{
                    let mut pb = $b0;
                    for $p in 0..$steps {
                        // SAFETY: `$elem` is a readable element of A for `$i < MR`, `$p < k`,
                        // and `pb` walks the rows of B (caller's contract).
                        unsafe {
                            let mut bv = [$zero(); V];
                            for (h, v) in bv.iter_mut().enumerate() {
                                *v = $loadu(pb.add(h * $lanes));
                            }
                            for ($i, row) in acc.iter_mut().enumerate() {
                                let ai = $set1(*$elem);
                                for (r, &bh) in row.iter_mut().zip(&bv) {
                                    *r = $fmadd(ai, bh, *r);
                                }
                            }
                            pb = pb.offset(rsb);
                        }
                    }
                }};
            }
            // Rows of A anywhere but in a packed or transposed sliver get one pointer each, so
            // that the broadcasts do not wait on a chain of `MR` dependent additions of `rsa`
            // at every step.
            let rows: [*const $t; MR] =
                std::array::from_fn(|i| a.wrapping_offset(i as isize * rsa));
            if rsa == 1 && csa == MR as isize {
                // Packed: constant offsets from one pointer.
                steps!(i, p => a.add(p * MR + i));
            } else if rsa == 1 {
                steps!(i, p => a.offset(p as isize * csa + i as isize));
            } else if csa == 1 && k >= PREFETCH_A_MIN_K {
                // Rows read in place usually stream from beyond L2, MR far-apart lines at a
                // time, which the hardware prefetchers do not foresee: ask for the next tile's
                // rows (the driver's next call) a line at a time, one tile ahead.
                let next = MR as isize * rsa;
                let mut p0 = 0;
                while p0 < k {
                    for row in &rows {
                        let line = row.wrapping_offset(next).wrapping_add(p0);
                        _mm_prefetch::<_MM_HINT_T0>(line.cast::<i8>());
                    }
                    let steps = LINE_ELEMS.min(k - p0);
                    let part: [*const $t; MR] = std::array::from_fn(|i| rows[i].wrapping_add(p0));
                    let pb = b.wrapping_offset(p0 as isize * rsb);
                    steps!(i, p in steps, pb => part[i].add(p));
                    p0 += steps;
                }
            } else if csa == 1 {
                steps!(i, p => rows[i].add(p));
            } else {
                steps!(i, p => rows[i].offset(p as isize * csa));
            }
            if carry.stores() {
                for (i, row) in acc.iter().enumerate() {
                    for (h, &v) in row.iter().enumerate() {
                        // SAFETY: as above.
                        unsafe { $storeu(carry.acc.add(i * NR + h * $lanes), v) };
                    }
                }
                return;
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
                    for (h, &ab) in row.iter().enumerate() {
                        // SAFETY: `out` holds NR = V·lanes elements.
                        unsafe { $storeu(out.as_mut_ptr().add(h * $lanes), ab) };
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

x86_kernel!(
    Avx2F32,
    sgemm_6x16,
    Avx2F32Half,
    sgemm_6x8,
    "avx2,fma",
    f32,
    6,
    8,
    512,
    144,
    4096,
    __m256,
    _mm256_setzero_ps,
    _mm256_set1_ps,
    _mm256_loadu_ps,
    _mm256_storeu_ps,
    _mm256_fmadd_ps,
    _mm256_mul_ps,
    short: [(2, sgemm_2x16_avx2, sgemm_2x8_avx2), (4, sgemm_4x16_avx2, sgemm_4x8_avx2)],
    quarter: avx2_f32_quarter
);

x86_kernel!(
    Avx2F64,
    dgemm_6x8,
    Avx2F64Half,
    dgemm_6x4,
    "avx2,fma",
    f64,
    6,
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
    _mm256_mul_pd,
    short: [(2, dgemm_2x8_avx2, dgemm_2x4_avx2), (4, dgemm_4x8_avx2, dgemm_4x4_avx2)],
    quarter: no_quarter
);

x86_kernel!(
    Avx512F32,
    sgemm_12x32,
    Avx512F32Half,
    sgemm_12x16,
    "avx512f",
    f32,
    12,
    16,
    512,
    144,
    4096,
    __m512,
    _mm512_setzero_ps,
    _mm512_set1_ps,
    _mm512_loadu_ps,
    _mm512_storeu_ps,
    _mm512_fmadd_ps,
    _mm512_mul_ps,
    short: [(4, sgemm_4x32, sgemm_4x16), (8, sgemm_8x32, sgemm_8x16)],
    quarter: avx512_f32_quarter
);

x86_kernel!(
    Avx512F64,
    dgemm_12x16,
    Avx512F64Half,
    dgemm_12x8,
    "avx512f",
    f64,
    12,
    8,
    256,
    72,
    4096,
    __m512d,
    _mm512_setzero_pd,
    _mm512_set1_pd,
    _mm512_loadu_pd,
    _mm512_storeu_pd,
    _mm512_fmadd_pd,
    _mm512_mul_pd,
    short: [(4, dgemm_4x16, dgemm_4x8), (8, dgemm_8x16, dgemm_8x8)],
    quarter: no_quarter
);

/// No quarter-width variants (see [`avx512_f32_quarter`]).
fn no_quarter<T>(_rows: usize, _cols: usize) -> Option<TileFn<T>> {
    None
}

/// The quarter-width (`ymm`, 8 columns) variant of the `f32` AVX-512 kernels for a tile of
/// `rows` rows and `cols ≤ 8` columns: an edge of a product 100 or 40 columns wide would
/// otherwise run a whole `zmm` per row, and on CPUs that split a `zmm` FMA in two halves
/// (Zen 4) that costs twice the time.
fn avx512_f32_quarter(rows: usize, cols: usize) -> Option<TileFn<f32>> {
    (cols <= 8).then_some(match rows {
        0..=4 => sgemm_4x8,
        5..=8 => sgemm_8x8,
        _ => sgemm_12x8,
    })
}

/// The quarter-width (`xmm`, 4 columns) variant of the `f32` AVX2 kernels, as
/// [`avx512_f32_quarter`].
fn avx2_f32_quarter(rows: usize, cols: usize) -> Option<TileFn<f32>> {
    (cols <= 4).then_some(match rows {
        0..=2 => sgemm_2x4_avx2,
        3..=4 => sgemm_4x4_avx2,
        _ => sgemm_6x4_avx2,
    })
}

/// The quarter-width tile functions of one vector type, one per row count.
macro_rules! quarter_fns {
    ($features:literal, $lanes:expr, $vec:ty, $zero:ident, $set1:ident, $loadu:ident,
     $storeu:ident, $fmadd:ident, $mul:ident, [$(($rows:expr, $f:ident)),*]) => {
        $(
            x86_tile_fn!(
                $f, 1, $features, f32, $rows, $lanes, $vec, $zero, $set1, $loadu, $storeu,
                $fmadd, $mul
            );
        )*
    };
}

quarter_fns!(
    "avx512f,avx2,fma",
    8,
    __m256,
    _mm256_setzero_ps,
    _mm256_set1_ps,
    _mm256_loadu_ps,
    _mm256_storeu_ps,
    _mm256_fmadd_ps,
    _mm256_mul_ps,
    [(4, sgemm_4x8), (8, sgemm_8x8), (12, sgemm_12x8)]
);

quarter_fns!(
    "avx2,fma",
    4,
    __m128,
    _mm_setzero_ps,
    _mm_set1_ps,
    _mm_loadu_ps,
    _mm_storeu_ps,
    _mm_fmadd_ps,
    _mm_mul_ps,
    [
        (2, sgemm_2x4_avx2),
        (4, sgemm_4x4_avx2),
        (6, sgemm_6x4_avx2)
    ]
);

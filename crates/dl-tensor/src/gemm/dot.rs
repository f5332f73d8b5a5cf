//! Products where one side of `C` is a handful of rows and `k` is long, with both operands
//! running along `k`: AlexNet's dense layers' `dx = dout · Wᵀ` at batch 8 is 9,216 rows of `W`
//! (151 MB) each against the same 8 rows of `dout`. Every element of `C` is then the dot
//! product of two contiguous runs, and reading each long row once, start to end, against all
//! the short rows at once streams the large operand at the memory's pace; the blocked
//! algorithm reads it in `k`-slices, many rows a power of two apart at a time (rows that crowd
//! into the same L1 sets), at a third of that, and is slower on such shapes in cache too.
//!
//! Each dot product is summed in 16 lanes (lane `l` takes the elements `p ≡ l (mod 16)` in
//! order, by FMA; the last partial chunk is read masked, as zeros), and the lanes are added in
//! a fixed tree (`l + l+8`, then `+4`, `+2`, `+1`). The AVX-512F kernel holds the 16 lanes in
//! one `zmm` register, the AVX2+FMA kernel in two `ymm`; the operations are the same, so are
//! the bits. The order differs from the blocked product's single FMA chain per element, so which
//! products take this path depends on their shape only ([`dots_of`]), never on the thread count.

use super::driver::{ActiveKernel, Problem};
use super::sealed::Sealed;
use crate::threads::for_each_task_with;

/// The most rows of the short side (rows of `C` or columns of `C`).
const MAX_SHORT: usize = 8;
/// The shortest `k`: each dot product ends in a 16-lane sum, which a shorter one does not pay
/// for (the blocked kernels are faster below 256, BENCHMARKS.md).
const MIN_K: usize = 256;
/// Long rows per task when the rows are split over threads.
const TASK_ROWS: usize = 48;

/// A product as dot products of `long` rows against `short` rows (both contiguous along `k`):
/// `C[l, s] ← α·(long_l · short_s) + β·C[l, s]`, with `C[l, s]` at `c + l·cl + s·cs`.
#[derive(Clone, Copy)]
pub struct Dots<T> {
    k: usize,
    long: *const T,
    long_rows: usize,
    ldl: isize,
    short: *const T,
    shorts: usize,
    lds: isize,
    c: *mut T,
    cl: isize,
    cs: isize,
    alpha: T,
    beta: T,
}

// SAFETY: shared only between the tasks of one product, which read `long` and `short` and
// write disjoint rows `l` of `C`; the caller keeps all three alive.
unsafe impl<T: Sync> Sync for Dots<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Send for Dots<T> {}

/// The dot kernel of a kernel family: long rows `rows` of `d`.
pub type DotFn<T> = unsafe fn(&Dots<T>, std::ops::Range<usize>);

/// `p` as dot products, when it has that shape: `A`'s rows and `B`'s columns contiguous, one
/// side of `C` at most [`MAX_SHORT`] long, `k` at least [`MIN_K`].
pub(crate) fn dots_of<T: Sealed>(p: &Problem<T>) -> Option<Dots<T>> {
    let short_side = p.m <= MAX_SHORT || p.n <= MAX_SHORT;
    if p.indexed() || p.csa != 1 || p.rsb != 1 || p.k < MIN_K || !short_side {
        return None;
    }
    Some(Dots::sides(p, p.m <= MAX_SHORT))
}

impl<T: Sealed> Dots<T> {
    /// `p` as dot products with `A`'s rows the short side (`short_a`, `B`'s columns the long
    /// one) or the other way round.
    fn sides(p: &Problem<T>, short_a: bool) -> Self {
        let a = (p.a, p.m, p.rsa, p.rsc);
        let b = (p.b, p.n, p.csb, p.csc);
        let ((short, shorts, lds, cs), (long, long_rows, ldl, cl)) =
            if short_a { (a, b) } else { (b, a) };
        Dots {
            k: p.k,
            long,
            long_rows,
            ldl,
            short,
            shorts,
            lds,
            c: p.c,
            cl,
            cs,
            alpha: p.alpha,
            beta: p.beta,
        }
    }
}

/// Runs `d` with `dot`, its long rows split over up to `threads` threads in tasks of
/// [`TASK_ROWS`] (each element of `C` is computed by one task: the same bits for any count).
///
/// # Safety
/// As [`Problem`]'s contract for the problem `d` came from; the CPU must support `dot`'s family.
pub(crate) unsafe fn run_dots<T: Sealed>(d: &Dots<T>, dot: DotFn<T>, threads: usize) {
    let tasks = d.long_rows.div_ceil(TASK_ROWS);
    for_each_task_with(threads, tasks, |t| {
        let rows = t * TASK_ROWS..((t + 1) * TASK_ROWS).min(d.long_rows);
        // SAFETY: forwarded; the tasks' rows are disjoint.
        unsafe { dot(d, rows) }
    });
}

/// The dot kernel of `kernel` for `f32` (none for the portable family).
pub(crate) fn f32_dot_kernel(kernel: ActiveKernel) -> Option<DotFn<f32>> {
    match kernel {
        #[cfg(target_arch = "x86_64")]
        ActiveKernel::Avx512 => Some(x86::dots_avx512),
        #[cfg(target_arch = "x86_64")]
        ActiveKernel::Avx2Fma => Some(x86::dots_avx2),
        _ => None,
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    use super::Dots;

    /// Long rows taken together by the AVX-512 kernel (each short row's load serves them all).
    const ROWS: usize = 3;
    /// Short rows per pass of the AVX2 kernel: with [`ROWS`] long rows, 12 of its 16
    /// registers of accumulators.
    const SHORTS_AVX2: usize = 2;
    /// The `k`-block of the AVX2 kernel: its long rows and 8 short rows (22 KiB) stay in L1.
    const BLOCK_K_AVX2: usize = 512;

    /// `C[l, s] ← α·dot + β·C[l, s]`, as the blocked kernels write an element.
    #[inline(always)]
    unsafe fn write(d: &Dots<f32>, l: usize, s: usize, dot: f32) {
        // SAFETY: `(l, s)` is an element of C (caller's contract).
        unsafe {
            let c = d.c.offset(l as isize * d.cl + s as isize * d.cs);
            *c = if d.beta == 0.0 {
                d.alpha * dot
            } else {
                let (a, x, bc) = (
                    _mm_set_ss(d.alpha),
                    _mm_set_ss(dot),
                    _mm_set_ss(d.beta * *c),
                );
                _mm_cvtss_f32(_mm_fmadd_ss(a, x, bc))
            };
        }
    }

    /// The [`ROWS`] long rows from `l` on, of which `taken` are real: with fewer left, the last
    /// one is computed again in the spare slots (and not written).
    fn long_rows(d: &Dots<f32>, l: usize, taken: usize) -> [*const f32; ROWS] {
        std::array::from_fn(|r| {
            d.long
                .wrapping_offset((l + r.min(taken - 1)) as isize * d.ldl)
        })
    }

    /// The sum of 8 lanes: `l + l+4`, then `+2`, then `+1`.
    #[inline(always)]
    unsafe fn sum8(v: __m256) -> f32 {
        // SAFETY: plain register arithmetic (AVX is enabled by the callers).
        unsafe {
            let v4 = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
            let v2 = _mm_add_ps(v4, _mm_movehl_ps(v4, v4));
            let v1 = _mm_add_ss(v2, _mm_movehdup_ps(v2));
            _mm_cvtss_f32(v1)
        }
    }

    /// Dot products of long rows `rows` against every short row, 16 lanes in one `zmm`.
    ///
    /// # Safety
    /// The CPU must support AVX-512F; `d` addresses valid rows (see [`super::Dots`]).
    #[target_feature(enable = "avx512f,avx2,fma")]
    pub(super) unsafe fn dots_avx512(d: &Dots<f32>, rows: std::ops::Range<usize>) {
        match d.shorts {
            1 => unsafe { avx512_shorts::<1>(d, rows) },
            2 => unsafe { avx512_shorts::<2>(d, rows) },
            3 => unsafe { avx512_shorts::<3>(d, rows) },
            4 => unsafe { avx512_shorts::<4>(d, rows) },
            5 => unsafe { avx512_shorts::<5>(d, rows) },
            6 => unsafe { avx512_shorts::<6>(d, rows) },
            7 => unsafe { avx512_shorts::<7>(d, rows) },
            _ => unsafe { avx512_shorts::<8>(d, rows) },
        }
    }

    #[target_feature(enable = "avx512f,avx2,fma")]
    unsafe fn avx512_shorts<const S: usize>(d: &Dots<f32>, rows: std::ops::Range<usize>) {
        let (full, tail) = (d.k / 16, d.k % 16);
        let mask: __mmask16 = ((1u32 << tail) - 1) as u16;
        let shorts: [*const f32; S] =
            std::array::from_fn(|s| d.short.wrapping_offset(s as isize * d.lds));
        let mut l = rows.start;
        while l < rows.end {
            let taken = (rows.end - l).min(ROWS);
            let long = long_rows(d, l, taken);
            // SAFETY: chunk loads stay within each row's `k` elements (the tail masked).
            unsafe {
                let mut acc = [[_mm512_setzero_ps(); S]; ROWS];
                for chunk in 0..full {
                    let x: [__m512; ROWS] =
                        std::array::from_fn(|r| _mm512_loadu_ps(long[r].add(chunk * 16)));
                    for s in 0..S {
                        let y = _mm512_loadu_ps(shorts[s].add(chunk * 16));
                        for r in 0..ROWS {
                            acc[r][s] = _mm512_fmadd_ps(x[r], y, acc[r][s]);
                        }
                    }
                }
                if tail > 0 {
                    let x: [__m512; ROWS] = std::array::from_fn(|r| {
                        _mm512_maskz_loadu_ps(mask, long[r].add(full * 16))
                    });
                    for s in 0..S {
                        let y = _mm512_maskz_loadu_ps(mask, shorts[s].add(full * 16));
                        for r in 0..ROWS {
                            acc[r][s] = _mm512_fmadd_ps(x[r], y, acc[r][s]);
                        }
                    }
                }
                // Every slot visited with constant indices, so that `acc` stays in registers.
                for r in 0..ROWS {
                    for s in 0..S {
                        let v = acc[r][s];
                        let lo = _mm512_castps512_ps256(v);
                        let hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
                        let dot = sum8(_mm256_add_ps(lo, hi));
                        if r < taken {
                            write(d, l + r, s, dot);
                        }
                    }
                }
            }
            l += taken;
        }
    }

    /// Dot products of long rows `rows` against every short row, 16 lanes in two `ymm`
    /// (lanes 0–7 and 8–15). Sixteen registers hold the accumulators of [`ROWS`] long rows for
    /// only [`SHORTS_AVX2`] short rows, so `k` is cut into blocks of [`BLOCK_K_AVX2`]: a
    /// block of the long rows and of all short rows stays in L1 while the short rows are taken
    /// a few at a time, the accumulators kept in memory in between (each lane's FMAs stay in
    /// order: the same bits).
    ///
    /// # Safety
    /// The CPU must support AVX2 and FMA; `d` addresses valid rows (see [`super::Dots`]).
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn dots_avx2(d: &Dots<f32>, rows: std::ops::Range<usize>) {
        let (full, tail) = (d.k / 16, d.k % 16);
        // Lane i of the two tail masks is set when element 16·full + i (lo) or + 8 + i (hi) is
        // inside the row.
        let lane_mask = |first: usize| {
            let m: [i32; 8] = std::array::from_fn(|i| if first + i < tail { -1 } else { 0 });
            // SAFETY: an unaligned load of 8 `i32`.
            unsafe { _mm256_loadu_si256(m.as_ptr().cast()) }
        };
        let (mask_lo, mask_hi) = (lane_mask(0), lane_mask(8));
        let mut l = rows.start;
        while l < rows.end {
            let taken = (rows.end - l).min(ROWS);
            let long = long_rows(d, l, taken);
            let mut sums = [[[_mm256_setzero_ps(); 2]; super::MAX_SHORT]; ROWS];
            for c0 in (0..full.max(1)).step_by(BLOCK_K_AVX2 / 16) {
                let c1 = (c0 + BLOCK_K_AVX2 / 16).min(full);
                let last = c1 == full;
                for s0 in (0..d.shorts).step_by(SHORTS_AVX2) {
                    let count = SHORTS_AVX2.min(d.shorts - s0);
                    let shorts: [*const f32; SHORTS_AVX2] = std::array::from_fn(|s| {
                        d.short
                            .wrapping_offset((s0 + s.min(count - 1)) as isize * d.lds)
                    });
                    let mut acc: [[[__m256; 2]; SHORTS_AVX2]; ROWS] = std::array::from_fn(|r| {
                        std::array::from_fn(|s| sums[r][(s0 + s).min(d.shorts - 1)])
                    });
                    // SAFETY: chunk loads stay within each row's `k` elements (the tail masked).
                    unsafe {
                        for chunk in c0..c1 {
                            let at = chunk * 16;
                            for s in 0..SHORTS_AVX2 {
                                let y = [
                                    _mm256_loadu_ps(shorts[s].add(at)),
                                    _mm256_loadu_ps(shorts[s].add(at + 8)),
                                ];
                                for r in 0..ROWS {
                                    for h in 0..2 {
                                        let x = _mm256_loadu_ps(long[r].add(at + 8 * h));
                                        acc[r][s][h] = _mm256_fmadd_ps(x, y[h], acc[r][s][h]);
                                    }
                                }
                            }
                        }
                        if last && tail > 0 {
                            let at = full * 16;
                            let masks = [mask_lo, mask_hi];
                            for s in 0..SHORTS_AVX2 {
                                let y = [
                                    _mm256_maskload_ps(shorts[s].add(at), mask_lo),
                                    _mm256_maskload_ps(shorts[s].add(at + 8), mask_hi),
                                ];
                                for r in 0..ROWS {
                                    for h in 0..2 {
                                        let x =
                                            _mm256_maskload_ps(long[r].add(at + 8 * h), masks[h]);
                                        acc[r][s][h] = _mm256_fmadd_ps(x, y[h], acc[r][s][h]);
                                    }
                                }
                            }
                        }
                    }
                    for r in 0..ROWS {
                        for s in 0..SHORTS_AVX2 {
                            if s < count {
                                sums[r][s0 + s] = acc[r][s];
                            }
                        }
                    }
                }
            }
            for r in 0..ROWS {
                for s in 0..super::MAX_SHORT {
                    // SAFETY: register arithmetic; `(l + r, s)` is an element of C.
                    unsafe {
                        let dot = sum8(_mm256_add_ps(sums[r][s][0], sums[r][s][1]));
                        if r < taken && s < d.shorts {
                            write(d, l + r, s, dot);
                        }
                    }
                }
            }
            l += taken;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{DotFn, Dots, MAX_SHORT, MIN_K, dots_of};
    use crate::gemm::driver::{ActiveKernel, Problem};
    use crate::gemm::{GemmOptions, MatMut, MatRef, gemm_with};

    /// The documented sum: 16 lanes of FMAs (lane `l` takes `p ≡ l (mod 16)`), then the tree.
    fn reference(x: &[f32], y: &[f32]) -> f32 {
        let mut lanes = [0f32; 16];
        for (p, (&a, &b)) in x.iter().zip(y).enumerate() {
            lanes[p % 16] = a.mul_add(b, lanes[p % 16]);
        }
        // The masked tail adds 0·0 to the lanes past the end of the last chunk.
        if !x.len().is_multiple_of(16) {
            for lane in &mut lanes[x.len() % 16..] {
                *lane = 0f32.mul_add(0.0, *lane);
            }
        }
        let mut width = 16;
        while width > 1 {
            width /= 2;
            for l in 0..width {
                lanes[l] += lanes[l + width];
            }
        }
        lanes[0]
    }

    /// Values in [−1, 1), whose sums depend on their order.
    fn values(len: usize, seed: u64) -> Vec<f32> {
        let mut rng = crate::rng_from_seed(seed);
        crate::Tensor::<f32>::rand_uniform([len], -1.0, 1.0, &mut rng).to_vec()
    }

    fn kernels() -> Vec<(&'static str, DotFn<f32>)> {
        let mut all: Vec<(&'static str, DotFn<f32>)> = Vec::new();
        for (name, kernel, supported) in [
            (
                "avx512",
                ActiveKernel::Avx512,
                crate::gemm::avx512_kernel_supported(),
            ),
            (
                "avx2",
                ActiveKernel::Avx2Fma,
                crate::gemm::fast_kernel_supported(),
            ),
        ] {
            if let Some(f) = super::f32_dot_kernel(kernel).filter(|_| supported) {
                all.push((name, f));
            }
        }
        all
    }

    /// `C (m×n) = A (m×k) · Wᵀ`, `W` `(n×k)` row-major: `A`'s rows against `W`'s rows.
    fn problem(a: &[f32], w: &[f32], c: &mut [f32], m: usize, n: usize, k: usize) -> Problem<f32> {
        Problem {
            m,
            n,
            k,
            alpha: 1.0,
            beta: 0.0,
            a: a.as_ptr(),
            rsa: k as isize,
            csa: 1,
            a_rows: std::ptr::null(),
            a_cols: std::ptr::null(),
            packed_a: crate::gemm::driver::Prepacked::NONE,
            packed_b: crate::gemm::driver::Prepacked::NONE,
            b: w.as_ptr(),
            rsb: 1,
            csb: k as isize,
            c: c.as_mut_ptr(),
            rsc: n as isize,
            csc: 1,
        }
    }

    #[test]
    fn every_kernel_sums_each_dot_in_16_lanes_and_a_fixed_tree() {
        for (name, dot) in kernels() {
            for shorts in 1..=MAX_SHORT {
                for long_rows in [1, 2, 3, 4, 7] {
                    for k in [16, 37, 64, 100] {
                        let a = values(shorts * k, 1);
                        let w = values(long_rows * k, 2);
                        let c0 = values(shorts * long_rows, 3);
                        for (alpha, beta) in [(1.0f32, 0.0f32), (0.5, 2.0)] {
                            let mut c = c0.clone();
                            let mut p = problem(&a, &w, &mut c, shorts, long_rows, k);
                            (p.alpha, p.beta) = (alpha, beta);
                            // Short rows of A, long columns of B: C[s, l] at s·n + l.
                            let d = Dots::sides(&p, true);
                            // SAFETY: the kernel is supported; `d` addresses the vectors above.
                            unsafe { dot(&d, 0..long_rows) };
                            for s in 0..shorts {
                                for l in 0..long_rows {
                                    let x = reference(&a[s * k..][..k], &w[l * k..][..k]);
                                    let old = c0[s * long_rows + l];
                                    let want = if beta == 0.0 {
                                        alpha * x
                                    } else {
                                        alpha.mul_add(x, beta * old)
                                    };
                                    let got = c[s * long_rows + l];
                                    assert_eq!(
                                        got.to_bits(),
                                        want.to_bits(),
                                        "{name}: {shorts} short, {long_rows} long, k {k}, \
                                         α {alpha} β {beta}: C[{s}, {l}] = {got}, want {want}"
                                    );
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn only_a_few_rows_against_a_long_k_are_dot_products() {
        let (k, long) = (MIN_K, 100);
        let (a, w) = (vec![0f32; 9 * k], vec![0f32; long * k]);
        let mut c = vec![0f32; 9 * long];
        let p = problem(&a, &w, &mut c, 8, long, k);
        assert!(dots_of(&p).is_some(), "8 rows against {long} long columns");
        let mut transposed = p;
        (transposed.m, transposed.n) = (long, 8);
        (transposed.a, transposed.rsa, transposed.b, transposed.csb) = (p.b, p.csb, p.a, p.rsa);
        assert!(dots_of(&transposed).is_some(), "the same, transposed");
        let nine = problem(&a, &w, &mut c, 9, long, k);
        assert!(dots_of(&nine).is_none(), "9 rows: the blocked product");
        let short_k = problem(&a, &w, &mut c, 8, long, k - 1);
        assert!(dots_of(&short_k).is_none(), "k under {MIN_K}");
        let mut strided = p;
        strided.rsb = 2;
        assert!(dots_of(&strided).is_none(), "B's columns not contiguous");
    }

    /// Through the public `gemm`, as a dense layer's `dx` at batch 8: the same bits as the
    /// documented sum, on 1 and on 2 threads.
    #[test]
    fn gemm_of_a_few_rows_against_a_long_k_gives_the_documented_bits() {
        let (m, k, n) = (8, 1001, 1000);
        let (a, w) = (values(m * k, 4), values(n * k, 5));
        crate::set_fewer_threads_when_busy(false);
        for threads in [1, 2] {
            let mut c = vec![f32::NAN; m * n];
            let opts = GemmOptions {
                threads: Some(threads),
                ..GemmOptions::default()
            };
            gemm_with(
                &opts,
                1.0,
                MatRef::row_major(&a, m, k),
                MatRef::row_major(&w, n, k).t(),
                0.0,
                MatMut::row_major(&mut c, m, n),
            );
            if kernels().is_empty() {
                return; // the portable kernels run the blocked product
            }
            for i in 0..m {
                for j in (0..n).step_by(97).chain([n - 1]) {
                    let want = reference(&a[i * k..][..k], &w[j * k..][..k]);
                    assert_eq!(
                        c[i * n + j].to_bits(),
                        want.to_bits(),
                        "{threads} threads, C[{i}, {j}]"
                    );
                }
            }
        }
    }
}

//! The blocked GEMM driver: special cases, the split over threads, and the cache-blocked loops
//! around the micro-kernel.

use std::sync::atomic::{AtomicU32, Ordering};

use super::caches::{block_sizes, caches};
use super::dot::{dots_of, run_dots};
use super::kernel::{Carry, Kernel, Part};
use super::pack::{pack_a, pack_a_indexed, pack_b, with_workspace};
use super::sealed::Sealed;
use super::{GemmOptions, resolve};
use crate::threads::{for_each_task_with, num_threads, threads_for};

/// The kernel family actually used for one call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ActiveKernel {
    /// Hand-written AVX-512F kernels.
    Avx512,
    /// Hand-written AVX2+FMA kernels.
    Avx2Fma,
    /// The portable kernels.
    Portable,
}

/// One product `C ← α·A·B + β·C` over raw pointers: `A` is `m×k` with element `(i, p)` at
/// `a + i·rsa + p·csa`, and likewise for `B` (`k×n`) and `C` (`m×n`).
///
/// When `a_rows` is not null, `A` is indexed instead ([`super::IndexedRef`]): element `(i, p)`
/// at `a + a_rows[i] + a_cols[p]`, and `rsa`, `csa` are unused.
///
/// Contract: the elements of `A` and `B` are readable, those of `C` readable, writable, distinct,
/// not overlapping `A` or `B`, and not accessed by anyone else during the product.
#[derive(Clone, Copy, Debug)]
pub struct Problem<T> {
    pub(crate) m: usize,
    pub(crate) n: usize,
    pub(crate) k: usize,
    pub(crate) alpha: T,
    pub(crate) beta: T,
    pub(crate) a: *const T,
    pub(crate) rsa: isize,
    pub(crate) csa: isize,
    /// `m` row offsets of an indexed `A`, or null.
    pub(crate) a_rows: *const usize,
    /// `k` column offsets of an indexed `A` (when `a_rows` is not null).
    pub(crate) a_cols: *const usize,
    pub(crate) b: *const T,
    pub(crate) rsb: isize,
    pub(crate) csb: isize,
    pub(crate) c: *mut T,
    pub(crate) rsc: isize,
    pub(crate) csc: isize,
    /// `A` packed ahead of the product, or none (see [`Prepacked`]).
    pub(crate) packed_a: Prepacked<T>,
    /// `B` packed ahead of the product, or none.
    pub(crate) packed_b: Prepacked<T>,
}

/// An operand packed ahead of the product ([`super::PackedLhs`], [`super::PackedRhs`]), as the
/// blocked loops would pack it: `k`-slice `kb` at `data + kb·slice_len`, in slivers of `MR`
/// rows of `A` (or `NR` columns of `B`) of the whole matrix, so the sliver holding the
/// problem's row (column) `r` starts at `r + first` times the slice's depth. The strided
/// operand stays in the problem too, for the paths that do not read slivers.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Prepacked<T> {
    /// The packed slices, or null for none.
    pub(crate) data: *const T,
    /// Elements per `k`-slice.
    pub(crate) slice_len: usize,
    /// The problem's first row (column) in the packed matrix: a multiple of `MR` (`NR`).
    pub(crate) first: usize,
}

impl<T> Prepacked<T> {
    /// No packed operand.
    pub(crate) const NONE: Self = Prepacked {
        data: std::ptr::null(),
        slice_len: 0,
        first: 0,
    };

    /// Whether there is a packed operand.
    pub(crate) fn is_some(&self) -> bool {
        !self.data.is_null()
    }

    /// The sliver holding the problem's row (column) `at` in `k`-slice `kb` of depth `kc`.
    ///
    /// # Safety
    /// The operand must be packed, `at + first` a multiple of the sliver width inside it, and
    /// `kb` one of its slices.
    unsafe fn sliver(&self, kb: usize, at: usize, kc: usize) -> *const T {
        // SAFETY: forwarded: the offset lies inside the packed slices.
        unsafe { self.data.add(kb * self.slice_len + (self.first + at) * kc) }
    }

    /// The same operand for a sub-problem starting `offset` rows (columns) further.
    fn shifted(self, offset: usize) -> Self {
        Prepacked {
            first: self.first + offset,
            ..self
        }
    }
}

// SAFETY: a `Problem` is only shared between the threads of one product, which read A and B
// and write disjoint blocks of C (see `gemm_problem`); the caller keeps all three alive.
unsafe impl<T: Sync> Sync for Problem<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Send for Problem<T> {}

impl<T: Copy> Problem<T> {
    /// Whether `A` is indexed rather than strided.
    pub(crate) fn indexed(&self) -> bool {
        !self.a_rows.is_null()
    }

    /// Whether an operand was packed ahead of the product.
    fn prepacked(&self) -> bool {
        self.packed_a.is_some() || self.packed_b.is_some()
    }

    /// The same product transposed: `Cᵀ ← α·Bᵀ·Aᵀ + β·Cᵀ` (for a strided `A` only).
    fn transposed(self) -> Self {
        debug_assert!(!self.indexed(), "an indexed A cannot become B");
        debug_assert!(!self.prepacked(), "a packed operand keeps its side");
        Problem {
            m: self.n,
            n: self.m,
            a: self.b,
            rsa: self.csb,
            csa: self.rsb,
            b: self.a,
            rsb: self.csa,
            csb: self.rsa,
            rsc: self.csc,
            csc: self.rsc,
            ..self
        }
    }

    /// The sub-product for rows `r0..r1` and columns `c0..c1` of `C`.
    ///
    /// # Safety
    /// The ranges must lie inside the problem.
    unsafe fn block(&self, r0: usize, r1: usize, c0: usize, c1: usize) -> Self {
        // SAFETY: the offsets address elements of A (or its row table), B and C inside the
        // problem.
        unsafe {
            // An indexed A keeps its pointer and moves its row table instead.
            let (a, a_rows) = if self.indexed() {
                (self.a, self.a_rows.add(r0))
            } else {
                (self.a.offset(r0 as isize * self.rsa), self.a_rows)
            };
            Problem {
                m: r1 - r0,
                n: c1 - c0,
                a,
                a_rows,
                b: self.b.offset(c0 as isize * self.csb),
                c: self
                    .c
                    .offset(r0 as isize * self.rsc + c0 as isize * self.csc),
                packed_a: self.packed_a.shifted(r0),
                packed_b: self.packed_b.shifted(c0),
                ..*self
            }
        }
    }
}

impl<T: Sealed> Problem<T> {
    /// Packs rows `r0..r0 + rows` of `A`'s `k`-slice `pc..pc + kc` into slivers of `mr` rows at
    /// `dst`, through the offset tables when `A` is indexed.
    ///
    /// # Safety
    /// The rows and the slice must lie inside the problem; `dst` must hold
    /// `ceil(rows/mr)·mr·kc` elements.
    unsafe fn pack_a_rows(
        &self,
        mr: usize,
        r0: usize,
        rows: usize,
        pc: usize,
        kc: usize,
        dst: *mut T,
    ) {
        // SAFETY: forwarded; the offsets address A's elements (or its tables) inside the problem.
        unsafe {
            if self.indexed() {
                let (row_table, col_table) = (self.a_rows.add(r0), self.a_cols.add(pc));
                pack_a_indexed(mr, kc, rows, self.a, row_table, col_table, dst);
            } else {
                let a0 = self
                    .a
                    .offset(r0 as isize * self.rsa + pc as isize * self.csa);
                pack_a(mr, kc, rows, a0, self.rsa, self.csa, dst);
            }
        }
    }
}

/// Below this many multiply-adds (`m·n·k`), a product runs on one thread.
const PARALLEL_MIN_WORK: usize = 1 << 18;
/// The same bound when handing work to another core is slow (see [`crate::handoff_ns`]): a
/// slow hand-off makes mid-sized products slower on two threads than on one (BENCHMARKS.md).
const PARALLEL_MIN_WORK_SLOW_HANDOFF: usize = 1 << 21;
/// A measured hand-off above this many nanoseconds counts as slow.
const SLOW_HANDOFF_NS: u64 = 200;
/// While hand-offs are slow, one in this many products that would have been split runs split
/// anyway, so that the hand-off keeps being measured and a faster one is noticed.
const SLOW_HANDOFF_PROBE: u32 = 16;

/// Counts products kept on one thread by a slow hand-off.
static KEPT_SERIAL: AtomicU32 = AtomicU32::new(0);

/// Whether a product of `work` multiply-adds is worth splitting over threads, given the
/// measured hand-off.
fn worth_splitting(work: usize) -> bool {
    split_decision(work, crate::handoff_ns(), || {
        KEPT_SERIAL.fetch_add(1, Ordering::Relaxed)
    })
}

/// [`worth_splitting`] for a hand-off of `handoff_ns`, where `turn()` numbers the products kept
/// on one thread by a slow hand-off (every [`SLOW_HANDOFF_PROBE`]-th is split anyway).
fn split_decision(work: usize, handoff_ns: Option<u64>, turn: impl FnOnce() -> u32) -> bool {
    if work < PARALLEL_MIN_WORK {
        return false;
    }
    let slow_handoff = handoff_ns.is_some_and(|ns| ns > SLOW_HANDOFF_NS);
    !slow_handoff
        || work >= PARALLEL_MIN_WORK_SLOW_HANDOFF
        || turn().is_multiple_of(SLOW_HANDOFF_PROBE)
}

/// Runs a whole product: special cases, orientation, and the split over threads.
///
/// # Safety
/// As [`Problem`]'s contract.
pub(crate) unsafe fn gemm_problem<T: Sealed>(opts: &GemmOptions, mut p: Problem<T>) {
    if p.m == 0 || p.n == 0 {
        return;
    }
    if p.k == 0 || p.alpha == T::ZERO {
        // SAFETY: forwarded.
        unsafe { scale_c(&p) };
        return;
    }
    let kernel = resolve(opts.kernel);
    let threads = if worth_splitting(p.m * p.n * p.k) {
        threads_for(opts.threads.unwrap_or_else(num_threads))
    } else {
        1
    };
    if let (Some(dot), Some(d)) = (T::dot_kernel(kernel), dots_of(&p)) {
        // SAFETY: forwarded; `dot` belongs to the resolved family, which the CPU supports.
        unsafe { run_dots(&d, dot, threads) };
        return;
    }
    let (mr, nr, kc) = T::blocking(kernel);
    // Of the product and its transpose, run the one with less strided work (an indexed A
    // stays A: only A has the kernels' indexed reads; a packed operand keeps its side).
    if !p.indexed() && !p.prepacked() && strided_work(&p.transposed(), kc) < strided_work(&p, kc) {
        p = p.transposed();
    }
    let (mt, nt) = (p.m.div_ceil(mr), p.n.div_ceil(nr));
    let (tm, tn) = grid(threads, mt, nt, p.k, mr, nr);
    if tm * tn == 1 {
        // SAFETY: forwarded.
        unsafe { T::run_blocked(&p, kernel) };
        return;
    }
    let p = &p;
    for_each_task_with(threads, tm * tn, |t| {
        let (bi, bj) = (t / tn, t % tn);
        let r0 = (bi * mt / tm * mr).min(p.m);
        let r1 = ((bi + 1) * mt / tm * mr).min(p.m);
        let c0 = (bj * nt / tn * nr).min(p.n);
        let c1 = ((bj + 1) * nt / tn * nr).min(p.n);
        if r0 < r1 && c0 < c1 {
            // SAFETY: the blocks of the `tm×tn` grid are disjoint ranges inside the problem, so
            // each task writes its own elements of C.
            unsafe { T::run_blocked(&p.block(r0, r1, c0, c1), kernel) };
        }
    });
}

/// The elements a product moves with strided accesses: packing `B` when its columns are not
/// contiguous (the kernels load rows of `B` as vectors), and storing every `k`-slice's tiles
/// element by element when `C`'s columns are not (they store rows of `C` as vectors). A
/// product and its transpose compute the same operations per element, so either may run:
/// for `dx = dout · Wᵀ` of a wide `Affine` the transpose skips packing all of `W` strided.
/// `kc` is the kernel's `k`-slice.
fn strided_work<T>(p: &Problem<T>, kc: usize) -> usize {
    let pack_b = if p.csb == 1 { 0 } else { p.k * p.n };
    let store_c = if p.csc == 1 {
        0
    } else {
        p.m * p.n * p.k.div_ceil(kc)
    };
    pack_b + store_c
}

/// Chooses a `tm×tn` grid of blocks of `C` (`tm·tn ≤ threads`) minimising the largest block's
/// cost: its tiles' multiply-adds plus the packing each block repeats.
fn grid(threads: usize, mt: usize, nt: usize, k: usize, mr: usize, nr: usize) -> (usize, usize) {
    // One packed element of A costs about as much as this many tile multiply-adds, and one of
    // B twice as much: B's slivers are short pieces of rows far apart, while A is packed from
    // whole rows (fitted to 256³ on 2 threads; BENCHMARKS.md).
    const PACK_A_COST: usize = 16;
    const PACK_B_COST: usize = 32;
    let mut best = (1, 1);
    let mut best_cost = usize::MAX;
    for tm in 1..=threads.min(mt) {
        let tn = (threads / tm).min(nt);
        let (bm, bn) = (mt.div_ceil(tm) * mr, nt.div_ceil(tn) * nr);
        let cost = bm * bn * k + k * (PACK_A_COST * bm + PACK_B_COST * bn);
        if cost < best_cost || cost == best_cost && tm * tn > best.0 * best.1 {
            best = (tm, tn);
            best_cost = cost;
        }
    }
    best
}

/// `C ← β·C` (zeros when `β = 0`, whatever C held).
///
/// # Safety
/// As [`Problem`]'s contract.
unsafe fn scale_c<T: Sealed>(p: &Problem<T>) {
    if p.beta == T::ONE {
        return;
    }
    for i in 0..p.m as isize {
        for j in 0..p.n as isize {
            // SAFETY: `(i, j)` is an element of C.
            unsafe {
                let c = p.c.offset(i * p.rsc + j * p.csc);
                *c = if p.beta == T::ZERO {
                    T::ZERO
                } else {
                    p.beta * *c
                };
            }
        }
    }
}

/// `A` is packed when it has no unit stride, or when it is reused across more than this many
/// column slivers of `C`; otherwise the kernel reads it in place.
const PACK_A_MIN_SLIVERS: usize = 4;
/// `B` is packed when its columns are not contiguous or its `k`-slice spans more than this many
/// bytes; otherwise the kernel reads it in place: short rows already lie close together, as
/// packed as a copy would make them. Rows far apart are packed even for a single row sliver of
/// `C` (AlexNet's dense layers at batch 8): the kernel would walk them one far-apart piece per
/// step, while packing reads them row by row (BENCHMARKS.md).
const B_IN_PLACE_SPAN: usize = 64 * 1024;

/// The `k`-slices of a product of depth `k` for a kernel of depth `kc`: how many, and the
/// longest. They depend on `k` and the kernel only, so every element of C is summed in the same
/// order however the product is blocked or split.
pub(crate) fn k_slices(k: usize, kc: usize) -> (usize, usize) {
    let slices = k.div_ceil(kc);
    (slices, k.div_ceil(slices))
}

/// Splits `len` into equal blocks of at most `max` (rounded up to a multiple of `unit`).
fn block_len(len: usize, max: usize, unit: usize) -> usize {
    let blocks = len.div_ceil(max).max(1);
    len.div_ceil(blocks).next_multiple_of(unit)
}

/// The blocked product of one (sub-)problem on the current thread with kernel `K`, in blocks
/// chosen from this CPU's caches.
///
/// # Safety
/// As [`Problem`]'s contract, with `m, n, k > 0`; the CPU must support `K`.
pub(crate) unsafe fn run<T: Sealed, K: Kernel<T>>(p: &Problem<T>) {
    let (mc, nc) = block_sizes::<T, K>(caches());
    // SAFETY: forwarded.
    unsafe { run_in_blocks::<T, K>(p, mc, nc) }
}

/// [`run`] with `A` blocks of at most `mc` rows and `B` panels of at most `nc` columns (whole
/// slivers). The `k` slices depend on `k` and `K` only, so every element of C is computed by
/// the same operations whatever the blocks and however the problem is split over threads.
///
/// # Safety
/// As [`run`]; `mc` and `nc` must be positive multiples of `K::MR` and `K::NR`.
unsafe fn run_in_blocks<T: Sealed, K: Kernel<T>>(p: &Problem<T>, mc: usize, nc: usize) {
    let (m, n, k) = (p.m, p.n, p.k);
    let (mr, nr) = (K::MR, K::NR);
    let (k_blocks, kc_max) = k_slices(k, K::KC);
    // An indexed A is always packed: the kernels read strided slivers only. An operand
    // packed ahead is read from there.
    let (a_ahead, b_ahead) = (p.packed_a.is_some(), p.packed_b.is_some());
    let packs_a =
        a_ahead || p.indexed() || !(p.rsa == 1 || p.csa == 1) || n > PACK_A_MIN_SLIVERS * nr;
    let b_span = kc_max * p.rsb.unsigned_abs() * std::mem::size_of::<T>();
    let packs_b = b_ahead || p.csb != 1 || b_span > B_IN_PLACE_SPAN;
    let mc_max = block_len(m, mc, mr);
    let nc_max = if packs_b { block_len(n, nc, nr) } else { n };
    if packs_b && !b_ahead && p.csb == 1 && m <= mr {
        let e = std::mem::size_of::<T>();
        let n_pad = n.next_multiple_of(nr);
        let half_l2 = caches().l2 / 2;
        let part_rows = PART_ROWS.min(kc_max);
        if kc_max * n_pad * e > half_l2 && n_pad * (part_rows + mr) <= nc * K::KC {
            // SAFETY: forwarded; the parts' edge sliver and accumulators fit the B buffer.
            unsafe { run_one_row_of_tiles::<T, K>(p, part_rows) };
            return;
        }
    }

    // A short `k` makes the tiles' stores the bulk of the work: C is then written a row of
    // tiles at a time, along its rows, rather than down a column of tiles.
    let along_rows = k <= ALONG_ROWS_MAX_K;
    with_workspace(|ws| {
        let mut abuf: *mut T = if a_ahead {
            std::ptr::null_mut()
        } else if packs_a {
            ws.a.get(mc_max * kc_max)
        } else {
            ws.a_edge.get(mr * kc_max)
        };
        let mut bbuf: *mut T = if b_ahead {
            std::ptr::null_mut()
        } else if packs_b {
            ws.b.get(nc_max.next_multiple_of(nr) * kc_max)
        } else {
            ws.b_edge.get(nr * kc_max)
        };
        for jc in (0..n).step_by(nc_max) {
            let nc = nc_max.min(n - jc);
            // Columns `..n_direct` of the panel are read in place, the rest from `bbuf`: whole
            // slivers, and a last half sliver when it is exactly as wide as the half-width
            // kernel's reads.
            let n_direct = match (packs_b, nc % nr) {
                (true, _) => 0,
                (false, rest) if rest == nr / 2 => nc,
                (false, _) => nc / nr * nr,
            };
            for kb in 0..k_blocks {
                let pc = kb * kc_max;
                let kc = kc_max.min(k - pc);
                let beta = if kb == 0 { p.beta } else { T::ONE };
                // SAFETY: every pointer below addresses an element inside A, B, C or a buffer
                // sized above for `kc_max`, `mc_max` and `nc_max`; the kernel calls get tiles
                // of C inside this problem and padded slivers of A and B.
                unsafe {
                    let b0 = p.b.offset(pc as isize * p.rsb + jc as isize * p.csb);
                    if b_ahead {
                        // Read only: the kernels never write through the B buffer.
                        bbuf = p.packed_b.sliver(kb, jc, kc).cast_mut();
                    } else if n_direct < nc {
                        let rest = b0.offset(n_direct as isize * p.csb);
                        let half_nr = <K::Half as Kernel<T>>::NR;
                        pack_b(nr, kc, nc - n_direct, rest, p.rsb, p.csb, bbuf, half_nr);
                    }
                    for ic in (0..m).step_by(mc_max) {
                        let mc = mc_max.min(m - ic);
                        // An indexed A is always packed, so rows read in place are strided.
                        let m_direct = if packs_a { 0 } else { mc / mr * mr };
                        if a_ahead {
                            // Read only, as B above.
                            abuf = p.packed_a.sliver(kb, ic, kc).cast_mut();
                        } else if m_direct < mc {
                            p.pack_a_rows(mr, ic + m_direct, mc - m_direct, pc, kc, abuf);
                        }
                        let tile = |ir: usize, jr: usize| {
                            let (bp, rsb) = if jr < n_direct {
                                (b0.add(jr), p.rsb)
                            } else {
                                (bbuf.add((jr - n_direct) * kc) as *const T, nr as isize)
                            };
                            let (ap, rsa, csa) = if ir < m_direct {
                                let at = (ic + ir) as isize * p.rsa + pc as isize * p.csa;
                                (p.a.offset(at), p.rsa, p.csa)
                            } else {
                                (abuf.add((ir - m_direct) * kc) as *const T, 1, mr as isize)
                            };
                            let cp =
                                p.c.offset((ic + ir) as isize * p.rsc + (jc + jr) as isize * p.csc);
                            let (rows, cols) = (mr.min(mc - ir), nr.min(nc - jr));
                            K::tile_for(rows, cols)(
                                kc,
                                p.alpha,
                                ap,
                                rsa,
                                csa,
                                bp,
                                rsb,
                                beta,
                                cp,
                                p.rsc,
                                p.csc,
                                rows,
                                cols,
                                Carry::WHOLE,
                            );
                        };
                        if along_rows {
                            for ir in (0..mc).step_by(mr) {
                                for jr in (0..nc).step_by(nr) {
                                    tile(ir, jr);
                                }
                            }
                        } else {
                            for jr in (0..nc).step_by(nr) {
                                for ir in (0..mc).step_by(mr) {
                                    tile(ir, jr);
                                }
                            }
                        }
                    }
                }
            }
        }
    });
}

/// The longest `k` for which [`run_in_blocks`] visits the tiles row of tiles by row of tiles
/// (the others: column of tiles by column of tiles, a sliver of `B` kept in L1). With so few
/// multiply-adds per element of `C`, storing `C` is most of the work, and a column of tiles
/// writes two lines of each of `MC` rows, every one on another page: AlexNet's `dW = xᵀ·dout`
/// at batch 8 (151 MB of C) ran at half the speed (BENCHMARKS.md). The same operations per
/// element either way.
const ALONG_ROWS_MAX_K: usize = 32;

/// Rows of `B` per part of a `k`-slice in [`run_one_row_of_tiles`]: that many rows are read
/// side by side, each along its length (4 rows, 12 or 16 were slower, BENCHMARKS.md).
const PART_ROWS: usize = 8;

/// [`run_in_blocks`] for a product of one row of tiles (`m ≤ MR`) whose row-major `B` is too
/// wide for a packed `k`-slice of it to stay in L2, as AlexNet's dense layers at batch 8: each
/// element of `B` is used once, so a packed panel would only travel to L3 and back, and packing
/// would wait on memory before the tiles could start. Instead each `k`-slice is cut into parts
/// of `part_rows` rows of `B`, whose whole slivers the tiles read in place, `part_rows` rows
/// side by side, as they stream in (a last partial sliver is packed per part), the tiles'
/// accumulators kept in memory between the parts, exactly: every element of `C` gets the FMA
/// chain of the whole slice, the same bits.
///
/// # Safety
/// As [`run`], with `m ≤ K::MR`, `B` row-major (`csb = 1`) and `n_pad·(part_rows + MR)`
/// elements within the workspace's `B` buffer.
unsafe fn run_one_row_of_tiles<T: Sealed, K: Kernel<T>>(p: &Problem<T>, part_rows: usize) {
    let (m, n, k) = (p.m, p.n, p.k);
    let (mr, nr) = (K::MR, K::NR);
    let (k_blocks, kc_max) = k_slices(k, K::KC);
    let slivers = n.div_ceil(nr);
    with_workspace(|ws| {
        let abuf: *mut T = ws.a_edge.get(mr * kc_max);
        // The last partial sliver of a part, then each tile's accumulators.
        let bbuf: *mut T = ws.b.get(nr * part_rows + slivers * mr * nr);
        let half_nr = <K::Half as Kernel<T>>::NR;
        // SAFETY: A's row sliver and B's edge sliver are packed into buffers sized above; each
        // tile carries its accumulators in its own `MR×NR` slot after the edge sliver; B's whole
        // slivers and C's tiles lie in the problem.
        unsafe {
            let accs = bbuf.add(nr * part_rows);
            for kb in 0..k_blocks {
                let pc = kb * kc_max;
                let kc = kc_max.min(k - pc);
                let beta = if kb == 0 { p.beta } else { T::ONE };
                p.pack_a_rows(mr, 0, m, pc, kc, abuf);
                for p0 in (0..kc).step_by(part_rows) {
                    let rows = part_rows.min(kc - p0);
                    let part = match (p0 == 0, p0 + rows == kc) {
                        (true, true) => Part::Whole,
                        (true, false) => Part::First,
                        (false, false) => Part::Middle,
                        (false, true) => Part::Last,
                    };
                    let b0 = p.b.offset((pc + p0) as isize * p.rsb);
                    let n_direct = n / nr * nr;
                    if n_direct < n {
                        let rest = b0.add(n_direct);
                        pack_b(nr, rows, n - n_direct, rest, p.rsb, 1, bbuf, half_nr);
                    }
                    for (s, jr) in (0..n).step_by(nr).enumerate() {
                        let cols = nr.min(n - jr);
                        let (bp, rsb) = if jr < n_direct {
                            (b0.add(jr), p.rsb)
                        } else {
                            (bbuf as *const T, nr as isize)
                        };
                        let carry = Carry {
                            acc: accs.add(s * mr * nr),
                            part,
                        };
                        K::tile_for(m, cols)(
                            rows,
                            p.alpha,
                            abuf.add(p0 * mr),
                            1,
                            mr as isize,
                            bp,
                            rsb,
                            beta,
                            p.c.offset(jr as isize * p.csc),
                            p.rsc,
                            p.csc,
                            m,
                            cols,
                            carry,
                        );
                    }
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::{
        PARALLEL_MIN_WORK, PARALLEL_MIN_WORK_SLOW_HANDOFF, Problem, run_in_blocks, split_decision,
    };
    use crate::gemm::kernel::{Kernel, Portable};

    /// `C = A·B` for a 70×600·600×150 product (several `k`-slices, packed `A` and `B`, edge
    /// tiles) in blocks of `mc` rows and `nc` columns.
    fn product_in_blocks<K: Kernel<f32>>(mc: usize, nc: usize) -> Vec<f32> {
        let (m, k, n) = (70, 600, 150);
        let value = |i: usize| ((i * 7919) % 1009) as f32 / 1009.0 - 0.5;
        let a: Vec<f32> = (0..m * k).map(value).collect();
        let b: Vec<f32> = (0..k * n).map(|i| value(i + 17)).collect();
        let mut c = vec![f32::NAN; m * n];
        let p = Problem {
            m,
            n,
            k,
            alpha: 1.0,
            beta: 0.0,
            a: a.as_ptr(),
            rsa: k as isize,
            csa: 1,
            b: b.as_ptr(),
            rsb: n as isize,
            csb: 1,
            c: c.as_mut_ptr(),
            rsc: n as isize,
            csc: 1,
            a_rows: std::ptr::null(),
            a_cols: std::ptr::null(),
            packed_a: super::Prepacked::NONE,
            packed_b: super::Prepacked::NONE,
        };
        // SAFETY: the three row-major matrices are alive and C is exclusive; callers check
        // that the CPU supports `K`.
        unsafe { run_in_blocks::<f32, K>(&p, mc, nc) };
        c
    }

    /// Bit-identical results whatever the `A` blocks and `B` panels (as chosen from the caches).
    fn blocks_do_not_change_the_bits<K: Kernel<f32>>() {
        let want = product_in_blocks::<K>(K::MC, K::NC);
        for (mc, nc) in [
            (K::MR, K::NR),
            (3 * K::MR, 5 * K::NR),
            (4 * K::MC, 4 * K::NC),
        ] {
            let got = product_in_blocks::<K>(mc, nc);
            let same = want
                .iter()
                .zip(&got)
                .all(|(x, y)| x.to_bits() == y.to_bits());
            assert!(same, "MC {mc}, NC {nc}");
        }
    }

    #[test]
    fn the_blocks_chosen_from_the_caches_do_not_change_the_bits() {
        blocks_do_not_change_the_bits::<Portable<f32, 4, 8>>();
        #[cfg(target_arch = "x86_64")]
        {
            if crate::gemm::fast_kernel_supported() {
                blocks_do_not_change_the_bits::<crate::gemm::x86::Avx2F32>();
            }
            if crate::gemm::avx512_kernel_supported() {
                blocks_do_not_change_the_bits::<crate::gemm::x86::Avx512F32>();
            }
        }
    }

    /// The x86 kernel families this CPU runs, as the choice that resolves to each.
    fn x86_kernels() -> Vec<crate::gemm::KernelChoice> {
        use crate::gemm::KernelChoice;
        let mut kernels = Vec::new();
        if crate::gemm::fast_kernel_supported() {
            kernels.push(KernelChoice::Avx2Fma);
        }
        if crate::gemm::avx512_kernel_supported() {
            kernels.push(KernelChoice::Auto);
        }
        kernels
    }

    /// `C = α·A·B` as the blocked kernels document it, for `A` `(m×k)` and `B` `(k×n)`
    /// row-major: each `k`-slice of `kernel`'s depth an FMA chain from zero, `α` times it, the
    /// slices added in order.
    fn slice_chains(
        kernel: crate::gemm::KernelChoice,
        alpha: f32,
        a: &[f32],
        b: &[f32],
        (m, k, n): (usize, usize, usize),
    ) -> Vec<f32> {
        let (_, _, depth) = <f32 as super::Sealed>::blocking(super::resolve(kernel));
        let (slices, len) = super::k_slices(k, depth);
        let mut c = vec![0f32; m * n];
        for i in 0..m {
            for j in 0..n {
                for sl in 0..slices {
                    let mut acc = 0f32;
                    for p in sl * len..((sl + 1) * len).min(k) {
                        acc = a[i * k + p].mul_add(b[p * n + j], acc);
                    }
                    let v = &mut c[i * n + j];
                    *v = if sl == 0 {
                        alpha * acc
                    } else {
                        alpha.mul_add(acc, *v)
                    };
                }
            }
        }
        c
    }

    /// Whether `gemm_with` on one thread with `kernel` gives exactly `want` for `α·A·B`.
    fn gives_bits(
        kernel: crate::gemm::KernelChoice,
        alpha: f32,
        a: crate::gemm::MatRef<'_, f32>,
        b: crate::gemm::MatRef<'_, f32>,
        want: &[f32],
    ) -> bool {
        use crate::gemm::{GemmOptions, MatMut, gemm_with};
        let (m, n) = (a.rows(), b.cols());
        let mut c = vec![f32::NAN; m * n];
        let opts = GemmOptions {
            threads: Some(1),
            kernel,
        };
        gemm_with(&opts, alpha, a, b, 0.0, MatMut::row_major(&mut c, m, n));
        c.iter().zip(want).all(|(x, y)| x.to_bits() == y.to_bits())
    }

    /// A short `k` (tiles visited along the rows of C, see [`super::ALONG_ROWS_MAX_K`]) with
    /// edges in both directions and `A` read in place and packed: every element is the FMA
    /// chain over `p` from zero, as for a long `k`, on every x86 kernel.
    #[test]
    fn short_products_are_one_fma_chain_per_element() {
        use crate::gemm::MatRef;
        let value = |i: usize| ((i * 7919) % 1009) as f32 / 1009.0 - 0.5;
        for (m, k, n) in [(50, 8, 70), (30, 32, 200), (100, 5, 7)] {
            let a: Vec<f32> = (0..m * k).map(value).collect();
            let b: Vec<f32> = (0..k * n).map(|i| value(i + 5)).collect();
            let at: Vec<f32> = (0..k * m).map(|i| a[(i % m) * k + i / m]).collect();
            for kernel in x86_kernels() {
                let want = slice_chains(kernel, 0.75, &a, &b, (m, k, n));
                let b_view = MatRef::row_major(&b, k, n);
                let in_place = MatRef::row_major(&a, m, k);
                let transposed = MatRef::row_major(&at, k, m).t();
                for (a_view, how) in [(in_place, "row-major"), (transposed, "transposed")] {
                    assert!(
                        gives_bits(kernel, 0.75, a_view, b_view, &want),
                        "{m}×{k}×{n}, {kernel:?}, A {how}"
                    );
                }
            }
        }
    }

    /// One row of tiles against a row-major `B` too wide for L2 (the path of AlexNet's dense
    /// layers at batch 8, `B`'s whole slivers read in place, part by part, a full-width and a
    /// half-width edge sliver packed): every element is the FMA chain of each `k`-slice from
    /// zero, the slices added in order, on every x86 kernel.
    #[test]
    fn a_few_rows_against_a_wide_row_major_b_sum_each_slice_in_order() {
        use crate::gemm::MatRef;
        let value = |i: usize| ((i * 7919) % 1009) as f32 / 1009.0 - 0.5;
        for (m, k, n) in [(5, 1100, 1500), (8, 1100, 1000), (1, 700, 1010)] {
            let a: Vec<f32> = (0..m * k).map(value).collect();
            let b: Vec<f32> = (0..k * n).map(|i| value(i + 3)).collect();
            for kernel in x86_kernels() {
                let want = slice_chains(kernel, 1.0, &a, &b, (m, k, n));
                let (a_view, b_view) = (MatRef::row_major(&a, m, k), MatRef::row_major(&b, k, n));
                assert!(
                    gives_bits(kernel, 1.0, a_view, b_view, &want),
                    "{m}×{k}×{n}, {kernel:?}"
                );
            }
        }
    }

    #[test]
    fn a_slow_handoff_keeps_mid_sized_products_on_one_thread_but_probes() {
        let (small, mid, large) = (
            PARALLEL_MIN_WORK - 1,
            PARALLEL_MIN_WORK,
            PARALLEL_MIN_WORK_SLOW_HANDOFF,
        );
        for handoff in [None, Some(60), Some(400)] {
            assert!(!split_decision(small, handoff, || 0), "{handoff:?}");
            assert!(split_decision(large, handoff, || 1), "{handoff:?}");
        }
        assert!(split_decision(mid, None, || 1), "not measured yet: split");
        assert!(split_decision(mid, Some(60), || 1), "fast hand-off: split");
        assert!(!split_decision(mid, Some(400), || 1), "slow: one thread");
        assert!(
            split_decision(mid, Some(400), || 16),
            "slow, but every 16th is a probe"
        );
    }
}

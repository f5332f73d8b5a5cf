//! The micro-kernel contract and the portable micro-kernel.

use std::marker::PhantomData;

use super::sealed::Sealed;

/// One tile function: the signature of [`Kernel::tile`].
pub(crate) type TileFn<T> = unsafe fn(
    usize,
    T,
    *const T,
    isize,
    isize,
    *const T,
    isize,
    T,
    *mut T,
    isize,
    isize,
    usize,
    usize,
    Carry<T>,
);

/// Which part of a tile's `k`-slice one call runs: a slice may be cut into parts, the
/// accumulators kept between them in memory (exactly, as they are), so that every element of C
/// still gets one FMA chain over the slice and the same bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Part {
    /// The whole slice: accumulators from zero, C written.
    Whole,
    /// The first part: from zero, the accumulators stored.
    First,
    /// A middle part: the accumulators loaded and stored.
    Middle,
    /// The last part: the accumulators loaded, C written.
    Last,
}

/// The accumulators a [`Part`] of a slice carries: `MR×NR` elements, row-major, at `acc`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Carry<T> {
    pub(crate) acc: *mut T,
    pub(crate) part: Part,
}

impl<T> Carry<T> {
    /// A whole slice, nothing carried.
    pub(crate) const WHOLE: Self = Carry {
        acc: std::ptr::null_mut(),
        part: Part::Whole,
    };

    /// Whether the call starts from the carried accumulators.
    pub(crate) fn loads(&self) -> bool {
        matches!(self.part, Part::Middle | Part::Last)
    }

    /// Whether the call stores the accumulators instead of writing C.
    pub(crate) fn stores(&self) -> bool {
        matches!(self.part, Part::First | Part::Middle)
    }
}

/// A register-blocked micro-kernel computing one `MR×NR` tile of `C`, plus the cache-blocking
/// sizes that suit it.
pub(crate) trait Kernel<T> {
    /// Rows of a tile.
    const MR: usize;
    /// Columns of a tile.
    const NR: usize;
    /// Depth of a `k` slice: each slice reads and writes the tiles of C once, and a packed `B`
    /// sliver `KC×NR` should stay in a core's caches while a block of A passes over it.
    const KC: usize;
    /// Rows of an `A` block (a packed `MC×KC` block should sit in L2), for the caches of
    /// [`super::caches::REFERENCE`]; scaled to the running CPU's.
    const MC: usize;
    /// Columns of a `B` panel, for the caches of [`super::caches::REFERENCE`]; scaled to the
    /// running CPU's.
    const NC: usize;

    /// The kernel for column edges of at most `NR / 2` columns: a half-width variant with the
    /// same `MR`, `KC` and order of operations (so the same bits) but half the multiply-adds, or
    /// `Self` when there is none. It reads `B` with the caller's row stride, like `tile`.
    type Half: Kernel<T>;

    /// The tile function for a tile of `rows ≤ MR` rows and `cols ≤ NR` columns: the smallest
    /// variant covering it (`Half` for narrow column edges by default; the x86 kernels also
    /// have variants of fewer rows), all with the same `KC` and order of operations, so the
    /// same bits. Each reads `A` and `B` like [`Kernel::tile`], `MR` rows of `A` apart being
    /// fewer.
    fn tile_for(rows: usize, cols: usize) -> TileFn<T> {
        let _ = rows;
        if cols <= Self::NR / 2 {
            <Self::Half as Kernel<T>>::tile
        } else {
            Self::tile
        }
    }

    /// `C[..mr, ..nr] ← α·(A·B)[..mr, ..nr] + β·C[..mr, ..nr]` for one tile (or one part of
    /// its `k`-slice, see [`Carry`]; `C` is only touched by the last), where `A` is
    /// `MR×k` with element `(i, p)` at `a + i·rsa + p·csa`, `B` is `k×NR` with element `(p, j)`
    /// at `b + p·rsb + j`, and `C`'s element `(i, j)` is at `c + i·rsc + j·csc`. When `β = 0`,
    /// `C` is not read.
    ///
    /// # Safety
    /// All `MR·k` elements of `A` and `k·NR` of `B` must be readable (edge tiles are padded by
    /// the caller); the `mr×nr` elements of `C` (`mr ≤ MR`, `nr ≤ NR`) must be readable,
    /// writable, distinct and not otherwise accessed; the CPU must support the kernel's features.
    unsafe fn tile(
        k: usize,
        alpha: T,
        a: *const T,
        rsa: isize,
        csa: isize,
        b: *const T,
        rsb: isize,
        beta: T,
        c: *mut T,
        rsc: isize,
        csc: isize,
        mr: usize,
        nr: usize,
        carry: Carry<T>,
    );
}

/// The portable kernel: plain loops over an `MR×NR` accumulator array, which the compiler keeps
/// in (vector) registers.
pub(crate) struct Portable<T, const MR: usize, const NR: usize>(PhantomData<T>);

impl<T: Sealed, const MR: usize, const NR: usize> Kernel<T> for Portable<T, MR, NR> {
    const MR: usize = MR;
    const NR: usize = NR;
    const KC: usize = 256;
    const MC: usize = 128;
    const NC: usize = 2048;
    type Half = Self;

    #[inline(never)]
    unsafe fn tile(
        k: usize,
        alpha: T,
        a: *const T,
        rsa: isize,
        csa: isize,
        b: *const T,
        rsb: isize,
        beta: T,
        c: *mut T,
        rsc: isize,
        csc: isize,
        mr: usize,
        nr: usize,
        carry: Carry<T>,
    ) {
        let mut acc = [[T::ZERO; NR]; MR];
        if carry.loads() {
            for (i, row) in acc.iter_mut().enumerate() {
                for (j, v) in row.iter_mut().enumerate() {
                    // SAFETY: the carried accumulators hold `MR×NR` elements (caller).
                    *v = unsafe { *carry.acc.add(i * NR + j) };
                }
            }
        }
        for p in 0..k as isize {
            let mut bp = [T::ZERO; NR];
            for (j, v) in bp.iter_mut().enumerate() {
                // SAFETY: `(p, j)` with `p < k`, `j < NR` is a readable element of B.
                *v = unsafe { *b.offset(p * rsb + j as isize) };
            }
            for (i, row) in acc.iter_mut().enumerate() {
                // SAFETY: `(i, p)` with `i < MR`, `p < k` is a readable element of A.
                let ai = unsafe { *a.offset(i as isize * rsa + p * csa) };
                for (acc, &bj) in row.iter_mut().zip(&bp) {
                    *acc = *acc + ai * bj;
                }
            }
        }
        if carry.stores() {
            for (i, row) in acc.iter().enumerate() {
                for (j, &v) in row.iter().enumerate() {
                    // SAFETY: as above.
                    unsafe { *carry.acc.add(i * NR + j) = v };
                }
            }
            return;
        }
        for (i, row) in acc.iter().enumerate().take(mr) {
            for (j, &ab) in row.iter().enumerate().take(nr) {
                // SAFETY: `(i, j)` with `i < mr`, `j < nr` is a valid, exclusive element of C.
                unsafe {
                    let cij = c.offset(i as isize * rsc + j as isize * csc);
                    *cij = if beta == T::ZERO {
                        alpha * ab
                    } else {
                        alpha * ab + beta * *cij
                    };
                }
            }
        }
    }
}

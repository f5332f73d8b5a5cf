//! Packing of `A` blocks and `B` panels into the kernels' layouts, and the thread-local buffers
//! they are packed into.

use std::cell::RefCell;

use super::caches::{block_sizes, caches};
use super::interleave::interleave_lines;
use super::kernel::Kernel;
use super::sealed::Sealed;
use super::workspace_sizes;

/// The alignment of every buffer: one cache line.
const ALIGN: usize = 64;

/// A growable, 64-byte-aligned scratch buffer. It never shrinks.
pub(crate) struct Buf {
    /// Zeroed bytes, `ALIGN − 1` more than asked for so that an aligned start fits.
    bytes: Vec<u8>,
}

impl Buf {
    const fn new() -> Self {
        Buf { bytes: Vec::new() }
    }

    /// Grows the buffer to at least `len` usable bytes.
    fn reserve(&mut self, len: usize) {
        let len = len + ALIGN - 1;
        if self.bytes.len() < len {
            // Zeroed bytes come from `calloc`: large ones are fresh pages, mapped when touched.
            self.bytes = vec![0; len];
        }
    }

    /// A 64-byte-aligned pointer to at least `len` elements of `T` (zeroed at first growth,
    /// otherwise holding stale values). Valid until the next call on this buffer.
    pub(crate) fn get<T: Sealed>(&mut self, len: usize) -> *mut T {
        self.reserve(len * size_of::<T>());
        let start = self.bytes.as_mut_ptr();
        // SAFETY: `reserve` left `ALIGN − 1` spare bytes, enough for any offset to alignment.
        unsafe { start.add(start.align_offset(ALIGN)).cast() }
    }
}

/// Bytes of each packing buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Sizes {
    a: usize,
    b: usize,
    a_edge: usize,
    b_edge: usize,
}

impl Sizes {
    /// What kernel `K`'s largest blocks need with this CPU's caches: an `MC×KC` block of `A`,
    /// a `KC×NC` panel of `B`, and an `MR×KC` and a `KC×NR` edge sliver.
    pub(crate) fn of<T, K: Kernel<T>>() -> Sizes {
        let e = size_of::<T>();
        let (mc, nc) = block_sizes::<T, K>(caches());
        Sizes {
            a: mc * K::KC * e,
            b: nc * K::KC * e,
            a_edge: K::MR * K::KC * e,
            b_edge: K::NR * K::KC * e,
        }
    }

    /// The larger of `self` and `other`, buffer by buffer.
    pub(crate) const fn max(self, other: Sizes) -> Sizes {
        const fn max(x: usize, y: usize) -> usize {
            if x > y { x } else { y }
        }
        Sizes {
            a: max(self.a, other.a),
            b: max(self.b, other.b),
            a_edge: max(self.a_edge, other.a_edge),
            b_edge: max(self.b_edge, other.b_edge),
        }
    }
}

/// The packing buffers of one thread.
pub(crate) struct Workspace {
    /// Packed `A` block (`MC×KC`).
    pub(crate) a: Buf,
    /// Packed `B` panel (`KC×NC`).
    pub(crate) b: Buf,
    /// The zero-padded last sliver of an `A` block read in place.
    pub(crate) a_edge: Buf,
    /// The zero-padded last sliver of a `B` panel read in place.
    pub(crate) b_edge: Buf,
}

impl Workspace {
    const fn new() -> Self {
        Workspace {
            a: Buf::new(),
            b: Buf::new(),
            a_edge: Buf::new(),
            b_edge: Buf::new(),
        }
    }

    /// Grows every buffer to what the largest block of any kernel needs ([`workspace_sizes`]).
    fn reserve_full(&mut self) {
        let full = workspace_sizes();
        self.a.reserve(full.a);
        self.b.reserve(full.b);
        self.a_edge.reserve(full.a_edge);
        self.b_edge.reserve(full.b_edge);
    }
}

thread_local! {
    static WORKSPACE: RefCell<Workspace> = const { RefCell::new(Workspace::new()) };
}

/// A workspace at full size, for a thread about to be started: allocated by the starting
/// thread, so a worker that first packs a block in a warm call allocates nothing then.
pub(crate) fn full_workspace() -> Workspace {
    let mut ws = Workspace::new();
    ws.reserve_full();
    ws
}

/// Makes `ws` this thread's workspace.
pub(crate) fn adopt_workspace(ws: Workspace) {
    let _ = WORKSPACE.try_with(|own| {
        if let Ok(mut own) = own.try_borrow_mut() {
            *own = ws;
        }
    });
}

/// Runs `f` with this thread's workspace, at full size from its first use, so that which blocks
/// a thread packs never decides whether it allocates (or with a fresh one if it is already in
/// use, e.g. by a product nested inside another on the same thread).
pub(crate) fn with_workspace<R>(f: impl FnOnce(&mut Workspace) -> R) -> R {
    let mut f = Some(f);
    let done = WORKSPACE.try_with(|ws| {
        ws.try_borrow_mut().ok().map(|mut ws| {
            ws.reserve_full();
            (f.take().expect("called once"))(&mut ws)
        })
    });
    match done {
        Ok(Some(r)) => r,
        _ => (f.take().expect("called once"))(&mut Workspace::new()),
    }
}

/// Packs the `mc×kc` block of `A` at `a` (element `(i, p)` at `a + i·rsa + p·csa`) into slivers
/// of `mr` rows: sliver `s` holds, for each `p`, rows `s·mr .. s·mr + mr`, zero-padded.
///
/// # Safety
/// The block's elements must be readable; `dst` must hold `ceil(mc/mr)·mr·kc` elements.
pub(crate) unsafe fn pack_a<T: Sealed>(
    mr: usize,
    kc: usize,
    mc: usize,
    a: *const T,
    rsa: isize,
    csa: isize,
    dst: *mut T,
) {
    let mut out = dst;
    for i0 in (0..mc).step_by(mr) {
        let rows = mr.min(mc - i0);
        // SAFETY (whole block): reads stay inside the `mc×kc` block, writes inside `dst`'s
        // `ceil(mc/mr)·mr·kc` elements (one `mr×kc` sliver per iteration of the outer loop).
        unsafe {
            let src = a.offset(i0 as isize * rsa);
            if rows == mr && rsa == 1 {
                copy_lines(kc, mr, src, csa, out, mr);
            } else if rows == mr && csa == 1 {
                interleave_lines(mr, kc, src, rsa, out);
            } else {
                for p in 0..kc {
                    for i in 0..mr {
                        *out.add(p * mr + i) = if i < rows {
                            *src.offset(i as isize * rsa + p as isize * csa)
                        } else {
                            T::ZERO
                        };
                    }
                }
            }
            out = out.add(mr * kc);
        }
    }
}

/// [`pack_a`] for an indexed block: element `(i, p)` at `a + rows[i] + cols[p]`. A sliver whose
/// rows have consecutive offsets (output positions along one image line) is copied one
/// `mr`-element piece per column.
///
/// # Safety
/// The `mc` row offsets and `kc` column offsets must be readable and address readable elements;
/// `dst` must hold `ceil(mc/mr)·mr·kc` elements.
pub(crate) unsafe fn pack_a_indexed<T: Sealed>(
    mr: usize,
    kc: usize,
    mc: usize,
    a: *const T,
    rows: *const usize,
    cols: *const usize,
    dst: *mut T,
) {
    for i0 in (0..mc).step_by(mr) {
        let live = mr.min(mc - i0);
        // SAFETY: rows `i0 + i < mc` and columns `p < kc` address elements of A; the writes
        // fill sliver `i0 / mr` of `dst`.
        unsafe {
            let out = dst.add(i0 * kc);
            let first = *rows.add(i0);
            if live == mr && (1..mr).all(|i| *rows.add(i0 + i) == first + i) {
                copy_lines_indexed(kc, mr, a.add(first), cols, out);
                continue;
            }
            if live == mr && gather_lines_indexed(kc, mr, a, rows.add(i0), cols, out) {
                continue;
            }
            for p in 0..kc {
                let col = *cols.add(p);
                for i in 0..mr {
                    *out.add(p * mr + i) = if i < live {
                        *a.add(*rows.add(i0 + i) + col)
                    } else {
                        T::ZERO
                    };
                }
            }
        }
    }
}

/// Copies `lines` lines of `len` contiguous elements, the `p`-th read at `src + cols[p]` and
/// written at `dst + p·len`; the kernels' tile heights get a copy of constant length.
///
/// # Safety
/// The `lines` offsets and the lines they address must be readable; `dst` must hold
/// `lines·len` elements.
#[inline]
unsafe fn copy_lines_indexed<T: Copy>(
    lines: usize,
    len: usize,
    src: *const T,
    cols: *const usize,
    dst: *mut T,
) {
    /// The same copy with the line length a constant.
    ///
    /// # Safety
    /// As `copy_lines_indexed` with `len = N`.
    #[inline(always)]
    unsafe fn fixed<T: Copy, const N: usize>(
        lines: usize,
        src: *const T,
        cols: *const usize,
        dst: *mut T,
    ) {
        for p in 0..lines {
            // SAFETY: line `p` is readable and its destination writable (caller).
            unsafe {
                let line = src.add(*cols.add(p)).cast::<[T; N]>().read_unaligned();
                dst.add(p * N).cast::<[T; N]>().write_unaligned(line);
            }
        }
    }
    // SAFETY (every arm): forwarded from the caller, with `N = len`.
    unsafe {
        match len {
            6 => fixed::<T, 6>(lines, src, cols, dst),
            12 => fixed::<T, 12>(lines, src, cols, dst),
            _ => {
                for p in 0..lines {
                    std::ptr::copy_nonoverlapping(src.add(*cols.add(p)), dst.add(p * len), len);
                }
            }
        }
    }
}

/// Packs a whole sliver of `len` rows at any offsets (`rows[i]`): the `p`-th piece gathers
/// `src + rows[i] + cols[p]` into `dst + p·len`, with the row offsets held in registers rather
/// than read again for every element. Returns `false`, having written nothing, for a length
/// without a kernel tile height.
///
/// # Safety
/// The `len` row offsets and `lines` column offsets must be readable and address readable
/// elements; `dst` must hold `lines·len` elements.
#[inline]
unsafe fn gather_lines_indexed<T: Copy>(
    lines: usize,
    len: usize,
    src: *const T,
    rows: *const usize,
    cols: *const usize,
    dst: *mut T,
) -> bool {
    /// The same gather with the sliver height a constant.
    ///
    /// # Safety
    /// As `gather_lines_indexed` with `len = N`.
    #[inline(always)]
    unsafe fn fixed<T: Copy, const N: usize>(
        lines: usize,
        src: *const T,
        rows: *const usize,
        cols: *const usize,
        dst: *mut T,
    ) {
        // SAFETY: the `N` row offsets are readable (caller).
        let rows: [usize; N] = unsafe { rows.cast::<[usize; N]>().read_unaligned() };
        for p in 0..lines {
            // SAFETY: every `src + rows[i] + cols[p]` is readable and piece `p` of `dst`
            // writable (caller).
            unsafe {
                let line = src.add(*cols.add(p));
                let piece: [T; N] = std::array::from_fn(|i| *line.add(rows[i]));
                dst.add(p * N).cast::<[T; N]>().write_unaligned(piece);
            }
        }
    }
    // SAFETY (every arm): forwarded from the caller, with `N = len`.
    unsafe {
        match len {
            4 => fixed::<T, 4>(lines, src, rows, cols, dst),
            6 => fixed::<T, 6>(lines, src, rows, cols, dst),
            12 => fixed::<T, 12>(lines, src, rows, cols, dst),
            _ => return false,
        }
    }
    true
}

/// Packs the `kc×nc` panel of `B` at `b` (element `(p, j)` at `b + p·rsb + j·csb`) into slivers
/// of `nr` columns: sliver `s` holds, for each `p`, columns `s·nr .. s·nr + nr`, zero-padded.
/// A last sliver of at most `nr / 2` columns is padded only to `half_nr`, the width the kernel
/// for such edges reads.
///
/// # Safety
/// The panel's elements must be readable; `dst` must hold `ceil(nc/nr)·nr·kc` elements.
pub(crate) unsafe fn pack_b<T: Sealed>(
    nr: usize,
    kc: usize,
    nc: usize,
    b: *const T,
    rsb: isize,
    csb: isize,
    dst: *mut T,
    half_nr: usize,
) {
    let mut out = dst;
    let full = nc / nr;
    if csb == 1 && full > 1 {
        // Row-major B, several whole slivers: read it row by row, each row's slivers in one
        // sequential pass (sliver by sliver, every row would be a separate far-apart read).
        for p in 0..kc {
            // SAFETY: row `p`'s first `full·nr` elements lie in the panel; sliver `s` of
            // `dst` holds `kc·nr` elements.
            unsafe {
                copy_lines(
                    full,
                    nr,
                    b.offset(p as isize * rsb),
                    nr as isize,
                    dst.add(p * nr),
                    kc * nr,
                );
            }
        }
        if full * nr == nc {
            return;
        }
        // The last, narrower sliver as below.
        // SAFETY: the remaining columns lie in the panel; their sliver follows the whole ones.
        unsafe {
            let rest = nc - full * nr;
            pack_b(
                nr,
                kc,
                rest,
                b.add(full * nr),
                rsb,
                csb,
                dst.add(full * nr * kc),
                half_nr,
            );
        }
        return;
    }
    for j0 in (0..nc).step_by(nr) {
        let cols = nr.min(nc - j0);
        // SAFETY (whole panel): reads stay inside the `kc×nc` panel, writes inside `dst`'s
        // `ceil(nc/nr)·nr·kc` elements (one `kc×nr` sliver per iteration of the outer loop).
        unsafe {
            let src = b.offset(j0 as isize * csb);
            if cols == nr && csb == 1 {
                copy_lines(kc, nr, src, rsb, out, nr);
            } else if cols == nr && rsb == 1 {
                interleave_lines(nr, kc, src, csb, out);
            } else if csb == 1 {
                // The last, narrower sliver of row-major rows: copy each row's `cols` elements
                // and zero the rest of what the kernel reads.
                let width = if cols <= nr / 2 { half_nr } else { nr };
                copy_lines(kc, cols, src, rsb, out, nr);
                for p in 0..kc {
                    for j in cols..width {
                        *out.add(p * nr + j) = T::ZERO;
                    }
                }
            } else {
                for p in 0..kc {
                    for j in 0..nr {
                        *out.add(p * nr + j) = if j < cols {
                            *src.offset(p as isize * rsb + j as isize * csb)
                        } else {
                            T::ZERO
                        };
                    }
                }
            }
            out = out.add(nr * kc);
        }
    }
}

/// Copies `lines` contiguous lines of `len` elements, the `p`-th read at `src + p·stride` and
/// written at `dst + p·dst_stride`. The kernels' tile sizes get a copy of constant length (a few
/// vector moves) instead of a call to `memcpy` per line.
///
/// # Safety
/// The lines must be readable and the destination lines writable, not overlapping them.
#[inline]
unsafe fn copy_lines<T: Copy>(
    lines: usize,
    len: usize,
    src: *const T,
    stride: isize,
    dst: *mut T,
    dst_stride: usize,
) {
    /// The same copy with the line length a constant.
    ///
    /// # Safety
    /// As `copy_lines` with `len = N`.
    #[inline(always)]
    unsafe fn fixed<T: Copy, const N: usize>(
        lines: usize,
        src: *const T,
        stride: isize,
        dst: *mut T,
        dst_stride: usize,
    ) {
        for p in 0..lines {
            // SAFETY: line `p` is readable and its destination writable (caller).
            unsafe {
                let line = src
                    .offset(p as isize * stride)
                    .cast::<[T; N]>()
                    .read_unaligned();
                dst.add(p * dst_stride)
                    .cast::<[T; N]>()
                    .write_unaligned(line);
            }
        }
    }
    // SAFETY (every arm): forwarded from the caller, with `N = len`.
    unsafe {
        match len {
            4 => fixed::<T, 4>(lines, src, stride, dst, dst_stride),
            6 => fixed::<T, 6>(lines, src, stride, dst, dst_stride),
            8 => fixed::<T, 8>(lines, src, stride, dst, dst_stride),
            12 => fixed::<T, 12>(lines, src, stride, dst, dst_stride),
            16 => fixed::<T, 16>(lines, src, stride, dst, dst_stride),
            32 => fixed::<T, 32>(lines, src, stride, dst, dst_stride),
            _ => {
                for p in 0..lines {
                    std::ptr::copy_nonoverlapping(
                        src.offset(p as isize * stride),
                        dst.add(p * dst_stride),
                        len,
                    );
                }
            }
        }
    }
}

//! Packing of `A` blocks and `B` panels into the kernels' layouts, and the thread-local buffers
//! they are packed into.

use std::cell::RefCell;

use super::interleave::interleave_lines;
use super::sealed::Sealed;

/// One cache line: the unit buffers are allocated in, so they are 64-byte aligned.
#[repr(C, align(64))]
#[derive(Clone, Copy)]
struct Line([u8; 64]);

/// A growable, 64-byte-aligned scratch buffer. It never shrinks, so once warmed up a thread's
/// products allocate nothing.
pub(crate) struct Buf {
    lines: Vec<Line>,
}

impl Buf {
    const fn new() -> Self {
        Buf { lines: Vec::new() }
    }

    /// A pointer to at least `len` elements of `T` (zero-initialised at first growth, otherwise
    /// holding stale values). Valid until the next call on this buffer.
    pub(crate) fn get<T: Sealed>(&mut self, len: usize) -> *mut T {
        let lines = (len * size_of::<T>()).div_ceil(size_of::<Line>());
        if self.lines.len() < lines {
            self.lines.resize(lines, Line([0; 64]));
        }
        self.lines.as_mut_ptr().cast()
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
}

thread_local! {
    static WORKSPACE: RefCell<Workspace> = const { RefCell::new(Workspace::new()) };
}

/// Runs `f` with this thread's workspace (or a fresh one if it is already in use, e.g. by a
/// product nested inside another on the same thread).
pub(crate) fn with_workspace<R>(f: impl FnOnce(&mut Workspace) -> R) -> R {
    let mut f = Some(f);
    let done = WORKSPACE.try_with(|ws| {
        ws.try_borrow_mut()
            .ok()
            .map(|mut ws| (f.take().expect("called once"))(&mut ws))
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

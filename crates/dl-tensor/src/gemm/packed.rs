//! Operands packed once for many products: a layer's weights against every sample of a batch
//! are otherwise packed again by every product.

use super::driver::{ActiveKernel, Prepacked, k_slices};
use super::pack::{pack_a, pack_b};
use super::{AOperand, Ahead, GemmOptions, GemmScalar, IndexedRef, MatMut, MatRef, resolve};

/// The `A` of many products `C ← α·A·B + β·C`, packed once into the slivers the blocked
/// product reads, in storage the caller keeps (so packing again allocates nothing). The
/// products ([`gemm_packed_lhs`]) run with the [`GemmOptions`] given here and give the bits
/// [`gemm_with`](super::gemm_with) gives with `A` itself.
///
/// # Example
/// ```
/// use dl_tensor::gemm::{gemm, gemm_packed_lhs, GemmOptions, MatMut, MatRef, PackedLhs};
/// let w = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0]; // 2×3
/// let mut storage = Vec::new();
/// let packed = PackedLhs::new(&GemmOptions::default(), MatRef::row_major(&w, 2, 3), &mut storage);
/// for x in [[1.0f32, 0.0, 0.0], [0.5, 0.5, 1.0]] {
///     let (mut c, mut want) = ([0.0f32; 2], [0.0f32; 2]);
///     gemm_packed_lhs(1.0, &packed, MatRef::row_major(&x, 3, 1), 0.0, MatMut::row_major(&mut c, 2, 1));
///     gemm(1.0, MatRef::row_major(&w, 2, 3), MatRef::row_major(&x, 3, 1), 0.0, MatMut::row_major(&mut want, 2, 1));
///     assert_eq!(c, want);
/// }
/// ```
pub struct PackedLhs<'a, T> {
    view: MatRef<'a, T>,
    packed: Packed<'a, T>,
}

/// The `B` of many products, packed once as [`PackedLhs`] packs `A`; see
/// [`gemm_packed_rhs`] and [`gemm_indexed_packed_rhs`].
pub struct PackedRhs<'a, T> {
    view: MatRef<'a, T>,
    packed: Packed<'a, T>,
}

/// Packed slivers and what they were packed for.
struct Packed<'a, T> {
    data: &'a [T],
    slice_len: usize,
    opts: GemmOptions,
    kernel: ActiveKernel,
}

impl<T> Packed<'_, T> {
    /// The slivers for the driver, or none when the kernel `opts` resolves to is no longer the
    /// one they were packed for ([`super::set_auto_kernel`] since): the product then reads the
    /// view, with the same bits as ever for that kernel.
    fn ahead(&self) -> Prepacked<T> {
        if resolve(self.opts.kernel) != self.kernel {
            return Prepacked::NONE;
        }
        Prepacked {
            data: self.data.as_ptr(),
            slice_len: self.slice_len,
            first: 0,
        }
    }
}

/// Which side an operand is packed for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Lhs,
    Rhs,
}

/// Packs `view` (`A` for `Lhs`, `B` for `Rhs`) for the kernel `opts` resolves to, into `buf`:
/// every `k`-slice in turn, whole slivers of the matrix, as the blocked loops pack blocks.
fn pack<'a, T: GemmScalar>(
    opts: &GemmOptions,
    side: Side,
    view: &MatRef<'_, T>,
    buf: &'a mut Vec<T>,
) -> Packed<'a, T> {
    let kernel = resolve(opts.kernel);
    let (mr, nr, kc) = T::blocking(kernel);
    let (k, width, sliver) = match side {
        Side::Lhs => (view.cols(), view.rows(), mr),
        Side::Rhs => (view.rows(), view.cols(), nr),
    };
    let (slices, kc_max) = k_slices(k, kc);
    let slice_len = width.next_multiple_of(sliver) * kc_max;
    let len = slices * slice_len;
    if buf.len() < len {
        buf.resize(len, T::ZERO);
    }
    if len > 0 {
        let base = view.base_ptr();
        let (rs, cs) = (view.row_stride(), view.col_stride());
        for kb in 0..slices {
            let (pc, dst) = (kb * kc_max, buf[kb * slice_len..].as_mut_ptr());
            let kc = kc_max.min(k - pc);
            // SAFETY: the view's elements are readable (its constructor checked them); slice
            // `kb` of `buf` holds `ceil(width/sliver)·sliver·kc_max` elements.
            unsafe {
                match side {
                    Side::Lhs => pack_a(mr, kc, width, base.offset(pc as isize * cs), rs, cs, dst),
                    Side::Rhs => {
                        let half_nr = T::half_nr(kernel);
                        pack_b(
                            nr,
                            kc,
                            width,
                            base.offset(pc as isize * rs),
                            rs,
                            cs,
                            dst,
                            half_nr,
                        );
                    }
                }
            }
        }
    }
    Packed {
        data: &buf[..len],
        slice_len,
        opts: *opts,
        kernel,
    }
}

impl<'a, T: GemmScalar> PackedLhs<'a, T> {
    /// `a` packed into `buf` (grown if needed; its capacity is kept for the next packing) for
    /// products run with `opts`: its kernel family as it resolves now, its thread count.
    pub fn new(opts: &GemmOptions, a: MatRef<'a, T>, buf: &'a mut Vec<T>) -> Self {
        let packed = pack(opts, Side::Lhs, &a, buf);
        PackedLhs { view: a, packed }
    }

    /// `[m, k]`.
    pub fn shape(&self) -> [usize; 2] {
        self.view.shape()
    }
}

impl<'a, T: GemmScalar> PackedRhs<'a, T> {
    /// `b` packed into `buf` (grown if needed; its capacity is kept for the next packing) for
    /// products run with `opts`: its kernel family as it resolves now, its thread count.
    pub fn new(opts: &GemmOptions, b: MatRef<'a, T>, buf: &'a mut Vec<T>) -> Self {
        let packed = pack(opts, Side::Rhs, &b, buf);
        PackedRhs { view: b, packed }
    }

    /// `[k, n]`.
    pub fn shape(&self) -> [usize; 2] {
        self.view.shape()
    }
}

/// `C ← α·A·B + β·C` with `A` packed ahead: the bits of [`gemm_with`](super::gemm_with) with
/// `A`'s view and the options it was packed for.
///
/// # Panics
/// If the shapes do not chain: `A` is `m×k`, `B` must be `k×n` and `C` `m×n`.
#[track_caller]
pub fn gemm_packed_lhs<T: GemmScalar>(
    alpha: T,
    a: &PackedLhs<'_, T>,
    b: MatRef<'_, T>,
    beta: T,
    c: MatMut<'_, T>,
) {
    let ahead = Ahead {
        a: a.packed.ahead(),
        b: Prepacked::NONE,
    };
    let opts = a.packed.opts;
    // SAFETY: A's view is bounds-checked and its packed slivers are that view packed for
    // `opts`' kernel.
    unsafe { super::checked_product(&opts, alpha, AOperand::strided(&a.view), b, beta, c, ahead) }
}

/// `C ← α·A·B + β·C` with `B` packed ahead: the bits of [`gemm_with`](super::gemm_with) with
/// `B`'s view and the options it was packed for.
///
/// # Panics
/// If the shapes do not chain.
#[track_caller]
pub fn gemm_packed_rhs<T: GemmScalar>(
    alpha: T,
    a: MatRef<'_, T>,
    b: &PackedRhs<'_, T>,
    beta: T,
    c: MatMut<'_, T>,
) {
    // SAFETY: A's view is bounds-checked.
    unsafe { with_packed_rhs(alpha, AOperand::strided(&a), b, beta, c) }
}

/// [`gemm_indexed`](super::gemm_indexed) with `B` packed ahead (a convolution's filters against
/// each sample's windows): the bits of [`gemm_indexed_with`](super::gemm_indexed_with) with
/// `B`'s view and the options it was packed for.
///
/// # Panics
/// If the shapes do not chain.
#[track_caller]
pub fn gemm_indexed_packed_rhs<T: GemmScalar>(
    alpha: T,
    a: IndexedRef<'_, T>,
    b: &PackedRhs<'_, T>,
    beta: T,
    c: MatMut<'_, T>,
) {
    // SAFETY: `IndexedRef::new` checked A's elements.
    unsafe { with_packed_rhs(alpha, AOperand::indexed(&a), b, beta, c) }
}

/// The product of `a` (as the driver takes it) and `b`, read from its packed slivers.
///
/// # Safety
/// Every element `a` addresses must be readable and lie outside `C`.
#[track_caller]
unsafe fn with_packed_rhs<T: GemmScalar>(
    alpha: T,
    a: AOperand<T>,
    b: &PackedRhs<'_, T>,
    beta: T,
    c: MatMut<'_, T>,
) {
    let ahead = Ahead {
        a: Prepacked::NONE,
        b: b.packed.ahead(),
    };
    // SAFETY: A as the caller says; B's packed slivers are its view packed for its options'
    // kernel.
    unsafe { super::checked_product(&b.packed.opts, alpha, a, b.view, beta, c, ahead) }
}

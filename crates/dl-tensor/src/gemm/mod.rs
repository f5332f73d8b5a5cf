//! General matrix multiply: `C ← α·A·B + β·C` over strided matrices, for `f32` and `f64`.
//!
//! BLAS semantics: `β = 0` overwrites `C` (NaN in `C` does not propagate); `α = 0` skips the
//! product. Any row and column strides are accepted, so a transposed operand is a view, not a copy.

mod view;

pub use view::{MatMut, MatRef};

/// Element types [`gemm`] supports: `f32` and `f64`. Sealed.
pub trait GemmScalar: Copy + Send + Sync + 'static + sealed::Sealed {
    #[doc(hidden)]
    fn gemm_impl(
        alpha: Self,
        a: MatRef<'_, Self>,
        b: MatRef<'_, Self>,
        beta: Self,
        c: MatMut<'_, Self>,
    );
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// `C ← α·A·B + β·C`.
///
/// # Panics
/// If the shapes do not chain: `A` is `m×k`, `B` must be `k×n` and `C` `m×n`.
///
/// # Example
/// ```
/// use dl_tensor::gemm::{gemm, MatMut, MatRef};
/// let a = [1.0f32, 2.0, 3.0, 4.0]; // 2×2, row-major
/// let b = [1.0f32, 0.0, 0.0, 1.0];
/// let mut c = [f32::NAN; 4];
/// gemm(1.0, MatRef::row_major(&a, 2, 2), MatRef::row_major(&b, 2, 2), 0.0, MatMut::row_major(&mut c, 2, 2));
/// assert_eq!(c, a);
/// ```
#[track_caller]
pub fn gemm<T: GemmScalar>(
    alpha: T,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    beta: T,
    c: MatMut<'_, T>,
) {
    if a.cols() != b.rows() || a.rows() != c.rows() || b.cols() != c.cols() {
        gemm_shape_mismatch(a.shape(), b.shape(), c.shape());
    }
    T::gemm_impl(alpha, a, b, beta, c);
}

#[cold]
#[track_caller]
fn gemm_shape_mismatch(a: [usize; 2], b: [usize; 2], c: [usize; 2]) -> ! {
    panic!("gemm: shape mismatch: A is {a:?}, B is {b:?}, C is {c:?} (want A m×k, B k×n, C m×n)")
}

macro_rules! naive_gemm {
    ($t:ty) => {
        impl GemmScalar for $t {
            fn gemm_impl(
                alpha: $t,
                a: MatRef<'_, $t>,
                b: MatRef<'_, $t>,
                beta: $t,
                mut c: MatMut<'_, $t>,
            ) {
                for i in 0..c.rows() {
                    for j in 0..c.cols() {
                        let mut acc: $t = 0.0;
                        if alpha != 0.0 {
                            for p in 0..a.cols() {
                                acc += a.at(i, p) * b.at(p, j);
                            }
                        }
                        let old = if beta == 0.0 { 0.0 } else { beta * c.at(i, j) };
                        c.set(i, j, alpha * acc + old);
                    }
                }
            }
        }
    };
}
naive_gemm!(f32);
naive_gemm!(f64);

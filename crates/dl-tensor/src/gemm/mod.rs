//! General matrix multiply: `C ← α·A·B + β·C` over strided matrices, for `f32` and `f64`.
//!
//! BLAS semantics: `β = 0` overwrites `C` (NaN in `C` does not propagate); `α = 0` skips the
//! product and only scales `C` by `β`; `k = 0` gives `C ← β·C`. Any row and column strides are
//! accepted, so a transposed operand is a view, not a copy.
//!
//! # How it is computed
//! The classic blocked algorithm: `k` is cut into slices of at most `KC`, `A` and `B` into
//! blocks that fit the running CPU's caches (read once; `KC`, which fixes the order of the sums,
//! stays the kernel's constant), operands are packed into aligned, thread-local buffers when that
//! pays off (small or already contiguous operands are read in place), and a register-blocked
//! micro-kernel computes `MR×NR` tiles of `C`. On x86-64 the kernels are hand-written with
//! intrinsics and chosen at run time: AVX-512F (12×32 for `f32`, 12×16 for `f64`) when the CPU
//! has it, else AVX2+FMA (6×16, 6×8); elsewhere, or when forced (see [`KernelChoice`] and the
//! `DL_GEMM_KERNEL` environment variable), a portable kernel runs. The two x86 families give
//! bit-identical results.
//!
//! A product with at most 8 rows (or columns) of `C` and `k ≥ 256` whose operands both run
//! along `k` — a dense layer's `dx = dout·Wᵀ` at a small batch — is computed instead as dot
//! products of contiguous runs, each summed in 16 lanes and a fixed tree (`dot.rs`), which
//! streams the large operand once; both x86 families again give the same bits. Which path a
//! product takes depends on its shape and strides only.
//!
//! An operand that meets many others — a layer's weights against every sample of a batch — can
//! be packed once ([`PackedLhs`], [`PackedRhs`]) and handed to [`gemm_packed_lhs`],
//! [`gemm_packed_rhs`] or [`gemm_indexed_packed_rhs`], with the bits of the plain product.
//!
//! Large products are split over threads ([`crate::set_num_threads`]) by blocks of rows or
//! columns of `C`, never along `k`: every element of `C` is computed by the same sequence of
//! operations whatever the thread count, so results are bit-identical for any thread count.

mod caches;
mod dot;
mod driver;
mod interleave;
mod kernel;
mod pack;
mod packed;
mod view;
#[cfg(target_arch = "x86_64")]
mod x86;

use std::ops::{Add, Mul};
use std::sync::atomic::{AtomicU8, Ordering};

use driver::ActiveKernel;

pub use packed::{PackedLhs, PackedRhs, gemm_indexed_packed_rhs, gemm_packed_lhs, gemm_packed_rhs};
pub use view::{IndexedRef, MatMut, MatRef};

/// Element types [`gemm`] supports: `f32` and `f64`. Sealed.
pub trait GemmScalar: Copy + Send + Sync + 'static + sealed::Sealed {}

impl GemmScalar for f32 {}
impl GemmScalar for f64 {}

pub(crate) mod sealed {
    use super::{Add, Mul};

    /// What the GEMM driver needs of an element type.
    pub trait Sealed:
        Copy + Send + Sync + 'static + PartialEq + Add<Output = Self> + Mul<Output = Self>
    {
        /// `0`.
        const ZERO: Self;
        /// `1`.
        const ONE: Self;
        /// Runs the blocked product of one (sub-)problem on the current thread.
        ///
        /// # Safety
        /// As [`super::driver::Problem`]'s contract.
        unsafe fn run_blocked(
            p: &super::driver::Problem<Self>,
            kernel: super::driver::ActiveKernel,
        );
        /// The `(MR, NR)` tile and the `k`-slice `KC` of the kernel family.
        fn blocking(kernel: super::driver::ActiveKernel) -> (usize, usize, usize);
        /// The width of the family's half-width tiles (the last sliver of `B` is padded to it).
        fn half_nr(kernel: super::driver::ActiveKernel) -> usize;
        /// The family's kernel for products computed as dot products (see `dot.rs`), if any.
        fn dot_kernel(kernel: super::driver::ActiveKernel) -> Option<super::dot::DotFn<Self>>;
    }
}

/// Which micro-kernel family a product uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum KernelChoice {
    /// The fastest kernel this CPU supports (AVX-512F, then AVX2+FMA on x86-64), unless the
    /// [`KERNEL_ENV`] environment variable or [`set_auto_kernel`] caps it.
    #[default]
    Auto,
    /// The AVX2+FMA kernel even on a CPU with AVX-512F (the portable one without AVX2+FMA).
    Avx2Fma,
    /// The portable kernel (plain Rust, auto-vectorised by the compiler).
    Portable,
}

/// Per-call settings for [`gemm_with`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GemmOptions {
    /// Thread count; `None` uses [`crate::num_threads`]. Small products always run on one thread,
    /// and products run on fewer while other processes keep cores busy.
    pub threads: Option<usize>,
    /// Kernel family.
    pub kernel: KernelChoice,
}

const PREF_UNSET: u8 = 0;
const PREF_FAST: u8 = 1;
const PREF_PORTABLE: u8 = 2;
const PREF_AVX2: u8 = 3;
static AUTO_KERNEL: AtomicU8 = AtomicU8::new(PREF_UNSET);

/// The environment variable that sets what [`KernelChoice::Auto`] runs at start-up: `auto`,
/// `avx2` (AVX2+FMA even on an AVX-512 CPU, to see how an AVX2-only machine fares) or
/// `portable`. `DL_GEMM_PORTABLE=1` is the same as `portable`.
pub const KERNEL_ENV: &str = "DL_GEMM_KERNEL";

/// Sets what [`KernelChoice::Auto`] runs from now on: the fastest kernel (`Auto`), at most the
/// AVX2+FMA one (`Avx2Fma`), or the portable one. Kernels the CPU lacks fall back as in
/// [`KernelChoice`].
pub fn set_auto_kernel(choice: KernelChoice) {
    let v = match choice {
        _ if !fast_kernel_supported() => PREF_PORTABLE,
        KernelChoice::Auto => PREF_FAST,
        KernelChoice::Avx2Fma => PREF_AVX2,
        KernelChoice::Portable => PREF_PORTABLE,
    };
    AUTO_KERNEL.store(v, Ordering::Relaxed);
}

/// Forces [`KernelChoice::Auto`] to the portable kernel (`true`), or back to run-time detection
/// (`false`); see [`set_auto_kernel`].
pub fn set_force_portable(force: bool) {
    set_auto_kernel(if force {
        KernelChoice::Portable
    } else {
        KernelChoice::Auto
    });
}

/// The kernel choice the environment asks for ([`KERNEL_ENV`]; `DL_GEMM_PORTABLE=1` means
/// `portable`), or a one-line error naming a value that is none of `auto`, `avx2`,
/// `portable`. Programs call it at start-up to refuse a bad value cleanly; the first product
/// panics with the same line otherwise.
pub fn kernel_from_env() -> Result<KernelChoice, String> {
    let portable = std::env::var("DL_GEMM_PORTABLE").ok();
    let kernel = std::env::var(KERNEL_ENV).ok();
    kernel_choice_named(portable.as_deref(), kernel.as_deref())
}

/// The kernel choice for the values of `DL_GEMM_PORTABLE` and [`KERNEL_ENV`].
fn kernel_choice_named(
    portable: Option<&str>,
    kernel: Option<&str>,
) -> Result<KernelChoice, String> {
    let named = match kernel {
        None | Some("auto") => KernelChoice::Auto,
        Some("avx2") => KernelChoice::Avx2Fma,
        Some("portable") => KernelChoice::Portable,
        Some(other) => {
            return Err(format!(
                "{KERNEL_ENV}=`{other}`: expected auto, avx2 or portable (or unset it)"
            ));
        }
    };
    Ok(if portable == Some("1") {
        KernelChoice::Portable
    } else {
        named
    })
}

/// Whether this CPU can run the AVX2+FMA kernels.
pub fn fast_kernel_supported() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Whether this CPU can run the AVX-512F kernels.
pub fn avx512_kernel_supported() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// The name of the kernel family `choice` runs on this CPU: `"avx512f"`, `"avx2+fma"` or
/// `"portable"`.
pub fn kernel_name_for(choice: KernelChoice) -> &'static str {
    match resolve(choice) {
        ActiveKernel::Avx512 => "avx512f",
        ActiveKernel::Avx2Fma => "avx2+fma",
        ActiveKernel::Portable => "portable",
    }
}

/// The name of the kernel family [`KernelChoice::Auto`] selects (see [`kernel_name_for`]).
pub fn kernel_name() -> &'static str {
    kernel_name_for(KernelChoice::Auto)
}

fn resolve(choice: KernelChoice) -> ActiveKernel {
    match choice {
        KernelChoice::Portable => return ActiveKernel::Portable,
        KernelChoice::Avx2Fma if fast_kernel_supported() => return ActiveKernel::Avx2Fma,
        KernelChoice::Avx2Fma => return ActiveKernel::Portable,
        KernelChoice::Auto => {}
    }
    let mut pref = AUTO_KERNEL.load(Ordering::Relaxed);
    if pref == PREF_UNSET {
        set_auto_kernel(kernel_from_env().unwrap_or_else(|e| panic!("{e}")));
        pref = AUTO_KERNEL.load(Ordering::Relaxed);
    }
    match pref {
        PREF_FAST if avx512_kernel_supported() => ActiveKernel::Avx512,
        PREF_FAST | PREF_AVX2 => ActiveKernel::Avx2Fma,
        _ => ActiveKernel::Portable,
    }
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
    gemm_with(&GemmOptions::default(), alpha, a, b, beta, c);
}

/// [`gemm`] with explicit [`GemmOptions`] (thread count, kernel family).
///
/// # Panics
/// If the shapes do not chain: `A` is `m×k`, `B` must be `k×n` and `C` `m×n`.
///
/// # Example
/// ```
/// use dl_tensor::gemm::{gemm_with, GemmOptions, KernelChoice, MatMut, MatRef};
/// let a = [1.0f64, 2.0, 3.0]; // 1×3
/// let mut c = [0.0f64];
/// let opts = GemmOptions { threads: Some(1), kernel: KernelChoice::Portable };
/// // a·aᵀ: the transpose is a view with swapped strides.
/// let at = MatRef::row_major(&a, 1, 3).t();
/// gemm_with(&opts, 1.0, MatRef::row_major(&a, 1, 3), at, 0.0, MatMut::row_major(&mut c, 1, 1));
/// assert_eq!(c[0], 14.0);
/// ```
#[track_caller]
pub fn gemm_with<T: GemmScalar>(
    opts: &GemmOptions,
    alpha: T,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    beta: T,
    c: MatMut<'_, T>,
) {
    let a_operand = AOperand::strided(&a);
    // SAFETY: A's pointer and strides come from a bounds-checked view.
    unsafe { checked_product(opts, alpha, a_operand, b, beta, c, Ahead::NONE) }
}

/// `C ← α·A·B + β·C` where `A` is an [`IndexedRef`]: a matrix read through offset tables, such
/// as a convolution's column matrix read straight from the images (an implicit GEMM: no im2col
/// copy). Each element of `C` is computed by the same operations as by [`gemm`] with `A`
/// written out, so the two give the same bits — except where [`gemm`] takes its dot-product
/// path (at most 8 rows or columns of `C`, `k ≥ 256`, `A` written out row-major and `B`'s
/// columns contiguous; see the module docs), which an indexed `A` never takes.
///
/// # Panics
/// If the shapes do not chain: `A` is `m×k`, `B` must be `k×n` and `C` `m×n`.
///
/// # Example
/// ```
/// use dl_tensor::gemm::{gemm_indexed, IndexedRef, MatMut, MatRef};
/// // The 2×2 windows of a 3×3 image as rows of a 4×4 matrix, never written out.
/// let image = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0];
/// let rows = [0, 1, 3, 4]; // window (oy, ox) starts at oy·3 + ox
/// let cols = [0, 1, 3, 4]; // element (ky, kx) of a window at ky·3 + kx
/// let filter = [1.0f32, 0.0, 0.0, -1.0]; // x[oy, ox] − x[oy + 1, ox + 1]
/// let mut out = [0.0f32; 4];
/// gemm_indexed(
///     1.0,
///     IndexedRef::new(&image, &rows, &cols),
///     MatRef::row_major(&filter, 4, 1),
///     0.0,
///     MatMut::row_major(&mut out, 4, 1),
/// );
/// assert_eq!(out, [-4.0; 4]);
/// ```
#[track_caller]
pub fn gemm_indexed<T: GemmScalar>(
    alpha: T,
    a: IndexedRef<'_, T>,
    b: MatRef<'_, T>,
    beta: T,
    c: MatMut<'_, T>,
) {
    gemm_indexed_with(&GemmOptions::default(), alpha, a, b, beta, c);
}

/// [`gemm_indexed`] with explicit [`GemmOptions`] (thread count, kernel family).
///
/// # Panics
/// If the shapes do not chain: `A` is `m×k`, `B` must be `k×n` and `C` `m×n`.
#[track_caller]
pub fn gemm_indexed_with<T: GemmScalar>(
    opts: &GemmOptions,
    alpha: T,
    a: IndexedRef<'_, T>,
    b: MatRef<'_, T>,
    beta: T,
    c: MatMut<'_, T>,
) {
    let a_operand = AOperand::indexed(&a);
    // SAFETY: `IndexedRef::new` checked that every element of A lies inside its slice.
    unsafe { checked_product(opts, alpha, a_operand, b, beta, c, Ahead::NONE) }
}

/// The `A` of a product: strided (`rows` null) or indexed, as [`driver::Problem`] takes it.
struct AOperand<T> {
    shape: [usize; 2],
    ptr: *const T,
    rsa: isize,
    csa: isize,
    rows: *const usize,
    cols: *const usize,
}

impl<T: Copy> AOperand<T> {
    /// A strided view's pointer and strides.
    fn strided(a: &MatRef<'_, T>) -> Self {
        AOperand {
            shape: a.shape(),
            ptr: a.base_ptr(),
            rsa: a.row_stride(),
            csa: a.col_stride(),
            rows: std::ptr::null(),
            cols: std::ptr::null(),
        }
    }

    /// An indexed view's data and offset tables.
    fn indexed(a: &IndexedRef<'_, T>) -> Self {
        AOperand {
            shape: a.shape(),
            ptr: a.data().as_ptr(),
            rsa: 0,
            csa: 0,
            rows: a.row_offsets().as_ptr(),
            cols: a.col_offsets().as_ptr(),
        }
    }
}

/// Operands packed ahead of a product ([`PackedLhs`], [`PackedRhs`]).
#[derive(Clone, Copy)]
struct Ahead<T> {
    a: driver::Prepacked<T>,
    b: driver::Prepacked<T>,
}

impl<T> Ahead<T> {
    const NONE: Self = Ahead {
        a: driver::Prepacked::NONE,
        b: driver::Prepacked::NONE,
    };
}

/// Checks that `A`, `B` and `C` chain, then runs the product, reading the operands packed
/// `ahead` from there.
///
/// # Safety
/// Every element `a` addresses must be readable and lie outside `C`; an operand packed ahead
/// must be that operand packed for the kernel `opts` resolves to.
#[track_caller]
unsafe fn checked_product<T: GemmScalar>(
    opts: &GemmOptions,
    alpha: T,
    a: AOperand<T>,
    b: MatRef<'_, T>,
    beta: T,
    mut c: MatMut<'_, T>,
    ahead: Ahead<T>,
) {
    let [m, k] = a.shape;
    if k != b.rows() || m != c.rows() || b.cols() != c.cols() {
        gemm_shape_mismatch(a.shape, b.shape(), c.shape());
    }
    let n = b.cols();
    let (rsc, csc, offc) = (c.row_stride(), c.col_stride(), c.offset());
    let pb = b.base_ptr();
    // SAFETY: the view's constructor checked that every element lies inside its slice, so the
    // offset is in bounds (or the view is empty and the pointer is never read).
    let pc = unsafe {
        c.data_mut()
            .as_mut_ptr()
            .add(if m * n == 0 { 0 } else { offc })
    };
    let p = driver::Problem {
        m,
        n,
        k,
        alpha,
        beta,
        a: a.ptr,
        rsa: a.rsa,
        csa: a.csa,
        b: pb,
        rsb: b.row_stride(),
        csb: b.col_stride(),
        c: pc,
        rsc,
        csc,
        a_rows: a.rows,
        a_cols: a.cols,
        packed_a: ahead.a,
        packed_b: ahead.b,
    };
    // SAFETY: A is readable (caller); B and C come from bounds-checked views, `MatMut`
    // guarantees distinct elements of C, and C is borrowed mutably so it cannot alias B (nor A,
    // which the caller's view borrows).
    unsafe { driver::gemm_problem(opts, p) }
}

/// `C ← α·A·B + β·C` over raw pointers and element strides: `A` is `m×k` with element `(i, p)`
/// at `a + i·rsa + p·csa`, `B` is `k×n`, `C` is `m×n`.
///
/// # Safety
/// Every element address of `A` and `B` must be valid for reads and every element address of
/// `C` valid for reads and writes (when the corresponding dimensions are non-zero); distinct
/// `(i, j)` must address distinct elements of `C`; `C` must not overlap `A` or `B`; nothing else
/// may access `C` during the call.
pub unsafe fn gemm_raw<T: GemmScalar>(
    m: usize,
    n: usize,
    k: usize,
    alpha: T,
    a: *const T,
    rsa: isize,
    csa: isize,
    b: *const T,
    rsb: isize,
    csb: isize,
    beta: T,
    c: *mut T,
    rsc: isize,
    csc: isize,
) {
    let p = driver::Problem {
        m,
        n,
        k,
        alpha,
        beta,
        a,
        rsa,
        csa,
        b,
        rsb,
        csb,
        c,
        rsc,
        csc,
        a_rows: std::ptr::null(),
        a_cols: std::ptr::null(),
        packed_a: driver::Prepacked::NONE,
        packed_b: driver::Prepacked::NONE,
    };
    // SAFETY: forwarded from this function's contract.
    unsafe { driver::gemm_problem(&GemmOptions::default(), p) }
}

#[cold]
#[track_caller]
fn gemm_shape_mismatch(a: [usize; 2], b: [usize; 2], c: [usize; 2]) -> ! {
    panic!("gemm: shape mismatch: A is {a:?}, B is {b:?}, C is {c:?} (want A m×k, B k×n, C m×n)")
}

macro_rules! impl_sealed {
    ($t:ty, $avx512:ty, $avx2:ty, $portable:ty, $dot:expr) => {
        impl sealed::Sealed for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            unsafe fn run_blocked(p: &driver::Problem<Self>, kernel: ActiveKernel) {
                match kernel {
                    // SAFETY: `Avx512` is only resolved when the CPU supports AVX-512F; the
                    // problem's contract is forwarded.
                    ActiveKernel::Avx512 => unsafe { driver::run::<$t, $avx512>(p) },
                    // SAFETY: `Avx2Fma` is only resolved when the CPU supports AVX2 and FMA; the
                    // problem's contract is forwarded.
                    ActiveKernel::Avx2Fma => unsafe { driver::run::<$t, $avx2>(p) },
                    // SAFETY: forwarded from the caller.
                    ActiveKernel::Portable => unsafe { driver::run::<$t, $portable>(p) },
                }
            }
            fn half_nr(kernel: ActiveKernel) -> usize {
                fn half<K: kernel::Kernel<$t>>() -> usize {
                    <K::Half as kernel::Kernel<$t>>::NR
                }
                match kernel {
                    ActiveKernel::Avx512 => half::<$avx512>(),
                    ActiveKernel::Avx2Fma => half::<$avx2>(),
                    ActiveKernel::Portable => half::<$portable>(),
                }
            }
            fn blocking(kernel: ActiveKernel) -> (usize, usize, usize) {
                fn shape<K: kernel::Kernel<$t>>() -> (usize, usize, usize) {
                    (K::MR, K::NR, K::KC)
                }
                match kernel {
                    ActiveKernel::Avx512 => shape::<$avx512>(),
                    ActiveKernel::Avx2Fma => shape::<$avx2>(),
                    ActiveKernel::Portable => shape::<$portable>(),
                }
            }
            fn dot_kernel(kernel: ActiveKernel) -> Option<dot::DotFn<Self>> {
                $dot(kernel)
            }
        }
    };
}

#[cfg(target_arch = "x86_64")]
impl_sealed!(
    f32,
    x86::Avx512F32,
    x86::Avx2F32,
    kernel::Portable<f32, 4, 8>,
    dot::f32_dot_kernel
);
#[cfg(target_arch = "x86_64")]
impl_sealed!(
    f64,
    x86::Avx512F64,
    x86::Avx2F64,
    kernel::Portable<f64, 4, 4>,
    |_| None
);
// Without x86-64 only `Portable` is ever resolved; the other arms name the portable kernel too.
#[cfg(not(target_arch = "x86_64"))]
impl_sealed!(
    f32,
    kernel::Portable<f32, 4, 8>,
    kernel::Portable<f32, 4, 8>,
    kernel::Portable<f32, 4, 8>,
    dot::f32_dot_kernel
);
#[cfg(not(target_arch = "x86_64"))]
impl_sealed!(
    f64,
    kernel::Portable<f64, 4, 4>,
    kernel::Portable<f64, 4, 4>,
    kernel::Portable<f64, 4, 4>,
    |_| None
);

/// Bytes of each thread's packing buffers: enough for the largest blocks of every kernel, so a
/// thread's buffers never grow with the blocks it happens to pack.
fn workspace_sizes() -> pack::Sizes {
    static SIZES: std::sync::OnceLock<pack::Sizes> = std::sync::OnceLock::new();
    *SIZES.get_or_init(|| {
        let sizes = pack::Sizes::of::<f32, kernel::Portable<f32, 4, 8>>()
            .max(pack::Sizes::of::<f64, kernel::Portable<f64, 4, 4>>());
        #[cfg(target_arch = "x86_64")]
        let sizes = sizes
            .max(pack::Sizes::of::<f32, x86::Avx512F32>())
            .max(pack::Sizes::of::<f32, x86::Avx2F32>())
            .max(pack::Sizes::of::<f64, x86::Avx512F64>())
            .max(pack::Sizes::of::<f64, x86::Avx2F64>());
        sizes
    })
}

pub(crate) use pack::{adopt_workspace, full_workspace};

#[cfg(test)]
mod tests {
    use super::{KernelChoice, kernel_choice_named, kernel_name, set_auto_kernel};

    #[test]
    fn the_environment_names_the_auto_kernel() {
        let named = |p, k| kernel_choice_named(p, k);
        assert_eq!(named(None, None), Ok(KernelChoice::Auto));
        assert_eq!(named(None, Some("auto")), Ok(KernelChoice::Auto));
        assert_eq!(named(None, Some("avx2")), Ok(KernelChoice::Avx2Fma));
        assert_eq!(named(None, Some("portable")), Ok(KernelChoice::Portable));
        assert_eq!(named(Some("1"), Some("avx2")), Ok(KernelChoice::Portable));
        assert_eq!(named(Some("0"), Some("avx2")), Ok(KernelChoice::Avx2Fma));
        let refused = Err("DL_GEMM_KERNEL=`avx512`: expected auto, avx2 or portable (or unset it)");
        assert_eq!(named(None, Some("avx512")), refused.map_err(String::from));
        // Refused even when DL_GEMM_PORTABLE=1 would decide the kernel anyway.
        assert_eq!(
            named(Some("1"), Some("avx512")),
            refused.map_err(String::from)
        );
    }

    #[test]
    fn the_auto_kernel_can_be_capped_at_avx2() {
        // The AVX2 and AVX-512 kernels give the same bits, so other tests running meanwhile
        // are not disturbed.
        let detected = kernel_name();
        set_auto_kernel(KernelChoice::Avx2Fma);
        let capped = kernel_name();
        set_auto_kernel(KernelChoice::Auto);
        let want = if super::fast_kernel_supported() {
            "avx2+fma"
        } else {
            "portable"
        };
        assert_eq!(capped, want);
        assert_eq!(kernel_name(), detected);
    }
}

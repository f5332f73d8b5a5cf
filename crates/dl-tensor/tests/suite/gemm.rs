//! GEMM against a naive `f64` reference: every size 0..=33 in each dimension, larger and odd
//! sizes, all four transpose combinations (as strides), non-unit and negative strides, the BLAS
//! special cases for α and β, every kernel family, both element types, and bit-identical results
//! for one and two threads and for the two x86 kernel families.

use dl_tensor::Float;
use dl_tensor::gemm::{
    GemmOptions, IndexedRef, KernelChoice, MatMut, MatRef, PackedLhs, PackedRhs, gemm,
    gemm_indexed, gemm_indexed_packed_rhs, gemm_indexed_with, gemm_packed_lhs, gemm_packed_rhs,
    gemm_raw, gemm_with, kernel_name_for,
};

/// A small deterministic generator (xorshift64*), so the tests need no RNG crate.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D);
        // Uniform in [-1, 1).
        (x >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }
}

/// How a matrix sits in its buffer.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Layout {
    /// Dense row-major.
    Row,
    /// Dense column-major (a transposed operand).
    Col,
    /// Inside a wider buffer: column stride 2, row stride `2·cols + 3`, gaps in between.
    Wide,
    /// Row-major with the rows in reverse order (negative row stride).
    Reversed,
}

const LAYOUTS: [Layout; 4] = [Layout::Row, Layout::Col, Layout::Wide, Layout::Reversed];

/// A matrix in a buffer whose unused elements hold a sentinel.
#[derive(Clone)]
struct Mat<T> {
    buf: Vec<T>,
    offset: usize,
    rows: usize,
    cols: usize,
    rs: isize,
    cs: isize,
}

impl<T: Float> Mat<T> {
    fn new(rows: usize, cols: usize, layout: Layout, fill: &mut dyn FnMut() -> T, gap: T) -> Self {
        let (rs, cs, offset, len) = match layout {
            Layout::Row => (cols.max(1) as isize, 1, 0, rows * cols),
            Layout::Col => (1, rows.max(1) as isize, 0, rows * cols),
            Layout::Wide => {
                let rs = 2 * cols + 3;
                (rs as isize, 2, 0, rows * rs + 1)
            }
            Layout::Reversed => {
                let rs = cols.max(1);
                (-(rs as isize), 1, rows.saturating_sub(1) * rs, rows * rs)
            }
        };
        let mut m = Mat {
            buf: vec![gap; len.max(1)],
            offset,
            rows,
            cols,
            rs,
            cs,
        };
        for i in 0..rows {
            for j in 0..cols {
                let idx = m.index(i, j);
                m.buf[idx] = fill();
            }
        }
        m
    }

    fn index(&self, i: usize, j: usize) -> usize {
        (self.offset as isize + i as isize * self.rs + j as isize * self.cs) as usize
    }

    fn at(&self, i: usize, j: usize) -> T {
        self.buf[self.index(i, j)]
    }

    fn view(&self) -> MatRef<'_, T> {
        MatRef::new(
            &self.buf,
            self.offset,
            self.rows,
            self.cols,
            self.rs,
            self.cs,
        )
    }

    fn view_mut(&mut self) -> MatMut<'_, T> {
        MatMut::new(
            &mut self.buf,
            self.offset,
            self.rows,
            self.cols,
            self.rs,
            self.cs,
        )
    }

    /// For each buffer position, whether it holds an element of the matrix (not a gap).
    fn element_mask(&self) -> Vec<bool> {
        let mut mask = vec![false; self.buf.len()];
        for i in 0..self.rows {
            for j in 0..self.cols {
                mask[self.index(i, j)] = true;
            }
        }
        mask
    }
}

#[derive(Clone, Copy, Debug)]
struct Case {
    m: usize,
    n: usize,
    k: usize,
    la: Layout,
    lb: Layout,
    lc: Layout,
    alpha: f64,
    beta: f64,
}

/// Runs one product with `opts` and checks every element against the `f64` reference, within
/// the classic error bound `(k + 2)·ε·(|α|·Σ|a||b| + |β|·|c|)`, and that C's gaps are untouched.
/// Returns C's buffer for bit-wise comparisons.
fn check<T: Float>(case: Case, opts: &GemmOptions, seed: u64) -> Vec<T> {
    let Case {
        m,
        n,
        k,
        la,
        lb,
        lc,
        alpha,
        beta,
    } = case;
    let mut g = Gen(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let nan = T::nan();
    let a = Mat::<T>::new(m, k, la, &mut || T::lit(g.next()), nan);
    let b = Mat::<T>::new(k, n, lb, &mut || T::lit(g.next()), nan);
    // β = 0 must overwrite C even where it holds NaN.
    let sentinel = T::lit(7.25);
    let mut c = Mat::<T>::new(
        m,
        n,
        lc,
        &mut || {
            if beta == 0.0 { nan } else { T::lit(g.next()) }
        },
        sentinel,
    );
    let c0: Vec<f64> = (0..m * n).map(|x| c.at(x / n, x % n).as_f64()).collect();

    gemm_with(
        opts,
        T::lit(alpha),
        a.view(),
        b.view(),
        T::lit(beta),
        c.view_mut(),
    );

    let eps = T::epsilon().as_f64();
    // Dense f64 copies: rows of A and columns of B, so each reference dot product is contiguous.
    let a64: Vec<f64> = (0..m * k).map(|x| a.at(x / k, x % k).as_f64()).collect();
    let bt64: Vec<f64> = (0..k * n).map(|x| b.at(x % k, x / k).as_f64()).collect();
    for i in 0..m {
        for j in 0..n {
            let (mut dot, mut mag) = (0.0f64, 0.0f64);
            for (&x, &y) in a64[i * k..][..k].iter().zip(&bt64[j * k..][..k]) {
                dot += x * y;
                mag += (x * y).abs();
            }
            let old = c0[i * n + j];
            let (want, scale) = if beta == 0.0 {
                (alpha * dot, alpha.abs() * mag)
            } else {
                (
                    alpha * dot + beta * old,
                    alpha.abs() * mag + beta.abs() * old.abs(),
                )
            };
            let got = c.at(i, j).as_f64();
            let tol = (k as f64 + 2.0) * eps * scale + f64::MIN_POSITIVE;
            assert!(
                (got - want).abs() <= tol,
                "{} {case:?} {opts:?}: C[{i},{j}] = {got}, want {want} (tol {tol:e})",
                T::NAME
            );
        }
    }
    if lc == Layout::Wide {
        let mask = c.element_mask();
        for (idx, &v) in c.buf.iter().enumerate() {
            if !mask[idx] {
                assert!(
                    v == sentinel,
                    "{} {case:?}: gap {idx} of C was overwritten with {v}",
                    T::NAME
                );
            }
        }
    }
    c.buf
}

const KERNELS: [KernelChoice; 3] = [
    KernelChoice::Auto,
    KernelChoice::Avx2Fma,
    KernelChoice::Portable,
];
const ALPHAS: [f64; 3] = [0.0, 1.0, -0.5];
const BETAS: [f64; 3] = [0.0, 1.0, 2.0];

fn opts(kernel: KernelChoice, threads: usize) -> GemmOptions {
    // On the threads asked for, also beside other tests.
    dl_tensor::set_fewer_threads_when_busy(false);
    GemmOptions {
        threads: Some(threads),
        kernel,
    }
}

/// Runs `cases` for both types and both kernels.
fn run_all(cases: &[Case], threads: usize) {
    for kernel in KERNELS {
        for (s, &case) in cases.iter().enumerate() {
            check::<f32>(case, &opts(kernel, threads), s as u64);
            check::<f64>(case, &opts(kernel, threads), s as u64);
        }
    }
}

/// Layouts, α and β cycled by a case number, so every combination appears across a sweep.
fn varied(m: usize, n: usize, k: usize, idx: usize) -> Case {
    let alpha = if idx % 7 == 3 {
        0.0
    } else {
        [1.0, -0.5][idx % 2]
    };
    Case {
        m,
        n,
        k,
        la: LAYOUTS[idx % 4],
        lb: LAYOUTS[(idx / 4) % 4],
        lc: LAYOUTS[(idx / 16) % 4],
        alpha,
        beta: BETAS[(idx / 3) % 3],
    }
}

#[test]
fn full_cube_up_to_17() {
    let mut cases = Vec::new();
    for m in 0..=17 {
        for n in 0..=17 {
            for k in 0..=17 {
                cases.push(varied(m, n, k, cases.len()));
            }
        }
    }
    run_all(&cases, 1);
}

#[test]
fn each_dimension_up_to_33() {
    const OTHERS: [usize; 5] = [1, 6, 16, 29, 33];
    let mut cases = Vec::new();
    for d in 0..=33 {
        for &x in &OTHERS {
            for &y in &OTHERS {
                let idx = cases.len();
                cases.push(varied(d, x, y, idx));
                cases.push(varied(x, d, y, idx + 1));
                cases.push(varied(x, y, d, idx + 2));
            }
        }
    }
    run_all(&cases, 2);
}

#[test]
fn all_transpose_combinations() {
    let mut cases = Vec::new();
    for &(m, n, k) in &[(7, 19, 13), (33, 17, 40), (64, 64, 64), (13, 50, 300)] {
        for la in [Layout::Row, Layout::Col] {
            for lb in [Layout::Row, Layout::Col] {
                for lc in [Layout::Row, Layout::Col] {
                    cases.push(Case {
                        m,
                        n,
                        k,
                        la,
                        lb,
                        lc,
                        alpha: 1.0,
                        beta: 0.0,
                    });
                }
            }
        }
    }
    run_all(&cases, 2);
}

#[test]
fn alpha_beta_grid() {
    let mut cases = Vec::new();
    for &(m, n, k) in &[
        (1, 1, 1),
        (6, 16, 5),
        (13, 29, 31),
        (40, 70, 300),
        (0, 3, 4),
        (3, 4, 0),
    ] {
        for alpha in ALPHAS {
            for beta in BETAS {
                for (l, lc) in LAYOUTS.into_iter().enumerate() {
                    cases.push(Case {
                        m,
                        n,
                        k,
                        la: LAYOUTS[(l + 1) % 4],
                        lb: LAYOUTS[(l + 2) % 4],
                        lc,
                        alpha,
                        beta,
                    });
                }
            }
        }
    }
    run_all(&cases, 2);
}

#[test]
fn larger_and_odd_sizes() {
    const SIZES: [usize; 5] = [64, 127, 128, 255, 257];
    let mut cases = Vec::new();
    for (i, &m) in SIZES.iter().enumerate() {
        for (j, &n) in SIZES.iter().enumerate() {
            // Every (m, n) pair, with k rotating over the sizes.
            let k = SIZES[(i + 2 * j) % SIZES.len()];
            cases.push(varied(m, n, k, cases.len()));
        }
    }
    for &(m, n, k) in &[
        (1000, 33, 64),
        (31, 1000, 127),
        (64, 17, 1000),
        (1000, 1000, 3),
    ] {
        cases.push(varied(m, n, k, cases.len()));
    }
    run_all(&cases, 2);
}

#[test]
fn course_shapes() {
    // The MLP's forward products and their backward products (transposed operands).
    let mut cases = Vec::new();
    for &(m, n, k) in &[(100, 40, 784), (100, 20, 40), (100, 10, 20)] {
        let fwd = |la, lb| Case {
            m,
            n,
            k,
            la,
            lb,
            lc: Layout::Row,
            alpha: 1.0,
            beta: 0.0,
        };
        cases.push(fwd(Layout::Row, Layout::Row));
        // dW = xᵀ·dout: (k×m)·(m×n), A transposed.
        cases.push(Case {
            m: k,
            n,
            k: m,
            la: Layout::Col,
            ..fwd(Layout::Row, Layout::Row)
        });
        // dx = dout·Wᵀ: (m×n)·(n×k), B transposed.
        cases.push(Case {
            m,
            n: k,
            k: n,
            ..fwd(Layout::Row, Layout::Col)
        });
    }
    // im2col products.
    cases.push(varied(78400 / 8, 16, 9, 0));
    cases.push(varied(1960, 32, 144, 5));
    run_all(&cases, 2);
}

/// Each shape with C row-major and column-major (layouts, α and β varied by position), and the
/// seed of its operands.
fn bit_cases(shapes: &[(usize, usize, usize)]) -> Vec<(Case, u64)> {
    let mut cases = Vec::new();
    for (s, &(m, n, k)) in shapes.iter().enumerate() {
        for (l, lc) in [Layout::Row, Layout::Col].into_iter().enumerate() {
            let case = Case {
                lc,
                ..varied(m, n, k, s * 2 + l)
            };
            cases.push((case, s as u64));
        }
    }
    cases
}

/// Asserts that `a` and `b` give bit-identical C for `case`, in `f32` and in `f64`.
fn assert_same_bits(case: Case, seed: u64, a: &GemmOptions, b: &GemmOptions) {
    let (x, y) = (check::<f32>(case, a, seed), check::<f32>(case, b, seed));
    assert!(
        bits32(&x) == bits32(&y),
        "f32 {case:?}: C differs between {a:?} and {b:?}"
    );
    let (x, y) = (check::<f64>(case, a, seed), check::<f64>(case, b, seed));
    assert!(
        bits64(&x) == bits64(&y),
        "f64 {case:?}: C differs between {a:?} and {b:?}"
    );
}

#[test]
fn one_and_two_threads_give_identical_bits() {
    let shapes = [
        (100, 40, 784),
        (784, 40, 100),
        (100, 784, 40),
        (257, 255, 300),
        (64, 64, 64),
        (500, 7, 300),
        (9, 300, 200),
        (1000, 16, 9),
    ];
    for kernel in KERNELS {
        for (case, seed) in bit_cases(&shapes) {
            assert_same_bits(case, seed, &opts(kernel, 1), &opts(kernel, 2));
            assert_same_bits(case, seed, &opts(kernel, 1), &opts(kernel, 3));
        }
    }
}

#[test]
fn avx512_and_avx2_kernels_give_identical_bits() {
    // Same KC and the same FMA chain per element: the families differ only in tile shape, so
    // edge tiles, k slices (k > KC: 512 for f32, 256 for f64) and in-place or packed operands
    // must all agree bit for bit.
    // Only meaningful on a CPU with AVX-512F; elsewhere `Auto` is the AVX2 (or portable) kernel.
    let shapes = [
        (100, 40, 784),
        (784, 40, 100),
        (257, 255, 300),
        (13, 33, 600),
        (1000, 16, 9),
        (150, 70, 20),
        // Narrow column edges (4, 8, 4 columns) after whole slivers, B in place and packed,
        // row edges of 5 and 1 rows, one row of tiles.
        (100, 100, 100),
        (29, 72, 130),
        (37, 36, 50),
        (8, 40, 700),
    ];
    println!(
        "comparing {} against {}",
        kernel_name_for(KernelChoice::Auto),
        kernel_name_for(KernelChoice::Avx2Fma)
    );
    for (case, seed) in bit_cases(&shapes) {
        assert_same_bits(
            case,
            seed,
            &opts(KernelChoice::Auto, 1),
            &opts(KernelChoice::Avx2Fma, 1),
        );
    }
}

/// Whether `a` and `b` hold the same values bit for bit (and as many).
fn same_bits<T: Float>(a: &[T], b: &[T]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.as_f64().to_bits() == y.as_f64().to_bits())
}

fn bits32(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

fn bits64(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

#[test]
fn beta_zero_overwrites_nan_and_alpha_zero_scales() {
    for kernel in KERNELS {
        let o = opts(kernel, 2);
        let a = vec![f32::NAN; 300 * 200];
        let b = vec![1.0f32; 200 * 100];
        // α = 0: A·B is not computed, so NaN in A does not reach C; C ← β·C.
        let mut c = vec![3.0f32; 300 * 100];
        gemm_with(
            &o,
            0.0,
            MatRef::row_major(&a, 300, 200),
            MatRef::row_major(&b, 200, 100),
            2.0,
            MatMut::row_major(&mut c, 300, 100),
        );
        assert!(
            c.iter().all(|&x| x == 6.0),
            "{kernel:?}: α = 0 must give β·C"
        );
        // α = 0, β = 0 over NaN: zeros.
        let mut c = vec![f32::NAN; 300 * 100];
        gemm_with(
            &o,
            0.0,
            MatRef::row_major(&a, 300, 200),
            MatRef::row_major(&b, 200, 100),
            0.0,
            MatMut::row_major(&mut c, 300, 100),
        );
        assert!(
            c.iter().all(|&x| x == 0.0),
            "{kernel:?}: α = β = 0 must give 0"
        );
        // k = 0: C ← β·C.
        let mut c = vec![1.5f64; 12];
        gemm_with(
            &o,
            1.0,
            MatRef::<f64>::row_major(&[], 3, 0),
            MatRef::row_major(&[], 0, 4),
            -2.0,
            MatMut::row_major(&mut c, 3, 4),
        );
        assert!(
            c.iter().all(|&x| x == -3.0),
            "{kernel:?}: k = 0 must give β·C"
        );
    }
}

#[test]
fn ones_give_k() {
    // An independent check with an exact answer: all-ones products sum to k.
    for kernel in KERNELS {
        for &(m, n, k) in &[(37, 41, 513), (300, 300, 300)] {
            let a = vec![1.0f32; m * k];
            let b = vec![1.0f32; k * n];
            let mut c = vec![f32::NAN; m * n];
            gemm_with(
                &opts(kernel, 2),
                1.0,
                MatRef::row_major(&a, m, k),
                MatRef::row_major(&b, k, n),
                0.0,
                MatMut::row_major(&mut c, m, n),
            );
            assert!(c.iter().all(|&x| x == k as f32), "{kernel:?} {m}×{n}×{k}");
        }
    }
}

#[test]
fn raw_pointer_entry_point() {
    // 2×3 · 3×2 with A stored column-major, checked by hand:
    // A = [1 2 3; 4 5 6], B = [1 0; 0 1; 1 1] → A·B = [4 5; 10 11].
    let a = [1.0f64, 4.0, 2.0, 5.0, 3.0, 6.0];
    let b = [1.0f64, 0.0, 0.0, 1.0, 1.0, 1.0];
    let mut c = [1.0f64; 4];
    // SAFETY: all element addresses lie inside the arrays; C is distinct from A and B.
    unsafe {
        gemm_raw(
            2,
            2,
            3,
            1.0,
            a.as_ptr(),
            1,
            2,
            b.as_ptr(),
            2,
            1,
            1.0,
            c.as_mut_ptr(),
            2,
            1,
        );
    }
    assert_eq!(c, [5.0, 6.0, 11.0, 12.0]);
}

#[test]
fn default_entry_point_and_kernel_name() {
    let name = dl_tensor::gemm::kernel_name();
    assert!(
        ["avx512f", "avx2+fma", "portable"].contains(&name),
        "{name}"
    );
    let a = [2.0f32; 6];
    let mut c = [0.0f32; 4];
    gemm(
        0.5,
        MatRef::row_major(&a, 2, 3),
        MatRef::row_major(&a, 3, 2),
        0.0,
        MatMut::row_major(&mut c, 2, 2),
    );
    assert_eq!(c, [6.0; 4]);
}

#[test]
fn nested_products_inside_tasks() {
    // A product running inside a parallel task (its thread's buffers may be busy) still works.
    let a = vec![1.0f64; 64 * 64];
    let results: Vec<std::sync::Mutex<f64>> = (0..4).map(|_| std::sync::Mutex::new(0.0)).collect();
    dl_tensor::for_each_task(4, |t| {
        let mut c = vec![0.0f64; 64 * 64];
        gemm(
            1.0,
            MatRef::row_major(&a, 64, 64),
            MatRef::row_major(&a, 64, 64),
            0.0,
            MatMut::row_major(&mut c, 64, 64),
        );
        *results[t].lock().unwrap() = c.iter().sum();
    });
    for r in &results {
        assert_eq!(*r.lock().unwrap(), 64.0 * 64.0 * 64.0);
    }
}

#[test]
#[should_panic(expected = "gemm: shape mismatch")]
fn shape_mismatch_panics() {
    let a = [0.0f32; 6];
    let mut c = [0.0f32; 4];
    gemm(
        1.0,
        MatRef::row_major(&a, 2, 3),
        MatRef::row_major(&a, 2, 3),
        0.0,
        MatMut::row_major(&mut c, 2, 2),
    );
}

/// Row offsets of an indexed `A`, as a convolution's windows start: 30 per image line of 37
/// with stride 1, 9 per line with stride 3, or scattered with no pattern.
const ROW_PATTERNS: [fn(usize) -> usize; 3] = [
    |i| (i / 30) * 37 + i % 30,
    |i| (i / 9) * 37 + (i % 9) * 3,
    |i| (i * 7919) % 1013,
];

/// `A` written out from an indexed view, and the view's product, for `m×k·k×n`: rows `i` at
/// `row(i)` and columns at offsets of a 3×3 window spread over `k / 9` planes, as a
/// convolution's column matrix.
fn indexed_against_written_out<T: Float + dl_tensor::gemm::GemmScalar>(
    m: usize,
    k: usize,
    n: usize,
    beta: f64,
    row: fn(usize) -> usize,
    opts: &GemmOptions,
) {
    let (width, plane) = (37usize, 37 * 40);
    let row_offsets: Vec<usize> = (0..m).map(row).collect();
    let col_offsets: Vec<usize> = (0..k)
        .map(|p| (p / 9) * plane + (p % 9 / 3) * width + p % 3)
        .collect();
    let len = row_offsets.iter().max().unwrap_or(&0) + col_offsets.iter().max().unwrap_or(&0) + 1;
    let mut g = Gen(0x5eed ^ (m * 131 + k * 7 + n) as u64);
    let data: Vec<T> = (0..len).map(|_| T::lit(g.next())).collect();
    let b: Vec<T> = (0..k * n).map(|_| T::lit(g.next())).collect();
    let c0: Vec<T> = (0..m * n).map(|_| T::lit(g.next())).collect();
    let written: Vec<T> = row_offsets
        .iter()
        .flat_map(|&r| col_offsets.iter().map(move |&c| r + c))
        .map(|at| data[at])
        .collect();
    let (alpha, beta) = (T::lit(0.75), T::lit(beta));
    let mut want = c0.clone();
    gemm_with(
        opts,
        alpha,
        MatRef::row_major(&written, m, k),
        MatRef::row_major(&b, k, n),
        beta,
        MatMut::row_major(&mut want, m, n),
    );
    let mut got = c0;
    let a = IndexedRef::new(&data, &row_offsets, &col_offsets);
    assert_eq!(a.shape(), [m, k]);
    gemm_indexed_with(
        opts,
        alpha,
        a,
        MatRef::row_major(&b, k, n),
        beta,
        MatMut::row_major(&mut got, m, n),
    );
    assert!(
        same_bits(&want, &got),
        "{m}×{k}·{k}×{n}, β {beta:?}, {opts:?}"
    );
}

#[test]
fn an_indexed_a_gives_the_bits_of_the_written_out_matrix() {
    // Edge slivers, several k-slices (k > KC), A read in place (n ≤ 4 slivers) and packed
    // (n > 4 slivers), one and two threads, every kernel family; windows with stride 1 and 3
    // and scattered rows.
    let shapes = [
        (1, 1, 1),
        (13, 9, 16),
        (100, 144, 16),
        (250, 600, 40),
        (300, 27, 200),
        (64, 1100, 33),
    ];
    for kernel in KERNELS {
        for threads in [1, 2] {
            for &(m, k, n) in &shapes {
                for (beta, row) in [0.0, 1.0].into_iter().zip(ROW_PATTERNS) {
                    let o = opts(kernel, threads);
                    indexed_against_written_out::<f32>(m, k, n, beta, row, &o);
                    indexed_against_written_out::<f64>(m, k, n, beta, row, &o);
                }
                let o = opts(kernel, threads);
                indexed_against_written_out::<f32>(m, k, n, 0.0, ROW_PATTERNS[2], &o);
            }
        }
    }
}

/// `m×k·k×n` with `A` packed ahead, then `B`, against the plain product of the same views and
/// options: bit for bit, the packed storage reused from one product to the next.
fn packed_against_plain<T: Float + dl_tensor::gemm::GemmScalar>(
    (m, k, n): (usize, usize, usize),
    (a_layout, b_layout): (Layout, Layout),
    beta: f64,
    opts: &GemmOptions,
    storage: &mut Vec<T>,
) {
    let mut g = Gen(0x9ac4 ^ (m * 131 + k * 7 + n) as u64);
    let mut fill = || T::lit(g.next());
    let a = Mat::new(m, k, a_layout, &mut fill, T::lit(f64::NAN));
    let b = Mat::new(k, n, b_layout, &mut fill, T::lit(f64::NAN));
    let c0 = Mat::new(m, n, Layout::Row, &mut fill, T::lit(f64::NAN));
    let (alpha, beta) = (T::lit(0.75), T::lit(beta));
    let case = format!("{m}×{k}·{k}×{n}, {a_layout:?}·{b_layout:?}, β {beta:?}, {opts:?}");
    let mut want = c0.clone();
    gemm_with(opts, alpha, a.view(), b.view(), beta, want.view_mut());

    let mut got = c0.clone();
    let packed = PackedLhs::new(opts, a.view(), storage);
    assert_eq!(packed.shape(), [m, k]);
    gemm_packed_lhs(alpha, &packed, b.view(), beta, got.view_mut());
    assert!(same_bits(&want.buf, &got.buf), "A packed: {case}");

    let mut got = c0.clone();
    let packed = PackedRhs::new(opts, b.view(), storage);
    assert_eq!(packed.shape(), [k, n]);
    gemm_packed_rhs(alpha, a.view(), &packed, beta, got.view_mut());
    assert!(same_bits(&want.buf, &got.buf), "B packed: {case}");
}

#[test]
fn packed_operands_give_the_bits_of_the_plain_product() {
    // Edge slivers both ways (a last B sliver of at most half a tile and of more), several
    // k-slices, one row of tiles, the dot-product shapes (≤ 8 rows or columns, k ≥ 256), products
    // split over two threads, transposed and strided operands, every kernel family.
    let shapes = [
        (1, 1, 1),
        (13, 9, 16),
        (5, 300, 700),
        (8, 520, 6),
        (100, 144, 40),
        (250, 600, 45),
        (300, 27, 200),
        (64, 1100, 33),
    ];
    let layouts = [
        (Layout::Row, Layout::Row),
        (Layout::Col, Layout::Col),
        (Layout::Row, Layout::Col),
        (Layout::Wide, Layout::Reversed),
    ];
    let (mut s32, mut s64) = (Vec::new(), Vec::new());
    for kernel in KERNELS {
        for threads in [1, 2] {
            let o = opts(kernel, threads);
            for &shape in &shapes {
                for (i, &layout) in layouts.iter().enumerate() {
                    let beta = [0.0, 1.0][i % 2];
                    packed_against_plain::<f32>(shape, layout, beta, &o, &mut s32);
                    packed_against_plain::<f64>(shape, layout, beta, &o, &mut s64);
                }
            }
        }
    }
}

#[test]
fn an_indexed_a_against_a_packed_b_gives_the_bits_of_the_indexed_product() {
    let (width, plane) = (37usize, 37 * 40);
    let mut storage = Vec::new();
    for kernel in KERNELS {
        for threads in [1, 2] {
            let o = opts(kernel, threads);
            for &(m, k, n) in &[(13, 9, 16), (250, 600, 45), (300, 27, 200)] {
                let rows: Vec<usize> = (0..m).map(ROW_PATTERNS[1]).collect();
                let cols: Vec<usize> = (0..k)
                    .map(|p| (p / 9) * plane + (p % 9 / 3) * width + p % 3)
                    .collect();
                let len = rows.iter().max().unwrap() + cols.iter().max().unwrap() + 1;
                let mut g = Gen(0x1d40 ^ (m * 131 + k) as u64);
                let data: Vec<f32> = (0..len).map(|_| g.next() as f32).collect();
                let b: Vec<f32> = (0..k * n).map(|_| g.next() as f32).collect();
                let a = IndexedRef::new(&data, &rows, &cols);
                let b = MatRef::row_major(&b, k, n);
                let (mut want, mut got) = (vec![0.0f32; m * n], vec![0.0f32; m * n]);
                gemm_indexed_with(&o, 1.0, a, b, 0.0, MatMut::row_major(&mut want, m, n));
                let packed = PackedRhs::new(&o, b, &mut storage);
                gemm_indexed_packed_rhs(1.0, a, &packed, 0.0, MatMut::row_major(&mut got, m, n));
                assert_eq!(bits32(&want), bits32(&got), "{m}×{k}·{k}×{n}, {o:?}");
            }
        }
    }
}

#[test]
#[should_panic(expected = "IndexedRef::new: a 2×2 matrix reaches element 3 + 1 of a slice of 4")]
fn an_indexed_view_past_its_slice_is_refused() {
    let data = [0.0f32; 4];
    let _ = IndexedRef::new(&data, &[0, 3], &[0, 1]);
}

#[test]
#[should_panic(expected = "gemm: shape mismatch: A is [2, 2], B is [3, 1], C is [2, 1]")]
fn an_indexed_product_with_unchained_shapes_is_refused() {
    let (data, b) = ([0.0f32; 9], [0.0f32; 3]);
    let mut c = [0.0f32; 2];
    gemm_indexed(
        1.0,
        IndexedRef::new(&data, &[0, 3], &[0, 1]),
        MatRef::row_major(&b, 3, 1),
        0.0,
        MatMut::row_major(&mut c, 2, 1),
    );
}

/// Rows `..m` of the product of a taller `A` (and of its `C`), against the same product of
/// those rows alone: a few rows with a wide row-major `B` take the path that cuts each
/// `k`-slice into parts kept in L2, the taller product the ordinary one.
fn few_rows_against_taller<T: Float + dl_tensor::gemm::GemmScalar>(
    m: usize,
    k: usize,
    n: usize,
    beta: f64,
    opts: &GemmOptions,
) {
    let tall = 40;
    let mut g = Gen(0xb10c ^ (m * 977 + k * 13 + n) as u64);
    let a: Vec<T> = (0..tall * k).map(|_| T::lit(g.next())).collect();
    let b: Vec<T> = (0..k * n).map(|_| T::lit(g.next())).collect();
    let c0: Vec<T> = (0..tall * n).map(|_| T::lit(g.next())).collect();
    let (alpha, beta) = (T::lit(0.75), T::lit(beta));
    let mut want = c0.clone();
    gemm_with(
        opts,
        alpha,
        MatRef::row_major(&a, tall, k),
        MatRef::row_major(&b, k, n),
        beta,
        MatMut::row_major(&mut want, tall, n),
    );
    let mut got = c0[..m * n].to_vec();
    gemm_with(
        opts,
        alpha,
        MatRef::row_major(&a[..m * k], m, k),
        MatRef::row_major(&b, k, n),
        beta,
        MatMut::row_major(&mut got, m, n),
    );
    assert!(
        same_bits(&want[..m * n], &got),
        "{m}×{k}·{k}×{n}, β {beta:?}, {opts:?}"
    );
}

#[test]
fn a_few_rows_with_a_wide_b_give_the_bits_of_a_taller_product() {
    // 1 to 12 rows (a whole tile row of every kernel, edges of either), three k-slices, B
    // columns ending in a full, a half and a quarter sliver; one and two threads.
    for kernel in KERNELS {
        for threads in [1, 2] {
            let o = opts(kernel, threads);
            for (m, n) in [(1, 3000), (5, 2056), (8, 3010), (12, 2084)] {
                few_rows_against_taller::<f32>(m, 1100, n, 0.0, &o);
                few_rows_against_taller::<f64>(m, 1100, n, 1.0, &o);
            }
        }
    }
}

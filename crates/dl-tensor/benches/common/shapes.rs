//! The GEMM shapes benchmarked by `benches/gemm.rs` and the `gemm_gflops` example.

/// One benchmarked product: `C (m×n) = A (m×k) · B (k×n)`, with `A` and/or `B` optionally stored
/// transposed (a strided view, as the backward pass uses them).
pub struct Shape {
    /// A short name for reports.
    pub name: &'static str,
    /// Rows of `A` and `C`.
    pub m: usize,
    /// The inner dimension.
    pub k: usize,
    /// Columns of `B` and `C`.
    pub n: usize,
    /// Whether `A` is stored transposed (column-major).
    pub a_t: bool,
    /// Whether `B` is stored transposed (column-major).
    pub b_t: bool,
}

const fn shape(name: &'static str, m: usize, k: usize, n: usize, a_t: bool, b_t: bool) -> Shape {
    Shape {
        name,
        m,
        k,
        n,
        a_t,
        b_t,
    }
}

/// Square sizes, the course MLP's first layer (forward, `dW = xᵀ·dout`, `dx = dout·Wᵀ`), two
/// im2col products of the course CNNs (and the second cut to an `A` that stays in L2, to tell
/// the kernel's speed from the speed `A` streams in at), and three of AlexNet's forward
/// products for one sample (the column matrix transposed, as `Convolution` lays it out) and
/// its first dense layer.
pub const SHAPES: [Shape; 15] = [
    shape("square64", 64, 64, 64, false, false),
    shape("square128", 128, 128, 128, false, false),
    shape("square256", 256, 256, 256, false, false),
    shape("square512", 512, 512, 512, false, false),
    shape("square1024", 1024, 1024, 1024, false, false),
    shape("square2048", 2048, 2048, 2048, false, false),
    shape("mlp_fwd", 100, 784, 40, false, false),
    shape("mlp_dw_at", 784, 100, 40, true, false),
    shape("mlp_dx_bt", 100, 40, 784, false, true),
    shape("im2col_k9", 78400, 9, 16, false, false),
    shape("im2col_k144", 19600, 144, 32, false, false),
    shape("l2_k144", 1200, 144, 32, false, false),
    shape("alexnet_conv1", 3025, 363, 64, true, false),
    shape("alexnet_conv3", 169, 1728, 384, true, false),
    shape("alexnet_fc1", 8, 9216, 4096, false, false),
];

impl Shape {
    /// Floating-point operations of one product, `2·m·n·k`.
    pub fn flop(&self) -> u64 {
        2 * (self.m * self.n * self.k) as u64
    }

    /// `(row, column)` strides of `A` (dense, transposed when `a_t`).
    pub fn a_strides(&self) -> (isize, isize) {
        strides(self.m, self.k, self.a_t)
    }

    /// `(row, column)` strides of `B` (dense, transposed when `b_t`).
    pub fn b_strides(&self) -> (isize, isize) {
        strides(self.k, self.n, self.b_t)
    }

    /// `"MxKxN"`.
    pub fn dims(&self) -> String {
        format!("{}x{}x{}", self.m, self.k, self.n)
    }
}

fn strides(rows: usize, cols: usize, t: bool) -> (isize, isize) {
    if t {
        (1, rows as isize)
    } else {
        (cols as isize, 1)
    }
}

/// Deterministic operand values in [-0.6, 0.6].
pub fn operand<T: From<f32>>(len: usize, salt: usize) -> Vec<T> {
    (0..len)
        .map(|i| T::from(((i * (5 + 2 * salt)) % 13) as f32 * 0.1 - 0.6))
        .collect()
}

//! Matrix products of views: transposed and narrowed tensors go to GEMM as strides, without
//! copies, and give the same numbers as a naive triple loop. Then the thread count: read it,
//! set it, and see that the product does not depend on it.
//!
//! ```text
//! cargo run --release -p dl-tensor --example views -- [THREADS]
//! ```
//!
//! `THREADS` (default 2) is the thread count set for the last product; the default count is
//! `DL_NUM_THREADS` when set, else the number of cores.

use std::process::ExitCode;

use dl_tensor::{Tensor, num_threads, rng_from_seed, set_num_threads};

/// `a·b` by the textbook triple loop, on row-major copies of the operands.
fn naive_product(a: &Tensor<f64>, b: &Tensor<f64>) -> Tensor<f64> {
    let (m, k, n) = (a.shape()[0], a.shape()[1], b.shape()[1]);
    assert_eq!(k, b.shape()[0], "naive_product: inner dimensions differ");
    let (a, b) = (a.to_vec(), b.to_vec());
    let mut out = vec![0.0; m * n];
    for i in 0..m {
        for j in 0..n {
            out[i * n + j] = (0..k).map(|p| a[i * k + p] * b[p * n + j]).sum();
        }
    }
    Tensor::from_vec(out, [m, n])
}

/// Checks `a·b` against the naive product, prints the largest difference and whether the
/// operands were views of other tensors; returns whether the product agreed.
fn check(label: &str, a: &Tensor<f64>, b: &Tensor<f64>, sources: [&Tensor<f64>; 2]) -> bool {
    let fast = a.matmul(b);
    let error = fast.max_abs_diff(&naive_product(a, b));
    let views = a.shares_storage(sources[0]) && b.shares_storage(sources[1]);
    println!(
        "{label:<36} {:?}·{:?} → {:?}  strides {:?}·{:?}  views: {views}  max |Δ| vs naive: {error:.1e}",
        a.shape(),
        b.shape(),
        fast.shape(),
        a.strides(),
        b.strides(),
    );
    views && error < 1e-10
}

fn main() -> ExitCode {
    let threads = match std::env::args().nth(1).map(|s| s.parse::<usize>()) {
        None => 2,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            eprintln!("usage: views [THREADS] (a positive thread count)");
            return ExitCode::FAILURE;
        }
    };

    let mut rng = rng_from_seed(7);
    let a = Tensor::<f64>::randn([240, 300], 1.0, &mut rng);
    let b = Tensor::<f64>::randn([260, 240], 1.0, &mut rng);
    let c = Tensor::<f64>::randn([300, 500], 1.0, &mut rng);

    let mut all_agree = true;
    // Aᵀ·Bᵀ: both operands are transposed views (column-major strides).
    all_agree &= check("transposed · transposed", &a.t(), &b.t(), [&a, &b]);
    // Rows 40..200 of A times columns 100..350 of C: narrowed views, row strides of the parents.
    let a_rows = a.narrow(0, 40, 160);
    let c_cols = c.narrow(1, 100, 250);
    all_agree &= check(
        "narrowed rows · narrowed columns",
        &a_rows,
        &c_cols,
        [&a, &c],
    );
    // A slice of a transposed view, times a block of C.
    let at_block = a.t().narrow(0, 20, 100).narrow(1, 0, 200);
    let c_block = c.narrow(0, 50, 200).narrow(1, 10, 80);
    all_agree &= check("transposed block · block", &at_block, &c_block, [&a, &c]);

    // The thread count: products split over outputs, never over a sum, so the bits agree.
    println!("default thread count: {}", num_threads());
    set_num_threads(1);
    let one_thread = c.t().matmul(&a.t());
    set_num_threads(threads);
    println!("thread count set to: {}", num_threads());
    let many_threads = c.t().matmul(&a.t());
    let same_bits = one_thread.to_vec() == many_threads.to_vec();
    println!("Cᵀ·Aᵀ on 1 and {threads} threads agree bit for bit: {same_bits}");

    if all_agree && same_bits {
        ExitCode::SUCCESS
    } else {
        eprintln!(
            "a product differed from the naive one, copied an operand, or changed with the thread count"
        );
        ExitCode::FAILURE
    }
}

//! A project that depends on `dl-tensor` alone: products of a transposed and a narrowed view,
//! printed through `dl_tensor::ndarray` (the re-export of the default `ndarray` feature).

use dl_tensor::Tensor;

fn main() {
    let a = Tensor::from_vec((1..=6).map(|v| v as f32).collect(), [2, 3]);
    // Aᵀ·A: the transposed operand is a view, passed to GEMM as strides.
    let gram = a.t().matmul(&a);
    // Aᵀ times A's last column: a narrowed view of A.
    let last_column = a.narrow(1, 2, 1);
    let projection = a.t().matmul(&last_column);
    assert!(last_column.shares_storage(&a));
    println!("A =\n{}", a.to_ndarray());
    println!("Aᵀ·A =\n{}", gram.to_ndarray());
    println!("Aᵀ·A[:, 2:3] =\n{}", projection.to_ndarray());
}

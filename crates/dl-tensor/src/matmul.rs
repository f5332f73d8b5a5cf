//! Matrix products of tensors, through [`gemm`] with strides (no copies of
//! transposed operands).

use crate::gemm::{MatMut, MatRef, gemm};
use crate::shape::shape_mismatch;
use crate::{Float, Tensor};

impl<T: Float> Tensor<T> {
    /// A [`MatRef`] over a 2-D tensor's storage, with its strides (a transposed view stays a view).
    ///
    /// # Panics
    /// If the tensor is not 2-D.
    #[track_caller]
    pub fn as_mat(&self) -> MatRef<'_, T> {
        if self.ndim() != 2 {
            panic!(
                "as_mat: expected a 2-D tensor, got shape {:?}",
                self.shape()
            );
        }
        let (data, strides, offset) = self.raw_parts();
        MatRef::new(
            data,
            offset,
            self.shape()[0],
            self.shape()[1],
            strides[0],
            strides[1],
        )
    }

    /// The matrix product. 2-D × 2-D gives 2-D; 3-D × 3-D multiplies batch by batch; 3-D × 2-D
    /// multiplies every batch entry by the same matrix.
    ///
    /// # Panics
    /// If the ranks or inner dimensions do not fit; the message names both shapes.
    #[track_caller]
    pub fn matmul(&self, rhs: &Tensor<T>) -> Tensor<T> {
        match (self.ndim(), rhs.ndim()) {
            (2, 2) => {
                if self.shape()[1] != rhs.shape()[0] {
                    shape_mismatch("matmul", self.shape(), rhs.shape());
                }
                let mut out = Tensor::zeros([self.shape()[0], rhs.shape()[1]]);
                out.gemm_assign(T::one(), self, rhs, T::zero());
                out
            }
            (3, 2) | (3, 3) => {
                let batched = rhs.ndim() == 3;
                let batch = self.shape()[0];
                if self.shape()[2] != rhs.shape()[rhs.ndim() - 2]
                    || batched && rhs.shape()[0] != batch
                {
                    shape_mismatch("matmul", self.shape(), rhs.shape());
                }
                let (m, n) = (self.shape()[1], rhs.shape()[rhs.ndim() - 1]);
                let mut out = vec![T::zero(); batch * m * n];
                for (b, chunk) in out.chunks_mut(m * n).enumerate() {
                    let a = self.index_axis(0, b);
                    let r = if batched {
                        rhs.index_axis(0, b)
                    } else {
                        rhs.clone()
                    };
                    gemm(
                        T::one(),
                        a.as_mat(),
                        r.as_mat(),
                        T::zero(),
                        MatMut::row_major(chunk, m, n),
                    );
                }
                Tensor::from_vec(out, [batch, m, n])
            }
            _ => shape_mismatch("matmul (ranks 2×2, 3×2 or 3×3)", self.shape(), rhs.shape()),
        }
    }

    /// In place: `self ← α·a·b + β·self` for 2-D tensors, without allocating when `self` is a
    /// dense, unshared buffer of the right shape.
    ///
    /// # Panics
    /// If the shapes do not chain.
    #[track_caller]
    pub fn gemm_assign(&mut self, alpha: T, a: &Tensor<T>, b: &Tensor<T>, beta: T) {
        if self.ndim() != 2 {
            panic!(
                "gemm_assign: output must be 2-D, got shape {:?}",
                self.shape()
            );
        }
        let (m, n) = (self.shape()[0], self.shape()[1]);
        let c = MatMut::row_major(self.as_mut_slice(), m, n);
        gemm(alpha, a.as_mat(), b.as_mat(), beta, c);
    }
}

//! Conversions to and from `ndarray` arrays of any dimension (the `ndarray` feature).
//!
//! Every conversion copies the elements in logical (row-major) order, except that an owned
//! array in standard layout hands over its buffer. The way back to a fixed-dimension array is
//! fallible: [`Tensor::to_ndarray_dim`] returns a [`RankMismatch`] when the ranks differ.

use std::fmt;

use ndarray::{Array, ArrayD, ArrayView, Dimension, IxDyn};

use crate::Tensor;

impl<T: Copy, D: Dimension> From<Array<T, D>> for Tensor<T> {
    /// Takes the array's elements in logical (row-major) order, reusing its buffer when it is
    /// in standard layout.
    ///
    /// # Panics
    /// If the array's rank exceeds [`MAX_DIMS`](crate::MAX_DIMS).
    #[track_caller]
    fn from(array: Array<T, D>) -> Self {
        let shape = array.shape().to_vec();
        let data = if array.is_standard_layout() {
            let len = array.len();
            let (mut buffer, offset) = array.into_raw_vec_and_offset();
            // A sliced array keeps its whole allocation; its elements start at `offset`.
            buffer.drain(..offset.unwrap_or(0));
            buffer.truncate(len);
            buffer
        } else {
            array.iter().copied().collect()
        };
        Tensor::from_vec(data, shape)
    }
}

impl<T: Copy, D: Dimension> From<ArrayView<'_, T, D>> for Tensor<T> {
    /// Copies the view's elements in logical (row-major) order, whatever its strides
    /// (transposed, sliced with steps or reversed views included).
    ///
    /// # Panics
    /// If the view's rank exceeds [`MAX_DIMS`](crate::MAX_DIMS).
    #[track_caller]
    fn from(view: ArrayView<'_, T, D>) -> Self {
        let data = match view.as_slice() {
            Some(dense) => dense.to_vec(),
            None => view.iter().copied().collect(),
        };
        Tensor::from_vec(data, view.shape())
    }
}

impl<T: Copy> From<&Tensor<T>> for ArrayD<T> {
    /// Copies the tensor's elements into a standard-layout array of the same shape.
    fn from(tensor: &Tensor<T>) -> Self {
        ArrayD::from_shape_vec(IxDyn(tensor.shape()), tensor.to_vec())
            .expect("a tensor's element count matches its shape")
    }
}

impl<T: Copy> From<Tensor<T>> for ArrayD<T> {
    /// Moves the tensor's elements into an array of the same shape, without a copy when the
    /// tensor is the sole, dense owner of its storage.
    fn from(tensor: Tensor<T>) -> Self {
        let shape = IxDyn(tensor.shape());
        ArrayD::from_shape_vec(shape, tensor.into_vec())
            .expect("a tensor's element count matches its shape")
    }
}

impl<T: Copy> Tensor<T> {
    /// Copies into an `ndarray::ArrayD` of the same shape.
    ///
    /// ```
    /// use dl_tensor::Tensor;
    /// let t = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], [2, 3]);
    /// let a = t.t().to_ndarray();
    /// assert_eq!(a.shape(), &[3, 2]);
    /// assert_eq!(a[[2, 1]], 6.0);
    /// ```
    pub fn to_ndarray(&self) -> ArrayD<T> {
        self.into()
    }

    /// Copies into an array of the fixed dimension `D` (`Ix1`, `Ix2`, … or `IxDyn`).
    ///
    /// # Errors
    /// [`RankMismatch`] when `D` has a fixed rank other than the tensor's.
    ///
    /// ```
    /// use dl_tensor::Tensor;
    /// use dl_tensor::ndarray::{Ix2, Ix3, array};
    /// let t = Tensor::from_vec(vec![1.0f64, 2.0, 3.0, 4.0], [2, 2]);
    /// let m = t.to_ndarray_dim::<Ix2>()?;
    /// assert_eq!(m, array![[1.0, 2.0], [3.0, 4.0]]);
    /// assert!(t.to_ndarray_dim::<Ix3>().is_err());
    /// # Ok::<(), dl_tensor::RankMismatch>(())
    /// ```
    pub fn to_ndarray_dim<D: Dimension>(&self) -> Result<Array<T, D>, RankMismatch> {
        if let Some(wanted_rank) = D::NDIM
            && wanted_rank != self.ndim()
        {
            return Err(RankMismatch {
                shape: self.shape().to_vec(),
                wanted_rank,
            });
        }
        Ok(self
            .to_ndarray()
            .into_dimensionality::<D>()
            .expect("the ranks were just checked to agree"))
    }
}

/// A tensor could not become an array of a fixed rank: [`Tensor::to_ndarray_dim`] was asked
/// for a rank other than the tensor's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RankMismatch {
    /// The tensor's shape.
    pub shape: Vec<usize>,
    /// The rank of the array asked for.
    pub wanted_rank: usize,
}

impl fmt::Display for RankMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a tensor of shape {:?} (rank {}) cannot become a rank-{} array",
            self.shape,
            self.shape.len(),
            self.wanted_rank
        )
    }
}

impl std::error::Error for RankMismatch {}

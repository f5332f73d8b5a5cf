//! Conversions to and from `ndarray::ArrayD`.

use ndarray::{ArrayD, IxDyn};

use crate::Tensor;

impl<T: Copy> From<ArrayD<T>> for Tensor<T> {
    /// Takes the array's elements in logical (row-major) order.
    fn from(array: ArrayD<T>) -> Self {
        let shape = array.shape().to_vec();
        let data = if array.is_standard_layout() {
            array.into_raw_vec_and_offset().0
        } else {
            array.iter().copied().collect()
        };
        Tensor::from_vec(data, shape)
    }
}

impl<T: Copy> From<&Tensor<T>> for ArrayD<T> {
    fn from(t: &Tensor<T>) -> Self {
        ArrayD::from_shape_vec(IxDyn(t.shape()), t.to_vec()).expect("element count matches shape")
    }
}

impl<T: Copy> Tensor<T> {
    /// Copies into an `ndarray::ArrayD` of the same shape.
    pub fn to_ndarray(&self) -> ArrayD<T> {
        self.into()
    }
}

//! Reductions over all elements and along one axis.

use crate::walk::walk;
use crate::{Float, Shape, Tensor};

impl<T: Float> Tensor<T> {
    /// The sum of all elements (accumulated in `f64`).
    pub fn sum_all(&self) -> T {
        let mut acc = 0.0f64;
        self.for_each(|x| acc += x.as_f64());
        T::lit(acc)
    }

    /// The mean of all elements (NaN when empty).
    pub fn mean_all(&self) -> T {
        T::lit(self.sum_all().as_f64() / self.len() as f64)
    }

    /// The largest element (−∞ when empty; NaN if any element is NaN).
    pub fn max_all(&self) -> T {
        let mut m = T::neg_infinity();
        self.for_each(|x| m = if x > m || x.is_nan() { x } else { m });
        m
    }

    /// The smallest element (+∞ when empty; NaN if any element is NaN).
    pub fn min_all(&self) -> T {
        let mut m = T::infinity();
        self.for_each(|x| m = if x < m || x.is_nan() { x } else { m });
        m
    }

    /// Calls `f` on every element in row-major order.
    pub fn for_each(&self, mut f: impl FnMut(T)) {
        match self.try_as_slice() {
            Some(s) => s.iter().for_each(|&x| f(x)),
            None => {
                let (data, strides, offset) = self.raw_parts();
                walk(self.shape(), [strides], [offset], |[i]| f(data[i]));
            }
        }
    }

    #[track_caller]
    fn check_axis(&self, op: &str, axis: usize) {
        if axis >= self.ndim() {
            panic!(
                "{op}: axis {axis} is out of range for shape {:?}",
                self.shape()
            );
        }
    }

    fn reduced_shape(&self, axis: usize, keepdim: bool) -> Shape {
        let mut dims = self.shape().to_vec();
        if keepdim {
            dims[axis] = 1;
        } else {
            dims.remove(axis);
        }
        Shape::new(&dims)
    }

    /// Folds along `axis` in one sequential pass over the input: `out = fold(out, x)`.
    fn fold_axis(&self, axis: usize, keepdim: bool, init: T, fold: impl Fn(T, T) -> T) -> Self {
        let mut kept = self.shape().to_vec();
        kept[axis] = 1;
        let kept = Shape::new(&kept);
        let mut out = vec![init; kept.numel()];
        let mut out_strides = kept.contiguous_strides();
        out_strides.as_mut_slice()[axis] = 0;
        let (data, strides, offset) = self.raw_parts();
        walk(
            self.shape(),
            [strides, &out_strides],
            [offset, 0],
            |[i, o]| out[o] = fold(out[o], data[i]),
        );
        Tensor::from_vec(out, self.reduced_shape(axis, keepdim))
    }

    /// Sum along `axis`; `keepdim` keeps it with length 1.
    ///
    /// # Panics
    /// If `axis` is out of range.
    #[track_caller]
    pub fn sum_axis(&self, axis: usize, keepdim: bool) -> Self {
        self.check_axis("sum_axis", axis);
        self.fold_axis(axis, keepdim, T::zero(), |a, x| a + x)
    }

    /// Mean along `axis`.
    ///
    /// # Panics
    /// If `axis` is out of range.
    #[track_caller]
    pub fn mean_axis(&self, axis: usize, keepdim: bool) -> Self {
        self.check_axis("mean_axis", axis);
        let n = T::lit(self.shape()[axis] as f64);
        let mut out = self.sum_axis(axis, keepdim);
        out.map_inplace(|s| s / n);
        out
    }

    /// Population variance (divides by `n`, as NumPy's default) along `axis`.
    ///
    /// # Panics
    /// If `axis` is out of range.
    #[track_caller]
    pub fn var_axis(&self, axis: usize, keepdim: bool) -> Self {
        self.check_axis("var_axis", axis);
        let mean = self.mean_axis(axis, true);
        let centered = self.sub(&mean);
        let sq = centered.mul(&centered);
        sq.mean_axis(axis, keepdim)
    }

    /// Maximum along `axis`.
    ///
    /// # Panics
    /// If `axis` is out of range.
    #[track_caller]
    pub fn max_axis(&self, axis: usize, keepdim: bool) -> Self {
        self.check_axis("max_axis", axis);
        self.fold_axis(axis, keepdim, T::neg_infinity(), |a, x| {
            if x > a || x.is_nan() { x } else { a }
        })
    }

    /// Index of the maximum along `axis` (the first one on ties), with that axis removed.
    ///
    /// # Panics
    /// If `axis` is out of range or has length 0.
    #[track_caller]
    pub fn argmax_axis(&self, axis: usize) -> Tensor<usize> {
        self.check_axis("argmax_axis", axis);
        let len = self.shape()[axis];
        if len == 0 {
            panic!(
                "argmax_axis: axis {axis} of shape {:?} is empty",
                self.shape()
            );
        }
        let stride = self.strides()[axis];
        let outer = self.index_axis(axis, 0);
        let (data, strides, offset) = outer.raw_parts();
        let mut out = Vec::with_capacity(outer.len());
        walk(outer.shape(), [strides], [offset], |[i]| {
            let (mut best, mut best_v) = (0, data[i]);
            for k in 1..len {
                let v = data[(i as isize + k as isize * stride) as usize];
                if v > best_v {
                    best = k;
                    best_v = v;
                }
            }
            out.push(best);
        });
        Tensor::from_vec(out, outer.dims())
    }
}

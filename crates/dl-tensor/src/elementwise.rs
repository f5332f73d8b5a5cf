//! Element-wise arithmetic with NumPy broadcasting, unary maths, and in-place forms.

use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

use crate::shape::{broadcast_shapes, shape_mismatch};
use crate::walk::walk;
use crate::{Float, Tensor, for_each_chunk_mut};

/// Elements per task of the parallel element-wise passes: smaller tensors run on the calling
/// thread alone.
const PARALLEL_CHUNK: usize = 1 << 18;

impl<T: Float> Tensor<T> {
    /// Applies `f` to every element.
    pub fn map(&self, f: impl Fn(T) -> T) -> Self {
        self.map_to(f)
    }

    /// Writes `f(x)` for every element `x` of `self` into `dst`, which takes `self`'s shape and
    /// keeps its storage when it is `dst`'s alone and large enough (see [`Tensor::recycle`]): the
    /// form of [`Tensor::map`] that allocates nothing in a loop. Large tensors are split over
    /// threads; the result does not depend on their number.
    ///
    /// ```
    /// use dl_tensor::Tensor;
    /// let x = Tensor::<f32>::from_vec(vec![-1.0, 2.0], [2]);
    /// let mut y = Tensor::zeros([0]);
    /// x.map_into(&mut y, |v| v.max(0.0));
    /// assert_eq!(y.to_vec(), vec![0.0, 2.0]);
    /// ```
    pub fn map_into(&self, dst: &mut Tensor<T>, f: impl Fn(T) -> T + Sync + Send) {
        let src = self.to_contiguous();
        let src = src.as_slice();
        let out = dst.recycle(self.dims(), T::zero());
        for_each_chunk_mut(out, PARALLEL_CHUNK, |i, out_i| {
            let src_i = &src[i * PARALLEL_CHUNK..];
            for (o, &x) in out_i.iter_mut().zip(src_i) {
                *o = f(x);
            }
        });
    }

    /// Writes `f(a, b)` for every pair of elements of `self` and `other`, which must have the
    /// same shape, into `dst` (see [`Tensor::map_into`]).
    ///
    /// # Panics
    /// If the shapes differ; the message names `op` and both shapes.
    #[track_caller]
    pub fn zip_map_into(
        &self,
        other: &Tensor<T>,
        dst: &mut Tensor<T>,
        op: &str,
        f: impl Fn(T, T) -> T + Sync + Send,
    ) {
        if self.shape() != other.shape() {
            shape_mismatch(op, self.shape(), other.shape());
        }
        let (a, b) = (self.to_contiguous(), other.to_contiguous());
        let (a, b) = (a.as_slice(), b.as_slice());
        let out = dst.recycle(self.dims(), T::zero());
        for_each_chunk_mut(out, PARALLEL_CHUNK, |i, out_i| {
            let (a_i, b_i) = (&a[i * PARALLEL_CHUNK..], &b[i * PARALLEL_CHUNK..]);
            for ((o, &x), &y) in out_i.iter_mut().zip(a_i).zip(b_i) {
                *o = f(x, y);
            }
        });
    }

    /// Applies `f` to every element in place (copy-on-write).
    pub fn map_inplace(&mut self, f: impl Fn(T) -> T) {
        for x in self.as_mut_slice() {
            *x = f(*x);
        }
    }

    /// Combines `self` and `other` element-wise after broadcasting both to a common shape.
    ///
    /// # Panics
    /// If the shapes do not broadcast; the message names `op` and both shapes.
    #[track_caller]
    pub fn zip_map(&self, other: &Tensor<T>, op: &str, f: impl Fn(T, T) -> T) -> Self {
        if self.shape() == other.shape()
            && let (Some(a), Some(b)) = (self.try_as_slice(), other.try_as_slice())
        {
            let data = a.iter().zip(b).map(|(&x, &y)| f(x, y)).collect();
            return Self::from_vec(data, self.dims());
        }
        let Some(shape) = broadcast_shapes(self.shape(), other.shape()) else {
            shape_mismatch(op, self.shape(), other.shape())
        };
        let (a, b) = (self.broadcast_to(shape), other.broadcast_to(shape));
        let ((da, sa, oa), (db, sb, ob)) = (a.raw_parts(), b.raw_parts());
        let mut data = Vec::with_capacity(shape.numel());
        walk(&shape, [sa, sb], [oa, ob], |[i, j]| {
            data.push(f(da[i], db[j]))
        });
        Self::from_vec(data, shape)
    }

    /// Updates `self` element-wise with `other` broadcast to `self`'s shape (copy-on-write).
    ///
    /// # Panics
    /// If `other` does not broadcast to `self`'s shape.
    #[track_caller]
    pub fn zip_apply(&mut self, other: &Tensor<T>, op: &str, f: impl Fn(&mut T, T)) {
        if broadcast_shapes(self.shape(), other.shape()).as_deref() != Some(self.shape()) {
            shape_mismatch(op, self.shape(), other.shape());
        }
        let shape = self.dims();
        if self.shape() == other.shape()
            && let Some(b) = other.try_as_slice()
        {
            // `other` keeps its own reference, so copy-on-write protects it if it is `self`'s.
            for (x, &y) in self.as_mut_slice().iter_mut().zip(b) {
                f(x, y);
            }
            return;
        }
        // A vector along the last axis (a bias added to every row): row by row, no index walk.
        if other.ndim() == 1
            && !other.is_empty()
            && self.shape().last() == Some(&other.len())
            && let Some(b) = other.try_as_slice()
        {
            for row in self.as_mut_slice().chunks_exact_mut(b.len()) {
                for (x, &y) in row.iter_mut().zip(b) {
                    f(x, y);
                }
            }
            return;
        }
        let b = other.broadcast_to(shape);
        let (db, sb, ob) = b.raw_parts();
        let out = self.as_mut_slice();
        let mut k = 0;
        walk(&shape, [sb], [ob], |[j]| {
            f(&mut out[k], db[j]);
            k += 1;
        });
    }

    /// `self + other`, broadcasting.
    #[track_caller]
    pub fn add(&self, other: &Tensor<T>) -> Self {
        self.zip_map(other, "add", |a, b| a + b)
    }
    /// `self - other`, broadcasting.
    #[track_caller]
    pub fn sub(&self, other: &Tensor<T>) -> Self {
        self.zip_map(other, "sub", |a, b| a - b)
    }
    /// `self * other` element-wise, broadcasting.
    #[track_caller]
    pub fn mul(&self, other: &Tensor<T>) -> Self {
        self.zip_map(other, "mul", |a, b| a * b)
    }
    /// `self / other` element-wise, broadcasting.
    #[track_caller]
    pub fn div(&self, other: &Tensor<T>) -> Self {
        self.zip_map(other, "div", |a, b| a / b)
    }

    /// `self + s`.
    pub fn add_scalar(&self, s: T) -> Self {
        self.map(|a| a + s)
    }
    /// `self - s`.
    pub fn sub_scalar(&self, s: T) -> Self {
        self.map(|a| a - s)
    }
    /// `self · s`.
    pub fn mul_scalar(&self, s: T) -> Self {
        self.map(|a| a * s)
    }
    /// `self / s`.
    pub fn div_scalar(&self, s: T) -> Self {
        self.map(|a| a / s)
    }

    /// In place: `self += other` (broadcast to `self`).
    #[track_caller]
    pub fn add_inplace(&mut self, other: &Tensor<T>) {
        self.zip_apply(other, "add_inplace", |a, b| *a += b);
    }
    /// In place: `self -= other` (broadcast to `self`).
    #[track_caller]
    pub fn sub_inplace(&mut self, other: &Tensor<T>) {
        self.zip_apply(other, "sub_inplace", |a, b| *a -= b);
    }
    /// In place: `self *= other` (broadcast to `self`).
    #[track_caller]
    pub fn mul_inplace(&mut self, other: &Tensor<T>) {
        self.zip_apply(other, "mul_inplace", |a, b| *a *= b);
    }
    /// In place: `self /= other` (broadcast to `self`).
    #[track_caller]
    pub fn div_inplace(&mut self, other: &Tensor<T>) {
        self.zip_apply(other, "div_inplace", |a, b| *a /= b);
    }
    /// In place: `self += alpha · x` (the BLAS axpy).
    #[track_caller]
    pub fn axpy(&mut self, alpha: T, x: &Tensor<T>) {
        self.zip_apply(x, "axpy", |a, b| *a += alpha * b);
    }
    /// In place: `self *= s`.
    pub fn scale_inplace(&mut self, s: T) {
        self.map_inplace(|a| a * s);
    }
    /// In place: every element set to `value`.
    pub fn fill(&mut self, value: T) {
        self.as_mut_slice().fill(value);
    }

    /// `eˣ`.
    pub fn exp(&self) -> Self {
        self.map(T::exp)
    }
    /// Natural logarithm.
    pub fn ln(&self) -> Self {
        self.map(T::ln)
    }
    /// Square root.
    pub fn sqrt(&self) -> Self {
        self.map(T::sqrt)
    }
    /// Integer power.
    pub fn powi(&self, n: i32) -> Self {
        self.map(|a| a.powi(n))
    }
    /// Absolute value.
    pub fn abs(&self) -> Self {
        self.map(T::abs)
    }
    /// Sign: −1, 0 or 1 (0 at 0, as NumPy's `np.sign`).
    pub fn sign(&self) -> Self {
        self.map(|a| {
            if a > T::zero() {
                T::one()
            } else if a < T::zero() {
                -T::one()
            } else {
                T::zero()
            }
        })
    }
    /// `max(self, s)` element-wise.
    pub fn max_scalar(&self, s: T) -> Self {
        self.map(|a| if a > s { a } else { s })
    }
    /// `min(self, s)` element-wise.
    pub fn min_scalar(&self, s: T) -> Self {
        self.map(|a| if a < s { a } else { s })
    }

    /// The largest absolute element-wise difference (shapes must match); a test helper.
    ///
    /// # Panics
    /// If the shapes differ.
    #[track_caller]
    pub fn max_abs_diff(&self, other: &Tensor<T>) -> T {
        if self.shape() != other.shape() {
            shape_mismatch("max_abs_diff", self.shape(), other.shape());
        }
        self.sub(other).abs().max_all()
    }

    /// Converts the element type (`f32` ↔ `f64`).
    pub fn cast<U: Float>(&self) -> Tensor<U> {
        self.map_to(|x| U::lit(x.as_f64()))
    }
}

macro_rules! binary_ops {
    ($($trait:ident $method:ident),*) => {$(
        impl<T: Float> $trait<&Tensor<T>> for &Tensor<T> {
            type Output = Tensor<T>;
            #[track_caller]
            fn $method(self, rhs: &Tensor<T>) -> Tensor<T> {
                Tensor::$method(self, rhs)
            }
        }
        impl<T: Float> $trait<T> for &Tensor<T> {
            type Output = Tensor<T>;
            fn $method(self, rhs: T) -> Tensor<T> {
                self.map(|a| $trait::$method(a, rhs))
            }
        }
    )*};
}
binary_ops!(Add add, Sub sub, Mul mul, Div div);

macro_rules! assign_ops {
    ($($trait:ident $method:ident $inplace:ident),*) => {$(
        impl<T: Float> $trait<&Tensor<T>> for Tensor<T> {
            #[track_caller]
            fn $method(&mut self, rhs: &Tensor<T>) {
                self.$inplace(rhs);
            }
        }
        impl<T: Float> $trait<T> for Tensor<T> {
            fn $method(&mut self, rhs: T) {
                self.map_inplace(|mut a| { $trait::$method(&mut a, rhs); a });
            }
        }
    )*};
}
assign_ops!(AddAssign add_assign add_inplace, SubAssign sub_assign sub_inplace, MulAssign mul_assign mul_inplace, DivAssign div_assign div_inplace);

impl<T: Float> Neg for &Tensor<T> {
    type Output = Tensor<T>;
    fn neg(self) -> Tensor<T> {
        self.map(|a| -a)
    }
}

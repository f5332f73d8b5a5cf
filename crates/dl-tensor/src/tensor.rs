//! The strided tensor: shape, strides and offset over shared, copy-on-write storage.

use std::fmt;
use std::sync::Arc;

use crate::shape::{Shape, Strides, broadcast_shapes, shape_mismatch};
use crate::walk::walk;

/// An n-dimensional array (rank ≤ [`MAX_DIMS`](crate::MAX_DIMS)) of `T`.
///
/// A tensor is a view: a shape, strides (in elements, possibly zero for broadcast axes) and an
/// offset into storage shared through an [`Arc`]. Views such as [`Tensor::transpose`],
/// [`Tensor::narrow`] and [`Tensor::broadcast_to`] share storage and copy nothing, and cloning a
/// tensor never allocates.
///
/// **Copy-on-write.** Writing through a tensor ([`Tensor::as_mut_slice`], in-place ops) first
/// makes its storage unique: if another tensor shares it, the written tensor gets a private copy
/// of its own elements. So writing through one tensor never changes another.
///
/// # Example
/// ```
/// use dl_tensor::Tensor;
/// let a = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], [2, 3]);
/// let t = a.t(); // a 3×2 view, no copy
/// assert_eq!(t.shape(), &[3, 2]);
/// assert_eq!(t.to_vec(), vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
/// let row_sums = a.sum_axis(1, false);
/// assert_eq!(row_sums.to_vec(), vec![6.0, 15.0]);
/// ```
#[derive(Clone)]
pub struct Tensor<T> {
    storage: Arc<Vec<T>>,
    shape: Shape,
    strides: Strides,
    offset: usize,
}

impl<T: Copy> Tensor<T> {
    /// Wraps `data` (row-major) as a tensor of `shape`.
    ///
    /// # Panics
    /// If `data.len()` differs from the shape's element count.
    #[track_caller]
    pub fn from_vec(data: Vec<T>, shape: impl Into<Shape>) -> Self {
        let shape = shape.into();
        if data.len() != shape.numel() {
            panic!(
                "Tensor::from_vec: {} elements cannot have shape {:?} ({} elements)",
                data.len(),
                shape,
                shape.numel()
            );
        }
        Tensor {
            strides: shape.contiguous_strides(),
            storage: Arc::new(data),
            shape,
            offset: 0,
        }
    }

    /// A tensor of `shape` with every element `value`.
    pub fn full(shape: impl Into<Shape>, value: T) -> Self {
        let shape = shape.into();
        Self::from_vec(vec![value; shape.numel()], shape)
    }

    /// A tensor whose element at each index is `f(index)`.
    pub fn from_fn(shape: impl Into<Shape>, mut f: impl FnMut(&[usize]) -> T) -> Self {
        let shape = shape.into();
        let mut data = Vec::with_capacity(shape.numel());
        let mut index = vec![0usize; shape.len()];
        for _ in 0..shape.numel() {
            data.push(f(&index));
            for axis in (0..shape.len()).rev() {
                index[axis] += 1;
                if index[axis] < shape[axis] {
                    break;
                }
                index[axis] = 0;
            }
        }
        Self::from_vec(data, shape)
    }

    /// A rank-0 tensor holding `value`.
    pub fn scalar(value: T) -> Self {
        Self::from_vec(vec![value], [])
    }

    /// The dimensions.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The dimensions as an inline [`Shape`].
    pub fn dims(&self) -> Shape {
        self.shape
    }

    /// The strides, in elements.
    pub fn strides(&self) -> &[isize] {
        &self.strides
    }

    /// Offset of the first element in the storage.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The rank (number of axes).
    pub fn ndim(&self) -> usize {
        self.shape.len()
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        self.shape.numel()
    }

    /// Whether the tensor has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the elements are laid out densely in row-major order.
    /// An empty tensor is, whatever its strides.
    pub fn is_contiguous(&self) -> bool {
        if self.is_empty() {
            return true;
        }
        let mut expected = 1isize;
        for axis in (0..self.ndim()).rev() {
            if self.shape[axis] != 1 && self.strides[axis] != expected {
                return false;
            }
            expected = expected.saturating_mul(self.shape[axis] as isize);
        }
        true
    }

    /// Whether `self` and `other` share storage (one may be a view of the other).
    pub fn shares_storage(&self, other: &Tensor<T>) -> bool {
        Arc::ptr_eq(&self.storage, &other.storage)
    }

    /// The elements as a row-major slice.
    ///
    /// # Panics
    /// If the tensor is not contiguous (see [`Tensor::to_contiguous`]).
    #[track_caller]
    pub fn as_slice(&self) -> &[T] {
        self.try_as_slice().unwrap_or_else(|| {
            panic!(
                "as_slice: tensor of shape {:?} with strides {:?} is not contiguous; call to_contiguous()",
                self.shape, self.strides
            )
        })
    }

    /// The elements as a row-major slice, or `None` when not contiguous.
    pub fn try_as_slice(&self) -> Option<&[T]> {
        self.is_contiguous()
            .then(|| &self.storage[self.offset..self.offset + self.len()])
    }

    /// The elements as a mutable row-major slice, making the storage unique and contiguous first
    /// (copy-on-write; no copy when this tensor is already the sole, dense owner).
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        let dense = self.is_contiguous();
        if !dense || Arc::get_mut(&mut self.storage).is_none() {
            *self = Self::from_vec(self.to_vec(), self.shape);
        }
        let (offset, len) = (self.offset, self.len());
        let storage = Arc::get_mut(&mut self.storage).expect("storage was just made unique");
        &mut storage[offset..offset + len]
    }

    /// Whether no other tensor shares this one's storage, so that writing through it
    /// (for example with [`Tensor::recycle`]) copies nothing.
    pub fn owns_storage(&self) -> bool {
        Arc::strong_count(&self.storage) == 1 && Arc::weak_count(&self.storage) == 0
    }

    /// Makes `self` a dense, row-major tensor of `shape` whose elements the caller is about to
    /// overwrite, and returns them. The storage is reused when this tensor is its sole owner and
    /// it holds enough elements, so a layer that keeps its output between steps allocates nothing
    /// once warmed up; otherwise (shared or too small) fresh storage filled with `fill` is
    /// allocated, and tensors that shared the old storage keep their values.
    ///
    /// Reused elements hold stale values: write every one.
    ///
    /// ```
    /// use dl_tensor::Tensor;
    /// let mut out = Tensor::<f32>::zeros([4, 3]);
    /// out.recycle([2, 5], 0.0).fill(1.0); // 10 of the 12 elements, no allocation
    /// assert_eq!(out.shape(), &[2, 5]);
    /// let kept = out.clone();
    /// out.recycle([2, 5], 0.0).fill(2.0); // shared with `kept`: fresh storage
    /// assert_eq!(kept.to_vec(), vec![1.0; 10]);
    /// assert_eq!(out.to_vec(), vec![2.0; 10]);
    /// ```
    pub fn recycle(&mut self, shape: impl Into<Shape>, fill: T) -> &mut [T] {
        let shape = shape.into();
        let len = shape.numel();
        match Arc::get_mut(&mut self.storage) {
            Some(storage) => {
                if storage.len() < len {
                    storage.resize(len, fill);
                }
                self.strides = shape.contiguous_strides();
                self.shape = shape;
                self.offset = 0;
            }
            None => *self = Self::from_vec(vec![fill; len], shape),
        }
        let storage = Arc::get_mut(&mut self.storage).expect("storage is unique here");
        &mut storage[..len]
    }

    /// The elements in row-major order, copied into a new `Vec`.
    pub fn to_vec(&self) -> Vec<T> {
        if let Some(s) = self.try_as_slice() {
            return s.to_vec();
        }
        let mut out = Vec::with_capacity(self.len());
        walk(&self.shape, [&self.strides], [self.offset], |[i]| {
            out.push(self.storage[i])
        });
        out
    }

    /// Consumes the tensor, returning its elements in row-major order (no copy when it is the
    /// sole, dense owner of its whole storage).
    pub fn into_vec(self) -> Vec<T> {
        if self.is_contiguous() && self.offset == 0 && self.storage.len() == self.len() {
            match Arc::try_unwrap(self.storage) {
                Ok(v) => v,
                Err(shared) => shared.to_vec(),
            }
        } else {
            self.to_vec()
        }
    }

    /// A contiguous tensor with the same elements (a cheap clone when already contiguous).
    pub fn to_contiguous(&self) -> Self {
        if self.is_contiguous() {
            self.clone()
        } else {
            Self::from_vec(self.to_vec(), self.shape)
        }
    }

    #[track_caller]
    fn storage_index(&self, index: &[usize]) -> usize {
        if index.len() != self.ndim() || index.iter().zip(self.shape.iter()).any(|(i, d)| i >= d) {
            panic!(
                "index {index:?} is out of bounds for shape {:?}",
                self.shape
            );
        }
        let pos: isize = index
            .iter()
            .zip(self.strides.iter())
            .map(|(&i, &s)| i as isize * s)
            .sum();
        (self.offset as isize + pos) as usize
    }

    /// The element at `index`.
    ///
    /// # Panics
    /// If `index` has the wrong rank or is out of bounds.
    #[track_caller]
    pub fn at(&self, index: &[usize]) -> T {
        self.storage[self.storage_index(index)]
    }

    /// Sets the element at `index` (copy-on-write).
    ///
    /// # Panics
    /// If `index` has the wrong rank or is out of bounds.
    #[track_caller]
    pub fn set(&mut self, index: &[usize], value: T) {
        self.storage_index(index); // bounds check
        let dense = self.shape.contiguous_strides();
        let pos: usize = index
            .iter()
            .zip(dense.iter())
            .map(|(&i, &s)| i * s as usize)
            .sum();
        self.as_mut_slice()[pos] = value;
    }

    /// A view with a new shape of the same element count; copies only when not contiguous.
    ///
    /// # Panics
    /// If the element counts differ.
    #[track_caller]
    pub fn reshape(&self, shape: impl Into<Shape>) -> Self {
        let shape = shape.into();
        if shape.numel() != self.len() {
            shape_mismatch("reshape", &self.shape, &shape);
        }
        let base = self.to_contiguous();
        Tensor {
            strides: shape.contiguous_strides(),
            shape,
            storage: base.storage,
            offset: base.offset,
        }
    }

    /// Reshapes into `(shape[0], rest)`: the course's `x.reshape(N, -1)`.
    pub fn flatten_2d(&self) -> Self {
        let n = self.shape.first().copied().unwrap_or(1);
        let rest = self
            .len()
            .checked_div(n)
            .unwrap_or_else(|| self.shape[1..].iter().product());
        self.reshape([n, rest])
    }

    /// A view with the axes reordered: axis `i` of the result is axis `axes[i]` of `self`.
    ///
    /// # Panics
    /// If `axes` is not a permutation of `0..ndim`.
    #[track_caller]
    pub fn permute(&self, axes: &[usize]) -> Self {
        let mut seen = [false; crate::MAX_DIMS];
        let valid = axes.len() == self.ndim()
            && axes
                .iter()
                .all(|&a| a < self.ndim() && !std::mem::replace(&mut seen[a], true));
        if !valid {
            panic!(
                "permute: {axes:?} is not a permutation of the axes of shape {:?}",
                self.shape
            );
        }
        let mut out = self.clone();
        for (i, &a) in axes.iter().enumerate() {
            let d = self.shape[a];
            let s = self.strides[a];
            out.set_axis(i, d, s);
        }
        out
    }

    fn set_axis(&mut self, axis: usize, dim: usize, stride: isize) {
        let rank = self.shape.len();
        let mut dims = [0; crate::MAX_DIMS];
        dims[..rank].copy_from_slice(&self.shape);
        dims[axis] = dim;
        self.shape = Shape::new(&dims[..rank]);
        self.strides.as_mut_slice()[axis] = stride;
    }

    /// A view with axes `a` and `b` swapped.
    #[track_caller]
    pub fn transpose(&self, a: usize, b: usize) -> Self {
        let mut axes = [0; crate::MAX_DIMS];
        for (i, axis) in axes.iter_mut().enumerate() {
            *axis = i;
        }
        axes.swap(a, b);
        self.permute(&axes[..self.ndim()])
    }

    /// The transpose of a 2-D tensor (a view).
    ///
    /// # Panics
    /// If the tensor is not 2-D.
    #[track_caller]
    pub fn t(&self) -> Self {
        if self.ndim() != 2 {
            panic!("t: expected a 2-D tensor, got shape {:?}", self.shape);
        }
        self.transpose(0, 1)
    }

    /// A view of `len` entries of `axis` starting at `start`.
    ///
    /// # Panics
    /// If the range exceeds the axis.
    #[track_caller]
    pub fn narrow(&self, axis: usize, start: usize, len: usize) -> Self {
        if axis >= self.ndim() || start + len > self.shape[axis] {
            panic!(
                "narrow: range {start}..{} of axis {axis} is outside shape {:?}",
                start + len,
                self.shape
            );
        }
        let mut out = self.clone();
        if len > 0 {
            out.offset = (self.offset as isize + start as isize * self.strides[axis]) as usize;
        }
        out.set_axis(axis, len, self.strides[axis]);
        out
    }

    /// A view of entry `index` of `axis`, with that axis removed.
    #[track_caller]
    pub fn index_axis(&self, axis: usize, index: usize) -> Self {
        let view = self.narrow(axis, index, 1);
        let mut dims = view.shape.to_vec();
        let mut strides = view.strides.to_vec();
        dims.remove(axis);
        strides.remove(axis);
        Tensor {
            shape: Shape::new(&dims),
            strides: Strides::new(&strides),
            ..view
        }
    }

    /// A view broadcast to `shape` (NumPy rules; broadcast axes get stride 0).
    ///
    /// # Panics
    /// If `self` cannot broadcast to `shape`.
    #[track_caller]
    pub fn broadcast_to(&self, shape: impl Into<Shape>) -> Self {
        let shape = shape.into();
        if broadcast_shapes(&self.shape, &shape).as_deref() != Some(&*shape) {
            shape_mismatch("broadcast_to", &self.shape, &shape);
        }
        let lead = shape.len() - self.ndim();
        let mut strides = Strides::zeros(shape.len());
        for axis in 0..self.ndim() {
            if self.shape[axis] == shape[lead + axis] {
                strides.as_mut_slice()[lead + axis] = self.strides[axis];
            }
        }
        Tensor {
            storage: Arc::clone(&self.storage),
            shape,
            strides,
            offset: self.offset,
        }
    }

    /// Gathers entries of axis 0 by index, into a new contiguous tensor (mini-batch selection).
    ///
    /// # Panics
    /// If an index is out of range or the tensor is rank 0.
    #[track_caller]
    pub fn select_rows(&self, rows: &[usize]) -> Self {
        if self.ndim() == 0 {
            panic!("select_rows: a rank-0 tensor has no rows");
        }
        let n = self.shape[0];
        let mut dims = self.shape.to_vec();
        dims[0] = rows.len();
        let row_len: usize = self.shape[1..].iter().product();
        let mut out = Vec::with_capacity(rows.len() * row_len);
        for &r in rows {
            if r >= n {
                panic!(
                    "select_rows: row {r} is out of range for shape {:?}",
                    self.shape
                );
            }
            let row = self.index_axis(0, r);
            match row.try_as_slice() {
                Some(s) => out.extend_from_slice(s),
                None => out.extend(row.to_vec()),
            }
        }
        Self::from_vec(out, dims)
    }

    /// Stacks equally shaped tensors along a new leading axis.
    ///
    /// # Panics
    /// If `parts` is empty or the shapes differ.
    #[track_caller]
    pub fn stack(parts: &[Tensor<T>]) -> Self {
        let first = parts.first().expect("stack: no tensors given");
        let mut data = Vec::with_capacity(first.len() * parts.len());
        for p in parts {
            if p.shape != first.shape {
                shape_mismatch("stack", &first.shape, &p.shape);
            }
            data.extend(p.to_vec());
        }
        let mut dims = vec![parts.len()];
        dims.extend_from_slice(&first.shape);
        Self::from_vec(data, dims)
    }

    /// Applies `f` to every element, producing a new contiguous tensor of another element type.
    pub fn map_to<U: Copy>(&self, mut f: impl FnMut(T) -> U) -> Tensor<U> {
        let data: Vec<U> = match self.try_as_slice() {
            Some(s) => s.iter().map(|&x| f(x)).collect(),
            None => self.to_vec().into_iter().map(f).collect(),
        };
        Tensor::from_vec(data, self.shape)
    }

    pub(crate) fn raw_parts(&self) -> (&[T], &[isize], usize) {
        (&self.storage, &self.strides, self.offset)
    }
}

impl<T: Copy + fmt::Debug> fmt::Debug for Tensor<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let data = self.to_vec();
        let shown = &data[..data.len().min(16)];
        write!(f, "Tensor(shape={:?}, data={shown:?}", self.shape)?;
        if data.len() > shown.len() {
            write!(f, " …{} more", data.len() - shown.len())?;
        }
        write!(f, ")")
    }
}

impl<T: Copy + PartialEq> PartialEq for Tensor<T> {
    fn eq(&self, other: &Self) -> bool {
        self.shape == other.shape && self.to_vec() == other.to_vec()
    }
}

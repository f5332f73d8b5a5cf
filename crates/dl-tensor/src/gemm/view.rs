//! Strided matrix views handed to [`gemm`](super::gemm).

/// A read-only `rows × cols` matrix inside a slice, element `(i, j)` at
/// `offset + i·row_stride + j·col_stride`.
#[derive(Clone, Copy, Debug)]
pub struct MatRef<'a, T> {
    data: &'a [T],
    offset: usize,
    rows: usize,
    cols: usize,
    row_stride: isize,
    col_stride: isize,
}

/// A mutable `rows × cols` matrix inside a slice; see [`MatRef`]. Distinct `(i, j)` must address
/// distinct elements (no zero or overlapping strides).
#[derive(Debug)]
pub struct MatMut<'a, T> {
    data: &'a mut [T],
    offset: usize,
    rows: usize,
    cols: usize,
    row_stride: isize,
    col_stride: isize,
}

/// Checks that every element of the view lies inside a slice of `len` elements.
#[track_caller]
fn check_bounds(
    what: &str,
    len: usize,
    offset: usize,
    rows: usize,
    cols: usize,
    rs: isize,
    cs: isize,
) {
    if rows == 0 || cols == 0 {
        return;
    }
    let reach = |dim: usize, stride: isize| (dim as isize - 1) * stride;
    let (r, c) = (reach(rows, rs), reach(cols, cs));
    let lo = offset as isize + r.min(0) + c.min(0);
    let hi = offset as isize + r.max(0) + c.max(0);
    assert!(
        lo >= 0 && (hi as usize) < len,
        "{what}: a {rows}×{cols} view with offset {offset} and strides ({rs}, {cs}) reaches \
         elements {lo}..={hi} of a slice of {len}"
    );
}

macro_rules! common {
    () => {
        /// Number of rows.
        pub fn rows(&self) -> usize {
            self.rows
        }
        /// Number of columns.
        pub fn cols(&self) -> usize {
            self.cols
        }
        /// `[rows, cols]`.
        pub fn shape(&self) -> [usize; 2] {
            [self.rows, self.cols]
        }
        /// Row stride in elements.
        pub fn row_stride(&self) -> isize {
            self.row_stride
        }
        /// Column stride in elements.
        pub fn col_stride(&self) -> isize {
            self.col_stride
        }
        /// Offset of element `(0, 0)` in the slice.
        pub fn offset(&self) -> usize {
            self.offset
        }
        #[inline]
        fn index(&self, i: usize, j: usize) -> usize {
            (self.offset as isize + i as isize * self.row_stride + j as isize * self.col_stride)
                as usize
        }
        /// Element `(i, j)`.
        #[inline]
        pub fn at(&self, i: usize, j: usize) -> T {
            self.data[self.index(i, j)]
        }
    };
}

impl<'a, T: Copy> MatRef<'a, T> {
    /// A view with explicit offset and strides.
    ///
    /// # Panics
    /// If an element of the view falls outside `data`.
    #[track_caller]
    pub fn new(
        data: &'a [T],
        offset: usize,
        rows: usize,
        cols: usize,
        row_stride: isize,
        col_stride: isize,
    ) -> Self {
        check_bounds(
            "MatRef::new",
            data.len(),
            offset,
            rows,
            cols,
            row_stride,
            col_stride,
        );
        MatRef {
            data,
            offset,
            rows,
            cols,
            row_stride,
            col_stride,
        }
    }

    /// A dense row-major `rows × cols` view.
    #[track_caller]
    pub fn row_major(data: &'a [T], rows: usize, cols: usize) -> Self {
        Self::new(data, 0, rows, cols, cols as isize, 1)
    }

    /// The transposed view (no copy).
    pub fn t(self) -> Self {
        MatRef {
            rows: self.cols,
            cols: self.rows,
            row_stride: self.col_stride,
            col_stride: self.row_stride,
            ..self
        }
    }

    /// The underlying slice.
    pub fn data(&self) -> &'a [T] {
        self.data
    }

    /// A pointer to element `(0, 0)` (to the slice's start when the view is empty).
    pub(crate) fn base_ptr(&self) -> *const T {
        let offset = if self.rows * self.cols == 0 {
            0
        } else {
            self.offset
        };
        // SAFETY: the constructor checked that every element lies inside the slice, so the
        // offset of a non-empty view is in bounds.
        unsafe { self.data.as_ptr().add(offset) }
    }

    common!();
}

impl<'a, T: Copy> MatMut<'a, T> {
    /// A mutable view with explicit offset and strides.
    ///
    /// # Panics
    /// If an element falls outside `data`, or a stride is zero on an axis longer than 1.
    #[track_caller]
    pub fn new(
        data: &'a mut [T],
        offset: usize,
        rows: usize,
        cols: usize,
        row_stride: isize,
        col_stride: isize,
    ) -> Self {
        check_bounds(
            "MatMut::new",
            data.len(),
            offset,
            rows,
            cols,
            row_stride,
            col_stride,
        );
        assert!(
            !(rows > 1 && row_stride == 0 || cols > 1 && col_stride == 0),
            "MatMut::new: zero stride on an axis of length > 1 (rows {rows}, cols {cols}, strides ({row_stride}, {col_stride}))"
        );
        MatMut {
            data,
            offset,
            rows,
            cols,
            row_stride,
            col_stride,
        }
    }

    /// A dense row-major `rows × cols` view.
    #[track_caller]
    pub fn row_major(data: &'a mut [T], rows: usize, cols: usize) -> Self {
        Self::new(data, 0, rows, cols, cols as isize, 1)
    }

    /// Sets element `(i, j)`.
    #[inline]
    pub fn set(&mut self, i: usize, j: usize, v: T) {
        let idx = self.index(i, j);
        self.data[idx] = v;
    }

    /// The underlying slice.
    pub fn data_mut(&mut self) -> &mut [T] {
        self.data
    }

    /// Reborrows the view.
    pub fn rb(&mut self) -> MatMut<'_, T> {
        MatMut {
            data: &mut *self.data,
            offset: self.offset,
            rows: self.rows,
            cols: self.cols,
            row_stride: self.row_stride,
            col_stride: self.col_stride,
        }
    }

    common!();
}

/// A read-only `rows × cols` matrix whose element `(i, j)` is `data[row_offsets[i] +
/// col_offsets[j]]`: a matrix that is not stored anywhere, read from another layout through two
/// offset tables. The column matrix of a convolution is one: with row `(n, oy, ox)` at offset
/// `n·C·H·W + oy·s·W + ox·s` and column `(c, ky, kx)` at `c·H·W + ky·W + kx` of a batch of
/// zero-padded images, [`gemm_indexed`](super::gemm_indexed) multiplies it without im2col
/// writing it out (an *implicit GEMM*).
#[derive(Clone, Copy, Debug)]
pub struct IndexedRef<'a, T> {
    data: &'a [T],
    row_offsets: &'a [usize],
    col_offsets: &'a [usize],
}

impl<'a, T> IndexedRef<'a, T> {
    /// The matrix with element `(i, j)` at `data[row_offsets[i] + col_offsets[j]]`.
    ///
    /// # Panics
    /// If some element lies outside `data`.
    #[track_caller]
    pub fn new(data: &'a [T], row_offsets: &'a [usize], col_offsets: &'a [usize]) -> Self {
        let reach = |offsets: &[usize]| offsets.iter().copied().max();
        if let (Some(r), Some(c)) = (reach(row_offsets), reach(col_offsets)) {
            assert!(
                r.checked_add(c).is_some_and(|last| last < data.len()),
                "IndexedRef::new: a {}×{} matrix reaches element {r} + {c} of a slice of {}",
                row_offsets.len(),
                col_offsets.len(),
                data.len()
            );
        }
        IndexedRef {
            data,
            row_offsets,
            col_offsets,
        }
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.row_offsets.len()
    }

    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.col_offsets.len()
    }

    /// `[rows, cols]`.
    pub fn shape(&self) -> [usize; 2] {
        [self.rows(), self.cols()]
    }

    /// The slice the elements are read from.
    pub fn data(&self) -> &'a [T] {
        self.data
    }

    /// The offset of each row's first element.
    pub fn row_offsets(&self) -> &'a [usize] {
        self.row_offsets
    }

    /// The offset of each column within a row.
    pub fn col_offsets(&self) -> &'a [usize] {
        self.col_offsets
    }
}

impl<T: Copy> IndexedRef<'_, T> {
    /// Element `(i, j)`.
    ///
    /// # Panics
    /// If `(i, j)` is out of bounds.
    #[track_caller]
    pub fn get(&self, i: usize, j: usize) -> T {
        self.data[self.row_offsets[i] + self.col_offsets[j]]
    }
}

//! Shapes and strides stored inline, so cloning a tensor never allocates.

use std::fmt;
use std::ops::Deref;

/// The largest rank a tensor may have.
pub const MAX_DIMS: usize = 6;

/// A tensor's dimensions, stored inline (no heap allocation).
///
/// Dereferences to `&[usize]`, so `shape[0]`, `shape.len()` and `shape.iter()` work.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Shape {
    dims: [usize; MAX_DIMS],
    rank: u8,
}

impl Shape {
    /// Builds a shape from a slice of dimensions.
    ///
    /// # Panics
    /// If `dims` has more than [`MAX_DIMS`] entries.
    #[track_caller]
    pub fn new(dims: &[usize]) -> Self {
        assert!(
            dims.len() <= MAX_DIMS,
            "Shape::new: rank {} exceeds the maximum of {MAX_DIMS} (dims {dims:?})",
            dims.len()
        );
        let mut out = Shape {
            dims: [0; MAX_DIMS],
            rank: dims.len() as u8,
        };
        out.dims[..dims.len()].copy_from_slice(dims);
        out
    }

    /// The number of elements: the product of the dimensions (1 for rank 0, 0 when any
    /// dimension is 0, however large the others).
    ///
    /// # Panics
    /// If the product of non-zero dimensions overflows `usize` (no such tensor can exist).
    #[track_caller]
    pub fn numel(&self) -> usize {
        if self.contains(&0) {
            return 0;
        }
        self.iter()
            .try_fold(1usize, |acc, &d| acc.checked_mul(d))
            .unwrap_or_else(|| panic!("shape {:?} has more elements than fit in usize", &**self))
    }

    /// The C-order (row-major) strides of a contiguous tensor of this shape. For an empty
    /// tensor the strides address nothing, so they saturate instead of overflowing (the IDX
    /// fuzzer found `4×4×0×2²⁷×2¹⁸×2¹⁸`).
    pub fn contiguous_strides(&self) -> Strides {
        let mut strides = Strides::zeros(self.len());
        let mut acc = 1isize;
        for axis in (0..self.len()).rev() {
            strides.0[axis] = acc;
            acc = acc.saturating_mul(isize::try_from(self.dims[axis]).unwrap_or(isize::MAX));
        }
        strides
    }
}

impl Deref for Shape {
    type Target = [usize];
    fn deref(&self) -> &[usize] {
        &self.dims[..self.rank as usize]
    }
}

impl fmt::Debug for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", &**self)
    }
}

impl From<&[usize]> for Shape {
    fn from(dims: &[usize]) -> Self {
        Shape::new(dims)
    }
}

impl From<&Vec<usize>> for Shape {
    fn from(dims: &Vec<usize>) -> Self {
        Shape::new(dims)
    }
}

impl From<Vec<usize>> for Shape {
    fn from(dims: Vec<usize>) -> Self {
        Shape::new(&dims)
    }
}

impl<const N: usize> From<[usize; N]> for Shape {
    fn from(dims: [usize; N]) -> Self {
        Shape::new(&dims)
    }
}

impl<const N: usize> From<&[usize; N]> for Shape {
    fn from(dims: &[usize; N]) -> Self {
        Shape::new(dims)
    }
}

/// Element strides of a tensor, one per axis, stored inline. May be zero (broadcast) or negative.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Strides([isize; MAX_DIMS], u8);

impl Strides {
    /// `rank` zero strides.
    pub fn zeros(rank: usize) -> Self {
        Strides([0; MAX_DIMS], rank as u8)
    }

    /// Builds strides from a slice.
    ///
    /// # Panics
    /// If `strides` has more than [`MAX_DIMS`] entries.
    #[track_caller]
    pub fn new(strides: &[isize]) -> Self {
        assert!(
            strides.len() <= MAX_DIMS,
            "Strides::new: rank {} exceeds {MAX_DIMS}",
            strides.len()
        );
        let mut out = Strides::zeros(strides.len());
        out.0[..strides.len()].copy_from_slice(strides);
        out
    }

    /// Mutable access to the strides.
    pub fn as_mut_slice(&mut self) -> &mut [isize] {
        &mut self.0[..self.1 as usize]
    }
}

impl Deref for Strides {
    type Target = [isize];
    fn deref(&self) -> &[isize] {
        &self.0[..self.1 as usize]
    }
}

impl fmt::Debug for Strides {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", &**self)
    }
}

/// The NumPy broadcast of two shapes, or `None` when they are incompatible.
pub fn broadcast_shapes(a: &[usize], b: &[usize]) -> Option<Shape> {
    let rank = a.len().max(b.len());
    let mut dims = [0usize; MAX_DIMS];
    for i in 0..rank {
        let da = if i < rank - a.len() {
            1
        } else {
            a[i - (rank - a.len())]
        };
        let db = if i < rank - b.len() {
            1
        } else {
            b[i - (rank - b.len())]
        };
        dims[i] = match (da, db) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => return None,
        };
    }
    Some(Shape::new(&dims[..rank]))
}

/// Panics with a message naming the operation and both shapes.
#[cold]
#[track_caller]
pub fn shape_mismatch(op: &str, a: &[usize], b: &[usize]) -> ! {
    panic!("{op}: shape mismatch between {a:?} and {b:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcast_follows_numpy() {
        assert_eq!(&*broadcast_shapes(&[3, 1], &[4]).unwrap(), &[3, 4]);
        assert_eq!(&*broadcast_shapes(&[2, 3, 4], &[3, 1]).unwrap(), &[2, 3, 4]);
        assert_eq!(&*broadcast_shapes(&[], &[5]).unwrap(), &[5]);
        assert!(broadcast_shapes(&[3], &[4]).is_none());
    }

    #[test]
    fn an_empty_shape_with_huge_dimensions_neither_overflows_nor_panics() {
        // Found by the IDX fuzzer: a zero dimension before three large ones.
        let shape = Shape::new(&[4, 4, 0, 1 << 27, 1 << 18, 1 << 18]);
        assert_eq!(shape.numel(), 0);
        assert_eq!(Shape::new(&[1 << 40, 1 << 40, 0]).numel(), 0);
        let strides = shape.contiguous_strides();
        assert_eq!(strides.0[5], 1);
        assert_eq!(strides.0[4], 1 << 18);
        let t = crate::Tensor::<f32>::zeros(shape);
        assert_eq!(t.to_vec(), Vec::<f32>::new());
    }

    #[test]
    #[should_panic(expected = "more elements than fit in usize")]
    fn a_shape_too_large_for_memory_is_named() {
        Shape::new(&[1 << 40, 1 << 40]).numel();
    }

    #[test]
    fn contiguous_strides_are_row_major() {
        assert_eq!(&*Shape::new(&[2, 3, 4]).contiguous_strides(), &[12, 4, 1]);
        assert_eq!(Shape::new(&[]).numel(), 1);
    }
}

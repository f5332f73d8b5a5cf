//! Strided iteration: visits every element of one or more equally shaped strided views in
//! logical (row-major) order, with a tight inner loop over the last axis.

/// Calls `f` with the storage offsets of each operand, for every index of `shape` in row-major
/// order. `strides[k]` and `offsets[k]` describe operand `k`.
#[inline]
pub(crate) fn walk<const K: usize>(
    shape: &[usize],
    strides: [&[isize]; K],
    offsets: [usize; K],
    mut f: impl FnMut([usize; K]),
) {
    if shape.contains(&0) {
        return;
    }
    if shape.is_empty() {
        f(offsets);
        return;
    }
    let rank = shape.len();
    let last = rank - 1;
    let inner = shape[last];
    let mut index = [0usize; crate::MAX_DIMS];
    let mut base = offsets.map(|o| o as isize);
    loop {
        let mut pos = base;
        for _ in 0..inner {
            f(pos.map(|p| p as usize));
            for k in 0..K {
                pos[k] += strides[k][last];
            }
        }
        // Advance the outer index (all axes but the last), carrying as needed.
        let mut axis = last;
        loop {
            if axis == 0 {
                return;
            }
            axis -= 1;
            index[axis] += 1;
            for k in 0..K {
                base[k] += strides[k][axis];
            }
            if index[axis] < shape[axis] {
                break;
            }
            for k in 0..K {
                base[k] -= strides[k][axis] * shape[axis] as isize;
            }
            index[axis] = 0;
        }
    }
}

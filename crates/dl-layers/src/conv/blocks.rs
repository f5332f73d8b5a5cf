//! The pieces of the block-wise [`Convolution`](crate::Convolution): how a batch is cut into
//! blocks and groups, each thread's block buffers, and the sums and transposes between them.

use dl_tensor::{Float, for_each_chunk_mut};

use super::shape::Geometry;

/// The sum of `values` in 16 interleaved partial sums, added pairwise at the end: one running
/// sum would make every addition wait for the one before.
pub(crate) fn sum_in_lanes<T: Float>(values: &[T]) -> T {
    const LANES: usize = 16;
    let mut lanes = [T::zero(); LANES];
    let chunks = values.chunks_exact(LANES);
    let tail = chunks.remainder();
    for chunk in chunks {
        for (lane, &v) in lanes.iter_mut().zip(chunk) {
            *lane += v;
        }
    }
    for (lane, &v) in lanes.iter_mut().zip(tail) {
        *lane += v;
    }
    let mut width = LANES;
    while width > 1 {
        width /= 2;
        for i in 0..width {
            let upper = lanes[i + width];
            lanes[i] += upper;
        }
    }
    lanes[0]
}

/// Bytes of column matrix one block of samples may take: small enough that a block's column
/// matrix, its product and GEMM's packed copies stay in one core's L2 cache instead of the whole
/// batch's columns going through memory (measurements in BENCHMARKS.md).
pub(crate) const BLOCK_BYTES: usize = 512 * 1024;

/// The most groups backward splits a batch into for the weight gradient. Each group sums its
/// blocks on one thread; the groups' sums are then added in order, so `dW` does not depend on
/// the thread count. Bounds the memory of the partial sums and the parallelism of that pass.
pub(crate) const MAX_GROUPS: usize = 16;

/// The fewest rows of the column matrix a weight-gradient group should hold: adding a group's
/// partial `dW` into the total reads as many elements as it has, so a group must be long enough
/// for its GEMM to outweigh that (a batch of fewer rows is one group, whose GEMMs use the
/// threads themselves).
pub(crate) const MIN_GROUP_ROWS: usize = 2048;

/// Adds the `groups` parts of `part_len` elements of `parts` into the first, in group order
/// (in parallel over elements, so the sums do not depend on the thread count).
pub(crate) fn sum_parts<T: Float>(parts: &mut [T], groups: usize, part_len: usize) {
    if groups < 2 || part_len == 0 {
        return;
    }
    let (total, rest) = parts[..groups * part_len].split_at_mut(part_len);
    let rest = &*rest;
    for_each_chunk_mut(total, SUM_CHUNK, |i, acc| {
        let range = i * SUM_CHUNK..i * SUM_CHUNK + acc.len();
        for part in rest.chunks_exact(part_len) {
            for (a, &v) in acc.iter_mut().zip(&part[range.clone()]) {
                *a += v;
            }
        }
    });
}

/// Elements per task when [`sum_parts`] adds the parts.
const SUM_CHUNK: usize = 1 << 14;

/// Samples per block: as many as fit [`BLOCK_BYTES`] of column matrix, at least one. Depends on
/// the geometry and `T` only, so blocks (and results) do not depend on the thread count.
pub(crate) fn samples_per_block<T>(g: &Geometry) -> usize {
    (BLOCK_BYTES / column_bytes_per_sample::<T>(g).max(1)).clamp(1, g.n.max(1))
}

/// Bytes of one sample's column matrix, `OH·OW × C·FH·FW` elements of `T`.
pub(crate) fn column_bytes_per_sample<T>(g: &Geometry) -> usize {
    g.positions() * g.row_len() * std::mem::size_of::<T>()
}

/// One thread's buffers for a block of samples.
pub(crate) struct Scratch<T> {
    /// The block's transposed column matrix `(C·FH·FW, rows)` (unused by forward's implicit
    /// GEMM); one sample's `dcolᵀ` `(C·FH·FW, OH·OW)` in backward's second pass.
    pub(crate) col: Vec<T>,
    /// `col · Wᵀ` in forward; the upstream gradient as rows `(rows, FN)` in backward.
    pub(crate) work: Vec<T>,
    /// The block's zero-padded images, for im2col (see [`Geometry::im2col_via_padded`]) or for
    /// forward's implicit GEMM; one sample's padded `dx` for col2im.
    pub(crate) padded: Vec<T>,
}

impl<T> Default for Scratch<T> {
    fn default() -> Self {
        Scratch {
            col: Vec::new(),
            work: Vec::new(),
            padded: Vec::new(),
        }
    }
}

impl<T: Float> Scratch<T> {
    /// Makes room in every element of `scratch` for a `col` of `col_len`, a `work` of
    /// `work_len` and a `padded` of `padded_len` elements: a block may land on any thread's
    /// scratch, so each must hold the largest for a warm pass to allocate nothing.
    pub(crate) fn reserve_all(
        scratch: &mut [Self],
        col_len: usize,
        work_len: usize,
        padded_len: usize,
    ) {
        for s in scratch {
            s.col.reserve(col_len.saturating_sub(s.col.len()));
            s.work.reserve(work_len.saturating_sub(s.work.len()));
            s.padded.reserve(padded_len.saturating_sub(s.padded.len()));
        }
    }

    /// im2col of `images` (whole samples `(C, H, W)`) into `col`, transposed: the column matrix
    /// `(C·FH·FW, rows)`, the samples side by side.
    pub(crate) fn im2col_block(&mut self, g: &Geometry, images: &[T], rows: usize) {
        let (positions, image_len) = (g.positions(), g.image_len());
        resize(&mut self.col, g.row_len() * rows);
        if image_len == 0 {
            return;
        }
        if g.im2col_via_padded() {
            let padded = g.padded(images, &mut self.padded);
            for (i, sample) in padded.chunks_exact(g.padded_len()).enumerate() {
                g.im2col_transposed_padded(sample, &mut self.col[i * positions..], rows);
            }
            return;
        }
        for (i, image) in images.chunks_exact(image_len).enumerate() {
            g.im2col_transposed(image, &mut self.col[i * positions..], rows);
        }
    }

    /// Lays out the upstream gradient `d` of whole samples `(FN, OH·OW)` as rows `(n·OH·OW, FN)`
    /// in `work`.
    pub(crate) fn gather_rows(&mut self, d: &[T], fnum: usize, positions: usize) {
        resize(&mut self.work, d.len());
        if fnum == 0 {
            return;
        }
        for (rows_i, d_i) in self
            .work
            .chunks_exact_mut(positions * fnum)
            .zip(d.chunks_exact(fnum * positions))
        {
            transpose(d_i, fnum, positions, rows_i, |_, v| v);
        }
    }
}

/// `dst[c·rows + r] = f(c, src[r·cols + c])`: the transpose of the `rows×cols` matrix `src`,
/// tile by tile, so that reads and writes both stay within a few cache lines (a plain loop
/// reads or writes one element per line, and lines a power of two apart share cache sets).
pub(crate) fn transpose<T: Float>(
    src: &[T],
    rows: usize,
    cols: usize,
    dst: &mut [T],
    f: impl Fn(usize, T) -> T,
) {
    const TILE: usize = 16;
    for r0 in (0..rows).step_by(TILE) {
        let r1 = (r0 + TILE).min(rows);
        for c0 in (0..cols).step_by(TILE) {
            let c1 = (c0 + TILE).min(cols);
            if r1 - r0 == TILE && c1 - c0 == TILE {
                // A whole tile: its rows read whole into a block, its columns written whole.
                let mut block = [[T::zero(); TILE]; TILE];
                for (r, line) in block.iter_mut().enumerate() {
                    line.copy_from_slice(&src[(r0 + r) * cols + c0..][..TILE]);
                }
                for c in 0..TILE {
                    let dst_row = &mut dst[(c0 + c) * rows + r0..][..TILE];
                    for (d, line) in dst_row.iter_mut().zip(&block) {
                        *d = f(c0 + c, line[c]);
                    }
                }
                continue;
            }
            for c in c0..c1 {
                let dst_row = &mut dst[c * rows..][r0..r1];
                for (r, d) in (r0..r1).zip(dst_row) {
                    *d = f(c, src[r * cols + c]);
                }
            }
        }
    }
}

/// Sets `buf`'s length to `len`, reusing its capacity (new elements are zero; the caller
/// overwrites them all).
pub(crate) fn resize<T: Float>(buf: &mut Vec<T>, len: usize) {
    buf.resize(len, T::zero());
}

#[cfg(test)]
mod tests {
    use super::{sum_in_lanes, sum_parts, transpose};

    #[test]
    fn sums_in_lanes_every_element_once() {
        for len in [0usize, 1, 15, 16, 17, 37, 100] {
            let values: Vec<f64> = (0..len).map(|i| i as f64).collect();
            let want = (len * len.saturating_sub(1) / 2) as f64;
            assert_eq!(sum_in_lanes(&values), want, "{len} values");
        }
    }

    #[test]
    fn transposes_across_tile_edges() {
        // 20×37 crosses the 16×16 tiles' edges in both directions.
        let (rows, cols) = (20, 37);
        let src: Vec<f64> = (0..rows * cols).map(|i| i as f64).collect();
        let mut dst = vec![f64::NAN; rows * cols];
        transpose(&src, rows, cols, &mut dst, |c, v| v + 1000.0 * c as f64);
        for r in 0..rows {
            for c in 0..cols {
                assert_eq!(dst[c * rows + r], src[r * cols + c] + 1000.0 * c as f64);
            }
        }
    }

    #[test]
    fn sums_the_parts_into_the_first() {
        let mut parts = vec![1.0, 2.0, 10.0, 20.0, 100.0, 200.0, -7.0];
        sum_parts(&mut parts, 3, 2);
        assert_eq!(&parts[..2], &[111.0, 222.0]);
        assert_eq!(parts[6], -7.0, "elements past the parts stay");
    }
}

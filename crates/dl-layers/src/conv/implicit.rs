//! The column matrix without writing it: im2col as two offset tables over zero-padded images,
//! multiplied in place by [`gemm_indexed`](dl_tensor::gemm::gemm_indexed) (an implicit GEMM).
//!
//! Element `((n, oy, ox), (c, ky, kx))` of the column matrix is pixel
//! `(c, oy·stride + ky, ox·stride + kx)` of padded sample `n`: the sum of a row offset
//! (the window's corner, [`Geometry::window_starts`]) and a column offset (the element within
//! the window, [`Geometry::window_offsets`]). Padding is read as the zeros around each padded
//! image, so every element is the one im2col would have written.

use dl_tensor::Float;

use super::im2col_transposed::copy_run;
use super::shape::Geometry;

impl Geometry {
    /// Height and width of an image with its padding.
    pub(crate) fn padded_hw(&self) -> (usize, usize) {
        (self.h + 2 * self.pad, self.w + 2 * self.pad)
    }

    /// Elements of one padded sample: `C·(H + 2·pad)·(W + 2·pad)`.
    pub(crate) fn padded_len(&self) -> usize {
        let (hp, wp) = self.padded_hw();
        self.c * hp * wp
    }

    /// The offset of window element `(c, ky, kx)` from the window's corner in a padded sample,
    /// for every column of the column matrix.
    pub(crate) fn window_offsets(&self, offsets: &mut Vec<usize>) {
        let (hp, wp) = self.padded_hw();
        offsets.clear();
        for c in 0..self.c {
            for ky in 0..self.fh {
                offsets.extend((0..self.fw).map(|kx| (c * hp + ky) * wp + kx));
            }
        }
    }

    /// The offset of the corner of window `(n, oy, ox)` in a block of `samples` padded samples,
    /// for every row of the block's column matrix.
    pub(crate) fn window_starts(&self, samples: usize, starts: &mut Vec<usize>) {
        let (s, wp) = (self.stride, self.padded_hw().1);
        starts.clear();
        for n in 0..samples {
            for oy in 0..self.oh {
                let line = n * self.padded_len() + oy * s * wp;
                starts.extend((0..self.ow).map(|ox| line + ox * s));
            }
        }
    }

    /// `images` (whole samples `(C, H, W)`) with their zero padding: `images` itself without
    /// padding, else a copy in `buf`.
    pub(crate) fn padded<'a, T: Float>(&self, images: &'a [T], buf: &'a mut Vec<T>) -> &'a [T] {
        if self.pad == 0 {
            return images;
        }
        let (hp, wp, p) = (self.padded_hw().0, self.padded_hw().1, self.pad);
        let planes = images.len() / (self.h * self.w).max(1);
        buf.resize(planes * hp * wp, T::zero());
        if self.h * self.w == 0 {
            return buf;
        }
        for (plane, padded) in images
            .chunks_exact(self.h * self.w)
            .zip(buf.chunks_exact_mut(hp * wp))
        {
            let (top, rest) = padded.split_at_mut(p * wp);
            let (middle, bottom) = rest.split_at_mut(self.h * wp);
            top.fill(T::zero());
            bottom.fill(T::zero());
            for (line, out) in plane.chunks_exact(self.w).zip(middle.chunks_exact_mut(wp)) {
                out[..p].fill(T::zero());
                copy_run(&mut out[p..p + self.w], line);
                out[p + self.w..].fill(T::zero());
            }
        }
        buf
    }
}

#[cfg(test)]
mod tests {
    use crate::conv::shape::Geometry;
    use dl_tensor::gemm::IndexedRef;

    #[test]
    fn the_tables_read_every_element_im2col_writes() {
        for (h, w, f, stride, pad) in [
            (5, 5, 3, 1, 1),
            (6, 4, 2, 2, 0),
            (7, 6, 3, 2, 2),
            (4, 4, 1, 3, 1),
        ] {
            let g = Geometry::new([2, 3, h, w], f, f, stride, pad);
            let images: Vec<f64> = (0..2 * g.image_len()).map(|i| i as f64 + 1.0).collect();
            let (mut buf, mut cols, mut rows) = (Vec::new(), Vec::new(), Vec::new());
            let padded = g.padded(&images, &mut buf);
            assert_eq!(padded.len(), 2 * g.padded_len());
            g.window_offsets(&mut cols);
            g.window_starts(2, &mut rows);
            let a = IndexedRef::new(padded, &rows, &cols);
            let (p, ckk) = (g.positions(), g.row_len());
            let mut col_t = vec![f64::NAN; ckk * 2 * p];
            for (i, image) in images.chunks_exact(g.image_len()).enumerate() {
                g.im2col_transposed(image, &mut col_t[i * p..], 2 * p);
            }
            for r in 0..2 * p {
                for k in 0..ckk {
                    assert_eq!(
                        a.get(r, k),
                        col_t[k * 2 * p + r],
                        "{g:?}: row {r}, column {k}"
                    );
                }
            }
        }
    }
}

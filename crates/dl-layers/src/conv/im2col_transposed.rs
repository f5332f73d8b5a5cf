//! im2col and col2im of one sample, transposed: the column matrix `(C·FH·FW, OH·OW)` that
//! [`Convolution`](crate::Convolution) multiplies, and its adjoint.
//!
//! Row `(c, ky, kx)` holds, for every output position, the input pixel the window's element
//! `(c, ky, kx)` sits on (zero in the padding): the transpose of a sample's
//! [`im2col`](super::im2col()) rows. For each output row `oy` that pixel run is one input line
//! read with the stride, so with stride 1 im2col copies whole lines and col2im adds whole lines,
//! instead of one `FW`-element window line per output position.

use dl_tensor::Float;

use super::shape::Geometry;

impl Geometry {
    /// Output columns `lo..hi` whose input column `ox·stride + kx − pad` lies inside the image
    /// (the others read padding).
    #[inline]
    fn inside_columns(&self, kx: usize) -> std::ops::Range<usize> {
        inside(kx, self.stride, self.pad, self.w, self.ow)
    }

    /// Output rows `lo..hi` whose input line `oy·stride + ky − pad` lies inside the image.
    #[inline]
    fn inside_rows(&self, ky: usize) -> std::ops::Range<usize> {
        inside(ky, self.stride, self.pad, self.h, self.oh)
    }

    /// Whether a shifted copy of a whole channel plane is a row of the transposed column
    /// matrix (up to its padding): stride 1 and an output as wide as the input, as in a
    /// "same" convolution.
    fn plane_shifts(&self) -> bool {
        self.stride == 1 && self.ow == self.w
    }

    /// Calls `f(row, rows, cols, src)` for every row `(c, ky, kx)` of the transposed column
    /// matrix: the output rows `rows` and columns `cols` read the image (the rest is padding),
    /// and output position `(rows.start, cols.start)` reads image element `src`.
    #[inline]
    fn for_each_row(
        &self,
        mut f: impl FnMut(usize, std::ops::Range<usize>, std::ops::Range<usize>, usize),
    ) {
        let s = self.stride;
        for c in 0..self.c {
            for ky in 0..self.fh {
                let rows = self.inside_rows(ky);
                for kx in 0..self.fw {
                    let row = (c * self.fh + ky) * self.fw + kx;
                    let cols = self.inside_columns(kx);
                    if rows.is_empty() || cols.is_empty() {
                        f(row, 0..0, 0..0, 0);
                        continue;
                    }
                    let iy = rows.start * s + ky - self.pad;
                    let ix = cols.start * s + kx - self.pad;
                    f(row, rows.clone(), cols, (c * self.h + iy) * self.w + ix);
                }
            }
        }
    }

    /// im2col of one sample `image` `(C, H, W)`, written transposed: row `r`
    /// starts at `col_t[r·row_stride]` and holds `OH·OW` elements, every one written (zeros
    /// for padding). `row_stride ≥ OH·OW` lets several samples share the rows side by side.
    pub(crate) fn im2col_transposed<T: Float>(
        &self,
        image: &[T],
        col_t: &mut [T],
        row_stride: usize,
    ) {
        let (ow, s, w) = (self.ow, self.stride, self.w);
        self.for_each_row(|row, rows, cols, src| {
            let out = &mut col_t[row * row_stride..][..self.positions()];
            if rows.is_empty() {
                out.fill(T::zero());
                return;
            }
            out[..rows.start * ow].fill(T::zero());
            out[rows.end * ow..].fill(T::zero());
            if self.plane_shifts() {
                // One copy from the first inside position to the last; the positions in
                // between that read past a line's end are padding, zeroed after.
                let (first, last) = (rows.start * ow + cols.start, (rows.end - 1) * ow + cols.end);
                out[first..last].copy_from_slice(&image[src..src + last - first]);
                for oy in rows {
                    zero_padding(&mut out[oy * ow..(oy + 1) * ow], &cols);
                }
                return;
            }
            for (k, oy) in rows.enumerate() {
                let line = &mut out[oy * ow..(oy + 1) * ow];
                zero_padding(line, &cols);
                let (line, from) = (&mut line[cols.clone()], &image[src + k * s * w..]);
                if s == 1 {
                    line.copy_from_slice(&from[..line.len()]);
                } else {
                    for (o, &v) in line.iter_mut().zip(from.iter().step_by(s)) {
                        *o = v;
                    }
                }
            }
        });
    }

    /// The adjoint of [`Geometry::im2col_transposed`]: overwrites `image` `(C, H, W)` with every
    /// element of `col_t` added back onto the pixel it was read from (padding dropped). The
    /// padding elements of `col_t` may be overwritten with zeros.
    pub(crate) fn col2im_transposed<T: Float>(
        &self,
        col_t: &mut [T],
        row_stride: usize,
        image: &mut [T],
    ) {
        image.fill(T::zero());
        let (ow, s, w) = (self.ow, self.stride, self.w);
        self.for_each_row(|row, rows, cols, src| {
            if rows.is_empty() {
                return;
            }
            let grad = &mut col_t[row * row_stride..][..self.positions()];
            if self.plane_shifts() {
                // One sum over the span, with the padding positions inside it zeroed first.
                for oy in rows.clone() {
                    zero_padding(&mut grad[oy * ow..(oy + 1) * ow], &cols);
                }
                let (first, last) = (rows.start * ow + cols.start, (rows.end - 1) * ow + cols.end);
                for (a, &v) in image[src..src + last - first]
                    .iter_mut()
                    .zip(&grad[first..last])
                {
                    *a += v;
                }
                return;
            }
            for (k, oy) in rows.enumerate() {
                let line = &grad[oy * ow + cols.start..oy * ow + cols.end];
                let to = &mut image[src + k * s * w..];
                if s == 1 {
                    for (a, &v) in to.iter_mut().zip(line) {
                        *a += v;
                    }
                } else {
                    for (a, &v) in to.iter_mut().step_by(s).zip(line) {
                        *a += v;
                    }
                }
            }
        });
    }
}

/// The outputs `o < out_len` whose input `o·stride + k − pad` lies in `0..len`.
#[inline]
fn inside(
    k: usize,
    stride: usize,
    pad: usize,
    len: usize,
    out_len: usize,
) -> std::ops::Range<usize> {
    let (before, until) = (pad.saturating_sub(k), (len + pad).saturating_sub(k));
    let (lo, hi) = if stride == 1 {
        (before, until)
    } else {
        (before.div_ceil(stride), until.div_ceil(stride))
    };
    let (lo, hi) = (lo.min(out_len), hi.min(out_len));
    lo..hi.max(lo)
}

/// Zeros the elements of an output line outside `inside`: a few at each end, one by one (a
/// `memset` call per end costs more than the stores).
#[inline]
fn zero_padding<T: Float>(line: &mut [T], inside: &std::ops::Range<usize>) {
    let (head, rest) = line.split_at_mut(inside.start);
    for v in head.iter_mut().chain(&mut rest[inside.len()..]) {
        *v = T::zero();
    }
}

#[cfg(test)]
mod tests {
    use crate::conv::shape::Geometry;

    /// Strides 1 to 3, pads 0 to 2, square and non-square windows; those with stride 1 and an
    /// output as wide as the input (a 3×3 window with pad 1, a 1×1 or 3×1 window with pad 0)
    /// take the whole-plane path.
    fn geometries() -> Vec<Geometry> {
        let mut all = Vec::new();
        for (h, w) in [(5, 5), (6, 4), (3, 7)] {
            for (fh, fw) in [(1, 1), (3, 3), (2, 3), (3, 1)] {
                for stride in 1..=3 {
                    for pad in 0..=2 {
                        if fh <= h + 2 * pad && fw <= w + 2 * pad {
                            all.push(Geometry::new([2, 2, h, w], fh, fw, stride, pad));
                        }
                    }
                }
            }
        }
        all
    }

    fn values(len: usize, seed: usize) -> Vec<f64> {
        (0..len)
            .map(|i| ((i * 37 + seed * 11) % 23) as f64 - 11.0)
            .collect()
    }

    #[test]
    fn row_c_ky_kx_holds_the_pixel_each_window_element_sits_on() {
        for g in geometries() {
            let p = g.positions();
            let image = values(g.image_len(), 1);
            // Two samples side by side: the second half of each row is another sample's.
            let mut col_t = vec![f64::NAN; g.row_len() * 2 * p];
            g.im2col_transposed(&image, &mut col_t, 2 * p);
            for (c, ky, kx) in (0..g.c)
                .flat_map(|c| (0..g.fh).flat_map(move |ky| (0..g.fw).map(move |kx| (c, ky, kx))))
            {
                let r = (c * g.fh + ky) * g.fw + kx;
                for (oy, ox) in (0..g.oh).flat_map(|oy| (0..g.ow).map(move |ox| (oy, ox))) {
                    let iy = (oy * g.stride + ky).checked_sub(g.pad).filter(|&y| y < g.h);
                    let ix = (ox * g.stride + kx).checked_sub(g.pad).filter(|&x| x < g.w);
                    let want = match (iy, ix) {
                        (Some(iy), Some(ix)) => image[(c * g.h + iy) * g.w + ix],
                        _ => 0.0,
                    };
                    let at = r * 2 * p + oy * g.ow + ox;
                    assert_eq!(col_t[at], want, "{g:?} row {r}, position ({oy}, {ox})");
                    assert!(col_t[at + p].is_nan(), "{g:?}: wrote past its columns");
                }
            }
        }
    }

    #[test]
    fn col2im_transposed_is_the_adjoint_of_im2col_transposed() {
        // ⟨im2col(x), y⟩ = ⟨x, col2im(y)⟩ for every x, y (exact with small integers).
        for g in geometries() {
            let (p, ckk) = (g.positions(), g.row_len());
            let x = values(g.image_len(), 2);
            let y = values(ckk * p, 3);
            let mut col_t = vec![0.0; ckk * p];
            g.im2col_transposed(&x, &mut col_t, p);
            let mut summed = vec![f64::NAN; g.image_len()];
            g.col2im_transposed(&mut y.clone(), p, &mut summed);
            let lhs: f64 = col_t.iter().zip(&y).map(|(a, b)| a * b).sum();
            let rhs: f64 = x.iter().zip(&summed).map(|(a, b)| a * b).sum();
            assert_eq!(lhs, rhs, "{g:?}");
        }
    }
}

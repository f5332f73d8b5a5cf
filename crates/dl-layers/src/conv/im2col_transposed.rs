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

impl Geometry {
    /// Whether im2col goes through the zero-padded image: with stride 1 every line of a row
    /// `(c, ky, kx)` is then one run of `OW` elements of a padded line, copied whole, with no
    /// padding to work out per line. Not where a row is one shifted copy of a plane whose lines
    /// are long (a "same" convolution over 16 columns or more): one long copy is faster there
    /// (BENCHMARKS.md).
    pub(crate) fn im2col_via_padded(&self) -> bool {
        self.stride == 1 && !(self.plane_shifts() && self.ow >= 16)
    }

    /// Whether col2im sums through the zero-padded image (see
    /// [`Geometry::im2col_via_padded`]): with stride 1, except where a row is one shifted
    /// plane, summed in one pass.
    pub(crate) fn col2im_via_padded(&self) -> bool {
        self.stride == 1 && !self.plane_shifts()
    }

    /// [`Geometry::im2col_transposed`] of one sample from its zero-padded copy `padded`
    /// (`C·(H + 2·pad)·(W + 2·pad)` elements, see [`Geometry::padded`]); stride 1 only.
    pub(crate) fn im2col_transposed_padded<T: Float>(
        &self,
        padded: &[T],
        col_t: &mut [T],
        row_stride: usize,
    ) {
        debug_assert_eq!(self.stride, 1);
        let (oh, ow, wp) = (self.oh, self.ow, self.padded_hw().1);
        if ow == 0 {
            return;
        }
        self.for_each_padded_row(|row, start| {
            let out = &mut col_t[row * row_stride..][..oh * ow];
            for (line, oy) in out.chunks_exact_mut(ow).zip(0..) {
                copy_run(line, &padded[start + oy * wp..][..ow]);
            }
        });
    }

    /// The adjoint of [`Geometry::im2col_transposed_padded`]: overwrites `image` `(C, H, W)`
    /// with every element of `col_t` added back onto its pixel, summing into the padded
    /// `scratch` first; stride 1 only. Each pixel receives its terms in the order of
    /// [`Geometry::col2im_transposed`] (rows in order, lines in order), so the same bits.
    pub(crate) fn col2im_transposed_padded<T: Float>(
        &self,
        col_t: &[T],
        row_stride: usize,
        scratch: &mut Vec<T>,
        image: &mut [T],
    ) {
        debug_assert_eq!(self.stride, 1);
        let (oh, ow) = (self.oh, self.ow);
        let ((hp, wp), p) = (self.padded_hw(), self.pad);
        scratch.clear();
        scratch.resize(self.padded_len(), T::zero());
        if ow > 0 {
            self.for_each_padded_row(|row, start| {
                let grad = &col_t[row * row_stride..][..oh * ow];
                for (line, oy) in grad.chunks_exact(ow).zip(0..) {
                    add_run(&mut scratch[start + oy * wp..][..ow], line);
                }
            });
        }
        if self.w == 0 {
            return;
        }
        for (out, line) in image
            .chunks_exact_mut(self.w)
            .zip((0..self.c).flat_map(|c| (0..self.h).map(move |y| (c * hp + y + p) * wp + p)))
        {
            out.copy_from_slice(&scratch[line..][..self.w]);
        }
    }

    /// Calls `f(row, start)` for every row `(c, ky, kx)` of the transposed column matrix, where
    /// `start` is the padded-image element its output position `(0, 0)` reads.
    #[inline]
    fn for_each_padded_row(&self, mut f: impl FnMut(usize, usize)) {
        let (hp, wp) = self.padded_hw();
        for c in 0..self.c {
            for ky in 0..self.fh {
                for kx in 0..self.fw {
                    f((c * self.fh + ky) * self.fw + kx, (c * hp + ky) * wp + kx);
                }
            }
        }
    }
}

/// `dst ← src` for a short run (a line of an output plane): whole chunks of a fixed width and a
/// last chunk overlapping the one before, so that the copy is a few vector moves rather than a
/// call to `memcpy`.
#[inline]
pub(crate) fn copy_run<T: Copy>(dst: &mut [T], src: &[T]) {
    #[inline(always)]
    fn chunked<T: Copy, const N: usize>(dst: &mut [T], src: &[T]) {
        let n = dst.len();
        let mut i = 0;
        while i + N <= n {
            dst[i..i + N].copy_from_slice(&src[i..i + N]);
            i += N;
        }
        if i < n {
            dst[n - N..].copy_from_slice(&src[n - N..n]);
        }
    }
    match dst.len() {
        0..4 => {
            for (d, &v) in dst.iter_mut().zip(src) {
                *d = v;
            }
        }
        4..8 => chunked::<T, 4>(dst, src),
        8..16 => chunked::<T, 8>(dst, src),
        _ => chunked::<T, 16>(dst, src),
    }
}

/// `dst ← dst + src` element by element, in fixed-width chunks (vector additions).
#[inline]
fn add_run<T: Float>(dst: &mut [T], src: &[T]) {
    const N: usize = 8;
    let mut d = dst.chunks_exact_mut(N);
    let mut s = src.chunks_exact(N);
    for (dc, sc) in (&mut d).zip(&mut s) {
        for (a, &v) in dc.iter_mut().zip(sc) {
            *a += v;
        }
    }
    for (a, &v) in d.into_remainder().iter_mut().zip(s.remainder()) {
        *a += v;
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

#[cfg(test)]
mod padded_tests {
    use crate::conv::shape::Geometry;

    /// Stride-1 geometries: pads 0 to 3 (wider than the window too), square and non-square
    /// windows and images, outputs as wide as the input and not.
    fn stride_one() -> Vec<Geometry> {
        let mut all = Vec::new();
        for (h, w) in [(5, 5), (6, 4), (3, 7), (1, 9), (17, 18)] {
            for (fh, fw) in [(1, 1), (3, 3), (2, 3), (3, 1), (5, 5)] {
                for pad in 0..=3 {
                    if fh <= h + 2 * pad && fw <= w + 2 * pad {
                        all.push(Geometry::new([2, 3, h, w], fh, fw, 1, pad));
                    }
                }
            }
        }
        all
    }

    /// Values whose sums depend on their order (not small integers).
    fn values(len: usize, seed: u64) -> Vec<f32> {
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0
            })
            .collect()
    }

    #[test]
    fn im2col_from_the_padded_image_writes_what_im2col_writes() {
        for g in stride_one() {
            let (p, ckk) = (g.positions(), g.row_len());
            let image = values(g.image_len(), 1);
            let mut want = vec![f32::NAN; ckk * 2 * p];
            g.im2col_transposed(&image, &mut want, 2 * p);
            let mut buf = Vec::new();
            let padded = g.padded(&image, &mut buf);
            let mut got = vec![f32::NAN; ckk * 2 * p];
            g.im2col_transposed_padded(padded, &mut got, 2 * p);
            for (i, (a, b)) in want.iter().zip(&got).enumerate() {
                assert_eq!(a.to_bits(), b.to_bits(), "{g:?} element {i}");
            }
        }
    }

    #[test]
    fn col2im_through_the_padded_image_gives_the_same_bits() {
        for g in stride_one() {
            let (p, ckk) = (g.positions(), g.row_len());
            let grad = values(ckk * 2 * p, 2);
            let mut want = vec![f32::NAN; g.image_len()];
            g.col2im_transposed(&mut grad.clone(), 2 * p, &mut want);
            let mut got = vec![f32::NAN; g.image_len()];
            let mut scratch = vec![f32::NAN; 3];
            g.col2im_transposed_padded(&grad, 2 * p, &mut scratch, &mut got);
            for (i, (a, b)) in want.iter().zip(&got).enumerate() {
                assert_eq!(a.to_bits(), b.to_bits(), "{g:?} pixel {i}");
            }
        }
    }
}

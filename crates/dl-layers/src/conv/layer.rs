//! The convolution layer (cross-correlation, as the course) through `im2col` and GEMM, block by
//! block: the course's `Convolution.forward` and `Convolution.backward`.

use dl_tensor::gemm::{
    GemmOptions, IndexedRef, MatMut, MatRef, PackedLhs, PackedRhs, gemm, gemm_indexed,
    gemm_indexed_packed_rhs, gemm_packed_lhs, gemm_packed_rhs,
};
use dl_tensor::{Float, Rng, Tensor, for_each_chunk_mut, for_each_chunk_with_scratch, num_threads};

use super::blocks::{
    BLOCK_BYTES, MAX_GROUPS, MIN_GROUP_ROWS, Scratch, column_bytes_per_sample, resize,
    samples_per_block, sum_in_lanes, sum_parts, transpose,
};
use super::shape::{Geometry, conv_output_size, nchw};
use crate::check::{check_dout, input_shape_mismatch};
use crate::relu::relu;
use crate::{Init, Layer, Mode, OutputBuffer, ParamKind, ParamMut, backward_before_forward};

/// A convolution layer: `FN` filters of `C×FH×FW` slide over the input with a stride and zero
/// padding; each output is a window's dot product with a filter plus the filter's bias.
///
/// The course's formulation, computed block by block. The batch is cut into blocks of samples
/// whose column matrix fits a core's L2 cache; one thread takes a block through all of its
/// steps before the next, so the column matrices never go through main memory:
/// - forward runs [`im2col`](crate::im2col()) on the block, transposed (the rows of the
///   transposed column matrix are shifted copies of input lines), computes
///   `col · Wᵀ` `(rows, FN)` with one GEMM (`col` is a strided view; `Wᵀ` is packed for the
///   GEMM once per pass, [`PackedRhs`], as backward packs it once as `A`),
///   and adds the bias while transposing each sample into the NCHW output; when one sample's
///   column matrix exceeds a block, the GEMM reads the windows from the padded images instead
///   of im2col writing them out (an implicit GEMM, the same bits);
/// - backward runs im2col on each block again from the kept input rather than keeping the batch's
///   columns, sums `dW = Dᵀ · col` and `db = Σ D` over groups of blocks (the groups are then
///   added in order), and per sample computes `dcol = D · W` and adds its windows back into
///   `dx` ([`col2im`](crate::col2im)'s sum, line by line).
///
/// Blocks and groups depend on the shapes only, so the results do not depend on the thread
/// count. Each thread keeps its block buffers, and the output and input gradient go into
/// [`OutputBuffer`]s: once warmed up a step allocates nothing.
///
/// # Shapes
/// - `W`: `(FN, C, FH, FW)`, `b`: `(FN)`.
/// - input: `(N, C, H, W)`.
/// - output: `(N, FN, OH, OW)` with `OH = (H + 2·pad − FH) / stride + 1`, likewise `OW`.
///
/// # Example
/// ```
/// use dl_layers::{Convolution, Init, Layer, Mode};
/// use dl_tensor::{rng_from_seed, Tensor};
/// let mut rng = rng_from_seed(0);
/// // 30 filters of 1×5×5, stride 1, pad 0: the course's SimpleConvNet.
/// let mut conv = Convolution::<f32>::new(30, 1, 5, 5, 1, 0, Init::Std(0.01), &mut rng);
/// let x = Tensor::zeros([2, 1, 28, 28]);
/// let y = conv.forward(&x, Mode::Train);
/// assert_eq!(y.shape(), &[2, 30, 24, 24]);
/// ```
pub struct Convolution<T: Float> {
    w: Tensor<T>,
    b: Tensor<T>,
    dw: Tensor<T>,
    db: Tensor<T>,
    stride: usize,
    pad: usize,
    /// The geometry of the last forward pass (`None` before the first).
    last: Option<Geometry>,
    /// The last forward pass's input (contiguous), which backward runs im2col on again.
    input: Tensor<T>,
    /// One set of block buffers per thread.
    scratch: Vec<Scratch<T>>,
    /// `Wᵀ` `(C·FH·FW, FN)` packed for the GEMM once per pass, as forward's `B` and backward's
    /// `A`, rather than by every block's or sample's product.
    packed_w: Vec<T>,
    /// The column matrix's column offsets in a padded sample (see `implicit.rs`).
    window_offsets: Vec<usize>,
    /// The column matrix's row offsets in a block of padded samples.
    window_starts: Vec<usize>,
    /// Backward's per-group partial sums of `dWᵀ` `(C·FH·FW, FN)` and `db` `(FN)`.
    parts: Vec<T>,
    /// The outputs.
    out: OutputBuffer<T>,
    /// The input gradients.
    dx: OutputBuffer<T>,
}

impl<T: Float> Convolution<T> {
    /// `filters` filters of `channels×fh×fw`, weights drawn by `init` with fan-in `C·FH·FW`
    /// (fan-out `FN·FH·FW` for [`Init::GlorotUniform`], as Keras), zero biases.
    ///
    /// # Panics
    /// If `stride` is zero.
    #[track_caller]
    pub fn new(
        filters: usize,
        channels: usize,
        fh: usize,
        fw: usize,
        stride: usize,
        pad: usize,
        init: Init,
        rng: &mut Rng,
    ) -> Self {
        let (fan_in, fan_out) = (channels * fh * fw, filters * fh * fw);
        let w = init.sample([filters, channels, fh, fw], fan_in, fan_out, rng);
        Self::from_params(w, Tensor::zeros([filters]), stride, pad)
    }

    /// A layer with the given filters `W` `(FN, C, FH, FW)` and biases `b` `(FN)`.
    ///
    /// # Panics
    /// If `W` is not 4-D, `b` is not `(FN)`, or `stride` is zero.
    #[track_caller]
    pub fn from_params(w: Tensor<T>, b: Tensor<T>, stride: usize, pad: usize) -> Self {
        if w.ndim() != 4 || b.shape() != [w.shape()[0]] {
            panic!(
                "Convolution::from_params: W must be (FN, C, FH, FW) and b (FN), got W {:?} and b {:?}",
                w.shape(),
                b.shape()
            );
        }
        assert!(
            stride > 0,
            "Convolution::from_params: stride must be at least 1"
        );
        Convolution {
            dw: Tensor::zeros_like(&w),
            db: Tensor::zeros_like(&b),
            w: w.to_contiguous(),
            b: b.to_contiguous(),
            stride,
            pad,
            last: None,
            input: Tensor::zeros([0]),
            scratch: Vec::new(),
            packed_w: Vec::new(),
            window_offsets: Vec::new(),
            window_starts: Vec::new(),
            parts: Vec::new(),
            out: OutputBuffer::new(),
            dx: OutputBuffer::new(),
        }
    }

    /// `[FN, C, FH, FW]`.
    pub fn filter_shape(&self) -> [usize; 4] {
        let s = self.w.shape();
        [s[0], s[1], s[2], s[3]]
    }

    /// The stride.
    pub fn stride(&self) -> usize {
        self.stride
    }

    /// The zero padding on each side.
    pub fn pad(&self) -> usize {
        self.pad
    }

    /// The output shape for an input of shape `(N, C, H, W)`.
    ///
    /// # Panics
    /// If the input is not 4-D, has another channel count, or is too small for the filter.
    #[track_caller]
    pub fn output_shape(&self, input: &[usize]) -> [usize; 4] {
        let [fnum, c, fh, fw] = self.filter_shape();
        let [n, ci, h, w] = nchw(|| self.describe(), input);
        if ci != c {
            input_shape_mismatch(&self.describe(), &[n, c, h, w], input);
        }
        [
            n,
            fnum,
            conv_output_size(h, fh, self.stride, self.pad),
            conv_output_size(w, fw, self.stride, self.pad),
        ]
    }

    /// The filters `W`, `(FN, C, FH, FW)`.
    pub fn weight(&self) -> &Tensor<T> {
        &self.w
    }

    /// The biases `b`, `(FN)`.
    pub fn bias(&self) -> &Tensor<T> {
        &self.b
    }

    /// `∂L/∂W` from the last backward pass (zeros before).
    pub fn weight_grad(&self) -> &Tensor<T> {
        &self.dw
    }

    /// `∂L/∂b` from the last backward pass (zeros before).
    pub fn bias_grad(&self) -> &Tensor<T> {
        &self.db
    }

    /// Forward, with `activation` applied to every output as the bias is added (the identity,
    /// or the ReLU of [`Layer::forward_relu`]).
    #[track_caller]
    fn forward_then(&mut self, x: &Tensor<T>, activation: impl Fn(T) -> T + Sync) -> Tensor<T> {
        let out_shape = self.output_shape(x.shape());
        let [fnum, _, fh, fw] = self.filter_shape();
        let g = Geometry::new(
            nchw("Convolution", x.shape()),
            fh,
            fw,
            self.stride,
            self.pad,
        );
        let (ckk, positions, image_len) = (g.row_len(), g.positions(), g.image_len());
        let per_block = samples_per_block::<T>(&g);
        let (x, w, b) = (
            x.to_contiguous(),
            self.w.to_contiguous(),
            self.b.to_contiguous(),
        );
        let (xs, bias) = (x.as_slice(), b.as_slice());
        // Wᵀ (CKK, FN), packed once for every block's GEMM.
        let w_t = MatRef::row_major(w.as_slice(), fnum, ckk).t();
        let w_t = PackedRhs::new(&GemmOptions::default(), w_t, &mut self.packed_w);
        let implicit = reads_windows_in_place::<T>(&g);
        if implicit {
            g.window_offsets(&mut self.window_offsets);
            g.window_starts(per_block, &mut self.window_starts);
        }
        let (offsets, starts) = (&self.window_offsets, &self.window_starts);

        let sample_out = fnum * positions;
        let out = self.out.write(out_shape);
        self.scratch.resize_with(num_threads(), Scratch::default);
        let block_rows = per_block * positions;
        let (col_len, padded_len) = if implicit {
            (0, padded_block_len(&g, per_block))
        } else {
            (ckk * block_rows, im2col_padded_len(&g, per_block))
        };
        Scratch::reserve_all(&mut self.scratch, col_len, block_rows * fnum, padded_len);
        for_each_chunk_with_scratch(
            out,
            per_block * sample_out,
            &mut self.scratch,
            |blk, out, s| {
                let first = blk * per_block;
                let rows = out.len() / sample_out * positions;
                let images = &xs[first * image_len..][..rows / positions * image_len];
                // work (rows, FN) = col · Wᵀ, with col row (n, oy, ox), column (c, ky, kx).
                resize(&mut s.work, rows * fnum);
                if implicit {
                    let padded = g.padded(images, &mut s.padded);
                    let col = IndexedRef::new(padded, &starts[..rows], offsets);
                    let work = MatMut::row_major(&mut s.work, rows, fnum);
                    gemm_indexed_packed_rhs(T::one(), col, &w_t, T::zero(), work);
                } else {
                    s.im2col_block(&g, images, rows);
                    let col = MatRef::row_major(&s.col, ckk, rows).t();
                    let work = MatMut::row_major(&mut s.work, rows, fnum);
                    gemm_packed_rhs(T::one(), col, &w_t, T::zero(), work);
                }
                // out[n, f, p] = activation(work[n·OH·OW + p, f] + b[f]).
                for (out_i, work_i) in out
                    .chunks_exact_mut(sample_out)
                    .zip(s.work.chunks_exact(positions * fnum))
                {
                    transpose(work_i, positions, fnum, out_i, |f, v| {
                        activation(v + bias[f])
                    });
                }
            },
        );
        self.input = x;
        self.last = Some(g);
        self.out.share()
    }

    /// Backward's first pass: checks `dout`, fills `dW` and `db`, and returns the geometry of
    /// the last forward pass and `dout`, contiguous.
    #[track_caller]
    fn param_grads(&mut self, dout: &Tensor<T>) -> (Geometry, Tensor<T>) {
        let Some(g) = self.last else {
            backward_before_forward(&self.describe())
        };
        let fnum = self.filter_shape()[0];
        check_dout(|| self.describe(), &[g.n, fnum, g.oh, g.ow], dout);
        let (ckk, positions, image_len) = (g.row_len(), g.positions(), g.image_len());
        let per_block = samples_per_block::<T>(&g);
        let blocks = g.n.div_ceil(per_block);
        let dout = dout.to_contiguous();
        let (d, xs) = (dout.as_slice(), self.input.as_slice());
        self.scratch.resize_with(num_threads(), Scratch::default);
        let block_rows = per_block * positions;
        // Where forward read the windows in place, so does the weight gradient: its Aᵀ is the
        // same column matrix, through the tables forward laid out.
        let implicit = reads_windows_in_place::<T>(&g);
        let (col_len, padded_len) = if implicit {
            (0, padded_block_len(&g, per_block))
        } else {
            (ckk * block_rows, im2col_padded_len(&g, per_block))
        };
        Scratch::reserve_all(&mut self.scratch, col_len, block_rows * fnum, padded_len);
        let (offsets, starts) = (&self.window_offsets, &self.window_starts);

        // Pass 1: each group of blocks sums its share of dWᵀ (CKK, FN) = colᵀ · D and of db
        // into its own part; the parts are then added in group order.
        let groups = blocks
            .min(MAX_GROUPS)
            .min(g.rows().div_ceil(MIN_GROUP_ROWS));
        let part_len = ckk * fnum + fnum;
        resize(&mut self.parts, groups * part_len);
        for_each_chunk_with_scratch(
            &mut self.parts,
            part_len,
            &mut self.scratch,
            |gi, part, s| {
                let (dw_t, db) = part.split_at_mut(ckk * fnum);
                db.fill(T::zero());
                for blk in gi * blocks / groups..(gi + 1) * blocks / groups {
                    let first = blk * per_block;
                    let count = per_block.min(g.n - first);
                    let rows = count * positions;
                    let images = &xs[first * image_len..][..count * image_len];
                    if !implicit {
                        s.im2col_block(&g, images, rows);
                    }
                    let d_blk = &d[first * fnum * positions..][..count * fnum * positions];
                    s.gather_rows(d_blk, fnum, positions);
                    for d_i in d_blk.chunks_exact(fnum * positions) {
                        for (acc, plane) in db.iter_mut().zip(d_i.chunks_exact(positions)) {
                            *acc += sum_in_lanes(plane);
                        }
                    }
                    let beta = if blk == gi * blocks / groups {
                        T::zero()
                    } else {
                        T::one()
                    };
                    let (d_rows, dw_t) = (
                        MatRef::row_major(&s.work, rows, fnum),
                        MatMut::row_major(dw_t, ckk, fnum),
                    );
                    if implicit {
                        let padded = g.padded(images, &mut s.padded);
                        let col_t = IndexedRef::new(padded, offsets, &starts[..rows]);
                        gemm_indexed(T::one(), col_t, d_rows, beta, dw_t);
                    } else {
                        let col_t = MatRef::row_major(&s.col, ckk, rows);
                        gemm(T::one(), col_t, d_rows, beta, dw_t);
                    }
                }
            },
        );
        sum_parts(&mut self.parts, groups, part_len);
        // The total, transposed: dW (FN, CKK) and db (FN).
        let (dw_t, db) = self.parts[..part_len].split_at(ckk * fnum);
        self.db.as_mut_slice().copy_from_slice(db);
        if ckk > 0 {
            for_each_chunk_mut(self.dw.as_mut_slice(), ckk, |f, row| {
                for (v, dw_row) in row.iter_mut().zip(dw_t.chunks_exact(fnum)) {
                    *v = dw_row[f];
                }
            });
        }
        (g, dout)
    }
}

/// Whether forward and the weight gradient read the column matrix straight from the (padded)
/// images instead of writing it out block by block: when one sample's column matrix is larger
/// than a block ([`samples_per_block`]'s budget), so that written out it would go through
/// memory, as in AlexNet's layers. A column block that stays in cache is cheaper to write than
/// to gather into the GEMM's packed slivers (BENCHMARKS.md). Both give the same bits.
fn reads_windows_in_place<T>(g: &Geometry) -> bool {
    column_bytes_per_sample::<T>(g) > BLOCK_BYTES
}

/// Elements of the padded images im2col reads for a block of `samples` (none when it reads
/// the images themselves).
fn im2col_padded_len(g: &Geometry, samples: usize) -> usize {
    if g.im2col_via_padded() {
        padded_block_len(g, samples)
    } else {
        0
    }
}

/// Elements of a block of `samples` padded images (none without padding: the input is read
/// in place).
fn padded_block_len(g: &Geometry, samples: usize) -> usize {
    if g.pad == 0 {
        0
    } else {
        samples * g.padded_len()
    }
}

impl<T: Float> Layer<T> for Convolution<T> {
    fn describe(&self) -> String {
        let [fnum, c, fh, fw] = self.filter_shape();
        format!(
            "Convolution({fnum}@{c}×{fh}×{fw}, stride {}, pad {})",
            self.stride, self.pad
        )
    }

    /// # Panics
    /// If the input is not `(N, C, H, W)` with the filters' `C`, or is smaller than a filter.
    #[track_caller]
    fn forward(&mut self, x: &Tensor<T>, _mode: Mode) -> Tensor<T> {
        self.forward_then(x, |v| v)
    }

    /// The bias pass writes `max(0, z + b)`.
    #[track_caller]
    fn forward_relu(&mut self, x: &Tensor<T>, _mode: Mode) -> Option<Tensor<T>> {
        Some(self.forward_then(x, relu))
    }

    #[track_caller]
    fn backward(&mut self, dout: &Tensor<T>) -> Tensor<T> {
        let (g, dout) = self.param_grads(dout);
        let (fnum, ckk, positions, image_len) = (
            self.filter_shape()[0],
            g.row_len(),
            g.positions(),
            g.image_len(),
        );
        let (d, w) = (dout.as_slice(), self.w.to_contiguous());

        // Pass 2, per sample: dcol_t (CKK, OH·OW) = Wᵀ · dout_i, then dx_i = col2im(dcol_t).
        let w_t = MatRef::row_major(w.as_slice(), fnum, ckk).t();
        let w_t = PackedLhs::new(&GemmOptions::default(), w_t, &mut self.packed_w);
        let dx = self.dx.write([g.n, g.c, g.h, g.w]);
        let padded_len = if g.col2im_via_padded() {
            g.padded_len()
        } else {
            0
        };
        Scratch::reserve_all(&mut self.scratch, ckk * positions, 0, padded_len);
        for_each_chunk_with_scratch(dx, image_len, &mut self.scratch, |i, dx_i, s| {
            resize(&mut s.col, ckk * positions);
            gemm_packed_lhs(
                T::one(),
                &w_t,
                MatRef::row_major(
                    &d[i * fnum * positions..][..fnum * positions],
                    fnum,
                    positions,
                ),
                T::zero(),
                MatMut::row_major(&mut s.col, ckk, positions),
            );
            if g.col2im_via_padded() {
                g.col2im_transposed_padded(&s.col, positions, &mut s.padded, dx_i);
            } else {
                g.col2im_transposed(&mut s.col, positions, dx_i);
            }
        });
        self.dx.share()
    }

    #[track_caller]
    fn backward_params(&mut self, dout: &Tensor<T>) {
        self.param_grads(dout);
    }

    fn visit_params(&mut self, f: &mut dyn FnMut(ParamMut<'_, T>)) {
        f(ParamMut {
            layer: "",
            name: "W",
            kind: ParamKind::Weight,
            value: &mut self.w,
            grad: &mut self.dw,
        });
        f(ParamMut {
            layer: "",
            name: "b",
            kind: ParamKind::Bias,
            value: &mut self.b,
            grad: &mut self.db,
        });
    }
}

//! Convolution: equality with a direct convolution written here, and gradient checks over
//! strides, paddings, non-square filters and several channels.

use crate::common::{TOL, assert_backward_params_matches_backward, assert_close, randn, rng};
use dl_layers::gradcheck::check_layer;
use dl_layers::{Convolution, Init, Layer, Mode, ParamKind, im2col};
use dl_tensor::Tensor;
use dl_tensor::gemm::{MatMut, MatRef, gemm};

/// out[n, f, oy, ox] = b[f] + Σ_{c, ky, kx} W[f, c, ky, kx] · x_padded[n, c, oy·s + ky, ox·s + kx].
fn naive_conv(
    x: &Tensor<f64>,
    w: &Tensor<f64>,
    b: &Tensor<f64>,
    s: usize,
    p: usize,
) -> Tensor<f64> {
    let (n, c, h, wd) = (x.shape()[0], x.shape()[1], x.shape()[2], x.shape()[3]);
    let (fnum, fh, fw) = (w.shape()[0], w.shape()[2], w.shape()[3]);
    let oh = (h + 2 * p - fh) / s + 1;
    let ow = (wd + 2 * p - fw) / s + 1;
    let pixel = |ni: usize, ci: usize, y: isize, xx: isize| -> f64 {
        if y < 0 || xx < 0 || y >= h as isize || xx >= wd as isize {
            0.0
        } else {
            x.at(&[ni, ci, y as usize, xx as usize])
        }
    };
    Tensor::from_fn([n, fnum, oh, ow], |i| {
        let (ni, f, oy, ox) = (i[0], i[1], i[2], i[3]);
        let mut acc = b.at(&[f]);
        for ci in 0..c {
            for ky in 0..fh {
                for kx in 0..fw {
                    let y = (oy * s + ky) as isize - p as isize;
                    let xx = (ox * s + kx) as isize - p as isize;
                    acc += w.at(&[f, ci, ky, kx]) * pixel(ni, ci, y, xx);
                }
            }
        }
        acc
    })
}

/// One convolution geometry under test.
struct Case {
    input: [usize; 4],
    filters: usize,
    fh: usize,
    fw: usize,
    stride: usize,
    pad: usize,
}

const fn case(
    input: [usize; 4],
    filters: usize,
    fh: usize,
    fw: usize,
    stride: usize,
    pad: usize,
) -> Case {
    Case {
        input,
        filters,
        fh,
        fw,
        stride,
        pad,
    }
}

/// Strides 1 and 2, pads 0, 1 and 2, square and non-square filters, one to three channels.
const CASES: &[Case] = &[
    case([2, 1, 5, 5], 2, 3, 3, 1, 0),
    case([2, 3, 6, 5], 4, 3, 2, 1, 1),
    case([1, 2, 7, 7], 3, 3, 3, 2, 0),
    case([2, 2, 6, 6], 2, 2, 3, 2, 1),
    case([1, 3, 4, 5], 2, 3, 2, 1, 2),
    case([2, 2, 5, 6], 3, 2, 2, 2, 2),
];

fn random_conv(
    fnum: usize,
    c: usize,
    fh: usize,
    fw: usize,
    s: usize,
    p: usize,
    seed: u64,
) -> Convolution<f64> {
    let mut r = rng(seed);
    let w = randn(&[fnum, c, fh, fw], &mut r);
    let b = randn(&[fnum], &mut r);
    Convolution::from_params(w, b, s, p)
}

#[test]
fn equals_naive_convolution() {
    for (k, c) in CASES.iter().enumerate() {
        let mut conv = random_conv(c.filters, c.input[1], c.fh, c.fw, c.stride, c.pad, k as u64);
        let x = randn(&c.input, &mut rng(100 + k as u64));
        let y = conv.forward(&x, Mode::Train);
        let want = naive_conv(&x, conv.weight(), conv.bias(), c.stride, c.pad);
        assert_close(&y, &want, 1e-12);
    }
}

#[test]
fn gradcheck_strides_pads_and_filter_shapes() {
    for (k, c) in CASES.iter().enumerate() {
        let mut conv = random_conv(
            c.filters,
            c.input[1],
            c.fh,
            c.fw,
            c.stride,
            c.pad,
            10 + k as u64,
        );
        let x = randn(&c.input, &mut rng(200 + k as u64));
        let report = check_layer(&mut conv, &x, Mode::Train, 300 + k as u64);
        assert_eq!(report.errors.len(), 3, "x, W and b are checked");
        report.assert_below(TOL);
    }
}

#[test]
fn bias_gradient_sums_over_batch_and_positions() {
    let mut conv = random_conv(3, 2, 2, 2, 1, 0, 1);
    let x = randn(&[2, 2, 4, 4], &mut rng(2));
    let y = conv.forward(&x, Mode::Train);
    conv.backward(&Tensor::ones(y.shape()));
    // Each filter appears at N·OH·OW = 2·3·3 = 18 output positions.
    assert_close(conv.bias_grad(), &Tensor::full([3], 18.0), 1e-12);
}

#[test]
fn new_draws_with_fan_in_c_fh_fw() {
    let mut r = rng(3);
    let mut conv = Convolution::<f64>::new(64, 16, 3, 3, 1, 1, Init::He, &mut r);
    let w = conv.weight().to_vec();
    let std = (w.iter().map(|v| v * v).sum::<f64>() / w.len() as f64).sqrt();
    let want = (2.0 / 144.0f64).sqrt(); // the course's DeepConvNet fan-in 16·3·3
    assert!((std / want - 1.0).abs() < 0.05, "{std} vs {want}");
    let mut kinds = Vec::new();
    conv.visit_params(&mut |p| kinds.push((p.name, p.kind)));
    assert_eq!(
        kinds,
        vec![("W", ParamKind::Weight), ("b", ParamKind::Bias)]
    );
    assert_eq!(conv.describe(), "Convolution(64@16×3×3, stride 1, pad 1)");
}

/// A batch is cut into blocks of samples that fit a core's cache (one sample per block when a
/// sample unrolls to 512 KiB or more) and backward sums `dW` over groups of blocks: the batch
/// must give what its samples give one at a time (the one-block path the gradient checks
/// cover), with the parameter gradients summed.
#[test]
fn a_batch_of_many_blocks_equals_its_samples_one_at_a_time() {
    // f64 samples unrolling to 576 KiB (20 blocks in 16 groups) and to 190 KiB (2 per block,
    // the last block short).
    for (k, (input, filters, pad)) in [([20, 8, 32, 32], 2, 1), ([5, 4, 28, 28], 3, 0)]
        .into_iter()
        .enumerate()
    {
        let mut conv = random_conv(filters, input[1], 3, 3, 1, pad, 20 + k as u64);
        let x = randn(&input, &mut rng(30 + k as u64));
        let y = conv.forward(&x, Mode::Train);
        let g = randn(y.shape(), &mut rng(40 + k as u64));
        let dx = conv.backward(&g);
        let (dw, db) = (conv.weight_grad().clone(), conv.bias_grad().clone());

        let (mut dw_sum, mut db_sum) = (Tensor::zeros_like(&dw), Tensor::zeros_like(&db));
        for i in 0..input[0] {
            let y_i = conv.forward(&x.narrow(0, i, 1), Mode::Train);
            assert_close(&y_i, &y.narrow(0, i, 1), 1e-12);
            let dx_i = conv.backward(&g.narrow(0, i, 1));
            assert_close(&dx_i, &dx.narrow(0, i, 1), 1e-12);
            dw_sum = &dw_sum + conv.weight_grad();
            db_sum = &db_sum + conv.bias_grad();
        }
        assert_close(&dw, &dw_sum, 1e-9);
        assert_close(&db, &db_sum, 1e-9);
    }
}

/// `conv`'s output for `x` against im2col written out, multiplied by the same GEMM, plus the
/// bias, then `activation`: bit for bit.
fn assert_bits_of_im2col(conv: &mut Convolution<f64>, x: &Tensor<f64>, relu: bool, case: &str) {
    let y = if relu {
        conv.forward_relu(x, Mode::Train)
            .expect("a convolution folds a ReLU in")
    } else {
        conv.forward(x, Mode::Train)
    };
    let [filters, _, fh, fw] = conv.filter_shape();
    let col = im2col(x, fh, fw, conv.stride(), conv.pad());
    let (rows, ckk) = (col.shape()[0], col.shape()[1]);
    let w = conv.weight().to_vec();
    let mut product = vec![0.0; rows * filters];
    gemm(
        1.0,
        MatRef::row_major(col.as_slice(), rows, ckk),
        MatRef::row_major(&w, filters, ckk).t(),
        0.0,
        MatMut::row_major(&mut product, rows, filters),
    );
    let [n, _, oh, ow] = conv.output_shape(x.shape());
    let (y, b) = (y.to_vec(), conv.bias().to_vec());
    for (i, (fi, pos)) in (0..n)
        .flat_map(|i| (0..filters).flat_map(move |fi| (0..oh * ow).map(move |p| (i, fi, p))))
        .map(|(i, fi, p)| ((i * filters + fi) * oh * ow + p, (fi, i * oh * ow + p)))
    {
        let sum = product[pos * filters + fi] + b[fi];
        // The ReLU: `max(0, sum)`, 0 for NaN too.
        let want = match relu {
            true if sum > 0.0 => sum,
            true => 0.0,
            false => sum,
        };
        assert_eq!(y[i].to_bits(), want.to_bits(), "{case}, output {i}");
    }
}

/// `conv`'s `∂W` for `dout` after a forward pass over `x` (a batch summed in one group)
/// against each sample's im2col written out, `colᵀ · dout` summed sample after sample by the
/// same GEMM, then transposed: bit for bit.
fn assert_weight_grad_bits_of_im2col(
    conv: &mut Convolution<f64>,
    x: &Tensor<f64>,
    dout: &Tensor<f64>,
    case: &str,
) {
    conv.backward_params(dout);
    let [filters, _, fh, fw] = conv.filter_shape();
    let [n, _, oh, ow] = conv.output_shape(x.shape());
    let positions = oh * ow;
    let col = im2col(x, fh, fw, conv.stride(), conv.pad());
    let ckk = col.shape()[1];
    let (col, d) = (col.to_vec(), dout.to_vec());
    let mut dw_t = vec![0.0; ckk * filters];
    for i in 0..n {
        // The sample's upstream gradient as rows (OH·OW, FN).
        let d_i = &d[i * filters * positions..];
        let d_rows: Vec<f64> = (0..positions * filters)
            .map(|e| d_i[(e % filters) * positions + e / filters])
            .collect();
        gemm(
            1.0,
            MatRef::row_major(
                &col[i * positions * ckk..][..positions * ckk],
                positions,
                ckk,
            )
            .t(),
            MatRef::row_major(&d_rows, positions, filters),
            if i == 0 { 0.0 } else { 1.0 },
            MatMut::row_major(&mut dw_t, ckk, filters),
        );
    }
    let dw = conv.weight_grad().to_vec();
    for (e, got) in dw.iter().enumerate() {
        let want = dw_t[(e % ckk) * filters + e / ckk];
        assert_eq!(got.to_bits(), want.to_bits(), "{case}, ∂W element {e}");
    }
}

/// Forward reads the column matrix straight from the padded images (an implicit GEMM) when one
/// sample's would be larger than a block (f64 samples unrolling to 589 KiB, 681 KiB and
/// 2.9 MiB here), and so does the weight gradient: the output must hold the bits of im2col
/// written out, multiplied by the same GEMM, plus the bias, and `∂W` those of the written-out
/// column matrices' products with `dout`.
#[test]
fn the_column_matrix_read_in_place_gives_the_bits_of_im2col() {
    let cases = [
        ([2, 8, 32, 32], 5, 3, 1, 1),
        ([3, 3, 70, 66], 7, 11, 4, 2),
        ([1, 2, 90, 90], 3, 5, 1, 0),
    ];
    for (k, (input, filters, f, stride, pad)) in cases.into_iter().enumerate() {
        let mut conv = random_conv(filters, input[1], f, f, stride, pad, 50 + k as u64);
        let x = randn(&input, &mut rng(60 + k as u64));
        assert_bits_of_im2col(&mut conv, &x, k == 1, &format!("case {k}"));
        let dout = randn(&conv.output_shape(x.shape()), &mut rng(70 + k as u64));
        assert_weight_grad_bits_of_im2col(&mut conv, &x, &dout, &format!("case {k}"));
    }
}

#[test]
fn f32_matches_f64() {
    let conv64 = random_conv(4, 3, 3, 3, 1, 1, 4);
    let mut conv32 =
        Convolution::<f32>::from_params(conv64.weight().cast(), conv64.bias().cast(), 1, 1);
    let mut conv64 = conv64;
    let x = randn(&[2, 3, 8, 8], &mut rng(5));
    let y64 = conv64.forward(&x, Mode::Eval);
    let y32 = conv32.forward(&x.cast(), Mode::Eval);
    assert_close(&y32.cast(), &y64, 1e-4);
    let g = randn(y64.shape(), &mut rng(6));
    let dx64 = conv64.backward(&g);
    let dx32 = conv32.backward(&g.cast());
    assert_close(&dx32.cast(), &dx64, 1e-4);
}

#[test]
fn accepts_non_contiguous_input() {
    let mut conv = random_conv(2, 2, 3, 3, 1, 1, 7);
    let x = randn(&[2, 2, 5, 6], &mut rng(8));
    let xt = x.transpose(2, 3).to_contiguous().transpose(2, 3); // same values, permuted strides
    assert!(!xt.is_contiguous());
    let a = conv.forward(&x, Mode::Eval);
    let b = conv.forward(&xt, Mode::Eval);
    assert_close(&a, &b, 0.0);
}

#[test]
fn outputs_handed_out_stay_intact_and_buffers_are_reused_once_dropped() {
    let mut conv = random_conv(3, 2, 3, 3, 1, 1, 9);
    let (x1, x2) = (
        randn(&[2, 2, 5, 5], &mut rng(10)),
        randn(&[2, 2, 5, 5], &mut rng(11)),
    );
    let y1 = conv.forward(&x1, Mode::Train);
    let y1_values = y1.to_vec();
    let y2 = conv.forward(&x2, Mode::Train);
    // `y1` is still held, so the second output got storage of its own.
    assert_eq!(y1.to_vec(), y1_values);
    assert!(!y1.shares_storage(&y2));
    let dx2 = conv.backward(&Tensor::ones(y2.shape()));
    let (y2_at, y2_values) = (y2.as_slice().as_ptr(), y2.to_vec());
    let (dx2_at, dx2_values) = (dx2.as_slice().as_ptr(), dx2.to_vec());
    drop((y1, y2, dx2));
    // Dropped: the next pass writes into the same storage, with the same results.
    let y3 = conv.forward(&x2, Mode::Train);
    let dx3 = conv.backward(&Tensor::ones(y3.shape()));
    assert_eq!(y3.as_slice().as_ptr(), y2_at);
    assert_eq!(dx3.as_slice().as_ptr(), dx2_at);
    assert_eq!(y3.to_vec(), y2_values);
    assert_eq!(dx3.to_vec(), dx2_values);
}

#[test]
fn one_and_two_threads_give_identical_bits() {
    // One block of 6 samples; then 20 blocks of one sample in 16 groups.
    // On the threads set, also beside other tests.
    dl_tensor::set_fewer_threads_when_busy(false);
    let run = |threads: usize, input: [usize; 4]| {
        dl_tensor::set_num_threads(threads);
        let mut conv = Convolution::<f32>::from_params(
            randn(&[16, 8, 3, 3], &mut rng(12)).cast(),
            randn(&[16], &mut rng(13)).cast(),
            1,
            2,
        );
        let x = randn(&input, &mut rng(14)).cast::<f32>();
        let y = conv.forward(&x, Mode::Train);
        let g = randn(y.shape(), &mut rng(15)).cast::<f32>();
        let dx = conv.backward(&g);
        let bits = |t: &Tensor<f32>| t.to_vec().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        (
            bits(&y),
            bits(&dx),
            bits(conv.weight_grad()),
            bits(conv.bias_grad()),
        )
    };
    let before = dl_tensor::num_threads();
    for input in [[6, 8, 14, 14], [20, 8, 32, 32]] {
        let (one, two) = (run(1, input), run(2, input));
        assert_eq!(one, two, "input {input:?}");
    }
    dl_tensor::set_num_threads(before);
}

#[test]
fn backward_params_fills_the_same_gradients_without_dx() {
    // One block, then 20 blocks in 16 groups.
    for (k, input) in [[2, 3, 6, 5], [20, 8, 32, 32]].into_iter().enumerate() {
        let mut conv = random_conv(2, input[1], 3, 3, 1, 1, 60 + k as u64);
        assert_backward_params_matches_backward(&mut conv, &randn(&input, &mut rng(61)));
    }
}

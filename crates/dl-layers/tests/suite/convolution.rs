//! Convolution: equality with a direct convolution written here, and gradient checks over
//! strides, paddings, non-square filters and several channels.

use crate::common::{TOL, assert_close, randn, rng};
use dl_layers::gradcheck::check_layer;
use dl_layers::{Convolution, Init, Layer, Mode, ParamKind};
use dl_tensor::Tensor;

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

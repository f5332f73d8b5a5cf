//! Max and average pooling: equality with naive pooling, gradient checks; global pools.

use crate::common::{TOL, assert_close, distinct, randn, rng};
use dl_layers::gradcheck::check_layer;
use dl_layers::{GlobalAvgPool, GlobalMaxPool, Layer, Mode, Pooling};
use dl_tensor::{Float, Tensor};

/// Pools each window with `reduce` (zero padding, as the course).
fn naive_pool(
    x: &Tensor<f64>,
    ph: usize,
    pw: usize,
    s: usize,
    p: usize,
    reduce: fn(&[f64]) -> f64,
) -> Tensor<f64> {
    let (n, c, h, w) = (x.shape()[0], x.shape()[1], x.shape()[2], x.shape()[3]);
    let oh = (h + 2 * p - ph) / s + 1;
    let ow = (w + 2 * p - pw) / s + 1;
    Tensor::from_fn([n, c, oh, ow], |i| {
        let mut window = Vec::new();
        for ky in 0..ph {
            for kx in 0..pw {
                let y = (i[2] * s + ky) as isize - p as isize;
                let xx = (i[3] * s + kx) as isize - p as isize;
                let inside = y >= 0 && xx >= 0 && (y as usize) < h && (xx as usize) < w;
                window.push(if inside {
                    x.at(&[i[0], i[1], y as usize, xx as usize])
                } else {
                    0.0
                });
            }
        }
        reduce(&window)
    })
}

fn max_of(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::NEG_INFINITY, f64::max)
}

fn mean_of(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// (input shape, window h, window w, stride, pad)
const CASES: &[([usize; 4], usize, usize, usize, usize)] = &[
    ([2, 3, 4, 4], 2, 2, 2, 0),
    ([2, 2, 7, 7], 3, 3, 2, 0),
    ([1, 2, 5, 6], 2, 3, 1, 0),
    ([2, 1, 5, 5], 3, 3, 2, 1),
];

#[test]
fn max_pool_equals_naive() {
    for (k, &(shape, ph, pw, s, p)) in CASES.iter().enumerate() {
        let x = randn(&shape, &mut rng(k as u64));
        let y = Pooling::max(ph, pw, s, p).forward(&x, Mode::Train);
        assert_close(&y, &naive_pool(&x, ph, pw, s, p, max_of), 0.0);
    }
}

#[test]
fn avg_pool_equals_naive() {
    for (k, &(shape, ph, pw, s, p)) in CASES.iter().enumerate() {
        let x = randn(&shape, &mut rng(10 + k as u64));
        let y = Pooling::avg(ph, pw, s, p).forward(&x, Mode::Train);
        assert_close(&y, &naive_pool(&x, ph, pw, s, p, mean_of), 1e-15);
    }
}

#[test]
fn max_pool_routes_gradient_to_the_maximum() {
    let x = Tensor::from_vec(vec![1.0, 5.0, 2.0, 3.0], [1, 1, 2, 2]);
    let mut pool = Pooling::max(2, 2, 2, 0);
    pool.forward(&x, Mode::Train);
    let dx = pool.backward(&Tensor::full([1, 1, 1, 1], 9.0));
    assert_eq!(dx.to_vec(), vec![0.0, 9.0, 0.0, 0.0]);
}

#[test]
fn max_pool_picks_the_first_maximum_and_propagates_nan() {
    // One window of 2×2 (a size with its own code path) and of 2×3 (any size): a tie goes to
    // the first maximum, and NaN wins.
    for (ph, pw) in [(2, 2), (2, 3)] {
        let shape = [1, 1, ph, pw];
        let mut tied = vec![1.0; ph * pw];
        tied[0] = 3.0;
        tied[1] = 3.0;
        tied[ph * pw - 1] = 3.0;
        let mut pool = Pooling::max(ph, pw, 2, 0);
        pool.forward(&Tensor::from_vec(tied, shape), Mode::Train);
        let dx = pool.backward(&Tensor::ones([1, 1, 1, 1]));
        let mut want = vec![0.0; ph * pw];
        want[0] = 1.0;
        assert_eq!(dx.to_vec(), want, "{ph}×{pw}");

        let mut with_nan = vec![1.0; ph * pw];
        with_nan[ph * pw - 1] = f64::NAN;
        let y = Pooling::max(ph, pw, 2, 0).forward(&Tensor::from_vec(with_nan, shape), Mode::Eval);
        assert!(y.to_vec()[0].is_nan(), "{ph}×{pw}");
    }
    // A window over padding: a negative pixel loses to the padding's 0, which takes no
    // gradient; a NaN pixel wins.
    let mut pool = Pooling::max(2, 2, 2, 1);
    let y = pool.forward(&Tensor::full([1, 1, 1, 1], -1.0), Mode::Train);
    assert_eq!(y.to_vec(), vec![0.0]);
    assert_eq!(
        pool.backward(&Tensor::ones([1, 1, 1, 1])).to_vec(),
        vec![0.0]
    );
    let y = pool.forward(&Tensor::full([1, 1, 1, 1], f64::NAN), Mode::Eval);
    assert!(y.to_vec()[0].is_nan());
}

#[test]
fn gradcheck_max_pool_distinct_values() {
    // Distinct values: no ties, and the argmax does not move under a 1e-5 step.
    for (k, &(shape, ph, pw, s, p)) in CASES.iter().enumerate().filter(|(_, c)| c.4 == 0) {
        let x = distinct(&shape, &mut rng(20 + k as u64));
        let mut pool = Pooling::max(ph, pw, s, p);
        check_layer(&mut pool, &x, Mode::Train, 30 + k as u64).assert_below(TOL);
    }
}

#[test]
fn gradcheck_max_pool_with_padding() {
    // With zero padding the maximum may be a padded zero: keep the values away from 0 (distinct
    // in ±[0.5, 2.5]) so no real pixel ties with the padding.
    let mut r = rng(40);
    let x = distinct(&[2, 2, 5, 5], &mut r).map(|v| v + 0.5 * v.signum());
    let mut pool = Pooling::max(3, 3, 2, 1);
    check_layer(&mut pool, &x, Mode::Train, 41).assert_below(TOL);
}

#[test]
fn gradcheck_avg_pool() {
    for (k, &(shape, ph, pw, s, p)) in CASES.iter().enumerate() {
        let x = randn(&shape, &mut rng(50 + k as u64));
        let mut pool = Pooling::avg(ph, pw, s, p);
        check_layer(&mut pool, &x, Mode::Train, 60 + k as u64).assert_below(TOL);
    }
}

#[test]
fn pooling_describes_itself() {
    assert_eq!(
        Layer::<f32>::describe(&Pooling::<f32>::max(2, 2, 2, 0)),
        "MaxPool(2×2, stride 2, pad 0)"
    );
    assert_eq!(
        Layer::<f32>::describe(&Pooling::<f32>::avg(3, 3, 2, 1)),
        "AvgPool(3×3, stride 2, pad 1)"
    );
}

#[test]
fn global_pools_values() {
    let x = Tensor::from_fn([2, 3, 2, 2], |i| {
        (i[0] * 100 + i[1] * 10 + i[2] * 2 + i[3]) as f64
    });
    let avg = GlobalAvgPool::new().forward(&x, Mode::Eval);
    let max = GlobalMaxPool::new().forward(&x, Mode::Eval);
    // Each (n, c) plane holds base + {0, 1, 2, 3}: mean base + 1.5, max base + 3.
    let base = Tensor::from_fn([2, 3], |i| (i[0] * 100 + i[1] * 10) as f64);
    assert_close(&avg, &base.add_scalar(1.5), 1e-12);
    assert_close(&max, &base.add_scalar(3.0), 0.0);
}

#[test]
fn gradcheck_global_pools() {
    let x = randn(&[2, 3, 4, 5], &mut rng(70));
    check_layer(&mut GlobalAvgPool::new(), &x, Mode::Train, 71).assert_below(TOL);
    let x = distinct(&[2, 3, 4, 5], &mut rng(72));
    check_layer(&mut GlobalMaxPool::new(), &x, Mode::Train, 73).assert_below(TOL);
}

#[test]
fn every_2x2_window_of_three_values_routes_to_its_first_maximum() {
    // All 81 windows over {0, 1, NaN}, side by side in one 2×162 image (2×2, stride 2, the
    // course's pooling): the gradient goes to the first NaN if there is one, else to the first
    // maximum in reading order.
    let values = [0.0, 1.0, f64::NAN];
    let windows: Vec<[f64; 4]> = (0..81)
        .map(|i| [i % 3, i / 3 % 3, i / 9 % 3, i / 27].map(|d| values[d]))
        .collect();
    let width = 2 * windows.len();
    let mut image = vec![0.0; 2 * width];
    for (k, win) in windows.iter().enumerate() {
        image[2 * k..2 * k + 2].copy_from_slice(&win[..2]);
        image[width + 2 * k..width + 2 * k + 2].copy_from_slice(&win[2..]);
    }
    let mut pool = Pooling::max(2, 2, 2, 0);
    pool.forward(&Tensor::from_vec(image, [1, 1, 2, width]), Mode::Train);
    let dx = pool
        .backward(&Tensor::ones([1, 1, 1, windows.len()]))
        .to_vec();
    for (k, win) in windows.iter().enumerate() {
        let first_nan = win.iter().position(|v| v.is_nan());
        let max = win.iter().cloned().fold(f64::MIN, f64::max);
        let want = first_nan.unwrap_or_else(|| win.iter().position(|&v| v == max).unwrap());
        let at = [2 * k, 2 * k + 1, width + 2 * k, width + 2 * k + 1];
        let got: Vec<usize> = (0..4).filter(|&j| dx[at[j]] == 1.0).collect();
        assert_eq!(got, vec![want], "window {k}: {win:?}");
    }
}

/// Max pooling of `shape` with `k×k` windows and stride `stride` over values with many ties
/// and NaNs, in `T`: every window's output is its first NaN or else its first maximum in
/// reading order, and its gradient goes there, added up where windows overlap.
fn windows_route_to_their_first_maximum<T: Float>(shape: [usize; 4], k: usize, stride: usize) {
    let values = [0.0, 1.0, 2.0, f64::NAN];
    let [n, c, h, w] = shape;
    let mut state = 17 + (h * w) as u64;
    let image: Vec<f64> = (0..n * c * h * w)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            values[(state >> 60) as usize % 4]
        })
        .collect();
    let (oh, ow) = ((h - k) / stride + 1, (w - k) / stride + 1);
    let x = Tensor::from_vec(image.iter().map(|&v| T::lit(v)).collect(), shape);
    let mut pool = Pooling::<T>::max(k, k, stride, 0);
    let y = pool.forward(&x, Mode::Train).to_vec();
    let dout: Vec<T> = (0..n * c * oh * ow)
        .map(|o| T::lit((o + 1) as f64))
        .collect();
    let dx = pool
        .backward(&Tensor::from_vec(dout.clone(), [n, c, oh, ow]))
        .to_vec();
    let mut want_dx = vec![T::zero(); image.len()];
    for o in 0..dout.len() {
        let (plane, oy, ox) = (o / (oh * ow), o / ow % oh, o % ow);
        let mut first: Option<usize> = None;
        for ky in 0..k {
            for kx in 0..k {
                let i = (plane * h + stride * oy + ky) * w + stride * ox + kx;
                let replaces = first.is_none_or(|f| {
                    let (v, best) = (image[i], image[f]);
                    v > best || v.is_nan() && !best.is_nan()
                });
                if replaces {
                    first = Some(i);
                }
            }
        }
        let first = first.unwrap();
        let (got, want) = (y[o].as_f64(), image[first]);
        assert!(
            got == want || got.is_nan() && want.is_nan(),
            "{shape:?}: output {o} is {got}, want {want}"
        );
        want_dx[first] += dout[o];
    }
    assert_eq!(dx, want_dx, "{shape:?}");
}

#[test]
fn overlapping_3x3_windows_route_to_their_first_maximum() {
    // 3×3 windows with stride 2 (AlexNet's pooling), in f64 and in f32 (eight outputs of a line
    // at a time on a CPU with AVX2, then the line's last few): odd and even sizes, a last column
    // left over, lines of 1, 4, 5, 6, 10 and 19 outputs.
    for shape in [
        [2, 3, 9, 11],
        [1, 2, 13, 14],
        [1, 1, 3, 3],
        [2, 2, 7, 21],
        [1, 2, 5, 40],
    ] {
        windows_route_to_their_first_maximum::<f64>(shape, 3, 2);
        windows_route_to_their_first_maximum::<f32>(shape, 3, 2);
    }
    // Other windows and strides through the same paths.
    for (shape, k, stride) in [
        ([1, 2, 6, 37], 2, 2),
        ([1, 1, 5, 30], 3, 1),
        ([1, 1, 9, 50], 5, 3),
    ] {
        windows_route_to_their_first_maximum::<f64>(shape, k, stride);
        windows_route_to_their_first_maximum::<f32>(shape, k, stride);
    }
}

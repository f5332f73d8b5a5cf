//! LayerNorm (both forms) and InstanceNorm against hand computations.

use dl_layers::{Layer, Mode};
use dl_norm::{InstanceNorm, LayerNorm};
use dl_tensor::{Tensor, rng_from_seed};

fn moments(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
    (mean, var)
}

fn input(shape: &[usize]) -> Tensor<f64> {
    let mut rng = rng_from_seed(21);
    Tensor::<f64>::randn(shape, 2.0, &mut rng).add_scalar(1.0)
}

fn set_params(layer: &mut dyn Layer<f64>, gamma: &[f64], beta: &[f64]) {
    layer.visit_params(&mut |p| {
        let v = if p.name == "gamma" { gamma } else { beta };
        *p.value = Tensor::from_vec(v.to_vec(), p.value.dims());
    });
}

#[test]
fn layer_norm_channels_normalizes_each_pixel_over_c() {
    let (n, c, h, w) = (2, 3, 2, 2);
    let x = input(&[n, c, h, w]);
    let mut ln = LayerNorm::channels(c);
    let (gamma, beta) = ([1.5, -0.5, 2.0], [0.0, 1.0, -1.0]);
    set_params(&mut ln, &gamma, &beta);
    let y = ln.forward(&x, Mode::Train);
    for i in 0..n {
        for a in 0..h {
            for b in 0..w {
                let values: Vec<f64> = (0..c).map(|ch| x.at(&[i, ch, a, b])).collect();
                let (mean, var) = moments(&values);
                for ch in 0..c {
                    let xhat = (values[ch] - mean) / (var + 1e-3).sqrt();
                    let expected = gamma[ch] * xhat + beta[ch];
                    assert!((y.at(&[i, ch, a, b]) - expected).abs() < 1e-12);
                }
            }
        }
    }
}

#[test]
fn layer_norm_all_axes_normalizes_each_sample_over_chw() {
    let (n, c, h, w) = (2, 2, 2, 3);
    let x = input(&[n, c, h, w]);
    let f = c * h * w;
    let mut ln = LayerNorm::all_axes(f);
    let gamma: Vec<f64> = (0..f).map(|k| 0.5 + 0.1 * k as f64).collect();
    let beta: Vec<f64> = (0..f).map(|k| -0.3 + 0.05 * k as f64).collect();
    set_params(&mut ln, &gamma, &beta);
    let y = ln.forward(&x, Mode::Train);
    let (xs, ys) = (x.to_vec(), y.to_vec());
    for i in 0..n {
        let sample = &xs[i * f..(i + 1) * f];
        let (mean, var) = moments(sample);
        for k in 0..f {
            let expected = gamma[k] * (sample[k] - mean) / (var + 1e-3).sqrt() + beta[k];
            assert!((ys[i * f + k] - expected).abs() < 1e-12);
        }
    }
}

#[test]
fn layer_norm_on_2d_is_per_row_in_both_forms() {
    let x = input(&[3, 4]);
    let a = LayerNorm::channels(4).forward(&x, Mode::Train);
    let b = LayerNorm::all_axes(4).forward(&x, Mode::Train);
    assert_eq!(a, b);
    let row: Vec<f64> = (0..4).map(|j| x.at(&[1, j])).collect();
    let (mean, var) = moments(&row);
    assert!((a.at(&[1, 2]) - (row[2] - mean) / (var + 1e-3).sqrt()).abs() < 1e-12);
}

#[test]
fn instance_norm_normalizes_each_sample_and_channel_over_hw() {
    let (n, c, h, w) = (2, 2, 3, 2);
    let x = input(&[n, c, h, w]);
    let mut inst = InstanceNorm::new(c);
    set_params(&mut inst, &[2.0, 0.5], &[1.0, -1.0]);
    let y = inst.forward(&x, Mode::Train);
    for i in 0..n {
        for ch in 0..c {
            let mut values = Vec::new();
            for a in 0..h {
                for b in 0..w {
                    values.push(x.at(&[i, ch, a, b]));
                }
            }
            let (mean, var) = moments(&values);
            let (g, bt) = ([2.0, 0.5][ch], [1.0, -1.0][ch]);
            for a in 0..h {
                for b in 0..w {
                    let expected = g * (x.at(&[i, ch, a, b]) - mean) / (var + 1e-3).sqrt() + bt;
                    assert!((y.at(&[i, ch, a, b]) - expected).abs() < 1e-12);
                }
            }
        }
    }
}

#[test]
fn parameter_shapes_follow_the_normalized_axes() {
    let shape = |layer: &mut dyn Layer<f32>| {
        let mut shapes = Vec::new();
        layer.visit_params(&mut |p| shapes.push(p.value.shape().to_vec()));
        shapes
    };
    assert_eq!(shape(&mut LayerNorm::channels(32)), [vec![32], vec![32]]);
    assert_eq!(
        shape(&mut LayerNorm::all_axes(32 * 30 * 30)),
        [vec![28800], vec![28800]]
    );
    assert_eq!(shape(&mut InstanceNorm::new(32)), [vec![32], vec![32]]);
}

#[test]
#[should_panic(
    expected = "LayerNorm(4, channels): expected input of shape (N, 4, …), got [2, 3, 5, 5]"
)]
fn layer_norm_channel_mismatch_panics() {
    LayerNorm::<f64>::channels(4).forward(&Tensor::zeros([2, 3, 5, 5]), Mode::Train);
}

#[test]
#[should_panic(expected = "InstanceNorm(3): expected input of shape (N, 3, H, W), got [2, 3]")]
fn instance_norm_needs_spatial_axes() {
    InstanceNorm::<f64>::new(3).forward(&Tensor::zeros([2, 3]), Mode::Train);
}

//! BatchNorm against hand computations: batch statistics, running statistics after several
//! training steps, inference with the running statistics, and its programming-error panics.

use dl_layers::{Layer, Mode};
use dl_norm::{BatchNorm, BatchNormConfig, BatchStats};
use dl_tensor::{Tensor, rng_from_seed};

/// Mean and biased variance of `values`, written out.
fn moments(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
    (mean, var)
}

fn batch(seed: u64, shape: &[usize]) -> Tensor<f64> {
    let mut rng = rng_from_seed(seed);
    Tensor::<f64>::randn(shape, 1.5, &mut rng).add_scalar(seed as f64 * 0.3)
}

fn assert_close(a: &[f64], b: &[f64], tol: f64, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!((x - y).abs() <= tol, "{what}[{i}]: {x} vs {y}");
    }
}

#[test]
fn running_statistics_follow_the_course_formula_per_feature() {
    let (n, d) = (5, 3);
    let mut bn = BatchNorm::<f64>::course(d);
    let (mut rm, mut rv) = (vec![0.0; d], vec![0.0; d]);
    for step in 0..4 {
        let x = batch(step, &[n, d]);
        bn.forward(&x, Mode::Train);
        for j in 0..d {
            let column: Vec<f64> = (0..n).map(|i| x.at(&[i, j])).collect();
            let (mean, var) = moments(&column);
            rm[j] = 0.9 * rm[j] + 0.1 * mean;
            rv[j] = 0.9 * rv[j] + 0.1 * var;
        }
    }
    assert_close(&bn.running_mean().to_vec(), &rm, 1e-12, "running_mean");
    assert_close(&bn.running_var().to_vec(), &rv, 1e-12, "running_var");
}

#[test]
fn running_statistics_keras_per_channel_start_at_var_one() {
    let (n, c, h, w) = (3, 2, 2, 2);
    let mut bn = BatchNorm::<f64>::keras(c);
    assert_eq!(bn.running_var().to_vec(), vec![1.0, 1.0]);
    let (mut rm, mut rv) = (vec![0.0; c], vec![1.0; c]);
    for step in 0..3 {
        let x = batch(10 + step, &[n, c, h, w]);
        bn.forward(&x, Mode::Train);
        for ch in 0..c {
            let mut values = Vec::new();
            for i in 0..n {
                for y in 0..h {
                    for z in 0..w {
                        values.push(x.at(&[i, ch, y, z]));
                    }
                }
            }
            let (mean, var) = moments(&values);
            rm[ch] = 0.99 * rm[ch] + 0.01 * mean;
            rv[ch] = 0.99 * rv[ch] + 0.01 * var;
        }
    }
    assert_close(&bn.running_mean().to_vec(), &rm, 1e-12, "running_mean");
    assert_close(&bn.running_var().to_vec(), &rv, 1e-12, "running_var");
}

#[test]
fn training_output_is_normalized_per_feature_on_4d() {
    // The course flattens (N, C, H, W) to (N, C·H·W): every (c, h, w) has its own statistics.
    let (n, c, h, w) = (4, 2, 1, 3);
    let x = batch(3, &[n, c, h, w]);
    let mut bn = BatchNorm::<f64>::course(c * h * w);
    let y = bn.forward(&x, Mode::Train);
    for ch in 0..c {
        for z in 0..w {
            let column: Vec<f64> = (0..n).map(|i| x.at(&[i, ch, 0, z])).collect();
            let (mean, var) = moments(&column);
            for i in 0..n {
                let expected = (x.at(&[i, ch, 0, z]) - mean) / (var + 1e-6).sqrt();
                let got = y.at(&[i, ch, 0, z]);
                assert!((got - expected).abs() < 1e-12, "{got} vs {expected}");
            }
        }
    }
}

#[test]
fn training_output_is_normalized_per_channel_with_gamma_beta() {
    let (n, c, h, w) = (2, 3, 2, 2);
    let x = batch(4, &[n, c, h, w]);
    let mut bn = BatchNormConfig::keras(c).build::<f64>();
    let (gamma, beta) = ([0.5, 2.0, -1.0], [0.1, -0.2, 0.3]);
    bn.visit_params(&mut |p| {
        let v = if p.name == "gamma" { gamma } else { beta };
        *p.value = Tensor::from_vec(v.to_vec(), [3]);
    });
    let y = bn.forward(&x, Mode::Train);
    for ch in 0..c {
        let mut values = Vec::new();
        for i in 0..n {
            for a in 0..h {
                for b in 0..w {
                    values.push(x.at(&[i, ch, a, b]));
                }
            }
        }
        let (mean, var) = moments(&values);
        for i in 0..n {
            for a in 0..h {
                for b in 0..w {
                    let xhat = (x.at(&[i, ch, a, b]) - mean) / (var + 1e-3).sqrt();
                    let expected = gamma[ch] * xhat + beta[ch];
                    assert!((y.at(&[i, ch, a, b]) - expected).abs() < 1e-12);
                }
            }
        }
    }
}

#[test]
fn eval_mode_uses_the_running_statistics() {
    let mut bn = BatchNorm::<f64>::course(2);
    // Two steps by hand: batches [[1, 2], [3, 6]] and [[5, 0], [7, 4]].
    bn.forward(
        &Tensor::from_vec(vec![1.0, 2.0, 3.0, 6.0], [2, 2]),
        Mode::Train,
    );
    bn.forward(
        &Tensor::from_vec(vec![5.0, 0.0, 7.0, 4.0], [2, 2]),
        Mode::Train,
    );
    // Column means: (2, 4) then (6, 2); biased variances: (1, 4) then (1, 4).
    // running_mean = 0.9·(0.1·(2, 4)) + 0.1·(6, 2) = (0.78, 0.56).
    // running_var  = 0.9·(0.1·(1, 4)) + 0.1·(1, 4) = (0.19, 0.76).
    assert_close(
        &bn.running_mean().to_vec(),
        &[0.78, 0.56],
        1e-12,
        "running_mean",
    );
    assert_close(
        &bn.running_var().to_vec(),
        &[0.19, 0.76],
        1e-12,
        "running_var",
    );
    bn.visit_params(&mut |p| {
        let v = if p.name == "gamma" {
            [2.0, 3.0]
        } else {
            [1.0, -1.0]
        };
        *p.value = Tensor::from_vec(v.to_vec(), [2]);
    });
    let x = Tensor::from_vec(vec![1.0, 1.0], [1, 2]);
    let y = bn.forward(&x, Mode::Eval);
    let expected = [
        2.0 * (1.0 - 0.78) / (0.19f64 + 1e-6).sqrt() + 1.0,
        3.0 * (1.0 - 0.56) / (0.76f64 + 1e-6).sqrt() - 1.0,
    ];
    assert_close(&y.to_vec(), &expected, 1e-9, "eval output");
    // Eval does not touch the running statistics.
    assert_close(
        &bn.running_mean().to_vec(),
        &[0.78, 0.56],
        1e-12,
        "running_mean",
    );
}

#[test]
fn buffers_are_visited_by_name() {
    let mut bn = BatchNorm::<f32>::course(3);
    let mut seen = Vec::new();
    bn.visit_buffers(&mut |b| seen.push((b.name, b.value.shape().to_vec())));
    assert_eq!(seen, [("running_mean", vec![3]), ("running_var", vec![3])]);
    let mut kinds = Vec::new();
    bn.visit_params(&mut |p| kinds.push((p.name, p.kind)));
    use dl_layers::ParamKind;
    assert_eq!(
        kinds,
        [("gamma", ParamKind::Scale), ("beta", ParamKind::Shift)]
    );
}

#[test]
fn per_channel_and_per_feature_differ_on_4d() {
    let x = batch(7, &[3, 2, 2, 2]);
    let a = BatchNorm::<f64>::new(BatchNormConfig::course(8)).forward(&x, Mode::Train);
    let b = BatchNormConfig::course(2)
        .stats(BatchStats::PerChannel)
        .build::<f64>()
        .forward(&x, Mode::Train);
    assert!(a.max_abs_diff(&b) > 0.1);
}

#[test]
fn f32_training_matches_f64() {
    let x = batch(8, &[16, 3, 4, 4]);
    let y64 = BatchNorm::<f64>::keras(3).forward(&x, Mode::Train);
    let y32 = BatchNorm::<f32>::keras(3).forward(&x.cast::<f32>(), Mode::Train);
    assert!(y32.cast::<f64>().max_abs_diff(&y64) < 1e-5);
}

#[test]
#[should_panic(
    expected = "BatchNorm(3, per feature): expected input of shape (N, …) with 3 features per sample, got [2, 4]"
)]
fn wrong_feature_count_panics_with_both_shapes() {
    BatchNorm::<f64>::course(3).forward(&Tensor::zeros([2, 4]), Mode::Train);
}

#[test]
#[should_panic(expected = "BatchNorm: backward called before forward")]
fn backward_before_forward_panics() {
    BatchNorm::<f64>::course(3).backward(&Tensor::zeros([2, 3]));
}

#[test]
#[should_panic(expected = "backward got dout of shape [2, 4]")]
fn backward_with_wrong_shape_panics() {
    let mut bn = BatchNorm::<f64>::course(3);
    bn.forward(&Tensor::ones([2, 3]), Mode::Train);
    bn.backward(&Tensor::zeros([2, 4]));
}

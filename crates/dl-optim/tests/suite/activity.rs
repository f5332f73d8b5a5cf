//! The activity penalty layer: identity forward, hand values, gradient check.

use dl_layers::gradcheck::check_layer;
use dl_layers::{Layer, Mode};
use dl_optim::ActivityPenalty;
use dl_tensor::{Tensor, rng_from_seed};

fn input() -> Tensor<f64> {
    Tensor::from_vec(vec![1.0, -2.0, 0.5, 3.0, 0.0, -1.0], [2, 3])
}

#[test]
fn forward_is_the_identity_and_reports_the_term() {
    let x = input();
    let mut both = ActivityPenalty::new(0.01, 0.02);
    assert_eq!(both.aux_loss(), 0.0);
    let y = both.forward(&x, Mode::Train);
    assert_eq!(y, x);
    // Σ|a| = 7.5, Σa² = 1 + 4 + 0.25 + 9 + 0 + 1 = 15.25; divided by N = 2.
    let expected = (0.01 * 7.5 + 0.02 * 15.25) / 2.0;
    assert!((both.aux_loss() - expected).abs() < 1e-15);
    // Eval mode reports it too.
    both.forward(&x, Mode::Eval);
    assert!((both.aux_loss() - expected).abs() < 1e-15);
}

#[test]
fn backward_adds_the_penalty_gradient() {
    let x = input();
    let mut both = ActivityPenalty::new(0.01, 0.02);
    both.forward(&x, Mode::Train);
    let dout = Tensor::full([2, 3], 1.0);
    let dx = both.backward(&dout).to_vec();
    for (i, &a) in x.to_vec().iter().enumerate() {
        let sign = if a > 0.0 {
            1.0
        } else if a < 0.0 {
            -1.0
        } else {
            0.0
        };
        let expected = 1.0 + (0.01 * sign + 2.0 * 0.02 * a) / 2.0;
        assert!((dx[i] - expected).abs() < 1e-15, "entry {i}");
    }
}

#[test]
fn without_batch_mean_the_term_is_the_plain_sum() {
    let mut l1 = ActivityPenalty::l1(0.01).with_batch_mean(false);
    l1.forward(&input(), Mode::Train);
    assert!((l1.aux_loss() - 0.075).abs() < 1e-15);
}

#[test]
fn gradient_check_l1_l2_and_both() {
    let mut rng = rng_from_seed(3);
    let x = Tensor::<f64>::randn([4, 5], 1.0, &mut rng);
    for (k, mut layer) in [
        ActivityPenalty::l1(0.3),
        ActivityPenalty::l2(0.3),
        ActivityPenalty::new(0.2, 0.4),
        ActivityPenalty::new(0.2, 0.4).with_batch_mean(false),
    ]
    .into_iter()
    .enumerate()
    {
        let report = check_layer(&mut layer, &x, Mode::Train, 10 + k as u64);
        report.assert_below(1e-6);
    }
}

#[test]
#[should_panic(expected = "ActivityPenalty: backward called before forward")]
fn backward_before_forward_panics() {
    ActivityPenalty::<f64>::l2(0.1).backward(&Tensor::zeros([2, 3]));
}

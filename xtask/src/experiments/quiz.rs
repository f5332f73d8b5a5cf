//! The notes' quizzes, answered by the library's own layers.

use dl_layers::{Affine, Convolution, Init, Labels, Layer, Mode, Sigmoid, conv_output_size};
use dl_models::{Activation, MultiLayerNetConfig, OptimizerKind, Preset};
use dl_tensor::{Tensor, rng_from_seed};

use crate::context::Context;
use crate::error::XtaskError;
use crate::results::{CheckResult, Outcome};
use crate::spec::{Experiment, Kind, Verdict};

/// The experiment.
pub fn experiment() -> Experiment {
    Experiment {
        name: "quiz".into(),
        section: "The notes' quizzes".into(),
        summary: "chain rule, sigmoid′, symmetric initial weights, convolution output size".into(),
        kind: Kind::Custom(run),
    }
}

fn check(out: &mut Outcome, claim: &str, holds: bool, evidence: String) {
    out.checks.push(CheckResult {
        claim: claim.into(),
        verdict: Verdict::new(holds, evidence),
    });
}

fn run(ctx: &Context) -> Result<Outcome, XtaskError> {
    let mut out = Outcome::default();

    // z = t², t = x + y: t is an Affine layer with weights [1, 1]; backward of the square is 2t.
    let (x, y) = (1.5f64, -0.25f64);
    let mut add = Affine::from_params(Tensor::from_vec(vec![1.0, 1.0], [2, 1]), Tensor::zeros([1]));
    let t = add.forward(&Tensor::from_vec(vec![x, y], [1, 2]), Mode::Train);
    let dz_dt = t.mul_scalar(2.0);
    let dx = add.backward(&dz_dt).at(&[0, 0]);
    check(
        &mut out,
        "d/dx of z = t², t = x + y is 2(x + y)",
        (dx - 2.0 * (x + y)).abs() < 1e-12,
        format!(
            "at x={x}, y={y}: backward gives {dx}, 2(x+y) = {}",
            2.0 * (x + y)
        ),
    );

    // sigmoid′ peaks at 0 with 0.25.
    let mut sig = Sigmoid::<f64>::new();
    let u = Tensor::from_fn([401], |i| -10.0 + i[0] as f64 * 0.05);
    sig.forward(&u, Mode::Train);
    let d = sig.backward(&Tensor::ones([401]));
    let arg = d.argmax_axis(0).at(&[]);
    let (peak_u, peak) = (u.at(&[arg]), d.max_all());
    check(
        &mut out,
        "sigmoid′ peaks at u = 0 with value 0.25",
        peak_u.abs() < 1e-9 && (peak - 0.25).abs() < 1e-12,
        format!("max {peak} at u = {peak_u}"),
    );

    // All-equal initial weights: every hidden unit stays identical.
    let config = Preset::MultiLayerNet(
        MultiLayerNetConfig::new(4, &[5], 3)
            .activation(Activation::Sigmoid)
            .init(Init::Std(0.0)),
    );
    let mut net = config.build::<f64>(ctx.seed);
    net.visit_params(&mut |p| p.value.fill(0.3));
    let mut opt = OptimizerKind::sgd(0.5).build::<f64>();
    let xb = Tensor::<f64>::randn([6, 4], 1.0, &mut rng_from_seed(ctx.seed));
    for _ in 0..20 {
        net.loss(&xb, Labels::Index(&[0, 1, 2, 0, 1, 2]), Mode::Train);
        net.backward();
        net.update(opt.as_mut());
    }
    let mut spread = 0.0f64;
    net.visit_params(&mut |p| {
        if p.layer == "affine1" && p.name == "W" {
            let w = p.value.to_contiguous();
            for r in 0..w.shape()[0] {
                let row = w.index_axis(0, r);
                spread = spread.max(row.max_all() - row.min_all());
            }
        }
    });
    check(
        &mut out,
        "all-equal initial weights make every hidden unit learn the same thing",
        spread < 1e-12,
        format!(
            "after 20 SGD steps the hidden units' incoming weights differ by at most {spread:e}"
        ),
    );

    // 6×6 input, 2×2 filter, stride 1, pad 1 → 7×7.
    let size = conv_output_size(6, 2, 1, 1);
    let mut conv = Convolution::<f64>::new(1, 1, 2, 2, 1, 1, Init::Std(1.0), &mut rng_from_seed(0));
    let shape = conv
        .forward(&Tensor::zeros([1, 1, 6, 6]), Mode::Eval)
        .shape()
        .to_vec();
    check(
        &mut out,
        "a 6×6 input with a 2×2 filter, stride 1, pad 1 gives 7×7",
        size == 7 && shape == [1, 1, 7, 7],
        format!("(6 + 2·1 − 2)/1 + 1 = {size}; the layer outputs {shape:?}"),
    );
    Ok(out)
}

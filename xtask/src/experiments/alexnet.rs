//! AlexNet (torchvision's layout): every stage's shape, the parameter count, and a few training
//! steps on a small input to show it learns.

use dl_layers::{Labels, Mode};
use dl_models::{OptimizerKind, Preset, Sequential};
use dl_tensor::{Float, Tensor, rng_from_seed};

use crate::context::Context;
use crate::error::XtaskError;
use crate::results::{CheckResult, Outcome};
use crate::spec::{Experiment, Kind, Verdict};

/// The experiment.
pub fn experiment() -> Experiment {
    Experiment {
        name: "alexnet".into(),
        section: "AlexNet (torchvision layout)".into(),
        summary: "prints every stage's output shape for 3×224×224 and the parameter count; trains a few steps".into(),
        kind: Kind::Custom(run),
    }
}

fn run(ctx: &Context) -> Result<Outcome, XtaskError> {
    let mut out = Outcome::default();
    let config = Preset::AlexNet {
        classes: 1000,
        in_channels: 3,
    };
    let mut net = config.build::<f32>(ctx.seed);
    let params = net.param_count();
    let x = Tensor::<f32>::zeros([1, 3, 224, 224]);
    out.notes
        .push("stage shapes for one 3×224×224 image:".into());
    out.notes
        .push(format!("  {:<10} {:<36} {:?}", "input", "", x.shape()));
    let mut flat_in = 0;
    for (name, desc, shape) in net.trace_shapes(&x, Mode::Eval) {
        if name == "flatten" {
            flat_in = shape[1];
        }
        out.notes.push(format!("  {name:<10} {desc:<36} {shape:?}"));
    }
    out.notes.push(format!("parameters: {params}"));
    out.notes.push(
        "the notes' prose says 96 first-layer filters, a 5×5 pooling and 4096 = 13×13×256; torchvision's AlexNet has \
         64 first-layer filters, 3×3 max pooling with stride 2, and 256×6×6 = 9216 inputs to the first Linear"
            .into(),
    );
    out.checks.push(CheckResult {
        claim: "torchvision's AlexNet has 61,100,840 parameters for 1000 classes".into(),
        verdict: Verdict::new(params == 61_100_840, format!("counted {params}")),
    });
    out.checks.push(CheckResult {
        claim: "the classifier's input is 256×6×6 = 9216 (not 13×13×256)".into(),
        verdict: Verdict::new(flat_in == 9216, format!("flattened features {flat_in}")),
    });

    // A few SGD steps on a small fixed batch, 1 channel and 10 classes: the loss, measured in
    // eval mode (no dropout noise) before and after, must fall. With He init the gradients are
    // large: SGD at 1e-3 or more overshoots and kills the ReLUs within five steps.
    let (batch, full_steps) = if ctx.quick { (2, 5) } else { (4, 10) };
    let steps = ctx.iterations.unwrap_or(full_steps);
    let optimizer = ctx.optimizer(OptimizerKind::sgd(3e-5));
    let mut small = Preset::AlexNet {
        classes: 10,
        in_channels: 1,
    }
    .build::<f32>(ctx.seed);
    let mut rng = rng_from_seed(ctx.seed);
    let xb = Tensor::<f32>::rand_uniform([batch, 1, 224, 224], 0.0, 1.0, &mut rng);
    let labels: Vec<usize> = (0..batch).map(|i| i % 10).collect();
    let mut opt = optimizer.build::<f32>();
    let eval_loss =
        |net: &mut Sequential<f32>| net.loss(&xb, Labels::Index(&labels), Mode::Eval).as_f64();
    let first = eval_loss(&mut small);
    let mut losses = Vec::new();
    for _ in 0..steps {
        let loss = small
            .loss(&xb, Labels::Index(&labels), Mode::Train)
            .as_f64();
        small.backward();
        small.update(opt.as_mut());
        losses.push(loss);
    }
    let last = eval_loss(&mut small);
    out.notes.push(format!(
        "training on {batch} random 1×224×224 images (10 classes), {steps} steps of {optimizer:?}: \
         training loss {}",
        losses
            .iter()
            .map(|l| format!("{l:.3}"))
            .collect::<Vec<_>>()
            .join(" → ")
    ));
    out.checks.push(CheckResult {
        claim: "AlexNet learns: a few steps on a fixed small batch lower its loss (eval mode)"
            .into(),
        verdict: Verdict::new(last < first, format!("loss {first:.4} → {last:.4}")),
    });
    Ok(out)
}

//! Each optimizer's first two steps against its formula evaluated by hand, plus the slot checks.

use dl_layers::{ParamKind, ParamMut};
use dl_optim::{
    AdaGrad, Adam, AdamEpsilon, Momentum, Optimizer, OptimizerKind, RmsProp, Sgd, step,
};
use dl_tensor::Tensor;

/// Two parameters, `fc.W` (2 entries) and `fc.b` (1 entry), with gradients set by the test.
struct Toy {
    w: Tensor<f64>,
    dw: Tensor<f64>,
    b: Tensor<f64>,
    db: Tensor<f64>,
}

const W0: [f64; 2] = [1.0, -2.0];
const G1: [f64; 2] = [0.5, -1.0];
const G2: [f64; 2] = [0.2, 0.4];
const B0: f64 = 0.25;
const GB1: f64 = -0.3;
const GB2: f64 = 0.1;

impl Toy {
    fn new() -> Self {
        Toy {
            w: Tensor::from_vec(W0.to_vec(), [2]),
            dw: Tensor::zeros([2]),
            b: Tensor::from_vec(vec![B0], [1]),
            db: Tensor::zeros([1]),
        }
    }

    fn visit(&mut self, f: &mut dyn FnMut(ParamMut<'_, f64>)) {
        f(ParamMut {
            layer: "fc",
            name: "W",
            kind: ParamKind::Weight,
            value: &mut self.w,
            grad: &mut self.dw,
        });
        f(ParamMut {
            layer: "fc",
            name: "b",
            kind: ParamKind::Bias,
            value: &mut self.b,
            grad: &mut self.db,
        });
    }

    /// One optimizer step with gradients `g` for W and `gb` for b.
    fn step(&mut self, opt: &mut dyn Optimizer<f64>, g: [f64; 2], gb: f64) {
        self.dw = Tensor::from_vec(g.to_vec(), [2]);
        self.db = Tensor::from_vec(vec![gb], [1]);
        step(opt, |f| self.visit(f));
    }

    fn w(&self) -> Vec<f64> {
        self.w.to_vec()
    }
}

fn assert_close(got: &[f64], expected: &[f64], what: &str) {
    for (i, (g, e)) in got.iter().zip(expected).enumerate() {
        assert!(
            (g - e).abs() <= 1e-12 * e.abs().max(1.0),
            "{what}[{i}]: got {g}, expected {e}"
        );
    }
}

/// Runs two steps and returns W after each, plus b after the second.
fn two_steps(opt: &mut dyn Optimizer<f64>) -> (Vec<f64>, Vec<f64>, f64) {
    let mut toy = Toy::new();
    toy.step(opt, G1, GB1);
    let w1 = toy.w();
    toy.step(opt, G2, GB2);
    (w1, toy.w(), toy.b.at(&[0]))
}

#[test]
fn sgd_first_two_steps() {
    let (w1, w2, b2) = two_steps(&mut Sgd::new(0.1));
    // w −= 0.1·g: (1 − 0.05, −2 + 0.1), then (0.95 − 0.02, −1.9 − 0.04).
    assert_close(&w1, &[0.95, -1.9], "w1");
    assert_close(&w2, &[0.93, -1.94], "w2");
    assert_close(&[b2], &[0.25 + 0.03 - 0.01], "b2");
}

#[test]
fn momentum_first_two_steps() {
    let (w1, w2, b2) = two_steps(&mut Momentum::new(0.1, 0.9));
    // v1 = −0.1·g1 = (−0.05, 0.1); w1 = (0.95, −1.9).
    // v2 = 0.9·v1 − 0.1·g2 = (−0.045 − 0.02, 0.09 − 0.04) = (−0.065, 0.05); w2 = (0.885, −1.85).
    assert_close(&w1, &[0.95, -1.9], "w1");
    assert_close(&w2, &[0.885, -1.85], "w2");
    // b: v1 = 0.03, v2 = 0.027 − 0.01 = 0.017; b2 = 0.25 + 0.03 + 0.017.
    assert_close(&[b2], &[0.297], "b2");
}

#[test]
fn adagrad_first_two_steps() {
    let (lr, eps) = (0.1, 1e-7);
    let (w1, w2, _) = two_steps(&mut AdaGrad::new(lr));
    // h1 = g1² = (0.25, 1); w1 = w0 − lr·g1/(√h1 + ε) ≈ (0.9, −1.9).
    let h1: [f64; 2] = [0.25, 1.0];
    let e1 = [1.0 - lr * 0.5 / (0.5 + eps), -2.0 + lr * 1.0 / (1.0 + eps)];
    assert_close(&w1, &e1, "w1");
    assert!((w1[0] - 0.9).abs() < 1e-6);
    // h2 = h1 + g2² = (0.29, 1.16).
    let h2: [f64; 2] = [h1[0] + 0.04, h1[1] + 0.16];
    let e2 = [
        e1[0] - lr * 0.2 / (h2[0].sqrt() + eps),
        e1[1] - lr * 0.4 / (h2[1].sqrt() + eps),
    ];
    assert_close(&w2, &e2, "w2");
}

#[test]
fn adagrad_initial_accumulator_is_used() {
    let (lr, eps, h0) = (0.1, 1e-7, 1e-4);
    let (w1, _, _) = two_steps(&mut AdaGrad::new(lr).with_initial_accumulator(h0));
    let e1 = 1.0 - lr * 0.5 / ((h0 + 0.25f64).sqrt() + eps);
    assert_close(&w1[..1], &[e1], "w1");
}

#[test]
fn adagrad_notebook_flag_skips_the_first_accumulation_only() {
    let (lr, eps, h0) = (0.1, 1e-7, 1e-4);
    let (nb1, nb2, _) = two_steps(&mut AdaGrad::notebook(lr));
    let (ok1, ok2, _) = two_steps(&mut AdaGrad::new(lr).with_initial_accumulator(h0));
    // Step 1, notebook: h stays 1e-4, so w1 = w0 − lr·g1/(0.01 + ε): a step of ≈ 10·g1.
    let nb_e1 = [
        1.0 - lr * 0.5 / (0.01 + eps),
        -2.0 + lr * 1.0 / (0.01 + eps),
    ];
    assert_close(&nb1, &nb_e1, "notebook w1");
    assert!((nb1[0] - (1.0 - 5.0)).abs() < 1e-3, "≈ −4: {}", nb1[0]);
    // Step 1, correct: h = 1e-4 + g1².
    let ok_e1 = [
        1.0 - lr * 0.5 / ((h0 + 0.25f64).sqrt() + eps),
        -2.0 + lr * 1.0 / ((h0 + 1.0f64).sqrt() + eps),
    ];
    assert_close(&ok1, &ok_e1, "correct w1");
    // Step 2: the notebook's h is 1e-4 + g2² (g1² never added); the correct one has both.
    let nb_e2 = [
        nb_e1[0] - lr * 0.2 / ((h0 + 0.04f64).sqrt() + eps),
        nb_e1[1] - lr * 0.4 / ((h0 + 0.16f64).sqrt() + eps),
    ];
    assert_close(&nb2, &nb_e2, "notebook w2");
    let ok_e2 = [
        ok_e1[0] - lr * 0.2 / ((h0 + 0.25 + 0.04f64).sqrt() + eps),
        ok_e1[1] - lr * 0.4 / ((h0 + 1.0 + 0.16f64).sqrt() + eps),
    ];
    assert_close(&ok2, &ok_e2, "correct w2");
}

#[test]
fn rmsprop_first_two_steps() {
    let (lr, eps) = (0.01, 1e-7);
    let (w1, w2, _) = two_steps(&mut RmsProp::new(lr));
    // h1 = 0.01·g1² = (0.0025, 0.01); √h1 = (0.05, 0.1); w1 ≈ w0 − 0.01·g1/√h1 = (0.9, −1.9).
    let e1 = [1.0 - lr * 0.5 / (0.05 + eps), -2.0 + lr * 1.0 / (0.1 + eps)];
    assert_close(&w1, &e1, "w1");
    // h2 = 0.99·h1 + 0.01·g2² = (0.002475 + 0.0004, 0.0099 + 0.0016) = (0.002875, 0.0115).
    let e2 = [
        e1[0] - lr * 0.2 / (0.002875f64.sqrt() + eps),
        e1[1] - lr * 0.4 / (0.0115f64.sqrt() + eps),
    ];
    assert_close(&w2, &e2, "w2");
}

#[test]
fn adam_first_two_steps() {
    let (lr, eps) = (0.01, 1e-7);
    let (w1, w2, _) = two_steps(&mut Adam::new(lr));
    // t = 1: lr_t = 0.01·√(1 − 0.999)/(1 − 0.9); m1 = 0.1·g1 = (0.05, −0.1);
    // v1 = 0.001·g1² = (0.00025, 0.001).
    let lr1 = lr * (1.0 - 0.999f64).sqrt() / (1.0 - 0.9);
    let (m1, v1) = ([0.05, -0.1], [0.00025, 0.001]);
    let e1 = [
        1.0 - lr1 * m1[0] / (f64::sqrt(v1[0]) + eps),
        -2.0 - lr1 * m1[1] / (f64::sqrt(v1[1]) + eps),
    ];
    assert_close(&w1, &e1, "w1");
    // The first Adam step is ≈ lr·sign(g).
    assert!((w1[0] - 0.99).abs() < 1e-5 && (w1[1] + 1.99).abs() < 1e-5);
    // t = 2: lr_t = 0.01·√(1 − 0.999²)/(1 − 0.9²); m2 = m1 + 0.1·(g2 − m1); v2 = v1 + 0.001·(g2² − v1).
    let lr2 = lr * (1.0 - 0.999f64 * 0.999).sqrt() / (1.0 - 0.81);
    let m2 = [0.05 + 0.1 * (0.2 - 0.05), -0.1 + 0.1 * (0.4 + 0.1)];
    let v2 = [
        0.00025 + 0.001 * (0.04 - 0.00025),
        0.001 + 0.001 * (0.16 - 0.001),
    ];
    let e2 = [
        e1[0] - lr2 * m2[0] / (f64::sqrt(v2[0]) + eps),
        e1[1] - lr2 * m2[1] / (f64::sqrt(v2[1]) + eps),
    ];
    assert_close(&w2, &e2, "w2");
}

#[test]
fn adam_paper_epsilon_first_two_steps() {
    let (lr, eps) = (0.01, 1e-3); // a large ε so the two forms differ visibly
    let mut opt = Adam::new(lr).with_eps(eps, AdamEpsilon::Paper);
    let (w1, w2, _) = two_steps(&mut opt);
    // Algorithm 1: m̂ = m/(1 − β1^t), v̂ = v/(1 − β2^t), w −= lr·m̂/(√v̂ + ε).
    // t = 1: m̂ = g1, v̂ = g1², so w1 = w0 − lr·g1/(|g1| + ε).
    let e1 = [1.0 - lr * 0.5 / (0.5 + eps), -2.0 + lr * 1.0 / (1.0 + eps)];
    assert_close(&w1, &e1, "w1");
    let m2 = [0.05 + 0.1 * (0.2 - 0.05), -0.1 + 0.1 * (0.4 + 0.1)];
    let v2 = [
        0.00025 + 0.001 * (0.04 - 0.00025),
        0.001 + 0.001 * (0.16 - 0.001),
    ];
    let (c1, c2) = (1.0 - 0.81, 1.0 - 0.999f64 * 0.999);
    let e2 = [
        e1[0] - lr * (m2[0] / c1) / ((v2[0] / c2).sqrt() + eps),
        e1[1] - lr * (m2[1] / c1) / ((v2[1] / c2).sqrt() + eps),
    ];
    assert_close(&w2, &e2, "w2");
    // The course's form with the same ε takes another first step.
    let (hat1, _, _) = two_steps(&mut Adam::new(lr).with_eps(eps, AdamEpsilon::Hat));
    assert!((hat1[0] - w1[0]).abs() > 1e-6);
}

#[test]
fn adam_in_f32_follows_f64() {
    let mut w = Tensor::from_vec(vec![1.0f32, -2.0], [2]);
    let mut dw = Tensor::from_vec(vec![0.5f32, -1.0], [2]);
    let mut opt = Adam::<f32>::new(0.01);
    for _ in 0..2 {
        step(&mut opt, |f| {
            f(ParamMut {
                layer: "",
                name: "W",
                kind: ParamKind::Weight,
                value: &mut w,
                grad: &mut dw,
            })
        });
    }
    let mut toy = Toy::new();
    let mut opt64 = Adam::<f64>::new(0.01);
    toy.step(&mut opt64, G1, GB1);
    toy.step(&mut opt64, G1, GB1);
    assert!(w.cast::<f64>().max_abs_diff(&toy.w) < 1e-6);
}

#[test]
fn kinds_build_the_described_optimizers() {
    let cases = [
        (OptimizerKind::sgd(0.01), "SGD(lr=0.01)"),
        (OptimizerKind::momentum(0.3, 0.9), "Momentum(lr=0.3, μ=0.9)"),
        (OptimizerKind::adagrad(0.1), "AdaGrad(lr=0.1, h0=0)"),
        (
            OptimizerKind::adagrad_notebook(0.1),
            "AdaGrad(lr=0.1, h0=0.0001, as notebook)",
        ),
        (OptimizerKind::rmsprop(0.01), "RMSProp(lr=0.01, ρ=0.99)"),
        (
            OptimizerKind::adam(0.001),
            "Adam(lr=0.001, β1=0.9, β2=0.999, ε=0.0000001)",
        ),
    ];
    for (kind, text) in cases {
        let opt = kind.build::<f64>();
        assert_eq!(opt.describe(), text);
        assert_eq!(opt.learning_rate(), kind.learning_rate());
    }
    // A built optimizer behaves as the direct one.
    let (a, _, _) = two_steps(OptimizerKind::adagrad_notebook(0.1).build::<f64>().as_mut());
    let (b, _, _) = two_steps(&mut AdaGrad::notebook(0.1));
    assert_eq!(a, b);
}

#[test]
fn learning_rate_can_change_between_steps() {
    let mut opt = Sgd::new(0.1);
    let mut toy = Toy::new();
    toy.step(&mut opt, G1, GB1);
    Optimizer::<f64>::set_learning_rate(&mut opt, 1.0);
    toy.step(&mut opt, G2, GB2);
    assert_close(&toy.w(), &[0.95 - 0.2, -1.9 - 0.4], "w2");
}

#[test]
#[should_panic(
    expected = "Adam: parameter slot 0 held fc.W of shape [2] but now receives fc.b of shape [1]"
)]
fn a_slot_that_changes_parameter_panics() {
    let mut opt = Adam::<f64>::new(0.01);
    let mut toy = Toy::new();
    toy.step(&mut opt, G1, GB1);
    // Visit in the other order: slot 0 now gets b.
    step(&mut opt, |f| {
        f(ParamMut {
            layer: "fc",
            name: "b",
            kind: ParamKind::Bias,
            value: &mut toy.b,
            grad: &mut toy.db,
        });
    });
}

#[test]
#[should_panic(
    expected = "Momentum: parameter slot 0 held fc.W of shape [2] but now receives fc.W of shape [3]"
)]
fn a_slot_that_changes_shape_panics() {
    let mut opt = Momentum::<f64>::new(0.1, 0.9);
    let mut toy = Toy::new();
    toy.step(&mut opt, G1, GB1);
    toy.w = Tensor::zeros([3]);
    toy.dw = Tensor::zeros([3]);
    step(&mut opt, |f| toy.visit(f));
}

#[test]
#[should_panic(expected = "SGD: a step updated 1 parameter slots, but 2 are known")]
fn a_step_that_skips_parameters_panics() {
    let mut opt = Sgd::new(0.1);
    let mut toy = Toy::new();
    toy.step(&mut opt, G1, GB1);
    step(&mut opt, |f| {
        f(ParamMut {
            layer: "fc",
            name: "W",
            kind: ParamKind::Weight,
            value: &mut toy.w,
            grad: &mut toy.dw,
        })
    });
}

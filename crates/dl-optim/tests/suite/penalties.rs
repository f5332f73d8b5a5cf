//! Weight penalties: loss term and gradient against hand values and finite differences.

use dl_layers::{ParamKind, ParamMut};
use dl_optim::{Penalty, PenaltyTarget, notebook_l2_loss_term};
use dl_tensor::{Tensor, rng_from_seed};

/// Two weight tensors, a bias and a BatchNorm γ.
struct Net {
    values: Vec<Tensor<f64>>,
    grads: Vec<Tensor<f64>>,
}

const KINDS: [ParamKind; 4] = [
    ParamKind::Weight,
    ParamKind::Bias,
    ParamKind::Weight,
    ParamKind::Scale,
];
const NAMES: [&str; 4] = ["W", "b", "W", "gamma"];

impl Net {
    fn hand() -> Self {
        let values = vec![
            Tensor::from_vec(vec![1.0, -2.0, 0.5, 0.0], [2, 2]),
            Tensor::from_vec(vec![3.0], [1]),
            Tensor::from_vec(vec![-1.5], [1, 1]),
            Tensor::from_vec(vec![2.0, -1.0], [2]),
        ];
        let grads = values.iter().map(Tensor::zeros_like).collect();
        Net { values, grads }
    }

    fn random(seed: u64) -> Self {
        let mut rng = rng_from_seed(seed);
        let shapes: [&[usize]; 4] = [&[3, 4], &[4], &[4, 2], &[2]];
        let values: Vec<Tensor<f64>> = shapes
            .iter()
            .map(|s| Tensor::randn(*s, 1.0, &mut rng))
            .collect();
        let grads = values.iter().map(Tensor::zeros_like).collect();
        Net { values, grads }
    }

    fn visit(&mut self, f: &mut dyn FnMut(ParamMut<'_, f64>)) {
        for (i, (v, g)) in self.values.iter_mut().zip(&mut self.grads).enumerate() {
            let layer = if i < 2 { "affine1" } else { "affine2" };
            f(ParamMut {
                layer,
                name: NAMES[i],
                kind: KINDS[i],
                value: v,
                grad: g,
            });
        }
    }

    fn loss(&mut self, p: &Penalty) -> f64 {
        p.loss_term(|f| self.visit(f))
    }

    fn grads(&mut self, p: &Penalty) -> Vec<Vec<f64>> {
        for g in &mut self.grads {
            g.fill(0.0);
        }
        p.apply_to_grads(|f| self.visit(f));
        self.grads.iter().map(Tensor::to_vec).collect()
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

#[test]
fn l2_hand_values_on_weights_only() {
    let mut net = Net::hand();
    let p = Penalty::l2(0.1);
    // Weights: 1 + 4 + 0.25 + 0 + 2.25 = 7.5; 0.5·0.1·7.5 = 0.375.
    assert!(close(net.loss(&p), 0.375));
    let g = net.grads(&p);
    assert_eq!(g[0], vec![0.1, -0.2, 0.05, 0.0]);
    assert_eq!(g[1], vec![0.0]);
    assert!(close(g[2][0], -0.15));
    assert_eq!(g[3], vec![0.0, 0.0]);
}

#[test]
fn l1_hand_values_on_weights_only() {
    let mut net = Net::hand();
    let p = Penalty::l1(0.01);
    // Σ|W| = 1 + 2 + 0.5 + 0 + 1.5 = 5.
    assert!(close(net.loss(&p), 0.05));
    let g = net.grads(&p);
    // sign(0) = 0.
    assert_eq!(g[0], vec![0.01, -0.01, 0.01, 0.0]);
    assert_eq!(g[2], vec![-0.01]);
    assert_eq!(g[1], vec![0.0]);
}

#[test]
fn elastic_net_is_both_terms() {
    let mut net = Net::hand();
    let p = Penalty::elastic_net(0.01, 0.1);
    assert!(close(net.loss(&p), 0.05 + 0.375));
    let g = net.grads(&p);
    assert!(close(g[0][0], 0.01 + 0.1));
    assert!(close(g[0][1], -0.01 - 0.2));
    assert!(close(g[0][3], 0.0));
    assert!(close(g[2][0], -0.01 - 0.15));
}

#[test]
fn target_all_includes_biases_and_norm_parameters() {
    let mut net = Net::hand();
    let p = Penalty::l2(0.1).with_target(PenaltyTarget::All);
    // 7.5 + 9 (bias) + 5 (γ) = 21.5.
    assert!(close(net.loss(&p), 0.5 * 0.1 * 21.5));
    let g = net.grads(&p);
    assert!(close(g[1][0], 0.3));
    assert_eq!(g[3], vec![0.2, -0.1]);
}

/// The gradient against central differences of the loss term, for every parameter entry.
fn check_finite_differences(p: &Penalty, seed: u64) {
    let mut net = Net::random(seed);
    let analytic = net.grads(p);
    let h = 1e-6;
    for t in 0..net.values.len() {
        for i in 0..net.values[t].len() {
            let orig = net.values[t].as_slice()[i];
            net.values[t].as_mut_slice()[i] = orig + h;
            let plus = net.loss(p);
            net.values[t].as_mut_slice()[i] = orig - h;
            let minus = net.loss(p);
            net.values[t].as_mut_slice()[i] = orig;
            let numeric = (plus - minus) / (2.0 * h);
            let a = analytic[t][i];
            assert!(
                (a - numeric).abs() < 1e-8,
                "{:?} tensor {t} entry {i}: analytic {a}, numeric {numeric}",
                p.kind
            );
        }
    }
}

#[test]
fn gradients_match_finite_differences() {
    for (k, p) in [
        Penalty::l2(0.3),
        Penalty::l1(0.05),
        Penalty::elastic_net(0.05, 0.3),
        Penalty::elastic_net(0.05, 0.3).with_target(PenaltyTarget::All),
    ]
    .iter()
    .enumerate()
    {
        check_finite_differences(p, 40 + k as u64);
    }
}

#[test]
fn notebook_l2_term_takes_a_square_root_per_weight_tensor() {
    let mut net = Net::hand();
    // Per weight tensor: W1 has ΣW² = 1 + 4 + 0.25 + 0 = 5.25, W2 has 2.25 (√ = 1.5).
    let logged: f64 = notebook_l2_loss_term(0.1, |f| net.visit(f));
    let expected = 0.5 * 0.1 * 5.25f64.sqrt() + 0.5 * 0.1 * 1.5;
    assert!(close(logged, expected), "{logged} vs {expected}");
    // The right term differs.
    assert!(!close(logged, net.loss(&Penalty::l2(0.1))));
}

//! Weight penalties applied to a whole model: the loss term over every weight (not biases) and
//! its gradient added to the weights' gradients.

use dl_layers::ParamKind;
use dl_tensor::Float;

use crate::config::PenaltyConfig;
use crate::network::Network;
use crate::sequential::Sequential;

/// `l1·Σ|W| + 0.5·l2·ΣW²` over every weight tensor ([`ParamKind::Weight`]), gradient
/// `l1·sign(W) + l2·W`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Penalty {
    /// Strength of the L1 term.
    pub l1: f64,
    /// Strength of the L2 term.
    pub l2: f64,
    /// Log the notes' erroneous L2 term `0.5·λ·√ΣW²` instead (gradient unchanged).
    pub notebook_sqrt: bool,
}

impl Penalty {
    /// The penalty a configuration describes; `as_notebook` replays the notes' logged √.
    pub fn from_config(config: PenaltyConfig, as_notebook: bool) -> Self {
        let (l1, l2) = match config {
            PenaltyConfig::L1 { lambda } => (lambda, 0.0),
            PenaltyConfig::L2 { lambda } => (0.0, lambda),
            PenaltyConfig::ElasticNet { l1, l2 } => (l1, l2),
        };
        Penalty {
            l1,
            l2,
            notebook_sqrt: as_notebook,
        }
    }

    /// The loss term over the weights of `layers`.
    pub fn loss_term<T: Float>(&self, layers: &mut Sequential<T>) -> f64 {
        let mut total = 0.0;
        layers.visit_params(&mut |p| {
            if p.kind != ParamKind::Weight {
                return;
            }
            let (mut abs, mut sq) = (0.0, 0.0);
            p.value.for_each(|w| {
                let w = w.as_f64();
                abs += w.abs();
                sq += w * w;
            });
            let l2_term = if self.notebook_sqrt {
                0.5 * self.l2 * sq.sqrt()
            } else {
                0.5 * self.l2 * sq
            };
            total += self.l1 * abs + l2_term;
        });
        total
    }

    /// Adds the penalty's gradient to the weights' gradients of `layers`.
    pub fn add_gradient<T: Float>(&self, layers: &mut Sequential<T>) {
        let (l1, l2) = (T::lit(self.l1), T::lit(self.l2));
        layers.visit_params(&mut |p| {
            if p.kind != ParamKind::Weight {
                return;
            }
            let w = p.value.to_contiguous();
            let grad = p.grad.as_mut_slice();
            for (g, &w) in grad.iter_mut().zip(w.as_slice()) {
                let sign = if w > T::zero() {
                    T::one()
                } else if w < T::zero() {
                    -T::one()
                } else {
                    T::zero()
                };
                *g += l1 * sign + l2 * w;
            }
        });
    }

    /// After a backward pass: adds the gradient and returns the loss term (the hand-written
    /// loops of the notes' 2_5).
    pub fn apply<T: Float>(&self, net: &mut Network<T>) -> f64 {
        let term = self.loss_term(net.layers());
        self.add_gradient(net.layers());
        term
    }
}

//! Weight penalties: a term added to the loss and its gradient added to the parameters'
//! gradients, on weights only by default (as the course).

use dl_layers::{ParamKind, ParamMut};
use dl_tensor::Float;

/// Which parameters a [`Penalty`] applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum PenaltyTarget {
    /// Only [`ParamKind::Weight`] (weight matrices and filters): the course's choice.
    #[default]
    Weights,
    /// Every parameter, biases and normalization γ/β included.
    All,
}

/// The form and strength of a weight penalty.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum PenaltyKind {
    /// L2 (weight decay): `0.5·λ·ΣW²` in the loss, `λ·W` in the gradient.
    L2 {
        /// λ.
        lambda: f64,
    },
    /// L1: `λ·Σ|W|` in the loss, `λ·sign(W)` in the gradient (`sign(0) = 0`).
    L1 {
        /// λ.
        lambda: f64,
    },
    /// Elastic Net, both terms with separate strengths:
    /// `l1·Σ|W| + 0.5·l2·ΣW²`, gradient `l1·sign(W) + l2·W`.
    ///
    /// (The notes write it `λ1Σw² + λ2Σ|w|` — with a wrong minus sign, and the other labelling
    /// of the two strengths. Here `l1` always goes with `|W|` and `l2` with `W²`.)
    ElasticNet {
        /// Strength of the L1 term.
        l1: f64,
        /// Strength of the L2 term.
        l2: f64,
    },
}

/// A weight penalty: [`Penalty::loss_term`] is added to the data loss after the forward pass,
/// and [`Penalty::apply_to_grads`] adds its gradient to the parameters' gradients after the
/// backward pass, before the optimizer step.
///
/// Both take a `visit` function such as `|f| model.visit_params(f)`.
///
/// ```
/// use dl_layers::{ParamKind, ParamMut};
/// use dl_optim::Penalty;
/// use dl_tensor::Tensor;
/// let mut w = Tensor::from_vec(vec![1.0f64, -2.0], [2]);
/// let mut dw = Tensor::zeros([2]);
/// let mut b = Tensor::from_vec(vec![5.0f64], [1]);
/// let mut db = Tensor::zeros([1]);
/// let mut visit = |f: &mut dyn FnMut(ParamMut<'_, f64>)| {
///     f(ParamMut { layer: "", name: "W", kind: ParamKind::Weight, value: &mut w, grad: &mut dw });
///     f(ParamMut { layer: "", name: "b", kind: ParamKind::Bias, value: &mut b, grad: &mut db });
/// };
/// let l2 = Penalty::l2(0.1);
/// // 0.5 · 0.1 · (1 + 4); the bias is left alone.
/// assert!((l2.loss_term(&mut visit) - 0.25).abs() < 1e-15);
/// l2.apply_to_grads(&mut visit);
/// assert_eq!(dw.to_vec(), vec![0.1, -0.2]);
/// assert_eq!(db.to_vec(), vec![0.0]);
/// ```
///
/// With the `serde` feature it is written as its kind, plus `target` when that is not the
/// default: `{"l2": {"lambda": 0.1}}`.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Penalty {
    /// The form and strength.
    #[cfg_attr(feature = "serde", serde(flatten))]
    pub kind: PenaltyKind,
    /// Which parameters it applies to.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "PenaltyTarget::is_weights")
    )]
    pub target: PenaltyTarget,
}

impl PenaltyTarget {
    /// Whether this is the default, [`PenaltyTarget::Weights`].
    pub fn is_weights(&self) -> bool {
        *self == PenaltyTarget::Weights
    }
}

impl Penalty {
    /// L2 with strength λ on weights.
    pub fn l2(lambda: f64) -> Self {
        Self::new(PenaltyKind::L2 { lambda })
    }

    /// L1 with strength λ on weights.
    pub fn l1(lambda: f64) -> Self {
        Self::new(PenaltyKind::L1 { lambda })
    }

    /// Elastic Net with strength `l1` on `Σ|W|` and `l2` on `0.5·ΣW²`, on weights.
    pub fn elastic_net(l1: f64, l2: f64) -> Self {
        Self::new(PenaltyKind::ElasticNet { l1, l2 })
    }

    /// A penalty of `kind` on weights only.
    pub fn new(kind: PenaltyKind) -> Self {
        Penalty {
            kind,
            target: PenaltyTarget::Weights,
        }
    }

    /// Applies the penalty to `target`.
    pub fn with_target(mut self, target: PenaltyTarget) -> Self {
        self.target = target;
        self
    }

    /// Whether a parameter of `kind` is penalized.
    pub fn applies_to(&self, kind: ParamKind) -> bool {
        self.target == PenaltyTarget::All || kind == ParamKind::Weight
    }

    /// The strengths `(l1, l2)` of the `|W|` and `0.5·W²` terms.
    pub fn strengths(&self) -> (f64, f64) {
        match self.kind {
            PenaltyKind::L2 { lambda } => (0.0, lambda),
            PenaltyKind::L1 { lambda } => (lambda, 0.0),
            PenaltyKind::ElasticNet { l1, l2 } => (l1, l2),
        }
    }

    /// The term to add to the loss, summed over every penalized parameter (accumulated in
    /// `f64`).
    pub fn loss_term<T: Float>(&self, visit: impl FnOnce(&mut dyn FnMut(ParamMut<'_, T>))) -> T {
        let (l1, l2) = self.strengths();
        let mut total = 0.0f64;
        visit(&mut |p| {
            if self.applies_to(p.kind) {
                let (mut abs, mut sq) = (0.0f64, 0.0f64);
                p.value.for_each(|w| {
                    let w = w.as_f64();
                    abs += w.abs();
                    sq += w * w;
                });
                total += l1 * abs + 0.5 * l2 * sq;
            }
        });
        T::lit(total)
    }

    /// Adds the penalty's gradient to the gradient of every penalized parameter.
    ///
    /// # Panics
    /// If a parameter's gradient and value shapes differ.
    #[track_caller]
    pub fn apply_to_grads<T: Float>(&self, visit: impl FnOnce(&mut dyn FnMut(ParamMut<'_, T>))) {
        let (l1, l2) = self.strengths();
        let (l1, l2) = (T::lit(l1), T::lit(l2));
        visit(&mut |p| {
            if self.applies_to(p.kind) {
                if p.grad.shape() != p.value.shape() {
                    dl_tensor::shape_mismatch(
                        "Penalty::apply_to_grads",
                        p.value.shape(),
                        p.grad.shape(),
                    );
                }
                let w = p.value.to_contiguous();
                for (g, &w) in p.grad.as_mut_slice().iter_mut().zip(w.as_slice()) {
                    *g += l1 * sign(w) + l2 * w;
                }
            }
        });
    }
}

/// `sign(x)`: −1, 0 or 1 (0 at 0, as NumPy's `np.sign`).
pub(crate) fn sign<T: Float>(x: T) -> T {
    if x > T::zero() {
        T::one()
    } else if x < T::zero() {
        -T::one()
    } else {
        T::zero()
    }
}

/// **Wrong on purpose**, for `--as-notebook` replays only: the L2 term the notes *log*,
/// `Σ_W 0.5·λ·√(ΣW²)` — a square root too many, per weight tensor. Training still uses the
/// right gradient `λ·W`; only the logged loss differs. The correct term is
/// [`Penalty::loss_term`] of [`Penalty::l2`]. Applies to weights ([`ParamKind::Weight`]) only.
pub fn notebook_l2_loss_term<T: Float>(
    lambda: f64,
    visit: impl FnOnce(&mut dyn FnMut(ParamMut<'_, T>)),
) -> T {
    let mut total = 0.0f64;
    visit(&mut |p| {
        if p.kind == ParamKind::Weight {
            let mut sq = 0.0f64;
            p.value.for_each(|w| sq += w.as_f64() * w.as_f64());
            total += 0.5 * lambda * sq.sqrt();
        }
    });
    T::lit(total)
}

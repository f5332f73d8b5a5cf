//! One enum that describes and builds any optimizer of this crate.

use dl_tensor::Float;

use crate::{AdaGrad, Adam, AdamEpsilon, Momentum, Optimizer, RmsProp, Sgd};

/// An optimizer and its hyper-parameters; [`OptimizerKind::build`] makes a fresh optimizer
/// (empty state) for any element type.
///
/// ```
/// use dl_optim::OptimizerKind;
/// let opt = OptimizerKind::adam(0.001).build::<f32>();
/// assert_eq!(opt.describe(), "Adam(lr=0.001, β1=0.9, β2=0.999, ε=0.0000001)");
/// assert_eq!(OptimizerKind::momentum(0.3, 0.9).build::<f64>().learning_rate(), 0.3);
/// ```
///
/// With the `serde` feature, settings at their defaults (AdaGrad's accumulator and notebook
/// flag, Adam's ε and its form) may be left out: `{"adam": {"lr": 0.001, "beta1": 0.9,
/// "beta2": 0.999}}`.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum OptimizerKind {
    /// [`Sgd`]: `w −= lr·g`.
    Sgd {
        /// Learning rate.
        lr: f64,
    },
    /// [`Momentum`]: `v = μv − lr·g; w += v`.
    Momentum {
        /// Learning rate.
        lr: f64,
        /// μ.
        momentum: f64,
    },
    /// [`AdaGrad`]: `h += g²; w −= lr·g/(√h + 1e-7)`.
    AdaGrad {
        /// Learning rate.
        lr: f64,
        /// The accumulator's initial value (0; the notes use 1e-4).
        #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "is_zero"))]
        initial_accumulator: f64,
        /// Replays the notes' skipped `h += g²` on the first step.
        #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "is_false"))]
        as_notebook: bool,
    },
    /// [`RmsProp`]: `h = ρh + (1−ρ)g²; w −= lr·g/(√h + 1e-7)`.
    RmsProp {
        /// Learning rate.
        lr: f64,
        /// ρ.
        rho: f64,
    },
    /// [`Adam`] with bias correction.
    Adam {
        /// Learning rate.
        lr: f64,
        /// β1.
        beta1: f64,
        /// β2.
        beta2: f64,
        /// ε.
        #[cfg_attr(
            feature = "serde",
            serde(
                default = "default_adam_eps",
                skip_serializing_if = "is_default_adam_eps"
            )
        )]
        eps: f64,
        /// Where ε enters (the course's and Keras's form is [`AdamEpsilon::Hat`]).
        #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "is_hat"))]
        epsilon: AdamEpsilon,
    },
}

impl OptimizerKind {
    /// SGD with learning rate `lr`.
    pub const fn sgd(lr: f64) -> Self {
        OptimizerKind::Sgd { lr }
    }

    /// Momentum with learning rate `lr` and momentum `μ`.
    pub const fn momentum(lr: f64, momentum: f64) -> Self {
        OptimizerKind::Momentum { lr, momentum }
    }

    /// Correct AdaGrad (`h` from 0).
    pub const fn adagrad(lr: f64) -> Self {
        OptimizerKind::AdaGrad {
            lr,
            initial_accumulator: 0.0,
            as_notebook: false,
        }
    }

    /// The notes' AdaGrad: `h` from 1e-4, first-step bug replayed.
    pub const fn adagrad_notebook(lr: f64) -> Self {
        OptimizerKind::AdaGrad {
            lr,
            initial_accumulator: 1e-4,
            as_notebook: true,
        }
    }

    /// RMSProp with ρ 0.99.
    pub const fn rmsprop(lr: f64) -> Self {
        OptimizerKind::RmsProp { lr, rho: 0.99 }
    }

    /// Adam with β1 0.9, β2 0.999, ε 1e-7 in the course's form (identical to Keras's).
    pub const fn adam(lr: f64) -> Self {
        Self::adam_with_betas(lr, 0.9, 0.999)
    }

    /// Adam with the given β1 and β2, and the notes' ε (1e-7, added to `√v̂`).
    pub const fn adam_with_betas(lr: f64, beta1: f64, beta2: f64) -> Self {
        OptimizerKind::Adam {
            lr,
            beta1,
            beta2,
            eps: ADAM_EPS,
            epsilon: AdamEpsilon::Hat,
        }
    }

    /// The learning rate.
    pub fn learning_rate(&self) -> f64 {
        match *self {
            OptimizerKind::Sgd { lr }
            | OptimizerKind::Momentum { lr, .. }
            | OptimizerKind::AdaGrad { lr, .. }
            | OptimizerKind::RmsProp { lr, .. }
            | OptimizerKind::Adam { lr, .. } => lr,
        }
    }

    /// The same optimizer with learning rate `lr`.
    pub fn with_lr(mut self, lr: f64) -> Self {
        match &mut self {
            OptimizerKind::Sgd { lr: l }
            | OptimizerKind::Momentum { lr: l, .. }
            | OptimizerKind::AdaGrad { lr: l, .. }
            | OptimizerKind::RmsProp { lr: l, .. }
            | OptimizerKind::Adam { lr: l, .. } => *l = lr,
        }
        self
    }

    /// A fresh optimizer with these settings.
    pub fn build<T: Float>(&self) -> Box<dyn Optimizer<T>> {
        match *self {
            OptimizerKind::Sgd { lr } => Box::new(Sgd::new(lr)),
            OptimizerKind::Momentum { lr, momentum } => Box::new(Momentum::new(lr, momentum)),
            OptimizerKind::AdaGrad {
                lr,
                initial_accumulator,
                as_notebook,
            } => Box::new(
                AdaGrad::new(lr)
                    .with_initial_accumulator(initial_accumulator)
                    .with_notebook_bug(as_notebook),
            ),
            OptimizerKind::RmsProp { lr, rho } => Box::new(RmsProp::new(lr).with_rho(rho)),
            OptimizerKind::Adam {
                lr,
                beta1,
                beta2,
                eps,
                epsilon,
            } => Box::new(
                Adam::new(lr)
                    .with_betas(beta1, beta2)
                    .with_eps(eps, epsilon),
            ),
        }
    }
}

/// The notes' ε for Adam (and every optimizer's denominator).
const ADAM_EPS: f64 = 1e-7;

#[cfg(feature = "serde")]
fn default_adam_eps() -> f64 {
    ADAM_EPS
}

#[cfg(feature = "serde")]
fn is_default_adam_eps(eps: &f64) -> bool {
    *eps == ADAM_EPS
}

#[cfg(feature = "serde")]
fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

#[cfg(feature = "serde")]
fn is_false(b: &bool) -> bool {
    !*b
}

#[cfg(feature = "serde")]
fn is_hat(e: &AdamEpsilon) -> bool {
    *e == AdamEpsilon::Hat
}

//! Adam.

use dl_layers::ParamMut;
use dl_tensor::Float;

use crate::optimizer::{Optimizer, Slots, grad_of};

/// Where Adam's ε enters the update.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum AdamEpsilon {
    /// The course's form, identical to Keras's `Adam` (whose doc calls its ε the "epsilon hat"
    /// of Kingma & Ba, the formula just before their Section 2.1):
    /// `lr_t = lr·√(1−β2^t)/(1−β1^t)`, `w −= lr_t·m/(√v + ε)`.
    #[default]
    Hat,
    /// Algorithm 1 of the paper (PyTorch's form): `m̂ = m/(1−β1^t)`, `v̂ = v/(1−β2^t)`,
    /// `w −= lr·m̂/(√v̂ + ε)`. Differs from [`AdamEpsilon::Hat`] only through ε, by a factor
    /// `√(1−β2^t)` on it.
    Paper,
}

/// Adam: `m += (1−β1)(g − m)`, `v += (1−β2)(g² − v)`, then the bias-corrected step of
/// [`AdamEpsilon`] (by default the course's and Keras's `lr_t` form). `m` and `v` start at 0;
/// `t` counts the updates of each parameter, starting at 1.
///
/// ```
/// use dl_optim::{Adam, Optimizer};
/// let adam = Adam::<f32>::new(0.001);
/// assert_eq!((adam.beta1, adam.beta2, adam.eps), (0.9, 0.999, 1e-7));
/// ```
pub struct Adam<T> {
    /// The learning rate.
    pub lr: f64,
    /// β1, the decay of the first moment.
    pub beta1: f64,
    /// β2, the decay of the second moment.
    pub beta2: f64,
    /// ε (1e-7, the course's and Keras's default).
    pub eps: f64,
    /// Where ε enters.
    pub epsilon: AdamEpsilon,
    /// Per slot: `m`, `v` and the number of updates so far.
    slots: Slots<(Vec<T>, Vec<T>, u32)>,
}

impl<T: Float> Adam<T> {
    /// Adam with learning rate `lr`, β1 0.9, β2 0.999, ε 1e-7 in the course's (Keras's) form.
    pub fn new(lr: f64) -> Self {
        Adam {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-7,
            epsilon: AdamEpsilon::Hat,
            slots: Slots::new("Adam"),
        }
    }

    /// Sets β1 and β2.
    pub fn with_betas(mut self, beta1: f64, beta2: f64) -> Self {
        self.beta1 = beta1;
        self.beta2 = beta2;
        self
    }

    /// Sets ε and where it enters.
    pub fn with_eps(mut self, eps: f64, epsilon: AdamEpsilon) -> Self {
        self.eps = eps;
        self.epsilon = epsilon;
        self
    }
}

impl<T: Float> Optimizer<T> for Adam<T> {
    fn describe(&self) -> String {
        let form = match self.epsilon {
            AdamEpsilon::Hat => "",
            AdamEpsilon::Paper => ", ε as in Algorithm 1",
        };
        format!(
            "Adam(lr={}, β1={}, β2={}, ε={}{form})",
            self.lr, self.beta1, self.beta2, self.eps
        )
    }

    fn learning_rate(&self) -> f64 {
        self.lr
    }

    fn set_learning_rate(&mut self, lr: f64) {
        self.lr = lr;
    }

    #[track_caller]
    fn update(&mut self, slot: usize, p: ParamMut<'_, T>) {
        let (m, v, t) = self
            .slots
            .get(slot, &p, |n| (vec![T::zero(); n], vec![T::zero(); n], 0));
        *t += 1;
        let (c1, c2) = (
            1.0 - self.beta1.powi(*t as i32),
            1.0 - self.beta2.powi(*t as i32),
        );
        // Both forms as `w −= step·m/(√v + eps_eff)`; for the paper's form
        // lr·m̂/(√v̂ + ε) = (lr·√c2/c1)·m/(√v + ε·√c2).
        let step = T::lit(self.lr * c2.sqrt() / c1);
        let eps = match self.epsilon {
            AdamEpsilon::Hat => T::lit(self.eps),
            AdamEpsilon::Paper => T::lit(self.eps * c2.sqrt()),
        };
        let (k1, k2) = (T::lit(1.0 - self.beta1), T::lit(1.0 - self.beta2));
        let g = grad_of(&p);
        let w = p.value.as_mut_slice();
        for (((w, m), v), &g) in w
            .iter_mut()
            .zip(m.iter_mut())
            .zip(v.iter_mut())
            .zip(g.as_slice())
        {
            *m += k1 * (g - *m);
            *v += k2 * (g * g - *v);
            *w -= step * *m / (v.sqrt() + eps);
        }
    }

    #[track_caller]
    fn end_step(&mut self, slots: usize) {
        self.slots.finish(slots);
    }
}

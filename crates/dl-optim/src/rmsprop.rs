//! RMSProp: AdaGrad with a leaky accumulator.

use dl_layers::ParamMut;
use dl_tensor::Float;

use crate::optimizer::{Optimizer, Slots, grad_of};

/// RMSProp: `h = ρ·h + (1 − ρ)·g²; w −= lr·g/(√h + ε)`, `h` starting at 0, ε = 1e-7.
pub struct RmsProp<T> {
    /// The learning rate.
    pub lr: f64,
    /// ρ, the decay of the accumulator (0.99 in the notes).
    pub rho: f64,
    /// ε, added to `√h`.
    pub eps: f64,
    slots: Slots<Vec<T>>,
}

impl<T: Float> RmsProp<T> {
    /// RMSProp with learning rate `lr`, ρ 0.99 and ε 1e-7.
    pub fn new(lr: f64) -> Self {
        RmsProp {
            lr,
            rho: 0.99,
            eps: 1e-7,
            slots: Slots::new("RMSProp"),
        }
    }

    /// Sets ρ.
    pub fn with_rho(mut self, rho: f64) -> Self {
        self.rho = rho;
        self
    }
}

impl<T: Float> Optimizer<T> for RmsProp<T> {
    fn describe(&self) -> String {
        format!("RMSProp(lr={}, ρ={})", self.lr, self.rho)
    }

    fn learning_rate(&self) -> f64 {
        self.lr
    }

    fn set_learning_rate(&mut self, lr: f64) {
        self.lr = lr;
    }

    #[track_caller]
    fn update(&mut self, slot: usize, p: ParamMut<'_, T>) {
        let h = self.slots.get(slot, &p, |n| vec![T::zero(); n]);
        let g = grad_of(&p);
        let (lr, eps, rho) = (T::lit(self.lr), T::lit(self.eps), T::lit(self.rho));
        let keep = T::one() - rho;
        let w = p.value.as_mut_slice();
        for ((w, h), &g) in w.iter_mut().zip(h.iter_mut()).zip(g.as_slice()) {
            *h = rho * *h + keep * g * g;
            *w -= lr * g / (h.sqrt() + eps);
        }
    }

    #[track_caller]
    fn end_step(&mut self, slots: usize) {
        self.slots.finish(slots);
    }
}

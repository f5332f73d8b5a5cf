//! SGD with momentum.

use dl_layers::ParamMut;
use dl_tensor::Float;

use crate::optimizer::{Optimizer, Slots, grad_of};

/// Momentum SGD in the course's form: `v = μ·v − lr·g; w += v`, with `v` starting at 0.
pub struct Momentum<T> {
    /// The learning rate.
    pub lr: f64,
    /// μ, the fraction of the velocity kept each step (0.9 in the notes).
    pub momentum: f64,
    slots: Slots<Vec<T>>,
}

impl<T: Float> Momentum<T> {
    /// Momentum SGD with learning rate `lr` and momentum `μ`.
    pub fn new(lr: f64, momentum: f64) -> Self {
        Momentum {
            lr,
            momentum,
            slots: Slots::new("Momentum"),
        }
    }
}

impl<T: Float> Optimizer<T> for Momentum<T> {
    fn describe(&self) -> String {
        format!("Momentum(lr={}, μ={})", self.lr, self.momentum)
    }

    fn learning_rate(&self) -> f64 {
        self.lr
    }

    fn set_learning_rate(&mut self, lr: f64) {
        self.lr = lr;
    }

    #[track_caller]
    fn update(&mut self, slot: usize, p: ParamMut<'_, T>) {
        let velocity = self.slots.get(slot, &p, |n| vec![T::zero(); n]);
        let g = grad_of(&p);
        let (lr, mu) = (T::lit(self.lr), T::lit(self.momentum));
        let w = p.value.as_mut_slice();
        for ((w, v), &g) in w.iter_mut().zip(velocity.iter_mut()).zip(g.as_slice()) {
            *v = mu * *v - lr * g;
            *w += *v;
        }
    }

    #[track_caller]
    fn end_step(&mut self, slots: usize) {
        self.slots.finish(slots);
    }
}

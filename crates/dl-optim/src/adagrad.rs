//! AdaGrad: per-element learning rates from the accumulated squared gradients.

use dl_layers::ParamMut;
use dl_tensor::Float;

use crate::optimizer::{Optimizer, Slots, grad_of};

/// AdaGrad: `h += g²; w −= lr·g/(√h + ε)`, ε = 1e-7.
///
/// The accumulator `h` starts at [`AdaGrad::initial_accumulator`], 0 by default; the notes
/// start it at 1e-4. With [`AdaGrad::as_notebook`] set, the notes' bug is replayed: on the
/// first update of each parameter `h += g²` is skipped, so that step divides by `√h₀ + ε`
/// (a step of `lr·g/0.01` with the notes' `h₀ = 1e-4`). [`AdaGrad::notebook`] sets both.
pub struct AdaGrad<T> {
    /// The learning rate.
    pub lr: f64,
    /// ε, added to `√h`.
    pub eps: f64,
    /// The initial value of every accumulator entry.
    pub initial_accumulator: f64,
    /// Replays the notes' skipped `h += g²` on the first step.
    pub as_notebook: bool,
    /// Per slot: the accumulator and whether the slot has been updated before.
    slots: Slots<(Vec<T>, bool)>,
}

impl<T: Float> AdaGrad<T> {
    /// Correct AdaGrad with learning rate `lr`, `h` starting at 0, ε 1e-7.
    pub fn new(lr: f64) -> Self {
        AdaGrad {
            lr,
            eps: 1e-7,
            initial_accumulator: 0.0,
            as_notebook: false,
            slots: Slots::new("AdaGrad"),
        }
    }

    /// The notes' hand-written AdaGrad: `h` starts at 1e-4 and the first step skips `h += g²`.
    pub fn notebook(lr: f64) -> Self {
        Self::new(lr)
            .with_initial_accumulator(1e-4)
            .with_notebook_bug(true)
    }

    /// Sets the accumulator's initial value.
    pub fn with_initial_accumulator(mut self, h0: f64) -> Self {
        self.initial_accumulator = h0;
        self
    }

    /// Turns the replay of the notes' first-step bug on or off.
    pub fn with_notebook_bug(mut self, on: bool) -> Self {
        self.as_notebook = on;
        self
    }
}

impl<T: Float> Optimizer<T> for AdaGrad<T> {
    fn describe(&self) -> String {
        let bug = if self.as_notebook {
            ", as notebook"
        } else {
            ""
        };
        format!(
            "AdaGrad(lr={}, h0={}{bug})",
            self.lr, self.initial_accumulator
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
        let h0 = T::lit(self.initial_accumulator);
        let (h, seen) = self.slots.get(slot, &p, |n| (vec![h0; n], false));
        let accumulate = *seen || !self.as_notebook;
        *seen = true;
        let g = grad_of(&p);
        let (lr, eps) = (T::lit(self.lr), T::lit(self.eps));
        let w = p.value.as_mut_slice();
        for ((w, h), &g) in w.iter_mut().zip(h.iter_mut()).zip(g.as_slice()) {
            if accumulate {
                *h += g * g;
            }
            *w -= lr * g / (h.sqrt() + eps);
        }
    }

    #[track_caller]
    fn end_step(&mut self, slots: usize) {
        self.slots.finish(slots);
    }
}

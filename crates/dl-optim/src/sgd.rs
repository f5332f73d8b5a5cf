//! Plain stochastic gradient descent.

use dl_layers::ParamMut;
use dl_tensor::{Float, for_each_chunk_mut};

use crate::optimizer::{Optimizer, Slots, grad_of};

/// Elements per parallel task of an update.
const UPDATE_CHUNK: usize = 1 << 16;

/// Stochastic gradient descent: `w −= lr·g`.
///
/// ```
/// use dl_optim::{Optimizer, Sgd};
/// let sgd = Sgd::new(0.01);
/// assert_eq!(Optimizer::<f32>::describe(&sgd), "SGD(lr=0.01)");
/// ```
pub struct Sgd {
    /// The learning rate.
    pub lr: f64,
    slots: Slots<()>,
}

impl Sgd {
    /// SGD with learning rate `lr`.
    pub fn new(lr: f64) -> Self {
        Sgd {
            lr,
            slots: Slots::new("SGD"),
        }
    }
}

impl<T: Float> Optimizer<T> for Sgd {
    fn describe(&self) -> String {
        format!("SGD(lr={})", self.lr)
    }

    fn learning_rate(&self) -> f64 {
        self.lr
    }

    fn set_learning_rate(&mut self, lr: f64) {
        self.lr = lr;
    }

    #[track_caller]
    fn update(&mut self, slot: usize, p: ParamMut<'_, T>) {
        self.slots.get(slot, &p, |_| ());
        let g = grad_of(&p);
        let (lr, g) = (T::lit(self.lr), g.as_slice());
        // In parallel over chunks: AlexNet's 58 M weights are a memory-bound pass.
        for_each_chunk_mut(p.value.as_mut_slice(), UPDATE_CHUNK, |i, w| {
            for (w, &g) in w.iter_mut().zip(&g[i * UPDATE_CHUNK..]) {
                *w -= lr * g;
            }
        });
    }

    #[track_caller]
    fn end_step(&mut self, slots: usize) {
        self.slots.finish(slots);
    }
}

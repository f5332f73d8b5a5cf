//! Builds an optimizer from its configuration and steps a whole [`Network`] with it.

use dl_tensor::Float;

use crate::config::OptimizerConfig;
use crate::network::Network;

/// An optimizer over every parameter of a network, state kept per parameter slot.
pub struct ModelOptimizer<T: Float> {
    config: OptimizerConfig,
    as_notebook: bool,
    t: u64,
    slots: Vec<Slot<T>>,
}

struct Slot<T> {
    name: String,
    shape: Vec<usize>,
    first: Vec<T>,
    second: Vec<T>,
}

impl OptimizerConfig {
    /// The optimizer this configuration describes. `as_notebook` replays the notes' AdaGrad,
    /// which skips `h += g²` on its first step.
    pub fn build<T: Float>(&self, as_notebook: bool) -> ModelOptimizer<T> {
        ModelOptimizer {
            config: *self,
            as_notebook,
            t: 0,
            slots: Vec::new(),
        }
    }
}

/// ε added after the square root (the course's 1e-7).
const EPS: f64 = 1e-7;

impl<T: Float> ModelOptimizer<T> {
    /// The configuration.
    pub fn config(&self) -> &OptimizerConfig {
        &self.config
    }

    /// Updates every parameter of `net` from its gradient.
    ///
    /// # Panics
    /// If a parameter slot changed name or shape since the first step.
    pub fn step(&mut self, net: &mut Network<T>) {
        self.t += 1;
        let t = self.t;
        let config = self.config;
        let notebook = self.as_notebook;
        let slots = &mut self.slots;
        let mut index = 0;
        net.visit_params(&mut |p| {
            if index == slots.len() {
                slots.push(Slot {
                    name: p.full_name(),
                    shape: p.value.shape().to_vec(),
                    first: vec![T::zero(); p.value.len()],
                    second: vec![T::zero(); p.value.len()],
                });
            }
            let slot = &mut slots[index];
            index += 1;
            if slot.shape != p.value.shape() || !names_match(&slot.name, p.layer, p.name) {
                slot_changed(&slot.name, &slot.shape, &p.full_name(), p.value.shape());
            }
            let grad = p.grad.to_contiguous();
            let g = grad.as_slice();
            let w = p.value.as_mut_slice();
            update(config, t, notebook, w, g, &mut slot.first, &mut slot.second);
        });
    }
}

fn names_match(stored: &str, layer: &str, name: &str) -> bool {
    if layer.is_empty() {
        stored == name
    } else {
        stored.len() == layer.len() + 1 + name.len()
            && stored.starts_with(layer)
            && stored.ends_with(name)
    }
}

#[cold]
#[track_caller]
fn slot_changed(old: &str, old_shape: &[usize], new: &str, new_shape: &[usize]) -> ! {
    panic!("optimizer: parameter slot changed from `{old}` {old_shape:?} to `{new}` {new_shape:?}")
}

fn update<T: Float>(
    config: OptimizerConfig,
    t: u64,
    notebook: bool,
    w: &mut [T],
    g: &[T],
    m: &mut [T],
    v: &mut [T],
) {
    let lit = T::lit;
    match config {
        OptimizerConfig::Sgd { lr } => {
            let lr = lit(lr);
            w.iter_mut().zip(g).for_each(|(w, &g)| *w -= lr * g);
        }
        OptimizerConfig::Momentum { lr, momentum } => {
            let (lr, mu) = (lit(lr), lit(momentum));
            for i in 0..w.len() {
                m[i] = mu * m[i] - lr * g[i];
                w[i] += m[i];
            }
        }
        OptimizerConfig::AdaGrad { lr } => {
            let (lr, eps) = (lit(lr), lit(EPS));
            let skip = notebook && t == 1;
            for i in 0..w.len() {
                if !skip {
                    m[i] += g[i] * g[i];
                }
                w[i] -= lr * g[i] / (m[i].sqrt() + eps);
            }
        }
        OptimizerConfig::RmsProp { lr, rho } => {
            let (lr, rho, eps) = (lit(lr), lit(rho), lit(EPS));
            for i in 0..w.len() {
                m[i] = rho * m[i] + (T::one() - rho) * g[i] * g[i];
                w[i] -= lr * g[i] / (m[i].sqrt() + eps);
            }
        }
        OptimizerConfig::Adam { lr, beta1, beta2 } => {
            let lr_t = lit(lr * (1.0 - beta2.powi(t as i32)).sqrt() / (1.0 - beta1.powi(t as i32)));
            let (b1, b2, eps) = (lit(beta1), lit(beta2), lit(EPS));
            for i in 0..w.len() {
                m[i] += (T::one() - b1) * (g[i] - m[i]);
                v[i] += (T::one() - b2) * (g[i] * g[i] - v[i]);
                w[i] -= lr_t * m[i] / (v[i].sqrt() + eps);
            }
        }
    }
}

//! A built model: its configuration, its layers, and the training-time weight penalty.

use dl_layers::{BufferMut, Labels, Mode, ParamMut};
use dl_tensor::{Float, Tensor};

use crate::config::{ModelConfig, PenaltyConfig};
use crate::sequential::Sequential;
use dl_optim::{Optimizer, Penalty};

/// A model of this crate, ready to train: built from a [`ModelConfig`], which a checkpoint
/// stores so a file rebuilds its model without being told the architecture.
///
/// # Example
/// ```
/// use dl_layers::{Labels, Mode};
/// use dl_models::{Activation, ModelConfig, MultiLayerNetConfig, Network, WeightInit};
/// use dl_tensor::{rng_from_seed, Tensor};
///
/// let config = ModelConfig::MultiLayerNet(
///     MultiLayerNetConfig::new(784, &[40, 20], 10).activation(Activation::Relu).init(WeightInit::He),
/// );
/// let mut net = Network::<f32>::build(&config, 0);
/// assert_eq!(net.param_count(), 784 * 40 + 40 + 40 * 20 + 20 + 20 * 10 + 10);
/// let x = Tensor::randn([8, 784], 1.0, &mut rng_from_seed(1));
/// let loss = net.loss(&x, Labels::Index(&[0, 1, 2, 3, 4, 5, 6, 7]), Mode::Train);
/// assert!(loss > 0.0);
/// net.backward();
/// ```
pub struct Network<T: Float> {
    config: ModelConfig,
    layers: Sequential<T>,
    penalty: Option<Penalty>,
}

impl<T: Float> Network<T> {
    /// Builds the model `config` describes, with weights drawn from `seed`.
    pub fn build(config: &ModelConfig, seed: u64) -> Self {
        let layers = crate::build::build_layers(config, seed);
        let penalty = match config {
            ModelConfig::MultiLayerNet(c) => c.weight_penalty.map(|p: PenaltyConfig| p.penalty()),
            _ => None,
        };
        Network {
            config: config.clone(),
            layers,
            penalty,
        }
    }

    /// The configuration it was built from.
    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    /// The layers.
    pub fn layers(&mut self) -> &mut Sequential<T> {
        &mut self.layers
    }

    /// The scores (before the loss).
    pub fn forward(&mut self, x: &Tensor<T>, mode: Mode) -> Tensor<T> {
        self.layers.forward(x, mode)
    }

    /// The loss: data loss, every layer's auxiliary term, and the built-in weight penalty.
    pub fn loss(&mut self, x: &Tensor<T>, labels: Labels<'_, T>, mode: Mode) -> T {
        let data = self.layers.loss(x, labels, mode);
        match self.penalty {
            Some(p) => data + p.loss_term(|f| self.layers.visit_params(f)),
            None => data,
        }
    }

    /// Back-propagates the last [`Network::loss`], including the built-in penalty's gradient.
    pub fn backward(&mut self) {
        self.layers.backward();
        if let Some(p) = self.penalty {
            p.apply_to_grads(|f| self.layers.visit_params(f));
        }
    }

    /// One optimizer step over every parameter (after [`Network::backward`]).
    pub fn update(&mut self, optimizer: &mut dyn Optimizer<T>) {
        dl_optim::step(optimizer, |f| self.layers.visit_params(f));
    }

    /// Visits every trainable parameter, in a stable order.
    pub fn visit_params(&mut self, f: &mut dyn FnMut(ParamMut<'_, T>)) {
        self.layers.visit_params(f);
    }

    /// Visits every non-trainable state tensor.
    pub fn visit_buffers(&mut self, f: &mut dyn FnMut(BufferMut<'_, T>)) {
        self.layers.visit_buffers(f);
    }

    /// The number of trainable scalars.
    pub fn param_count(&mut self) -> usize {
        self.layers.param_count()
    }

    /// Predicted classes, in eval mode, in batches.
    pub fn predict(&mut self, x: &Tensor<T>, batch_size: usize) -> Vec<usize> {
        self.layers.predict(x, batch_size)
    }

    /// Accuracy on `(x, labels)`, in eval mode, in batches.
    pub fn accuracy(&mut self, x: &Tensor<T>, labels: &[usize], batch_size: usize) -> f64 {
        self.layers.accuracy(x, labels, batch_size)
    }

    /// Each layer's name, description and output shape for input `x` (eval mode).
    pub fn trace_shapes(&mut self, x: &Tensor<T>) -> Vec<(String, String, Vec<usize>)> {
        self.layers.trace_shapes(x, Mode::Eval)
    }
}

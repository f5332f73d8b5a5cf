//! The training steps the library is timed on, shared by the criterion benchmarks
//! (`cargo bench -p dl-benches`) and `cargo xtask bench` (through this crate's `dl-bench`
//! binary, which counts allocations with [`alloc_count::Counting`]).
//!
//! Each [`Workload`] builds one of the notes' networks with a fixed seed, a batch of
//! MNIST-shaped (or image-shaped) random pixels and labels, and an optimizer; [`Step::run`] then
//! does one forward + backward + update (or one forward, for the `*-forward` workloads).
//!
//! ```
//! let mut step = dl_benches::workload("mlp-sigmoid").unwrap().build(0);
//! let first = step.run();
//! assert!(first.is_finite());
//! ```

pub mod alloc_count;
pub mod timing;

use dl_layers::{Labels, Layer, Mode};
use dl_models::{Activation, Init, MultiLayerNetConfig, OptimizerKind, Preset, Sequential};
use dl_optim::Optimizer;
use dl_tensor::{Tensor, rng_from_seed};

/// One network, batch and optimizer, ready to be stepped.
pub struct Step {
    net: Sequential<f32>,
    optimizer: Box<dyn Optimizer<f32>>,
    x: Tensor<f32>,
    labels: Vec<usize>,
    forward_only: bool,
}

impl Step {
    /// One training step (forward, loss, backward, update), or one inference forward pass for a
    /// forward-only workload. Returns the loss (0 for a forward pass).
    pub fn run(&mut self) -> f32 {
        if self.forward_only {
            std::hint::black_box(self.net.forward(&self.x, Mode::Eval));
            return 0.0;
        }
        let loss = self
            .net
            .loss(&self.x, Labels::Index(&self.labels), Mode::Train);
        self.net.backward();
        self.net.update(self.optimizer.as_mut());
        loss
    }

    /// The network (for parameter counts and checks).
    pub fn network(&mut self) -> &mut Sequential<f32> {
        &mut self.net
    }
}

/// The thread counts the step benchmarks time by default: 1, and every core when there are more.
pub fn thread_counts() -> Vec<usize> {
    let all = dl_tensor::num_threads();
    if all > 1 { vec![1, all] } else { vec![1] }
}

/// A named training step of the notes, as timed in issue 6's table.
#[derive(Clone, Copy, Debug)]
pub struct Workload {
    /// Short name, as printed by `cargo xtask bench` (`step=<name>`).
    pub name: &'static str,
    /// What is timed.
    pub about: &'static str,
    model: fn() -> Preset,
    input: [usize; 4],
    optimizer: OptimizerKind,
    forward_only: bool,
}

impl Workload {
    /// Builds the network, batch and optimizer; the same seed gives the same numbers.
    pub fn build(&self, seed: u64) -> Step {
        let mut rng = rng_from_seed(seed ^ 0x5eed);
        let [n, c, h, w] = self.input;
        let x = if c == 0 {
            Tensor::rand_uniform([n, h * w], 0.0, 1.0, &mut rng)
        } else {
            Tensor::rand_uniform([n, c, h, w], 0.0, 1.0, &mut rng)
        };
        let model = (self.model)();
        let classes = match &model {
            Preset::AlexNet { classes, .. } => *classes,
            Preset::KerasCnn(k) => k.classes,
            _ => 10,
        };
        Step {
            net: model.build(seed),
            optimizer: self.optimizer.build(),
            x,
            labels: (0..n).map(|i| (i * 7 + 3) % classes).collect(),
            forward_only: self.forward_only,
        }
    }
}

fn mlp_sigmoid() -> Preset {
    Preset::MultiLayerNet(
        MultiLayerNetConfig::new(784, &[40, 20], 10)
            .activation(Activation::Sigmoid)
            .init(Init::Xavier),
    )
}

fn mlp_relu_deep() -> Preset {
    Preset::MultiLayerNet(
        MultiLayerNetConfig::new(784, &[100; 6], 10)
            .activation(Activation::Relu)
            .init(Init::He),
    )
}

fn deep_conv_net() -> Preset {
    Preset::deep_conv_net()
}

fn alexnet() -> Preset {
    Preset::AlexNet {
        classes: 1000,
        in_channels: 3,
    }
}

fn keras_cnn() -> Preset {
    Preset::KerasCnn(dl_models::KerasCnnConfig {
        in_channels: 3,
        image_size: 32,
        classes: 10,
        activity_penalty: None,
        dropout: None,
        norm: None,
    })
}

/// Every workload, in the order of issue 6's table (then the Keras CNN).
pub const WORKLOADS: [Workload; 6] = [
    Workload {
        name: "mlp-sigmoid",
        about: "MLP 784-40-20-10 sigmoid, SGD, batch 100",
        model: mlp_sigmoid,
        input: [100, 0, 28, 28],
        optimizer: OptimizerKind::sgd(0.1),
        forward_only: false,
    },
    Workload {
        name: "mlp-relu-deep",
        about: "MLP 784-100x6-10 ReLU, SGD, batch 100",
        model: mlp_relu_deep,
        input: [100, 0, 28, 28],
        optimizer: OptimizerKind::sgd(0.01),
        forward_only: false,
    },
    Workload {
        name: "deep-conv-net",
        about: "DeepConvNet, Adam, batch 100, 1x28x28",
        model: deep_conv_net,
        input: [100, 1, 28, 28],
        optimizer: OptimizerKind::adam(0.001),
        forward_only: false,
    },
    Workload {
        name: "alexnet-forward",
        about: "AlexNet forward (inference), batch 8, 3x224x224",
        model: alexnet,
        input: [8, 3, 224, 224],
        optimizer: OptimizerKind::sgd(0.01),
        forward_only: true,
    },
    Workload {
        name: "alexnet-step",
        about: "AlexNet training step, SGD, batch 8, 3x224x224",
        model: alexnet,
        input: [8, 3, 224, 224],
        optimizer: OptimizerKind::sgd(0.01),
        forward_only: false,
    },
    Workload {
        name: "keras-cnn",
        about: "Keras CNN of 2_9-2_11, Adam, batch 256, 3x32x32",
        model: keras_cnn,
        input: [256, 3, 32, 32],
        optimizer: OptimizerKind::adam(0.001),
        forward_only: false,
    },
];

/// The workload called `name`.
pub fn workload(name: &str) -> Option<&'static Workload> {
    WORKLOADS.iter().find(|w| w.name == name)
}

/// A layer timed alone: forward then backward with a fixed upstream gradient.
pub struct LayerStep {
    layer: Box<dyn Layer<f32>>,
    x: Tensor<f32>,
    dout: Option<Tensor<f32>>,
}

impl LayerStep {
    /// `layer` on random input of `shape`.
    pub fn new(layer: Box<dyn Layer<f32>>, shape: &[usize], seed: u64) -> Self {
        let x = Tensor::rand_uniform(shape, -1.0, 1.0, &mut rng_from_seed(seed));
        LayerStep {
            layer,
            x,
            dout: None,
        }
    }

    /// The forward pass alone.
    pub fn forward(&mut self) -> Tensor<f32> {
        self.layer.forward(&self.x, Mode::Train)
    }

    /// A forward pass, then the backward pass of an all-ones upstream gradient.
    pub fn forward_backward(&mut self) -> Tensor<f32> {
        let out = self.layer.forward(&self.x, Mode::Train);
        let dout = self.dout.get_or_insert_with(|| Tensor::ones(out.dims()));
        self.layer.backward(dout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_small_workload_steps_and_lowers_its_loss() {
        for name in ["mlp-sigmoid", "mlp-relu-deep"] {
            let mut step = workload(name).unwrap().build(1);
            let first = step.run();
            let mut last = first;
            for _ in 0..20 {
                last = step.run();
            }
            assert!(last < first, "{name}: loss {first} -> {last}");
        }
    }

    #[test]
    fn names_are_unique_and_found() {
        for w in &WORKLOADS {
            assert_eq!(workload(w.name).unwrap().name, w.name);
        }
        assert!(workload("resnet").is_none());
    }
}

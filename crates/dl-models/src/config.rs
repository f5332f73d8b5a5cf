//! Serializable descriptions of every model, optimizer and penalty: what a checkpoint stores
//! and what an experiment declares.

use dl_optim::{Optimizer, OptimizerKind, Penalty};
use dl_tensor::Float;
use serde::{Deserialize, Serialize};

/// A hidden-layer activation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    /// `1 / (1 + e⁻ˣ)`.
    Sigmoid,
    /// `max(0, x)`.
    Relu,
    /// `tanh x`.
    Tanh,
}

/// How weights are initialised (biases are zero).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WeightInit {
    /// `std · randn`.
    Std(f64),
    /// `randn · √(1/n_in)` (the notes' "Xavier").
    Xavier,
    /// `randn · √(2/n_in)`.
    He,
    /// Keras's Glorot-uniform: `U(±√(6/(n_in + n_out)))`.
    GlorotUniform,
}

/// A weight penalty: added to the loss, and its gradient to the weights' gradients.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PenaltyConfig {
    /// `0.5·λ·ΣW²`, gradient `λW`.
    L2 {
        /// λ.
        lambda: f64,
    },
    /// `λ·Σ|W|`, gradient `λ·sign(W)`.
    L1 {
        /// λ.
        lambda: f64,
    },
    /// Both: `l1·Σ|W| + 0.5·l2·ΣW²`.
    ElasticNet {
        /// Strength of the L1 term.
        l1: f64,
        /// Strength of the L2 term.
        l2: f64,
    },
}

/// An optimizer and its hyper-parameters (the notes' formulas; see `dl-optim`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OptimizerConfig {
    /// `w −= lr·g`.
    Sgd {
        /// Learning rate.
        lr: f64,
    },
    /// `v = μv − lr·g; w += v`.
    Momentum {
        /// Learning rate.
        lr: f64,
        /// μ.
        momentum: f64,
    },
    /// `h += g²; w −= lr·g/(√h + ε)`.
    AdaGrad {
        /// Learning rate.
        lr: f64,
    },
    /// `h = ρh + (1−ρ)g²; w −= lr·g/(√h + ε)`.
    RmsProp {
        /// Learning rate.
        lr: f64,
        /// ρ.
        rho: f64,
    },
    /// Adam in the course's bias-corrected `lr_t` form.
    Adam {
        /// Learning rate.
        lr: f64,
        /// β1.
        beta1: f64,
        /// β2.
        beta2: f64,
    },
}

impl OptimizerConfig {
    /// Adam with the notes' defaults β1 0.9, β2 0.999.
    pub fn adam(lr: f64) -> Self {
        OptimizerConfig::Adam {
            lr,
            beta1: 0.9,
            beta2: 0.999,
        }
    }

    /// The `dl-optim` optimizer this describes (ε 1e-7 throughout, as the notes). With
    /// `as_notebook`, AdaGrad replays the notes' code: `h` starts at 1e-4 and skips `h += g²`
    /// on its first step.
    pub fn kind(&self, as_notebook: bool) -> OptimizerKind {
        match *self {
            OptimizerConfig::Sgd { lr } => OptimizerKind::sgd(lr),
            OptimizerConfig::Momentum { lr, momentum } => OptimizerKind::momentum(lr, momentum),
            OptimizerConfig::AdaGrad { lr } if as_notebook => OptimizerKind::adagrad_notebook(lr),
            OptimizerConfig::AdaGrad { lr } => OptimizerKind::adagrad(lr),
            OptimizerConfig::RmsProp { lr, rho } => OptimizerKind::RmsProp { lr, rho },
            OptimizerConfig::Adam { lr, beta1, beta2 } => {
                OptimizerKind::adam_with_betas(lr, beta1, beta2)
            }
        }
    }

    /// The learning rate.
    pub fn lr(&self) -> f64 {
        match *self {
            OptimizerConfig::Sgd { lr }
            | OptimizerConfig::Momentum { lr, .. }
            | OptimizerConfig::AdaGrad { lr }
            | OptimizerConfig::RmsProp { lr, .. }
            | OptimizerConfig::Adam { lr, .. } => lr,
        }
    }

    /// The same optimizer with another learning rate.
    pub fn with_lr(mut self, new_lr: f64) -> Self {
        match &mut self {
            OptimizerConfig::Sgd { lr }
            | OptimizerConfig::Momentum { lr, .. }
            | OptimizerConfig::AdaGrad { lr }
            | OptimizerConfig::RmsProp { lr, .. }
            | OptimizerConfig::Adam { lr, .. } => *lr = new_lr,
        }
        self
    }

    /// A fresh optimizer (see [`OptimizerConfig::kind`]).
    pub fn build<T: Float>(&self, as_notebook: bool) -> Box<dyn Optimizer<T>> {
        self.kind(as_notebook).build()
    }
}

impl PenaltyConfig {
    /// The `dl-optim` penalty this describes, on weights only (not biases, γ or β).
    pub fn penalty(&self) -> Penalty {
        match *self {
            PenaltyConfig::L2 { lambda } => Penalty::l2(lambda),
            PenaltyConfig::L1 { lambda } => Penalty::l1(lambda),
            PenaltyConfig::ElasticNet { l1, l2 } => Penalty::elastic_net(l1, l2),
        }
    }
}

/// Where Dropout sits and which convention it follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DropoutStyle {
    /// The course's: no scaling in training, ×(1−p) at inference.
    Course,
    /// Inverted (Keras, PyTorch): ×1/(1−p) in training, identity at inference.
    Inverted,
}

/// The course's `MultiLayerNet(Extend)`: Affine → \[BatchNorm\] → activation → \[Dropout\] per
/// hidden layer, then Affine → softmax-with-loss.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MultiLayerNetConfig {
    /// Input features (784).
    pub input_size: usize,
    /// Hidden layer widths.
    pub hidden_sizes: Vec<usize>,
    /// Classes (10).
    pub output_size: usize,
    /// Hidden activation.
    pub activation: Activation,
    /// Weight initialisation.
    pub init: WeightInit,
    /// BatchNorm after each hidden Affine (the course's: per feature, momentum 0.9, ε 1e-6).
    pub batch_norm: bool,
    /// Dropout ratio after each hidden activation (the course's convention).
    pub dropout: Option<f64>,
    /// The net's built-in weight penalty on every weight, output layer included.
    pub weight_penalty: Option<PenaltyConfig>,
}

impl MultiLayerNetConfig {
    /// A sigmoid net with 0.01·randn weights and no options; refine with the builder methods.
    pub fn new(input_size: usize, hidden_sizes: &[usize], output_size: usize) -> Self {
        MultiLayerNetConfig {
            input_size,
            hidden_sizes: hidden_sizes.to_vec(),
            output_size,
            activation: Activation::Sigmoid,
            init: WeightInit::Std(0.01),
            batch_norm: false,
            dropout: None,
            weight_penalty: None,
        }
    }
    /// Sets the activation.
    pub fn activation(mut self, activation: Activation) -> Self {
        self.activation = activation;
        self
    }
    /// Sets the weight initialisation.
    pub fn init(mut self, init: WeightInit) -> Self {
        self.init = init;
        self
    }
    /// Turns BatchNorm on or off.
    pub fn batch_norm(mut self, on: bool) -> Self {
        self.batch_norm = on;
        self
    }
    /// Sets the dropout ratio.
    pub fn dropout(mut self, ratio: f64) -> Self {
        self.dropout = Some(ratio);
        self
    }
    /// Sets the built-in weight penalty.
    pub fn weight_penalty(mut self, penalty: PenaltyConfig) -> Self {
        self.weight_penalty = Some(penalty);
        self
    }
}

/// Normalization after the first convolution of the Keras CNN (2_11).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NormKind {
    /// BatchNorm with per-channel statistics (Keras).
    BatchNorm,
    /// LayerNorm over the channels at each pixel (Keras's default axis −1).
    LayerNormChannels,
    /// LayerNorm over C·H·W (the textbook form the notes describe).
    LayerNormAll,
    /// InstanceNorm per sample and channel over H·W.
    InstanceNorm,
}

/// The Keras CNN of 2_9 to 2_11: Conv 32@3 same ReLU → \[norm\] → Conv 32@3 valid ReLU → MaxPool 2
/// → Flatten → Dense 512 ReLU → \[activity penalty\] → \[Dropout\] → Dense 10.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KerasCnnConfig {
    /// Input channels (3 for CIFAR-10, 1 for Fashion-MNIST).
    pub in_channels: usize,
    /// Input height and width (32 or 28).
    pub image_size: usize,
    /// Classes.
    pub classes: usize,
    /// Activity penalty on the Dense-512 output: (l1, l2), divided by the batch size.
    pub activity_penalty: Option<(f64, f64)>,
    /// Inverted dropout ratio after Dense-512.
    pub dropout: Option<f64>,
    /// Normalization after the first convolution.
    pub norm: Option<NormKind>,
}

/// Every model this crate builds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "snake_case")]
pub enum ModelConfig {
    /// The course's fully connected net.
    MultiLayerNet(MultiLayerNetConfig),
    /// 2_6: conv 30@5×5 → ReLU → pool 2 → 4320→100 → ReLU → 100→10, init 0.01.
    SimpleConvNet,
    /// 2_7: conv 10@7×7 pad 1 → ReLU → pool → conv 20@3×3 pad 1 → ReLU → pool → 720→100→10.
    DoubleConvNet,
    /// 2_8: six 3×3 convs, three pools, 1024→50→10 with two course-style Dropouts 0.5.
    DeepConvNet,
    /// torchvision's AlexNet.
    AlexNet {
        /// Output classes (1000 for ImageNet).
        classes: usize,
        /// Input channels (3).
        in_channels: usize,
    },
    /// The Keras CNN of 2_9 to 2_11.
    KerasCnn(KerasCnnConfig),
}

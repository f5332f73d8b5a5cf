//! The networks of the notes as named presets: each writes a [`NetworkSpec`] with the
//! [`SequentialBuilder`], so a preset is an ordinary described network once built.

use dl_layers::{DropoutKind, Init};
use dl_norm::LayerNormAxes;
use dl_optim::Penalty;
use dl_tensor::Float;
use serde::{Deserialize, Serialize};

use crate::builder::SequentialBuilder;
use crate::sequential::Sequential;
use crate::spec::{BuildError, NetworkSpec};

/// A hidden-layer activation of [`MultiLayerNetConfig`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Activation {
    /// `1 / (1 + e⁻ˣ)`.
    Sigmoid,
    /// `max(0, x)`.
    Relu,
    /// `tanh x`.
    Tanh,
}

/// The course's `MultiLayerNet(Extend)`: Affine → \[BatchNorm\] → activation → \[Dropout\] per
/// hidden layer, then Affine → softmax-with-loss. Input `(input_size)`; stages for hidden widths
/// `[h1, h2]`: affine1 → `(h1)`, \[batchnorm1\], sigmoid1/relu1/tanh1, \[dropout1\]; affine2 →
/// `(h2)`, …; affine3 → `(output_size)`.
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
    pub init: Init,
    /// BatchNorm after each hidden Affine (the course's: per feature, momentum 0.9, ε 1e-6).
    pub batch_norm: bool,
    /// Dropout ratio after each hidden activation (the course's convention).
    pub dropout: Option<f64>,
    /// The net's built-in weight penalty on every weight, output layer included.
    pub weight_penalty: Option<Penalty>,
}

impl MultiLayerNetConfig {
    /// A sigmoid net with 0.01·randn weights and no options; refine with the builder methods.
    pub fn new(input_size: usize, hidden_sizes: &[usize], output_size: usize) -> Self {
        MultiLayerNetConfig {
            input_size,
            hidden_sizes: hidden_sizes.to_vec(),
            output_size,
            activation: Activation::Sigmoid,
            init: Init::Std(0.01),
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
    pub fn init(mut self, init: Init) -> Self {
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
    pub fn weight_penalty(mut self, penalty: Penalty) -> Self {
        self.weight_penalty = Some(penalty);
        self
    }

    /// Layers `affine1`, `batchnorm1`, `sigmoid1`, `dropout1`, …, ending in `affine{L}`.
    fn builder(&self) -> SequentialBuilder {
        let mut b = SequentialBuilder::new([self.input_size]);
        for (i, &width) in self.hidden_sizes.iter().enumerate() {
            b = b.affine(width).init(self.init);
            if self.batch_norm {
                b = b.batch_norm();
            }
            b = match self.activation {
                Activation::Sigmoid => b.sigmoid(),
                Activation::Relu => b.relu(),
                Activation::Tanh => b.tanh(),
            };
            if let Some(p) = self.dropout {
                let salt = (i as u64 + 1).wrapping_mul(7919);
                b = b.dropout_with(p, DropoutKind::Course).seed_salt(salt);
            }
        }
        b = b.affine(self.output_size).init(self.init);
        match self.weight_penalty {
            Some(p) => b.weight_penalty(p),
            None => b,
        }
    }
}

/// Normalization after the first convolution of the Keras CNN (2_11).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
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

/// The Keras CNN of 2_9 to 2_11, Glorot-uniform init, stages for a `(C, S, S)` input: conv1
/// 32@3×3 pad 1 ("same") → ReLU `(32, S, S)` → \[norm\]; conv2 32@3×3 ("valid") → ReLU
/// `(32, S−2, S−2)` → max pool 2 `(32, (S−2)/2, (S−2)/2)`; flatten; dense1 → 512 → ReLU →
/// \[activity penalty\] → \[inverted Dropout\]; dense2 → classes. 3,702,186 parameters for
/// CIFAR-10 (3, 32, 32).
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

impl KerasCnnConfig {
    fn builder(&self) -> SequentialBuilder {
        let g = Init::GlorotUniform;
        let s = self.image_size;
        let mut b = SequentialBuilder::new([self.in_channels, s, s])
            .conv(32, 3)
            .pad(1)
            .init(g)
            .relu();
        b = match self.norm {
            Some(NormKind::BatchNorm) => b.batch_norm_keras().name("batchnorm"),
            Some(NormKind::LayerNormChannels) => {
                b.layer_norm(LayerNormAxes::Channels).name("layernorm")
            }
            Some(NormKind::LayerNormAll) => b.layer_norm(LayerNormAxes::AllAxes).name("layernorm"),
            Some(NormKind::InstanceNorm) => b.instance_norm().name("instancenorm"),
            None => b,
        };
        b = b
            .conv(32, 3)
            .init(g)
            .relu()
            .max_pool(2)
            .flatten()
            .name("flatten")
            .affine(512)
            .init(g)
            .name("dense1")
            .relu();
        if let Some((l1, l2)) = self.activity_penalty {
            b = b.activity_penalty(l1, l2).name("activity");
        }
        if let Some(p) = self.dropout {
            b = b.dropout(p).seed_salt(0xd0).name("dropout");
        }
        b.affine(self.classes).init(g).name("dense2")
    }
}

/// The networks of the notes, by name. [`Preset::spec`] writes a preset's [`NetworkSpec`];
/// [`Preset::build`] builds it. Every one ends in softmax-with-loss.
///
/// ```
/// use dl_models::Preset;
/// let mut net = Preset::deep_conv_net().build::<f32>(0);
/// assert_eq!(net.param_count(), 123_552);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Preset {
    /// The course's fully connected net.
    MultiLayerNet(MultiLayerNetConfig),
    /// 2_6, input `(1, 28, 28)`, init 0.01·randn, stages (per-sample output shapes): conv1
    /// 30@5×5 → ReLU `(30, 24, 24)` → pool 2 `(30, 12, 12)`; affine1 4320→100 → ReLU `(100)`;
    /// affine2 100→10 `(10)`. 433,890 parameters.
    SimpleConvNet,
    /// 2_7, input `(1, 28, 28)`, init 0.01·randn, stages: conv1 10@7×7 pad 1 → ReLU
    /// `(10, 24, 24)` → pool 2 `(10, 12, 12)`; conv2 20@3×3 pad 1 → ReLU `(20, 12, 12)` → pool 2
    /// `(20, 6, 6)`; affine1 720→100 → ReLU `(100)`; affine2 100→10 `(10)`. 75,430 parameters.
    DoubleConvNet,
    /// 2_8, input `(1, 28, 28)`, He init, stages (per-sample output shapes):
    /// conv1 16@3×3 pad 1 → ReLU `(16, 28, 28)`; conv2 16@3×3 pad 1 → ReLU → pool 2
    /// `(16, 14, 14)`; conv3 32@3×3 pad 1 → ReLU `(32, 14, 14)`; conv4 32@3×3 **pad 2** → ReLU
    /// `(32, 16, 16)` (so the pools halve cleanly) → pool 2 `(32, 8, 8)`; conv5 64@3×3 pad 1 →
    /// ReLU `(64, 8, 8)`; conv6 64@3×3 pad 1 → ReLU → pool 2 `(64, 4, 4)`; affine1 1024→50 →
    /// ReLU → course-style Dropout `(50)`; affine2 50→10 → course-style Dropout on the logits
    /// `(10)`. 123,552 parameters. [`Preset::deep_conv_net`] gives the notes' ratio, 0.5.
    DeepConvNet {
        /// The ratio of both dropouts (the notes' 0.5).
        #[serde(default = "half")]
        dropout: f64,
    },
    /// LeNet-5 of the notes' CNN introduction, input `(1, 32, 32)` (MNIST padded by 2), in the
    /// common modern variant with ReLU and max pooling (the 1998 original squashed with
    /// tanh-like units and averaged): conv1 6@5×5 → ReLU `(6, 28, 28)` → pool 2 `(6, 14, 14)`;
    /// conv2 16@5×5 → ReLU `(16, 10, 10)` → pool 2 `(16, 5, 5)`; flatten `(400)`; affine1
    /// 400→120 → ReLU; affine2 120→84 → ReLU; affine3 84→10. He init; 61,706 parameters.
    #[serde(rename = "lenet")]
    LeNet,
    /// torchvision's AlexNet, input `(in_channels, 224, 224)`, He init, stages: conv1 64@11×11
    /// stride 4 pad 2 → ReLU `(64, 55, 55)` → max pool 3 stride 2 `(64, 27, 27)`; conv2
    /// 192@5×5 pad 2 → ReLU `(192, 27, 27)` → pool `(192, 13, 13)`; conv3 384@3×3 pad 1 → ReLU
    /// `(384, 13, 13)`; conv4 256@3×3 pad 1 → ReLU `(256, 13, 13)`; conv5 256@3×3 pad 1 → ReLU
    /// → pool `(256, 6, 6)`; flatten `(9216)`; inverted Dropout 0.5; linear1 9216→4096 → ReLU;
    /// inverted Dropout 0.5; linear2 4096→4096 → ReLU; linear3 4096→classes. 61,100,840
    /// parameters for 3 channels and 1000 classes.
    AlexNet {
        /// Output classes (1000 for ImageNet).
        classes: usize,
        /// Input channels (3).
        in_channels: usize,
    },
    /// The Keras CNN of 2_9 to 2_11.
    KerasCnn(KerasCnnConfig),
}

impl Preset {
    /// DeepConvNet as the notes build it: both dropouts at 0.5.
    pub fn deep_conv_net() -> Self {
        Preset::DeepConvNet { dropout: half() }
    }

    /// The builder that writes this preset.
    pub fn builder(&self) -> SequentialBuilder {
        let std = Init::Std(0.01);
        match self {
            Preset::MultiLayerNet(c) => c.builder(),
            Preset::SimpleConvNet => SequentialBuilder::new([1, 28, 28])
                .conv(30, 5)
                .init(std)
                .relu()
                .max_pool(2)
                .affine(100)
                .init(std)
                .relu()
                .affine(10)
                .init(std),
            Preset::DoubleConvNet => SequentialBuilder::new([1, 28, 28])
                .conv(10, 7)
                .pad(1)
                .init(std)
                .relu()
                .max_pool(2)
                .conv(20, 3)
                .pad(1)
                .init(std)
                .relu()
                .max_pool(2)
                .affine(100)
                .init(std)
                .relu()
                .affine(10)
                .init(std),
            Preset::DeepConvNet { dropout } => deep_conv_net(*dropout),
            Preset::LeNet => SequentialBuilder::new([1, 32, 32])
                .conv(6, 5)
                .relu()
                .max_pool(2)
                .conv(16, 5)
                .relu()
                .max_pool(2)
                .flatten()
                .affine(120)
                .relu()
                .affine(84)
                .relu()
                .affine(10),
            Preset::AlexNet {
                classes,
                in_channels,
            } => alexnet(*classes, *in_channels),
            Preset::KerasCnn(c) => c.builder(),
        }
    }

    /// This preset's description, or what is wrong with its options.
    pub fn spec(&self) -> Result<NetworkSpec, BuildError> {
        self.builder().spec()
    }

    /// The network, weights drawn from `seed`.
    ///
    /// # Panics
    /// If the preset's options make no network (a zero width, a dropout ratio of 1, an image
    /// too small for its layers), with the [`BuildError`]; [`Preset::spec`] reports it instead.
    #[track_caller]
    pub fn build<T: Float>(&self, seed: u64) -> Sequential<T> {
        match self.builder().build(seed) {
            Ok(net) => net,
            Err(e) => panic!("preset {self:?}: {e}"),
        }
    }
}

fn half() -> f64 {
    0.5
}

fn deep_conv_net(dropout: f64) -> SequentialBuilder {
    let mut b = SequentialBuilder::new([1, 28, 28]);
    // (filters, pad) of the six 3×3 convolutions; conv4's pad 2 makes 14→16.
    let convs = [(16, 1), (16, 1), (32, 1), (32, 2), (64, 1), (64, 1)];
    for (i, (filters, pad)) in convs.into_iter().enumerate() {
        b = b.conv(filters, 3).pad(pad).relu();
        if i % 2 == 1 {
            b = b.max_pool(2);
        }
    }
    b.affine(50)
        .relu()
        .dropout_with(dropout, DropoutKind::Course)
        .affine(10)
        .dropout_with(dropout, DropoutKind::Course)
}

fn alexnet(classes: usize, in_channels: usize) -> SequentialBuilder {
    SequentialBuilder::new([in_channels, 224, 224])
        .conv(64, 11)
        .stride(4)
        .pad(2)
        .relu()
        .max_pool(3)
        .stride(2)
        .conv(192, 5)
        .pad(2)
        .relu()
        .max_pool(3)
        .stride(2)
        .conv(384, 3)
        .pad(1)
        .relu()
        .conv(256, 3)
        .pad(1)
        .relu()
        .conv(256, 3)
        .pad(1)
        .relu()
        .max_pool(3)
        .stride(2)
        .flatten()
        .name("flatten")
        .dropout(0.5)
        .seed_salt(0xa1)
        .affine(4096)
        .name("linear1")
        .relu()
        .dropout(0.5)
        .seed_salt(0xa2)
        .affine(4096)
        .name("linear2")
        .relu()
        .affine(classes)
        .name("linear3")
}

//! Builds the layers of any [`ModelConfig`].

use dl_layers::{
    Affine, Convolution, Dropout, DropoutKind, Flatten, Init, Pooling, Relu, SoftmaxWithLoss,
};
use dl_norm::{BatchNorm, InstanceNorm, LayerNorm};
use dl_tensor::{Float, Rng, rng_from_seed};

use crate::config::{KerasCnnConfig, ModelConfig, NormKind, WeightInit};
use crate::sequential::Sequential;

/// The layer initialiser for a configured scheme.
pub fn init(w: WeightInit) -> Init {
    match w {
        WeightInit::Std(s) => Init::Std(s),
        WeightInit::Xavier => Init::Xavier,
        WeightInit::He => Init::He,
        WeightInit::GlorotUniform => Init::GlorotUniform,
    }
}

/// The layers `config` describes, weights drawn from `seed`.
pub fn build_layers<T: Float>(config: &ModelConfig, seed: u64) -> Sequential<T> {
    match config {
        ModelConfig::MultiLayerNet(c) => crate::mlp::build(c, seed),
        ModelConfig::SimpleConvNet => simple_conv_net(seed),
        ModelConfig::DoubleConvNet => double_conv_net(seed),
        ModelConfig::DeepConvNet => deep_conv_net(seed),
        ModelConfig::AlexNet {
            classes,
            in_channels,
        } => alexnet(*classes, *in_channels, seed),
        ModelConfig::KerasCnn(c) => keras_cnn(c, seed),
    }
}

fn new_seq<T: Float>() -> Sequential<T> {
    Sequential::new(Box::new(SoftmaxWithLoss::new()))
}

/// A 3×3-or-other square convolution.
fn conv<T: Float>(
    filters: usize,
    channels: usize,
    k: usize,
    stride: usize,
    pad: usize,
    init: Init,
    rng: &mut Rng,
) -> Convolution<T> {
    Convolution::new(filters, channels, k, k, stride, pad, init, rng)
}

fn simple_conv_net<T: Float>(seed: u64) -> Sequential<T> {
    let rng = &mut rng_from_seed(seed);
    let mut s = new_seq();
    s.push("conv1", conv::<T>(30, 1, 5, 1, 0, Init::Std(0.01), rng));
    s.push("relu1", Relu::<T>::new());
    s.push("pool1", Pooling::<T>::max(2, 2, 2, 0));
    s.push(
        "affine1",
        Affine::<T>::new(30 * 12 * 12, 100, Init::Std(0.01), rng),
    );
    s.push("relu2", Relu::<T>::new());
    s.push("affine2", Affine::<T>::new(100, 10, Init::Std(0.01), rng));
    s
}

fn double_conv_net<T: Float>(seed: u64) -> Sequential<T> {
    let rng = &mut rng_from_seed(seed);
    let mut s = new_seq();
    s.push("conv1", conv::<T>(10, 1, 7, 1, 1, Init::Std(0.01), rng));
    s.push("relu1", Relu::<T>::new());
    s.push("pool1", Pooling::<T>::max(2, 2, 2, 0));
    s.push("conv2", conv::<T>(20, 10, 3, 1, 1, Init::Std(0.01), rng));
    s.push("relu2", Relu::<T>::new());
    s.push("pool2", Pooling::<T>::max(2, 2, 2, 0));
    s.push(
        "affine1",
        Affine::<T>::new(20 * 6 * 6, 100, Init::Std(0.01), rng),
    );
    s.push("relu3", Relu::<T>::new());
    s.push("affine2", Affine::<T>::new(100, 10, Init::Std(0.01), rng));
    s
}

fn deep_conv_net<T: Float>(seed: u64) -> Sequential<T> {
    let rng = &mut rng_from_seed(seed);
    let mut s = new_seq();
    // (filters, pad) of the six 3×3 convolutions; conv4's pad 2 makes 14→16.
    let convs = [(16, 1), (16, 1), (32, 1), (32, 2), (64, 1), (64, 1)];
    let mut channels = 1;
    for (i, &(filters, pad)) in convs.iter().enumerate() {
        let k = i + 1;
        s.push(
            format!("conv{k}"),
            conv::<T>(filters, channels, 3, 1, pad, Init::He, rng),
        );
        s.push(format!("relu{k}"), Relu::<T>::new());
        if k % 2 == 0 {
            s.push(format!("pool{}", k / 2), Pooling::<T>::max(2, 2, 2, 0));
        }
        channels = filters;
    }
    s.push("affine1", Affine::<T>::new(64 * 4 * 4, 50, Init::He, rng));
    s.push("relu7", Relu::<T>::new());
    s.push(
        "dropout1",
        Dropout::<T>::new(0.5, DropoutKind::Course, seed ^ 0xd1),
    );
    s.push("affine2", Affine::<T>::new(50, 10, Init::He, rng));
    s.push(
        "dropout2",
        Dropout::<T>::new(0.5, DropoutKind::Course, seed ^ 0xd2),
    );
    s
}

fn alexnet<T: Float>(classes: usize, in_channels: usize, seed: u64) -> Sequential<T> {
    let rng = &mut rng_from_seed(seed);
    let mut s = new_seq();
    s.push("conv1", conv::<T>(64, in_channels, 11, 4, 2, Init::He, rng));
    s.push("relu1", Relu::<T>::new());
    s.push("pool1", Pooling::<T>::max(3, 3, 2, 0));
    s.push("conv2", conv::<T>(192, 64, 5, 1, 2, Init::He, rng));
    s.push("relu2", Relu::<T>::new());
    s.push("pool2", Pooling::<T>::max(3, 3, 2, 0));
    s.push("conv3", conv::<T>(384, 192, 3, 1, 1, Init::He, rng));
    s.push("relu3", Relu::<T>::new());
    s.push("conv4", conv::<T>(256, 384, 3, 1, 1, Init::He, rng));
    s.push("relu4", Relu::<T>::new());
    s.push("conv5", conv::<T>(256, 256, 3, 1, 1, Init::He, rng));
    s.push("relu5", Relu::<T>::new());
    s.push("pool3", Pooling::<T>::max(3, 3, 2, 0));
    s.push("flatten", Flatten::new());
    s.push(
        "dropout1",
        Dropout::<T>::new(0.5, DropoutKind::Inverted, seed ^ 0xa1),
    );
    s.push(
        "linear1",
        Affine::<T>::new(256 * 6 * 6, 4096, Init::He, rng),
    );
    s.push("relu6", Relu::<T>::new());
    s.push(
        "dropout2",
        Dropout::<T>::new(0.5, DropoutKind::Inverted, seed ^ 0xa2),
    );
    s.push("linear2", Affine::<T>::new(4096, 4096, Init::He, rng));
    s.push("relu7", Relu::<T>::new());
    s.push("linear3", Affine::<T>::new(4096, classes, Init::He, rng));
    s
}

fn keras_cnn<T: Float>(c: &KerasCnnConfig, seed: u64) -> Sequential<T> {
    let rng = &mut rng_from_seed(seed);
    let g = Init::GlorotUniform;
    let mut s = new_seq();
    s.push("conv1", conv::<T>(32, c.in_channels, 3, 1, 1, g, rng));
    s.push("relu1", Relu::<T>::new());
    match c.norm {
        Some(NormKind::BatchNorm) => {
            s.push("batchnorm", BatchNorm::<T>::keras(32));
        }
        Some(NormKind::LayerNormChannels) => {
            s.push("layernorm", LayerNorm::<T>::channels(32));
        }
        Some(NormKind::LayerNormAll) => {
            s.push(
                "layernorm",
                LayerNorm::<T>::all_axes(32 * c.image_size * c.image_size),
            );
        }
        Some(NormKind::InstanceNorm) => {
            s.push("instancenorm", InstanceNorm::<T>::new(32));
        }
        None => {}
    }
    s.push("conv2", conv::<T>(32, 32, 3, 1, 0, g, rng));
    s.push("relu2", Relu::<T>::new());
    s.push("pool1", Pooling::<T>::max(2, 2, 2, 0));
    s.push("flatten", Flatten::new());
    let pooled = (c.image_size - 2) / 2;
    s.push(
        "dense1",
        Affine::<T>::new(32 * pooled * pooled, 512, g, rng),
    );
    s.push("relu3", Relu::<T>::new());
    if let Some((l1, l2)) = c.activity_penalty {
        s.push("activity", dl_optim::ActivityPenalty::<T>::new(l1, l2));
    }
    if let Some(p) = c.dropout {
        s.push(
            "dropout",
            Dropout::<T>::new(p, DropoutKind::Inverted, seed ^ 0xd0),
        );
    }
    s.push("dense2", Affine::<T>::new(512, c.classes, g, rng));
    s
}

//! A builder that writes a [`NetworkSpec`] layer by layer from the input shape, so no layer's
//! input size is typed by hand.

use dl_layers::{DropoutKind, Init, PoolKind};
use dl_norm::LayerNormAxes;
use dl_optim::Penalty;
use dl_tensor::Float;

use crate::layer_config::LayerConfig;
use crate::sequential::Sequential;
use crate::spec::{BuildError, NamedLayer, NetworkSpec};

/// Writes a network from its input shape: each method appends a layer (named after its type
/// and count: `conv1`, `conv2`, `relu1`), and the modifiers `pad`, `stride`, `init`, `name` and
/// `seed_salt` change the layer just appended. Shapes are checked when the spec or the network
/// is made: a layer that cannot take its input is an error naming it and the shape it receives.
///
/// ```
/// use dl_models::Sequential;
/// let mut net = Sequential::builder([1, 28, 28])
///     .conv(16, 3).pad(1).relu().max_pool(2)
///     .flatten().affine(10)
///     .build::<f32>(0)?;
/// assert_eq!(net.param_count(), 16 * 9 + 16 + 16 * 14 * 14 * 10 + 10);
///
/// // A mistake names the layer and both shapes.
/// let err = Sequential::builder([784]).conv(16, 3).build::<f32>(0).unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "layer 1 `conv1` (conv): expects an input of shape (C, H, W); it receives [784]"
/// );
/// # Ok::<(), dl_models::BuildError>(())
/// ```
#[derive(Clone, Debug)]
pub struct SequentialBuilder {
    spec: NetworkSpec,
    error: Option<BuildError>,
}

impl SequentialBuilder {
    /// A builder for samples of shape `input` (`[784]`, `[1, 28, 28]`; no batch axis).
    pub fn new(input: impl Into<Vec<usize>>) -> Self {
        SequentialBuilder {
            spec: NetworkSpec {
                input: input.into(),
                layers: Vec::new(),
                weight_penalty: None,
            },
            error: None,
        }
    }

    /// Appends a layer under its default name (its type's prefix and count).
    pub fn layer(mut self, config: LayerConfig) -> Self {
        let prefix = config.name_prefix();
        let count = self
            .spec
            .layers
            .iter()
            .filter(|l| l.config.name_prefix() == prefix)
            .count();
        self.spec.layers.push(NamedLayer {
            name: format!("{prefix}{}", count + 1),
            config,
        });
        self
    }

    /// A fully connected layer with `outputs` units, He init (change with [`Self::init`]).
    pub fn affine(self, outputs: usize) -> Self {
        self.layer(LayerConfig::Affine {
            outputs,
            init: Init::He,
        })
    }

    /// A convolution of `filters` square `kernel × kernel` filters, stride 1, no padding, He
    /// init.
    pub fn conv(self, filters: usize, kernel: usize) -> Self {
        self.layer(LayerConfig::Conv {
            filters,
            kernel: [kernel, kernel],
            stride: 1,
            pad: 0,
            init: Init::He,
        })
    }

    /// Max pooling over `size × size` windows with stride `size`.
    pub fn max_pool(self, size: usize) -> Self {
        self.pool(PoolKind::Max, size)
    }

    /// Average pooling over `size × size` windows with stride `size`.
    pub fn avg_pool(self, size: usize) -> Self {
        self.pool(PoolKind::Avg, size)
    }

    fn pool(self, kind: PoolKind, size: usize) -> Self {
        self.layer(LayerConfig::Pool {
            kind,
            size: [size, size],
            stride: size,
            pad: 0,
        })
    }

    /// Mean of each channel: `(C, H, W)` → `(C)`.
    pub fn global_avg_pool(self) -> Self {
        self.layer(LayerConfig::GlobalAvgPool)
    }

    /// Maximum of each channel: `(C, H, W)` → `(C)`.
    pub fn global_max_pool(self) -> Self {
        self.layer(LayerConfig::GlobalMaxPool)
    }

    /// Flattens each sample to one axis.
    pub fn flatten(self) -> Self {
        self.layer(LayerConfig::Flatten)
    }

    /// `max(0, x)`.
    pub fn relu(self) -> Self {
        self.layer(LayerConfig::Relu)
    }

    /// `1 / (1 + e⁻ˣ)`.
    pub fn sigmoid(self) -> Self {
        self.layer(LayerConfig::Sigmoid)
    }

    /// `tanh x`.
    pub fn tanh(self) -> Self {
        self.layer(LayerConfig::Tanh)
    }

    /// Inverted dropout (Keras, PyTorch) of `ratio`.
    pub fn dropout(self, ratio: f64) -> Self {
        self.dropout_with(ratio, DropoutKind::Inverted)
    }

    /// Dropout of `ratio` in the given convention; its masks are seeded by the network's seed
    /// mixed with `0xd0 + k` for the `k`-th dropout (change with [`Self::seed_salt`]).
    pub fn dropout_with(self, ratio: f64, style: DropoutKind) -> Self {
        let k = self.count_of("dropout") as u64;
        self.layer(LayerConfig::Dropout {
            ratio,
            style,
            seed_salt: 0xd0 + k + 1,
        })
    }

    /// The course's BatchNorm (per feature, momentum 0.9, ε 1e-6).
    pub fn batch_norm(self) -> Self {
        self.layer(LayerConfig::batch_norm_course())
    }

    /// Keras's BatchNorm (per channel, momentum 0.99, ε 1e-3).
    pub fn batch_norm_keras(self) -> Self {
        self.layer(LayerConfig::batch_norm_keras())
    }

    /// LayerNorm over `axes`, ε 1e-3.
    pub fn layer_norm(self, axes: LayerNormAxes) -> Self {
        self.layer(LayerConfig::LayerNorm { axes, eps: 1e-3 })
    }

    /// InstanceNorm, ε 1e-3.
    pub fn instance_norm(self) -> Self {
        self.layer(LayerConfig::InstanceNorm { eps: 1e-3 })
    }

    /// Keras's activity penalty on the previous layer's output.
    pub fn activity_penalty(self, l1: f64, l2: f64) -> Self {
        self.layer(LayerConfig::ActivityPenalty { l1, l2 })
    }

    /// A weight penalty the network adds to its own loss and gradients.
    pub fn weight_penalty(mut self, penalty: Penalty) -> Self {
        self.spec.weight_penalty = Some(penalty);
        self
    }

    /// Zero padding of the last convolution or pooling layer.
    pub fn pad(self, pad: usize) -> Self {
        self.modify("pad", |c| match c {
            LayerConfig::Conv { pad: p, .. } | LayerConfig::Pool { pad: p, .. } => {
                *p = pad;
                true
            }
            _ => false,
        })
    }

    /// Stride of the last convolution or pooling layer.
    pub fn stride(self, stride: usize) -> Self {
        self.modify("stride", |c| match c {
            LayerConfig::Conv { stride: s, .. } | LayerConfig::Pool { stride: s, .. } => {
                *s = stride;
                true
            }
            _ => false,
        })
    }

    /// Weight initialisation of the last Affine or convolution.
    pub fn init(self, init: Init) -> Self {
        self.modify("init", |c| match c {
            LayerConfig::Affine { init: i, .. } | LayerConfig::Conv { init: i, .. } => {
                *i = init;
                true
            }
            _ => false,
        })
    }

    /// The seed salt of the last dropout.
    pub fn seed_salt(self, salt: u64) -> Self {
        self.modify("seed_salt", |c| match c {
            LayerConfig::Dropout { seed_salt, .. } => {
                *seed_salt = salt;
                true
            }
            _ => false,
        })
    }

    /// Renames the last layer.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        match self.spec.layers.last_mut() {
            Some(layer) => layer.name = name.into(),
            None => self.record_modifier_error("name"),
        }
        self
    }

    /// The description written so far, checked.
    pub fn spec(self) -> Result<NetworkSpec, BuildError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        self.spec.output_shapes()?;
        Ok(self.spec)
    }

    /// The network, weights drawn from `seed`.
    pub fn build<T: Float>(self, seed: u64) -> Result<Sequential<T>, BuildError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        // `NetworkSpec::build` checks the shapes itself.
        self.spec.build(seed)
    }

    fn count_of(&self, prefix: &str) -> usize {
        let layers = &self.spec.layers;
        layers
            .iter()
            .filter(|l| l.config.name_prefix() == prefix)
            .count()
    }

    fn modify(mut self, modifier: &str, apply: impl FnOnce(&mut LayerConfig) -> bool) -> Self {
        let applied = match self.spec.layers.last_mut() {
            Some(layer) => apply(&mut layer.config),
            None => false,
        };
        if !applied {
            self.record_modifier_error(modifier);
        }
        self
    }

    fn record_modifier_error(&mut self, modifier: &str) {
        if self.error.is_some() {
            return;
        }
        let last = self.spec.layers.last();
        self.error = Some(BuildError::Modifier {
            modifier: modifier.to_string(),
            index: self.spec.layers.len(),
            name: last.map(|l| l.name.clone()).unwrap_or_default(),
            kind: last
                .map(|l| l.config.name_prefix().to_string())
                .unwrap_or_else(|| "none".into()),
        });
    }
}

//! A network's whole architecture as data: the per-sample input shape, the named layers, and
//! an optional built-in weight penalty. What a checkpoint stores, and what builds a
//! [`Sequential`].

use dl_optim::Penalty;
use dl_tensor::{Float, rng_from_seed};
use serde::{Deserialize, Serialize};

use crate::layer_config::LayerConfig;
use crate::sequential::Sequential;

/// A layer's settings under its name in the network (`conv1`, `affine2`), which prefixes its
/// parameters' names (`conv1.W`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NamedLayer {
    /// The layer's name, unique in its network.
    pub name: String,
    /// Its settings.
    #[serde(flatten)]
    pub config: LayerConfig,
}

/// The architecture of a network ending in softmax-with-loss.
///
/// ```
/// use dl_models::{LayerConfig, NetworkSpec, Sequential};
/// let spec = Sequential::builder([1, 28, 28]).conv(8, 3).pad(1).relu().max_pool(2).affine(10).spec()?;
/// assert_eq!(spec.output_shapes()?, [vec![8, 28, 28], vec![8, 28, 28], vec![8, 14, 14], vec![10]]);
/// let json = serde_json::to_string(&spec).unwrap();
/// let back: NetworkSpec = serde_json::from_str(&json).unwrap();
/// assert_eq!(back, spec);
/// let net = back.build::<f32>(0)?;
/// assert_eq!(net.len(), 4);
/// # Ok::<(), dl_models::BuildError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NetworkSpec {
    /// The shape of one sample (`[784]`, `[1, 28, 28]`).
    pub input: Vec<usize>,
    /// The layers in order.
    pub layers: Vec<NamedLayer>,
    /// A weight penalty the network adds to its own loss and gradients (the course's
    /// `MultiLayerNet(weight_decay_lambda=…)`); a training loop's penalty is separate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight_penalty: Option<Penalty>,
}

/// Why a description does not make a network. Every variant names the layer.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// A layer cannot take the shape that reaches it.
    #[error("layer {index} `{name}` ({kind}): {reason}; it receives {input:?}")]
    Shape {
        /// Position in the network, from 1.
        index: usize,
        /// The layer's name.
        name: String,
        /// Its type (`conv`, `affine`, …).
        kind: String,
        /// The per-sample shape reaching it.
        input: Vec<usize>,
        /// What it expects instead.
        reason: String,
    },
    /// A builder modifier (`pad`, `stride`, …) follows a layer it does not apply to.
    #[error("`{modifier}` does not apply to layer {index} `{name}` ({kind})")]
    Modifier {
        /// The modifier.
        modifier: String,
        /// Position of the layer before it, from 1 (0: no layer yet).
        index: usize,
        /// That layer's name.
        name: String,
        /// Its type.
        kind: String,
    },
    /// Two layers share a name.
    #[error("two layers are named `{name}` (layers {first} and {second})")]
    DuplicateName {
        /// The name.
        name: String,
        /// Position of the first, from 1.
        first: usize,
        /// Position of the second, from 1.
        second: usize,
    },
    /// The input shape is empty or has a zero axis.
    #[error("the input shape {input:?} is empty or has a zero axis")]
    Input {
        /// The shape given.
        input: Vec<usize>,
    },
    /// The network holds a layer pushed without a description, so it has no spec to save.
    #[error(
        "layer `{name}` ({describe}) was pushed without a LayerConfig, so it cannot be described"
    )]
    Undescribed {
        /// The layer's name.
        name: String,
        /// The layer's own description.
        describe: String,
    },
    /// The weight penalty has a negative or non-finite strength.
    #[error("weight penalty strengths must be finite and non-negative, got {penalty:?}")]
    Penalty {
        /// The penalty.
        penalty: Penalty,
    },
}

impl NetworkSpec {
    /// The per-sample output shape of every layer, in order, or the first layer that cannot
    /// take its input.
    pub fn output_shapes(&self) -> Result<Vec<Vec<usize>>, BuildError> {
        if self.input.is_empty() || self.input.contains(&0) {
            return Err(BuildError::Input {
                input: self.input.clone(),
            });
        }
        let mut seen = std::collections::HashMap::new();
        let mut shape = self.input.clone();
        let mut shapes = Vec::with_capacity(self.layers.len());
        for (i, layer) in self.layers.iter().enumerate() {
            if let Some(first) = seen.insert(layer.name.as_str(), i + 1) {
                return Err(BuildError::DuplicateName {
                    name: layer.name.clone(),
                    first,
                    second: i + 1,
                });
            }
            shape = layer
                .config
                .output_shape(&shape)
                .map_err(|reason| BuildError::Shape {
                    index: i + 1,
                    name: layer.name.clone(),
                    kind: layer.config.name_prefix().to_string(),
                    input: shape.clone(),
                    reason,
                })?;
            shapes.push(shape.clone());
        }
        if let Some(p) = self.weight_penalty
            && !penalty_is_valid(&p)
        {
            return Err(BuildError::Penalty { penalty: p });
        }
        Ok(shapes)
    }

    /// The values a checkpoint of this network stores (parameters and buffers), after checking
    /// the shapes; `Ok(None)` if the count overflows `u64`.
    pub fn stored_values(&self) -> Result<Option<u64>, BuildError> {
        let shapes = self.output_shapes()?;
        let inputs = std::iter::once(&self.input).chain(&shapes);
        let mut total = 0u64;
        for (layer, input) in self.layers.iter().zip(inputs) {
            match layer
                .config
                .stored_values(input)
                .and_then(|n| total.checked_add(n))
            {
                Some(t) => total = t,
                None => return Ok(None),
            }
        }
        Ok(Some(total))
    }

    /// Builds the network, weights drawn in layer order from one generator seeded with `seed`.
    pub fn build<T: Float>(&self, seed: u64) -> Result<Sequential<T>, BuildError> {
        let shapes = self.output_shapes()?;
        let mut rng = rng_from_seed(seed);
        let mut net = Sequential::softmax();
        net.set_input_shape(self.input.clone());
        net.set_weight_penalty(self.weight_penalty);
        let inputs = std::iter::once(&self.input).chain(&shapes);
        for (layer, input) in self.layers.iter().zip(inputs) {
            let built = layer.config.build::<T>(input, &mut rng, seed);
            net.push_described(layer.name.clone(), layer.config.clone(), built);
        }
        Ok(net)
    }
}

/// Whether every strength of `p` is finite and non-negative.
pub(crate) fn penalty_is_valid(p: &Penalty) -> bool {
    let ok = |x: f64| x.is_finite() && x >= 0.0;
    let (l1, l2) = p.strengths();
    ok(l1) && ok(l2)
}

//! A serializable description of every layer this workspace provides: what a checkpoint stores
//! as a network's architecture, and what [`SequentialBuilder`](crate::SequentialBuilder)
//! writes. Sizes that follow from the input (an Affine's inputs, a convolution's channels, a
//! norm's features) are not stored: they are inferred from the shape reaching the layer.

use dl_layers::{
    Affine, Convolution, Dropout, DropoutKind, Flatten, GlobalAvgPool, GlobalMaxPool, Init, Layer,
    PoolKind, Pooling, Relu, Sigmoid, Tanh,
};
use dl_norm::{BatchNorm, BatchNormConfig, BatchStats, InstanceNorm, LayerNorm, LayerNormAxes};
use dl_optim::ActivityPenalty;
use dl_tensor::{Float, Rng};
use serde::{Deserialize, Serialize};

/// One layer's settings. Shapes below are per sample (the batch axis is left out).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum LayerConfig {
    /// [`Affine`]: any input, flattened to `(in)`; output `(outputs)`.
    Affine {
        /// Output features.
        outputs: usize,
        /// Weight initialisation (fan-in `in`).
        init: Init,
    },
    /// [`Convolution`]: input `(C, H, W)`; output `(filters, OH, OW)`.
    Conv {
        /// Number of filters (output channels).
        filters: usize,
        /// Filter height and width.
        kernel: [usize; 2],
        /// Stride in both directions.
        stride: usize,
        /// Zero padding on every side.
        pad: usize,
        /// Weight initialisation (fan-in `C·KH·KW`).
        init: Init,
    },
    /// [`Pooling`]: input `(C, H, W)`; output `(C, OH, OW)`.
    Pool {
        /// Max or average.
        kind: PoolKind,
        /// Window height and width.
        size: [usize; 2],
        /// Stride in both directions.
        stride: usize,
        /// Zero padding on every side.
        pad: usize,
    },
    /// [`GlobalAvgPool`]: `(C, H, W)` → `(C)`.
    GlobalAvgPool,
    /// [`GlobalMaxPool`]: `(C, H, W)` → `(C)`.
    GlobalMaxPool,
    /// [`Flatten`]: any input → `(product of its axes)`.
    Flatten,
    /// [`Relu`], element-wise.
    Relu,
    /// [`Sigmoid`], element-wise.
    Sigmoid,
    /// [`Tanh`], element-wise.
    Tanh,
    /// [`Dropout`], element-wise.
    Dropout {
        /// The probability of dropping a unit, in `[0, 1)`.
        ratio: f64,
        /// The course's convention or the inverted one.
        style: DropoutKind,
        /// Mixed (XOR) with the network's seed to seed this layer's masks, so that two
        /// dropouts of one network draw different masks.
        seed_salt: u64,
    },
    /// [`BatchNorm`]: any input of at least one axis; features inferred from `stats`.
    BatchNorm {
        /// Per feature (the course) or per channel (Keras).
        stats: BatchStats,
        /// Momentum of the running statistics.
        momentum: f64,
        /// Added to the variance.
        eps: f64,
        /// Initial running mean.
        initial_running_mean: f64,
        /// Initial running variance.
        initial_running_var: f64,
    },
    /// [`LayerNorm`]: any input of at least one axis.
    LayerNorm {
        /// Over the channels at each position, or over every axis of the sample.
        axes: LayerNormAxes,
        /// Added to the variance.
        eps: f64,
    },
    /// [`InstanceNorm`]: input `(C, H, W)`.
    InstanceNorm {
        /// Added to the variance.
        eps: f64,
    },
    /// [`ActivityPenalty`] (Keras's `activity_regularizer`), element-wise.
    ActivityPenalty {
        /// Strength on `Σ|a|`.
        l1: f64,
        /// Strength on `Σa²`.
        l2: f64,
    },
}

impl LayerConfig {
    /// The course's BatchNorm: per feature, momentum 0.9, ε 1e-6, running statistics from 0.
    pub fn batch_norm_course() -> Self {
        Self::from_batch_norm(BatchNormConfig::course(0))
    }

    /// Keras's BatchNorm: per channel, momentum 0.99, ε 1e-3, running variance from 1.
    pub fn batch_norm_keras() -> Self {
        Self::from_batch_norm(BatchNormConfig::keras(0))
    }

    fn from_batch_norm(c: BatchNormConfig) -> Self {
        LayerConfig::BatchNorm {
            stats: c.stats,
            momentum: c.momentum,
            eps: c.eps,
            initial_running_mean: c.initial_running_mean,
            initial_running_var: c.initial_running_var,
        }
    }

    /// The prefix of this layer's default name (`conv` for `conv1`, `conv2`, …).
    pub fn name_prefix(&self) -> &'static str {
        match self {
            LayerConfig::Affine { .. } => "affine",
            LayerConfig::Conv { .. } => "conv",
            LayerConfig::Pool { .. } => "pool",
            LayerConfig::GlobalAvgPool | LayerConfig::GlobalMaxPool => "global_pool",
            LayerConfig::Flatten => "flatten",
            LayerConfig::Relu => "relu",
            LayerConfig::Sigmoid => "sigmoid",
            LayerConfig::Tanh => "tanh",
            LayerConfig::Dropout { .. } => "dropout",
            LayerConfig::BatchNorm { .. } => "batchnorm",
            LayerConfig::LayerNorm { .. } => "layernorm",
            LayerConfig::InstanceNorm { .. } => "instancenorm",
            LayerConfig::ActivityPenalty { .. } => "activity",
        }
    }

    /// What the layer expects of its per-sample input, for error messages.
    fn expects(&self) -> &'static str {
        match self {
            LayerConfig::Conv { .. }
            | LayerConfig::Pool { .. }
            | LayerConfig::GlobalAvgPool
            | LayerConfig::GlobalMaxPool
            | LayerConfig::InstanceNorm { .. } => "an input of shape (C, H, W)",
            _ => "an input of at least one axis",
        }
    }

    /// The per-sample output shape for a per-sample `input`, or why the layer cannot take it.
    /// Arithmetic is checked, so a description read from an untrusted file cannot overflow.
    pub fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>, String> {
        let wrong = || Err(format!("expects {}", self.expects()));
        if input.is_empty() || input.contains(&0) {
            return Err("got an empty input".into());
        }
        let flat = || product(input).ok_or_else(|| "input size overflows".to_string());
        if let LayerConfig::Affine { init, .. } | LayerConfig::Conv { init, .. } = self
            && let Init::Std(s) = init
            && !(s.is_finite() && *s >= 0.0)
        {
            return Err(format!(
                "the init's standard deviation must be finite and non-negative, got {s}"
            ));
        }
        let strength = |what: &str, x: f64| {
            if x.is_finite() && x >= 0.0 {
                Ok(())
            } else {
                Err(format!("{what} must be finite and non-negative, got {x}"))
            }
        };
        match *self {
            LayerConfig::ActivityPenalty { l1, l2 } => {
                strength("the L1 strength", l1)?;
                strength("the L2 strength", l2)?;
            }
            LayerConfig::BatchNorm { momentum, eps, .. } => {
                if !(0.0..=1.0).contains(&momentum) {
                    return Err(format!("momentum must lie in [0, 1], got {momentum}"));
                }
                strength("eps", eps)?;
            }
            LayerConfig::LayerNorm { eps, .. } | LayerConfig::InstanceNorm { eps } => {
                strength("eps", eps)?;
            }
            _ => {}
        }
        match self {
            LayerConfig::Affine { outputs, .. } => {
                flat()?;
                positive("outputs", *outputs)?;
                Ok(vec![*outputs])
            }
            LayerConfig::Conv {
                filters,
                kernel,
                stride,
                pad,
                ..
            } => {
                let [_, h, w] = input else { return wrong() };
                positive("filters", *filters)?;
                let oh = window_count(*h, kernel[0], *stride, *pad)?;
                let ow = window_count(*w, kernel[1], *stride, *pad)?;
                Ok(vec![*filters, oh, ow])
            }
            LayerConfig::Pool {
                size, stride, pad, ..
            } => {
                let [c, h, w] = input else { return wrong() };
                let oh = window_count(*h, size[0], *stride, *pad)?;
                let ow = window_count(*w, size[1], *stride, *pad)?;
                Ok(vec![*c, oh, ow])
            }
            LayerConfig::GlobalAvgPool | LayerConfig::GlobalMaxPool => {
                let [c, _, _] = input else { return wrong() };
                Ok(vec![*c])
            }
            LayerConfig::InstanceNorm { .. } => {
                if input.len() != 3 {
                    return wrong();
                }
                Ok(input.to_vec())
            }
            LayerConfig::Flatten => Ok(vec![flat()?]),
            LayerConfig::Dropout { ratio, .. } => {
                if !(0.0..1.0).contains(ratio) {
                    return Err(format!("dropout ratio must lie in [0, 1), got {ratio}"));
                }
                Ok(input.to_vec())
            }
            _ => {
                flat()?;
                Ok(input.to_vec())
            }
        }
    }

    /// The values a checkpoint stores for this layer (parameters and buffers) when it receives
    /// a per-sample `input`; `None` on overflow. The input must be one
    /// [`LayerConfig::output_shape`] accepts.
    pub fn stored_values(&self, input: &[usize]) -> Option<u64> {
        let features = self.features(input)?;
        match self {
            LayerConfig::Affine { outputs, .. } => {
                let o = *outputs as u64;
                features.checked_mul(o)?.checked_add(o)
            }
            LayerConfig::Conv {
                filters, kernel, ..
            } => {
                let f = *filters as u64;
                let per_filter = features
                    .checked_mul(kernel[0] as u64)?
                    .checked_mul(kernel[1] as u64)?;
                per_filter.checked_mul(f)?.checked_add(f)
            }
            LayerConfig::BatchNorm { .. } => features.checked_mul(4),
            LayerConfig::LayerNorm { .. } | LayerConfig::InstanceNorm { .. } => {
                features.checked_mul(2)
            }
            _ => Some(0),
        }
    }

    /// The size the layer's parameters are built for: an Affine's or a per-feature norm's
    /// flattened inputs, a convolution's or per-channel norm's channels.
    fn features(&self, input: &[usize]) -> Option<u64> {
        let flat = || product(input).map(|n| n as u64);
        let channels = || input.first().map(|&c| c as u64);
        match self {
            LayerConfig::Affine { .. } => flat(),
            LayerConfig::BatchNorm { stats, .. } => match stats {
                BatchStats::PerFeature => flat(),
                BatchStats::PerChannel => channels(),
            },
            LayerConfig::LayerNorm { axes, .. } => match axes {
                LayerNormAxes::Channels => channels(),
                _ => flat(),
            },
            _ => channels(),
        }
    }

    /// Builds the layer for a per-sample `input` (one [`LayerConfig::output_shape`] accepts),
    /// drawing weights from `rng`; a dropout seeds its masks with `seed ^ seed_salt`.
    pub fn build<T: Float>(&self, input: &[usize], rng: &mut Rng, seed: u64) -> Box<dyn Layer<T>> {
        let features = self.features(input).unwrap_or(0) as usize;
        match *self {
            LayerConfig::Affine { outputs, init } => {
                Box::new(Affine::<T>::new(features, outputs, init, rng))
            }
            LayerConfig::Conv {
                filters,
                kernel,
                stride,
                pad,
                init,
            } => Box::new(Convolution::<T>::new(
                filters, features, kernel[0], kernel[1], stride, pad, init, rng,
            )),
            LayerConfig::Pool {
                kind,
                size,
                stride,
                pad,
            } => Box::new(Pooling::<T>::new(kind, size[0], size[1], stride, pad)),
            LayerConfig::GlobalAvgPool => Box::new(GlobalAvgPool::new()),
            LayerConfig::GlobalMaxPool => Box::new(GlobalMaxPool::new()),
            LayerConfig::Flatten => Box::new(Flatten::new()),
            LayerConfig::Relu => Box::new(Relu::<T>::new()),
            LayerConfig::Sigmoid => Box::new(Sigmoid::<T>::new()),
            LayerConfig::Tanh => Box::new(Tanh::<T>::new()),
            LayerConfig::Dropout {
                ratio,
                style,
                seed_salt,
            } => Box::new(Dropout::<T>::new(ratio, style, seed ^ seed_salt)),
            LayerConfig::BatchNorm {
                stats,
                momentum,
                eps,
                initial_running_mean,
                initial_running_var,
            } => Box::new(BatchNorm::<T>::new(BatchNormConfig {
                features,
                stats,
                momentum,
                eps,
                initial_running_mean,
                initial_running_var,
            })),
            LayerConfig::LayerNorm { axes, eps } => {
                Box::new(LayerNorm::<T>::new(axes, features).with_eps(eps))
            }
            LayerConfig::InstanceNorm { eps } => {
                Box::new(InstanceNorm::<T>::new(features).with_eps(eps))
            }
            LayerConfig::ActivityPenalty { l1, l2 } => Box::new(ActivityPenalty::<T>::new(l1, l2)),
        }
    }
}

/// The product of `dims`, or `None` on overflow.
fn product(dims: &[usize]) -> Option<usize> {
    dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d))
}

fn positive(what: &str, n: usize) -> Result<(), String> {
    if n == 0 {
        Err(format!("{what} must be at least 1, got 0"))
    } else {
        Ok(())
    }
}

/// How many windows of `size` fit along an axis of `len` with `stride` and `pad`.
fn window_count(len: usize, size: usize, stride: usize, pad: usize) -> Result<usize, String> {
    positive("the window size", size)?;
    positive("the stride", stride)?;
    let padded = pad
        .checked_mul(2)
        .and_then(|p| p.checked_add(len))
        .ok_or("the padding overflows")?;
    if size > padded {
        return Err(format!(
            "a window of {size} does not fit an axis of {len} padded by {pad}"
        ));
    }
    Ok((padded - size) / stride + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_shapes_follow_the_course_formula() {
        let conv = LayerConfig::Conv {
            filters: 16,
            kernel: [3, 3],
            stride: 1,
            pad: 2,
            init: Init::He,
        };
        assert_eq!(conv.output_shape(&[16, 14, 14]).unwrap(), [16, 16, 16]);
        assert_eq!(conv.stored_values(&[16, 14, 14]), Some(16 * 16 * 9 + 16));
        let pool = LayerConfig::Pool {
            kind: PoolKind::Max,
            size: [3, 3],
            stride: 2,
            pad: 0,
        };
        assert_eq!(pool.output_shape(&[64, 55, 55]).unwrap(), [64, 27, 27]);
        let err = pool.output_shape(&[784]).unwrap_err();
        assert!(err.contains("(C, H, W)"), "{err}");
        let err = conv.output_shape(&[1, 0, 3]).unwrap_err();
        assert!(err.contains("empty"), "{err}");
        let big = LayerConfig::Affine {
            outputs: usize::MAX,
            init: Init::He,
        };
        assert_eq!(big.stored_values(&[usize::MAX]), None);
    }
}

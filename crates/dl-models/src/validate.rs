//! Checks a configuration before anything is built from it: a checkpoint read from an untrusted
//! file must not make the loader panic or allocate far more than the file could hold.

use crate::config::{KerasCnnConfig, ModelConfig, MultiLayerNetConfig, NormKind, WeightInit};

impl ModelConfig {
    /// `Ok` if [`Network::build`](crate::Network::build) can build this configuration; otherwise
    /// what is wrong (a zero size, a dropout ratio outside `[0, 1)`, an image too small, …).
    pub fn validate(&self) -> Result<(), String> {
        match self {
            ModelConfig::MultiLayerNet(c) => validate_mlp(c),
            ModelConfig::SimpleConvNet | ModelConfig::DoubleConvNet | ModelConfig::DeepConvNet => {
                Ok(())
            }
            ModelConfig::AlexNet {
                classes,
                in_channels,
            } => {
                positive("classes", *classes)?;
                positive("in_channels", *in_channels)
            }
            ModelConfig::KerasCnn(c) => validate_keras(c),
        }
    }

    /// The fewest values (weights, biases, scales, shifts) a checkpoint of this model stores;
    /// `None` if the count overflows `u64`. For AlexNet only the size-dependent layers and the
    /// two big linear layers are counted: a lower bound is all a loader needs.
    pub fn min_stored_values(&self) -> Option<u64> {
        match self {
            ModelConfig::MultiLayerNet(c) => {
                let mut total = 0u64;
                let mut n_in = c.input_size as u64;
                for &n_out in c.hidden_sizes.iter().chain([&c.output_size]) {
                    let n_out = n_out as u64;
                    total = total.checked_add(n_in.checked_mul(n_out)?.checked_add(n_out)?)?;
                    n_in = n_out;
                }
                Some(total)
            }
            ModelConfig::SimpleConvNet | ModelConfig::DoubleConvNet | ModelConfig::DeepConvNet => {
                Some(0)
            }
            ModelConfig::AlexNet {
                classes,
                in_channels,
            } => {
                let conv1 = (*in_channels as u64).checked_mul(64 * 11 * 11)?;
                let linear3 = (*classes as u64).checked_mul(4096 + 1)?;
                conv1
                    .checked_add(linear3)?
                    .checked_add(9216 * 4096 + 4096 * 4096)
            }
            ModelConfig::KerasCnn(c) => {
                let pooled = (c.image_size.saturating_sub(2) / 2) as u64;
                let conv1 = (c.in_channels as u64).checked_mul(32 * 9)?;
                let dense1 = pooled.checked_mul(pooled)?.checked_mul(32 * 512)?;
                let dense2 = (c.classes as u64).checked_mul(512 + 1)?;
                let norm = match c.norm {
                    Some(NormKind::LayerNormAll) => {
                        (c.image_size as u64).checked_pow(2)?.checked_mul(2 * 32)?
                    }
                    _ => 0,
                };
                conv1
                    .checked_add(dense1)?
                    .checked_add(dense2)?
                    .checked_add(norm)
            }
        }
    }
}

fn positive(what: &str, n: usize) -> Result<(), String> {
    if n == 0 {
        Err(format!("{what} must be at least 1, got 0"))
    } else {
        Ok(())
    }
}

fn ratio(what: &str, p: Option<f64>) -> Result<(), String> {
    match p {
        Some(p) if !(0.0..1.0).contains(&p) => Err(format!("{what} must lie in [0, 1), got {p}")),
        _ => Ok(()),
    }
}

fn validate_mlp(c: &MultiLayerNetConfig) -> Result<(), String> {
    positive("input_size", c.input_size)?;
    positive("output_size", c.output_size)?;
    for (i, &h) in c.hidden_sizes.iter().enumerate() {
        positive(&format!("hidden_sizes[{i}]"), h)?;
    }
    ratio("dropout", c.dropout)?;
    if let WeightInit::Std(s) = c.init
        && !s.is_finite()
    {
        return Err(format!(
            "the init's standard deviation must be finite, got {s}"
        ));
    }
    Ok(())
}

fn validate_keras(c: &KerasCnnConfig) -> Result<(), String> {
    positive("in_channels", c.in_channels)?;
    positive("classes", c.classes)?;
    if c.image_size < 4 {
        return Err(format!(
            "image_size must be at least 4 (two 3×3 convolutions and a 2×2 pool), got {}",
            c.image_size
        ));
    }
    ratio("dropout", c.dropout)
}

#[cfg(test)]
mod tests {
    use crate::config::{KerasCnnConfig, ModelConfig, MultiLayerNetConfig};
    use crate::network::Network;

    #[test]
    fn the_lower_bound_never_exceeds_the_real_count() {
        let configs = [
            ModelConfig::MultiLayerNet(MultiLayerNetConfig::new(784, &[40, 20], 10)),
            ModelConfig::MultiLayerNet(MultiLayerNetConfig::new(5, &[], 3).batch_norm(true)),
            ModelConfig::KerasCnn(KerasCnnConfig {
                in_channels: 1,
                image_size: 8,
                classes: 3,
                activity_penalty: None,
                dropout: Some(0.2),
                norm: Some(crate::config::NormKind::LayerNormAll),
            }),
            ModelConfig::DeepConvNet,
        ];
        for config in configs {
            config.validate().unwrap();
            let real = Network::<f32>::build(&config, 0).param_count() as u64;
            let bound = config.min_stored_values().unwrap();
            assert!(bound <= real, "{config:?}: bound {bound} > {real}");
        }
        // For a plain MLP the bound is exact.
        let mlp = ModelConfig::MultiLayerNet(MultiLayerNetConfig::new(784, &[40, 20], 10));
        assert_eq!(
            mlp.min_stored_values(),
            Some(784 * 40 + 40 + 40 * 20 + 20 + 20 * 10 + 10)
        );
    }

    #[test]
    fn unbuildable_configurations_are_named() {
        let zero = ModelConfig::MultiLayerNet(MultiLayerNetConfig::new(784, &[40, 0], 10));
        assert!(zero.validate().unwrap_err().contains("hidden_sizes[1]"));
        let dropout = ModelConfig::MultiLayerNet(MultiLayerNetConfig::new(4, &[3], 2).dropout(1.5));
        assert!(dropout.validate().unwrap_err().contains("1.5"));
        let tiny = ModelConfig::KerasCnn(KerasCnnConfig {
            in_channels: 3,
            image_size: 2,
            classes: 10,
            activity_penalty: None,
            dropout: None,
            norm: None,
        });
        assert!(tiny.validate().unwrap_err().contains("image_size"));
        let huge =
            ModelConfig::MultiLayerNet(MultiLayerNetConfig::new(usize::MAX, &[usize::MAX], 2));
        assert_eq!(huge.min_stored_values(), None);
    }
}

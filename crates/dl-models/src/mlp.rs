//! The course's `MultiLayerNet(Extend)`.

use dl_layers::{Affine, Dropout, DropoutKind, Relu, Sigmoid, SoftmaxWithLoss, Tanh};
use dl_norm::BatchNorm;
use dl_tensor::{Float, rng_from_seed};

use crate::config::{Activation, MultiLayerNetConfig};
use crate::sequential::Sequential;

/// Builds Affine → [BatchNorm] → activation → [Dropout] per hidden layer, then Affine, ending in
/// softmax-with-loss. Layers are named `affine1`, `batchnorm1`, `relu1`, `dropout1`, ….
pub fn build<T: Float>(c: &MultiLayerNetConfig, seed: u64) -> Sequential<T> {
    let mut rng = rng_from_seed(seed);
    let mut seq = Sequential::new(Box::new(SoftmaxWithLoss::new()));
    let mut n_in = c.input_size;
    for (i, &n_out) in c.hidden_sizes.iter().enumerate() {
        let k = i + 1;
        seq.push(
            format!("affine{k}"),
            Affine::<T>::new(n_in, n_out, crate::build::init(c.init), &mut rng),
        );
        if c.batch_norm {
            seq.push(format!("batchnorm{k}"), BatchNorm::<T>::course(n_out));
        }
        match c.activation {
            Activation::Sigmoid => seq.push(format!("sigmoid{k}"), Sigmoid::<T>::new()),
            Activation::Relu => seq.push(format!("relu{k}"), Relu::<T>::new()),
            Activation::Tanh => seq.push(format!("tanh{k}"), Tanh::<T>::new()),
        };
        if let Some(p) = c.dropout {
            seq.push(
                format!("dropout{k}"),
                Dropout::<T>::new(p, DropoutKind::Course, seed ^ (k as u64 * 7919)),
            );
        }
        n_in = n_out;
    }
    let k = c.hidden_sizes.len() + 1;
    seq.push(
        format!("affine{k}"),
        Affine::<T>::new(n_in, c.output_size, crate::build::init(c.init), &mut rng),
    );
    seq
}

//! The experiments of the notes, one small declarative file each.

mod gradient_vanishing;

use crate::spec::{DataSpec, Experiment};

/// Every experiment, in the notes' order.
pub fn all() -> Vec<Experiment> {
    vec![gradient_vanishing::experiment()]
}

/// Full MNIST, flattened to 784 (the MLP experiments).
pub fn mnist_mlp() -> DataSpec {
    DataSpec { dataset: "mnist", train_first: None, test_first: None, flatten: true }
}

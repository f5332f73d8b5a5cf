//! Integration tests of `dl_layers`, gathered in one test binary so the crate and its
//! dependencies are linked once rather than once per file.

mod common;

mod activations;
mod convolution;
mod dense;
mod dropout;
mod im2col;
mod panics;
mod pooling;
mod quiz;
mod softmax_loss;

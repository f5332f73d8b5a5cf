//! Constructors that need a numeric element type: zeros, ones, seeded random tensors.

use rand::SeedableRng;

use crate::{Float, Shape, Tensor};

/// The random number generator used throughout the library (seeded, reproducible).
pub type Rng = rand::rngs::StdRng;

/// A generator seeded with `seed`: the same seed gives the same numbers.
pub fn rng_from_seed(seed: u64) -> Rng {
    Rng::seed_from_u64(seed)
}

impl<T: Float> Tensor<T> {
    /// A tensor of zeros.
    pub fn zeros(shape: impl Into<Shape>) -> Self {
        Self::full(shape, T::zero())
    }

    /// A tensor of ones.
    pub fn ones(shape: impl Into<Shape>) -> Self {
        Self::full(shape, T::one())
    }

    /// Zeros with the shape of `other`.
    pub fn zeros_like(other: &Tensor<T>) -> Self {
        Self::zeros(other.dims())
    }

    /// Normal samples with mean 0 and standard deviation `std` (the course's `std · randn`).
    pub fn randn(shape: impl Into<Shape>, std: T, rng: &mut Rng) -> Self {
        let shape = shape.into();
        let data = (0..shape.numel())
            .map(|_| T::standard_normal(rng) * std)
            .collect();
        Self::from_vec(data, shape)
    }

    /// Uniform samples in `[low, high)`.
    ///
    /// # Panics
    /// If `low >= high`.
    #[track_caller]
    pub fn rand_uniform(shape: impl Into<Shape>, low: T, high: T, rng: &mut Rng) -> Self {
        assert!(low < high, "rand_uniform: empty range {low}..{high}");
        let mut t = Self::zeros(shape);
        t.fill_uniform(low, high, rng);
        t
    }

    /// Overwrites every element (in row-major order) with a draw from the uniform distribution
    /// on `[low, high)`: the same draws as [`Tensor::rand_uniform`] of this shape, without
    /// allocating when the storage is this tensor's alone.
    ///
    /// # Panics
    /// If `low >= high`.
    #[track_caller]
    pub fn fill_uniform(&mut self, low: T, high: T, rng: &mut Rng) {
        assert!(low < high, "fill_uniform: empty range {low}..{high}");
        let dist = rand_distr::Uniform::new(low, high).expect("checked range");
        for v in self.as_mut_slice() {
            *v = rand_distr::Distribution::sample(&dist, rng);
        }
    }
}

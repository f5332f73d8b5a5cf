//! Weight initialisation schemes: the course's `std · randn`, "Xavier" and "He", and Keras's
//! Glorot-uniform.

use dl_tensor::{Float, Rng, Shape, Tensor};

/// How a weight tensor is initialised. Biases are always zero.
///
/// `fan_in` is the number of inputs feeding one output unit: `n_in` for an Affine layer and
/// `C·FH·FW` for a convolution. `fan_out` is only used by [`Init::GlorotUniform`]
/// (`n_out`, or `FN·FH·FW` for a convolution, as Keras).
///
/// # Example
/// ```
/// use dl_layers::Init;
/// use dl_tensor::{rng_from_seed, Tensor};
/// let mut rng = rng_from_seed(1);
/// let w: Tensor<f32> = Init::He.sample([784, 40], 784, 40, &mut rng);
/// assert_eq!(w.shape(), &[784, 40]);
/// assert_eq!(Init::He.std(784, 40), Some((2.0f64 / 784.0).sqrt()));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Init {
    /// `std · randn` (the course's `weight_init_std = 0.01`).
    Std(f64),
    /// `randn · √(1/fan_in)` (the course's "Xavier"; not Glorot's `2/(fan_in + fan_out)`).
    Xavier,
    /// `randn · √(2/fan_in)`.
    He,
    /// `U(−a, a)` with `a = √(6/(fan_in + fan_out))` (Keras's `glorot_uniform`).
    GlorotUniform,
}

impl Init {
    /// The standard deviation of the normal schemes, or `None` for a uniform one.
    pub fn std(self, fan_in: usize, _fan_out: usize) -> Option<f64> {
        match self {
            Init::Std(s) => Some(s),
            Init::Xavier => Some((1.0 / fan_in as f64).sqrt()),
            Init::He => Some((2.0 / fan_in as f64).sqrt()),
            Init::GlorotUniform => None,
        }
    }

    /// The half-width `a` of the uniform schemes, or `None` for a normal one.
    pub fn uniform_limit(self, fan_in: usize, fan_out: usize) -> Option<f64> {
        match self {
            Init::GlorotUniform => Some((6.0 / (fan_in + fan_out) as f64).sqrt()),
            _ => None,
        }
    }

    /// Draws a weight tensor of `shape`.
    ///
    /// # Panics
    /// If `fan_in` is zero for a scheme that divides by it, or both fans are zero for
    /// [`Init::GlorotUniform`].
    #[track_caller]
    pub fn sample<T: Float>(
        self,
        shape: impl Into<Shape>,
        fan_in: usize,
        fan_out: usize,
        rng: &mut Rng,
    ) -> Tensor<T> {
        let shape = shape.into();
        if let Some(a) = self.uniform_limit(fan_in, fan_out) {
            assert!(
                fan_in + fan_out > 0,
                "Init::sample: {self:?} needs fan_in + fan_out > 0 (shape {shape:?})"
            );
            return Tensor::rand_uniform(shape, T::lit(-a), T::lit(a), rng);
        }
        assert!(
            fan_in > 0 || matches!(self, Init::Std(_)),
            "Init::sample: {self:?} needs fan_in > 0 (shape {shape:?})"
        );
        let std = self.std(fan_in, fan_out).expect("normal scheme");
        Tensor::randn(shape, T::lit(std), rng)
    }
}

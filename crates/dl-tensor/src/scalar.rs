//! The element types tensors compute with: `f32` and `f64`.

use std::fmt::{Debug, Display};
use std::iter::Sum;
use std::ops::{AddAssign, DivAssign, MulAssign, SubAssign};

use crate::gemm::GemmScalar;

/// A floating-point element type: implemented for `f32` and `f64`.
///
/// Gradient checks run the same layers in `f64` that training runs in `f32`.
pub trait Float:
    num_traits::Float
    + GemmScalar
    + Default
    + Debug
    + Display
    + Send
    + Sync
    + Sum
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + rand_distr::uniform::SampleUniform
    + 'static
{
    /// The type's name, `"f32"` or `"f64"`.
    const NAME: &'static str;
    /// Converts an `f64` literal (rounding for `f32`).
    fn lit(v: f64) -> Self;
    /// Widens to `f64`.
    fn as_f64(self) -> f64;
    /// Draws one standard normal sample.
    fn standard_normal(rng: &mut crate::Rng) -> Self;
}

impl Float for f32 {
    const NAME: &'static str = "f32";
    #[inline]
    fn lit(v: f64) -> Self {
        v as f32
    }
    #[inline]
    fn as_f64(self) -> f64 {
        self as f64
    }
    fn standard_normal(rng: &mut crate::Rng) -> Self {
        rand_distr::Distribution::<f32>::sample(&rand_distr::StandardNormal, rng)
    }
}

impl Float for f64 {
    const NAME: &'static str = "f64";
    #[inline]
    fn lit(v: f64) -> Self {
        v
    }
    #[inline]
    fn as_f64(self) -> f64 {
        self
    }
    fn standard_normal(rng: &mut crate::Rng) -> Self {
        rand_distr::Distribution::<f64>::sample(&rand_distr::StandardNormal, rng)
    }
}

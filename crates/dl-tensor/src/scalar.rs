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
    /// The logistic sigmoid `1 / (1 + e⁻ˣ)`, evaluated so that `e^|x|` never overflows. `f64`
    /// uses the platform's `exp`; `f32` an `exp` of its own, without branches, so that a loop
    /// over a slice vectorizes (within 2 ulp of the `f64` sigmoid).
    fn logistic(self) -> Self;
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
    #[inline(always)]
    fn logistic(self) -> Self {
        // e = e^−|x| ∈ [0, 1]: x ≥ 0 gives 1 / (1 + e), x < 0 gives e / (1 + e).
        let e = exp_nonpositive_f32(-self.abs());
        let numerator = if self >= 0.0 { 1.0 } else { e };
        numerator / (1.0 + e)
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
    #[inline]
    fn logistic(self) -> Self {
        if self >= 0.0 {
            1.0 / (1.0 + (-self).exp())
        } else {
            let e = self.exp();
            e / (1.0 + e)
        }
    }
}

/// `eᶻ` for `z ≤ 0` (NaN stays NaN), within 1 ulp, without branches so that loops over it
/// vectorize on any x86 (SSE2 is enough).
///
/// `z = n·ln 2 + r` with `n` the nearest integer to `z·log₂e` and `|r| ≤ ln 2 / 2`; `eʳ` is its
/// Taylor polynomial to `r⁷` (truncation below 1e−8, relative), scaled by `2ⁿ` in two halves
/// so that the subnormal results come out right. Only plain products and sums — no fused
/// multiply-add — so every instruction set, and the scalar remainder of a vector loop, gives
/// the same bits.
#[inline(always)]
fn exp_nonpositive_f32(z: f32) -> f32 {
    // ln 2 in two parts: `LN2_HI` has 9 significant bits, so `n·LN2_HI` is exact for |n| ≤ 151.
    const LN2_HI: f32 = 355.0 / 512.0;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // 1.5·2²³: adding it rounds to an integer, which its bits then hold in the low bits.
    const ROUND: f32 = 12_582_912.0;
    // Below −104, eᶻ rounds to 0 (and 2ⁿ below would not fit); NaN fails the test and stays.
    let z = if z < -104.0 { -104.0 } else { z };
    let t = z * std::f32::consts::LOG2_E + ROUND;
    let n = t - ROUND;
    let r = (z - n * LN2_HI) - n * LN2_LO;
    let p = 1.0
        + r * (1.0
            + r * (1.0 / 2.0
                + r * (1.0 / 6.0
                    + r * (1.0 / 24.0
                        + r * (1.0 / 120.0 + r * (1.0 / 720.0 + r * (1.0 / 5040.0)))))));
    // n ∈ [−151, 0] as an integer, split so that both 2^half and 2^(n − half) are normal.
    let n = (t.to_bits() as i32).wrapping_sub(ROUND.to_bits() as i32);
    let half = n >> 1;
    let power = |e: i32| f32::from_bits((e.wrapping_add(127) as u32 & 0xff) << 23);
    p * power(half) * power(n - half)
}

#[cfg(test)]
mod tests {
    use super::{Float, exp_nonpositive_f32};

    /// How many representable `f32`s lie between `a` and `b` (both finite, of one sign).
    fn ulps(a: f32, b: f32) -> u32 {
        (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs() as u32
    }

    /// Every 1/1024 from −110 to 0, and every `f32` of [−1e−3, 0] a million steps apart.
    fn nonpositive_sweep() -> impl Iterator<Item = f32> {
        let grid = (0..=110 * 1024).map(|i| -(i as f32) / 1024.0);
        let tiny = (0..=(1e-3f32.to_bits() / 1_000_000)).map(|i| -f32::from_bits(i * 1_000_000));
        grid.chain(tiny)
    }

    #[test]
    fn exp_is_within_one_ulp_down_to_the_subnormals() {
        let mut worst = (0, 0.0);
        for z in nonpositive_sweep() {
            let exact = (z as f64).exp() as f32;
            let d = ulps(exp_nonpositive_f32(z), exact);
            if d > worst.0 {
                worst = (d, z);
            }
        }
        assert!(worst.0 <= 1, "{} ulp at z = {}", worst.0, worst.1);
        assert_eq!(exp_nonpositive_f32(0.0), 1.0);
        assert_eq!(exp_nonpositive_f32(-0.0), 1.0);
        assert_eq!(exp_nonpositive_f32(f32::NEG_INFINITY), 0.0);
        assert_eq!(exp_nonpositive_f32(-200.0), 0.0);
        assert!(exp_nonpositive_f32(f32::NAN).is_nan());
        // e^−100 is subnormal (3.7e−44): 26 of the smallest steps, not 0.
        assert_eq!(exp_nonpositive_f32(-100.0), (-100f64).exp() as f32);
        assert!(exp_nonpositive_f32(-100.0) > 0.0);
    }

    #[test]
    fn f32_logistic_is_within_two_ulp_of_the_f64_one() {
        let mut worst = (0, 0.0);
        for x in nonpositive_sweep().flat_map(|z| [z, -z]) {
            let exact = (x as f64).logistic() as f32;
            let d = ulps(x.logistic(), exact);
            if d > worst.0 {
                worst = (d, x);
            }
        }
        assert!(worst.0 <= 2, "{} ulp at x = {}", worst.0, worst.1);
        assert_eq!(0f32.logistic(), 0.5);
        assert_eq!(f32::INFINITY.logistic(), 1.0);
        assert_eq!(f32::NEG_INFINITY.logistic(), 0.0);
        assert_eq!(30f32.logistic(), 1.0);
        assert!(f32::NAN.logistic().is_nan());
    }

    #[test]
    fn a_vectorized_loop_gives_the_bits_of_one_call_at_a_time() {
        let x: Vec<f32> = (0..1001).map(|i| (i as f32 - 500.0) * 0.173).collect();
        let mut all = vec![0.0f32; x.len()];
        for (o, &v) in all.iter_mut().zip(&x) {
            *o = v.logistic();
        }
        for (i, &v) in x.iter().enumerate() {
            let one = std::hint::black_box(v).logistic();
            assert_eq!(all[i].to_bits(), one.to_bits(), "x = {v}");
        }
    }
}

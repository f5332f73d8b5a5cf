//! Dropout in the course's convention and in the inverted (Keras, PyTorch) one.

use dl_tensor::{Float, Rng, Shape, Tensor, rng_from_seed};

use crate::check::{check_dout, input_shape_mismatch};
use crate::{Layer, Mode, OutputBuffer, backward_before_forward};

/// Where a [`Dropout`] layer puts the `1 − p` correction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum DropoutKind {
    /// The course's: training multiplies by the 0/1 mask with no scaling; inference multiplies
    /// by `1 − p`.
    Course,
    /// Inverted (Keras, PyTorch): training multiplies kept units by `1/(1 − p)`; inference is
    /// the identity.
    Inverted,
}

/// Drops each unit with probability `p` in training.
///
/// The mask keeps a unit when a uniform draw in `[0, 1)` exceeds `p` (the course's
/// `np.random.rand(*x.shape) > ratio`); the draws come from a seeded generator the layer owns,
/// so runs are reproducible. For gradient checks, [`Dropout::set_fixed_mask`] pins the mask.
///
/// # Shapes
/// Any input shape; the output and `dx` have the input's shape (and the mask's).
///
/// # Example
/// ```
/// use dl_layers::{Dropout, DropoutKind, Layer, Mode};
/// use dl_tensor::Tensor;
/// let mut drop = Dropout::<f32>::new(0.5, DropoutKind::Inverted, 7);
/// let x = Tensor::ones([4, 8]);
/// let y = drop.forward(&x, Mode::Train);
/// // Every unit is either dropped (0) or scaled by 1/(1 − 0.5) = 2.
/// assert!(y.to_vec().iter().all(|&v| v == 0.0 || v == 2.0));
/// assert_eq!(drop.forward(&x, Mode::Eval), x); // identity at inference
/// ```
pub struct Dropout<T: Float> {
    ratio: f64,
    kind: DropoutKind,
    rng: Rng,
    fixed_mask: Option<Tensor<T>>,
    last_mask: Option<Tensor<T>>,
    /// What backward multiplies `dout` by (`None` before the first forward pass).
    cache: Option<Factor<T>>,
    /// The inverted convention's mask scaled by `1/(1 − p)`.
    scaled_mask: Tensor<T>,
    /// The outputs.
    out: OutputBuffer<T>,
    /// The input gradients.
    dx: OutputBuffer<T>,
}

/// What backward multiplies `dout` by.
enum Factor<T> {
    /// The last mask, as it is (the course's convention).
    Mask,
    /// The last mask scaled by `1/(1 − p)` (the inverted convention).
    ScaledMask,
    /// A constant, at inference, for an input of the given shape.
    Scale(T, Shape),
}

impl<T: Float> Dropout<T> {
    /// A dropout layer with ratio `p`, convention `kind`, and a mask generator seeded by `seed`.
    ///
    /// # Panics
    /// If `p` is not in `[0, 1)`.
    #[track_caller]
    pub fn new(p: f64, kind: DropoutKind, seed: u64) -> Self {
        assert!(
            (0.0..1.0).contains(&p),
            "Dropout::new: the ratio must lie in [0, 1), got {p}"
        );
        Dropout {
            ratio: p,
            kind,
            rng: rng_from_seed(seed),
            fixed_mask: None,
            last_mask: None,
            cache: None,
            scaled_mask: Tensor::zeros([0]),
            out: OutputBuffer::new(),
            dx: OutputBuffer::new(),
        }
    }

    /// The drop probability `p`.
    pub fn ratio(&self) -> f64 {
        self.ratio
    }

    /// The convention.
    pub fn kind(&self) -> DropoutKind {
        self.kind
    }

    /// Pins the 0/1 keep-mask used in training (`None` draws a fresh mask on each forward
    /// again). The layer applies its own scaling on top ([`DropoutKind::Inverted`]).
    pub fn set_fixed_mask(&mut self, mask: Option<Tensor<T>>) {
        self.fixed_mask = mask;
    }

    /// Pins the last training mask, so the following forwards repeat it (for gradient checks).
    /// Returns whether there was a mask to pin.
    pub fn fix_last_mask(&mut self) -> bool {
        self.fixed_mask = self.last_mask.clone();
        self.fixed_mask.is_some()
    }

    /// The 0/1 keep-mask of the last training forward, if any.
    pub fn last_mask(&self) -> Option<&Tensor<T>> {
        self.last_mask.as_ref()
    }

    fn draw_mask(&mut self, x: &Tensor<T>) {
        if let Some(mask) = &self.fixed_mask {
            if mask.shape() != x.shape() {
                input_shape_mismatch("Dropout (fixed mask)", mask.shape(), x.shape());
            }
            self.last_mask = Some(mask.clone());
            return;
        }
        let p = T::lit(self.ratio);
        let mut mask = self.last_mask.take().unwrap_or_else(|| Tensor::zeros([0]));
        mask.recycle(x.dims(), T::zero());
        mask.fill_uniform(T::zero(), T::one(), &mut self.rng);
        mask.map_inplace(|v| if v > p { T::one() } else { T::zero() });
        self.last_mask = Some(mask);
    }
}

impl<T: Float> Layer<T> for Dropout<T> {
    fn describe(&self) -> String {
        let kind = match self.kind {
            DropoutKind::Course => "course",
            DropoutKind::Inverted => "inverted",
        };
        format!("Dropout({}, {kind})", self.ratio)
    }

    /// # Panics
    /// If a fixed mask is set and its shape differs from the input's.
    #[track_caller]
    fn forward(&mut self, x: &Tensor<T>, mode: Mode) -> Tensor<T> {
        let keep = T::one() - T::lit(self.ratio);
        self.cache = None;
        match mode {
            Mode::Train => {
                self.draw_mask(x);
                let mask = self.last_mask.as_ref().expect("just drawn");
                let factor = match self.kind {
                    DropoutKind::Course => {
                        self.cache = Some(Factor::Mask);
                        mask
                    }
                    DropoutKind::Inverted => {
                        let inv_keep = T::one() / keep;
                        mask.map_into(&mut self.scaled_mask, |v| v * inv_keep);
                        self.cache = Some(Factor::ScaledMask);
                        &self.scaled_mask
                    }
                };
                x.zip_map_into(factor, self.out.next_tensor(), "Dropout", |a, m| a * m);
                self.out.share()
            }
            Mode::Eval => {
                let scale = match self.kind {
                    DropoutKind::Course => keep,
                    DropoutKind::Inverted => T::one(),
                };
                self.cache = Some(Factor::Scale(scale, x.dims()));
                if scale == T::one() {
                    x.clone()
                } else {
                    x.map_into(self.out.next_tensor(), |v| v * scale);
                    self.out.share()
                }
            }
        }
    }

    #[track_caller]
    fn backward(&mut self, dout: &Tensor<T>) -> Tensor<T> {
        let factor = match &self.cache {
            None => backward_before_forward("Dropout"),
            Some(Factor::Mask) => self.last_mask.as_ref().expect("kept with the cache"),
            Some(Factor::ScaledMask) => &self.scaled_mask,
            Some(Factor::Scale(s, shape)) => {
                check_dout("Dropout", shape, dout);
                let s = *s;
                dout.map_into(self.dx.next_tensor(), |d| d * s);
                return self.dx.share();
            }
        };
        check_dout("Dropout", factor.shape(), dout);
        dout.zip_map_into(factor, self.dx.next_tensor(), "Dropout", |d, m| d * m);
        self.dx.share()
    }
}

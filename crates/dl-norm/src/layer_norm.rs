//! Layer normalization: statistics per sample, never across the batch.

use dl_layers::{Layer, Mode, ParamMut};
use dl_tensor::{Float, Tensor};

use crate::core::{Layout, NormCore, batch_moments, input_mismatch};

/// Which axes a [`LayerNorm`] normalizes over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum LayerNormAxes {
    /// Over the channel axis at each position: for `(N, C, H, W)` one mean and variance per
    /// `(n, h, w)` over `C`; for `(N, D)` per sample over `D`. This is Keras's
    /// `LayerNormalization()` with its default `axis=-1` on channels-last data. γ and β are `(C)`.
    Channels,
    /// Over all non-batch axes, `C·H·W` per sample (the textbook form, which the notes' text
    /// describes). γ and β are `(C·H·W)`, one entry per normalized element (flattened C, H, W
    /// order).
    AllAxes,
}

/// Layer normalization: `y = γ·(x − μ)/√(σ² + ε) + β`, with μ and the biased σ² taken over the
/// axes of [`LayerNormAxes`] within each sample. Train and eval modes compute the same thing.
///
/// # Shapes
/// - input `(N, D)` or `(N, C, H, W)` (any rank ≥ 2, axis 1 the channel axis); output the same.
/// - [`LayerNormAxes::Channels`]: γ, β are `(C)` (`(D)` for 2-D input).
/// - [`LayerNormAxes::AllAxes`]: γ, β are `(F)` with `F = C·H·W` (`D` for 2-D input).
///
/// Parameters: `"gamma"` (`ParamKind::Scale`, init 1), `"beta"` (`ParamKind::Shift`, init 0).
/// ε defaults to Keras's 1e-3.
///
/// # Example
/// ```
/// use dl_layers::{Layer, Mode};
/// use dl_norm::LayerNorm;
/// use dl_tensor::Tensor;
/// // Two channels at each of two pixels: pixel 0 holds (1, 3), pixel 1 holds (5, 9).
/// let x = Tensor::from_vec(vec![1.0f64, 5.0, 3.0, 9.0], [1, 2, 1, 2]);
/// let y = LayerNorm::channels(2).with_eps(0.0).forward(&x, Mode::Eval);
/// // Normalized per pixel over the channels: channel 0 is below the mean at both pixels.
/// assert_eq!(y.to_vec(), vec![-1.0, -1.0, 1.0, 1.0]);
/// ```
pub struct LayerNorm<T> {
    axes: LayerNormAxes,
    features: usize,
    core: NormCore<T>,
}

impl<T: Float> LayerNorm<T> {
    /// Normalization over `axes`, with γ and β of `features` entries (`C` for
    /// [`LayerNormAxes::Channels`], `C·H·W` for [`LayerNormAxes::AllAxes`]); ε 1e-3.
    pub fn new(axes: LayerNormAxes, features: usize) -> Self {
        LayerNorm {
            axes,
            features,
            core: NormCore::new(&[features], 1e-3),
        }
    }

    /// Keras's form: over the `channels` at each position.
    pub fn channels(channels: usize) -> Self {
        Self::new(LayerNormAxes::Channels, channels)
    }

    /// The textbook form: over all `features = C·H·W` non-batch elements of each sample.
    pub fn all_axes(features: usize) -> Self {
        Self::new(LayerNormAxes::AllAxes, features)
    }

    /// Sets ε.
    pub fn with_eps(mut self, eps: f64) -> Self {
        self.core.eps = eps;
        self
    }

    /// The normalized axes.
    pub fn axes(&self) -> LayerNormAxes {
        self.axes
    }

    /// ε.
    pub fn eps(&self) -> f64 {
        self.core.eps
    }

    /// γ.
    pub fn gamma(&self) -> &Tensor<T> {
        &self.core.gamma
    }

    /// β.
    pub fn beta(&self) -> &Tensor<T> {
        &self.core.beta
    }

    #[track_caller]
    fn layout(&self, dims: &[usize]) -> Layout {
        if dims.len() < 2 {
            input_mismatch(&self.describe(), "(N, D) or (N, C, H, W)", dims);
        }
        let [n, c, rest] = Layout::nc_rest(dims);
        let f = self.features;
        match self.axes {
            LayerNormAxes::Channels if c == f => Layout {
                dims: [n, c, rest],
                reduce: [false, true, false],
                param: [false, true, false],
            },
            LayerNormAxes::AllAxes if c * rest == f => Layout {
                dims: [n, c, rest],
                reduce: [false, true, true],
                param: [false, true, true],
            },
            LayerNormAxes::Channels => {
                input_mismatch(&self.describe(), &format!("(N, {f}, …)"), dims)
            }
            LayerNormAxes::AllAxes => input_mismatch(
                &self.describe(),
                &format!("(N, …) with {f} features per sample"),
                dims,
            ),
        }
    }
}

impl<T: Float> Layer<T> for LayerNorm<T> {
    fn describe(&self) -> String {
        let axes = match self.axes {
            LayerNormAxes::Channels => "channels",
            LayerNormAxes::AllAxes => "all axes",
        };
        format!("LayerNorm({}, {axes})", self.features)
    }

    /// # Panics
    /// If the input's rank is below 2 or its sizes do not give `features` normalized entries.
    #[track_caller]
    fn forward(&mut self, x: &Tensor<T>, _mode: Mode) -> Tensor<T> {
        let layout = self.layout(x.shape());
        let x = x.to_contiguous();
        batch_moments(x.as_slice(), &layout, &mut self.core.moments);
        self.core.forward(&x, layout, false)
    }

    #[track_caller]
    fn backward(&mut self, dout: &Tensor<T>) -> Tensor<T> {
        self.core.backward("LayerNorm", dout)
    }

    fn visit_params(&mut self, f: &mut dyn FnMut(ParamMut<'_, T>)) {
        self.core.visit_params(f);
    }
}

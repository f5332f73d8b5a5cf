//! Instance normalization: statistics per sample and channel.

use dl_layers::{Layer, Mode, ParamMut};
use dl_tensor::{Float, Tensor};

use crate::core::{Layout, NormCore, batch_moments, input_mismatch};

/// Instance normalization: each channel of each sample is normalized over its `H·W` positions,
/// `y = γ_c·(x − μ_nc)/√(σ²_nc + ε) + β_c`, with the biased variance. Train and eval modes
/// compute the same thing.
///
/// # Shapes
/// - input `(N, C, H, W)` (any rank ≥ 3: axis 1 is the channel axis, the rest are spatial);
///   output the same.
/// - γ, β: `(C)`.
///
/// Parameters: `"gamma"` (`ParamKind::Scale`, init 1), `"beta"` (`ParamKind::Shift`, init 0).
/// ε defaults to 1e-3 (as Keras add-ons' `InstanceNormalization`).
///
/// # Example
/// ```
/// use dl_layers::{Layer, Mode};
/// use dl_norm::InstanceNorm;
/// use dl_tensor::Tensor;
/// let x = Tensor::from_vec(vec![1.0f64, 3.0, 10.0, 30.0], [1, 2, 1, 2]);
/// let y = InstanceNorm::new(2).with_eps(0.0).forward(&x, Mode::Train);
/// assert_eq!(y.to_vec(), vec![-1.0, 1.0, -1.0, 1.0]);
/// ```
pub struct InstanceNorm<T> {
    channels: usize,
    core: NormCore<T>,
}

impl<T: Float> InstanceNorm<T> {
    /// Instance normalization of `channels` channels, ε 1e-3, γ = 1, β = 0.
    pub fn new(channels: usize) -> Self {
        InstanceNorm {
            channels,
            core: NormCore::new(&[channels], 1e-3),
        }
    }

    /// Sets ε.
    pub fn with_eps(mut self, eps: f64) -> Self {
        self.core.eps = eps;
        self
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
}

impl<T: Float> Layer<T> for InstanceNorm<T> {
    fn describe(&self) -> String {
        format!("InstanceNorm({})", self.channels)
    }

    /// # Panics
    /// If the input's rank is below 3 or its channel count differs from the layer's.
    #[track_caller]
    fn forward(&mut self, x: &Tensor<T>, _mode: Mode) -> Tensor<T> {
        let dims = x.shape();
        if dims.len() < 3 || dims[1] != self.channels {
            let expected = format!("(N, {}, H, W)", self.channels);
            input_mismatch(&self.describe(), &expected, dims);
        }
        let layout = Layout {
            dims: Layout::nc_rest(dims),
            reduce: [false, false, true],
            param: [false, true, false],
        };
        let x = x.to_contiguous();
        batch_moments(x.as_slice(), &layout, &mut self.core.moments);
        self.core.forward(&x, layout, false)
    }

    #[track_caller]
    fn backward(&mut self, dout: &Tensor<T>) -> Tensor<T> {
        self.core.backward("InstanceNorm", dout)
    }

    fn visit_params(&mut self, f: &mut dyn FnMut(ParamMut<'_, T>)) {
        self.core.visit_params(f);
    }
}

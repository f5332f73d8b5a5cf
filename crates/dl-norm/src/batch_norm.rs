//! Batch normalization with running statistics for inference.

use dl_layers::{BufferMut, Layer, Mode, ParamMut};
use dl_tensor::{Float, Tensor};

use crate::core::{Layout, NormCore, batch_moments, buffer, input_mismatch};

/// Which elements of an input share one mean and variance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum BatchStats {
    /// One statistic per feature: the input is flattened to `(N, C·H·W)` and each column is
    /// normalized over the batch (the course's `BatchNormalization`). γ, β and the running
    /// statistics have `C·H·W` entries.
    PerFeature,
    /// One statistic per channel, over `N·H·W` (Keras, PyTorch's `BatchNorm2d`). γ, β and the
    /// running statistics have `C` entries.
    PerChannel,
}

/// The settings of a [`BatchNorm`]; build with [`BatchNormConfig::build`].
///
/// ```
/// use dl_norm::{BatchNorm, BatchNormConfig, BatchStats};
/// let bn: BatchNorm<f32> = BatchNormConfig::keras(32).momentum(0.9).build();
/// assert_eq!(bn.config().stats, BatchStats::PerChannel);
/// assert_eq!(bn.running_var().to_vec(), vec![1.0; 32]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BatchNormConfig {
    /// Entries of γ, β and the running statistics: `C·H·W` (or `D`) per feature, `C` per channel.
    pub features: usize,
    /// Per feature or per channel.
    pub stats: BatchStats,
    /// `running = momentum·running + (1 − momentum)·batch`.
    pub momentum: f64,
    /// Added to the variance before the square root.
    pub eps: f64,
    /// The running mean's initial value.
    pub initial_running_mean: f64,
    /// The running variance's initial value.
    pub initial_running_var: f64,
}

impl BatchNormConfig {
    /// The course's settings: per feature, momentum 0.9, ε 1e-6 (written `10e-7` in the notes),
    /// running mean and variance starting at 0.
    pub fn course(features: usize) -> Self {
        BatchNormConfig {
            features,
            stats: BatchStats::PerFeature,
            momentum: 0.9,
            eps: 1e-6,
            initial_running_mean: 0.0,
            initial_running_var: 0.0,
        }
    }

    /// Keras's `BatchNormalization` defaults: per channel, momentum 0.99, ε 1e-3, running mean
    /// starting at 0 and running variance at 1.
    pub fn keras(channels: usize) -> Self {
        BatchNormConfig {
            features: channels,
            stats: BatchStats::PerChannel,
            momentum: 0.99,
            eps: 1e-3,
            initial_running_mean: 0.0,
            initial_running_var: 1.0,
        }
    }

    /// Sets the statistics grouping (`features` must match it).
    pub fn stats(mut self, stats: BatchStats) -> Self {
        self.stats = stats;
        self
    }

    /// Sets the momentum of the running statistics.
    pub fn momentum(mut self, momentum: f64) -> Self {
        self.momentum = momentum;
        self
    }

    /// Sets ε.
    pub fn eps(mut self, eps: f64) -> Self {
        self.eps = eps;
        self
    }

    /// Sets the initial running mean and variance.
    pub fn initial_running(mut self, mean: f64, var: f64) -> Self {
        self.initial_running_mean = mean;
        self.initial_running_var = var;
        self
    }

    /// A layer with these settings, γ = 1 and β = 0.
    pub fn build<T: Float>(self) -> BatchNorm<T> {
        BatchNorm::new(self)
    }
}

/// Batch normalization: `y = γ·(x − μ)/√(σ² + ε) + β`.
///
/// In [`Mode::Train`] μ and σ² are the batch's mean and **biased** variance (divided by the
/// number of elements, as NumPy's `np.var` in the course), and they update the running
/// statistics: `running = momentum·running + (1 − momentum)·batch`, the running variance also
/// taking the biased batch variance. In [`Mode::Eval`] the running statistics are used instead,
/// and backward treats them as constants.
///
/// # Shapes
/// - input `(N, D)` or `(N, C, H, W)` (any rank ≥ 2: axis 1 is the channel axis);
///   output the same shape.
/// - [`BatchStats::PerFeature`]: γ, β, `running_mean`, `running_var` are `(F)` with `F` the
///   product of all non-batch axes (`D` or `C·H·W`).
/// - [`BatchStats::PerChannel`]: they are `(C)` (`D` for a 2-D input).
///
/// Parameters: `"gamma"` (`ParamKind::Scale`, init 1), `"beta"` (`ParamKind::Shift`, init 0).
/// Buffers: `"running_mean"`, `"running_var"`.
///
/// # Example
/// ```
/// use dl_layers::{Layer, Mode};
/// use dl_norm::BatchNorm;
/// use dl_tensor::Tensor;
/// let mut bn = BatchNorm::<f64>::course(2);
/// let x = Tensor::from_vec(vec![1.0, 10.0, 3.0, 30.0], [2, 2]);
/// let y = bn.forward(&x, Mode::Train);
/// // Each column has mean 0 and (biased) variance 1 after normalization (up to ε).
/// assert!((y.at(&[0, 0]) + 1.0).abs() < 1e-5 && (y.at(&[1, 1]) - 1.0).abs() < 1e-5);
/// // Running mean: 0.9·0 + 0.1·batch mean.
/// let rm = bn.running_mean();
/// assert!((rm.at(&[0]) - 0.2).abs() < 1e-12 && (rm.at(&[1]) - 2.0).abs() < 1e-12);
/// ```
pub struct BatchNorm<T> {
    config: BatchNormConfig,
    core: NormCore<T>,
    running_mean: Tensor<T>,
    running_var: Tensor<T>,
}

impl<T: Float> BatchNorm<T> {
    /// A layer with the given settings, γ = 1 and β = 0.
    pub fn new(config: BatchNormConfig) -> Self {
        let f = [config.features];
        BatchNorm {
            core: NormCore::new(&f, config.eps),
            running_mean: Tensor::full(f, T::lit(config.initial_running_mean)),
            running_var: Tensor::full(f, T::lit(config.initial_running_var)),
            config,
        }
    }

    /// The course's BatchNorm over `features` (see [`BatchNormConfig::course`]).
    pub fn course(features: usize) -> Self {
        Self::new(BatchNormConfig::course(features))
    }

    /// Keras's BatchNorm over `channels` (see [`BatchNormConfig::keras`]).
    pub fn keras(channels: usize) -> Self {
        Self::new(BatchNormConfig::keras(channels))
    }

    /// The settings.
    pub fn config(&self) -> &BatchNormConfig {
        &self.config
    }

    /// γ.
    pub fn gamma(&self) -> &Tensor<T> {
        &self.core.gamma
    }

    /// β.
    pub fn beta(&self) -> &Tensor<T> {
        &self.core.beta
    }

    /// The running mean used in [`Mode::Eval`].
    pub fn running_mean(&self) -> &Tensor<T> {
        &self.running_mean
    }

    /// The running (biased) variance used in [`Mode::Eval`].
    pub fn running_var(&self) -> &Tensor<T> {
        &self.running_var
    }

    #[track_caller]
    fn layout(&self, dims: &[usize]) -> Layout {
        let f = self.config.features;
        if dims.len() < 2 {
            input_mismatch(&self.describe(), "(N, D) or (N, C, H, W)", dims);
        }
        let [n, c, rest] = Layout::nc_rest(dims);
        let (layout_dims, ok) = match self.config.stats {
            BatchStats::PerFeature => ([n, c * rest, 1], c * rest == f),
            BatchStats::PerChannel => ([n, c, rest], c == f),
        };
        if !ok {
            let expected = match self.config.stats {
                BatchStats::PerFeature => format!("(N, …) with {f} features per sample"),
                BatchStats::PerChannel => format!("(N, {f}, …)"),
            };
            input_mismatch(&self.describe(), &expected, dims);
        }
        Layout {
            dims: layout_dims,
            reduce: [true, false, true],
            param: [false, true, false],
        }
    }
}

/// `running ← m·running + (1 − m)·batch`.
fn update_running<T: Float>(running: &mut Tensor<T>, batch: &[f64], momentum: f64) {
    for (r, &b) in running.as_mut_slice().iter_mut().zip(batch) {
        *r = T::lit(momentum * r.as_f64() + (1.0 - momentum) * b);
    }
}

impl<T: Float> Layer<T> for BatchNorm<T> {
    fn describe(&self) -> String {
        let stats = match self.config.stats {
            BatchStats::PerFeature => "per feature",
            BatchStats::PerChannel => "per channel",
        };
        format!("BatchNorm({}, {stats})", self.config.features)
    }

    /// # Panics
    /// If the input's rank is below 2 or its feature/channel count differs from the config's.
    #[track_caller]
    fn forward(&mut self, x: &Tensor<T>, mode: Mode) -> Tensor<T> {
        let layout = self.layout(x.shape());
        match mode {
            Mode::Train => {
                let x = x.to_contiguous();
                let moments = &mut self.core.moments;
                batch_moments(x.as_slice(), &layout, moments);
                update_running(&mut self.running_mean, &moments.mean, self.config.momentum);
                update_running(&mut self.running_var, &moments.var, self.config.momentum);
                self.core.forward(&x, layout, false)
            }
            Mode::Eval => {
                self.core
                    .moments
                    .set_to(&self.running_mean, &self.running_var);
                self.core.forward(x, layout, true)
            }
        }
    }

    #[track_caller]
    fn backward(&mut self, dout: &Tensor<T>) -> Tensor<T> {
        self.core.backward("BatchNorm", dout)
    }

    fn visit_params(&mut self, f: &mut dyn FnMut(ParamMut<'_, T>)) {
        self.core.visit_params(f);
    }

    fn visit_buffers(&mut self, f: &mut dyn FnMut(BufferMut<'_, T>)) {
        f(buffer("running_mean", &mut self.running_mean));
        f(buffer("running_var", &mut self.running_var));
    }
}

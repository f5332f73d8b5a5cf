//! The kernel shared by every normalization: statistics over some axes of a 3-axis view of the
//! input, `y = γ·x̂ + β` with γ and β indexed by other axes, and the matching backward pass.
//!
//! Every layer of this crate views its contiguous input as `(outer, mid, inner)` and says which
//! of the three axes the statistics reduce and which index γ and β:
//!
//! | layer | view | reduced | γ, β indexed by |
//! |---|---|---|---|
//! | BatchNorm, per feature | `(N, C·H·W, 1)` | outer, inner | mid |
//! | BatchNorm, per channel | `(N, C, H·W)` | outer, inner | mid |
//! | LayerNorm, channels | `(N, C, H·W)` | mid | mid |
//! | LayerNorm, all axes | `(N, C, H·W)` | mid, inner | mid, inner |
//! | InstanceNorm | `(N, C, H·W)` | inner | mid |

use dl_layers::{
    BufferMut, OutputBuffer, ParamKind, ParamMut, backward_before_forward, dout_shape_mismatch,
};
use dl_tensor::{Float, Shape, Tensor};

/// A 3-axis view of a contiguous input and the roles of its axes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Layout {
    /// `(outer, mid, inner)`.
    pub dims: [usize; 3],
    /// Axes the statistics reduce over.
    pub reduce: [bool; 3],
    /// Axes that index γ and β.
    pub param: [bool; 3],
}

impl Layout {
    /// The view `(N, C, rest)` of an input of rank ≥ 2: `C` is axis 1, `rest` the product of the
    /// axes after it (1 for a 2-D input).
    pub fn nc_rest(dims: &[usize]) -> [usize; 3] {
        let rest = dims[2..].iter().product();
        [dims[0], dims[1], rest]
    }

    /// Mixed-radix strides over the axes where `mask` is true (zero elsewhere).
    fn strides(&self, mask: [bool; 3]) -> [usize; 3] {
        let mut strides = [0; 3];
        let mut s = 1;
        for axis in (0..3).rev() {
            if mask[axis] {
                strides[axis] = s;
                s *= self.dims[axis];
            }
        }
        strides
    }

    fn count(&self, mask: [bool; 3]) -> usize {
        (0..3).filter(|&a| mask[a]).map(|a| self.dims[a]).product()
    }

    /// The number of statistic groups (product of the kept axes).
    pub fn groups(&self) -> usize {
        self.count(self.reduce.map(|r| !r))
    }

    /// The number of elements in each group (product of the reduced axes).
    pub fn group_size(&self) -> usize {
        self.count(self.reduce)
    }

    /// The number of entries of γ and β.
    pub fn params(&self) -> usize {
        self.count(self.param)
    }

    /// Calls `f(i, group, param)` for every element `i` in row-major order.
    #[inline]
    fn for_each(&self, mut f: impl FnMut(usize, usize, usize)) {
        let gs = self.strides(self.reduce.map(|r| !r));
        let ps = self.strides(self.param);
        let [d0, d1, d2] = self.dims;
        let mut i = 0;
        for a in 0..d0 {
            for b in 0..d1 {
                let (g, p) = (a * gs[0] + b * gs[1], a * ps[0] + b * ps[1]);
                for c in 0..d2 {
                    f(i, g + c * gs[2], p + c * ps[2]);
                    i += 1;
                }
            }
        }
    }
}

/// Per-group means and biased variances, in `f64`.
#[derive(Default)]
pub(crate) struct Moments {
    pub mean: Vec<f64>,
    pub var: Vec<f64>,
}

impl Moments {
    /// The statistics `mean` and `var` (running statistics), as they are.
    pub fn set_to<T: Float>(&mut self, mean: &Tensor<T>, var: &Tensor<T>) {
        fill_f64(&mut self.mean, mean);
        fill_f64(&mut self.var, var);
    }
}

fn fill_f64<T: Float>(dst: &mut Vec<f64>, src: &Tensor<T>) {
    let src = src.to_contiguous();
    dst.clear();
    dst.extend(src.as_slice().iter().map(|v| v.as_f64()));
}

/// Per-group mean and biased variance (divided by the group size) of `x` into `moments`,
/// accumulated in `f64` with two passes.
pub(crate) fn batch_moments<T: Float>(x: &[T], layout: &Layout, moments: &mut Moments) {
    let groups = layout.groups();
    let m = layout.group_size() as f64;
    let Moments { mean, var } = moments;
    zeroed(mean, groups);
    layout.for_each(|i, g, _| mean[g] += x[i].as_f64());
    mean.iter_mut().for_each(|s| *s /= m);
    zeroed(var, groups);
    layout.for_each(|i, g, _| {
        let d = x[i].as_f64() - mean[g];
        var[g] += d * d;
    });
    var.iter_mut().for_each(|s| *s /= m);
}

/// Makes `v` hold `len` zeros, reusing its capacity.
fn zeroed<V: Copy + Default>(v: &mut Vec<V>, len: usize) {
    v.clear();
    v.resize(len, V::default());
}

/// What backward needs from the last forward pass, besides [`NormCore`]'s kept vectors.
#[derive(Clone, Copy)]
struct Cache {
    layout: Layout,
    shape: Shape,
    /// Whether the statistics were constants (running statistics in eval mode).
    fixed_stats: bool,
}

/// Backward's sums per parameter entry and per group, in `f64`.
#[derive(Default)]
struct Sums {
    dgamma: Vec<f64>,
    dbeta: Vec<f64>,
    dxhat: Vec<f64>,
    dxhat_xhat: Vec<f64>,
}

/// γ, β, their gradients, the statistics, and the forward cache and outputs: the state every
/// normalization layer shares. Every vector is kept and overwritten from step to step, and the
/// output and input gradient go into [`OutputBuffer`]s, so a warm step allocates nothing.
pub(crate) struct NormCore<T> {
    pub gamma: Tensor<T>,
    pub beta: Tensor<T>,
    dgamma: Tensor<T>,
    dbeta: Tensor<T>,
    pub eps: f64,
    /// The statistics the next forward pass normalizes with.
    pub moments: Moments,
    cache: Option<Cache>,
    /// `x̂` of the last forward pass.
    xhat: Vec<T>,
    /// `1/√(σ² + ε)` per group, of the last forward pass.
    inv_std: Vec<T>,
    /// Per group: μ in forward; `mean(dx̂)` in backward.
    per_group: Vec<T>,
    /// Per group: `mean(dx̂·x̂)` in backward.
    per_group_2: Vec<T>,
    sums: Sums,
    out: OutputBuffer<T>,
    dx: OutputBuffer<T>,
}

impl<T: Float> NormCore<T> {
    /// γ = 1 and β = 0 of shape `param_shape`.
    pub fn new(param_shape: &[usize], eps: f64) -> Self {
        NormCore {
            gamma: Tensor::ones(param_shape),
            beta: Tensor::zeros(param_shape),
            dgamma: Tensor::zeros(param_shape),
            dbeta: Tensor::zeros(param_shape),
            eps,
            moments: Moments::default(),
            cache: None,
            xhat: Vec::new(),
            inv_std: Vec::new(),
            per_group: Vec::new(),
            per_group_2: Vec::new(),
            sums: Sums::default(),
            out: OutputBuffer::new(),
            dx: OutputBuffer::new(),
        }
    }

    /// Normalizes `x` with [`NormCore::moments`] (per-group mean and biased variance), then
    /// scales and shifts. `fixed_stats` says whether backward should treat them as constants.
    pub fn forward(&mut self, x: &Tensor<T>, layout: Layout, fixed_stats: bool) -> Tensor<T> {
        debug_assert_eq!(layout.params(), self.gamma.len());
        let x = x.to_contiguous();
        let xs = x.as_slice();
        let eps = self.eps;
        self.inv_std.clear();
        self.inv_std.extend(
            self.moments
                .var
                .iter()
                .map(|&v| T::lit(1.0 / (v + eps).sqrt())),
        );
        self.per_group.clear();
        self.per_group
            .extend(self.moments.mean.iter().map(|&m| T::lit(m)));
        let (gamma, beta) = (self.gamma.to_contiguous(), self.beta.to_contiguous());
        let (gs, bs) = (gamma.as_slice(), beta.as_slice());
        let (mean, inv_std) = (&self.per_group, &self.inv_std);
        zeroed(&mut self.xhat, xs.len());
        let (xhat, y) = (&mut self.xhat, self.out.write(x.dims()));
        layout.for_each(|i, g, p| {
            let h = (xs[i] - mean[g]) * inv_std[g];
            xhat[i] = h;
            y[i] = gs[p] * h + bs[p];
        });
        self.cache = Some(Cache {
            layout,
            shape: x.dims(),
            fixed_stats,
        });
        self.out.share()
    }

    /// Fills ∂γ and ∂β and returns ∂x for the last forward pass.
    ///
    /// # Panics
    /// If no forward pass ran, or `dout` has another shape than the last output.
    #[track_caller]
    pub fn backward(&mut self, layer: &'static str, dout: &Tensor<T>) -> Tensor<T> {
        let Some(cache) = self.cache else {
            backward_before_forward(layer)
        };
        if dout.shape() != &*cache.shape {
            dout_shape_mismatch(layer, &cache.shape, dout.shape());
        }
        let dout = dout.to_contiguous();
        let dy = dout.as_slice();
        let layout = cache.layout;
        let gamma = self.gamma.to_contiguous();
        let gs = gamma.as_slice();
        let (xhat, inv_std) = (&self.xhat, &self.inv_std);

        let Sums {
            dgamma,
            dbeta,
            dxhat: sum_dxhat,
            dxhat_xhat: sum_dxhat_xhat,
        } = &mut self.sums;
        zeroed(dgamma, layout.params());
        zeroed(dbeta, layout.params());
        zeroed(sum_dxhat, layout.groups());
        zeroed(sum_dxhat_xhat, layout.groups());
        layout.for_each(|i, g, p| {
            let (d, h) = (dy[i].as_f64(), xhat[i].as_f64());
            dbeta[p] += d;
            dgamma[p] += d * h;
            let dh = d * gs[p].as_f64();
            sum_dxhat[g] += dh;
            sum_dxhat_xhat[g] += dh * h;
        });
        write_lit(&mut self.dgamma, self.gamma.dims(), dgamma);
        write_lit(&mut self.dbeta, self.beta.dims(), dbeta);

        let dx = self.dx.write(cache.shape);
        if cache.fixed_stats {
            layout.for_each(|i, g, p| dx[i] = dy[i] * gs[p] * inv_std[g]);
        } else {
            // dx = (1/σ)·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)) over each group.
            let m = layout.group_size() as f64;
            let (mean_dh, mean_dhh) = (&mut self.per_group, &mut self.per_group_2);
            mean_dh.clear();
            mean_dh.extend(sum_dxhat.iter().map(|&s| T::lit(s / m)));
            mean_dhh.clear();
            mean_dhh.extend(sum_dxhat_xhat.iter().map(|&s| T::lit(s / m)));
            layout.for_each(|i, g, p| {
                let dh = dy[i] * gs[p];
                dx[i] = inv_std[g] * (dh - mean_dh[g] - xhat[i] * mean_dhh[g]);
            });
        }
        self.dx.share()
    }

    /// Visits γ (`"gamma"`, [`ParamKind::Scale`]) then β (`"beta"`, [`ParamKind::Shift`]).
    pub fn visit_params(&mut self, f: &mut dyn FnMut(ParamMut<'_, T>)) {
        f(ParamMut {
            layer: "",
            name: "gamma",
            kind: ParamKind::Scale,
            value: &mut self.gamma,
            grad: &mut self.dgamma,
        });
        f(ParamMut {
            layer: "",
            name: "beta",
            kind: ParamKind::Shift,
            value: &mut self.beta,
            grad: &mut self.dbeta,
        });
    }
}

/// Overwrites `dst` with `values` as `T`, in `shape`.
fn write_lit<T: Float>(dst: &mut Tensor<T>, shape: Shape, values: &[f64]) {
    for (d, &v) in dst.recycle(shape, T::zero()).iter_mut().zip(values) {
        *d = T::lit(v);
    }
}

/// Visits one buffer of a lone layer.
pub(crate) fn buffer<'a, T>(name: &'static str, value: &'a mut Tensor<T>) -> BufferMut<'a, T> {
    BufferMut {
        layer: "",
        name,
        value,
    }
}

/// Panics because an input does not have the rank or feature count a layer was built for.
#[cold]
#[track_caller]
pub(crate) fn input_mismatch(layer: &str, expected: &str, got: &[usize]) -> ! {
    panic!("{layer}: expected input of shape {expected}, got {got:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_groups_and_params() {
        let bn = Layout {
            dims: [4, 3, 5],
            reduce: [true, false, true],
            param: [false, true, false],
        };
        assert_eq!((bn.groups(), bn.group_size(), bn.params()), (3, 20, 3));
        let ln_all = Layout {
            dims: [4, 3, 5],
            reduce: [false, true, true],
            param: [false, true, true],
        };
        assert_eq!(
            (ln_all.groups(), ln_all.group_size(), ln_all.params()),
            (4, 15, 15)
        );
        let inst = Layout {
            dims: [4, 3, 5],
            reduce: [false, false, true],
            param: [false, true, false],
        };
        let mut seen = Vec::new();
        inst.for_each(|i, g, p| seen.push((i, g, p)));
        // Element (n=1, c=2, s=4) is i = 1·15 + 2·5 + 4 = 29, group n·3 + c = 5, param c = 2.
        assert_eq!(seen[29], (29, 5, 2));
    }

    #[test]
    fn moments_are_biased() {
        let layout = Layout {
            dims: [1, 1, 4],
            reduce: [true, true, true],
            param: [false, false, false],
        };
        let mut moments = Moments::default();
        batch_moments(&[1.0f64, 2.0, 3.0, 6.0], &layout, &mut moments);
        assert_eq!(moments.mean, vec![3.0]);
        // ((−2)² + (−1)² + 0² + 3²) / 4 = 14/4.
        assert_eq!(moments.var, vec![3.5]);
    }
}

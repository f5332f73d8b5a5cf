//! A layer of your own: `Scale`, `y = γ ⊙ x` with a trainable per-feature vector `γ`,
//! implementing [`Layer`], gradient-checked in `f64` with the crate's checker, then used in
//! `f32` between two `Affine` layers.
//!
//! ```text
//! cargo run --release -p dl-layers --example custom_layer
//! ```
//!
//! Prints the relative error of each checked gradient (`x` and `gamma`) and exits with a
//! failure status when the largest exceeds the tolerance.

use std::process::ExitCode;

use dl_layers::gradcheck::check_layer;
use dl_layers::{
    Affine, Float, Init, Layer, Mode, ParamKind, ParamMut, Tensor, backward_before_forward,
    dout_shape_mismatch, rng_from_seed,
};

/// The largest relative error accepted (the crate's own tests use the same).
const TOLERANCE: f64 = 1e-6;

/// `y = γ ⊙ x`: every feature scaled by its own trainable factor.
///
/// # Shapes
/// - `gamma`: `(D)`.
/// - input, output and `dx`: `(N, D)`.
struct Scale<T: Float> {
    gamma: Tensor<T>,
    dgamma: Tensor<T>,
    /// The last input: `∂L/∂γ = Σₙ dout ⊙ x` needs it (a cheap clone: storage is shared).
    x: Option<Tensor<T>>,
}

impl<T: Float> Scale<T> {
    /// A layer over `features` features, starting as the identity (`γ = 1`).
    fn new(features: usize) -> Self {
        Scale {
            gamma: Tensor::ones([features]),
            dgamma: Tensor::zeros([features]),
            x: None,
        }
    }
}

impl<T: Float> Layer<T> for Scale<T> {
    fn describe(&self) -> String {
        format!("Scale({})", self.gamma.len())
    }

    fn forward(&mut self, x: &Tensor<T>, _mode: Mode) -> Tensor<T> {
        self.x = Some(x.clone());
        x.mul(&self.gamma) // γ broadcasts over the rows
    }

    fn backward(&mut self, dout: &Tensor<T>) -> Tensor<T> {
        let Some(x) = &self.x else {
            backward_before_forward(&self.describe())
        };
        if dout.shape() != x.shape() {
            dout_shape_mismatch(&self.describe(), x.shape(), dout.shape());
        }
        self.dgamma = dout.mul(x).sum_axis(0, false);
        dout.mul(&self.gamma)
    }

    fn visit_params(&mut self, f: &mut dyn FnMut(ParamMut<'_, T>)) {
        f(ParamMut {
            layer: "",
            name: "gamma",
            kind: ParamKind::Scale,
            value: &mut self.gamma,
            grad: &mut self.dgamma,
        });
    }
}

fn main() -> ExitCode {
    let mut rng = rng_from_seed(3);

    // The gradient check runs in f64, at a γ away from its initial ones.
    let mut layer = Scale::<f64>::new(5);
    layer.gamma = Tensor::randn([5], 1.0, &mut rng);
    let x = Tensor::<f64>::randn([4, 5], 1.0, &mut rng);
    let report = check_layer(&mut layer, &x, Mode::Train, 11);
    for (name, error) in &report.errors {
        println!("relative error of ∂L/∂{name}: {error:.2e}");
    }
    println!(
        "max relative error: {:.2e} (tolerance {TOLERANCE:e})",
        report.max_error()
    );

    // The same layer type in f32, boxed among the crate's own layers.
    let mut net: Vec<Box<dyn Layer<f32>>> = vec![
        Box::new(Affine::new(5, 8, Init::He, &mut rng)),
        Box::new(Scale::new(8)),
        Box::new(Affine::new(8, 3, Init::Xavier, &mut rng)),
    ];
    let mut h = Tensor::<f32>::randn([4, 5], 1.0, &mut rng);
    for layer in &mut net {
        h = layer.forward(&h, Mode::Train);
    }
    let mut d = Tensor::ones([4, 3]);
    for layer in net.iter_mut().rev() {
        d = layer.backward(&d);
    }
    let names: Vec<String> = net.iter().map(|layer| layer.describe()).collect();
    println!(
        "forward and backward through {}: dx {:?}",
        names.join(" → "),
        d.shape()
    );

    if report.max_error() <= TOLERANCE {
        ExitCode::SUCCESS
    } else {
        eprintln!("gradient check failed: {:?}", report.errors);
        ExitCode::FAILURE
    }
}

//! A project that depends on `dl-layers` alone (its re-exports stand in for `dl-tensor`):
//! Affine → ReLU → Affine with a softmax cross-entropy loss, forward and backward.

use dl_layers::{
    Affine, Init, Labels, Layer, Loss, Mode, Relu, SoftmaxWithLoss, Tensor, rng_from_seed,
};

fn main() {
    let mut rng = rng_from_seed(0);
    let mut net: Vec<Box<dyn Layer<f32>>> = vec![
        Box::new(Affine::new(6, 16, Init::He, &mut rng)),
        Box::new(Relu::new()),
        Box::new(Affine::new(16, 4, Init::Xavier, &mut rng)),
    ];
    let mut loss = SoftmaxWithLoss::new();
    let x = Tensor::<f32>::randn([8, 6], 1.0, &mut rng);
    let labels = [0, 1, 2, 3, 3, 2, 1, 0];

    let mut h = x.clone();
    for layer in &mut net {
        h = layer.forward(&h, Mode::Train);
    }
    let value = loss.forward(&h, Labels::Index(&labels));
    let mut d = loss.backward();
    for layer in net.iter_mut().rev() {
        d = layer.backward(&d);
    }

    let names: Vec<String> = net.iter().map(|layer| layer.describe()).collect();
    println!("{}", names.join(" → "));
    println!(
        "loss {value:.4} (ln 4 = {:.4} for a uniform guess)",
        4f32.ln()
    );
    println!("∂L/∂x {:?}", d.shape());
    for (position, layer) in net.iter_mut().enumerate() {
        layer.visit_params(&mut |p| {
            let norm = p.grad.mul(p.grad).sum_all().sqrt();
            println!(
                "layer {position} ∂L/∂{} {:?}, norm {norm:.4}",
                p.name,
                p.grad.shape()
            );
        });
    }
}

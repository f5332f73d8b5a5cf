//! `Sequential` folds a ReLU into the layer before it (`Layer::forward_relu`): the loss and
//! every gradient must hold the bits of running each layer's own forward and backward.

use dl_layers::{Labels, Loss, Mode, SoftmaxWithLoss};
use dl_models::Sequential;
use dl_tensor::{Tensor, rng_from_seed};

/// Convolutions and dense layers each followed by a ReLU (fused), a ReLU after a pooling layer
/// (not fused), and a dense layer whose ReLU is the network's last layer.
fn network() -> Sequential<f32> {
    let mut net = Sequential::builder([3, 20, 20])
        .conv(8, 3)
        .pad(1)
        .relu()
        .conv(6, 5)
        .stride(2)
        .relu()
        .max_pool(2)
        .relu()
        .affine(16)
        .relu()
        .affine(10)
        .relu()
        .build::<f32>(11)
        .expect("a valid network");
    // Biases start at zero; give them values of both signs, so that adding them before or
    // after the ReLU differs.
    net.visit_params(&mut |p| {
        if p.name == "b" {
            for (i, v) in p.value.as_mut_slice().iter_mut().enumerate() {
                *v = 0.25 * (i % 5) as f32 - 0.5;
            }
        }
    });
    net
}

/// Every parameter gradient of `net`, in visiting order.
fn grads(net: &mut Sequential<f32>) -> Vec<Vec<f32>> {
    let mut all = Vec::new();
    net.visit_params(&mut |p| all.push(p.grad.to_vec()));
    all
}

#[test]
fn folding_the_relu_in_gives_the_bits_of_the_layers_one_by_one() {
    let x = Tensor::<f32>::randn([4, 3, 20, 20], 1.0, &mut rng_from_seed(3));
    let labels = [1usize, 7, 3, 0];

    let mut fused = network();
    let fused_loss = fused.loss(&x, Labels::Index(&labels), Mode::Train);
    fused.backward();
    let fused_scores = fused.last_scores().expect("scores").to_vec();

    // The same network, run layer by layer with each one's own forward and backward.
    let mut plain = network();
    let mut h = x.clone();
    for (_, layer) in plain.iter_mut() {
        h = layer.forward(&h, Mode::Train);
    }
    let mut loss = SoftmaxWithLoss::new();
    let plain_loss = loss.forward(&h, Labels::Index(&labels));
    let mut d = loss.backward();
    for i in (0..plain.len()).rev() {
        if i == 0 {
            plain.layer_mut(i).backward_params(&d);
        } else {
            d = plain.layer_mut(i).backward(&d);
        }
    }

    assert_eq!(fused_loss.to_bits(), plain_loss.to_bits());
    assert_eq!(fused_scores, h.to_vec());
    let (a, b) = (grads(&mut fused), grads(&mut plain));
    assert_eq!(a.len(), 8, "four layers' W and b");
    for (k, (a, b)) in a.iter().zip(&b).enumerate() {
        let same = a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits());
        assert!(same, "gradient {k} differs");
        assert!(a.iter().any(|&g| g != 0.0), "gradient {k} is all zeros");
    }
}

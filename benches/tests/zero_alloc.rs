//! A steady-state training step allocates nothing: every layer, the loss and the optimizer
//! reuse the buffers of the step before (issue 6; the rule is on `Layer`'s docs, "Reusing
//! output buffers"). Counted with a global allocator, on one thread and on two.
//!
//! Without the test harness (`harness = false`): the counter sees every thread of the process,
//! and on a busy machine the harness's own thread sometimes allocates while a step is counted.

use dl_benches::alloc_count::{Counting, allocations};
use dl_models::{
    Activation, KerasCnnConfig, Labels, Mode, MultiLayerNetConfig, NormKind, OptimizerKind, Preset,
    Sequential, Tensor,
};
use dl_tensor::rng_from_seed;

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Allocations made by the third of three steps of `workload` on `threads` threads.
fn allocations_in_a_warm_step(workload: &str, threads: usize) -> u64 {
    dl_tensor::set_num_threads(threads);
    let mut step = dl_benches::workload(workload)
        .unwrap_or_else(|| panic!("no workload {workload}"))
        .build(7);
    step.run();
    step.run();
    let before = allocations();
    let loss = step.run();
    let made = allocations() - before;
    assert!(loss.is_finite(), "{workload}: loss {loss}");
    made
}

/// Allocations made by the third of three training steps (Adam) of `preset` on a batch of
/// random inputs of `input`, on `threads` threads.
fn allocations_in_a_warm_step_of(preset: &Preset, input: &[usize], threads: usize) -> u64 {
    allocations_in_a_warm_step_of_net(preset.build::<f32>(7), input, threads)
}

/// [`allocations_in_a_warm_step_of`] for a network built by the caller.
fn allocations_in_a_warm_step_of_net(
    mut net: Sequential<f32>,
    input: &[usize],
    threads: usize,
) -> u64 {
    dl_tensor::set_num_threads(threads);
    let preset = net.describe();
    let mut optimizer = OptimizerKind::adam(0.001).build::<f32>();
    let x = Tensor::rand_uniform(input, 0.0, 1.0, &mut rng_from_seed(7));
    let labels: Vec<usize> = (0..input[0]).map(|i| (i * 7 + 3) % 10).collect();
    let mut step = || {
        let loss = net.loss(&x, Labels::Index(&labels), Mode::Train);
        net.backward();
        net.update(optimizer.as_mut());
        loss
    };
    step();
    step();
    let before = allocations();
    let loss = step();
    let made = allocations() - before;
    assert!(loss.is_finite(), "{preset:?}: loss {loss}");
    made
}

/// The networks with normalization layers: the course's MultiLayerNet with BatchNorm (and
/// dropout), and the Keras CNN on 8×8 images with each of its normalizations.
fn networks_with_norms() -> Vec<(Preset, Vec<usize>)> {
    let mut all = vec![(
        Preset::MultiLayerNet(
            MultiLayerNetConfig::new(784, &[100, 100], 10)
                .activation(Activation::Relu)
                .batch_norm(true)
                .dropout(0.15),
        ),
        vec![100, 784],
    )];
    for norm in [
        NormKind::BatchNorm,
        NormKind::LayerNormChannels,
        NormKind::LayerNormAll,
        NormKind::InstanceNorm,
    ] {
        let cnn = KerasCnnConfig {
            in_channels: 1,
            image_size: 8,
            classes: 10,
            activity_penalty: None,
            dropout: Some(0.25),
            norm: Some(norm),
        };
        all.push((Preset::KerasCnn(cnn), vec![16, 1, 8, 8]));
    }
    all
}

/// One test, on the main thread, so no other thread allocates while a step is counted.
fn main() {
    // The counter sees allocations at all, so the check below cannot pass vacuously.
    let before = allocations();
    let v = std::hint::black_box(vec![1u8; 100]);
    assert!(
        allocations() > before,
        "allocating {} bytes was not counted",
        v.len()
    );
    drop(v);

    for workload in ["mlp-sigmoid", "mlp-relu-deep", "deep-conv-net"] {
        for threads in [1, 2] {
            let made = allocations_in_a_warm_step(workload, threads);
            assert_eq!(
                made, 0,
                "{workload} on {threads} threads: {made} allocations"
            );
        }
    }
    for (preset, input) in networks_with_norms() {
        for threads in [1, 2] {
            let made = allocations_in_a_warm_step_of(&preset, &input, threads);
            assert_eq!(
                made, 0,
                "{preset:?} on {threads} threads: {made} allocations"
            );
        }
    }
    // Samples whose column matrix exceeds a block (72×2304 f32): forward's implicit GEMM.
    for threads in [1, 2] {
        let net = Sequential::builder([8, 48, 48])
            .conv(4, 3)
            .pad(1)
            .relu()
            .max_pool(2)
            .affine(10)
            .build::<f32>(7)
            .expect("a valid network");
        let made = allocations_in_a_warm_step_of_net(net, &[3, 8, 48, 48], threads);
        assert_eq!(
            made, 0,
            "conv on 8×48×48 (implicit GEMM) on {threads} threads: {made} allocations"
        );
    }
    // A dense layer at batch 8 too wide for a packed k-slice of its weights to stay in L2:
    // the GEMM cuts each slice into parts whose accumulators it keeps in its B buffer.
    for threads in [1, 2] {
        let net = Sequential::builder([1024])
            .affine(2048)
            .relu()
            .affine(10)
            .build::<f32>(7)
            .expect("a valid network");
        let made = allocations_in_a_warm_step_of_net(net, &[8, 1024], threads);
        assert_eq!(
            made, 0,
            "affine 1024→2048 at batch 8 on {threads} threads: {made} allocations"
        );
    }
    println!("warm training steps allocate nothing: ok");
}

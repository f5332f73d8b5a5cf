//! Criterion benchmarks of the notes' training steps (issue 6's table) and of the convolution
//! and pooling layers at DeepConvNet's shapes. Each is timed on 1 thread and on every core in
//! the same run, so the parallel speed-up is read off one report.
//!
//! `cargo bench -p dl-benches` (all) or `cargo bench -p dl-benches -- mlp` (a subset).

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use dl_benches::{LayerStep, WORKLOADS, thread_counts};
use dl_layers::{Convolution, Init, Pooling};
use dl_tensor::rng_from_seed;

fn training_steps(c: &mut Criterion) {
    let mut group = c.benchmark_group("training_step");
    group.sample_size(10).warm_up_time(Duration::from_secs(1));
    for workload in &WORKLOADS {
        let mut step = workload.build(0);
        for threads in thread_counts() {
            dl_tensor::set_num_threads(threads);
            let id = BenchmarkId::new(workload.name, format!("threads={threads}"));
            group.bench_function(id, |b| b.iter(|| black_box(step.run())));
        }
    }
    group.finish();
}

/// DeepConvNet's convolutions and pooling, batch 100: `(name, layer, input shape)`.
fn deep_conv_net_layers() -> Vec<(&'static str, LayerStep)> {
    let mut rng = rng_from_seed(3);
    let mut conv = |filters, channels, pad| -> Box<dyn dl_layers::Layer<f32>> {
        Box::new(Convolution::new(
            filters,
            channels,
            3,
            3,
            1,
            pad,
            Init::He,
            &mut rng,
        ))
    };
    vec![
        (
            "conv1_1to16_28x28",
            LayerStep::new(conv(16, 1, 1), &[100, 1, 28, 28], 1),
        ),
        (
            "conv2_16to16_28x28",
            LayerStep::new(conv(16, 16, 1), &[100, 16, 28, 28], 2),
        ),
        (
            "conv3_16to32_14x14",
            LayerStep::new(conv(32, 16, 1), &[100, 16, 14, 14], 3),
        ),
        (
            "conv4_32to32_14x14_pad2",
            LayerStep::new(conv(32, 32, 2), &[100, 32, 14, 14], 4),
        ),
        (
            "conv5_32to64_8x8",
            LayerStep::new(conv(64, 32, 1), &[100, 32, 8, 8], 5),
        ),
        (
            "maxpool2x2_16x28x28",
            LayerStep::new(Box::new(Pooling::max(2, 2, 2, 0)), &[100, 16, 28, 28], 6),
        ),
    ]
}

fn layers(c: &mut Criterion) {
    let mut group = c.benchmark_group("layer");
    group.sample_size(20);
    for (name, mut layer) in deep_conv_net_layers() {
        for threads in thread_counts() {
            dl_tensor::set_num_threads(threads);
            let fwd = BenchmarkId::new(format!("{name}/forward"), format!("threads={threads}"));
            group.bench_function(fwd, |b| b.iter(|| black_box(layer.forward())));
            let both = BenchmarkId::new(
                format!("{name}/forward+backward"),
                format!("threads={threads}"),
            );
            group.bench_function(both, |b| b.iter(|| black_box(layer.forward_backward())));
        }
    }
    group.finish();
}

criterion_group!(benches, training_steps, layers);
criterion_main!(benches);

//! The tensor operations a training step of the course's MLP uses most
//! (`cargo bench -p dl-tensor --bench ops`): bias broadcast, activations, the bias gradient's
//! column sum, and products through `Tensor::matmul` with a transposed operand.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use dl_tensor::{Tensor, rng_from_seed};

fn ops(c: &mut Criterion) {
    let mut rng = rng_from_seed(0);
    let x = Tensor::<f32>::randn([100, 784], 1.0, &mut rng);
    let w = Tensor::<f32>::randn([784, 40], 0.01, &mut rng);
    let bias = Tensor::<f32>::randn([40], 0.1, &mut rng);
    let h = x.matmul(&w);
    let wide = Tensor::<f32>::randn([100, 784], 1.0, &mut rng);

    let mut group = c.benchmark_group("ops");
    group.warm_up_time(Duration::from_millis(300));
    group.measurement_time(Duration::from_secs(1));

    group.throughput(Throughput::Elements(h.len() as u64));
    group.bench_function("add_bias_row/100x40", |b| b.iter(|| black_box(&h + &bias)));
    group.throughput(Throughput::Elements(wide.len() as u64));
    group.bench_function("relu_map/100x784", |b| {
        b.iter(|| black_box(wide.map(|v| v.max(0.0))))
    });
    group.bench_function("sigmoid_map/100x784", |b| {
        b.iter(|| black_box(wide.map(|v| 1.0 / (1.0 + (-v).exp()))))
    });
    group.bench_function("relu_backward_zip/100x784", |b| {
        b.iter(|| {
            black_box(wide.zip_map(&x, "relu_backward", |d, v| if v > 0.0 { d } else { 0.0 }))
        })
    });
    group.bench_function("sum_axis0/100x784", |b| {
        b.iter(|| black_box(wide.sum_axis(0, false)))
    });
    group.throughput(Throughput::Elements(h.len() as u64));
    group.bench_function("sum_axis0/100x40", |b| {
        b.iter(|| black_box(h.sum_axis(0, false)))
    });

    // Products, throughput in FLOP.
    group.throughput(Throughput::Elements(2 * 100 * 784 * 40));
    group.bench_function("matmul/x.w/100x784x40", |b| {
        b.iter(|| black_box(x.matmul(&w)))
    });
    group.bench_function("matmul/x.t().dout/784x100x40", |b| {
        b.iter(|| black_box(x.t().matmul(&h)))
    });
    group.bench_function("matmul/dout.w.t()/100x40x784", |b| {
        b.iter(|| black_box(h.matmul(&w.t())))
    });
    group.finish();
}

criterion_group!(benches, ops);
criterion_main!(benches);

//! A project that depends on `dl-models` alone, timing the library as a downstream build
//! compiles it.
//!
//! - `cargo run --release` (no argument): one LeNet-5 training step (loss, backward, Adam
//!   update) on a batch of 64 random 1×32×32 images; the median of 20 steps after 2 warm-up
//!   steps.
//! - `cargo run --release -- gemm`: a 256×256×256 f32 matrix product through
//!   `Tensor::matmul`; the median of 20 products after 2 warm-up products.
//!
//! The committed `Cargo.toml` optimizes dependencies in debug builds; its figures against a
//! plain debug build and release are in BENCHMARKS.md ("A debug build of a downstream crate").

use std::hint::black_box;
use std::time::Instant;

use dl_models::dl_tensor::{Tensor, rng_from_seed};
use dl_models::{Labels, Mode, OptimizerKind, Preset};

const WARM_UP: usize = 2;
const RUNS: usize = 20;

/// The median time of `RUNS` calls of `f` after `WARM_UP` calls, in milliseconds.
fn median_ms(mut f: impl FnMut()) -> f64 {
    for _ in 0..WARM_UP {
        f();
    }
    let mut times: Vec<f64> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    (times[(RUNS - 1) / 2] + times[RUNS / 2]) / 2.0
}

fn main() {
    let mut rng = rng_from_seed(0);
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    if std::env::args().nth(1).as_deref() == Some("gemm") {
        let a = Tensor::<f32>::rand_uniform([256, 256], -1.0, 1.0, &mut rng);
        let b = Tensor::<f32>::rand_uniform([256, 256], -1.0, 1.0, &mut rng);
        let ms = median_ms(|| {
            black_box(black_box(&a).matmul(black_box(&b)));
        });
        println!("{profile}: GEMM 256×256×256 f32: median {ms:.3} ms");
    } else {
        let mut net = Preset::LeNet.build::<f32>(0);
        let mut opt = OptimizerKind::adam(0.001).build::<f32>();
        let x = Tensor::<f32>::rand_uniform([64, 1, 32, 32], 0.0, 1.0, &mut rng);
        let labels: Vec<usize> = (0..64).map(|i| i % 10).collect();
        let ms = median_ms(|| {
            black_box(net.loss(&x, Labels::Index(&labels), Mode::Train));
            net.backward();
            net.update(opt.as_mut());
        });
        println!("{profile}: LeNet training step, batch 64: median {ms:.3} ms");
    }
}

//! A project that depends on `dl-models` alone, timing the library as a downstream build
//! compiles it.
//!
//! - `cargo run --release` (no argument): one LeNet-5 training step (loss, backward, Adam
//!   update) on a batch of 64 random 1×32×32 images; the median of 20 steps after 2 warm-up
//!   steps.
//! - `cargo run --release -- gemm`: a 256×256×256 f32 matrix product through
//!   `Tensor::matmul`; the median of 20 products after 2 warm-up products.
//!
//! The medians on an "AMD EPYC" (2 cores, `lscpu`) on 2026-12-02, best of 6 runs each (other
//! builds ran on the machine at times), and the factor to `--release`:
//!
//! | workload | debug | debug, deps at opt-level 3 | release |
//! |---|---|---|---|
//! | GEMM 256³ | 27.6 ms (169×) | 0.441 ms (2.7×) | 0.163 ms |
//! | LeNet step | 467 ms (133×) | 74.3 ms (21×) | 3.52 ms |
//!
//! The middle column is the committed `Cargo.toml`; the first is the same without its
//! `[profile.dev.package."*"]` table. The override leaves LeNet slow because our generic code
//! (`Sequential<f32>`, `Tensor<f32>` and the layers' methods) is instantiated in this crate,
//! at its own opt-level 0: `[profile.dev] opt-level = 3` as well gave 9.2 ms, and turning off
//! debug assertions and overflow checks too gave release's times (GEMM 0.173 ms, LeNet 4.7 ms,
//! the same run as release's 4.7 ms).

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

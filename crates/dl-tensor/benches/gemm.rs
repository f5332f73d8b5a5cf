//! GEMM throughput (`cargo bench -p dl-tensor --bench gemm`): groups `sgemm_flop` and
//! `dgemm_flop`, one benchmark per shape for `dl-tensor` and for the `matrixmultiply` crate as a
//! baseline. Throughput counts floating-point operations, `2·m·n·k` per product: criterion has
//! no FLOP unit and prints them as "elem/s", so its `Gelem/s` are GFLOP/s (hence the group
//! names). Both use `dl_tensor::num_threads()`
//! threads (`DL_NUM_THREADS`; `matrixmultiply` gets it through `MATMUL_NUM_THREADS`).

use std::hint::black_box;
use std::time::Duration;

use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use dl_tensor::gemm::{MatMut, MatRef, gemm};

mod common;
use common::shapes::SHAPES;

macro_rules! group {
    ($c:expr, $group:literal, $t:ty, $mm:path) => {{
        let mut group = $c.benchmark_group($group);
        group.warm_up_time(Duration::from_millis(500));
        for s in &SHAPES {
            let (m, k, n) = (s.m, s.k, s.n);
            group.throughput(Throughput::Elements(s.flop()));
            if s.flop() > 1 << 30 {
                group.sampling_mode(SamplingMode::Flat);
                group.sample_size(10);
                group.measurement_time(Duration::from_secs(3));
            } else {
                group.sampling_mode(SamplingMode::Auto);
                group.sample_size(20);
                group.measurement_time(Duration::from_secs(2));
            }
            let a: Vec<$t> = common::shapes::operand(m * k, 0);
            let b: Vec<$t> = common::shapes::operand(k * n, 1);
            let mut c: Vec<$t> = vec![0.0; m * n];
            let (rsa, csa) = s.a_strides();
            let (rsb, csb) = s.b_strides();
            let id = format!("{}/{}", s.name, s.dims());
            group.bench_function(BenchmarkId::new("dl-tensor", &id), |bench| {
                bench.iter(|| {
                    gemm(
                        1.0,
                        MatRef::new(&a, 0, m, k, rsa, csa),
                        MatRef::new(&b, 0, k, n, rsb, csb),
                        0.0,
                        MatMut::row_major(&mut c, m, n),
                    );
                    black_box(&mut c);
                })
            });
            group.bench_function(BenchmarkId::new("matrixmultiply", &id), |bench| {
                bench.iter(|| {
                    // SAFETY: the strides describe the dense buffers `a`, `b` and `c` exactly.
                    unsafe {
                        $mm(
                            m,
                            k,
                            n,
                            1.0,
                            a.as_ptr(),
                            rsa,
                            csa,
                            b.as_ptr(),
                            rsb,
                            csb,
                            0.0,
                            c.as_mut_ptr(),
                            n as isize,
                            1,
                        );
                    }
                    black_box(&mut c);
                })
            });
        }
        group.finish();
    }};
}

fn set_baseline_threads() {
    if std::env::var_os("MATMUL_NUM_THREADS").is_none() {
        // SAFETY: called first thing in each benchmark function, before matrixmultiply (which
        // reads the variable at its first product) or any other thread touches the environment.
        unsafe { std::env::set_var("MATMUL_NUM_THREADS", dl_tensor::num_threads().to_string()) };
    }
}

fn sgemm(c: &mut Criterion) {
    set_baseline_threads();
    group!(c, "sgemm_flop", f32, matrixmultiply::sgemm);
}

fn dgemm(c: &mut Criterion) {
    set_baseline_threads();
    group!(c, "dgemm_flop", f64, matrixmultiply::dgemm);
}

criterion_group!(benches, sgemm, dgemm);
criterion_main!(benches);

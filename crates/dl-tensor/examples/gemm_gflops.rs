//! GEMM throughput of `dl-tensor` against `matrixmultiply`, one line per shape:
//!
//! ```text
//! cargo run --release -p dl-tensor --example gemm_gflops -- [--threads N] [--f64] [--reps R] [--only NAME] [--kernel auto|avx2|portable]
//! ```
//!
//! Prints `shape=MxKxN threads=T dl-tensor=G1 matrixmultiply=G2 ratio=G1/G2 of_peak=P` (GF/s, the
//! median of `R` repetitions, each long enough to time reliably; the two libraries alternate so
//! both see the same machine load). `P` is `G1` over this CPU's FMA peak on `T` threads (see the
//! `fma_peak` example; half of it for `f64`), measured in the same run, before and after the
//! shapes, because this machine's speed drifts by several per cent from minute to minute.
//! `--only` keeps the shapes whose name contains `NAME`. `--cpu` times with the calling thread's
//! CPU time instead of wall-clock time (Linux; meaningful with `--threads 1` only), which shields
//! single-thread comparisons from a busy machine. `--kernel` picks the micro-kernel family
//! (default `auto`: the fastest this CPU has).

use std::hint::black_box;
use std::process::ExitCode;
use std::time::Instant;

use dl_tensor::gemm::{GemmOptions, KernelChoice, MatMut, MatRef, gemm_with, kernel_name_for};

#[path = "common/fma.rs"]
mod fma;
#[path = "../benches/common/shapes.rs"]
mod shapes;
use shapes::{SHAPES, Shape, operand};

struct Args {
    threads: usize,
    cpu: bool,
    f64: bool,
    reps: usize,
    only: Option<String>,
    kernel: KernelChoice,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        threads: dl_tensor::num_threads(),
        cpu: false,
        f64: false,
        reps: 7,
        only: None,
        kernel: KernelChoice::Auto,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = |what: &str| it.next().ok_or(format!("{flag} needs {what}"));
        match flag.as_str() {
            "--threads" => {
                let v = value("a thread count")?;
                args.threads = v
                    .parse()
                    .ok()
                    .filter(|&t| t > 0)
                    .ok_or(format!("--threads: `{v}` is not a positive integer"))?;
            }
            "--reps" => {
                let v = value("a repetition count")?;
                args.reps = v
                    .parse()
                    .ok()
                    .filter(|&r| r > 0)
                    .ok_or(format!("--reps: `{v}` is not a positive integer"))?;
            }
            "--only" => args.only = Some(value("a shape name")?),
            "--kernel" => {
                let v = value("auto, avx2 or portable")?;
                args.kernel = match v.as_str() {
                    "auto" => KernelChoice::Auto,
                    "avx2" => KernelChoice::Avx2Fma,
                    "portable" => KernelChoice::Portable,
                    _ => return Err(format!("--kernel: `{v}` is not auto, avx2 or portable")),
                };
            }
            "--f64" => args.f64 = true,
            "--cpu" => args.cpu = true,
            "-h" | "--help" => {
                return Err(
                    "usage: gemm_gflops [--threads N] [--f64] [--reps R] [--only NAME] [--cpu] \
                     [--kernel auto|avx2|portable]"
                        .into(),
                );
            }
            other => return Err(format!("unknown argument `{other}` (try --help)")),
        }
    }
    Ok(args)
}

/// Times `f` (called `iters` times per repetition) and returns the median seconds per call for
/// each of the two closures and the fastest repetition's, alternating them repetition by
/// repetition.
fn time_pair(
    reps: usize,
    cpu: bool,
    mut f: impl FnMut(),
    mut g: impl FnMut(),
) -> ((f64, f64), (f64, f64)) {
    let now = || {
        if cpu { thread_cpu_seconds() } else { None }
            .unwrap_or_else(|| EPOCH.elapsed().as_secs_f64())
    };
    // Warm up, then size repetitions (`target` seconds; longer with `--cpu`, whose clock
    // advances in scheduler ticks) from a second call: the first one faults its operands in.
    f();
    g();
    let start = Instant::now();
    f();
    g();
    let once = start.elapsed().as_secs_f64() / 2.0;
    let target = if cpu { 0.1 } else { 0.03 };
    let iters = ((target / once.max(1e-9)) as usize).clamp(1, 100_000);
    let mut tf = Vec::with_capacity(reps);
    let mut tg = Vec::with_capacity(reps);
    let run = |h: &mut dyn FnMut()| -> f64 {
        let start = now();
        for _ in 0..iters {
            h();
        }
        (now() - start) / iters as f64
    };
    for _ in 0..reps {
        tf.push(run(&mut f));
        tg.push(run(&mut g));
    }
    let best = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
    ((median(&mut tf), best(&tf)), (median(&mut tg), best(&tg)))
}

/// Repetitions of each FMA peak measurement (before and after the shapes).
const PEAK_REPS: usize = 3;

static EPOCH: std::sync::LazyLock<Instant> = std::sync::LazyLock::new(Instant::now);

/// The calling thread's CPU time in seconds (the first field of `/proc/thread-self/schedstat`,
/// in nanoseconds), when available.
fn thread_cpu_seconds() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = s.split_whitespace().next()?.parse().ok()?;
    Some(ns as f64 * 1e-9)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

macro_rules! bench_type {
    ($t:ty, $mm:path, $s:expr, $args:expr) => {{
        let s: &Shape = $s;
        let (m, k, n) = (s.m, s.k, s.n);
        let a: Vec<$t> = operand(m * k, 0);
        let b: Vec<$t> = operand(k * n, 1);
        let mut c1: Vec<$t> = vec![0.0; m * n];
        let mut c2: Vec<$t> = vec![0.0; m * n];
        let (rsa, csa) = s.a_strides();
        let (rsb, csb) = s.b_strides();
        let opts = GemmOptions {
            threads: Some($args.threads),
            kernel: $args.kernel,
        };
        time_pair(
            $args.reps,
            $args.cpu,
            || {
                gemm_with(
                    &opts,
                    1.0,
                    MatRef::new(&a, 0, m, k, rsa, csa),
                    MatRef::new(&b, 0, k, n, rsb, csb),
                    0.0,
                    MatMut::row_major(&mut c1, m, n),
                );
                black_box(&mut c1);
            },
            || {
                // SAFETY: the strides describe the dense buffers `a`, `b` and `c2` exactly.
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
                        c2.as_mut_ptr(),
                        n as isize,
                        1,
                    );
                }
                black_box(&mut c2);
            },
        )
    }};
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("gemm_gflops: {e}");
            return ExitCode::from(2);
        }
    };
    // matrixmultiply reads its thread count once, at its first product: set it before that.
    // SAFETY: no other thread exists yet that could read or write the environment.
    unsafe { std::env::set_var("MATMUL_NUM_THREADS", args.threads.to_string()) };
    let ty = if args.f64 { "f64" } else { "f32" };
    println!(
        "# {ty}, kernel={}, median of {} repetitions, GF/s",
        kernel_name_for(args.kernel),
        args.reps
    );
    let (isa, peak_before, _) = fma::peak_gflops(args.threads, PEAK_REPS);
    let mut lines = Vec::new();
    for s in SHAPES.iter().filter(|s| {
        args.only
            .as_ref()
            .is_none_or(|o| s.name.contains(o.as_str()))
    }) {
        let (t_dl, t_mm) = if args.f64 {
            bench_type!(f64, matrixmultiply::dgemm, s, args)
        } else {
            bench_type!(f32, matrixmultiply::sgemm, s, args)
        };
        let flop = s.flop() as f64;
        let (g1, g2) = (flop / t_dl.0 / 1e9, flop / t_mm.0 / 1e9);
        let (b1, b2) = (flop / t_dl.1 / 1e9, flop / t_mm.1 / 1e9);
        lines.push((s, g1, g2, b1, b2));
    }
    let (_, peak_after, _) = fma::peak_gflops(args.threads, PEAK_REPS);
    // A vector holds half as many f64 as f32; a scalar FMA is one of either.
    let lanes = if args.f64 && isa != "scalar" {
        2.0
    } else {
        1.0
    };
    let peak = (peak_before + peak_after) / 2.0 / lanes;
    println!(
        "# {ty} FMA peak on {} threads ({isa}): {peak:.1} GF/s ({:.1} before the shapes, {:.1} after); worker hand-off {}",
        args.threads,
        peak_before / lanes,
        peak_after / lanes,
        dl_tensor::handoff_ns().map_or("not measured".to_string(), |ns| format!("{ns} ns")),
    );
    for (s, g1, g2, b1, b2) in lines {
        println!(
            "shape={} threads={} dl-tensor={g1:.1} matrixmultiply={g2:.1} ratio={:.2} of_peak={:.2}  # {} best: {b1:.1} {b2:.1}",
            s.dims(),
            args.threads,
            g1 / g2,
            g1 / peak,
            s.name
        );
    }
    ExitCode::SUCCESS
}

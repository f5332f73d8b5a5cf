//! This CPU's f32 FMA peak, the yardstick of the GEMM targets ("≥ 90 % of the peak"):
//!
//! ```text
//! cargo run --release -p dl-tensor --example fma_peak -- [--threads N] [--reps R]
//! ```
//!
//! Each thread runs a loop of independent fused multiply-adds on the widest vectors the CPU has
//! (AVX-512F, else AVX2+FMA), with enough accumulators to keep every FMA unit busy, and nothing
//! else: no loads, no stores. Prints `fma_peak threads=T isa=… gflops=G best=B`: the median and
//! the fastest of `R` repetitions (one is 1.2·10⁹ vector FMAs per thread, about 0.15 s at two
//! FMAs per cycle).

use std::process::ExitCode;

#[path = "common/fma.rs"]
mod fma;

fn parse_args() -> Result<(usize, usize), String> {
    let (mut threads, mut reps) = (dl_tensor::num_threads(), 5);
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        let parsed: usize = value
            .parse()
            .map_err(|_| format!("{flag}: expected a positive integer, got {value:?}"))?;
        match flag.as_str() {
            "--threads" => threads = parsed.max(1),
            "--reps" => reps = parsed.max(1),
            _ => {
                return Err(format!(
                    "unknown flag {flag:?} (expected --threads N or --reps R)"
                ));
            }
        }
    }
    Ok((threads, reps))
}

fn main() -> ExitCode {
    let (threads, reps) = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("fma_peak: {e}");
            return ExitCode::FAILURE;
        }
    };
    let (isa, median, best) = fma::peak_gflops(threads, reps);
    println!("fma_peak threads={threads} isa={isa} gflops={median:.1} best={best:.1}");
    ExitCode::SUCCESS
}

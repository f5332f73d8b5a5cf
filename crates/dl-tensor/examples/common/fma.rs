//! The FMA peak loop shared by the `fma_peak` and `gemm_gflops` examples: each thread runs
//! independent fused multiply-adds on the widest vectors the CPU has (AVX-512F, else AVX2+FMA),
//! with enough accumulators to keep every FMA unit busy, and nothing else: no loads, no stores.

use std::time::Instant;

/// FMAs per accumulator and repetition of the inner loop.
const ITERATIONS: u64 = 100_000_000;

/// The f32 FMA peak on `threads` threads, in GF/s: the median and the fastest of `reps`
/// repetitions (one is 1.2·10⁹ vector FMAs per thread, about 0.15 s at two FMAs per cycle),
/// with the name of the instruction set used.
pub fn peak_gflops(threads: usize, reps: usize) -> (&'static str, f64, f64) {
    let (isa, run) = kernel();
    let mut rates: Vec<f64> = (0..reps.max(1))
        .map(|_| {
            let start = Instant::now();
            let flops: f64 = std::thread::scope(|s| {
                let handles: Vec<_> = (0..threads.max(1)).map(|_| s.spawn(run)).collect();
                handles.into_iter().map(|h| h.join().unwrap_or(0.0)).sum()
            });
            flops / start.elapsed().as_secs_f64() / 1e9
        })
        .collect();
    rates.sort_by(f64::total_cmp);
    (isa, rates[rates.len() / 2], rates[rates.len() - 1])
}

/// The widest FMA loop this CPU runs, and its name; the loop returns the FLOPs it did.
fn kernel() -> (&'static str, fn() -> f64) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the feature was just detected.
            return ("avx512f", || unsafe { x86::fma_loop_avx512() });
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the features were just detected.
            return ("avx2+fma", || unsafe { x86::fma_loop_avx2() });
        }
    }
    ("scalar", scalar_loop)
}

/// Twelve independent scalar multiply-add chains (what a CPU without vector FMAs offers).
fn scalar_loop() -> f64 {
    let mut acc = [1.0f32; 12];
    for _ in 0..ITERATIONS / 16 {
        for a in &mut acc {
            *a = a.mul_add(0.999_999, 1e-7);
        }
    }
    std::hint::black_box(acc);
    (ITERATIONS / 16 * 12 * 2) as f64
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    use super::ITERATIONS;

    /// Twelve independent 16-lane FMA chains.
    ///
    /// # Safety
    /// The CPU must support AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn fma_loop_avx512() -> f64 {
        let (m, a) = (_mm512_set1_ps(0.999_999), _mm512_set1_ps(1e-7));
        let mut acc = [_mm512_set1_ps(1.0); 12];
        for _ in 0..ITERATIONS {
            for v in &mut acc {
                *v = _mm512_fmadd_ps(*v, m, a);
            }
        }
        std::hint::black_box(acc);
        (ITERATIONS * 12 * 16 * 2) as f64
    }

    /// Twelve independent 8-lane FMA chains.
    ///
    /// # Safety
    /// The CPU must support AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn fma_loop_avx2() -> f64 {
        let (m, a) = (_mm256_set1_ps(0.999_999), _mm256_set1_ps(1e-7));
        let mut acc = [_mm256_set1_ps(1.0); 12];
        for _ in 0..ITERATIONS {
            for v in &mut acc {
                *v = _mm256_fmadd_ps(*v, m, a);
            }
        }
        std::hint::black_box(acc);
        (ITERATIONS * 12 * 8 * 2) as f64
    }
}

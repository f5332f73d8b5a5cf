//! Timing a [`Step`]: the median and fastest of a few repetitions after two warm-up steps, and
//! the heap allocations per step, as the `dl-bench` binary prints them for `cargo xtask bench`.

use std::time::Instant;

use crate::Step;
use crate::alloc_count::allocations;

/// What [`time_step`] measured.
#[derive(Clone, Debug, PartialEq)]
pub struct Timing {
    /// Median wall-clock time of one step, in milliseconds.
    pub median_ms: f64,
    /// The fastest repetition, in milliseconds.
    pub min_ms: f64,
    /// Heap allocations per timed step; 0 unless the binary installs
    /// [`Counting`](crate::alloc_count::Counting) as its global allocator.
    pub allocs_per_step: u64,
}

/// Runs `step` twice untimed, then `reps` times timed, on the thread count already set.
///
/// # Panics
///
/// If `reps` is 0.
pub fn time_step(step: &mut Step, reps: usize) -> Timing {
    assert!(reps > 0, "time_step: reps must be at least 1");
    // The first step creates the optimizer's state and the layers' buffers; layers that hand
    // out two output buffers in turn fill the second in the second step.
    step.run();
    step.run();
    let before = allocations();
    let mut ms: Vec<f64> = Vec::with_capacity(reps);
    for _ in 0..reps {
        let start = Instant::now();
        std::hint::black_box(step.run());
        ms.push(start.elapsed().as_secs_f64() * 1e3);
    }
    // `ms` was allocated before the count started and is never grown.
    let allocs = allocations() - before;
    ms.sort_by(f64::total_cmp);
    Timing {
        median_ms: median(&ms),
        min_ms: ms[0],
        allocs_per_step: allocs / reps as u64,
    }
}

/// The middle value of sorted numbers (the mean of the two middle ones for an even count).
///
/// # Panics
///
/// If `sorted` is empty.
pub fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    assert!(n > 0, "median of no values");
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        0.5 * (sorted[n / 2 - 1] + sorted[n / 2])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_is_the_middle_value() {
        assert_eq!(median(&[1.0, 2.0, 10.0]), 2.0);
        assert_eq!(median(&[1.0, 2.0, 4.0, 10.0]), 3.0);
    }

    #[test]
    fn a_step_is_timed_with_a_positive_median() {
        let mut step = crate::workload("mlp-sigmoid").unwrap().build(0);
        let t = time_step(&mut step, 3);
        assert!(t.min_ms > 0.0 && t.min_ms <= t.median_ms, "{t:?}");
    }
}

//! A steady-state training step allocates nothing: every layer, the loss and the optimizer
//! reuse the buffers of the step before (issue 6). Counted with a global allocator, on one
//! thread and on two.
//!
//! Without the test harness (`harness = false`): the counter sees every thread of the process,
//! and on a busy machine the harness's own thread sometimes allocates while a step is counted.

use dl_benches::alloc_count::{Counting, allocations};

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
    println!("warm training steps allocate nothing: ok");
}

//! The thread count the library's parallel kernels use, and a small task runner over it.
//!
//! Results never depend on the thread count: work is split over outputs, never over a reduction.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

static THREADS: AtomicUsize = AtomicUsize::new(0);
static POOL: RwLock<Option<(usize, Arc<rayon::ThreadPool>)>> = RwLock::new(None);

/// The number of threads parallel kernels use.
///
/// Defaults to `DL_NUM_THREADS` when set, else to the available cores.
pub fn num_threads() -> usize {
    match THREADS.load(Ordering::Relaxed) {
        0 => {
            let n = default_threads();
            THREADS.store(n, Ordering::Relaxed);
            n
        }
        n => n,
    }
}

/// Sets the number of threads parallel kernels use (at least 1).
pub fn set_num_threads(n: usize) {
    THREADS.store(n.max(1), Ordering::Relaxed);
}

fn default_threads() -> usize {
    std::env::var("DL_NUM_THREADS")
        .ok()
        .and_then(|s| s.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// The worker pool, with at least `workers` threads (rebuilt only to grow).
fn pool(workers: usize) -> Arc<rayon::ThreadPool> {
    if let Some((n, pool)) = POOL.read().unwrap_or_else(|e| e.into_inner()).as_ref() {
        if *n >= workers {
            return Arc::clone(pool);
        }
    }
    let mut slot = POOL.write().unwrap_or_else(|e| e.into_inner());
    if let Some((n, pool)) = slot.as_ref() {
        if *n >= workers {
            return Arc::clone(pool);
        }
    }
    let pool = Arc::new(
        rayon::ThreadPoolBuilder::new()
            .num_threads(workers)
            .thread_name(|i| format!("dl-tensor-{i}"))
            .build()
            .expect("failed to start the dl-tensor thread pool"),
    );
    *slot = Some((workers, Arc::clone(&pool)));
    pool
}

/// Runs `task(i)` for every `i` in `0..n_tasks`, spread over up to [`num_threads`] threads.
///
/// Runs inline when one thread is configured or there is only one task.
pub fn for_each_task(n_tasks: usize, task: impl Fn(usize) + Sync + Send) {
    for_each_task_with(num_threads(), n_tasks, task);
}

/// [`for_each_task`] over up to `threads` threads: the calling thread runs its share of the
/// tasks itself while up to `threads − 1` pool workers run the rest.
pub(crate) fn for_each_task_with(
    threads: usize,
    n_tasks: usize,
    task: impl Fn(usize) + Sync + Send,
) {
    let threads = threads.min(n_tasks);
    if threads <= 1 {
        (0..n_tasks).for_each(task);
        return;
    }
    let run = |t: usize| {
        let mut i = t;
        while i < n_tasks {
            task(i);
            i += threads;
        }
    };
    let pool = pool(threads - 1);
    pool.in_place_scope(|scope| {
        let run = &run;
        for t in 1..threads {
            scope.spawn(move |_| run(t));
        }
        run(0);
    });
}

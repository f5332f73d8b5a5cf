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

fn pool(threads: usize) -> Arc<rayon::ThreadPool> {
    if let Some((n, pool)) = POOL.read().unwrap_or_else(|e| e.into_inner()).as_ref() {
        if *n == threads {
            return Arc::clone(pool);
        }
    }
    let pool = Arc::new(
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("dl-tensor-{i}"))
            .build()
            .expect("failed to start the dl-tensor thread pool"),
    );
    *POOL.write().unwrap_or_else(|e| e.into_inner()) = Some((threads, Arc::clone(&pool)));
    pool
}

/// Runs `task(i)` for every `i` in `0..n_tasks`, spread over up to [`num_threads`] threads.
///
/// Runs inline when one thread is configured or there is only one task.
pub fn for_each_task(n_tasks: usize, task: impl Fn(usize) + Sync + Send) {
    let threads = num_threads().min(n_tasks);
    if threads <= 1 {
        (0..n_tasks).for_each(task);
        return;
    }
    let pool = pool(num_threads());
    pool.scope(|scope| {
        let task = &task;
        for t in 0..threads {
            scope.spawn(move |_| {
                let mut i = t;
                while i < n_tasks {
                    task(i);
                    i += threads;
                }
            });
        }
    });
}

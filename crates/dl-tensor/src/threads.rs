//! The thread count the library's parallel kernels use, and a small task runner over it.
//!
//! Results never depend on the thread count: work is split over outputs, never over a reduction,
//! and each task runs exactly once, whichever thread claims it. Threads claim tasks one by one
//! from a shared counter, so a worker whose core another process has taken leaves its tasks to
//! the others instead of holding the call up; and while other processes keep cores busy (the
//! kernel's count of runnable threads, looked at every millisecond), calls run on the cores
//! left, down to the calling thread alone.
//! The runner keeps its worker threads for the life of the process and hands them work through
//! a mutex and condition variables, so after the workers have started a parallel call allocates
//! nothing. A waiting thread spins for up to a millisecond before it sleeps: waking a sleeping
//! thread costs tens of microseconds on a virtual machine, more than many products take, and a
//! training step's parallel calls are often that far apart. Workers also time how long each
//! hand-off took to reach them ([`handoff_ns`]), so that callers can keep small work on one
//! thread while the cores are far apart.

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock, TryLockError};
use std::thread;
use std::time::{Duration, Instant};

static THREADS: AtomicUsize = AtomicUsize::new(0);

/// The number of threads parallel kernels use.
///
/// Defaults to `DL_NUM_THREADS` when set, else to the available cores.
///
/// When the operating system refused to start a worker thread (a process or pid limit), this
/// is at most the number of threads that did start: see [`for_each_task`].
///
/// # Panics
/// The first call panics if `DL_NUM_THREADS` is set to anything but a positive integer (see
/// [`threads_from_env`]).
pub fn num_threads() -> usize {
    let n = match THREADS.load(Ordering::Relaxed) {
        0 => {
            let n = default_threads();
            THREADS.store(n, Ordering::Relaxed);
            n
        }
        n => n,
    };
    n.min(MAX_WORKERS.load(Ordering::Relaxed).saturating_add(1))
}

/// Sets the number of threads parallel kernels use (at least 1).
pub fn set_num_threads(n: usize) {
    THREADS.store(n.max(1), Ordering::Relaxed);
}

fn default_threads() -> usize {
    match threads_from_env() {
        Ok(Some(n)) => n,
        Ok(None) => thread::available_parallelism().map_or(1, |n| n.get()),
        Err(e) => panic!("{e}"),
    }
}

/// The environment variable that sets the default thread count.
pub const THREADS_ENV: &str = "DL_NUM_THREADS";

/// The thread count `DL_NUM_THREADS` asks for (`None` when it is unset), or a one-line error
/// naming a value that is not a positive integer, or a `DL_FEWER_THREADS_WHEN_BUSY` that is
/// neither `0` nor `1`. Programs call it at start-up to refuse a bad value cleanly; the first
/// parallel call panics with the same line otherwise.
pub fn threads_from_env() -> Result<Option<usize>, String> {
    fewer_when_busy_named(std::env::var(FEWER_THREADS_WHEN_BUSY_ENV).ok().as_deref())?;
    threads_named(std::env::var(THREADS_ENV).ok().as_deref())
}

/// The environment variable that says whether parallel calls run on fewer threads while other
/// processes keep cores busy: `1` (the default) or `0` (always [`num_threads`]).
pub const FEWER_THREADS_WHEN_BUSY_ENV: &str = "DL_FEWER_THREADS_WHEN_BUSY";

/// [`fewer_threads_when_busy`]'s setting: 0 not read yet, 1 off, 2 on.
static FEWER_WHEN_BUSY: AtomicUsize = AtomicUsize::new(0);

/// Whether parallel calls run on fewer than [`num_threads`] threads while other processes keep
/// cores busy (on by default; `DL_FEWER_THREADS_WHEN_BUSY=0` or
/// [`set_fewer_threads_when_busy`] turns it off). Results are the same either way; off, a test
/// that compares thread counts runs on the threads it set even beside other tests.
///
/// # Panics
/// The first call panics if `DL_FEWER_THREADS_WHEN_BUSY` is set to anything but `0` or `1`.
pub fn fewer_threads_when_busy() -> bool {
    match FEWER_WHEN_BUSY.load(Ordering::Relaxed) {
        0 => {
            let env = std::env::var(FEWER_THREADS_WHEN_BUSY_ENV).ok();
            let on = fewer_when_busy_named(env.as_deref())
                .unwrap_or_else(|e| panic!("{e}"))
                .unwrap_or(true);
            set_fewer_threads_when_busy(on);
            on
        }
        setting => setting == 2,
    }
}

/// Turns [`fewer_threads_when_busy`] on or off.
pub fn set_fewer_threads_when_busy(on: bool) {
    FEWER_WHEN_BUSY.store(if on { 2 } else { 1 }, Ordering::Relaxed);
}

/// The setting a `DL_FEWER_THREADS_WHEN_BUSY` value asks for (`None`: unset).
fn fewer_when_busy_named(value: Option<&str>) -> Result<Option<bool>, String> {
    match value.map(str::trim) {
        None => Ok(None),
        Some("1") => Ok(Some(true)),
        Some("0") => Ok(Some(false)),
        Some(v) => Err(format!(
            "{FEWER_THREADS_WHEN_BUSY_ENV}=`{v}`: expected 1 (fewer threads while other \
             processes keep cores busy) or 0 (always the set count), or unset it"
        )),
    }
}

/// [`threads_from_env`] for the variable's value.
fn threads_named(value: Option<&str>) -> Result<Option<usize>, String> {
    match value {
        None => Ok(None),
        Some(v) => match v.trim().parse::<usize>() {
            Ok(n) if n > 0 => Ok(Some(n)),
            _ => Err(format!(
                "{THREADS_ENV}=`{v}`: expected a positive number of threads (or unset it)"
            )),
        },
    }
}

/// Runs `task(i)` for every `i` in `0..n_tasks`, spread over up to [`num_threads`] threads.
///
/// Runs inline when one thread is configured, there is only one task, the call is nested in
/// another parallel call, another thread is using the workers, or other processes keep the
/// other cores busy. If a worker thread cannot be started, the call runs on those that did
/// (down to the calling thread alone), no more are tried, and one warning line goes to stderr;
/// the results are the same.
pub fn for_each_task(n_tasks: usize, task: impl Fn(usize) + Sync + Send) {
    for_each_task_with(threads_for_now(), n_tasks, task);
}

/// Runs `task(i, chunk_i)` for every `chunk_len`-element chunk of `data` (the last may be
/// shorter), spread over up to [`num_threads`] threads like [`for_each_task`]. Each chunk is
/// written by exactly one task, so the result does not depend on the thread count.
///
/// ```
/// let mut v = vec![0usize; 10];
/// dl_tensor::for_each_chunk_mut(&mut v, 4, |i, chunk| chunk.fill(i));
/// assert_eq!(v, [0, 0, 0, 0, 1, 1, 1, 1, 2, 2]);
/// ```
///
/// # Panics
/// If `chunk_len` is zero while `data` is not empty.
#[track_caller]
pub fn for_each_chunk_mut<T: Send>(
    data: &mut [T],
    chunk_len: usize,
    task: impl Fn(usize, &mut [T]) + Sync + Send,
) {
    if data.is_empty() {
        return;
    }
    assert!(
        chunk_len > 0,
        "for_each_chunk_mut: chunk_len must be at least 1"
    );
    // No scratch: one zero-sized value per thread (a `Vec` of them allocates nothing).
    let mut none = vec![(); num_threads()];
    for_each_chunk_with_scratch(data, chunk_len, &mut none, |i, chunk, _| task(i, chunk));
}

/// [`for_each_chunk_mut`] with a scratch value per running thread: `task(i, chunk_i, scratch)`
/// gets one element of `scratch` that no other thread uses meanwhile, so buffers kept in it
/// stay warm in that core's cache from one chunk to the next. At most `scratch.len()` threads
/// run. Which element a chunk gets depends on which thread claims it: a task must overwrite what
/// it reads from its scratch, so that the result does not depend on it, and a call that must not
/// allocate once warm should size every element for the largest chunk before it starts.
///
/// ```
/// let mut v = vec![0usize; 6];
/// let mut scratch = vec![Vec::new(); dl_tensor::num_threads()];
/// dl_tensor::for_each_chunk_with_scratch(&mut v, 2, &mut scratch, |i, chunk, buf: &mut Vec<usize>| {
///     buf.clear();
///     buf.extend([i, 10 * i]);
///     chunk.copy_from_slice(buf);
/// });
/// assert_eq!(v, [0, 0, 1, 10, 2, 20]);
/// ```
///
/// # Panics
/// If `chunk_len` is zero or `scratch` is empty while `data` is not empty.
#[track_caller]
pub fn for_each_chunk_with_scratch<T: Send, S: Send>(
    data: &mut [T],
    chunk_len: usize,
    scratch: &mut [S],
    task: impl Fn(usize, &mut [T], &mut S) + Sync + Send,
) {
    if data.is_empty() {
        return;
    }
    assert!(
        chunk_len > 0 && !scratch.is_empty(),
        "for_each_chunk_with_scratch: need chunk_len ≥ 1 (got {chunk_len}) and at least one \
         scratch value (got {})",
        scratch.len()
    );
    let len = data.len();
    let chunks = len.div_ceil(chunk_len);
    let threads = threads_for_now().min(scratch.len()).min(chunks);
    let (base, scratch) = (
        SharedMut(data.as_mut_ptr()),
        SharedMut(scratch.as_mut_ptr()),
    );
    run_claimed(threads, chunks, |slot, i| {
        // SAFETY: `slot < threads ≤ scratch.len()` is used by one thread at a time; chunk `i`
        // runs once and the chunks are disjoint; both slices stay borrowed until every task
        // has returned.
        let scratch = unsafe { &mut *scratch.at(slot) };
        let start = i * chunk_len;
        let end = (start + chunk_len).min(len);
        // SAFETY: as above.
        let chunk = unsafe { std::slice::from_raw_parts_mut(base.at(start), end - start) };
        task(i, chunk, scratch);
    });
}

/// A pointer into a slice whose disjoint parts are written from several threads.
struct SharedMut<T>(*mut T);

impl<T> SharedMut<T> {
    /// The pointer `offset` elements in.
    ///
    /// # Safety
    /// `offset` must stay inside the slice.
    unsafe fn at(&self, offset: usize) -> *mut T {
        // SAFETY: forwarded to the caller.
        unsafe { self.0.add(offset) }
    }
}

// SAFETY: `for_each_chunk_mut` hands each thread disjoint elements of a slice of `T: Send`.
unsafe impl<T: Send> Sync for SharedMut<T> {}

/// [`for_each_task`] over up to `threads` threads.
pub(crate) fn for_each_task_with(
    threads: usize,
    n_tasks: usize,
    task: impl Fn(usize) + Sync + Send,
) {
    run_claimed(threads, n_tasks, |_, i| task(i));
}

/// Runs `task(slot, i)` for every `i` in `0..n_tasks` on up to `threads` threads, where `slot`
/// (`< threads`) names the running thread within the call: no two threads use the same slot
/// at once. The calling thread (slot 0) and `threads − 1` workers each claim the next unclaimed
/// task from a shared counter until none is left; a worker that has not picked its job up by
/// the time the caller runs out of tasks is told to skip it. Each task runs exactly once.
fn run_claimed(threads: usize, n_tasks: usize, task: impl Fn(usize, usize) + Sync) {
    let threads = threads.clamp(1, n_tasks.max(1));
    let inline = || (0..n_tasks).for_each(|i| task(0, i));
    if threads == 1 || IN_TASK.with(|f| f.get()) {
        inline();
        return;
    }
    let mut crew = match CREW.try_lock() {
        Ok(crew) => crew,
        Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
        Err(TryLockError::WouldBlock) => {
            inline();
            return;
        }
    };
    let threads = grow(&mut crew, threads - 1) + 1;
    if threads == 1 {
        drop(crew);
        inline();
        return;
    }
    let next = AtomicUsize::new(0);
    let share = |slot: usize| {
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= n_tasks {
                break;
            }
            task(slot, i);
        }
    };
    let share: &(dyn Fn(usize) + Sync) = &share;
    // SAFETY: workers use the reference only between `start` and the matching `finish` below,
    // which returns only after the worker has finished with it (or will never use it), also
    // when it panicked.
    let share: &'static (dyn Fn(usize) + Sync) = unsafe { std::mem::transmute(share) };
    for (w, worker) in crew.iter().take(threads - 1).enumerate() {
        worker.start(Job {
            share,
            index: w + 1,
            sent: Instant::now(),
        });
    }
    IN_TASK.with(|f| f.set(true));
    let own = catch_unwind(AssertUnwindSafe(|| share(0)));
    IN_TASK.with(|f| f.set(false));
    let mut worker_panic = None;
    for worker in crew.iter().take(threads - 1) {
        if let Err(payload) = worker.finish() {
            worker_panic.get_or_insert(payload);
        }
    }
    drop(crew);
    if let Err(payload) = own {
        resume_unwind(payload);
    }
    if let Some(payload) = worker_panic {
        resume_unwind(payload);
    }
}

/// Starts workers until `crew` has `wanted` (or as many as the system allows); returns how many
/// it has. The first refusal sets [`MAX_WORKERS`] and prints one warning line.
fn grow(crew: &mut Vec<&'static Worker>, wanted: usize) -> usize {
    let wanted = wanted.min(MAX_WORKERS.load(Ordering::Relaxed));
    while crew.len() < wanted {
        match Worker::spawn(crew.len()) {
            Ok(worker) => {
                crew.push(worker);
                STARTED_WORKERS.store(crew.len(), Ordering::Relaxed);
            }
            Err(e) => {
                MAX_WORKERS.store(crew.len(), Ordering::Relaxed);
                eprintln!(
                    "warning: dl-tensor could start only {} worker thread(s) ({e}); running on {} \
                     thread(s) instead of {} (results are the same, only slower)",
                    crew.len(),
                    crew.len() + 1,
                    wanted + 1
                );
                break;
            }
        }
    }
    crew.len().min(wanted)
}

/// Starts workers until there are `wanted` (unless another thread holds them): what the next
/// call on `wanted + 1` threads would do.
fn start_workers(wanted: usize) {
    if STARTED_WORKERS.load(Ordering::Relaxed) < wanted
        && let Ok(mut crew) = CREW.try_lock()
    {
        grow(&mut crew, wanted);
    }
}

/// How many worker threads have started.
static STARTED_WORKERS: AtomicUsize = AtomicUsize::new(0);

/// How many worker threads may exist: unlimited until the system refused to start one.
static MAX_WORKERS: AtomicUsize = AtomicUsize::new(usize::MAX);

/// The worker threads, started on first use (and when more are needed) and kept for the life
/// of the process. Held by the thread whose call they serve.
static CREW: Mutex<Vec<&'static Worker>> = Mutex::new(Vec::new());

thread_local! {
    /// Set while this thread runs tasks of a parallel call, so nested parallel calls run inline.
    static IN_TASK: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// A worker's part in a parallel call: claim and run tasks until none is left.
#[derive(Clone, Copy)]
struct Job {
    share: &'static (dyn Fn(usize) + Sync),
    /// The worker's slot in the call.
    index: usize,
    /// When the caller handed it over.
    sent: Instant,
}

/// An estimate of how long a spinning worker takes to see a job handed to it, in nanoseconds
/// (0 until measured); see [`handoff_ns`].
static HANDOFF_NS: AtomicU64 = AtomicU64::new(0);

/// How long a waiting worker thread takes to see the work handed to it, in nanoseconds, as
/// measured over recent parallel calls: `None` before any was measured.
///
/// This is the latency of one cache line travelling between the caller's core and a worker's,
/// and it is not a constant of the machine: on a virtual machine it changes from hour to hour
/// (the vCPUs on cores that share a cache, or not; BENCHMARKS.md has figures). Products decide
/// from it whether small work is worth splitting.
pub fn handoff_ns() -> Option<u64> {
    match HANDOFF_NS.load(Ordering::Relaxed) {
        0 => None,
        ns => Some(ns),
    }
}

/// Adds one measured hand-off to the estimate, which follows a shorter hand-off at once and a
/// longer one by at most an eighth per call: a hand-off is never shorter than the cores' distance
/// allows, while a long one may only mean that the worker was descheduled.
fn record_handoff(elapsed: Duration) {
    let sample = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
    let old = HANDOFF_NS.load(Ordering::Relaxed);
    HANDOFF_NS.store(next_handoff_estimate(old, sample), Ordering::Relaxed);
}

/// The hand-off estimate after `old` (0: none yet) meets a new `sample`, both in nanoseconds.
fn next_handoff_estimate(old: u64, sample: u64) -> u64 {
    let sample = sample.max(1);
    if old == 0 || sample <= old {
        sample
    } else {
        old + (sample - old).min(old).div_ceil(8)
    }
}

type Panic = Box<dyn std::any::Any + Send>;

/// What a worker is doing.
enum State {
    /// The thread has not started running yet.
    Starting,
    Idle,
    /// Handed over, not yet picked up: the caller may still take it back.
    Assigned(Job),
    /// Picked up: the worker is running it.
    Running,
    Done(Result<(), Panic>),
}

/// A worker thread's mailbox.
struct Worker {
    state: Mutex<State>,
    changed: Condvar,
    /// Set (under the lock) when a job is assigned, cleared when the worker takes it: a hint
    /// the idle worker spins on before it sleeps.
    assigned: AtomicBool,
    /// Set (under the lock) when a result is posted, cleared when the caller takes it.
    done: AtomicBool,
    /// Set (under the lock) as the worker goes to sleep, cleared as it is woken (by the
    /// caller that hands it a job, or as it wakes): [`AWAKE_WORKERS`] counts the others.
    asleep: AtomicBool,
}

/// How long a waiting thread spins on its hint before it sleeps on the condition variable:
/// longer than the gaps between a training step's parallel calls, so that they pay no wake-up
/// (BENCHMARKS.md, "Figures moved out of the code"). The price: an idle worker keeps its core
/// busy for up to 1 ms after each call.
const SPIN: Duration = Duration::from_micros(1000);

/// [`SPIN`] while another process competes for our cores: a spinning thread is then a third
/// runnable thread on two cores, and the scheduler makes the caller share its core with the
/// competitor (measurements in BENCHMARKS.md, session 12).
const SPIN_CONTENDED: Duration = Duration::from_micros(20);

/// A gap this long between two looks at the clock while spinning means the thread was
/// descheduled: another runnable thread shares its core (interrupts take far less).
const DESCHEDULED: Duration = Duration::from_micros(200);

/// A job a worker picks up (or the caller takes back from it) this long after it was handed
/// over found the worker without a core: far longer than a sleeping thread's wake-up.
const PICKED_UP_LATE: Duration = Duration::from_millis(1);

/// How long one sign of contention (a descheduled spin, a job picked up late) keeps every
/// spin at [`SPIN_CONTENDED`].
const CONTENDED_FOR: Duration = Duration::from_secs(1);

/// Until when spins are short, in nanoseconds after [`clock_base`] (0: not contended).
static CONTENDED_UNTIL_NS: AtomicU64 = AtomicU64::new(0);

/// The instant the spin clock counts from.
fn clock_base() -> Instant {
    static BASE: OnceLock<Instant> = OnceLock::new();
    *BASE.get_or_init(Instant::now)
}

/// Nanoseconds from [`clock_base`] to `t`.
fn clock_ns(t: Instant) -> u64 {
    t.saturating_duration_since(clock_base()).as_nanos() as u64
}

/// Records in `until` (a [`CONTENDED_UNTIL_NS`]) that a spinning thread was descheduled at
/// `now`: spins stay short for [`CONTENDED_FOR`].
fn mark_contended(until: &AtomicU64, now: Instant) {
    until.fetch_max(clock_ns(now + CONTENDED_FOR), Ordering::Relaxed);
}

/// Marks contention when a job was picked up (or taken back) `delay` after it was handed
/// over and that is later than [`PICKED_UP_LATE`].
fn note_pickup_delay(delay: Duration) {
    if delay > PICKED_UP_LATE {
        mark_contended(&CONTENDED_UNTIL_NS, Instant::now());
    }
}

/// How long a thread that starts waiting at `now` may spin, given `until` (a
/// [`CONTENDED_UNTIL_NS`]).
fn spin_limit(until: &AtomicU64, now: Instant) -> Duration {
    if clock_ns(now) < until.load(Ordering::Relaxed) {
        SPIN_CONTENDED
    } else {
        SPIN
    }
}

/// Spins until `flag` is set (returns true) or the spin limit has passed (false): [`SPIN`], or
/// [`SPIN_CONTENDED`] after a spinning thread found itself descheduled. Only a hint: callers
/// re-check their state under the lock, so a missed or stale flag costs time, never
/// correctness.
fn spin_on(flag: &AtomicBool) -> bool {
    let start = Instant::now();
    let limit = spin_limit(&CONTENDED_UNTIL_NS, start);
    let mut last = start;
    loop {
        for _ in 0..64 {
            if flag.load(Ordering::Acquire) {
                return true;
            }
            std::hint::spin_loop();
        }
        let now = Instant::now();
        if now.duration_since(last) > DESCHEDULED {
            mark_contended(&CONTENDED_UNTIL_NS, now);
            return false;
        }
        if now.duration_since(start) > limit {
            return false;
        }
        last = now;
    }
}

/// How often parallel calls look at how many threads the system has runnable.
const RUNNABLE_LOOKED_AT_EVERY: Duration = Duration::from_millis(1);

/// Cores left to our threads at the last look ([`usize::MAX`]: no look yet, or not known on
/// this system), and when it was taken (nanoseconds after [`clock_base`]).
static FREE_CORES: AtomicUsize = AtomicUsize::new(usize::MAX);
static FREE_CORES_AT_NS: AtomicU64 = AtomicU64::new(0);

/// Since when every look has found cores taken (nanoseconds after [`clock_base`]; 0: the last
/// look found all free).
static TAKEN_SINCE_NS: AtomicU64 = AtomicU64::new(0);

/// How long looks must find cores taken before parallel calls use fewer threads: longer than
/// the bursts of an idle machine's own threads (BENCHMARKS.md, session 17).
const TAKEN_FOR: Duration = Duration::from_millis(6);

/// Worker threads not asleep on their condition variable: runnable threads of ours.
static AWAKE_WORKERS: AtomicUsize = AtomicUsize::new(0);

/// How many of `wanted` threads a parallel call should run on now: all of them, unless
/// runnable threads of other processes (or other threads of the program) leave fewer cores
/// free; never fewer than one. A parallel call waits for its slowest thread, and a thread that
/// shares its core with a competitor is preempted every few milliseconds, so two threads
/// beside one competitor on two cores are slower than one (BENCHMARKS.md, session 17).
///
/// Looks at most every [`RUNNABLE_LOOKED_AT_EVERY`] at the kernel's count of runnable threads
/// (`/proc/loadavg`), less ours (the calling thread and the awake workers), against the
/// machine's cores. Only where the cores we may use are all the machine's: in a container
/// limited to some of a larger machine's cores the count says nothing about ours, and
/// `wanted` is kept, as it is on systems without `/proc` and when more threads are configured
/// than there are cores (those threads take each other's cores by the user's choice).
pub(crate) fn threads_for(wanted: usize) -> usize {
    if !fewer_threads_when_busy() {
        return wanted.max(1);
    }
    match Machine::get() {
        Some(machine) if (2..=machine.cores).contains(&wanted) => {
            let threads = wanted.min(free_cores(machine).max(1));
            if threads < wanted {
                // Started now, so that the first call on more threads does not start them.
                start_workers(wanted - 1);
            }
            threads
        }
        _ => wanted.max(1),
    }
}

/// [`threads_for`] the configured [`num_threads`].
pub(crate) fn threads_for_now() -> usize {
    threads_for(num_threads())
}

/// Cores of `machine` free for our threads ([`usize::MAX`] when the count cannot be read),
/// looked at again when the last look is older than [`RUNNABLE_LOOKED_AT_EVERY`].
fn free_cores(machine: &Machine) -> usize {
    let now = Instant::now();
    let now_ns = clock_ns(now);
    let at = FREE_CORES_AT_NS.load(Ordering::Relaxed);
    if now_ns.saturating_sub(at) < RUNNABLE_LOOKED_AT_EVERY.as_nanos() as u64
        // One caller looks at a time; the others take the last look.
        || FREE_CORES_AT_NS
            .compare_exchange(at, now_ns, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
    {
        return FREE_CORES.load(Ordering::Relaxed);
    }
    let seen = machine.runnable().map_or(usize::MAX, |runnable| {
        let ours = 1 + AWAKE_WORKERS.load(Ordering::Relaxed);
        free_cores_of(machine.cores, runnable, ours)
    });
    let since = taken_since(
        TAKEN_SINCE_NS.load(Ordering::Relaxed),
        at,
        now_ns,
        seen < machine.cores,
    );
    TAKEN_SINCE_NS.store(since, Ordering::Relaxed);
    let free = cores_to_use(since, now_ns, seen);
    FREE_CORES.store(free, Ordering::Relaxed);
    free
}

/// Since when looks have found cores taken (nanoseconds; 0: the last look found them free),
/// after a look at `now` that found them `taken` or not, the look before at `last` and the
/// run of taken looks before it began at `since`. A thread that runs for a moment (a kernel
/// worker, a daemon's tick) is no competitor: only cores taken at every look for a while
/// count, with no long gap between the looks.
fn taken_since(since: u64, last: u64, now: u64, taken: bool) -> u64 {
    let close = now.saturating_sub(last) <= TAKEN_FOR.as_nanos() as u64;
    match (taken, since) {
        (false, _) => 0,
        (true, since) if since != 0 && close => since,
        (true, _) => now.max(1),
    }
}

/// The free cores parallel calls act on at `now` ([`usize::MAX`]: all), when looks have found
/// cores taken since `since` (0: not) and the last found `seen` free.
fn cores_to_use(since: u64, now: u64, seen: usize) -> usize {
    if since != 0 && now.saturating_sub(since) >= TAKEN_FOR.as_nanos() as u64 {
        seen
    } else {
        usize::MAX
    }
}

/// Cores of `cores` that `runnable` threads, `ours` of them ours, leave to ours.
fn free_cores_of(cores: usize, runnable: usize, ours: usize) -> usize {
    cores.saturating_sub(runnable.saturating_sub(ours))
}

/// What [`free_cores`] reads: the machine's cores, when they are all ours, and the kernel's
/// count of runnable threads.
struct Machine {
    cores: usize,
    loadavg: std::fs::File,
}

impl Machine {
    /// The machine, if this system says how many threads are runnable and every online core
    /// is one we may run on.
    fn get() -> Option<&'static Machine> {
        static MACHINE: OnceLock<Option<Machine>> = OnceLock::new();
        MACHINE
            .get_or_init(|| {
                let online = std::fs::read_to_string("/sys/devices/system/cpu/online").ok()?;
                let cores = count_cpus(&online)?;
                let ours = thread::available_parallelism().ok()?.get();
                let loadavg = std::fs::File::open("/proc/loadavg").ok()?;
                (cores == ours).then_some(Machine { cores, loadavg })
            })
            .as_ref()
    }

    /// Threads runnable on the whole machine now (running or waiting for a core), ours
    /// included.
    #[cfg(unix)]
    fn runnable(&self) -> Option<usize> {
        use std::os::unix::fs::FileExt;
        let mut buf = [0u8; 128];
        let len = self.loadavg.read_at(&mut buf, 0).ok()?;
        runnable_in_loadavg(std::str::from_utf8(&buf[..len]).ok()?)
    }

    #[cfg(not(unix))]
    fn runnable(&self) -> Option<usize> {
        None
    }
}

/// The runnable count of a `/proc/loadavg` line (`0.50 0.61 0.70 3/245 12345`: the 3).
fn runnable_in_loadavg(line: &str) -> Option<usize> {
    line.split_whitespace()
        .nth(3)?
        .split('/')
        .next()?
        .parse()
        .ok()
}

/// The number of CPUs in a kernel CPU list such as `0-3,8,10-11`.
fn count_cpus(list: &str) -> Option<usize> {
    let mut count = 0;
    for part in list.trim().split(',') {
        count += match part.split_once('-') {
            Some((first, last)) => {
                let (first, last): (usize, usize) = (first.parse().ok()?, last.parse().ok()?);
                last.checked_sub(first)? + 1
            }
            None => part.parse::<usize>().map(|_| 1).ok()?,
        };
    }
    Some(count)
}

impl Worker {
    /// Starts worker thread number `index`, or says why the system would not.
    fn spawn(index: usize) -> std::io::Result<&'static Worker> {
        #[cfg(test)]
        if tests::REFUSE_SPAWN.load(Ordering::Relaxed) {
            return Err(std::io::Error::from_raw_os_error(11));
        }
        let worker = Worker {
            state: Mutex::new(State::Starting),
            changed: Condvar::new(),
            assigned: AtomicBool::new(false),
            done: AtomicBool::new(false),
            asleep: AtomicBool::new(false),
        };
        // A refused start leaks this small mailbox; no start is tried after one.
        let worker: &'static Worker = Box::leak(Box::new(worker));
        // Allocated here, while the caller waits, not whenever the new thread gets a core.
        let workspace = crate::gemm::full_workspace();
        let started = thread::Builder::new()
            .name(format!("dl-tensor-{index}"))
            .spawn(move || {
                crate::gemm::adopt_workspace(workspace);
                worker.serve()
            });
        started.map(|_| {
            worker.wait_started();
            worker
        })
    }

    /// Waits until the new thread runs: whatever the standard library allocates as a thread
    /// starts then happens before the call that started it returns, not in a later, warm one
    /// whenever the thread first gets a core.
    fn wait_started(&self) {
        let mut state = self.lock();
        while let State::Starting = *state {
            state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Marks the worker asleep or awake, counting it in [`AWAKE_WORKERS`].
    fn set_asleep(&self, asleep: bool) {
        if self.asleep.swap(asleep, Ordering::Relaxed) != asleep {
            if asleep {
                AWAKE_WORKERS.fetch_sub(1, Ordering::Relaxed);
            } else {
                AWAKE_WORKERS.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn start(&self, job: Job) {
        let mut state = self.lock();
        *state = State::Assigned(job);
        self.assigned.store(true, Ordering::Release);
        // Runnable from the notification on, before it runs.
        self.set_asleep(false);
        drop(state);
        self.changed.notify_all();
    }

    /// Ends the worker's part in the current call: a job it has not picked up yet is taken
    /// back (every task has been claimed by then, so it has nothing to do); a job it is running
    /// is waited for. Either way the worker no longer uses the job when this returns.
    fn finish(&self) -> Result<(), Panic> {
        let mut state = self.lock();
        if let State::Assigned(job) = &*state {
            note_pickup_delay(job.sent.elapsed());
            *state = State::Idle;
            self.assigned.store(false, Ordering::Relaxed);
            return Ok(());
        }
        drop(state);
        self.wait()
    }

    fn wait(&self) -> Result<(), Panic> {
        spin_on(&self.done);
        let mut state = self.lock();
        loop {
            match std::mem::replace(&mut *state, State::Idle) {
                State::Done(result) => {
                    self.done.store(false, Ordering::Relaxed);
                    return result;
                }
                other => *state = other,
            }
            state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// The worker thread's loop: wait for a job, run it, report.
    fn serve(&self) {
        IN_TASK.with(|f| f.set(true));
        AWAKE_WORKERS.fetch_add(1, Ordering::Relaxed);
        *self.lock() = State::Idle;
        self.changed.notify_all();
        loop {
            // A job already waiting measures how late the worker came back, not the hand-off.
            let waiting = self.assigned.load(Ordering::Acquire);
            let mut spun = spin_on(&self.assigned) && !waiting;
            let mut state = self.lock();
            let job = loop {
                if let State::Assigned(job) = *state {
                    break job;
                }
                // Taken back by the caller, or never there: what comes next is a wake-up.
                spun = false;
                self.set_asleep(true);
                state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
                self.set_asleep(false);
            };
            *state = State::Running;
            self.assigned.store(false, Ordering::Relaxed);
            drop(state);
            let late = job.sent.elapsed();
            if spun {
                // Seen while spinning: the delay is the hand-off itself, not a wake-up.
                record_handoff(late);
            }
            note_pickup_delay(late);
            let result = catch_unwind(AssertUnwindSafe(|| (job.share)(job.index)));
            let mut state = self.lock();
            *state = State::Done(result);
            self.done.store(true, Ordering::Release);
            drop(state);
            self.changed.notify_all();
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::{
        CONTENDED_FOR, SPIN, SPIN_CONTENDED, TAKEN_FOR, cores_to_use, count_cpus,
        fewer_when_busy_named, for_each_task_with, free_cores_of, mark_contended,
        next_handoff_estimate, runnable_in_loadavg, spin_limit, taken_since, threads_named,
    };
    use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
    use std::time::{Duration, Instant};

    #[test]
    fn the_busy_setting_from_the_environment_is_used_or_refused() {
        assert_eq!(fewer_when_busy_named(None), Ok(None));
        assert_eq!(fewer_when_busy_named(Some("0")), Ok(Some(false)));
        assert_eq!(fewer_when_busy_named(Some(" 1\n")), Ok(Some(true)));
        assert_eq!(
            fewer_when_busy_named(Some("yes")),
            Err(
                "DL_FEWER_THREADS_WHEN_BUSY=`yes`: expected 1 (fewer threads while other \
                 processes keep cores busy) or 0 (always the set count), or unset it"
                    .into()
            )
        );
    }

    #[test]
    fn the_thread_count_from_the_environment_is_used_or_refused() {
        assert_eq!(threads_named(None), Ok(None));
        assert_eq!(threads_named(Some("3")), Ok(Some(3)));
        assert_eq!(
            threads_named(Some("0")),
            Err("DL_NUM_THREADS=`0`: expected a positive number of threads (or unset it)".into())
        );
        assert!(threads_named(Some("two")).is_err());
    }

    #[test]
    fn a_descheduled_spin_keeps_spins_short_for_a_while() {
        // A state of its own, so that other tests' spins stay as they are.
        let until = AtomicU64::new(0);
        let now = Instant::now();
        assert_eq!(spin_limit(&until, now), SPIN);
        mark_contended(&until, now);
        assert_eq!(spin_limit(&until, now), SPIN_CONTENDED);
        assert_eq!(spin_limit(&until, now + CONTENDED_FOR / 2), SPIN_CONTENDED);
        assert_eq!(spin_limit(&until, now + CONTENDED_FOR * 2), SPIN);
    }

    /// A task that stalls until every other task of its call has run, as a thread whose core is
    /// taken by another process does: the other thread must claim them all rather than wait.
    /// With fixed shares (tasks `t, t + 2, …` per thread) half of them wait behind the stalled
    /// one. A call that ran inline (another test held the workers) cannot show it, so a few
    /// tries are allowed.
    #[test]
    fn tasks_a_stalled_thread_has_not_claimed_are_run_by_the_others() {
        let mut unstalled = false;
        for _ in 0..5 {
            let (done, first, timed_out) = (
                AtomicUsize::new(0),
                AtomicBool::new(true),
                AtomicBool::new(false),
            );
            for_each_task_with(2, 16, |_| {
                if first.swap(false, Ordering::SeqCst) {
                    let start = Instant::now();
                    while done.load(Ordering::SeqCst) < 15 {
                        if start.elapsed() > Duration::from_secs(2) {
                            timed_out.store(true, Ordering::SeqCst);
                            break;
                        }
                        std::thread::yield_now();
                    }
                }
                done.fetch_add(1, Ordering::SeqCst);
            });
            assert_eq!(done.load(Ordering::SeqCst), 16);
            if !timed_out.load(Ordering::SeqCst) {
                unstalled = true;
                break;
            }
        }
        assert!(unstalled, "the tasks waited behind a stalled one");
    }

    /// Chunks are claimed one by one, yet no scratch element is ever used by two threads at
    /// once, and every chunk is written once.
    #[test]
    fn a_scratch_element_has_one_user_at_a_time() {
        let busy: Vec<AtomicBool> = (0..2).map(|_| AtomicBool::new(false)).collect();
        let mut scratch: Vec<usize> = (0..2).collect();
        let mut v = vec![0usize; 64];
        super::for_each_chunk_with_scratch(&mut v, 3, &mut scratch, |i, chunk, slot| {
            assert!(
                !busy[*slot].swap(true, Ordering::SeqCst),
                "slot {slot} shared"
            );
            std::hint::black_box((0..1000).sum::<usize>());
            chunk.fill(i + 1);
            busy[*slot].store(false, Ordering::SeqCst);
        });
        let want: Vec<usize> = (0..64).map(|j| j / 3 + 1).collect();
        assert_eq!(v, want);
    }

    /// Makes every later worker start fail as if the system refused it (`EAGAIN`).
    pub(crate) static REFUSE_SPAWN: AtomicBool = AtomicBool::new(false);

    /// Set in the child process of [`a_refused_worker_start_runs_on_the_threads_that_started`].
    const CHILD: &str = "DL_TENSOR_REFUSE_SPAWN_CHILD";

    /// With the system refusing new threads after one worker, a call on 2, then 4, then 8 threads
    /// still runs every task once, on the two threads there are, and warns once. Runs in a child
    /// process: the refusal is global to the process.
    #[test]
    fn a_refused_worker_start_runs_on_the_threads_that_started() {
        let name = "threads::tests::a_refused_worker_start_runs_on_the_threads_that_started";
        if std::env::var_os(CHILD).is_some() {
            super::set_num_threads(8);
            assert_eq!(counts(2, 9), vec![1; 9]);
            REFUSE_SPAWN.store(true, Ordering::Relaxed);
            for threads in [4, 8, 3] {
                assert_eq!(counts(threads, 64), vec![1; 64], "{threads} threads");
            }
            assert_eq!(
                super::num_threads(),
                2,
                "the count is the threads that started"
            );
            let mut v = vec![0usize; 10];
            super::for_each_chunk_mut(&mut v, 3, |i, c| c.fill(i));
            assert_eq!(v, [0, 0, 0, 1, 1, 1, 2, 2, 2, 3]);
            return;
        }
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([name, "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD, "1")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        let said = format!("{}{err}", String::from_utf8_lossy(&out.stdout));
        // (exit code, words of the one warning line) as the table of what the user sees.
        let cases: [(&str, &[&str]); 1] = [(
            "warning: dl-tensor could start only",
            &[
                "1 worker thread(s)",
                "os error 11",
                "running on 2 thread(s) instead of 4",
            ],
        )];
        assert_eq!(out.status.code(), Some(0), "{said}");
        assert!(said.contains("1 passed"), "the child ran the test: {said}");
        for (line_start, words) in cases {
            let lines: Vec<&str> = err.lines().filter(|l| l.starts_with(line_start)).collect();
            assert_eq!(lines.len(), 1, "one warning line: {err}");
            for w in words {
                assert!(lines[0].contains(w), "`{w}` missing from: {}", lines[0]);
            }
        }
        assert!(!err.contains("panicked"), "{err}");
    }

    #[test]
    fn the_handoff_estimate_follows_shorter_samples_at_once_and_longer_ones_slowly() {
        assert_eq!(
            next_handoff_estimate(0, 500),
            500,
            "the first sample is taken as is"
        );
        assert_eq!(
            next_handoff_estimate(500, 100),
            100,
            "a shorter one at once"
        );
        assert_eq!(
            next_handoff_estimate(100, 108),
            101,
            "a longer one by an eighth of the gap"
        );
        assert_eq!(
            next_handoff_estimate(100, 100_000),
            113,
            "and never by more than an eighth of the estimate"
        );
        // From 100 ns, ten samples of 300 ns raise it above 200 ns (a slow hand-off).
        let mut ns = 100;
        for _ in 0..10 {
            ns = next_handoff_estimate(ns, 300);
        }
        assert!((200..300).contains(&ns), "{ns}");
    }

    #[test]
    fn the_kernels_counts_are_read() {
        assert_eq!(runnable_in_loadavg("0.50 0.61 0.70 3/245 12345\n"), Some(3));
        assert_eq!(runnable_in_loadavg("0.50 0.61 0.70"), None);
        assert_eq!(count_cpus("0-1\n"), Some(2));
        assert_eq!(count_cpus("0-3,8,10-11"), Some(7));
        assert_eq!(count_cpus("0"), Some(1));
        assert_eq!(count_cpus("3-1"), None);
        assert_eq!(count_cpus("x"), None);
        // 2 cores, 3 runnable of which 2 ours: one taken. More ours than runnable (a worker
        // counted awake before it runs): none taken.
        assert_eq!(free_cores_of(2, 3, 2), 1);
        assert_eq!(free_cores_of(2, 1, 2), 2);
        assert_eq!(free_cores_of(2, 5, 1), 0);
    }

    /// Cores count as taken only after every look has found them so for [`TAKEN_FOR`]; one look
    /// that finds them free, or a long gap between looks, starts over.
    #[test]
    fn only_cores_taken_for_a_while_count() {
        let ms = |t: f64| (t * 1e6) as u64;
        let taken_for = TAKEN_FOR.as_nanos() as u64;
        // Looks every millisecond from t = 10 ms, all finding one core of two free.
        let (mut since, mut last, mut used) = (0, ms(9.0), vec![]);
        for i in 0..10 {
            let now = ms(10.0 + i as f64);
            since = taken_since(since, last, now, true);
            used.push(cores_to_use(since, now, 1));
            last = now;
        }
        let first_reduced = used.iter().position(|&c| c == 1).unwrap();
        assert_eq!(first_reduced as u64, taken_for / ms(1.0), "{used:?}");
        assert!(used[first_reduced..].iter().all(|&c| c == 1), "{used:?}");
        // One look that finds the cores free ends it at once.
        since = taken_since(since, last, last + ms(1.0), false);
        assert_eq!(since, 0);
        assert_eq!(cores_to_use(since, last + ms(1.0), 2), usize::MAX);
        // Two looks far apart are not a while of taken cores.
        let since = taken_since(ms(10.0), ms(10.0), ms(10.0) + 2 * taken_for, true);
        assert_eq!(since, ms(10.0) + 2 * taken_for);
        assert_eq!(cores_to_use(since, since, 1), usize::MAX);
    }

    /// Set in the child process of [`threads_step_aside_for_a_competitor`].
    const BUSY_CHILD: &str = "DL_TENSOR_BUSY_CHILD";

    /// With a spinning thread on every core, parallel calls soon run on the calling thread
    /// alone, and the workers a call on two threads would use have been started all the same
    /// (a later call on two threads must not start them: starting allocates). In a child
    /// process, so that its state and spinning threads stay out of the other tests; on a
    /// system without `/proc` or with one core there is nothing to see.
    #[test]
    fn threads_step_aside_for_a_competitor() {
        let name = "threads::tests::threads_step_aside_for_a_competitor";
        if std::env::var_os(BUSY_CHILD).is_none() {
            let out = std::process::Command::new(std::env::current_exe().unwrap())
                .args([name, "--exact", "--nocapture", "--test-threads=1"])
                .env(BUSY_CHILD, "1")
                .output()
                .unwrap();
            let said = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert_eq!(out.status.code(), Some(0), "{said}");
            assert!(said.contains("1 passed"), "the child ran the test: {said}");
            return;
        }
        let Some(machine) = super::Machine::get().filter(|m| m.cores >= 2) else {
            eprintln!("no /proc/loadavg or one core: nothing to see");
            return;
        };
        super::set_num_threads(2);
        super::set_fewer_threads_when_busy(true);
        assert_eq!(super::STARTED_WORKERS.load(Ordering::Relaxed), 0);
        let stop = AtomicBool::new(false);
        let reduced = std::thread::scope(|s| {
            for _ in 0..machine.cores {
                s.spawn(|| {
                    while !stop.load(Ordering::Relaxed) {
                        std::hint::spin_loop();
                    }
                });
            }
            let start = Instant::now();
            let mut reduced = false;
            while !reduced && start.elapsed() < Duration::from_secs(5) {
                reduced = super::threads_for_now() == 1;
            }
            stop.store(true, Ordering::Relaxed);
            reduced
        });
        assert!(
            reduced,
            "still on two threads beside {} spinning",
            machine.cores
        );
        assert_eq!(super::STARTED_WORKERS.load(Ordering::Relaxed), 1);
    }

    /// How many times each of `n` tasks ran on `threads` threads.
    fn counts(threads: usize, n: usize) -> Vec<usize> {
        let hits: Vec<AtomicUsize> = (0..n).map(|_| AtomicUsize::new(0)).collect();
        for_each_task_with(threads, n, |i| {
            hits[i].fetch_add(1, Ordering::Relaxed);
        });
        hits.iter().map(|h| h.load(Ordering::Relaxed)).collect()
    }

    #[test]
    fn every_task_runs_once_whatever_the_thread_count() {
        for threads in [0, 1, 2, 3, 5, 8] {
            for n in [0, 1, 2, 7, 64] {
                assert_eq!(
                    counts(threads, n),
                    vec![1; n],
                    "{threads} threads, {n} tasks"
                );
            }
        }
    }

    #[test]
    fn callers_on_several_threads_share_the_workers() {
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..50 {
                        assert_eq!(counts(2, 9), vec![1; 9]);
                    }
                });
            }
        });
    }

    #[test]
    fn a_panicking_task_reaches_the_caller_and_the_workers_recover() {
        let caught = std::panic::catch_unwind(|| {
            for_each_task_with(2, 4, |i| {
                if i == 3 {
                    panic!("task 3 failed");
                }
            })
        });
        let payload = caught.expect_err("the panic propagates");
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"task 3 failed"));
        assert_eq!(counts(2, 6), vec![1; 6]);
    }
}

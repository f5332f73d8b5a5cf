"""Times a step the way `cargo xtask bench` does and prints its line.

Two untimed steps first (optimizer state, caches), then `reps` timed ones; the line is
`step=<name> threads=<t> ms=<median> min_ms=<fastest> reps=<n>  # <about>`, the format of
`cargo xtask bench`, so `compare.py` reads every implementation alike.
"""

import argparse
import statistics
import sys
import time


def time_step(run, reps):
    """Median and fastest wall-clock milliseconds of `reps` calls of `run` after two warm-ups."""
    run()
    run()
    ms = []
    for _ in range(reps):
        start = time.perf_counter()
        run()
        ms.append((time.perf_counter() - start) * 1e3)
    return statistics.median(ms), min(ms)


def main(steps, set_threads, what):
    """The command line of a peer: `<script> STEP… --threads T --reps N`.

    `steps` maps a step name to `(about, build)`, where `build()` returns the function that runs
    one step; `set_threads(t)` sets the library's thread count.
    """
    parser = argparse.ArgumentParser(description=f"Times the benchmark steps in {what}.")
    parser.add_argument("steps", nargs="*", help=f"steps (default: all): {', '.join(steps)}")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--reps", type=int, default=11)
    args = parser.parse_args()
    names = args.steps or list(steps)
    unknown = [n for n in names if n not in steps]
    if unknown:
        print(f"{what}: no step {', '.join(unknown)}; expected one of: {', '.join(steps)}",
              file=sys.stderr)
        return 3
    set_threads(args.threads)
    for name in names:
        about, build = steps[name]
        median, fastest = time_step(build(), args.reps)
        print(f"step={name} threads={args.threads} ms={median:.3f} min_ms={fastest:.3f} "
              f"reps={args.reps}  # {what}: {about}", flush=True)
    return 0


def sgemm_about(n):
    return f"SGEMM {n}x{n}x{n} f32, C = A·B"

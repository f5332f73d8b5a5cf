"""Ours against PyTorch and the course's NumPy style, on the steps of `cargo xtask bench`.

    python benches/peers/compare.py [--rounds R] [--reps N] [--threads 1 2] [--steps …]
                                    [--peers torch numpy] [--no-build] [--raw FILE]

Run it with the Python that has the peers' packages (`requirements.txt`). Each round times every
step on every thread count with every implementation, one after the other and in a rotated order,
so all see the same machine load: ours through `target/release/xtask bench STEP --threads T --reps
N` (SGEMM through the `gemm_gflops` example of dl-tensor), theirs through `torch_steps.py` and
`numpy_steps.py`, each a process of its own printing `step=… threads=… ms=…` lines. Each round
also measures this CPU's f32 FMA peak (dl-tensor's `fma_peak` example). Prints a table of the
medians over rounds (each round's number is itself the median of N repetitions) and the ratios
theirs ÷ ours (above 1: ours is faster).
"""

import argparse
import datetime
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
RELEASE = ROOT / "target" / "release"

TRAINING = ["mlp-sigmoid", "mlp-relu-deep", "deep-conv-net", "alexnet-forward", "alexnet-step",
            "keras-cnn"]
SGEMM = {"sgemm-512": 512, "sgemm-1024": 1024, "sgemm-2048": 2048}
PEERS = {"torch": "torch_steps.py", "numpy": "numpy_steps.py"}
TIMEOUT_S = 3600


def run(cmd, env=None, cwd=ROOT):
    """Runs `cmd`; returns its stdout, or None (with a note on stderr) when it fails."""
    try:
        out = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True,
                             timeout=TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as e:
        print(f"  ! {' '.join(map(str, cmd))}: {e}", file=sys.stderr)
        return None
    if out.returncode != 0:
        tail = out.stderr.strip().splitlines()[-3:]
        print(f"  ! {' '.join(map(str, cmd))} exited {out.returncode}: {' | '.join(tail)}",
              file=sys.stderr)
        return None
    return out.stdout


def fields(line):
    """`key=value` pairs of a result line (up to its `#` comment)."""
    return dict(f.split("=", 1) for f in line.split("#", 1)[0].split() if "=" in f)


def step_ms(stdout, step, threads):
    for line in (stdout or "").splitlines():
        if line.startswith("step="):
            f = fields(line)
            if f.get("step") == step and f.get("threads") == str(threads):
                return float(f["ms"])
    return None


def ours(step, threads, reps):
    if step in SGEMM:
        n = SGEMM[step]
        out = run([RELEASE / "examples" / "gemm_gflops", "--only", f"square{n}", "--threads",
                   str(threads), "--reps", str(reps)])
        for line in (out or "").splitlines():
            f = fields(line)
            if f.get("shape") == f"{n}x{n}x{n}":
                return 2 * n**3 / (float(f["dl-tensor"]) * 1e9) * 1e3
        return None
    out = run([RELEASE / "xtask", "bench", step, "--threads", str(threads), "--reps", str(reps)])
    return step_ms(out, step, threads)


def theirs(peer, step, threads, reps):
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    out = run([sys.executable, PEERS[peer], step, "--threads", str(threads), "--reps", str(reps)],
              env=env, cwd=HERE)
    return step_ms(out, step, threads)


def fma_peak(threads):
    out = run([RELEASE / "examples" / "fma_peak", "--threads", str(threads), "--reps", "3"])
    for line in (out or "").splitlines():
        f = fields(line)
        if "gflops" in f:
            return float(f["gflops"]), f.get("isa", "?")
    return None, "?"


def cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def versions():
    probe = "import numpy, torch; print(f'torch {torch.__version__}, numpy {numpy.__version__}')"
    out = run([sys.executable, "-c", probe])
    return out.strip() if out else "torch/numpy not importable"


def build():
    for cmd in (["cargo", "build", "--release", "--quiet", "-p", "xtask"],
                ["cargo", "build", "--release", "--quiet", "-p", "dl-tensor",
                 "--example", "gemm_gflops", "--example", "fma_peak"]):
        print(f"$ {' '.join(cmd)}", file=sys.stderr)
        subprocess.run(cmd, cwd=ROOT, check=True)


def fmt(x, digits=3):
    return "—" if x is None else f"{x:.{digits}f}"


def ratio(a, b):
    return None if a is None or b is None else a / b


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reps", type=int, default=5, help="timed repetitions per process")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--steps", nargs="+", default=TRAINING + list(SGEMM),
                        choices=TRAINING + list(SGEMM), metavar="STEP")
    parser.add_argument("--peers", nargs="+", default=list(PEERS), choices=list(PEERS))
    parser.add_argument("--skip", nargs="*", default=[], metavar="PEER:STEP",
                        help="pairs not to time, e.g. numpy:keras-cnn (slow in NumPy)")
    parser.add_argument("--no-build", action="store_true", help="use the binaries as they are")
    parser.add_argument("--raw", type=Path, help="also write every measurement (TSV) here")
    args = parser.parse_args()

    if not args.no_build:
        build()
    impls = ["ours"] + args.peers
    skip = set(args.skip)
    started = datetime.datetime.now().astimezone()
    load_before = os.getloadavg()
    ms = {}  # (impl, step, threads) → [ms per round]
    peaks = {t: [] for t in args.threads}
    isa = "?"
    raw = []
    for r in range(args.rounds):
        for threads in args.threads:
            peak, isa = fma_peak(threads)
            if peak is not None:
                peaks[threads].append(peak)
        for step in args.steps:
            for threads in args.threads:
                # A rotated order: no implementation always runs first (or right after another).
                k = (r + args.steps.index(step)) % len(impls)
                for impl in impls[k:] + impls[:k]:
                    if f"{impl}:{step}" in skip:
                        continue
                    t = (ours(step, threads, args.reps) if impl == "ours"
                         else theirs(impl, step, threads, args.reps))
                    ms.setdefault((impl, step, threads), []).append(t)
                    raw.append((r, step, threads, impl, t))
                    print(f"  round {r + 1}/{args.rounds} {step} threads={threads} {impl}: "
                          f"{fmt(t)} ms", file=sys.stderr, flush=True)
    load_after = os.getloadavg()

    def med(impl, step, threads):
        values = [v for v in ms.get((impl, step, threads), []) if v is not None]
        return statistics.median(values) if values else None

    print(f"# {started:%Y-%m-%d %H:%M %Z}, {cpu_model()}, {os.cpu_count()} CPUs; {versions()}")
    print(f"# rounds={args.rounds} reps={args.reps}; load average (1 min) {load_before[0]:.2f} "
          f"before, {load_after[0]:.2f} after")
    for threads in args.threads:
        if peaks[threads]:
            print(f"# f32 FMA peak on {threads} thread(s) ({isa}): "
                  f"{statistics.median(peaks[threads]):.1f} GF/s "
                  f"(rounds: {', '.join(f'{p:.1f}' for p in peaks[threads])})")
    print()
    head = "| step | threads | ours ms | " + " | ".join(f"{p} ms" for p in args.peers) + " | " + \
        " | ".join(f"{p} ÷ ours" for p in args.peers) + " |"
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    for step in args.steps:
        for threads in args.threads:
            o = med("ours", step, threads)
            th = [med(p, step, threads) for p in args.peers]
            print(f"| {step} | {threads} | {fmt(o)} | " + " | ".join(fmt(t) for t in th) + " | " +
                  " | ".join(fmt(ratio(t, o), 2) for t in th) + " |")
    gemms = [s for s in args.steps if s in SGEMM]
    if gemms:
        print()
        print("| SGEMM | threads | " + " | ".join(f"{i} GF/s" for i in impls) +
              " | ours of FMA peak |")
        print("|" + "---|" * (len(impls) + 3))
        for step in gemms:
            flop = 2 * SGEMM[step] ** 3
            for threads in args.threads:
                g = [None if (m := med(i, step, threads)) is None else flop / (m * 1e-3) / 1e9
                     for i in impls]
                peak = statistics.median(peaks[threads]) if peaks[threads] else None
                print(f"| {SGEMM[step]}³ | {threads} | " + " | ".join(fmt(x, 1) for x in g) +
                      f" | {fmt(ratio(g[0], peak), 2)} |")
    if args.raw:
        with args.raw.open("w") as f:
            f.write("round\tstep\tthreads\timpl\tms\n")
            for row in raw:
                f.write("\t".join("" if x is None else str(x) for x in row) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""What the timing benchmarks share: one thread, costlib from this checkout, the timer and the report.

Import it before numpy (``import _bench`` sorts first among the third-party imports): importing it
keeps numpy's thread pools to one thread. The scripts run as ``python benchmarks/bench_x.py``
(``make bench``), so this folder is on ``sys.path``. Scripts that start kernels or servers
(bench_app_kernel, bench_room, bench_browser, bench_notebooks) do not import it, as its thread
setting would reach the processes they measure; nor does bench_fidelity, whose calibration time is
measured with numpy's own threads.
"""
from __future__ import annotations

import os

# One core: keep numpy's thread pools (if any) to a single thread. Must precede importing numpy.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
if importlib.util.find_spec("costlib") is None:  # a checkout without `pip install -e .`
    sys.path.insert(0, str(ROOT))


def timeit(fn, repeats: int, warmup: int) -> tuple[float, float]:
    """(median, best) wall time of fn() in milliseconds, after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3, min(times) * 1e3


def timed_row(name: str, fn, target_ms, repeats: int, warmup: int, **extra) -> dict:
    """One row of a timing table: fn's median and best ms, its target (None: for information) and pass."""
    median, best = timeit(fn, repeats, warmup)
    return {"operation": name, **extra, "median_ms": median, "best_ms": best, "target_ms": target_ms,
            "repeats": repeats, "pass": None if target_ms is None else median <= target_ms}


def environment(*, processor: bool = False) -> dict:
    """Python, numpy and costlib versions, the machine (and processor) and the cores this process may use."""
    import numpy as np

    import costlib as cl

    env = {"python": platform.python_version(), "numpy": np.__version__, "costlib": cl.__version__,
           "machine": platform.machine()}
    if processor:
        env["processor"] = platform.processor() or platform.machine()
    env["cores_available"] = (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                              else os.cpu_count())
    return env


def versions(env: dict) -> str:
    """The environment as the tables' last sentence ends: "Python 3.12.3, numpy ..., x86_64 (2 cores available)."."""
    return (f"Python {env['python']}, numpy {env['numpy']}, costlib {env['costlib']}, "
            f"{env['machine']} ({env['cores_available']} cores available).")


def markdown(rows: list[dict], decimals: int, footer: str) -> str:
    """The timing rows as the README's table (median and best to ``decimals``), then ``footer``."""
    lines = ["| operation | median ms | best ms | target | result |", "|---|---:|---:|---:|---|"]
    for r in rows:
        target = "—" if r["target_ms"] is None else f"≤ {r['target_ms']:g} ms"
        result = "info" if r["pass"] is None else ("pass" if r["pass"] else "FAIL")
        lines.append(f"| {r['operation']} | {r['median_ms']:.{decimals}f} | {r['best_ms']:.{decimals}f} | {target} "
                     f"| {result} |")
    return "\n".join(lines + ["", footer])


def arguments(doc: str, argv, *, repeats: int, at_least: int, what: str):
    """Parse --repeats (at least ``at_least``, else exit 2), --json and --strict; the rows are ``what``s."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=repeats,
                    help=f"timed runs per {what} (>= {at_least}; default {repeats})")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    ap.add_argument("--strict", action="store_true", help=f"exit 1 if any {what} misses its target")
    args = ap.parse_args(argv)
    if args.repeats < at_least:
        ap.error(f"--repeats must be >= {at_least}")
    return args


def finish(args, rows: list[dict], env: dict, table: str) -> int:
    """Print the JSON object or the table; the exit status (1 with --strict when a row missed its target)."""
    print(json.dumps({"environment": env, "results": rows}) if args.json else table)
    return 1 if args.strict and any(r["pass"] is False for r in rows) else 0

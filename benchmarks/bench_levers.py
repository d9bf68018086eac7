"""Time the levers of issue #16: one quote with each lever, the tornado, the flip curve, and each lever explorer (not a test).

Each explorer gets ``--changes`` changes of one control after 2 warm-ups; the table reports the
median and 90th percentile wall time per change (costlib + figure + PNG), against the 50 ms target
the other explorers are held to.

    .venv/bin/python benchmarks/bench_levers.py [--changes 11]
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

import _bench  # noqa: F401  (first: one thread for numpy, costlib from this checkout)
import matplotlib

matplotlib.use("Agg")

import costlib as cl  # noqa: E402
from costlib.ui import lever_widgets  # noqa: E402

EXAMPLE = ("llama-3.1-70b", "H100-SXM", 2, "fp8", "fp8")
SHAPE = dict(input_len=1000, output_len=1000)
CHANGES = {
    "prefix_lever": ("hit_rate", lambda i: 0.05 * (i % 20)),
    "speculative_lever": ("alpha", lambda i: 0.5 + 0.02 * (i % 20)),
    "energy_lever": ("pue", lambda i: 1.1 + 0.02 * (i % 20)),
    "tornado_lever": ("utilization", lambda i: 0.4 + 0.02 * (i % 20)),
}
CALLS = {
    "quote (no lever)": lambda: cl.quote(*EXAMPLE, **SHAPE),
    "quote, all three levers": lambda: cl.quote(*EXAMPLE, **SHAPE, prefix_hit_rate=0.5, speculative=(0.7, 4, 0.05),
                                                usd_per_kwh=0.08),
    "sensitivity (tornado rows)": lambda: cl.sensitivity(*EXAMPLE, **SHAPE),
    "selfhost_vs_api (101 hit rates)": lambda: cl.selfhost_vs_api(*EXAMPLE, "deepinfra-llama-3.3-70b",
                                                                  input_len=8000, output_len=300),
    "crossover_batch (4,096 batches)": lambda: cl.crossover_batch(cl.deployment(*EXAMPLE), 1000, 1000, 0.7, 4, 0.05),
}


def _times(fn, n):
    fn()
    fn()
    out = []
    for i in range(n):
        t = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - t) * 1e3)
    return statistics.median(out), sorted(out)[int(0.9 * (len(out) - 1))]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--changes", type=int, default=11)
    n = ap.parse_args(argv).changes
    print("| call | median ms | p90 ms |\n|---|---:|---:|")
    for name, fn in CALLS.items():
        med, p90 = _times(lambda i=0, fn=fn: fn(), n)
        print(f"| {name} | {med:.1f} | {p90:.1f} |")
    print("\n| explorer (one control change) | median ms | p90 ms | target | result |\n|---|---:|---:|---:|---|")
    for name, (control, value) in CHANGES.items():
        ex = getattr(lever_widgets, name)()

        def change(i=0, ex=ex, control=control, value=value):
            ex.controls[control].value = value(i + 1)

        med, p90 = _times(change, n)
        print(f"| {name} ({control}) | {med:.0f} | {p90:.0f} | <= 50 ms | {'pass' if med <= 50 else 'fail'} |")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\nload average {load:.2f} at the end")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

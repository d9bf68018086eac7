"""Time costlib's core formulas on 1,000-point sweeps (run on demand: `make bench`; not a test).

Each operation is timed with time.perf_counter over many repeats (median and best of >= 20 runs, after a
warm-up). Target: a 1,000-point sweep in <= 5 ms on one core, so the widgets and plots redraw instantly.
Prints a markdown table for the README (or one JSON object with --json).

    .venv/bin/python benchmarks/bench_core.py [--repeats 50] [--json]
"""
from __future__ import annotations

import sys

import _bench  # first: one thread for numpy, costlib from this checkout
import numpy as np

import costlib as cl

N = 1000  # points per sweep
TARGET_MS = 5.0  # per 1,000-point sweep


def cases():
    """(operation, points, function, target ms or None, check of the result)."""
    # Llama 3.1 8B bf16 on one H100: at 256-token contexts its KV room holds ~1,750 sequences, so the
    # whole 1..1000 batch sweep fits and the physics-first fit check can stay on.
    dep = cl.deployment("llama-3.1-8b", "H100-SXM", tp=1, weights="bf16")
    moe = cl.deployment("mixtral-8x7b", "H100-SXM", tp=2, weights="fp8")
    batches = np.arange(1, N + 1, dtype=float)
    prices = np.linspace(0.5, 5.0, N)
    rates = np.linspace(500.0, 2000.0, N)
    assert cl.fit(dep, context=256, batch=N).fits

    def finite(x):
        return np.shape(x) == (N,) and bool(np.all(np.isfinite(x)))

    def plans():
        return [cl.capacity_plan(1e6, 10, 500, r) for r in rates.tolist()]

    from costlib.estimate.predict import max_throughput_table
    from costlib.physics.engine import step_time_s
    from costlib.physics.replica import replica_spec

    prof = cl.get_profile("calibrated")
    spec8, spec_moe = replica_spec(dep), replica_spec(moe)
    inputs = np.linspace(128, 20000, N)
    return [
        ("engine step_time_s over batch 1..1000 (dense 8B, context 2048, calibrated)", N,
         lambda: step_time_s(spec8, prof.mid, batches, batches * 2048, batches * 2048, batches), TARGET_MS,
         finite),
        ("engine step_time_s over batch 1..1000 (MoE 8x7B, TP=2, calibrated)", N,
         lambda: step_time_s(spec_moe, prof.mid, batches, batches * 2048, batches * 2048, batches), TARGET_MS,
         finite),
        ("engine max-throughput steady state over 1,000 prompt lengths (8B)", N,
         lambda: max_throughput_table(spec8, prof.mid, prof.limits, inputs, 500.0)["tokens_per_s"], TARGET_MS,
         finite),
        ("predict(): one deployment, band and ceiling (the calculator's call)", 1,
         lambda: cl.predict(moe, 1000, 1000), None, lambda e: e.fits),
        ("decode_step: step time over batch 1..1000 (dense 8B, context 2048)", N,
         lambda: cl.decode_step(dep, batches, 2048).step_time_s, TARGET_MS, finite),
        ("decode_step: step time over batch 1..1000 (MoE 8x7B, TP=2)", N,
         lambda: cl.decode_step(moe, batches, 2048).step_time_s, TARGET_MS, finite),
        ("usd_per_million_tokens over 1,000 prices", N,
         lambda: cl.usd_per_million_tokens(prices, 1000.0), TARGET_MS, finite),
        ("decode_usd_per_million over batch 1..1000 (check_fit=False)", N,
         lambda: cl.decode_usd_per_million(dep, 2.0, batches, 256, check_fit=False), TARGET_MS, finite),
        ("decode_usd_per_million over batch 1..1000 (fit checked)", N,
         lambda: cl.decode_usd_per_million(dep, 2.0, batches, 256), TARGET_MS, finite),
        ("sweep_batch DataFrame over batch 1..1000 (the widgets' table)", N,
         lambda: cl.sweep_batch(dep, 2.0, 256, batches=np.arange(1, N + 1)), TARGET_MS,
         lambda df: len(df) == N and bool(df["fits"].all())),
        ("capacity_plan: one call", 1,
         lambda: cl.capacity_plan(1e6, 10, 500, 1000), None, lambda p: p.gpus == 226),
        ("capacity_plan: 1,000-point sweep over per-GPU rates (arrays)", N,
         lambda: cl.capacity_plan(1e6, 10, 500, rates), TARGET_MS,
         lambda p: finite(p.gpus) and p.gpus[0] > p.gpus[-1]),
        ("capacity_plan: 1,000 separate calls (loop, for comparison)", N,
         plans, None, lambda ps: len(ps) == N and ps[0].gpus > ps[-1].gpus),
    ]


def run(repeats: int) -> list[dict]:
    rows = []
    for name, points, fn, target, check in cases():
        if not check(fn()):
            raise AssertionError(f"{name}: wrong result, timing would be meaningless")
        rows.append(_bench.timed_row(name, fn, target, repeats, warmup=3, points=points))
    return rows


def main(argv=None) -> int:
    args = _bench.arguments(__doc__, argv, repeats=20, at_least=20, what="operation")
    rows, env = run(args.repeats), _bench.environment(processor=True)
    footer = f"Median and best of {rows[0]['repeats']} runs after 3 warm-ups, one thread; {_bench.versions(env)}"
    return _bench.finish(args, rows, env, _bench.markdown(rows, 3, footer))


if __name__ == "__main__":
    sys.exit(main())

"""Time the serving simulation: 500 requests on one replica per call (run on demand: `make bench`; not a test).

Each case is timed with time.perf_counter (median and best of --repeats runs after one warm-up),
one thread. Target: one simulated load point (500 requests) in well under a second on this
2-core machine (the issue's `serve` CLI must answer within a second per point). Prints a markdown
table for the README (or one JSON object with --json).

    .venv/bin/python benchmarks/bench_serving.py [--repeats 7] [--json]
"""
from __future__ import annotations

import sys

import _bench  # first: one thread for numpy, costlib from this checkout

from costlib.catalog.deployment import deployment
from costlib.estimate.serving import engine_step, saturation_requests_per_s, simulate
from costlib.evidence.online import validate_online

TARGET_MS = 1000.0  # per simulated load point of 500 requests
REQUESTS = 500


def cases():
    """(operation, function, target ms or None)."""
    small = engine_step(deployment("llama-3.1-8b", "H100-SXM", 1, "bf16"))
    big = engine_step(deployment("llama-3.1-70b", "H100-SXM", 4, "fp8", "fp8"))
    out = []
    for label, step, i, o in (("Llama 3.1 8B bf16, 1x H100, 467/256", small, 467, 256),
                              ("Llama 3.1 70B fp8, 4x H100, 2000/300", big, 2000, 300)):
        sat = saturation_requests_per_s(step, i, o)
        for what, kw in (("50% of saturation, Poisson", {"rate": 0.5 * sat}),
                         ("90% of saturation, Poisson", {"rate": 0.9 * sat}),
                         ("90% of saturation, fixed", {"rate": 0.9 * sat, "arrivals": "fixed"}),
                         ("150% of saturation, Poisson", {"rate": 1.5 * sat}),
                         ("all at once (rate inf)", {"rate": "inf"}),
                         ("closed loop, 64 users", {"concurrency": 64})):
            out.append((f"{label}: {what}",
                        lambda step=step, i=i, o=o, kw=kw: simulate(step, i, o, requests=REQUESTS, **kw),
                        TARGET_MS))
        out.append((f"{label}: 2,000 requests at 90% of saturation, uniform lengths",
                    lambda step=step, i=i, o=o, sat=sat: simulate(step, i, o, rate=0.9 * sat, requests=2000,
                                                                  length_dist="uniform"), None))
    out.append(("validate_online: all 36 published rows (36 simulations)", lambda: validate_online(), None))
    serve_args = ["serve", "--model", "llama-3.1-70b", "--gpu", "H100-SXM", "--tp", "4", "--weights", "fp8",
                  "--kv", "fp8", "--input-len", "2000", "--output-len", "300", "--json"]
    slo_args = ["slo", "--model", "llama-3.1-70b", "--input-len", "2000", "--output-len", "300", "--rate", "20",
                "--ttft-p99-ms", "1000", "--itl-ms", "50", "--json"]
    out.append(("CLI serve (in-process main): 70B fp8 TP4 H100, 2000/300, 5 requests/s Poisson",
                lambda: _cli(serve_args + ["--rate", "5"]), TARGET_MS))
    out.append(("CLI serve (in-process main): the same, rate inf", lambda: _cli(serve_args + ["--rate", "inf"]),
                TARGET_MS))
    out.append(("CLI slo (in-process main): 70B 2000/300 at 20 requests/s, H100 SXM and H200 SXM",
                lambda: _cli(slo_args + ["--gpus", "H100-SXM", "H200-SXM"]), TARGET_MS))
    out.append(("CLI slo (in-process main): the same, every priced GPU", lambda: _cli(slo_args), TARGET_MS))
    tight = ["slo", "--model", "llama-3.1-70b", "--input-len", "2000", "--output-len", "300", "--rate", "5",
             "--ttft-p99-ms", "300", "--itl-ms", "30", "--gpus", "A100-SXM-80GB", "H100-SXM", "H200-SXM", "--json"]
    out.append(("CLI slo (in-process main): 70B 2000/300 at 5 requests/s, p99 TTFT 300 ms, A100/H100/H200",
                lambda: _cli(tight), TARGET_MS))
    return out


def _cli(argv):
    """Run ``python -m costlib`` in-process, output discarded."""
    import contextlib
    import io

    from costlib.ui.cli import main

    with contextlib.redirect_stdout(io.StringIO()):
        if main(argv) != 0:
            raise RuntimeError(f"CLI failed: {argv}")


def main(argv=None) -> int:
    args = _bench.arguments(__doc__, argv, repeats=7, at_least=3, what="case")
    rows = [_bench.timed_row(name, fn, target, args.repeats, warmup=1) for name, fn, target in cases()]
    env = _bench.environment()
    footer = (f"Median and best of {rows[0]['repeats']} runs after a warm-up, one thread; {REQUESTS} requests "
              f"per point unless stated; {_bench.versions(env)}")
    return _bench.finish(args, rows, env, _bench.markdown(rows, 1, footer))


if __name__ == "__main__":
    sys.exit(main())

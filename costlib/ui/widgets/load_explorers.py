"""Explorers for serving under load: a request-rate explorer and the cheapest fleet under an SLO (§30.4, §30.9).

Both are :class:`costlib.ui.widgets.Explorer` objects: controls, a text result and one figure. The
rate sweep behind the first is simulated once per deployment and workload (cached), so moving the
rate slider only redraws; the second runs :func:`costlib.economics.slo.slo_fleet` (seconds).
"""
from __future__ import annotations

import functools

from costlib.catalog.deployment import deployment
from costlib.catalog.tables import gpu_ids, gpu_usd_per_hour
from costlib.economics.slo import slo_fleet
from costlib.estimate.serving import engine_step, rate_sweep, saturation_requests_per_s, simulate
from costlib.ui import serving_plots
from costlib.ui.widgets import specs
from costlib.ui.widgets.explorer import Explorer

__all__ = ["load_explorer", "slo_explorer", "sweep_for", "LOAD_FRACTIONS"]

# the rates swept, as fractions of the saturation rate: dense near the knee
LOAD_FRACTIONS = (0.1, 0.3, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 1.0, 1.1, 1.3)
SWEEP_REQUESTS = 500


@functools.lru_cache(maxsize=32)
def sweep_for(model, gpu, tp, weights, kv, input_len, output_len):
    """(saturation requests/s, rate sweep DataFrame) of one replica at :data:`LOAD_FRACTIONS` of saturation (§30.4)."""
    dep = deployment(model, gpu, tp, weights, kv)
    step = engine_step(dep)
    sat = saturation_requests_per_s(step, input_len, output_len)
    if sat <= 0:
        raise ValueError(f"{dep.name}: one {input_len:,}+{output_len:,}-token request does not fit in the KV cache")
    df = rate_sweep(step, input_len, output_len, [f * sat for f in LOAD_FRACTIONS], requests=SWEEP_REQUESTS,
                    arrivals="poisson", seed=0)
    return sat, df


def load_explorer(model=None, gpu=None, tp=None, weights=None, kv=None, input_len=None, output_len=None, rate=None,
                  ttft_p99_ms=None):
    """TTFT and ITL vs request rate for one replica, the knee under a p99 TTFT target, $/M at the rate (§30.4)."""
    controls = specs.build("load_explorer", dict(model=model, gpu=gpu, tp=tp, weights=weights, kv=kv,
                                                 input_len=input_len, output_len=output_len, rate=rate,
                                                 ttft_p99_ms=ttft_p99_ms))

    def compute(v, ax):
        key = (v["model"], v["gpu"], int(v["tp"]), v["weights"], v["kv"], int(v["input_len"]), int(v["output_len"]))
        sat, df = sweep_for(*key)
        tgt = v["ttft_p99_ms"] / 1e3
        dep = deployment(*key[:5])
        step = engine_step(dep)
        r = simulate(step, key[5], key[6], rate=v["rate"], requests=SWEEP_REQUESTS, seed=0, keep_trace=False)
        serving_plots.latency_vs_rate(df, sat, tgt, point=(v["rate"], r.ttft_p99_s), ax=ax)
        price = gpu_usd_per_hour(v["gpu"]) * int(v["tp"])
        usd_m = price / (r.output_tokens_per_s * 3600 / 1e6)
        knee = serving_plots.knee_rate(df, tgt)
        return "\n".join([
            f"{dep.name}: saturation {sat:,.2f} requests/s; knee (p99 TTFT <= {tgt * 1e3:,.0f} ms) at "
            f"{knee:,.2f}/s of the swept rates ({knee / sat:.0%} of saturation)",
            f"at {v['rate']:,.2f} requests/s ({v['rate'] / sat:.0%} of saturation, Poisson): TTFT p99 "
            f"{r.ttft_p99_s * 1e3:,.0f} ms (mean {r.ttft_mean_s * 1e3:,.0f}), ITL mean {r.itl_mean_s * 1e3:,.1f} ms, "
            f"{r.mean_batch:,.1f} requests in flight",
            f"${usd_m:,.2f} per million output tokens at ${price:,.2f}/h on demand "
            f"({r.output_tokens_per_s:,.0f} output tokens/s)",
        ])

    return Explorer("Latency under load (§30.4)", controls, compute)


def slo_explorer(model=None, input_len=None, output_len=None, rate=None, ttft_p99_ms=None, itl_ms=None,
                 gpus=("H100-SXM", "H200-SXM", "B200", "L40S")):
    """The cheapest GPU x TP x precision x replicas meeting p99 TTFT and mean ITL at a rate (§30.9)."""
    preset = ", ".join(gpus) if gpus else None
    every = "every priced GPU"
    options = ([preset] if preset else []) + [every] + gpu_ids()
    controls = specs.build("slo_explorer", dict(model=model, input_len=input_len, output_len=output_len, rate=rate,
                                                ttft_p99_ms=ttft_p99_ms, itl_ms=itl_ms), opts={"gpus": options})

    def compute(v, ax):
        chosen = list(gpus) if v["gpus"] == preset else None if v["gpus"] == every else [v["gpus"]]
        f = slo_fleet(v["model"], int(v["input_len"]), int(v["output_len"]), v["rate"], v["ttft_p99_ms"] / 1e3,
                      v["itl_ms"] / 1e3, gpus=chosen)
        serving_plots.slo_candidates(f, ax=ax)
        lines = [f.message]
        if f.best is not None:
            b = f.best
            lines.append(f"${b.usd_per_million_input_tokens:,.3f}/M input or ${b.usd_per_million_output_tokens:,.2f}"
                         f"/M output tokens (the whole bill per million of each); {len(f.candidates)} candidates")
        rejected = [c for c in f.candidates if c.meets_slo is False][:3]
        lines += [f"rejected {c.tp}x {c.gpu} {c.weights}/{c.kv}: {c.reason}" for c in rejected]
        return "\n".join(lines)

    return Explorer("The cheapest fleet under an SLO (§30.9)", controls, compute, figsize=(7.5, 4.8))

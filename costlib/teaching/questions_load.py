"""Interview drills d18-d19 on serving under load: the knee and the SLO fleet (§30.4, §30.9).

d14 (Little's law, ``questions_scale``) opened serving under load; these two take the next free
numbers after the levers' d15-d17. The texts are data, ``costlib/data/questions_load.yaml``; the
tables at the end give the expected answers and the slips' values. Every latency a question shows
comes from :mod:`costlib.estimate.serving` (seeded Poisson arrivals, so the same numbers every
time), and the fleet from :func:`costlib.economics.slo.replicas_for_slo`.

| drill | skill | checked quantity |
|---|---|---|
| d18 | the knee: the largest rate per replica that keeps p99 TTFT under a target | requests/s per replica |
| d19 | the SLO fleet: replicas for the peak rate, p99 TTFT and mean ITL | $/month of the fleet |
"""
from __future__ import annotations

import functools
import math

from costlib.catalog.deployment import deployment
from costlib.catalog.tables import gpu_usd_per_hour
from costlib.common.units import HOURS_PER_MONTH
from costlib.economics.slo import replicas_for_slo
from costlib.estimate.serving import engine_step, saturation_requests_per_s, simulate
from costlib.teaching.chapter.inputs import Inputs

__all__ = ["D18", "D19", "INPUTS", "EXPECTED", "SLIPS", "TEXT_VALUES"]

_REPLICA = dict(model="llama-3.1-70b", gpu="H100-SXM", tp=4, weights="fp8", kv="fp8", prompt_tokens=2000,
                output_tokens=300, requests=500, seed=0)

D18 = Inputs(
    "Drill 18 (§30.4, the knee): one replica of Llama 3.1 70B with FP8 weights and KV cache on four "
    "H100s, requests of 2,000 input + 300 output tokens arriving at random (Poisson); latencies from "
    "costlib's simulation of 500 requests per rate (seed 0, calibrated profile)",
    rates_per_s=(3.0, 4.0, 5.0, 6.0, 7.0), ttft_p99_target_ms=400, **_REPLICA)

D19 = Inputs(
    "Drill 19 (§30.9, the SLO fleet): replicas of Llama 3.1 70B with FP8 weights and KV cache on four "
    "H100 SXM each (on-demand price), traffic averaging 8 requests/s with a peak 2.5 times that, "
    "requests of 2,000 input + 300 output tokens spread evenly over the replicas, Poisson arrivals; "
    "latencies from costlib's simulation of 500 requests per replica (seed 0, calibrated profile)",
    average_requests_per_s=8.0, peak_factor=2.5, replicas_shown=(3, 4, 5, 6), ttft_p99_target_ms=400,
    itl_mean_target_ms=40, tier="on_demand", **_REPLICA)


def _step():
    """The replica both drills simulate (D18 and D19 share it)."""
    r = _REPLICA
    return engine_step(deployment(r["model"], r["gpu"], r["tp"], r["weights"], r["kv"]))


@functools.lru_cache(maxsize=None)
def _run(rate):
    """One simulated load point of the shared replica (cached: the two drills show some of the same rates)."""
    r = _REPLICA
    return simulate(_step(), r["prompt_tokens"], r["output_tokens"], rate=rate, requests=r["requests"],
                    seed=r["seed"], keep_trace=False)


def _saturation() -> float:
    return saturation_requests_per_s(_step(), _REPLICA["prompt_tokens"], _REPLICA["output_tokens"])


# d18 --------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def _d18_table() -> tuple:
    """((rate, mean TTFT ms, p99 TTFT ms), ...) as the question shows them, in whole ms."""
    return tuple((r, round(x.ttft_mean_s * 1e3), round(x.ttft_p99_s * 1e3))
                 for r in D18.rates_per_s for x in [_run(r)])


def _d18_knee(column=2, first_miss=False, per="request"):
    """The largest rate whose TTFT (column 1 mean, 2 p99) is within the target (or the first over it)."""
    rows = _d18_table()
    ok = [r for r, *ms in rows if ms[column - 1] <= D18.ttft_p99_target_ms]
    miss = [r for r, *ms in rows if ms[column - 1] > D18.ttft_p99_target_ms]
    rate = min(miss) if first_miss else max(ok)
    return rate * (D18.output_tokens if per == "token" else 1)


# d19 --------------------------------------------------------------

def _d19_peak() -> float:
    return D19.average_requests_per_s * D19.peak_factor


@functools.lru_cache(maxsize=None)
def _d19_table() -> tuple:
    """((replicas, mean TTFT ms, p99 TTFT ms, mean ITL ms), ...) at the peak rate, as the question shows them."""
    return tuple((n, round(x.ttft_mean_s * 1e3), round(x.ttft_p99_s * 1e3), round(x.itl_mean_s * 1e4) / 10)
                 for n in D19.replicas_shown for x in [_run(_d19_peak() / n)])


@functools.lru_cache(maxsize=None)
def _d19_replicas(rate=None) -> int:
    """Fewest replicas meeting both targets at ``rate`` (default the peak): costlib.economics.slo."""
    dep = deployment(D19.model, D19.gpu, D19.tp, D19.weights, D19.kv)
    return replicas_for_slo(dep, D19.prompt_tokens, D19.output_tokens, _d19_peak() if rate is None else rate,
                            D19.ttft_p99_target_ms / 1e3, D19.itl_mean_target_ms / 1e3, requests=D19.requests,
                            seed=D19.seed)


def _d19_usd(replicas, gpus_per_replica=None) -> float:
    """The fleet's bill per month: replicas x GPUs per replica x $/GPU-hour x hours per month."""
    tp = D19.tp if gpus_per_replica is None else gpus_per_replica
    return replicas * tp * gpu_usd_per_hour(D19.gpu, D19.tier) * HOURS_PER_MONTH


def _d19_mean_replicas() -> int:
    """The slip: the fewest replicas shown whose MEAN TTFT (not p99) and mean ITL meet the targets."""
    return min(n for n, mean, _p99, itl in _d19_table()
               if mean <= D19.ttft_p99_target_ms and itl <= D19.itl_mean_target_ms)


def _d19_average_replicas() -> int:
    """The slip: the average rate over what one replica carries within the SLO (peak / replicas needed)."""
    per_replica = _d19_peak() / _d19_replicas()
    return math.ceil(D19.average_requests_per_s / per_replica - 1e-9)


def _d19_throughput_replicas() -> int:
    """The slip: replicas for the peak rate at each replica's saturation rate, no latency target."""
    return math.ceil(_d19_peak() / _saturation())


# ---------------------------------------------------------------- what the question data names

INPUTS = {"D18": D18, "D19": D19}

EXPECTED = {
    "d18": lambda: _d18_knee(),
    "d19": lambda: _d19_usd(_d19_replicas()),
}

# slip name -> a function computing the slipped answer from the drill's inputs
SLIPS = {
    "d18": {
        "mean_not_p99": lambda: _d18_knee(column=1),
        "no_queueing_wait": lambda: _saturation(),
        "first_miss": lambda: _d18_knee(first_miss=True),
        "tokens_not_requests": lambda: _d18_knee(per="token"),
    },
    "d19": {
        "mean_not_p99": lambda: _d19_usd(_d19_mean_replicas()),
        "average_not_peak": lambda: _d19_usd(_d19_average_replicas()),
        "no_queueing_wait": lambda: _d19_usd(_d19_throughput_replicas()),
        "replicas_not_gpus": lambda: _d19_usd(_d19_replicas(), gpus_per_replica=1),
    },
}


def _d18_values() -> dict:
    rows = "; ".join(f"{r:g}/s: mean {mean:,} ms, p99 {p99:,} ms" for r, mean, p99 in _d18_table())
    return {"d18_table": rows, "d18_rows": _d18_table(), "d18_saturation": _saturation()}


def _d19_values() -> dict:
    rows = "; ".join(f"{n} replicas ({_d19_peak() / n:.2f}/s each): mean TTFT {mean:,} ms, p99 TTFT {p99:,} ms, "
                     f"mean ITL {itl:.1f} ms" for n, mean, p99, itl in _d19_table())
    return {"d19_table": rows, "d19_rows": _d19_table(), "d19_peak": _d19_peak(), "d19_saturation": _saturation(),
            "d19_usd_per_gpu_hour": gpu_usd_per_hour(D19.gpu, D19.tier), "d19_hours": HOURS_PER_MONTH}


TEXT_VALUES = {"d18": _d18_values, "d19": _d19_values}

"""The prediction of a max-throughput run: a physical ceiling and a realistic low/mid/high (§30.3, §30.4).

A *measurement* is one row of the schema of ``costlib/data/measured.csv``: ``n_gpus`` GPUs as
``n_gpus / tp`` replicas, every request exactly ``input_len`` prompt tokens and ``output_len``
generated tokens, the engine batching as many requests as memory allows; the figure is the total
output tokens/s of all GPUs. For each row costlib predicts:

* **ceiling** -- a physical upper bound (see :func:`ceiling_tokens_per_s` for the argument);
* **low / mid / high** -- a realistic estimate from an :class:`~costlib.estimate.profiles.EfficiencyProfile`
  (MBU, MFU, usable memory, per-step overhead, link efficiency) and that profile's error band.

:func:`predict_row` predicts one deployment and request shape; :func:`predict` every usable row of
a table (:func:`costlib.estimate.measurements.read_measurements` reads one and skips bad rows with
a reason); :func:`costlib.evidence.validate.validate` compares the predictions with the measured
figures.
Row numbers are 0-based indices of the data rows (the first line after the header is row 0), as
in ``pandas.read_csv(FILE).index``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from costlib.common import checks as v
from costlib.estimate.features import stack_features
from costlib.estimate.measurements import (
    Measurement,
    MeasurementSet,
    parse_measurement,
    read_measurements,
)
from costlib.estimate.profiles import DEFAULT_PROFILE, EfficiencyProfile

__all__ = ['ceiling_tokens_per_s', 'mid_parts', 'mid_tokens_per_s', 'Prediction', 'resolve_profile', 'predict', 'predict_row']

def ceiling_from_features(F: dict):
    """Vectorised ceiling over stacked features (see ceiling_tokens_per_s)."""
    tp = F["tp"]
    steps = F["ctx_sum"] / F["cap_ceiling_tokens"]  # decode steps per request, at least
    bytes_ = steps * F["weight_read_min_bytes"] + F["kv_bytes_moved"]
    t = np.maximum(F["flops"] / (tp * F["peak_ceiling"]), bytes_ / (tp * F["hbm_bytes_per_s"]))
    return F["output_len"] / t * F["replicas"]


def ceiling_tokens_per_s(m: Measurement) -> float:
    """Physical upper bound on a run's total output tokens/s: no engine can beat it (§30.3, §30.4).

    Per replica and per request of I prompt and O output tokens, the run must at least:

    * do the FLOPs: prefill 2 x (active params - embeddings) x I + the output head once + causal
      attention 2 x layers x heads x head_dim x I (I + 1); then O - 1 decode tokens, each
      2 x (active params - input embedding) + attention 4 x layers x heads x head_dim x context;
    * move the bytes: write the KV of I + O - 1 tokens, read each decode token's whole cache
      (sum of contexts S = (O-1) I + (O-1) O / 2), and read the weights once per decode step --
      only the weights every step needs (dense: all but the input embedding table; MoE: the
      shared weights plus k experts per layer, the fewest any routing can touch);
    * fit in memory: a step decodes at most one token per resident sequence and the residents'
      contexts sum to at most the KV capacity (all HBM, read as GiB, minus the weights), so the
      number of decode steps is at least N x S / capacity for N requests -- the largest batch
      memory allows at the average context I + O/2, without rounding it down.

    Prefill can hide inside memory-bound decode steps (chunked prefill), so the time is bounded by
    the larger of FLOPs / peak and bytes / bandwidth, not their sum; peaks are datasheet dense
    rates of the fastest format no narrower than the weights or KV (:func:`ceiling_peak_flops`),
    bandwidth the datasheet HBM rate; TP communication, scheduling and kernel launches count as
    zero. On-chip caches (tens of MB) are ignored: they cannot hold a step's weights or cache.
    """
    if not isinstance(m, Measurement):
        raise ValueError(f"m must be a Measurement (from read_measurements), got {m!r}")
    return float(ceiling_from_features(stack_features([m]))[0])


def mid_parts(F: dict, p) -> dict:
    """Per-request seconds of the realistic model, part by part (vectorised)."""
    tp, o = F["tp"], F["output_len"]
    cap = (p.memory_fraction * tp * F["hbm_physical_bytes"] - F["weight_bytes"]) / F["kv_bytes_per_token"]
    batch = np.maximum(cap / F["avg_context"], 1.0)  # at least one sequence: the run happened
    moe = F["shared_read_bytes"] + F["expert_layer_bytes"] * F["n_experts"] * (
        1 - (1 - F["experts_per_token"] / F["n_experts"]) ** batch)  # uniform routing
    w_read = np.where(F["is_moe"] > 0, moe, F["weight_read_min_bytes"])
    steps = (o - 1) / batch
    memory_s = (steps * w_read + F["kv_bytes_moved"]) / (tp * F["hbm_bytes_per_s"] * p.mbu)
    compute_s = F["flops"] / (tp * F["peak_real"] * p.mfu)
    link = F["link_bytes_per_s"] * p.link_efficiency
    ring = 2 * (tp - 1) / tp * F["hidden_size"] * 2  # bytes per token per all-reduce (bf16 activations)
    comm_step = np.where(tp > 1, 2 * F["n_layers"] * (p.allreduce_latency_s + ring * batch / link), 0.0)
    comm_prefill = np.where(tp > 1, 2 * F["n_layers"] * ring * F["input_len"] / link, 0.0)
    return {"batch": batch, "decode_steps": steps, "memory_s": memory_s, "compute_s": compute_s,
            "overhead_s": steps * p.step_overhead_s, "comm_s": steps * comm_step + comm_prefill}


def mid_tokens_per_s(F: dict, p) -> np.ndarray:
    """Vectorised realistic estimate of total output tokens/s at profile ``p`` (see EfficiencyProfile)."""
    q = mid_parts(F, p)
    t = np.maximum(q["memory_s"], q["compute_s"]) + q["overhead_s"] + q["comm_s"]
    return F["output_len"] / t * F["replicas"]


@dataclass(frozen=True)
class Prediction:
    """Ceiling and low/mid/high output tokens/s for one row, next to the measured figure (§30.4)."""

    row: int
    measured: float
    ceiling: float
    low: float
    mid: float
    high: float

    @property
    def under_ceiling(self) -> bool:
        return self.measured <= self.ceiling

    @property
    def in_band(self) -> bool:
        return self.low <= self.measured <= self.high

    @property
    def error(self) -> float:
        """Signed relative error of mid: (mid - measured) / measured."""
        return (self.mid - self.measured) / self.measured

    def to_dict(self) -> dict:
        return {"row": self.row, "measured": self.measured, "ceiling": self.ceiling, "low": self.low,
                "mid": self.mid, "high": self.high}


def resolve_profile(profile):
    if profile is None:
        return DEFAULT_PROFILE
    if not isinstance(profile, EfficiencyProfile):
        raise ValueError(f"profile must be an EfficiencyProfile (from costlib.estimate.profiles), got {profile!r}")
    return profile


def predict(measurements, profile=None) -> list[Prediction]:
    """Predictions for every usable row of a measurement table (skipped rows are left out) (§30.4)."""
    ms = read_measurements(measurements)
    p = resolve_profile(profile)
    if not len(ms):
        return []
    F = stack_features(ms.measurements)
    ceil = ceiling_from_features(F)
    mid = np.minimum(mid_tokens_per_s(F, p), ceil)
    low = mid * p.band_low
    high = np.minimum(mid * p.band_high, ceil)  # physics first: never above the ceiling
    return [Prediction(row=m.row, measured=m.measured_tokens_per_s, ceiling=float(c), low=float(lo),
                       mid=float(mi), high=float(hi))
            for m, c, lo, mi, hi in zip(ms.measurements, ceil, low, mid, high, strict=True)]


def predict_row(gpu, model, *, tp=1, n_gpus=None, weights="bf16", kv=None, input_len=1000,
                output_len=1000, measured_tokens_per_s=None, profile=None) -> Prediction:
    """Ceiling and low/mid/high total output tokens/s for one deployment and request shape (§30.4).

    ``n_gpus`` defaults to ``tp`` (one replica). Raises ValueError naming the parameter for bad
    input, or "does not fit: ..." when the weights and one sequence exceed all of HBM.
    """
    n = tp if n_gpus is None else n_gpus
    rec = {"gpu": gpu, "model": model, "tp": tp, "n_gpus": n, "weight_dtype": weights,
           "kv_dtype": weights if kv is None else kv, "input_len": input_len, "output_len": output_len,
           "output_tokens_per_s": 1.0 if measured_tokens_per_s is None else measured_tokens_per_s}
    for key in ("gpu", "model", "weight_dtype", "kv_dtype"):
        val = rec[key]
        if not isinstance(val, str):
            if key in ("gpu", "model") and hasattr(val, "id"):
                rec[key] = val.id
            elif key in ("weight_dtype", "kv_dtype") and hasattr(val, "bytes_per_value"):
                rec[key] = val.name
            else:
                raise ValueError(f"{key} must be a catalog id string, got {val!r}")
    for key in ("tp", "n_gpus", "input_len", "output_len"):
        v.integer(key, rec[key], low=1, scalar=True)
    if measured_tokens_per_s is not None:
        v.number("measured_tokens_per_s", measured_tokens_per_s, scalar=True)
    m = parse_measurement(0, {k: str(val) for k, val in rec.items()})
    pred = predict(MeasurementSet(1, (m,), ()), profile)[0]
    if measured_tokens_per_s is None:
        pred = Prediction(row=0, measured=math.nan, ceiling=pred.ceiling, low=pred.low, mid=pred.mid,
                          high=pred.high)
    return pred

"""The one prediction path: a deployment and a workload in; tokens/s, TTFT and TPOT out, with a band (§30.3, §30.4).

Three workloads, all timed with the same master equation (:mod:`costlib.physics.engine`):

* **max throughput** (no batch given): the engine keeps as many requests in flight as its KV cache and
  limits allow and admits a new one whenever one finishes; each step decodes one token per running
  sequence and prefills the prompts of the newcomers (chunked, within the step's token budget);
* **fixed batch**: ``batch`` requests start together (static batching): their prompts are prefilled,
  then the batch decodes ``output_len - 1`` steps with a growing context;
* **prefill** (:func:`prefill_ttft_s`): one prompt alone, the time to its first token.

:func:`predict` returns an :class:`Estimate`: output tokens/s as ceiling/low/mid/high (totalled over all
GPUs), TTFT and TPOT as low/mid/high, the batch used and the profile's name. Memory is checked first: a
deployment that does not hold its weights and one request's KV cache (or the fixed batch's) is still an
answer, ``fits=False`` with the shortfall and what to try. The vectorised functions (``*_table``) take
stacked specs and arrays, so validation and calibration predict a whole table in one call.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..catalog.deployment import Deployment, deployment_arg
from ..common import checks as v
from ..physics.engine import (
    Efficiency,
    EngineLimits,
    kv_capacity_tokens,
    sequence_reservation_tokens,
    step_parts,
    step_time_s,
)
from ..physics.memory import replica_needed_bytes, replica_usable_bytes, smallest_tp
from ..physics.replica import ReplicaSpec, replica_spec
from .profiles import ceiling_profile, get_profile

__all__ = ["Band", "Estimate", "predict", "predict_batches", "prefill_ttft_s", "batch_for_tpot", "max_throughput_table", "fixed_batch_table",
           "prefill_table", "max_concurrency"]

GB = 1e9


@dataclass(frozen=True)
class Band:
    """Low, mid and high values of one estimate (low <= mid <= high), and the physics ceiling if any (§30.4)."""

    low: float
    mid: float
    high: float
    ceiling: float | None = None

    def as_dict(self) -> dict:
        d = {"low": self.low, "mid": self.mid, "high": self.high}
        if self.ceiling is not None:
            d = {"ceiling": self.ceiling, **d}
        return d


# ---------------------------------------------------------------- vectorised workloads

def max_concurrency(spec: ReplicaSpec, limits: EngineLimits, input_len, output_len, shared_prefix_len=0.0):
    """Average requests in flight at max throughput: KV capacity / tokens reserved each, within max_batch (§30.3).

    A prefix of ``shared_prefix_len`` tokens common to all requests (a system prompt) is stored once per
    replica; each request reserves only its own ``input_len - shared_prefix_len + output_len`` tokens.
    """
    cap = kv_capacity_tokens(spec, limits) - shared_prefix_len
    per = sequence_reservation_tokens(limits, input_len - shared_prefix_len, output_len)
    return np.minimum(np.maximum(cap, 0.0) / per, limits.max_batch)


def max_throughput_table(spec: ReplicaSpec, eff: Efficiency, limits: EngineLimits, input_len, output_len,
                         *, fewest_experts: bool = False, prefix_hit_rate=0.0, shared_prefix_len=0.0,
                         prefill_share: bool = False) -> dict:
    """Steady state of a replica at max throughput: tokens/s, sequences in flight, step time, TTFT (§30.3).

    In flight: B = min(KV capacity / reservation, max_batch). Each step decodes B tokens and, as B/O
    requests finish per step, prefills the B/O newcomers' prompts; a share ``prefix_hit_rate`` (h) of
    each prompt is already in the prefix cache, so only I (1 - h) tokens per prompt are computed (at
    least one: the last token is always run to get logits), attending to the I h cached ones. When the
    step's tokens exceed its budget, B shrinks to fit it. Output tokens/s = B / step time;
    with ``prefill_share=True`` it also gives the part of each step the prompts add: (step - the
    decode-only step) / step.
    """
    i = np.asarray(input_len, dtype=float)
    o = np.asarray(output_len, dtype=float)
    cached = i * prefix_hit_rate
    fresh = np.maximum(i - cached, 1.0)
    cached = i - fresh
    b = np.maximum(max_concurrency(spec, limits, i, o, shared_prefix_len), 0.0)
    new = b / o
    t = b + new * fresh
    shrink = np.where(t > limits.max_tokens, limits.max_tokens / np.maximum(t, 1e-30), 1.0)
    b, new = b * shrink, new * shrink
    t = b + new * fresh
    avg_ctx = i + o / 2
    pairs = b * avg_ctx + new * (fresh * cached + fresh * (fresh + 1) / 2)
    parts = step_parts(spec, eff, t, pairs, b * avg_ctx + new * cached, b + new, fewest_experts=fewest_experts)
    step = parts.step_time_s
    with np.errstate(divide="ignore", invalid="ignore"):
        tps = np.where(b > 0, b / step, 0.0)
    out = {}
    if prefill_share:
        decode_only = step_time_s(spec, eff, b, b * avg_ctx, b * avg_ctx, b, fewest_experts=fewest_experts)
        with np.errstate(divide="ignore", invalid="ignore"):
            out["prefill_share"] = np.where(step > 0, np.clip((step - decode_only) / step, 0.0, 1.0), 0.0)
    # a newcomer's prompt goes through in chunks of what the budget leaves beside the decoders
    room = np.maximum(limits.max_tokens - b, 1.0)
    ttft = np.ceil(fresh / np.minimum(room, fresh)) * step
    return {"tokens_per_s": tps, "batch": b, "step_time_s": step, "ttft_s": ttft, "parts": parts,
            "new_tokens": t, **out}


def _prefill(spec: ReplicaSpec, eff: Efficiency, limits: EngineLimits, n_prompts, input_len, cached_len=0.0):
    """Seconds to prefill ``n_prompts`` prompts of ``input_len`` tokens together, in budget-sized chunks; the
    first ``cached_len`` tokens of each come from the prefix cache (read, not computed)."""
    fresh = input_len - cached_len
    total = n_prompts * fresh
    chunks = np.maximum(np.ceil(total / limits.max_tokens), 1.0) if math.isfinite(limits.max_tokens) else 1.0
    per = total / chunks
    # chunk j of a prompt attends to the cached prefix and to the chunks before it (on average half)
    pairs = n_prompts * (fresh * cached_len + fresh * (fresh + 1) / 2) / chunks
    within = np.where(chunks > 1, per * (chunks - 1) / 2 * np.minimum(1.0, fresh / per), 0.0)
    read = within + np.maximum(n_prompts / chunks, 1.0) * cached_len
    return chunks * step_time_s(spec, eff, per, pairs, read, n_prompts / chunks)


def _cached_tokens(input_len, prefix_hit_rate):
    """Prompt tokens served from the prefix cache: I h, leaving at least the last token to compute (§30.3)."""
    return input_len - np.maximum(input_len * (1.0 - prefix_hit_rate), 1.0)


def prefill_table(spec: ReplicaSpec, eff: Efficiency, limits: EngineLimits, input_len, prefix_hit_rate=0.0):
    """Seconds from a lone prompt's arrival to its first token, without the front-end overhead (§30.3)."""
    i = np.asarray(input_len, dtype=float)
    return _prefill(spec, eff, limits, 1.0, i, _cached_tokens(i, prefix_hit_rate))


def fixed_batch_table(spec: ReplicaSpec, eff: Efficiency, limits: EngineLimits, batch, input_len,
                      output_len, prefix_hit_rate=0.0) -> dict:
    """``batch`` requests started together: prefill, then output_len - 1 decode steps (static batching) (§30.3).

    ``batch`` may be an array (a sweep). The decode steps run at contexts I + 1 ... I + O - 1; every
    term of a step is affine in the context (KV bytes and attention FLOPs grow with it, the rest does
    not), so while each kernel stays on one side of its roofline the O - 1 steps sum to O - 1 steps at
    the mean context I + O / 2. Where a kernel crosses over during the decode (possible only for the
    ceiling, whose kernels overlap), this is a lower bound on the time: the ceiling stays a ceiling.
    """
    b = np.asarray(batch, dtype=float)
    i, o = float(input_len), int(output_len)
    pre = _prefill(spec, eff, limits, b, i, float(_cached_tokens(i, prefix_hit_rate)))
    ctx = i + o / 2
    mid = step_parts(spec, eff, b, b * ctx, b * ctx, b)
    dec = (o - 1) * mid.step_time_s
    tpot = dec / (o - 1) if o > 1 else pre
    out = {"tokens_per_s": b * o / (pre + dec), "ttft_s": pre, "tpot_s": tpot, "batch": b,
           "prefill_share": pre / (pre + dec), "parts": mid}
    if np.ndim(b) == 0:
        out = {k: (val if k == "parts" else float(val)) for k, val in out.items()}
    return out


# ---------------------------------------------------------------- one deployment

@dataclass(frozen=True)
class Estimate:
    """What one deployment does on one workload: fit, output tokens/s, TTFT and TPOT with bands (§30.3, §30.4).

    ``output_tokens_per_s`` is totalled over all ``n_gpus`` (``replicas`` = n_gpus / TP); it and the
    latencies are None when the deployment does not fit (then ``message`` says by how much).
    """

    label: str
    workload: str  # "max throughput" or "fixed batch"
    input_len: int
    output_len: int
    n_gpus: int
    replicas: int
    profile: str
    fits: bool
    message: str
    needed_bytes: float
    memory_bytes: float
    shortfall_bytes: float
    batch: int | None
    output_tokens_per_s: Band | None
    ttft_s: Band | None
    tpot_s: Band | None
    bound: str | None = None
    prefix_hit_rate: float = 0.0
    shared_prefix_len: int = 0
    prefill_share: Band | None = None  # part of the GPU time the prompts take, at the low/mid/high estimate
    busy_fraction: float | None = None  # part of a mid step spent in kernels (not overheads or links)

    @property
    def ok(self) -> bool:
        return self.fits

    def as_dict(self) -> dict:
        """The JSON object of ``python -m costlib quote --json`` (without prices)."""
        return {"output_tokens_per_s": self.output_tokens_per_s.as_dict() if self.output_tokens_per_s else None,
                "ttft_s": self.ttft_s.as_dict() if self.ttft_s else None,
                "tpot_s": self.tpot_s.as_dict() if self.tpot_s else None,
                "batch": self.batch, "profile": self.profile, "fits": self.fits, "message": self.message}


def _fit_message(dep, spec, limits, tokens, what) -> tuple[bool, str, float, float, float]:
    """Physics first: do the weights, the reserve and ``tokens`` of KV fit? (fits, message, needed, memory, short)."""
    memory = float(spec.memory_bytes)
    reserve = memory - replica_usable_bytes(spec, limits)
    weights, _, held = replica_needed_bytes(spec, limits, tokens)
    kv = held - weights
    needed = held + reserve
    short = max(0.0, needed - memory)
    if short <= 0:
        return True, (f"fits: {dep.name} holds {what} in {needed / GB:,.1f} of {memory / GB:,.1f} GB"), \
            needed, memory, 0.0
    t = smallest_tp(dep, lambda _d: limits, tokens, max(8, dep.tp))
    fix = f"try TP={t} or a smaller precision" if t and t > dep.tp else "try a smaller precision, a shorter " \
        "request or a smaller batch" if t is None or t <= dep.tp else ""
    return False, (f"does not fit: {dep.name}: weights {weights / GB:,.1f} GB + engine reserve "
                   f"{reserve / GB:,.1f} GB + KV for {what} {kv / GB:,.1f} GB = {needed / GB:,.1f} GB, "
                   f"{memory / GB:,.1f} GB on {dep.tp} GPU(s) — short by {short / GB:,.1f} GB; {fix}"), \
        needed, memory, short


def _ordered_arrays(lo, mid, hi, ceiling=None) -> tuple:
    """(low, mid, high) sorted elementwise, each capped at the ceiling if one is given."""
    lo, hi = np.minimum(np.minimum(lo, mid), hi), np.maximum(np.maximum(lo, mid), hi)
    if ceiling is not None:
        lo, mid, hi = np.minimum(lo, ceiling), np.minimum(mid, ceiling), np.minimum(hi, ceiling)
    return lo, mid, hi


def _ordered(lo, mid, hi, ceiling=None) -> Band:
    lo, mid, hi = _ordered_arrays(lo, mid, hi, ceiling)
    return Band(float(lo), float(mid), float(hi), None if ceiling is None else float(ceiling))


def request_lengths(model, input_len, output_len) -> tuple[int, int]:
    """Checked prompt and output lengths: whole numbers >= 1 that together fit the model's context (§30.3)."""
    i = v.integer("input_len", input_len, low=1, high=model.max_context, scalar=True)
    o = v.integer("output_len", output_len, low=1, high=model.max_context, scalar=True)
    if i + o > model.max_context:
        raise ValueError(f"input_len + output_len = {i + o:,} exceeds the {model.max_context:,}-token "
                         f"context of {model.name}")
    return i, o


def _workload_levers(dep: Deployment, input_len: int, prefix_hit_rate, shared_prefix_len) -> tuple[float, int]:
    """Checked prefix-cache options: h in [0, 1] and a shared prefix of 0..input_len tokens (§30.3)."""
    h = v.number("prefix_hit_rate", prefix_hit_rate, low=0.0, low_inclusive=True, high=1.0, scalar=True)
    s = v.integer("shared_prefix_len", shared_prefix_len, low=0, high=input_len, scalar=True)
    return h, s


def _band_points(prof, runs: dict, tpot: dict, replicas: int) -> tuple[dict, dict, dict]:
    """The profile's band on the raw low/mid/high runs: tokens/s x factor x replicas, latencies / factor,
    TTFT + the front end's overhead (§30.4)."""
    tps = {pt: r["tokens_per_s"] * prof.factor(pt) * replicas for pt, r in runs.items()}
    ttft = {pt: r["ttft_s"] / prof.factor(pt) + prof.ttft_overhead_s for pt, r in runs.items()}
    return tps, ttft, {pt: t / prof.factor(pt) for pt, t in tpot.items()}


def predict_batches(dep: Deployment, input_len: int, output_len: int, batches, *, profile="calibrated",
                    prefix_hit_rate: float = 0.0) -> dict:
    """Fixed-batch estimates for many batches in one vectorised pass: what predict(batch=b) gives each (§30.9).

    Returns arrays keyed ``batch``, ``fits``, ``tokens_per_s_{low,mid,high,ceiling}``, ``tpot_s_{low,mid,high}``
    and ``ttft_s_{low,mid,high}`` (one replica; "low" is the slow end for tokens/s and the fast end for
    latencies); entries whose batch does not fit (KV cache or the engine's max_batch) are NaN.
    """
    deployment_arg(dep)
    prof = get_profile(profile)
    i, o = request_lengths(dep.model, input_len, output_len)
    h, _ = _workload_levers(dep, i, prefix_hit_rate, 0)
    b = np.atleast_1d(v.integer("batches", batches, low=1, high=1_000_000)).astype(float)
    spec = replica_spec(dep, ideal=prof.ideal)
    lim = prof.limits
    per = float(sequence_reservation_tokens(lim, i, o))
    _, _, held = replica_needed_bytes(spec, lim, b * per)
    fits = (held <= replica_usable_bytes(spec, lim)) & (b <= lim.max_batch)
    ceil = ceiling_profile()
    c = fixed_batch_table(replica_spec(dep, ideal=True), ceil.mid, ceil.limits, b, i, o, h)
    runs = {pt: fixed_batch_table(spec, prof.efficiency(pt), lim, b, i, o, h) for pt in ("low", "mid", "high")}
    tps, ttft, tpot = _band_points(prof, runs, {pt: r["tpot_s"] for pt, r in runs.items()}, 1)
    nan = np.where(fits, 1.0, np.nan)
    out = {"batch": b, "fits": fits, "tokens_per_s_ceiling": c["tokens_per_s"] * nan}
    bands = (("tokens_per_s", (tps["low"], tps["mid"], tps["high"], c["tokens_per_s"])),
             ("tpot_s", (tpot["high"], tpot["mid"], tpot["low"])), ("ttft_s", (ttft["high"], ttft["mid"], ttft["low"])))
    for name, args in bands:
        for pt, x in zip(("low", "mid", "high"), _ordered_arrays(*args), strict=True):
            out[f"{name}_{pt}"] = x * nan
    return out


def _by_efficiency(prof, table) -> dict:
    """{"low"|"mid"|"high": table(efficiency)}, the table run once per distinct Efficiency: a profile whose
    band is factors only (the ``calibrated`` one) has the same Efficiency behind all three points (§30.4)."""
    effs = {pt: prof.efficiency(pt) for pt in ("low", "mid", "high")}
    mid = table(effs["mid"])
    return {pt: mid if eff is effs["mid"] else table(eff) for pt, eff in effs.items()}


def predict(dep: Deployment, input_len: int, output_len: int, *, batch: int | None = None,
            n_gpus: int | None = None, profile="calibrated", prefix_hit_rate: float = 0.0,
            shared_prefix_len: int = 0) -> Estimate:
    """Output tokens/s, TTFT and TPOT of a deployment on a workload, with ceiling/low/mid/high (§30.3, §30.4).

    Without ``batch`` the workload is max throughput (the memory-limited batch that ``validate`` uses);
    with it, ``batch`` requests start together. ``n_gpus`` (default TP) must be a multiple of TP.
    Prefix caching: a share ``prefix_hit_rate`` of each prompt's tokens is served from the cache (not
    recomputed), and the first ``shared_prefix_len`` prompt tokens are common to all requests, so their
    KV cache is stored once per replica instead of once per request.
    """
    deployment_arg(dep)
    prof = get_profile(profile)
    i, o = request_lengths(dep.model, input_len, output_len)
    h, s = _workload_levers(dep, i, prefix_hit_rate, shared_prefix_len)
    n = dep.tp if n_gpus is None else v.integer("n_gpus", n_gpus, low=1, high=1_000_000, scalar=True)
    if n % dep.tp:
        raise ValueError(f"n_gpus must be a multiple of tp ({dep.tp}), got {n}")
    reps = n // dep.tp
    b = None if batch is None else v.integer("batch", batch, low=1, high=1_000_000, scalar=True)
    spec = replica_spec(dep, ideal=prof.ideal)
    lim = prof.limits
    per = float(sequence_reservation_tokens(lim, i - s, o))
    if b is None:
        ok, msg, need, mem, short = _fit_message(dep, spec, lim, per + s, f"one request of {i:,}+{o:,} tokens")
    else:
        ok, msg, need, mem, short = _fit_message(dep, spec, lim, b * per + s,
                                                 f"a batch of {b:,} x {i:,}+{o:,} tokens")
        if ok and b > lim.max_batch:
            ok, msg = False, f"does not fit: a batch of {b:,} exceeds the engine's max_batch of {lim.max_batch:,}"
    common = dict(label=dep.label, input_len=i, output_len=o, n_gpus=n, replicas=reps, profile=prof.name,
                  needed_bytes=need, memory_bytes=mem, shortfall_bytes=short, prefix_hit_rate=h,
                  shared_prefix_len=s)
    workload = "max throughput" if b is None else "fixed batch"
    if not ok:
        return Estimate(workload=workload, fits=False, message=msg, batch=b, output_tokens_per_s=None,
                        ttft_s=None, tpot_s=None, **common)
    ceil = ceiling_profile()
    cspec = replica_spec(dep, ideal=True)
    if b is None:
        c = max_throughput_table(cspec, ceil.mid, ceil.limits, i, o, fewest_experts=True, prefix_hit_rate=h,
                                 shared_prefix_len=s)
        runs = _by_efficiency(prof, lambda eff: max_throughput_table(spec, eff, lim, i, o, prefix_hit_rate=h,
                                                                     shared_prefix_len=s, prefill_share=True))
        used = int(max(1, math.floor(float(runs["mid"]["batch"]))))
        tpot = {pt: float(r["step_time_s"]) for pt, r in runs.items()}
    else:
        c = fixed_batch_table(cspec, ceil.mid, ceil.limits, b, i, o, h)
        runs = _by_efficiency(prof, lambda eff: fixed_batch_table(spec, eff, lim, b, i, o, h))
        used = b
        tpot = {pt: float(r["tpot_s"]) for pt, r in runs.items()}
    tps, ttft, tpot = _band_points(prof, runs, tpot, reps)
    # faster is "high" for tokens/s, "low" for the latencies
    tokens = _ordered(tps["low"], tps["mid"], tps["high"], float(c["tokens_per_s"]) * reps)
    bound = runs["mid"]["parts"].bound if b is None else None
    share = Band(*(float(runs[pt]["prefill_share"]) for pt in ("low", "mid", "high")))
    mp = runs["mid"]["parts"]
    busy = float((mp.step_time_s - mp.comm_s - mp.overhead_s) / mp.step_time_s)
    return Estimate(workload=workload, fits=True, message=msg, batch=used, output_tokens_per_s=tokens,
                    ttft_s=_ordered(ttft["high"], ttft["mid"], ttft["low"]),
                    tpot_s=_ordered(tpot["high"], tpot["mid"], tpot["low"]), bound=bound, prefill_share=share,
                    busy_fraction=busy, **common)


def prefill_ttft_s(dep: Deployment, input_len: int, profile="calibrated", prefix_hit_rate: float = 0.0) -> Band:
    """Time to first token of one prompt alone (batch 1), low/mid/high, front-end overhead included (§30.3)."""
    deployment_arg(dep)
    prof = get_profile(profile)
    i = v.integer("input_len", input_len, low=1, high=dep.model.max_context, scalar=True)
    h, _ = _workload_levers(dep, i, prefix_hit_rate, 0)
    spec = replica_spec(dep, ideal=prof.ideal)
    t = {pt: float(prefill_table(spec, prof.efficiency(pt), prof.limits, i, h)) / prof.factor(pt)
         + prof.ttft_overhead_s for pt in ("low", "mid", "high")}
    return _ordered(t["high"], t["mid"], t["low"])


def batch_for_tpot(dep: Deployment, input_len: int, output_len: int, tpot_target_s: float,
                   profile="calibrated", prefix_hit_rate: float = 0.0, shared_prefix_len: int = 0) -> int:
    """Largest fixed batch whose mid TPOT meets the target and whose KV cache fits; 0 if none (§30.9)."""
    deployment_arg(dep)
    prof = get_profile(profile)
    i, o = request_lengths(dep.model, input_len, output_len)
    target = v.number("tpot_target_s", tpot_target_s, high=60.0, scalar=True)
    h, s = _workload_levers(dep, i, prefix_hit_rate, shared_prefix_len)
    spec = replica_spec(dep, ideal=prof.ideal)
    per = float(sequence_reservation_tokens(prof.limits, i - s, o))
    cap = float(kv_capacity_tokens(spec, prof.limits)) - s
    hi = int(min(cap // per, prof.limits.max_batch)) if per > 0 and cap > 0 else 0

    def tpot(b):
        return fixed_batch_table(spec, prof.mid, prof.limits, b, i, o, h)["tpot_s"]

    if hi < 1 or tpot(1) > target:
        return 0
    lo = 1  # invariant: lo meets the target; the step time grows with the batch
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if tpot(mid) <= target:
            lo = mid
        else:
            hi = mid - 1
    return lo

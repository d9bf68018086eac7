"""Serving under load: one replica with in-flight batching, simulated step by step on the one engine (§30.4, §30.10).

What a user feels as the request rate grows: time to first token (TTFT) stays near the bare
prefill time, then, once the rate nears what the replica can sustain, grows by orders of magnitude.

The replica is scheduled the way TensorRT-LLM does by default (``costlib/data/online_serving.csv``
holds the published runs this is checked against, :mod:`costlib.evidence.online`):

* in-flight (continuous) batching: between two engine steps, waiting requests are admitted first
  come first served;
* "guaranteed no evict" admission: a request is admitted only if the KV cache can hold what
  :func:`~costlib.physics.engine.sequence_reservation_tokens` reserves for it (its whole prompt +
  output, in blocks of ``kv_block_tokens``); the queue's head blocks the requests behind it;
* chunked prefill: one step processes at most ``max_tokens`` new tokens, the decode tokens of running
  requests first, then prompt chunks in admission order; at most ``max_batch`` requests in flight.

Every step is timed by the master equation, :func:`costlib.physics.engine.step_time_s`, with the
profile's Efficiency; the KV capacity and the limits are the profile's :class:`EngineLimits`; every
TTFT adds the profile's ``ttft_overhead_s``. :class:`EngineStep` binds those together (no second
roofline). The saturation rate is the max-throughput steady state of
:func:`costlib.estimate.predict.max_throughput_table` divided by the output length.

Arrivals: fixed rate (evenly spaced, as the published benchmarks issue them), Poisson (seeded),
all at once (``rate=inf``), or closed loop (``concurrency`` users, each sending its next request
when the previous one ends). The default is Poisson: real traffic is bursty, and a fixed rate
hides all queueing below saturation, so it would understate the TTFT tail a capacity plan must
respect. :mod:`costlib.evidence.online` uses fixed arrivals, like the runs it reproduces.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np

from ..catalog.deployment import Deployment, deployment, deployment_arg
from ..common import checks as v
from ..physics import engine
from ..physics.engine import Efficiency, EngineLimits
from ..physics.replica import ReplicaSpec, replica_spec
from .predict import max_throughput_table
from .profiles import get_profile

__all__ = ["EngineStep", "engine_step", "ARRIVALS", "LENGTH_DISTRIBUTIONS", "RequestTrace", "ServingResult",
           "simulate", "serve", "rate_sweep", "max_rate_under_ttft_p99", "saturation_requests_per_s",
           "prefill_pairs", "weighted_quantile"]

ARRIVALS = ("poisson", "fixed")
DEFAULT_ARRIVALS = "poisson"
LENGTH_DISTRIBUTIONS = ("fixed", "uniform", "exponential")


# ---------------------------------------------------------------- the step: the one engine, bound to a replica

@dataclass(frozen=True)
class EngineStep:
    """One replica's engine step under a profile: the master equation with its Efficiency and limits (§30.3, §30.4).

    ``step_time_s`` is :func:`costlib.physics.engine.step_time_s` of ``spec`` with ``efficiency``;
    ``kv_capacity_tokens`` is :func:`costlib.physics.engine.kv_capacity_tokens` under ``limits``;
    ``ttft_overhead_s`` is the profile's front-end cost added to every first token.
    """

    spec: ReplicaSpec
    efficiency: Efficiency
    limits: EngineLimits
    ttft_overhead_s: float = 0.0
    label: str = ""

    def __post_init__(self):
        if not isinstance(self.spec, ReplicaSpec):
            raise ValueError(f"spec must be a ReplicaSpec (costlib.physics.replica.replica_spec), got {self.spec!r}")
        if not isinstance(self.efficiency, Efficiency):
            raise ValueError(f"efficiency must be an Efficiency, got {self.efficiency!r}")
        if not isinstance(self.limits, EngineLimits):
            raise ValueError(f"limits must be an EngineLimits, got {self.limits!r}")
        v.number("ttft_overhead_s", self.ttft_overhead_s, low=0.0, low_inclusive=True, high=60.0, scalar=True)

    @property
    def kv_capacity_tokens(self) -> int:
        """Tokens of KV cache the replica holds under the profile's limits (§30.3)."""
        return int(engine.kv_capacity_tokens(self.spec, self.limits))

    def step_time_s(self, new_tokens, attention_pairs, kv_read_tokens, logit_rows):
        """Seconds of one engine step: the master equation (arrays broadcast) (§30.3)."""
        return engine.step_time_s(self.spec, self.efficiency, new_tokens, attention_pairs, kv_read_tokens,
                                  logit_rows)


def engine_step(dep: Deployment, profile="calibrated", point: str = "mid") -> EngineStep:
    """The :class:`EngineStep` of a deployment under a profile's low, mid or high efficiency (§30.4)."""
    deployment_arg(dep)
    prof = get_profile(profile)
    eff = prof.efficiency(point)
    return EngineStep(replica_spec(dep, ideal=prof.ideal), eff, prof.limits, prof.ttft_overhead_s, dep.label)


def prefill_pairs(chunk_tokens, offset_tokens):
    """Attention pairs of a prompt chunk of n tokens starting at offset p: n p + n (n + 1) / 2 (§30.3)."""
    n = np.asarray(chunk_tokens, dtype=float)
    p = np.asarray(offset_tokens, dtype=float)
    out = n * p + n * (n + 1) / 2
    return float(out) if out.ndim == 0 else out


# ---------------------------------------------------------------- results

@dataclass(frozen=True, eq=False)
class RequestTrace:
    """Per-request times of one simulation, in seconds from the first arrival (engine clock) (§30.4)."""

    input_len: np.ndarray
    output_len: np.ndarray
    arrival_s: np.ndarray
    admit_s: np.ndarray
    first_token_s: np.ndarray  # end of the step that finished the prompt (front-end time not added)
    done_s: np.ndarray
    step_s: np.ndarray  # duration of every engine step
    step_batch: np.ndarray  # requests in flight (admitted, not done) during each step
    step_decode_tokens: np.ndarray  # decode tokens in each step (each one is an inter-token gap)


@dataclass(frozen=True)
class ServingResult:
    """What one replica delivers at a load: latencies, throughput, batch, and its saturation rate (§30.4)."""

    ttft_mean_s: float
    ttft_p50_s: float
    ttft_p90_s: float
    ttft_p99_s: float
    itl_mean_s: float
    itl_p99_s: float
    output_tokens_per_s: float
    achieved_requests_per_s: float
    mean_batch: float  # time-averaged requests in flight (admitted, not finished)
    mean_latency_s: float  # arrival to last token, as the user sees it
    mean_queue_s: float  # arrival to admission (waiting for a KV reservation or a batch slot)
    duration_s: float  # first arrival to last token
    saturation_requests_per_s: float  # largest sustainable rate, analytic (nan for a step that is not an EngineStep)
    requests: int
    arrivals: str  # "poisson", "fixed", "all_at_once" (rate inf) or "closed" (concurrency)
    rate_per_s: float | None
    concurrency: int | None
    max_batch: int  # requests whose reservations fit in the KV cache at once (<= max_batch_size)
    trace: RequestTrace | None = field(default=None, repr=False, compare=False)

    def as_dict(self) -> dict:
        """The scalar results (no trace), e.g. for JSON output."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "trace"}


# ---------------------------------------------------------------- inputs

def _check_step(step):
    for attr in ("step_time_s", "kv_capacity_tokens", "ttft_overhead_s", "limits"):
        if not hasattr(step, attr):
            raise ValueError("step must have step_time_s(new_tokens, attention_pairs, kv_read_tokens, logit_rows), "
                             f"kv_capacity_tokens, ttft_overhead_s and limits (an EngineStep); got {step!r}")
    if not isinstance(step.limits, EngineLimits):
        raise ValueError(f"step.limits must be an EngineLimits, got {step.limits!r}")
    return step


def _reserved_blocks(limits: EngineLimits, in_len, out_len):
    """KV blocks the engine sets aside per request (:func:`~costlib.physics.engine.sequence_reservation_tokens`)."""
    tokens = engine.sequence_reservation_tokens(limits, np.asarray(in_len), np.asarray(out_len))
    return np.ceil(np.asarray(tokens, dtype=float) / limits.kv_block_tokens).astype(np.int64)


def _rate(rate):
    if isinstance(rate, str):
        if rate.strip().lower() in ("inf", "infinity", "unbounded"):
            return math.inf
        raise ValueError(f"rate must be a number of requests per second > 0 or 'inf', got {rate!r}")
    if isinstance(rate, (int, float)) and not isinstance(rate, bool) and rate == math.inf:
        return math.inf
    return v.number("rate", rate, low=0.0, scalar=True)


def _lengths(name, mean, n, dist, spread, rng, low):
    m = v.integer(name, mean, low=low, scalar=True)
    if dist == "fixed":
        return np.full(n, m, dtype=np.int64)
    if dist == "uniform":  # integers evenly spread over [m (1 - s), m (1 + s)]
        lo, hi = max(low, round(m * (1 - spread))), max(low, round(m * (1 + spread)))
        return rng.integers(lo, hi + 1, size=n).astype(np.int64)
    # exponential: geometric integers >= 1 with mean m (shifted so the floor is `low`)
    return (low - 1 + rng.geometric(1.0 / (m - low + 1), size=n)).astype(np.int64)


def _arrivals(n, rate, kind, rng):
    if rate == math.inf:
        return np.zeros(n)
    if kind == "fixed":
        return np.arange(n) / rate
    gaps = rng.exponential(1.0 / rate, size=n)
    gaps[0] = 0.0  # the first request arrives at t = 0, as in the fixed case
    return np.cumsum(gaps)


def _blocks(tokens, block):
    return -(-tokens // block)


# ---------------------------------------------------------------- the analytic shortcut

def saturation_requests_per_s(step, input_len, output_len) -> float:
    """Largest request rate the replica sustains: max-throughput output tokens/s / output length (§30.4).

    A saturated replica has a queue, so it runs the max-throughput steady state of
    :func:`costlib.estimate.predict.max_throughput_table` (as many requests as the KV cache and the
    limits allow, newcomers' prompts prefilled in the decode steps); it completes tokens/s / O requests
    per second. The simulation at rate inf reaches the same steady state (tests/test_serving.py).
    """
    if not isinstance(step, EngineStep):
        raise ValueError(f"step must be an EngineStep (costlib.estimate.serving.engine_step), got {step!r}")
    i = v.integer("input_len", input_len, low=1, scalar=True)
    o = v.integer("output_len", output_len, low=1, scalar=True)
    if i + o > step.kv_capacity_tokens:
        return 0.0
    t = max_throughput_table(step.spec, step.efficiency, step.limits, float(i), float(o))
    return float(t["tokens_per_s"]) / o


# ---------------------------------------------------------------- the simulation

def weighted_quantile(values, weights, q: float) -> float:
    """The smallest value whose cumulative weight reaches q of the total (q in [0, 1])."""
    x = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float)
    keep = w > 0
    x, w = x[keep], w[keep]
    if x.size == 0:
        return float("nan")
    order = np.argsort(x, kind="stable")
    cw = np.cumsum(w[order])
    k = int(np.searchsorted(cw, q * cw[-1], side="left"))
    return float(x[order][min(k, x.size - 1)])


def simulate(step, input_len, output_len, *, rate=None, concurrency=None, requests: int = 500,
             arrivals: str = DEFAULT_ARRIVALS, seed: int = 0, length_dist: str = "fixed",
             length_spread: float = 0.5, keep_trace: bool = True,
             give_up_ttft_p99_s: float | None = None) -> ServingResult | None:
    """Simulate one replica serving ``requests`` requests at ``rate`` per second or ``concurrency`` users (§30.4).

    Give exactly one of ``rate`` (requests/s > 0, or ``math.inf``/``"inf"``: all at t = 0) and
    ``concurrency`` (closed loop: that many users, each sending its next request as soon as the
    previous one finishes). ``arrivals`` is ``"poisson"`` (default, seeded by ``seed``) or
    ``"fixed"`` (evenly spaced). ``length_dist``: ``"fixed"`` (every request exactly
    ``input_len``/``output_len`` tokens), ``"uniform"`` (integers uniform within
    +-``length_spread`` of them) or ``"exponential"`` (geometric, with those means). ``step`` is an
    :class:`EngineStep` (see :func:`engine_step`); its limits schedule the replica.

    With ``give_up_ttft_p99_s`` the run stops, returning None, as soon as enough requests have waited
    longer than it for their first token that the p99 TTFT must exceed it (a search such as
    :func:`costlib.economics.slo.slo_fleet` needs no more from a failing point).
    """
    _check_step(step)
    n = v.integer("requests", requests, low=1, scalar=True)
    if (rate is None) == (concurrency is None):
        raise ValueError("give exactly one of rate (requests per second, > 0, or 'inf') and concurrency "
                         f"(users, >= 1); got rate={rate!r}, concurrency={concurrency!r}")
    r = None if rate is None else _rate(rate)
    users = None if concurrency is None else v.integer("concurrency", concurrency, low=1, scalar=True)
    kind = v.choice("arrivals", arrivals, ARRIVALS)
    dist = v.choice("length_dist", length_dist, LENGTH_DISTRIBUTIONS)
    spread = v.number("length_spread", length_spread, low=0.0, low_inclusive=True, high=1.0, scalar=True)
    seed = v.integer("seed", seed, low=0, scalar=True)
    rng = np.random.default_rng(seed)
    in_len = _lengths("input_len", input_len, n, dist, spread, rng, 1)
    out_len = _lengths("output_len", output_len, n, dist, spread, rng, 1)
    arrival = _arrivals(n, r, kind, rng) if users is None else None
    lim = step.limits
    block = lim.kv_block_tokens
    total_blocks = int(step.kv_capacity_tokens) // block
    need = _reserved_blocks(lim, in_len, out_len)
    if total_blocks == 0:
        raise ValueError(f"step: the replica has no room for KV cache ({int(step.kv_capacity_tokens)} tokens): "
                         "its weights fill the memory; use more GPUs (tp) or a smaller weight precision")
    if need.max() > total_blocks:
        worst = int(np.argmax(need))
        raise ValueError(
            f"input_len + output_len: a request of {in_len[worst] + out_len[worst]:,} tokens needs "
            f"{need[worst] * block:,} tokens of KV cache, the replica holds {total_blocks * block:,}: "
            "use shorter requests, more GPUs (tp) or a smaller KV precision")
    fe = float(step.ttft_overhead_s)
    give_up = None
    if give_up_ttft_p99_s is not None:
        cap = v.number("give_up_ttft_p99_s", give_up_ttft_p99_s, scalar=True)
        # np.percentile(.., 99) interpolates from sorted index floor(0.99 (n - 1)): once n minus that many
        # requests are later than the cap, the p99 is above it
        give_up = (cap - fe, n - math.floor(0.99 * (n - 1)))
    tr = _run(step, in_len, out_len, need, total_blocks, arrival, users, lim, give_up)
    if tr is None:
        return None
    span = float(tr.done_s.max() - tr.arrival_s.min())
    duration = span + fe
    ttft = tr.first_token_s - tr.arrival_s + fe
    latency = tr.done_s - tr.arrival_s + fe
    gaps = tr.step_decode_tokens
    itl_mean = float(np.sum(tr.step_s * gaps) / gaps.sum()) if gaps.sum() else float("nan")
    q = np.percentile(ttft, [50, 90, 99])
    label = "closed" if users else ("all_at_once" if r == math.inf else kind)
    mean_in, mean_out = int(round(in_len.mean())), int(round(out_len.mean()))
    sat = saturation_requests_per_s(step, mean_in, mean_out) if isinstance(step, EngineStep) else math.nan
    max_batch = min(lim.max_batch, total_blocks // int(_reserved_blocks(lim, mean_in, mean_out)))
    return ServingResult(
        ttft_mean_s=float(ttft.mean()), ttft_p50_s=float(q[0]), ttft_p90_s=float(q[1]), ttft_p99_s=float(q[2]),
        itl_mean_s=itl_mean, itl_p99_s=weighted_quantile(tr.step_s, gaps, 0.99),
        output_tokens_per_s=float(out_len.sum() / duration), achieved_requests_per_s=n / duration,
        mean_batch=float(np.sum(tr.step_s * tr.step_batch) / span) if span > 0 else float("nan"),
        mean_latency_s=float(latency.mean()), mean_queue_s=float((tr.admit_s - tr.arrival_s).mean()),
        duration_s=duration, saturation_requests_per_s=sat, requests=n, arrivals=label,
        rate_per_s=r, concurrency=users, max_batch=int(max_batch), trace=tr if keep_trace else None)


def _run(step, in_len, out_len, need, total_blocks, arrival, users, lim: EngineLimits,
         give_up=None) -> RequestTrace | None:
    """The event loop: admit between steps, build each step's tokens, advance time (§30.4).

    ``give_up`` = (engine TTFT cap s, count): return None once ``count`` requests are certain to get
    their first token later than the cap after their arrival.
    """
    n = in_len.size
    closed = arrival is None
    arr = np.full(n, np.inf) if closed else arrival.astype(float)
    if closed:
        arr[:min(users, n)] = 0.0
    issued = min(users, n) if closed else n
    admit = np.full(n, np.nan)
    first = np.full(n, np.nan)
    done = np.full(n, np.nan)
    prefilled = np.zeros(n, dtype=np.int64)
    generated = np.zeros(n, dtype=np.int64)
    run = np.zeros(0, dtype=np.int64)  # admitted, unfinished, in admission order
    head = 0  # next request to admit (arrivals are in index order)
    free = total_blocks
    t = 0.0
    finished = 0
    steps, batches, decodes = [], [], []
    budget = lim.max_tokens
    late = 0  # requests whose first token came later than the give-up cap
    while finished < n:
        if give_up is not None:  # those still without a first token that arrived more than the cap ago
            overdue = int(np.searchsorted(arr, t - give_up[0], side="left"))
            if late + int(np.count_nonzero(np.isnan(first[:overdue]))) >= give_up[1]:
                return None
        arrived = int(np.searchsorted(arr, t, side="right"))
        # FCFS admission: the head of the queue blocks those behind it
        start = head
        while head < arrived and run.size + (head - start) < lim.max_batch and need[head] <= free:
            free -= need[head]
            head += 1
        if head > start:
            new = np.arange(start, head)
            admit[new] = t
            run = np.concatenate([run, new])
        if run.size == 0:  # idle: jump to the next arrival
            t = max(t, float(arr[head]))
            continue
        in_r, gen_r, pf_r = in_len[run], generated[run], prefilled[run]
        pre = pf_r < in_r
        if pre.any():  # one mixed step: decode tokens first, then prompt chunks in admission order
            dec = ~pre
            ctx = in_r[dec] + gen_r[dec]
            n_dec = ctx.size
            off = pf_r[pre]
            rem = in_r[pre] - off
            room = max(0, budget - n_dec)
            before = np.cumsum(rem) - rem
            chunk = np.minimum(np.maximum(room - before, 0), rem)
            tokens = n_dec + int(chunk.sum())
            ctx_sum = int(ctx.sum())
            pairs = float(ctx_sum) + float(np.sum(chunk * off + chunk * (chunk + 1) / 2))
            some = chunk > 0
            kv_read = float(ctx_sum - n_dec) + float(np.sum(off[some]))
            finishing = int(np.count_nonzero(some & (chunk == rem)))  # prompts done this step
            dt = float(step.step_time_s(tokens, pairs, kv_read, n_dec + finishing))
            t += dt
            steps.append(dt)  # scalars and arrays, joined by np.hstack at the end
            batches.append(run.size)
            decodes.append(n_dec)
            generated[run[dec]] += 1
            idx = run[pre]
            prefilled[idx] += chunk
            now_done = idx[(prefilled[idx] == in_len[idx]) & (chunk > 0)]
            generated[now_done] = 1
            first[now_done] = t
            if give_up is not None:
                late += int(np.count_nonzero(t - arr[now_done] > give_up[0]))
        else:  # only decode: run identical steps up to the next completion or admission chance
            b = run.size
            rem_out = out_len[run] - gen_r
            k = int(rem_out.min())
            ctx0 = float((in_r + gen_r).sum())
            pairs = ctx0 + b * np.arange(k)
            dts = np.asarray(step.step_time_s(b, pairs, pairs - b, b), dtype=float) * np.ones(k)
            ends = t + np.cumsum(dts)
            if head == arrived and head < n and np.isfinite(arr[head]):
                # the queue is empty: stop at the first step boundary at or after the next arrival
                starts = ends - dts
                k = max(1, int(np.searchsorted(starts, arr[head], side="left")))
            t = float(ends[k - 1])
            steps.append(dts[:k])
            batches.append(np.full(k, b))
            decodes.append(np.full(k, b))
            generated[run] += k
        ended = generated[run] >= out_len[run]
        if ended.any():
            fin = run[ended]
            done[fin] = t
            free += int(need[fin].sum())
            finished += fin.size
            run = run[~ended]
            if closed and issued < n:  # each finished user sends the next request now
                m = min(fin.size, n - issued)
                arr[issued:issued + m] = t
                issued += m
    return RequestTrace(input_len=in_len, output_len=out_len, arrival_s=arr, admit_s=admit, first_token_s=first,
                        done_s=done, step_s=np.hstack(steps).astype(float),
                        step_batch=np.hstack(batches).astype(np.int64),
                        step_decode_tokens=np.hstack(decodes).astype(np.int64))


# ---------------------------------------------------------------- thin wrappers (CLI, explorers)

def serve(model, gpu, tp: int = 1, weights="bf16", kv=None, *, input_len, output_len, rate=None, concurrency=None,
          requests: int = 500, arrivals: str = DEFAULT_ARRIVALS, seed: int = 0, length_dist: str = "fixed",
          length_spread: float = 0.5, profile="calibrated") -> ServingResult:
    """Simulate a catalog deployment under load: :func:`engine_step` + :func:`simulate` (§30.4)."""
    step = engine_step(deployment(model, gpu, tp, weights, kv), profile)
    return simulate(step, input_len, output_len, rate=rate, concurrency=concurrency, requests=requests,
                    arrivals=arrivals, seed=seed, length_dist=length_dist, length_spread=length_spread)


def rate_sweep(step, input_len, output_len, rates, **simulate_kwargs):
    """One row per request rate: the scalar results of :func:`simulate`, as a DataFrame (§30.4)."""
    import pandas as pd

    items = v.non_empty("rates", rates, what="request rates per second (> 0, or 'inf')")
    simulate_kwargs["keep_trace"] = False
    return pd.DataFrame([simulate(step, input_len, output_len, rate=r, **simulate_kwargs).as_dict() for r in items])


def max_rate_under_ttft_p99(step, input_len, output_len, ttft_p99_s, *, tolerance: float = 0.01,
                            **simulate_kwargs) -> float:
    """Largest request rate whose simulated p99 TTFT stays within ``ttft_p99_s`` (0.0 if even a trickle misses) (§30.4).

    Bisection on the rate between 0 and the saturation rate, to ``tolerance`` x saturation; never
    above saturation, where the queue grows without bound however short a finite run looks.
    With seeded Poisson arrivals (the default) every rate sees the same arrival pattern, scaled.
    """
    _check_step(step)
    target = v.number("ttft_p99_s", ttft_p99_s, scalar=True)
    tol = v.number("tolerance", tolerance, high=0.5, scalar=True)
    if "rate" in simulate_kwargs or "concurrency" in simulate_kwargs:
        raise ValueError("max_rate_under_ttft_p99 searches the rate: do not pass rate or concurrency")
    simulate_kwargs["keep_trace"] = False
    sat = saturation_requests_per_s(step, input_len, output_len)
    if sat <= 0:
        return 0.0

    def p99(rate):  # only compared with the target: a run stops once its p99 must exceed it
        r = simulate(step, input_len, output_len, rate=rate, give_up_ttft_p99_s=target, **simulate_kwargs)
        return math.inf if r is None else r.ttft_p99_s

    hi = sat
    if p99(tol * sat) > target:
        return 0.0
    lo = tol * sat
    if p99(hi) <= target:
        return hi
    while hi - lo > tol * sat:
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if p99(mid) <= target else (lo, mid)
    return lo

"""Serving under load: one replica with in-flight batching, simulated step by step (§30.4, §30.10).

What a user feels as the request rate grows: time to first token (TTFT) stays near the bare
prefill time, then, once the rate nears what the replica can sustain, grows by orders of magnitude.

The replica is simulated the way TensorRT-LLM schedules it (its documented defaults, see
``costlib/data/online_serving.csv`` for the runs this is checked against):

* in-flight (continuous) batching: between two engine steps, waiting requests are admitted first
  come first served;
* "guaranteed no evict" admission: a request is admitted only if the KV cache can hold its whole
  prompt + output, reserved in blocks of ``block_tokens`` (64) tokens; the queue's head blocks
  the requests behind it;
* chunked prefill: one step processes at most ``max_num_tokens`` (8192) new tokens, the decode
  tokens of running requests first, then prompt chunks in admission order;
* at most ``max_batch_size`` (2048) requests in flight.

The cost of one step comes from a *step model*: any object with ``step_time_s(new_tokens,
attention_pairs, kv_read_tokens)`` (numpy-vectorised), ``kv_capacity_tokens`` and
``frontend_s`` (fixed time added to every TTFT: tokenisation, scheduling, the first sampling).
:class:`StandInStep` is a roofline of that shape built from costlib's catalog with a few global
efficiencies (:class:`StepParams`); the workbook's one engine can replace it.

Arrivals: fixed rate (evenly spaced, as the published benchmarks issue them), Poisson (seeded),
all at once (``rate=inf``), or closed loop (``concurrency`` users, each sending its next request
when the previous one ends). The default is Poisson: real traffic is bursty, and a fixed rate
hides all queueing below saturation, so it would understate the TTFT tail a capacity plan must
respect. :func:`costlib.serving_validation` uses fixed arrivals, like the runs it reproduces.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np

from . import _validate as v
from .catalog import get_gpu, get_model, get_precision
from .memory import kv_bytes_per_token, weight_bytes
from .validation import physical_hbm_bytes

__all__ = ["StepParams", "DEFAULT_STEP_PARAMS", "StandInStep", "step_for", "SchedulerConfig", "DEFAULT_SCHEDULER",
           "ARRIVALS", "LENGTH_DISTRIBUTIONS", "RequestTrace", "ServingResult", "simulate", "serve",
           "rate_sweep", "max_rate_under_ttft_p99", "saturation_requests_per_s", "prefill_pairs",
           "weighted_quantile"]

ARRIVALS = ("poisson", "fixed")
DEFAULT_ARRIVALS = "poisson"
LENGTH_DISTRIBUTIONS = ("fixed", "uniform", "exponential")
ACTIVATION_BYTES = 2  # bf16 activations exchanged by tensor-parallel all-reduces


# ---------------------------------------------------------------- the step model (stand-in)

@dataclass(frozen=True)
class StepParams:
    """Global efficiencies of the stand-in step model: the same for every GPU, model and row (§30.4).

    * ``mbu`` / ``mfu``: achieved share of HBM bandwidth / dense peak FLOP/s within one step;
    * ``step_overhead_s``: fixed time per engine step (scheduling, launches, sampling);
    * ``layer_overhead_s``: fixed time per layer per step (kernel launches that grow with depth);
    * ``allreduce_latency_s`` / ``link_efficiency``: one TP all-reduce's fixed latency, and the
      share of the per-direction link bandwidth it achieves;
    * ``kv_memory_fraction``: share of the memory left after weights and ``reserve_bytes_per_gpu``
      (activations, CUDA context) that holds the KV cache (TensorRT-LLM's default is 0.9);
    * ``frontend_s``: fixed time added to every time to first token (tokenise, queue, detokenise).
    """

    mbu: float = 0.80
    mfu: float = 0.55
    step_overhead_s: float = 1.0e-3
    layer_overhead_s: float = 1.0e-5
    allreduce_latency_s: float = 2.5e-5
    link_efficiency: float = 0.7
    kv_memory_fraction: float = 0.9
    reserve_bytes_per_gpu: float = 3e9
    frontend_s: float = 0.008
    source: str = ("values chosen by a coarse grid search on the 36 rows of costlib/data/online_serving.csv "
                   "(in sample; see costlib.serving_validation)")

    def __post_init__(self):
        for name in ("mbu", "mfu", "link_efficiency", "kv_memory_fraction"):
            v.fraction(name, getattr(self, name), scalar=True)
        for name in ("step_overhead_s", "layer_overhead_s", "allreduce_latency_s", "frontend_s"):
            v.number(name, getattr(self, name), low=0.0, low_inclusive=True, high=10.0, scalar=True)
        v.number("reserve_bytes_per_gpu", self.reserve_bytes_per_gpu, low=0.0, low_inclusive=True, scalar=True)

    def with_(self, **changes) -> StepParams:
        """A copy with some fields replaced, e.g. ``params.with_(mfu=0.5)``."""
        names = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - names)
        if unknown:
            raise ValueError(f"unknown StepParams field(s) {', '.join(unknown)}; valid: {', '.join(sorted(names))}")
        return dataclasses.replace(self, **changes)


DEFAULT_STEP_PARAMS = StepParams()


@dataclass(frozen=True)
class StandInStep:
    """Roofline cost of one engine step of a replica, a stand-in for the workbook's one engine (§30.3, §30.4).

    One step processes T new tokens (decode tokens + prompt-chunk tokens) and costs::

        bytes = weight bytes read (MoE: experts touched by T tokens) + KV bytes/token x (KV read + T)
        flops = 2 x active params x T + 4 x layers x heads x head_dim x attention pairs
        comm  = 2 x layers x (latency + 2 (TP-1)/TP x T x hidden x 2 B / (link bw x efficiency))  (TP > 1)
        step  = max(bytes / (TP x HBM bw x MBU), flops / (TP x peak x MFU))
                + step overhead + layers x layer overhead + comm
    """

    model: object
    gpu: object
    tp: int = 1
    weights: object = "bf16"
    kv: object = None
    params: StepParams = DEFAULT_STEP_PARAMS
    _c: dict = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self):
        set_ = object.__setattr__
        m, g = get_model(self.model), get_gpu(self.gpu)
        w = get_precision(self.weights)
        k = get_precision(w.name if self.kv is None else self.kv)
        tp = v.integer("tp", self.tp, low=1, high=m.n_kv_heads, scalar=True)
        if m.n_kv_heads % tp:
            raise ValueError(f"tp must divide the KV heads of {m.id} ({m.n_kv_heads}); got {tp}")
        if not isinstance(self.params, StepParams):
            raise ValueError(f"params must be a StepParams, got {self.params!r}")
        for name, val in (("model", m), ("gpu", g), ("weights", w), ("kv", k), ("tp", tp)):
            set_(self, name, val)
        p = self.params
        kvb = kv_bytes_per_token(m, k)
        free = tp * (physical_hbm_bytes(g) - p.reserve_bytes_per_gpu) - weight_bytes(m, w)
        c = {
            "kvb": kvb,
            "dense_bytes": float(m.shared_params * w.bytes_per_value),
            "expert_bytes": float(m.n_layers * m.expert_params * w.bytes_per_value),
            "all_weight_bytes": weight_bytes(m, w),
            "bw": tp * g.hbm_bytes_per_s * p.mbu,
            "flops_rate": tp * g.flops_for(w) * p.mfu,
            "flops_per_token": 2.0 * m.n_active_params,
            "flops_per_pair": 4.0 * m.n_layers * m.n_heads * m.head_dim,
            "fixed_s": p.step_overhead_s + m.n_layers * p.layer_overhead_s,
            "comm_fixed_s": 2 * m.n_layers * p.allreduce_latency_s if tp > 1 else 0.0,
            "comm_per_token_s": (2 * m.n_layers * 2 * (tp - 1) / tp * m.hidden_size * ACTIVATION_BYTES
                                 / (g.link_bytes_per_s * p.link_efficiency)) if tp > 1 else 0.0,
            "kv_capacity_tokens": int(max(0.0, free * p.kv_memory_fraction) // kvb),
        }
        set_(self, "_c", c)

    @property
    def kv_capacity_tokens(self) -> int:
        """Tokens of KV cache the replica holds: kv share x (TP x (HBM - reserve) - weights) / KV bytes per token (§30.3)."""
        return self._c["kv_capacity_tokens"]

    @property
    def frontend_s(self) -> float:
        """Fixed time added to every time to first token (§30.4)."""
        return self.params.frontend_s

    @property
    def label(self) -> str:
        kv = "" if self.kv.name == self.weights.name else f", KV {self.kv.name}"
        return f"{self.model.name} {self.weights.name}{kv} on {self.tp}x {self.gpu.id}"

    def weight_bytes_read(self, new_tokens):
        """Weight bytes one step reads; MoE: E (1 - (1 - k/E)^T) experts per layer for T tokens (§30.3)."""
        m, c = self.model, self._c
        if not m.is_moe:
            return c["all_weight_bytes"] + 0.0 * np.asarray(new_tokens, dtype=float) \
                if np.ndim(new_tokens) else c["all_weight_bytes"]
        t = np.asarray(new_tokens, dtype=float)
        touched = m.n_experts * (1.0 - (1.0 - m.experts_per_token / m.n_experts) ** t)
        out = c["dense_bytes"] + touched * c["expert_bytes"]
        return float(out) if out.ndim == 0 else out

    def step_time_s(self, new_tokens, attention_pairs, kv_read_tokens):
        """Seconds of one engine step that processes ``new_tokens`` new tokens (arrays broadcast) (§30.3)."""
        c = self._c
        bytes_ = self.weight_bytes_read(new_tokens) + c["kvb"] * (kv_read_tokens + new_tokens)
        flops = c["flops_per_token"] * new_tokens + c["flops_per_pair"] * attention_pairs
        comm = c["comm_fixed_s"] + c["comm_per_token_s"] * new_tokens
        return np.maximum(bytes_ / c["bw"], flops / c["flops_rate"]) + c["fixed_s"] + comm


def step_for(model, gpu, tp: int = 1, weights="bf16", kv=None, params: StepParams = DEFAULT_STEP_PARAMS):
    """The step model of a replica from catalog ids: the one place to swap in another engine (§30.3)."""
    return StandInStep(model, gpu, tp, weights, kv, params=params)


def prefill_pairs(chunk_tokens, offset_tokens):
    """Attention pairs of a prompt chunk of n tokens starting at offset p: n p + n (n + 1) / 2 (§30.3)."""
    n = np.asarray(chunk_tokens, dtype=float)
    p = np.asarray(offset_tokens, dtype=float)
    out = n * p + n * (n + 1) / 2
    return float(out) if out.ndim == 0 else out


# ---------------------------------------------------------------- scheduler and results

@dataclass(frozen=True)
class SchedulerConfig:
    """The serving engine's batching limits (TensorRT-LLM defaults) (§30.4)."""

    max_num_tokens: int = 8192  # new tokens per engine step (decode + prompt chunks)
    max_batch_size: int = 2048  # requests in flight
    block_tokens: int = 64  # KV cache allocation unit

    def __post_init__(self):
        for name in ("max_num_tokens", "max_batch_size", "block_tokens"):
            object.__setattr__(self, name, v.integer(name, getattr(self, name), low=1, scalar=True))


DEFAULT_SCHEDULER = SchedulerConfig()


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
    saturation_requests_per_s: float  # largest sustainable rate, analytic (saturation_requests_per_s)
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
    for attr in ("step_time_s", "kv_capacity_tokens", "frontend_s"):
        if not hasattr(step, attr):
            raise ValueError(f"step must have step_time_s(new_tokens, attention_pairs, kv_read_tokens), "
                             f"kv_capacity_tokens and frontend_s (e.g. a StandInStep); got {step!r}")
    return step


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

def saturation_requests_per_s(step, input_len, output_len, scheduler: SchedulerConfig = DEFAULT_SCHEDULER) -> float:
    """Largest request rate the replica sustains: 1 / (prefill time + decode time per request) at a full batch (§30.4).

    A saturated replica has a queue, so it runs N = min(max batch, KV blocks // blocks per
    request) requests at once. Per request it spends

    * prefill: I tokens at the cost per token of a full step (``max_num_tokens`` prompt tokens;
      admissions come in bursts as batch members finish, so prompts fill whole steps);
    * decode: (O - 1) steps of the full batch, shared by N requests: (O - 1) x step(N) / N, with the
      batch at the mean context I + O/2.
    """
    _check_step(step)
    i = v.integer("input_len", input_len, low=1, scalar=True)
    o = v.integer("output_len", output_len, low=1, scalar=True)
    if not isinstance(scheduler, SchedulerConfig):
        raise ValueError(f"scheduler must be a SchedulerConfig, got {scheduler!r}")
    need = _blocks(i + o, scheduler.block_tokens)
    n_kv = (step.kv_capacity_tokens // scheduler.block_tokens) // need
    n = min(scheduler.max_batch_size, scheduler.max_num_tokens, n_kv)
    if n < 1:
        return 0.0
    full = scheduler.max_num_tokens  # a step of prompt tokens only; each attends to (I + 1)/2 on average
    prefill_s = i * float(step.step_time_s(full, full * (i + 1) / 2, full * (i - 1) / 2)) / full
    ctx = i + o / 2
    decode_s = (o - 1) * float(step.step_time_s(n, n * ctx, n * (ctx - 1))) / n
    return 1.0 / (prefill_s + decode_s)


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
             length_spread: float = 0.5, scheduler: SchedulerConfig = DEFAULT_SCHEDULER,
             keep_trace: bool = True) -> ServingResult:
    """Simulate one replica serving ``requests`` requests at ``rate`` per second or ``concurrency`` users (§30.4).

    Give exactly one of ``rate`` (requests/s > 0, or ``math.inf``/``"inf"``: all at t = 0) and
    ``concurrency`` (closed loop: that many users, each sending its next request as soon as the
    previous one finishes). ``arrivals`` is ``"poisson"`` (default, seeded by ``seed``) or
    ``"fixed"`` (evenly spaced). ``length_dist``: ``"fixed"`` (every request exactly
    ``input_len``/``output_len`` tokens), ``"uniform"`` (integers uniform within
    +-``length_spread`` of them) or ``"exponential"`` (geometric, with those means).
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
    if not isinstance(scheduler, SchedulerConfig):
        raise ValueError(f"scheduler must be a SchedulerConfig, got {scheduler!r}")
    seed = v.integer("seed", seed, low=0, scalar=True)
    rng = np.random.default_rng(seed)
    in_len = _lengths("input_len", input_len, n, dist, spread, rng, 1)
    out_len = _lengths("output_len", output_len, n, dist, spread, rng, 1)
    arrival = _arrivals(n, r, kind, rng) if users is None else None
    block = scheduler.block_tokens
    total_blocks = int(step.kv_capacity_tokens) // block
    need = _blocks(in_len + out_len, block)
    if total_blocks == 0:
        raise ValueError(f"step: the replica has no room for KV cache ({int(step.kv_capacity_tokens)} tokens): "
                         "its weights fill the memory; use more GPUs (tp) or a smaller weight precision")
    if need.max() > total_blocks:
        worst = int(np.argmax(need))
        raise ValueError(
            f"input_len + output_len: a request of {in_len[worst] + out_len[worst]:,} tokens needs "
            f"{need[worst] * block:,} tokens of KV cache, the replica holds {total_blocks * block:,}: "
            "use shorter requests, more GPUs (tp) or a smaller KV precision")
    tr = _run(step, in_len, out_len, need, total_blocks, arrival, users, scheduler)
    fe = float(step.frontend_s)
    span = float(tr.done_s.max() - tr.arrival_s.min())
    duration = span + fe
    ttft = tr.first_token_s - tr.arrival_s + fe
    latency = tr.done_s - tr.arrival_s + fe
    gaps = tr.step_decode_tokens
    itl_mean = float(np.sum(tr.step_s * gaps) / gaps.sum()) if gaps.sum() else float("nan")
    q = np.percentile(ttft, [50, 90, 99])
    label = "closed" if users else ("all_at_once" if r == math.inf else kind)
    sat = saturation_requests_per_s(step, int(round(in_len.mean())), int(round(out_len.mean())), scheduler)
    max_batch = min(scheduler.max_batch_size, total_blocks // int(_blocks(round(in_len.mean() + out_len.mean()),
                                                                          block)))
    return ServingResult(
        ttft_mean_s=float(ttft.mean()), ttft_p50_s=float(q[0]), ttft_p90_s=float(q[1]), ttft_p99_s=float(q[2]),
        itl_mean_s=itl_mean, itl_p99_s=weighted_quantile(tr.step_s, gaps, 0.99),
        output_tokens_per_s=float(out_len.sum() / duration), achieved_requests_per_s=n / duration,
        mean_batch=float(np.sum(tr.step_s * tr.step_batch) / span) if span > 0 else float("nan"),
        mean_latency_s=float(latency.mean()), mean_queue_s=float((tr.admit_s - tr.arrival_s).mean()),
        duration_s=duration, saturation_requests_per_s=sat, requests=n, arrivals=label,
        rate_per_s=r, concurrency=users, max_batch=int(max_batch), trace=tr if keep_trace else None)


def _run(step, in_len, out_len, need, total_blocks, arrival, users, sched: SchedulerConfig) -> RequestTrace:
    """The event loop: admit between steps, build each step's tokens, advance time (§30.4)."""
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
    budget = sched.max_num_tokens
    while finished < n:
        arrived = int(np.searchsorted(arr, t, side="right"))
        # FCFS admission: the head of the queue blocks those behind it
        start = head
        while head < arrived and run.size + (head - start) < sched.max_batch_size and need[head] <= free:
            free -= need[head]
            head += 1
        if head > start:
            new = np.arange(start, head)
            admit[new] = t
            run = np.concatenate([run, new])
        if run.size == 0:  # idle: jump to the next arrival
            t = max(t, float(arr[head]))
            continue
        in_r, gen_r = in_len[run], generated[run]
        pre = prefilled[run] < in_r
        if pre.any():  # one mixed step: decode tokens first, then prompt chunks in admission order
            dec = ~pre
            n_dec = int(dec.sum())
            ctx = in_r[dec] + gen_r[dec]
            rem = in_r[pre] - prefilled[run[pre]]
            room = max(0, budget - n_dec)
            before = np.cumsum(rem) - rem
            chunk = np.clip(room - before, 0, rem)
            off = prefilled[run[pre]]
            tokens = n_dec + int(chunk.sum())
            pairs = float(ctx.sum()) + float(np.sum(chunk * off + chunk * (chunk + 1) / 2))
            kv_read = float((ctx - 1).sum()) + float(np.sum(off[chunk > 0]))
            dt = float(step.step_time_s(tokens, pairs, kv_read))
            t += dt
            steps.append(np.array([dt]))
            batches.append(np.array([run.size]))
            decodes.append(np.array([n_dec]))
            generated[run[dec]] += 1
            idx = run[pre]
            prefilled[idx] += chunk
            now_done = idx[(prefilled[idx] == in_len[idx]) & (chunk > 0)]
            generated[now_done] = 1
            first[now_done] = t
        else:  # only decode: run identical steps up to the next completion or admission chance
            b = run.size
            rem_out = out_len[run] - gen_r
            k = int(rem_out.min())
            ctx0 = float((in_r + gen_r).sum())
            pairs = ctx0 + b * np.arange(k)
            dts = np.asarray(step.step_time_s(b, pairs, pairs - b), dtype=float) * np.ones(k)
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
        fin = run[generated[run] >= out_len[run]]
        if fin.size:
            done[fin] = t
            free += int(need[fin].sum())
            finished += fin.size
            run = run[generated[run] < out_len[run]]
            if closed and issued < n:  # each finished user sends the next request now
                m = min(fin.size, n - issued)
                arr[issued:issued + m] = t
                issued += m
    return RequestTrace(input_len=in_len, output_len=out_len, arrival_s=arr, admit_s=admit, first_token_s=first,
                        done_s=done, step_s=np.concatenate(steps), step_batch=np.concatenate(batches),
                        step_decode_tokens=np.concatenate(decodes))


# ---------------------------------------------------------------- thin wrappers (CLI, explorers)

def serve(model, gpu, tp: int = 1, weights="bf16", kv=None, *, input_len, output_len, rate=None, concurrency=None,
          requests: int = 500, arrivals: str = DEFAULT_ARRIVALS, seed: int = 0, length_dist: str = "fixed",
          length_spread: float = 0.5, params: StepParams = DEFAULT_STEP_PARAMS,
          scheduler: SchedulerConfig = DEFAULT_SCHEDULER) -> ServingResult:
    """Simulate a catalog deployment under load: :func:`step_for` + :func:`simulate` (§30.4)."""
    step = step_for(model, gpu, tp, weights, kv, params)
    return simulate(step, input_len, output_len, rate=rate, concurrency=concurrency, requests=requests,
                    arrivals=arrivals, seed=seed, length_dist=length_dist, length_spread=length_spread,
                    scheduler=scheduler)


def rate_sweep(step, input_len, output_len, rates, **simulate_kwargs):
    """One row per request rate: the scalar results of :func:`simulate`, as a DataFrame (§30.4)."""
    import pandas as pd

    try:
        items = list(rates)
    except TypeError:
        raise ValueError(f"rates must be a list of request rates per second, got {rates!r}") from None
    if not items:
        raise ValueError("rates must hold at least one request rate")
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
    sat = saturation_requests_per_s(step, input_len, output_len, simulate_kwargs.get("scheduler", DEFAULT_SCHEDULER))
    if sat <= 0:
        return 0.0

    def p99(rate):
        return simulate(step, input_len, output_len, rate=rate, **simulate_kwargs).ttft_p99_s

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

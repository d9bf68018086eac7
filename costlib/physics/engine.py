"""The master equation: seconds for one engine step of a replica, and the serving engine's limits (§30.3, §30.4).

One *step* of a serving engine runs the model once over ``T`` new tokens: one decode token for each
running sequence plus any prompt chunks being prefilled. Per replica of ``TP`` GPUs::

    matmuls    max(weight bytes read / (TP x HBM bw x MBU),  (body FLOPs + head FLOPs) / (TP x peak x MFU))
    attention  max(KV bytes read + written / (TP x HBM bw x MBU),  attention FLOPs / (TP x peak x MFU))
    comm       2 x layers x (all-reduce latency(TP) + 2 (TP-1)/TP x T x hidden x 2 B / (link bw x link efficiency))
    step       matmuls + attention + comm + step overhead + per-sequence overhead x rows that need logits

The all-reduce latency is the fixed cost of one all-reduce across TP GPUs, whatever its bytes
(:func:`allreduce_latency_s`): a constant (``allreduce_latency_s``: the same at TP 2, 4 and 8, which the
shipped ``calibrated`` profile uses), plus ``allreduce_step_latency_s`` per log2(TP) step (a tree, or
recursive halving and doubling: TP 2, 4, 8 pay 1, 2, 3 steps), plus ``allreduce_hop_latency_s`` per
sequential hop of a ring (2 (TP-1) hops: 2, 6, 14). Each term is zero on one GPU; a profile sets one
of them (docs/serving.md compares the three forms on the published runs).

The matmuls and the attention are separate kernels, so their times add; within each, memory traffic
and arithmetic overlap (a roofline). ``overlap=True`` (the ceiling) lets everything overlap instead:
the step is then the larger of all bytes over bandwidth and all FLOPs over peak. Every argument may be
a numpy array: one call times a whole sweep.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..common import checks as v
from .replica import ReplicaSpec

__all__ = ["Efficiency", "EngineLimits", "StepWork", "step_work", "StepParts", "step_parts", "step_time_s",
           "allreduce_latency_s",
           "kv_cache_bytes", "kv_capacity_tokens", "sequence_reservation_tokens", "ACTIVATION_BYTES"]

ACTIVATION_BYTES = 2  # 16-bit activations cross the tensor-parallel links


@dataclass(frozen=True)
class Efficiency:
    """How close a serving engine gets to the hardware in one step: shares of peak and fixed costs (§30.4)."""

    mbu: float = 1.0  # achieved share of HBM bandwidth
    mfu: float = 1.0  # achieved share of dense peak FLOP/s
    link_efficiency: float = 1.0  # achieved share of per-direction link bandwidth in all-reduces
    allreduce_latency_s: float = 0.0  # fixed cost of each all-reduce, the same at any TP > 1 (two per layer)
    step_overhead_s: float = 0.0  # fixed cost of each step (scheduling, launches)
    sequence_overhead_s: float = 0.0  # cost per row that needs logits (sampling, bookkeeping)
    overlap: bool = False  # ceiling only: memory, arithmetic and kernels all overlap
    allreduce_step_latency_s: float = 0.0  # fixed cost per log2(TP) step of each all-reduce (tree, halving-doubling)
    allreduce_hop_latency_s: float = 0.0  # fixed cost per sequential hop of each all-reduce (a ring: 2 (TP-1) hops)

    def __post_init__(self):
        for name in ("mbu", "mfu", "link_efficiency"):
            v.fraction(name, getattr(self, name), scalar=True)
        for name in ("allreduce_latency_s", "step_overhead_s", "sequence_overhead_s", "allreduce_step_latency_s",
                     "allreduce_hop_latency_s"):
            v.number(name, getattr(self, name), low=0.0, low_inclusive=True, high=1.0, scalar=True)


@dataclass(frozen=True)
class EngineLimits:
    """How a serving engine shares memory and schedules a step (TensorRT-LLM's documented defaults) (§30.3).

    The KV cache gets ``kv_fraction`` of what is left after the weights and ``reserve_bytes_per_gpu``
    (activations, CUDA context); it is handed out in blocks of ``kv_block_tokens``; with
    ``reserve_whole_request`` a request is admitted only when its whole prompt + output fits (no
    eviction); a step holds at most ``max_batch`` sequences and ``max_tokens`` new tokens.
    """

    kv_fraction: float = 0.95
    reserve_bytes_per_gpu: float = 0.0
    kv_block_tokens: int = 64
    reserve_whole_request: bool = True
    max_batch: float = 2048
    max_tokens: float = 8192

    def __post_init__(self):
        v.fraction("kv_fraction", self.kv_fraction, scalar=True)
        v.number("reserve_bytes_per_gpu", self.reserve_bytes_per_gpu, low=0.0, low_inclusive=True, high=1e12,
                 scalar=True)
        v.integer("kv_block_tokens", self.kv_block_tokens, low=1, high=1_000_000, scalar=True)
        for name in ("max_batch", "max_tokens"):
            val = getattr(self, name)
            if not (isinstance(val, float) and math.isinf(val)):
                v.integer(name, val, low=1, scalar=True)


@dataclass(frozen=True)
class StepParts:
    """One step taken apart, in seconds: the pieces of the master equation and their sum (§30.3)."""

    matmul_memory_s: object
    matmul_compute_s: object
    attention_memory_s: object
    attention_compute_s: object
    comm_s: object
    overhead_s: object
    step_time_s: object

    @property
    def memory_s(self):
        return self.matmul_memory_s + self.attention_memory_s

    @property
    def compute_s(self):
        return self.matmul_compute_s + self.attention_compute_s

    @property
    def bound(self):
        """"memory" where bytes take longer than arithmetic, else "compute"."""
        b = np.where(self.memory_s >= self.compute_s, "memory", "compute")
        return str(b) if np.ndim(b) == 0 else b


@dataclass(frozen=True)
class StepWork:
    """What one step moves and computes, replica-wide: bytes from HBM and FLOPs, by kernel (§30.3)."""

    weight_bytes: object  # weights read by the matmuls (MoE: the experts the tokens touch)
    kv_bytes: object  # KV cache read by attention, plus the new tokens' KV written
    body_flops: object  # transformer-body matmuls
    head_flops: object  # output head, for the rows that need logits
    attention_flops: object  # attention scores and weighted values

    @property
    def bytes(self):
        return self.weight_bytes + self.kv_bytes

    @property
    def flops(self):
        return self.body_flops + self.head_flops + self.attention_flops


def step_work(spec: ReplicaSpec, new_tokens, attention_pairs, kv_read_tokens, logit_rows, *,
              fewest_experts: bool = False) -> StepWork:
    """Bytes and FLOPs of one step of ``new_tokens`` tokens (arguments as in :func:`step_parts`) (§30.3)."""
    return StepWork(
        weight_bytes=spec.weights_read_bytes(new_tokens, fewest=fewest_experts),
        kv_bytes=spec.kv_bytes_per_token * (kv_read_tokens + new_tokens),
        body_flops=spec.body_flops_per_token * new_tokens,
        head_flops=spec.head_flops_per_token * logit_rows,
        attention_flops=spec.attention_flops_per_pair * attention_pairs)


def _maximum(a, b):
    """np.maximum, with Python's max for two plain floats (one engine step at a time is the hot path)."""
    if isinstance(a, float) and isinstance(b, float) and a == a and b == b:
        return max(a, b)
    return np.maximum(a, b)


def allreduce_latency_s(eff: Efficiency, tp):
    """Fixed seconds of one all-reduce across ``tp`` GPUs: constant + per-step x log2(tp) + per-hop x 2 (tp-1); 0 if tp = 1 (§30.3)."""
    lat = eff.allreduce_latency_s
    if eff.allreduce_step_latency_s:
        lat = lat + eff.allreduce_step_latency_s * (math.log2(tp) if isinstance(tp, int) else np.log2(tp))
    if eff.allreduce_hop_latency_s:
        lat = lat + eff.allreduce_hop_latency_s * 2 * (tp - 1)
    if isinstance(tp, int):
        return lat if tp > 1 else 0.0
    return np.where(np.asarray(tp) > 1, lat, 0.0)


def step_parts(spec: ReplicaSpec, eff: Efficiency, new_tokens, attention_pairs, kv_read_tokens, logit_rows,
               *, fewest_experts: bool = False) -> StepParts:
    """The master equation, part by part, for steps of ``new_tokens`` tokens (§30.3).

    ``attention_pairs`` sums, over the new tokens, the context each attends to (a decode token at
    context c adds c; a prompt chunk of n tokens after p cached ones adds n p + n (n + 1) / 2);
    ``kv_read_tokens`` is the cached tokens the step reads; ``logit_rows`` the rows that need the
    output head (one per decoding sequence, one per prompt that finishes in the step).
    """
    tp = spec.tp
    bw = tp * spec.hbm_bytes_per_s * eff.mbu
    work = step_work(spec, new_tokens, attention_pairs, kv_read_tokens, logit_rows, fewest_experts=fewest_experts)
    mm_mem = work.weight_bytes / bw
    mm_comp = (work.body_flops / spec.gemm_flops_per_s + work.head_flops / spec.head_flops_per_s) / (tp * eff.mfu)
    at_mem = work.kv_bytes / bw
    at_comp = work.attention_flops / (tp * spec.attention_flops_per_s * eff.mfu)
    if eff.overlap:
        core = _maximum(mm_mem + at_mem, mm_comp + at_comp)
    else:
        core = _maximum(mm_mem, mm_comp) + _maximum(at_mem, at_comp)
    ring = 2 * (tp - 1) / tp * spec.hidden_size * ACTIVATION_BYTES
    link = spec.link_bytes_per_s * eff.link_efficiency
    comm = 2 * spec.n_layers * (allreduce_latency_s(eff, tp) + ring * new_tokens / link)
    if isinstance(tp, int):  # one replica: no all-reduce on one GPU
        comm = comm if tp > 1 else (0.0 if np.ndim(comm) == 0 else np.zeros(np.shape(comm)))
    else:
        comm = np.where(tp > 1, comm, 0.0)
    overhead = eff.step_overhead_s + eff.sequence_overhead_s * logit_rows
    total = core + comm + overhead
    scalar = all(isinstance(x, float) or np.ndim(x) == 0 for x in (total, mm_mem, at_comp))
    f = float if scalar else np.asarray
    return StepParts(f(mm_mem), f(mm_comp), f(at_mem), f(at_comp), f(comm + 0 * total), f(overhead + 0 * total),
                     f(total))


def step_time_s(spec: ReplicaSpec, eff: Efficiency, new_tokens, attention_pairs, kv_read_tokens, logit_rows,
                **kw):
    """Seconds for one engine step of a replica (see :func:`step_parts`) (§30.3)."""
    return step_parts(spec, eff, new_tokens, attention_pairs, kv_read_tokens, logit_rows, **kw).step_time_s


def kv_cache_bytes(spec: ReplicaSpec, limits: EngineLimits):
    """Bytes a replica gives its KV cache: kv_fraction x (memory - reserve per GPU x TP - weights), 0 if none (§30.3)."""
    free = spec.memory_bytes - spec.tp * limits.reserve_bytes_per_gpu - spec.resident_weight_bytes
    return np.maximum(free, 0.0) * limits.kv_fraction


def kv_capacity_tokens(spec: ReplicaSpec, limits: EngineLimits):
    """Tokens of KV cache a replica holds: :func:`kv_cache_bytes` / KV bytes per token (§30.3)."""
    return kv_cache_bytes(spec, limits) / spec.kv_bytes_per_token


def sequence_reservation_tokens(limits: EngineLimits, input_len, output_len):
    """KV tokens the engine sets aside per request: the whole prompt + output in whole blocks, or (without
    reservation) the average context over its life, prompt + output / 2 (§30.3)."""
    if limits.reserve_whole_request:
        blk = limits.kv_block_tokens
        return np.ceil((input_len + output_len) / blk) * blk
    return input_len + output_len / 2

"""Throughput: the chapter's decode/prefill ceilings and the full roofline step time (§30.3, §30.4).

The master equation for one decode step of a replica at batch B and context C::

    t_mem  = (weight bytes read + B * C * KV bytes per token) / (TP * HBM bandwidth * MBU)
    t_comp = B * (2 * active params + 4 * layers * C * heads * head_dim) / (TP * peak FLOP/s * MFU)
    t_comm = 2 * layers * (latency + 2 (TP-1)/TP * B * hidden * 2 bytes / link bandwidth)   (TP > 1)
    step   = max(t_mem, t_comp) + t_comm
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from costlib.catalog.deployment import Deployment, deployment_arg
from costlib.catalog.tables import ModelSpec, get_model, get_precision
from costlib.common import checks as v
from costlib.physics.memory import kv_bytes_per_token, weight_bytes

__all__ = [
    "MBU_RANGE", "MFU_RANGE", "DEFAULT_MBU", "DEFAULT_MFU", "DEFAULT_ALLREDUCE_LATENCY_S", "realism",
    "decode_ceiling_tokens_per_s", "prefill_ceiling_tokens_per_s",
    "weight_bytes_read_per_step", "DecodeStep", "decode_step", "step_time_s", "decode_tokens_per_s",
    "tpot_s", "prefill_time_s", "prefill_tokens_per_s", "ridge_batch", "arithmetic_intensity",
    "attainable_flops", "decode_estimate", "prefill_arithmetic_intensity",
]

MBU_RANGE = (0.60, 0.85)  # decode memory-bandwidth utilization (§30.4)
MFU_RANGE = (0.30, 0.50)  # prefill model-FLOP utilization (§30.4)
DEFAULT_MBU = sum(MBU_RANGE) / 2
DEFAULT_MFU = sum(MFU_RANGE) / 2
DEFAULT_ALLREDUCE_LATENCY_S = 5e-6  # fixed cost of one small all-reduce inside an NVLink node
ACTIVATION_BYTES = 2  # bf16 activations exchanged by tensor parallelism


def realism(level: str = "mid") -> tuple[float, float]:
    """(MBU, MFU) at the low end, middle or high end of the chapter's ranges (§30.4)."""
    lv = v.choice("level", level, ["low", "mid", "high"])
    i = {"low": 0, "high": 1}
    if lv == "mid":
        return DEFAULT_MBU, DEFAULT_MFU
    return MBU_RANGE[i[lv]], MFU_RANGE[i[lv]]


# ---------------------------------------------------------------- the chapter's two ceilings

def decode_ceiling_tokens_per_s(hbm_bytes_per_s, model_bytes, batch=1):
    """The chapter's decode ceiling: HBM bandwidth / model bytes x batch (weights only, no KV) (§30.3)."""
    bw = v.number("hbm_bytes_per_s", hbm_bytes_per_s)
    mb = v.number("model_bytes", model_bytes)
    b = v.number("batch", batch, low=1, low_inclusive=True)
    return bw / mb * b


def prefill_ceiling_tokens_per_s(peak_flops, n_params, mfu=1.0):
    """The chapter's prefill ceiling: peak FLOP/s x MFU / (2 x params) (§30.3)."""
    pf = v.number("peak_flops", peak_flops)
    n = v.number("n_params", n_params)
    u = v.fraction("mfu", mfu)
    return pf * u / (2 * n)


# ---------------------------------------------------------------- the roofline step

def weight_bytes_read_per_step(dep: Deployment, batch=1):
    """Weight bytes one decode step reads; for MoE only the experts the batch touches (§30.3).

    With E experts and k routed per token, B tokens touch on average E (1 - (1 - k/E)^B) experts
    per layer (uniform routing).
    """
    deployment_arg(dep)
    b = v.number("batch", batch, low=1, low_inclusive=True)
    return _weight_bytes_read(dep.model, dep.weights, b)


def _weight_bytes_read(m, weights, b):
    """Weight bytes read for b tokens at once (b already validated); MoE: only the experts touched."""
    if not m.is_moe:
        return weight_bytes(m, weights) * np.ones_like(b) if np.ndim(b) else weight_bytes(m, weights)
    touched = m.n_experts * (1 - (1 - m.experts_per_token / m.n_experts) ** b)
    return (m.shared_params + m.n_layers * touched * m.expert_params) * weights.bytes_per_value


def _flops_per_token(dep: Deployment, context):
    m = dep.model
    return 2 * m.n_active_params + 4 * m.n_layers * context * m.n_heads * m.head_dim


@dataclass(frozen=True)
class DecodeStep:
    """The parts of one decode step (seconds), and what they imply (§30.3)."""

    batch: object
    context: object
    memory_s: object
    compute_s: object
    comm_s: object
    step_time_s: object
    tokens_per_s: object
    bound: object  # "memory" / "compute", or an array of them

    @property
    def tpot_s(self):
        return self.step_time_s


def decode_step(dep: Deployment, batch, context, mbu=DEFAULT_MBU, mfu=DEFAULT_MFU,
                allreduce_latency_s=DEFAULT_ALLREDUCE_LATENCY_S) -> DecodeStep:
    """Roofline time of one decode step at batch B and context C, with KV reads and TP traffic (§30.3).

    ``batch`` and ``context`` may be numpy arrays (broadcast together). Capacity is not checked
    here: use :func:`costlib.physics.memory.fit` first (the CLI and the widgets do).
    """
    deployment_arg(dep)
    b = v.number("batch", batch, low=1, low_inclusive=True)
    c = v.number("context", context, low=0, low_inclusive=True)
    u_b = v.fraction("mbu", mbu)
    u_f = v.fraction("mfu", mfu)
    lat = v.number("allreduce_latency_s", allreduce_latency_s, low=0, low_inclusive=True)
    g, m, tp = dep.gpu, dep.model, dep.tp
    bytes_ = weight_bytes_read_per_step(dep, b) + b * c * kv_bytes_per_token(m, dep.kv)
    mem = bytes_ / (tp * g.hbm_bytes_per_s * u_b)
    comp = b * _flops_per_token(dep, c) / (tp * g.flops_for(dep.weights) * u_f)
    if tp > 1:
        per_ar = lat + 2 * (tp - 1) / tp * b * m.hidden_size * ACTIVATION_BYTES / g.link_bytes_per_s
        comm = 2 * m.n_layers * per_ar
    else:
        comm = 0.0 * b
    step = np.maximum(mem, comp) + comm
    bound = np.where(mem >= comp, "memory", "compute")
    scalar = np.ndim(step) == 0
    f = float if scalar else np.asarray
    return DecodeStep(batch=b, context=c, memory_s=f(mem), compute_s=f(comp), comm_s=f(comm),
                      step_time_s=f(step), tokens_per_s=f(b / step),
                      bound=str(bound) if scalar else bound)


def step_time_s(dep, batch, context, mbu=DEFAULT_MBU, mfu=DEFAULT_MFU, **kw):
    """Seconds per decode step (= TPOT) at batch B and context C (§30.3)."""
    return decode_step(dep, batch, context, mbu, mfu, **kw).step_time_s


def tpot_s(dep, batch, context, mbu=DEFAULT_MBU, mfu=DEFAULT_MFU, **kw):
    """Time per output token seen by each sequence: one decode step (§30.9)."""
    return step_time_s(dep, batch, context, mbu, mfu, **kw)


def decode_tokens_per_s(dep, batch, context, mbu=DEFAULT_MBU, mfu=DEFAULT_MFU, **kw):
    """Output tokens per second of the whole replica: batch / step time (§30.3)."""
    return decode_step(dep, batch, context, mbu, mfu, **kw).tokens_per_s


def prefill_time_s(dep: Deployment, prompt_tokens, mfu=DEFAULT_MFU, mbu=DEFAULT_MBU,
                   allreduce_latency_s=DEFAULT_ALLREDUCE_LATENCY_S):
    """Time to prefill one prompt (TTFT without queueing): compute-bound, with causal attention (§30.3)."""
    deployment_arg(dep)
    n = v.number("prompt_tokens", prompt_tokens, low=1, low_inclusive=True)
    u_f = v.fraction("mfu", mfu)
    u_b = v.fraction("mbu", mbu)
    lat = v.number("allreduce_latency_s", allreduce_latency_s, low=0, low_inclusive=True)
    g, m, tp = dep.gpu, dep.model, dep.tp
    flops = 2 * m.n_active_params * n + 2 * m.n_layers * m.n_heads * m.head_dim * n * n
    comp = flops / (tp * g.flops_for(dep.weights) * u_f)
    mem = weight_bytes_read_per_step(dep, n) / (tp * g.hbm_bytes_per_s * u_b)
    comm = 0.0
    if tp > 1:
        comm = 2 * m.n_layers * (lat + 2 * (tp - 1) / tp * n * m.hidden_size * ACTIVATION_BYTES
                                 / g.link_bytes_per_s)
    t = np.maximum(comp, mem) + comm
    return float(t) if np.ndim(t) == 0 else t


def prefill_tokens_per_s(dep: Deployment, prompt_tokens=1000, mfu=DEFAULT_MFU, **kw):
    """Prompt tokens per second of the replica when prefilling prompts of this length (§30.3)."""
    n = v.number("prompt_tokens", prompt_tokens, low=1, low_inclusive=True)
    return n / prefill_time_s(dep, n, mfu, **kw)


def ridge_batch(dep: Deployment, context, mbu=DEFAULT_MBU, mfu=DEFAULT_MFU) -> float:
    """Batch at which a decode step turns from memory- to compute-bound; inf if never (§30.3).

    Solves B * f / (peak * MFU) = (W + B * C * kv) / (bandwidth * MBU) for a dense model.
    """
    deployment_arg(dep)
    # one number each: the ridge is a single batch size (an array here ended in a TypeError)
    c = v.number("context", context, low=0, low_inclusive=True, scalar=True)
    u_b = v.number("mbu", mbu, low=0.0, high=1.0, scalar=True)
    u_f = v.number("mfu", mfu, low=0.0, high=1.0, scalar=True)
    g, m = dep.gpu, dep.model
    bw = g.hbm_bytes_per_s * u_b
    pk = g.flops_for(dep.weights) * u_f
    denom = _flops_per_token(dep, c) / pk - c * kv_bytes_per_token(m, dep.kv) / bw
    if denom <= 0:
        return math.inf
    ridge = weight_bytes_read_per_step(dep, 1) / bw / denom
    for _ in range(50):  # MoE: the weights read grow with the batch; iterate to the fixed point
        ridge = weight_bytes_read_per_step(dep, max(1.0, ridge)) / bw / denom
    return float(ridge)


def arithmetic_intensity(dep: Deployment, batch, context):
    """FLOPs per byte of one decode step (x axis of the roofline plot) (§30.6)."""
    deployment_arg(dep)
    b = v.number("batch", batch, low=1, low_inclusive=True)
    c = v.number("context", context, low=0, low_inclusive=True)
    flops = b * _flops_per_token(dep, c)
    bytes_ = weight_bytes_read_per_step(dep, b) + b * c * kv_bytes_per_token(dep.model, dep.kv)
    return flops / bytes_


def prefill_arithmetic_intensity(dep_or_model, prompt_tokens, weights=None, kv=None):
    """FLOPs per byte of prefilling one n-token prompt: matmuls + causal attention over weights read + KV written (§30.3).

    FLOPs = 2 x active params x n + 2 x layers x heads x head_dim x n^2; bytes = the weights read
    once (MoE: the experts the n tokens touch) + n x KV bytes per token. ``dep_or_model`` is a
    Deployment (its precisions are used) or a model id / ModelSpec with ``weights`` (default bf16)
    and ``kv`` (default bf16). ``prompt_tokens`` may be an array.
    """
    if isinstance(dep_or_model, Deployment):
        if weights is not None or kv is not None:
            raise ValueError("weights and kv must be None when dep_or_model is a Deployment (its own precisions "
                             f"are used); got weights={weights!r}, kv={kv!r}")
        m, w_p, kv_p = dep_or_model.model, dep_or_model.weights, dep_or_model.kv
    elif isinstance(dep_or_model, (str, ModelSpec)):
        m = get_model(dep_or_model) if isinstance(dep_or_model, str) else dep_or_model
        w_p = get_precision("bf16" if weights is None else weights)
        kv_p = get_precision("bf16" if kv is None else kv)
    else:
        raise ValueError("dep_or_model must be a Deployment, a model id or a ModelSpec, got "
                         f"{dep_or_model!r}")
    n = v.number("prompt_tokens", prompt_tokens, low=1, low_inclusive=True)
    flops = 2 * m.n_active_params * n + 2 * m.n_layers * m.n_heads * m.head_dim * n * n
    bytes_ = _weight_bytes_read(m, w_p, n) + n * kv_bytes_per_token(m, kv_p)
    out = flops / bytes_
    return float(out) if np.ndim(out) == 0 else out


def attainable_flops(gpu_flops, gpu_bytes_per_s, intensity):
    """Roofline: min(peak FLOP/s, intensity x bandwidth) (§30.6)."""
    pk = v.number("gpu_flops", gpu_flops)
    bw = v.number("gpu_bytes_per_s", gpu_bytes_per_s)
    ai = v.number("intensity", intensity)
    return np.minimum(pk, ai * bw)


def decode_estimate(dep: Deployment, batch, context) -> dict:
    """Decode tokens/s at the low, mid and high ends of the chapter's MBU/MFU ranges, plus the ceiling (§30.4)."""
    out = {}
    for lv in ("low", "mid", "high"):
        mbu, mfu = realism(lv)
        out[lv] = decode_tokens_per_s(dep, batch, context, mbu, mfu)
    out["ceiling"] = decode_tokens_per_s(dep, batch, context, 1.0, 1.0)
    return out

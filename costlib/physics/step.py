"""Throughput: the chapter's decode/prefill ceilings and the roofline step time, as views of the one engine (§30.3, §30.4).

Every step time here is :func:`costlib.physics.engine.step_parts` on the deployment's
:func:`~costlib.physics.replica.replica_spec` (16-bit embeddings and output head, block scales, an FP4
cache stored as FP8). One decode step of a replica of TP GPUs at batch B and context C runs B new
tokens that attend to B x C cached ones::

    matmuls    max(weight bytes read / (TP x HBM bw x MBU),  B x (body + head FLOPs per token) / (TP x peak x MFU))
    attention  max(B (C + 1) x KV bytes per token / (TP x HBM bw x MBU),  B x C x 4 L H d / (TP x peak x MFU))
    comm       2 x layers x (all-reduce latency + 2 (TP-1)/TP x B x hidden x 2 B / link bw)   (TP > 1)
    step       matmuls + attention + comm

Prefilling one n-token prompt is the same equation with n new tokens, n (n + 1) / 2 attention pairs,
nothing cached and one row of logits. Each matmul runs at the rate of its format (body at the weight
format, head at 16 bits, attention at the cache's format). The defaults are the chapter's profile
(MBU 0.725, MFU 0.40, the middle of §30.4's ranges) with :data:`DEFAULT_ALLREDUCE_LATENCY_S` = 5 us per
all-reduce and the full link bandwidth: ``decode_step(dep, B, C)`` is what
``estimate.predict(..., profile="chapter")`` computes for the same step.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from costlib.catalog.deployment import Deployment, deployment_arg
from costlib.catalog.tables import ModelSpec, get_model, get_precision
from costlib.common import checks as v
from costlib.physics.engine import Efficiency, StepParts, step_parts, step_work
from costlib.physics.replica import replica_spec

__all__ = [
    "MBU_RANGE", "MFU_RANGE", "DEFAULT_MBU", "DEFAULT_MFU", "DEFAULT_ALLREDUCE_LATENCY_S", "realism",
    "chapter_efficiency", "decode_ceiling_tokens_per_s", "prefill_ceiling_tokens_per_s",
    "weight_bytes_read_per_step", "DecodeStep", "decode_step", "step_time_s", "decode_tokens_per_s",
    "tpot_s", "prefill_time_s", "prefill_tokens_per_s", "ridge_batch", "arithmetic_intensity",
    "attainable_flops", "decode_estimate", "prefill_arithmetic_intensity",
]

MBU_RANGE = (0.60, 0.85)  # decode memory-bandwidth utilization (§30.4)
MFU_RANGE = (0.30, 0.50)  # prefill model-FLOP utilization (§30.4)
DEFAULT_MBU = sum(MBU_RANGE) / 2
DEFAULT_MFU = sum(MFU_RANGE) / 2
# Fixed cost of one small all-reduce inside an NVLink node: the chapter profile's value, and the default
# of every function here. (The calibrated profile holds its own: 40 us, which also absorbs engine costs.)
DEFAULT_ALLREDUCE_LATENCY_S = 5e-6


def realism(level: str = "mid") -> tuple[float, float]:
    """(MBU, MFU) at the low end, middle or high end of the chapter's ranges (§30.4)."""
    lv = v.choice("level", level, ["low", "mid", "high"])
    if lv == "mid":
        return DEFAULT_MBU, DEFAULT_MFU
    i = {"low": 0, "high": 1}[lv]
    return MBU_RANGE[i], MFU_RANGE[i]


def chapter_efficiency(level: str = "mid") -> Efficiency:
    """The engine's Efficiency at the chapter's low, mid or high MBU/MFU, 5 us all-reduces, no overheads (§30.4)."""
    mbu, mfu = realism(level)
    return Efficiency(mbu=mbu, mfu=mfu, allreduce_latency_s=DEFAULT_ALLREDUCE_LATENCY_S)


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


# ---------------------------------------------------------------- the engine's step, seen as a decode step

def weight_bytes_read_per_step(dep: Deployment, batch=1):
    """Weight bytes one decode step reads, as the engine stores them; MoE: only the experts touched (§30.3).

    With E experts and k routed per token, B tokens touch on average E (1 - (1 - k/E)^B) experts
    per layer (uniform routing). The input embedding table is looked up, not read.
    """
    deployment_arg(dep)
    b = v.number("batch", batch, low=1, low_inclusive=True)
    w = replica_spec(dep).weights_read_bytes(b)
    return w + 0.0 * b if np.ndim(b) else float(w)


def _efficiency(mbu, mfu, allreduce_latency_s) -> Efficiency:
    """Checked efficiencies as the engine's Efficiency (ValueErrors name mbu, mfu, allreduce_latency_s)."""
    u_b = v.fraction("mbu", mbu, scalar=True)
    u_f = v.fraction("mfu", mfu, scalar=True)
    lat = v.number("allreduce_latency_s", allreduce_latency_s, low=0, low_inclusive=True, high=1.0, scalar=True)
    return Efficiency(mbu=float(u_b), mfu=float(u_f), allreduce_latency_s=float(lat))


def _decode_parts(dep: Deployment, eff: Efficiency, b, c, *, ideal: bool = False) -> StepParts:
    """The engine's parts of a decode step: B new tokens, B x C pairs and cached tokens, B rows of logits."""
    return step_parts(replica_spec(dep, ideal=ideal), eff, b, b * c, b * c, b)


@dataclass(frozen=True)
class DecodeStep:
    """The parts of one decode step (seconds), and what they imply (§30.3).

    ``memory_s`` and ``compute_s`` sum the matmul and attention kernels' bytes and FLOPs times;
    ``bound`` compares them; the step is ``parts.step_time_s`` (each kernel its own roofline).
    """

    batch: object
    context: object
    memory_s: object
    compute_s: object
    comm_s: object
    step_time_s: object
    tokens_per_s: object
    bound: object  # "memory" / "compute", or an array of them
    parts: StepParts | None = None  # the engine's parts: matmul and attention, memory and compute

    @property
    def tpot_s(self):
        return self.step_time_s


def decode_step(dep: Deployment, batch, context, mbu=DEFAULT_MBU, mfu=DEFAULT_MFU,
                allreduce_latency_s=DEFAULT_ALLREDUCE_LATENCY_S) -> DecodeStep:
    """Time of one decode step at batch B and context C: the engine's master equation (§30.3).

    ``batch`` and ``context`` may be numpy arrays (broadcast together). Capacity is not checked
    here: use :func:`costlib.physics.memory.fit` first (the CLI and the widgets do).
    """
    deployment_arg(dep)
    b = v.number("batch", batch, low=1, low_inclusive=True)
    c = v.number("context", context, low=0, low_inclusive=True)
    p = _decode_parts(dep, _efficiency(mbu, mfu, allreduce_latency_s), b, c)
    scalar = np.ndim(p.step_time_s) == 0
    f = float if scalar else np.asarray
    return DecodeStep(batch=b, context=c, memory_s=f(p.memory_s), compute_s=f(p.compute_s), comm_s=p.comm_s,
                      step_time_s=p.step_time_s, tokens_per_s=f(b / p.step_time_s), bound=p.bound, parts=p)


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
    """Time to prefill one prompt alone (TTFT without queueing): the engine's step over its n tokens (§30.3).

    n new tokens, n (n + 1) / 2 causal attention pairs, nothing cached, one row of logits.
    """
    deployment_arg(dep)
    n = v.number("prompt_tokens", prompt_tokens, low=1, low_inclusive=True)
    eff = _efficiency(mbu, mfu, allreduce_latency_s)
    return step_parts(replica_spec(dep), eff, n, n * (n + 1) / 2, 0.0, 1.0).step_time_s


def prefill_tokens_per_s(dep: Deployment, prompt_tokens=1000, mfu=DEFAULT_MFU, **kw):
    """Prompt tokens per second of the replica when prefilling prompts of this length (§30.3)."""
    n = v.number("prompt_tokens", prompt_tokens, low=1, low_inclusive=True)
    return n / prefill_time_s(dep, n, mfu, **kw)


def ridge_batch(dep: Deployment, context, mbu=DEFAULT_MBU, mfu=DEFAULT_MFU) -> float:
    """Batch at which a decode step's compute time overtakes its memory time; inf if never (§30.3).

    From the engine's parts: every FLOP and the KV traffic grow with B, the weight reads do not
    (MoE: they grow towards all experts), so memory_s = compute_s where
    B = weight time(B) / (compute time per sequence - KV time per sequence), a fixed point for MoE.
    Below it :func:`decode_step` says "memory", above it "compute".
    """
    deployment_arg(dep)
    # one number each: the ridge is a single batch size (an array here ended in a TypeError)
    c = v.number("context", context, low=0, low_inclusive=True, scalar=True)
    eff = _efficiency(mbu, mfu, 0.0)
    one = _decode_parts(dep, eff, 1.0, c)
    denom = one.compute_s - one.attention_memory_s
    if denom <= 0:
        return math.inf
    ridge = one.matmul_memory_s / denom
    if dep.model.is_moe:  # the weights read grow with the batch; iterate to the fixed point
        for _ in range(60):
            ridge = _decode_parts(dep, eff, max(1.0, ridge), c).matmul_memory_s / denom
    return float(ridge)


def arithmetic_intensity(dep: Deployment, batch, context):
    """FLOPs per byte of one decode step, the engine's FLOPs over its HBM bytes (x axis of the roofline plot) (§30.6)."""
    deployment_arg(dep)
    b = v.number("batch", batch, low=1, low_inclusive=True)
    c = v.number("context", context, low=0, low_inclusive=True)
    w = step_work(replica_spec(dep), b, b * c, b * c, b)
    return w.flops / w.bytes


def prefill_arithmetic_intensity(dep_or_model, prompt_tokens, weights=None, kv=None):
    """FLOPs per byte of prefilling one n-token prompt, the engine's FLOPs over its HBM bytes (§30.3).

    The same step as :func:`prefill_time_s`: n tokens through the body, causal attention over
    n (n + 1) / 2 pairs and one row of logits, over the weights read once (MoE: the experts the n
    tokens touch) + the n tokens' KV written. ``dep_or_model`` is a Deployment (its precisions are used)
    or a model id / ModelSpec with ``weights`` (default bf16) and ``kv`` (default bf16); bytes and FLOPs
    do not depend on the GPU, so a model alone is put on one H100. ``prompt_tokens`` may be an array.
    """
    if isinstance(dep_or_model, Deployment):
        if weights is not None or kv is not None:
            raise ValueError("weights and kv must be None when dep_or_model is a Deployment (its own precisions "
                             f"are used); got weights={weights!r}, kv={kv!r}")
        dep = dep_or_model
    elif isinstance(dep_or_model, (str, ModelSpec)):
        m = get_model(dep_or_model) if isinstance(dep_or_model, str) else dep_or_model
        dep = Deployment(m, "H100-SXM", 1, get_precision("bf16" if weights is None else weights),
                         get_precision("bf16" if kv is None else kv))
    else:
        raise ValueError("dep_or_model must be a Deployment, a model id or a ModelSpec, got "
                         f"{dep_or_model!r}")
    n = v.number("prompt_tokens", prompt_tokens, low=1, low_inclusive=True)
    w = step_work(replica_spec(dep), n, n * (n + 1) / 2, 0.0, 1.0)
    out = w.flops / w.bytes
    return float(out) if np.ndim(out) == 0 else out


def attainable_flops(gpu_flops, gpu_bytes_per_s, intensity):
    """Roofline: min(peak FLOP/s, intensity x bandwidth) (§30.6)."""
    pk = v.number("gpu_flops", gpu_flops)
    bw = v.number("gpu_bytes_per_s", gpu_bytes_per_s)
    ai = v.number("intensity", intensity)
    return np.minimum(pk, ai * bw)


def decode_estimate(dep: Deployment, batch, context) -> dict:
    """Decode tokens/s at the chapter's low, mid and high MBU/MFU, plus the engine's ceiling (§30.4).

    The ceiling is the ceiling profile's step: efficiencies of 1, everything overlapped, no
    latencies, the loosest precision plan.
    """
    out = {lv: decode_tokens_per_s(dep, batch, context, *realism(lv)) for lv in ("low", "mid", "high")}
    b = v.number("batch", batch, low=1, low_inclusive=True)
    c = v.number("context", context, low=0, low_inclusive=True)
    out["ceiling"] = b / _decode_parts(dep, Efficiency(overlap=True), b, c, ideal=True).step_time_s
    return out

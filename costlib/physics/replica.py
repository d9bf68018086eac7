"""What one replica stores, reads and computes per token, under the precision plan real engines use (§30.3, §30.5).

A :class:`ReplicaSpec` turns a :class:`~costlib.catalog.deployment.Deployment` (model, GPU, TP, weight and
KV precisions) into the handful of per-replica numbers the step-time equation needs, in SI units. The
*precision plan* says which part of a step really runs in which format:

* the transformer body (attention and MLP projections) is stored in the weight format, plus its
  block scales: NVFP4 keeps one FP8 scale per 16 weights (4.5 bits per weight), INT4 (AWQ/GPTQ
  style) one 16-bit scale per 128 (4.125 bits); its matmuls run at the catalog's rate for that format
  (``GPUSpec.flops_for``: INT4 is weight-only, dequantized to 16 bits; FP4 without FP4 tensor cores
  runs at FP8);
* the input embedding table and the output head stay in 16 bits (quantized checkpoints leave them
  out, e.g. NVIDIA ModelOpt's FP8 and NVFP4 Llama checkpoints), and the head runs at the 16-bit rate;
* the KV cache is stored in its format, except that FP4 is stored as FP8: the engines behind the
  published FP4 runs keep the cache and the attention kernels in FP8 (TensorRT-LLM documentation),
  so attention runs at the rate of the cache's format, never narrower than FP8.

``ideal=True`` gives the loosest plan physics allows (everything in the weight format, the fastest
tensor rate the GPU lists for a format no narrower than the weights or the cache, never slower than the
real plan's rate): the ceiling uses it.
Every field may also be a numpy array (:func:`stack`), so one call predicts a whole table.
"""
from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass

import numpy as np

from ..catalog.deployment import Deployment
from ..catalog.tables import get_model, get_precision

__all__ = ["ReplicaSpec", "replica_spec", "stack", "scale_bytes_per_value", "kv_storage", "kv_bytes_per_token",
           "GIB_PER_GB", "device_memory_bytes"]

# Datasheets quote HBM in "GB" that are binary: an "80 GB" H100 has 80 GiB = 85.9e9 bytes.
GIB_PER_GB = 2**30 / 1e9
_BITS_TO_RATE = {16: "bf16_tflops", 8: "fp8_tflops", 4: "fp4_tflops"}
_WIDE_BYTES = 2.0  # embeddings and output head stay in 16 bits


def scale_bytes_per_value(weights) -> float:
    """Extra bytes per weight for block scales: NVFP4 1 byte per 16, INT4 2 bytes per 128, else 0 (§30.5)."""
    name = get_precision(weights).name.split("-")[0]
    return {"fp4": 1 / 16, "int4": 2 / 128}.get(name, 0.0)


def kv_storage(kv):
    """The format the KV cache is really stored in: FP4 is kept as FP8 by the modelled engines (§30.5)."""
    p = get_precision(kv)
    return get_precision("fp8") if p.name.startswith("fp4") else p


def kv_bytes_per_token(model, kv="bf16") -> float:
    """KV-cache bytes per token as stored: 2 (K and V) x layers x KV heads x head dim x bytes (FP4 kept as FP8) (§30.3)."""
    m = get_model(model)
    return 2.0 * m.n_layers * m.n_kv_heads * m.head_dim * kv_storage(kv).bytes_per_value


def device_memory_bytes(gpu) -> float:
    """Memory of one GPU in bytes: the datasheet's GB read as GiB (an H100's 80 GB is 85.9e9 bytes) (§30.3)."""
    return gpu.hbm_bytes * GIB_PER_GB


def _rate(gpu, bits: float, *, fastest: bool = False) -> float:
    """Dense peak FLOP/s for matmuls in a format of ``bits`` (the next wider format the GPU has, else bf16)."""
    listed = {b: gpu.peak_flops[c] for b, c in _BITS_TO_RATE.items() if c in gpu.peak_flops}
    wide_enough = [b for b in listed if b >= bits]
    if not wide_enough:
        return gpu.peak_flops["bf16_tflops"]
    if fastest:
        return max(listed[b] for b in wide_enough)
    return listed[min(wide_enough)]


@dataclass(frozen=True)
class ReplicaSpec:
    """Per-replica bytes, FLOPs and rates the step-time equation needs, SI units (§30.3)."""

    tp: object
    n_layers: object
    hidden_size: object
    memory_bytes: object  # all GPUs of the replica
    hbm_bytes_per_s: object  # one GPU
    link_bytes_per_s: object  # one GPU, one direction
    resident_weight_bytes: object  # weights held in memory, whole replica
    step_weight_bytes: object  # weights every step reads (MoE: without the experts)
    expert_bytes: object  # one expert over all layers (0 for a dense model)
    n_experts: object
    experts_per_token: object
    body_flops_per_token: object  # 2 x active parameters of the transformer body
    head_flops_per_token: object  # 2 x vocab x hidden, for each row that needs logits
    attention_flops_per_pair: object  # 4 x layers x heads x head_dim per (query, key) pair
    kv_bytes_per_token: object
    gemm_flops_per_s: object  # one GPU, body matmuls
    head_flops_per_s: object  # one GPU, output head
    attention_flops_per_s: object  # one GPU, attention

    def weights_read_bytes(self, new_tokens, *, fewest: bool = False):
        """Weight bytes a step of ``new_tokens`` tokens reads: MoE reads only the experts they touch (§30.3).

        With E experts and k per token, T tokens touch on average E (1 - (1 - k/E)^T) experts per layer
        (uniform routing); ``fewest`` counts the k experts no routing can avoid (for the ceiling).
        """
        if fewest:
            return self.step_weight_bytes + self.experts_per_token * self.expert_bytes
        t = np.maximum(new_tokens, 1.0)
        touched = self.n_experts * (1 - (1 - self.experts_per_token / self.n_experts) ** t)
        return self.step_weight_bytes + touched * self.expert_bytes


@functools.lru_cache(maxsize=4096)
def _spec(dep: Deployment, ideal: bool) -> ReplicaSpec:
    m, g, tp = dep.model, dep.gpu, dep.tp
    w = dep.weights
    kv = kv_storage(dep.kv)
    body_bytes = w.bytes_per_value + (0.0 if ideal else scale_bytes_per_value(w))
    wide = w.bytes_per_value if ideal else _WIDE_BYTES
    vh = m.vocab_size * m.hidden_size
    shared_body = m.shared_params - m.embedding_params  # attention, norms, routers
    resident = (m.n_params - m.embedding_params) * body_bytes + m.embedding_params * wide
    head_bytes = vh * wide
    step_weights = shared_body * body_bytes + head_bytes
    if m.is_moe:
        expert = m.n_layers * m.expert_params * body_bytes
    else:
        step_weights += m.n_layers * m.expert_params * body_bytes
        expert = 0.0
    kv_bits = kv.bits
    real_gemm = g.flops_for(w)  # the catalog's rate for the weight format (INT4: 16-bit matmuls)
    return ReplicaSpec(
        tp=tp, n_layers=m.n_layers, hidden_size=m.hidden_size,
        memory_bytes=tp * device_memory_bytes(g), hbm_bytes_per_s=g.hbm_bytes_per_s,
        link_bytes_per_s=g.link_bytes_per_s, resident_weight_bytes=resident,
        step_weight_bytes=step_weights, expert_bytes=expert,
        n_experts=m.n_experts, experts_per_token=m.experts_per_token,
        body_flops_per_token=2.0 * (m.n_active_params - m.embedding_params),
        head_flops_per_token=2.0 * vh,
        attention_flops_per_pair=4.0 * m.n_layers * m.n_heads * m.head_dim,
        kv_bytes_per_token=kv_bytes_per_token(m, kv),
        gemm_flops_per_s=max(_rate(g, min(w.bits, kv_bits), fastest=True), real_gemm) if ideal else real_gemm,
        head_flops_per_s=_rate(g, w.bits, fastest=True) if ideal else _rate(g, 16),
        attention_flops_per_s=_rate(g, min(w.bits, kv_bits) if ideal else max(kv_bits, 8), fastest=ideal),
    )


def replica_spec(dep: Deployment, *, ideal: bool = False) -> ReplicaSpec:
    """The :class:`ReplicaSpec` of a deployment; ``ideal`` for the ceiling's loosest plan (§30.3)."""
    if not isinstance(dep, Deployment):
        raise ValueError(f"dep must be a Deployment (costlib.deployment(model, gpu, tp, weights, kv)), got {dep!r}")
    return _spec(dep, bool(ideal))


def stack(specs) -> ReplicaSpec:
    """One ReplicaSpec whose fields are arrays, one entry per given spec (for vectorised tables)."""
    specs = list(specs)
    names = [f.name for f in dataclasses.fields(ReplicaSpec)]
    return ReplicaSpec(**{n: np.array([getattr(s, n) for s in specs], dtype=float) for n in names})

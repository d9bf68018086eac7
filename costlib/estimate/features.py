"""What the ceiling and the realistic model need about a deployment and a request shape, in SI units (§30.3, §30.4)."""
from __future__ import annotations

import functools
import math

import numpy as np

from costlib.catalog.tables import get_gpu, get_model, get_precision

__all__ = ['GIB_PER_GB', 'physical_hbm_bytes', 'ceiling_peak_flops', 'features', 'stack_features']

# Datasheets quote HBM in "GB" that are in fact binary (an H100's 80 GB are 80 GiB = 85.9e9 bytes;
# nvidia-smi reports 81,559 MiB). The catalog keeps the decimal figure; the ceiling reads it as
# GiB, the larger of the two readings, so it stays an upper bound whichever one is meant.
GIB_PER_GB = 2**30 / 1e9


_FORMAT_BITS = {"bf16_tflops": 16, "fp8_tflops": 8, "int8_tops": 8, "fp4_tflops": 4}


def physical_hbm_bytes(gpu) -> float:
    """An upper bound on a GPU's memory: its datasheet GB read as GiB (80 GB -> 85.9e9 bytes) (§30.3)."""
    return get_gpu(gpu).hbm_bytes * GIB_PER_GB


def ceiling_peak_flops(gpu, weights, kv=None) -> float:
    """Fastest dense tensor-core rate the GPU lists for a format no narrower than the weights/KV (§30.8).

    Whatever format an engine picks for the matmuls (e.g. fp4 weights with fp8 activations on an
    H100, or attention in fp8 over an fp8 KV cache), it cannot beat this rate.
    """
    g = get_gpu(gpu)
    bits = min(get_precision(weights).bits, get_precision(kv if kv is not None else weights).bits)
    bits = math.floor(bits + 1e-9)
    rates = [r for col, r in g.peak_flops.items() if _FORMAT_BITS.get(col, 16) >= bits]
    return max(rates) if rates else g.peak_flops["bf16_tflops"]


@functools.lru_cache(maxsize=4096)
def _spec_features(gpu_id, model_id, weights, kv, tp):
    g, m = get_gpu(gpu_id), get_model(model_id)
    w, k = get_precision(weights), get_precision(kv)
    bpv = w.bytes_per_value
    vh = m.vocab_size * m.hidden_size
    emb_in = 0 if m.tied_embeddings else vh  # the input table is looked up, not read or multiplied
    weight_bytes = m.n_params * bpv
    kvb = 2 * m.n_layers * m.n_kv_heads * m.head_dim * k.bytes_per_value
    if m.is_moe:
        # strict minimum: a step touches at least k experts per layer
        read_min = (m.shared_params - emb_in + m.n_layers * m.experts_per_token * m.expert_params) * bpv
    else:
        read_min = weight_bytes - emb_in * bpv
    return {
        "tp": float(tp), "hbm_bytes_per_s": g.hbm_bytes_per_s, "link_bytes_per_s": g.link_bytes_per_s,
        "hbm_physical_bytes": physical_hbm_bytes(g), "peak_ceiling": ceiling_peak_flops(g, w, k),
        "peak_real": g.flops_for(w), "weight_bytes": weight_bytes, "kv_bytes_per_token": float(kvb),
        "weight_read_min_bytes": read_min,
        "shared_read_bytes": (m.shared_params - emb_in) * bpv,
        "expert_layer_bytes": m.n_layers * m.expert_params * bpv,
        "n_experts": float(m.n_experts), "experts_per_token": float(m.experts_per_token),
        "is_moe": float(m.is_moe),
        "body_params": float(m.n_active_params - m.embedding_params), "head_params": float(vh),
        "attn_width": float(m.n_layers * m.n_heads * m.head_dim),
        "n_layers": float(m.n_layers), "hidden_size": float(m.hidden_size),
    }


def features(m) -> dict:
    """Everything the ceiling and the realistic model need about one row (a Measurement), in SI units."""
    f = dict(_spec_features(m.gpu, m.model, m.weights, m.kv, m.tp))
    i, o = float(m.input_len), float(m.output_len)
    # decode step k (k = 2..O) attends over I + k - 1 cached tokens: sum = (O-1) I + (O-1) O / 2
    ctx_sum = (o - 1) * i + (o - 1) * o / 2
    f.update(
        input_len=i, output_len=o, replicas=float(m.replicas), ctx_sum=ctx_sum,
        avg_context=i + o / 2,
        # FLOPs per request: prefill (matmuls, head for the last position only, causal attention)
        # + O-1 decode tokens (matmuls + head + attention over the cache)
        flops=(2 * f["body_params"] * i + 2 * f["head_params"] + 2 * f["attn_width"] * i * (i + 1)
               + (o - 1) * 2 * (f["body_params"] + f["head_params"]) + 4 * f["attn_width"] * ctx_sum),
        kv_bytes_moved=f["kv_bytes_per_token"] * (ctx_sum + i + o - 1),  # reads while decoding + writes
        cap_ceiling_tokens=(f["tp"] * f["hbm_physical_bytes"] - f["weight_bytes"]) / f["kv_bytes_per_token"],
    )
    return f


def stack_features(measurements) -> dict:
    rows = [features(m) for m in measurements]
    if not rows:
        return {}
    return {k: np.array([r[k] for r in rows], dtype=float) for k in rows[0]}

"""Interview drills d11-d14 on scale: mixture-of-experts, disaggregated prefill/decode pools, long
context and serving under load (§30.3, §30.4, §30.6, §30.9): their inputs and answer functions.

Numbering: d15 and d16 are reserved for the drills on prefix caching and speculative decoding, which
come with those capabilities. The texts are data,
``costlib/data/questions_scale.yaml``; the tables at the end fill the names it uses.

| drill | skill | checked quantity |
|---|---|---|
| d11 | MoE: memory follows total parameters, bytes read follow the experts touched | fraction of the weight bytes one decode step reads |
| d12 | disaggregated serving: a prefill pool and a decode pool | GPUs in the two pools together |
| d13 | long context: the KV cache outgrows the weights | KV-cache share of the bytes a decode step reads |
| d14 | serving under load: Little's law on the simulation's own latencies | requests in the system |
"""
from __future__ import annotations

import math

from costlib.catalog.deployment import deployment
from costlib.catalog.tables import get_model
from costlib.physics.memory import fit, kv_bytes_per_token, weight_bytes
from costlib.physics.step import (
    decode_tokens_per_s,
    prefill_tokens_per_s,
    weight_bytes_read_per_step,
)
from costlib.teaching.chapter.inputs import Inputs

__all__ = ["D11", "D12", "D13", "D14", "RESERVED_DRILLS", "experts_touched", "pool_replicas", "INPUTS",
           "EXPECTED", "SLIPS", "TEXT_VALUES"]

RESERVED_DRILLS = {"d15": "prefix caching", "d16": "speculative decoding"}

_H100 = "H100-SXM"

D11 = Inputs(
    "Drill 11 (§30.3, mixture of experts): Mixtral 8x7B (8 experts per layer, 2 routed per token, "
    "its config.json) in bf16 on two H100s; routing assumed uniform and independent per token",
    model="mixtral-8x7b", gpu=_H100, tp=2, weights="bf16", batch=2)

D12 = Inputs(
    "Drill 12 (§30.6, disaggregated prefill and decode): flat traffic, no headroom; Llama 3.1 70B "
    "FP8 on TP=2 H100 replicas in both pools; a prefill replica runs one prompt at a time at "
    "costlib's prefill rate (mid-range MFU), a decode replica runs the largest batch of "
    "(prompt + output)-token sequences that fits",
    model="llama-3.1-70b", gpu=_H100, tp=2, weights="fp8", requests_per_s=25.0,
    prompt_tokens=2000, output_tokens=200)

D13 = Inputs(
    "Drill 13 (§30.3, long context): Llama 3.1 8B in bf16 on one H100, one sequence at its full "
    "128k context (131,072 tokens, its max_position_embeddings)",
    model="llama-3.1-8b", gpu=_H100, tp=1, weights="bf16", kv="bf16", batch=1, context=131_072)

D14 = Inputs(
    "Drill 14 (§30.4, serving under load): one replica of Llama 3.1 70B with FP8 weights and KV cache "
    "on four H100s, requests of 2,000 input + 50 output tokens arriving at random (Poisson) at 7 per "
    "second; latencies from costlib's simulation of 500 requests (seed 0, calibrated profile)",
    model="llama-3.1-70b", gpu=_H100, tp=4, weights="fp8", kv="fp8", prompt_tokens=2000,
    output_tokens=50, requests_per_s=7.0, requests=500, seed=0)


# d11 --------------------------------------------------------------

def experts_touched(n_experts: int, experts_per_token: int, batch: int) -> float:
    """Expected distinct experts a batch touches per layer under uniform routing (§30.3)."""
    return n_experts * (1 - (1 - experts_per_token / n_experts) ** batch)


def _d11_dep():
    return deployment(D11.model, D11.gpu, tp=D11.tp, weights=D11.weights)


def _d11_expected():
    return float(weight_bytes_read_per_step(_d11_dep(), D11.batch)
                 / weight_bytes(D11.model, D11.weights))


def _d11_by_hand(touched=None, shared=True):
    """The fraction written out, with the experts touched (or the shared part) swapped."""
    m = get_model(D11.model)
    t = experts_touched(m.n_experts, m.experts_per_token, D11.batch) if touched is None \
        else touched
    read = (m.shared_params if shared else 0) + m.n_layers * t * m.expert_params
    held = m.n_params if shared else m.n_layers * m.n_experts * m.expert_params
    return read / held


# d12 --------------------------------------------------------------

def _d12_dep():
    return deployment(D12.model, D12.gpu, tp=D12.tp, weights=D12.weights)


def _d12_rates(decode_batch=None):
    """(prefill tokens/s, decode tokens/s) of one replica."""
    dep, ctx = _d12_dep(), D12.prompt_tokens + D12.output_tokens
    batch = fit(dep, context=ctx).max_batch if decode_batch is None else decode_batch
    return (prefill_tokens_per_s(dep, D12.prompt_tokens),
            decode_tokens_per_s(dep, batch, ctx))


def pool_replicas(tokens_per_s: float, tokens_per_s_per_replica: float, whole=True) -> float:
    """Replicas a pool needs for a flat token rate, rounded up to whole replicas (§30.10)."""
    r = tokens_per_s / tokens_per_s_per_replica
    return float(math.ceil(r)) if whole else r


def _d12_gpus(whole=True, per_gpu=True, prefill_rate=None, decode_batch=None, pools="both"):
    pre, dec = _d12_rates(decode_batch)
    pre = pre if prefill_rate is None else prefill_rate
    need_pre = D12.requests_per_s * D12.prompt_tokens
    need_dec = D12.requests_per_s * D12.output_tokens
    replicas = ((pool_replicas(need_pre, pre, whole) if pools in ("both", "prefill") else 0)
                + (pool_replicas(need_dec, dec, whole) if pools in ("both", "decode") else 0))
    return replicas * (D12.tp if per_gpu else 1)


# d13 --------------------------------------------------------------

def _d13_share(kv_scale=1.0, ratio=False):
    dep = deployment(D13.model, D13.gpu, tp=D13.tp, weights=D13.weights, kv=D13.kv)
    kv = kv_bytes_per_token(D13.model, D13.kv) * kv_scale * D13.context * D13.batch
    w = weight_bytes_read_per_step(dep, D13.batch)
    return kv / w if ratio else kv / (kv + w)


# d14 --------------------------------------------------------------

def _d14_latencies():
    """(mean TTFT s, mean ITL s) of the simulated replica (costlib.estimate.serving)."""
    from costlib.estimate.serving import engine_step, simulate

    dep = deployment(D14.model, D14.gpu, tp=D14.tp, weights=D14.weights, kv=D14.kv)
    r = simulate(engine_step(dep), D14.prompt_tokens, D14.output_tokens, rate=D14.requests_per_s,
                 requests=D14.requests, seed=D14.seed, keep_trace=False)
    return r.ttft_mean_s, r.itl_mean_s


def _d14_shown():
    """The latencies as the question shows them: TTFT in whole ms, ITL to 0.1 ms."""
    ttft, itl = _d14_latencies()
    return round(ttft * 1e3) / 1e3, round(itl * 1e4) / 1e4


def _d14_in_system(ttft=True, decode=True, gaps=None, rate=None):
    """Little's law: rate x (TTFT + (output - 1) x ITL), with parts left out for the slips."""
    t, i = _d14_shown()
    n = D14.output_tokens - 1 if gaps is None else gaps
    lam = D14.requests_per_s if rate is None else rate
    return lam * ((t if ttft else 0.0) + (n * i if decode else 0.0))


# ---------------------------------------------------------------- what the question data names

INPUTS = {"D11": D11, "D12": D12, "D13": D13, "D14": D14}

EXPECTED = {
    "d11": _d11_expected,
    "d12": lambda: _d12_gpus(),
    "d13": lambda: _d13_share(),
    "d14": lambda: _d14_in_system(),
}

# slip name -> a function computing the slipped answer from the drill's inputs
SLIPS = {
    "d11": {
        "active_only": lambda: get_model(D11.model).n_active_params / get_model(D11.model).n_params,
        "linear_experts": lambda: _d11_by_hand(touched=min(
            get_model(D11.model).n_experts, D11.batch * get_model(D11.model).experts_per_token)),
        "experts_only": lambda: _d11_by_hand(shared=False),
        "top1": lambda: _d11_by_hand(touched=experts_touched(get_model(D11.model).n_experts, 1,
                                                            D11.batch)),
    },
    "d12": {
        "replicas_not_gpus": lambda: _d12_gpus(per_gpu=False),
        "not_rounded": lambda: _d12_gpus(whole=False),
        "decode_rate_for_prefill": lambda: _d12_gpus(prefill_rate=_d12_rates()[1]),
        "decode_batch_1": lambda: _d12_gpus(decode_batch=1),
        "decode_pool_only": lambda: _d12_gpus(pools="decode"),
    },
    "d13": {
        "attention_heads": lambda: _d13_share(
            kv_scale=get_model(D13.model).n_heads / get_model(D13.model).n_kv_heads),
        "kv_over_weights": lambda: _d13_share(ratio=True),
        "half_kv": lambda: _d13_share(kv_scale=0.5),
        "one_layer": lambda: _d13_share(kv_scale=1 / get_model(D13.model).n_layers),
    },
    "d14": {
        "no_queueing_wait": lambda: _d14_in_system(ttft=False),
        "ttft_only": lambda: _d14_in_system(decode=False),
        "tokens_not_requests": lambda: _d14_in_system(rate=D14.requests_per_s * D14.output_tokens),
        "milliseconds": lambda: 1e3 * _d14_in_system(),
    },
}


def _d12_values() -> dict:
    pre, dec = _d12_rates()
    return {"d12_prefill_tokens_per_s": D12.requests_per_s * D12.prompt_tokens,
            "d12_decode_tokens_per_s": D12.requests_per_s * D12.output_tokens,
            "d12_context": D12.prompt_tokens + D12.output_tokens}


def _d11_values() -> dict:
    m = get_model(D11.model)
    return {"d11_n_experts": m.n_experts, "d11_k": m.experts_per_token,
            "d11_total_b": m.n_params / 1e9, "d11_active_b": m.n_active_params / 1e9}


def _d14_values() -> dict:
    t, i = _d14_shown()
    return {"d14_ttft_ms": t * 1e3, "d14_itl_ms": i * 1e3, "d14_gaps": D14.output_tokens - 1}


TEXT_VALUES = {"d11": _d11_values, "d12": _d12_values, "d14": _d14_values,
               "d13": lambda: {"d13_kv_heads": get_model(D13.model).n_kv_heads,
                               "d13_heads": get_model(D13.model).n_heads}}

"""The deployments the claims compare: the largest batch that fits, the cheapest and the smallest TP (§30.3, §30.8)."""
from __future__ import annotations

from costlib.catalog.deployment import Deployment, deployment, valid_tp
from costlib.catalog.tables import get_gpu, get_model
from costlib.economics.cost import decode_usd_per_million
from costlib.physics.memory import fit, min_tp
from costlib.physics.step import decode_tokens_per_s
from costlib.teaching.chapter.inputs import BATCH_CAP, CONTEXT_TOKENS

__all__ = ["best_batch", "cheapest_deployment", "smallest_deployment"]


def best_batch(dep: Deployment, context: int = CONTEXT_TOKENS, cap: int = BATCH_CAP) -> int:
    return int(min(fit(dep, context=context).max_batch, cap))


def cheapest_deployment(model, gpu, weights="bf16", kv=None, usd_per_gpu_hour=2.0,
                        context: int = CONTEXT_TOKENS, batch_cap: int = BATCH_CAP) -> dict:
    """The TP (up to 8) with the lowest decode $/M at the largest batch that fits (§30.8).

    Returns a dict with tp, batch, tokens_per_s (replica), tokens_per_s_per_gpu, usd_per_million and
    the Deployment; raises ValueError if no TP up to 8 holds the weights plus one sequence.
    """
    best = None
    for tp in valid_tp(model, 8):
        dep = deployment(model, gpu, tp, weights, kv)
        b = best_batch(dep, context, batch_cap)
        if b < 1:
            continue
        usd = decode_usd_per_million(dep, usd_per_gpu_hour, b, context)
        if best is None or usd < best["usd_per_million"]:
            tps = decode_tokens_per_s(dep, b, context)
            best = {"tp": tp, "batch": b, "tokens_per_s": tps, "tokens_per_s_per_gpu": tps / tp,
                    "usd_per_million": usd, "deployment": dep}
    if best is None:
        raise ValueError(
            f"{get_model(model).id} in {weights} does not fit on up to 8x{get_gpu(gpu).id}")
    return best


def smallest_deployment(model, gpu, weights="bf16", kv=None, usd_per_gpu_hour=2.0, utilization=1.0) -> dict:
    """The smallest TP that holds the weights plus one sequence, at its largest batch."""
    tp = min_tp(model, gpu, weights, "bf16" if kv is None else kv, context=CONTEXT_TOKENS)
    dep = deployment(model, gpu, tp, weights, kv)
    b = best_batch(dep)
    tps = decode_tokens_per_s(dep, b, CONTEXT_TOKENS)
    usd = decode_usd_per_million(dep, usd_per_gpu_hour, b, CONTEXT_TOKENS, utilization)
    return {"tp": tp, "batch": b, "tokens_per_s": tps, "tokens_per_s_per_gpu": tps / tp,
            "deployment": dep, "usd_per_million": usd}


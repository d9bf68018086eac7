"""The deployments the claims compare, priced on the one engine: the cheapest and the smallest TP (§30.3, §30.8).

Every figure comes from :func:`costlib.economics.quote.quote` (itself on
:func:`costlib.estimate.predict.predict`): the calibrated band (low/mid/high) of a max-throughput run
at the memory-limited batch, on requests of ``INPUT_TOKENS`` + ``OUTPUT_TOKENS`` (one
``CONTEXT_TOKENS``-token sequence each), and the physics ceiling beside it.
"""
from __future__ import annotations

from costlib.catalog.deployment import deployment, valid_tp
from costlib.catalog.tables import get_gpu, get_model
from costlib.economics.cost import usd_per_million_tokens
from costlib.economics.quote import quote
from costlib.teaching.chapter.inputs import INPUT_TOKENS, OUTPUT_TOKENS

__all__ = ["engine_quote", "cheapest_deployment", "smallest_deployment", "usd_band", "ratio_band", "MAX_TP"]

MAX_TP = 8  # the largest tensor-parallel degree the claims consider: one 8-GPU node


def engine_quote(model, gpu, tp, weights="bf16", kv=None, usd_per_gpu_hour=2.0, utilization=1.0,
                 batch=None, profile="calibrated") -> dict | None:
    """One replica on the engine: band of tokens/s and $/M, its batch and the ceiling; None if it does not fit (§30.4).

    Keys: tp, batch, tokens_per_s (mid, replica), tokens_per_s_per_gpu (mid), usd_per_million (mid),
    usd_low/usd_high ($/M at the fast/slow end of the band), usd_ceiling ($/M at the physics ceiling),
    tps_low/tps_high/tps_ceiling (replica), profile, deployment, quote.
    """
    q = quote(model, gpu, tp, weights, "bf16" if kv is None else kv,
              input_len=INPUT_TOKENS, output_len=OUTPUT_TOKENS, batch=batch, profile=profile,
              usd_per_gpu_hour=usd_per_gpu_hour, utilization=utilization)
    if not q.ok:
        return None
    tps, usd = q.tokens_per_s, q.usd_per_million
    return {"tp": tp, "batch": int(q.batch), "tokens_per_s": tps.mid, "tokens_per_s_per_gpu": tps.mid / tp,
            "usd_per_million": usd.mid, "usd_low": usd.low, "usd_high": usd.high,
            "usd_ceiling": usd_per_million_tokens(usd_per_gpu_hour * tp, tps.ceiling, utilization),
            "tps_low": tps.low, "tps_high": tps.high, "tps_ceiling": tps.ceiling, "profile": q.profile,
            "deployment": deployment(model, gpu, tp, weights, kv), "quote": q}


def cheapest_deployment(model, gpu, weights="bf16", kv=None, usd_per_gpu_hour=2.0, utilization=1.0,
                        profile="calibrated") -> dict:
    """The TP (up to 8) with the lowest mid $/M on the engine, at its memory-limited batch (§30.8).

    Returns :func:`engine_quote`'s dict; raises ValueError if no TP up to 8 holds the weights plus
    one request.
    """
    best = None
    for tp in valid_tp(model, MAX_TP):
        d = engine_quote(model, gpu, tp, weights, kv, usd_per_gpu_hour, utilization, profile=profile)
        if d is not None and (best is None or d["usd_per_million"] < best["usd_per_million"]):
            best = d
    if best is None:
        raise ValueError(f"{get_model(model).id} in {weights} does not fit on up to "
                         f"{MAX_TP}x{get_gpu(gpu).id}")
    return best


def smallest_deployment(model, gpu, weights="bf16", kv=None, usd_per_gpu_hour=2.0, utilization=1.0,
                        profile="calibrated") -> dict:
    """The smallest TP that holds the weights plus one request on the engine, at its memory-limited batch (§30.3)."""
    for tp in valid_tp(model, MAX_TP):
        d = engine_quote(model, gpu, tp, weights, kv, usd_per_gpu_hour, utilization, profile=profile)
        if d is not None:
            return d
    raise ValueError(f"{get_model(model).id} in {weights} does not fit on up to {MAX_TP}x{get_gpu(gpu).id}")


def usd_band(d: dict) -> tuple:
    """A deployment's $/M as (low, mid, high): the fast end of the band is the cheap one (§30.4)."""
    return d["usd_low"], d["usd_per_million"], d["usd_high"]


def ratio_band(num: dict, den: dict) -> tuple:
    """num's $/M over den's at the same point of the band (low with low ...), sorted (§30.4).

    Both run on the same profile, so their errors move together: the ratio's band is the spread of
    the three paired ratios, not the product of the two bands.
    """
    r = sorted(a / b for a, b in zip(usd_band(num), usd_band(den), strict=True))
    return r[0], num["usd_per_million"] / den["usd_per_million"], r[2]

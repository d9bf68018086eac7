"""Interview drills on the levers beyond the chapter: d15 prefix caching, d16 speculative decoding, d17 energy.

d15 and d16 take the numbers reserved for them (``questions_scale.RESERVED_DRILLS``); d17, energy,
takes the next free one. The texts are data, ``costlib/data/questions_levers.yaml``; the tables at
the end give the expected answers and the slips' values, each recomputed from the drill's inputs
with the slip applied.

| drill | skill | checked quantity |
|---|---|---|
| d15 | the billing grammar of a price sheet with prompt caching | blended $/M prompt tokens |
| d16 | speculative decoding at batch 1 | decode speedup |
| d17 | energy per token from board power, step time and PUE | kWh per million output tokens |
"""
from __future__ import annotations

import inspect

from costlib.catalog.deployment import deployment
from costlib.catalog.tables import get_gpu
from costlib.economics.billing import api_billing, api_usd_per_million_input
from costlib.estimate.energy import J_PER_KWH, board_power_w, energy_use
from costlib.estimate.predict import predict
from costlib.estimate.speculative import expected_tokens_per_step, speculative_speedup
from costlib.teaching.chapter.inputs import Inputs

__all__ = ["D15", "D16", "D17", "INPUTS", "EXPECTED", "SLIPS", "TEXT_VALUES"]

_EXAMPLE = dict(model="llama-3.1-70b", gpu="H100-SXM", tp=2, weights="fp8", kv="fp8")

D15 = Inputs(
    "Drill 15 (§30.5, prefix caching on an API): a RAG assistant on Claude Sonnet; each prompt is a "
    "document prefix shared by a conversation plus the user's question; the provider's cache keeps "
    "the prefix between requests",
    api="claude-sonnet", prompt_tokens=12_000, prefix_tokens=10_000, requests_that_hit=0.9)

D16 = Inputs(
    "Drill 16 (§30.3, speculative decoding): Llama 3.1 70B FP8 (KV FP8) on two H100s (TP=2), one "
    "user (batch 1), 1,000 + 1,000 tokens, the calibrated profile; a draft proposes k tokens at a "
    "cost of c target steps each",
    alpha=0.7, k=4, draft_cost=0.05, batch=1, input_len=1000, output_len=1000, **_EXAMPLE)

D17 = Inputs(
    "Drill 17 (§30.2, energy): Llama 3.1 70B FP8 (KV FP8) on two H100 SXM (TP=2) at max throughput, "
    "1,000 + 1,000 tokens, the calibrated profile; board power = TDP x (idle + (1 - idle) x busy)",
    idle_fraction=0.1, pue=1.2, input_len=1000, output_len=1000, **_EXAMPLE)


def _dep(d):
    return deployment(d.model, d.gpu, d.tp, d.weights, d.kv)


# d15 --------------------------------------------------------------

def _d15_shares(hit=None):
    """(cached share, written share) of the prompt tokens: the prefix is hit or written per request."""
    hit = D15.requests_that_hit if hit is None else hit
    prefix = D15.prefix_tokens / D15.prompt_tokens
    return hit * prefix, (1 - hit) * prefix


def _d15(cached_price=None, write_price=None, shares=None):
    b = api_billing(D15.api)
    h, w = _d15_shares() if shares is None else shares
    if cached_price is None and write_price is None:
        return api_usd_per_million_input(b, h, w)
    cached = b.usd_per_million_cached_input if cached_price is None else cached_price
    write = b.usd_per_million_cache_write if write_price is None else write_price
    return (1 - h - w) * b.usd_per_million_input + h * cached + w * write


# d16 --------------------------------------------------------------

def _d16(**changes):
    a = {"alpha": D16.alpha, "k": D16.k, "draft_cost": D16.draft_cost, **changes}
    return speculative_speedup(_dep(D16), D16.batch, D16.input_len, D16.output_len, a["alpha"], a["k"],
                               a["draft_cost"])


def _d16_tokens_instead(tokens):
    """The speedup with ``tokens`` per verification step in place of E."""
    return _d16() * tokens / expected_tokens_per_step(D16.alpha, D16.k)


# d17 --------------------------------------------------------------

def _d17_estimate():
    return predict(_dep(D17), D17.input_len, D17.output_len)


def _d17(watts=None, gpus=None, pue=None, j_per_kwh=J_PER_KWH):
    e = _d17_estimate()
    tdp = get_gpu(D17.gpu).tdp_w
    p = board_power_w(tdp, e.busy_fraction, D17.idle_fraction) if watts is None else watts
    n = e.n_gpus if gpus is None else gpus
    f = D17.pue if pue is None else pue
    return p * n * f / e.output_tokens_per_s.mid * 1e6 / j_per_kwh


# ---------------------------------------------------------------- what the question data names

INPUTS = {"D15": D15, "D16": D16, "D17": D17}

EXPECTED = {
    "d15": _d15,
    "d16": _d16,
    "d17": lambda: energy_use(_d17_estimate(), get_gpu(D17.gpu).tdp_w, pue=D17.pue,
                              idle_fraction=D17.idle_fraction).kwh_per_million_output_tokens,
}

SLIPS = {
    "d15": {
        "cached_free": lambda: _d15(cached_price=0.0),
        "write_at_input": lambda: _d15(write_price=api_billing(D15.api).usd_per_million_input),
        "no_cache": lambda: api_billing(D15.api).usd_per_million_input,
        "requests_as_tokens": lambda: _d15(shares=(D15.requests_that_hit, 1 - D15.requests_that_hit)),
    },
    "d16": {
        "k_not_expected": lambda: _d16_tokens_instead(D16.k),
        "k_plus_one": lambda: _d16_tokens_instead(D16.k + 1),
        "alpha_to_the_k": lambda: _d16_tokens_instead((1 - D16.alpha ** D16.k) / (1 - D16.alpha)),
        "draft_free": lambda: _d16(draft_cost=0.0),
    },
    "d17": {
        "watt_hours_as_joules": lambda: _d17(j_per_kwh=1e3),
        "no_pue": lambda: _d17(pue=1.0),
        "one_gpu": lambda: _d17(gpus=1),
        "tdp_always": lambda: _d17(watts=get_gpu(D17.gpu).tdp_w),
    },
}


def _d15_values() -> dict:
    b = api_billing(D15.api)
    h, w = _d15_shares()
    return {"d15_input": b.usd_per_million_input, "d15_cached": b.usd_per_million_cached_input,
            "d15_write": b.usd_per_million_cache_write, "d15_cached_share": h, "d15_write_share": w}


def _default_profile() -> str:
    """The profile predict() uses when none is given, which d16 and d17 rely on."""
    return str(inspect.signature(predict).parameters["profile"].default)


def _d16_values() -> dict:
    return {"d16_expected_tokens": expected_tokens_per_step(D16.alpha, D16.k),
            "default_profile": _default_profile()}


def _d17_values() -> dict:
    e = _d17_estimate()
    return {"d17_tdp": get_gpu(D17.gpu).tdp_w, "d17_busy": e.busy_fraction,
            "d17_tokens_per_s": e.output_tokens_per_s.mid, "default_profile": e.profile}


TEXT_VALUES = {"d15": _d15_values, "d16": _d16_values, "d17": _d17_values}

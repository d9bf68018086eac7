"""The explorers' starting points, taken from the chapter and the catalogs: its model, its price per GPU-hour, a deployment (§30.2, §30.3)."""
from __future__ import annotations

from costlib.catalog.tables import gpu_usd_per_hour
from costlib.estimate.energy import lever_constant
from costlib.physics.step import DEFAULT_MBU, DEFAULT_MFU
from costlib.teaching.chapter import CONTEXT_TOKENS, P4, S30_2, S30_3, S30_5, S30_10

__all__ = ["CHAPTER_MODEL", "USD_PER_GPU_HOUR", "DEFAULT_DEPLOYMENT", "PRESETS"]

CHAPTER_MODEL = S30_3.model
USD_PER_GPU_HOUR = S30_2.default_usd_per_hour  # the chapter's price used throughout (§30.2)
# The deployment most explorers start from: the chapter's 70B on H100s, in a form that fits with
# room for a real batch (FP8 weights on TP=2; bf16 on one H100 does not fit at all, §30.3).
DEFAULT_DEPLOYMENT = {"model": CHAPTER_MODEL, "gpu": "H100-SXM", "weights": "fp8", "kv": "bf16", "tp": 2}

#: The computed defaults that costlib/data/explorer_controls.yaml names as {preset: key} (§30.1-§30.10).
PRESETS = {
    "chapter_model": CHAPTER_MODEL,
    "chapter_gpu": S30_3.gpu,
    "chapter_weights": S30_3.weights,
    "chapter_n_gpus": S30_3.n_gpus,
    "chapter_prompt_tokens": S30_3.prompt_tokens,
    "chapter_prefill_tokens_per_s": int(S30_3.claimed_practical_prefill_tokens_per_s),
    "context": CONTEXT_TOKENS,
    "usd_per_gpu_hour": USD_PER_GPU_HOUR,
    "mbu": DEFAULT_MBU,
    "mfu": DEFAULT_MFU,
    "s30_5_usd_per_hour": S30_5.usd_per_hour,
    "s30_5_tokens_per_s": int(S30_5.tokens_per_s),
    "h100_on_demand_usd_per_hour": None,  # looked up in the price catalog on first use (see preset())
    "h100_purchase_usd": sum(S30_2.h100_purchase_usd) / 2,  # middle of the chapter's $30-40k (§30.2)
    "amortization_years": float(S30_2.amortization_years),
    "p4_tpot_target_ms": P4.tpot_targets_s[0] * 1e3,  # practice problem 4's 200 ms
    "s30_10_users": float(S30_10.users),
    "s30_10_sessions_per_day": float(S30_10.sessions_per_day),
    "s30_10_tokens_per_session": S30_10.tokens_per_session,
    "s30_10_tokens_per_s_per_gpu": int(S30_10.tokens_per_s_per_gpu),
    "s30_10_peak_factor": S30_10.peak_factor,
    "s30_10_headroom": S30_10.headroom,
    "s30_10_usd_per_hour": S30_10.usd_per_hour,
    "lever_pue": None,
    "lever_usd_per_kwh": None,
}
_LOOKED_UP = {  # catalog look-ups, done when an explorer first needs them
    "h100_on_demand_usd_per_hour": lambda: gpu_usd_per_hour("H100-SXM", "on_demand"),
    "lever_pue": lambda: lever_constant("pue"),
    "lever_usd_per_kwh": lambda: lever_constant("usd_per_kwh"),
}


def preset(key: str):
    """The value of one named preset (a chapter input or a catalog figure) (§30.1-§30.10)."""
    if key not in PRESETS:
        raise ValueError(f"unknown preset {key!r}; known: {', '.join(sorted(PRESETS))}")
    if PRESETS[key] is None:
        PRESETS[key] = _LOOKED_UP[key]()
    return PRESETS[key]

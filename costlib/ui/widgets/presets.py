"""The explorers' starting points, taken from the chapter: its model, its price per GPU-hour, a deployment (§30.2, §30.3)."""
from __future__ import annotations

from costlib.teaching.chapter import S30_2, S30_3

__all__ = ["CHAPTER_MODEL", "USD_PER_GPU_HOUR", "DEFAULT_DEPLOYMENT"]

CHAPTER_MODEL = S30_3.model
USD_PER_GPU_HOUR = S30_2.default_usd_per_hour  # the chapter's price used throughout (§30.2)
# The deployment most explorers start from: the chapter's 70B on H100s, in a form that fits with
# room for a real batch (FP8 weights on TP=2; bf16 on one H100 does not fit at all, §30.3).
DEFAULT_DEPLOYMENT = {"model": CHAPTER_MODEL, "gpu": "H100-SXM", "weights": "fp8", "kv": "bf16", "tp": 2}

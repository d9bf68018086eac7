"""Self-hosted fleets on the one engine: replicas for a peak, the $/M floor of peak sizing, GPUs off overnight (§30.7, §30.10).

Shared by practice problems 3 and 6, their solutions and notebook 05, so each fleet has one number
everywhere. Every replica runs at the engine's memory-limited batch
(:func:`costlib.teaching.chapter.configs.engine_quote`: :func:`costlib.economics.quote.quote` on
requests of ``INPUT_TOKENS`` + ``OUTPUT_TOKENS``), at the ``point`` ("low", "mid" or "high") of the
profile's band.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from costlib.catalog.deployment import valid_tp
from costlib.catalog.tables import gpu_usd_per_hour
from costlib.common.units import SECONDS_PER_HOUR, TOKENS_PER_MILLION
from costlib.economics.crossover import HOURS_PER_MONTH, replicas_needed
from costlib.teaching.chapter.configs import MAX_TP, engine_quote

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["POINTS", "replica_tokens_per_s", "fleet_options", "cheapest_fleet", "peak_floor_usd_per_million",
           "floor_options", "overnight_off_plan"]

POINTS = {"low": "tps_low", "mid": "tokens_per_s", "high": "tps_high"}


def replica_tokens_per_s(d: dict, point: str = "mid") -> float:
    """Output tokens/s of one replica at a point of the band ("ceiling" too) (§30.4)."""
    if point == "ceiling":
        return float(d["tps_ceiling"])
    if point not in POINTS:
        raise ValueError(f"point must be one of low, mid, high, ceiling; got {point!r}")
    return float(d[POINTS[point]])


def _replicas(model, gpu, weights, kv, usd_per_gpu_hour, profile):
    """(tp, engine dict) for every TP up to 8 that holds the weights and one request."""
    out = []
    for tp in valid_tp(model, MAX_TP):
        d = engine_quote(model, gpu, tp, weights, kv, usd_per_gpu_hour, profile=profile)
        if d is not None:
            out.append((tp, d))
    return out


def fleet_options(model, gpu, weights, tokens_per_month, usd_per_gpu_hour, peak_factor, headroom,
                  kv=None, point="mid", profile="calibrated") -> pd.DataFrame:
    """For each TP that fits: batch, tokens/s per replica, whole replicas for the peak, GPUs, monthly $ (§30.7).

    The fleet is always on (720 hours a month) and carries average x ``peak_factor`` x (1 + ``headroom``).
    """
    import pandas as pd  # here, not at the top: importing this module (cl.check does) loads no pandas

    rows = []
    for tp, d in _replicas(model, gpu, weights, kv, usd_per_gpu_hour, profile):
        tps = replica_tokens_per_s(d, point)
        n = replicas_needed(tokens_per_month, tps, peak_factor, headroom)
        rows.append({"tp": tp, "batch": d["batch"], "tokens_per_s_per_replica": tps, "replicas": n,
                     "gpus": n * tp, "monthly_usd": n * tp * usd_per_gpu_hour * HOURS_PER_MONTH})
    return pd.DataFrame(rows)


def cheapest_fleet(options: pd.DataFrame) -> pd.Series:
    """The row of :func:`fleet_options` with the lowest monthly bill (the smaller TP on a tie) (§30.7)."""
    return options.sort_values(["monthly_usd", "tp"]).iloc[0]


def floor_options(model, gpu, weights, usd_per_gpu_hour, peak_factor, headroom, kv=None, point="mid",
                  profile="calibrated") -> pd.DataFrame:
    """For each TP that fits: $/M at full load, and the floor of peak sizing, full load x peak x (1 + headroom) (§30.10)."""
    import pandas as pd  # here, not at the top: importing this module (cl.check does) loads no pandas

    rows = []
    for tp, d in _replicas(model, gpu, weights, kv, usd_per_gpu_hour, profile):
        full = usd_per_gpu_hour * tp / (replica_tokens_per_s(d, point) * SECONDS_PER_HOUR / TOKENS_PER_MILLION)
        rows.append({"tp": tp, "batch": d["batch"], "full_load_usd_per_million": full,
                     "floor_usd_per_million": full * peak_factor * (1 + headroom)})
    return pd.DataFrame(rows)


def peak_floor_usd_per_million(model, gpu, weights, usd_per_gpu_hour, peak_factor, headroom, kv=None,
                               point="mid", profile="calibrated") -> float:
    """The lowest effective $/M a peak-sized fleet reaches at any volume: the best TP's floor (§30.10).

    A fleet sized for the peak carries at least average x peak x (1 + headroom), so each token served
    pays at least that multiple of the full-load $/M; whole replicas only add to it. As the volume
    grows the rounding vanishes and the bill per token falls to this floor, never below.
    """
    df = floor_options(model, gpu, weights, usd_per_gpu_hour, peak_factor, headroom, kv, point, profile)
    return float(df["floor_usd_per_million"].min())


def overnight_off_plan(gpus: int, busy_hours_per_day: float, gpu="H100-SXM", tier="on_demand",
                       price_point="mid", days_per_month: float = HOURS_PER_MONTH / 24) -> dict:
    """A fleet switched off outside its busy hours: GPUs released at night are rented by the hour (§30.2, §30.7).

    Reserved capacity bills 24/7 whether it runs or not, so only an on-demand (or other hourly) tier
    stops billing when a GPU is switched off: the plan is priced at ``tier``'s hourly rate for the busy
    hours only. Returns gpus, usd_per_gpu_hour, hours_per_month and monthly_usd.
    """
    price = gpu_usd_per_hour(gpu, tier, price_point)
    hours = busy_hours_per_day * days_per_month
    return {"gpus": int(gpus), "tier": tier, "usd_per_gpu_hour": price, "hours_per_month": hours,
            "monthly_usd": gpus * price * hours}

"""Hardware comparison: one model and precision across GPUs, at the cheapest (or smallest) TP that fits (§30.8).

Every row comes from :func:`costlib.estimate.predict.predict` with a ``profile`` (``"calibrated"`` by
default): memory fit first, then output tokens/s per GPU and $/M with their low/mid/high band.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from costlib.catalog.deployment import Deployment, valid_tp
from costlib.catalog.tables import (
    GPUSpec,
    get_gpu,
    get_model,
    get_precision,
    gpu_ids,
    gpu_usd_per_hour,
    tiers,
)
from costlib.common import checks as v
from costlib.economics.cost import economics_profile, request_shape, usd_per_million_tokens
from costlib.estimate.predict import predict
from costlib.physics.memory import weight_bytes

__all__ = ["compare_hardware", "TP_RULES"]

TP_RULES = ("cheapest", "smallest")
MAX_PREDICTED_BATCH = 1_000_000  # the largest batch predict() times


def _named_precision(name: str, value):
    """A precision from the catalog, the error naming the argument (weights or kv)."""
    try:
        return get_precision(value)
    except ValueError as e:
        raise ValueError(f"{name}: {e}") from None


def _gpu_list(gpus) -> list[str]:
    if gpus is None:
        return gpu_ids()
    items = v.non_empty("gpus", gpus, what="GPU ids", valid=gpu_ids(), alone=(str, GPUSpec))
    return [get_gpu(g).id for g in items]


def _prices(usd_per_gpu_hour, ids) -> dict:
    if usd_per_gpu_hour is None:
        return {}
    if isinstance(usd_per_gpu_hour, dict):
        prices = {}
        for g, p in usd_per_gpu_hour.items():
            try:
                gid = get_gpu(g).id
            except ValueError as e:
                raise ValueError(f"usd_per_gpu_hour has a key that is not a GPU: {e}") from None
            prices[gid] = v.number(f"usd_per_gpu_hour[{g}]", p)
        return prices
    one = v.number("usd_per_gpu_hour", usd_per_gpu_hour, scalar=True)  # one price for every GPU
    return {gid: one for gid in ids}


def _tp_rule(tp, max_tp: int):
    if isinstance(tp, str):
        return v.choice("tp", tp, TP_RULES)
    return v.integer("tp", tp, low=1, high=max_tp, scalar=True)


def compare_hardware(model, weights="bf16", kv=None, gpus=None, context=None, batch=None, tier="on_demand",
                     usd_per_gpu_hour=None, mbu=None, mfu=None, max_tp=8, *, tp="cheapest", input_len=None,
                     output_len=None, profile="calibrated") -> pd.DataFrame:
    """Per GPU: fits on one?, smallest TP, the TP used, output tokens/s per GPU and $/M (low/mid/high) (§30.8).

    The workload is a request of ``input_len`` + ``output_len`` tokens (by default a ``context``-token
    sequence split in halves) at the memory-limited batch of a max-throughput run (``batch=None``) or a
    fixed ``batch``. ``tp`` picks the TP of each row among those that fit up to ``max_tp``:
    ``"cheapest"`` (lowest $/M, i.e. most tokens/s per GPU), ``"smallest"``, or a number; column
    ``tp_rule`` says which. The smallest TP starves the KV cache: for a 70B model in bf16 on H100s,
    TP=2 holds a few dozen sequences where TP=4 holds hundreds. ``usd_per_gpu_hour`` may be a dict
    {gpu id: $/hour} overriding the catalog's ``tier`` (mid) price, or one number for every GPU.
    ``mbu``/``mfu`` replace the profile by the chapter's at those efficiencies. Rows that do not fit
    have ``feasible=False``, no price and a note saying what does not fit and by how much.
    """
    m = get_model(model)
    w, k = (_named_precision(n, p) for n, p in (("weights", weights), ("kv", "bf16" if kv is None else kv)))
    if batch is not None:
        batch = v.integer("batch", batch, low=1, scalar=True)
    mt = v.integer("max_tp", max_tp, low=1, scalar=True)
    rule = _tp_rule(tp, mt)
    prof = economics_profile(profile, mbu, mfu)
    # checked here: a mistyped tier would otherwise leave every price silently blank below
    tier = v.choice("tier", tier, list(tiers()["tier"]) + ["owned"])
    ids = _gpu_list(gpus)
    prices = _prices(usd_per_gpu_hour, ids)
    tps_ok = valid_tp(m, mt)
    if isinstance(rule, int) and rule not in tps_ok:
        raise ValueError(f"tp must split the {m.n_kv_heads} KV heads of {m.id} evenly; valid up to max_tp="
                         f"{mt}: {tps_ok}; got {rule}")
    rows = [_row(m, get_gpu(gid), w, k, context, input_len, output_len, batch, rule, tps_ok, prof,
                 prices.get(gid), tier) for gid in ids]
    return pd.DataFrame(rows)


def _price(gid, tier, given):
    if given is not None:
        return given
    try:
        return gpu_usd_per_hour(gid, tier)
    except ValueError:
        return float("nan")


def _row(m, g, w, k, context, input_len, output_len, batch, rule, tps_ok, prof, given_price, tier) -> dict:
    """One GPU of compare_hardware: predict() at every valid TP, then the TP the rule picks (§30.8)."""
    price = _price(g.id, tier, given_price)
    priced = price == price
    i, o = request_shape(Deployment(m, g, tps_ok[0], w, k), context, input_len, output_len)
    one = {t: predict(Deployment(m, g, t, w, k), i, o, profile=prof) for t in tps_ok}  # one request fits?
    if batch is None:
        est = one
    elif batch > MAX_PREDICTED_BATCH:
        est = {}
    else:
        est = {t: predict(Deployment(m, g, t, w, k), i, o, batch=batch, profile=prof) for t in tps_ok}
    fitting = [t for t in tps_ok if t in est and est[t].fits]
    row = {"gpu": g.id, "hbm_gb": g.hbm_gb, "hbm_tb_per_s": g.hbm_tb_per_s, "usd_per_gpu_hour": price,
           "weights_gb": weight_bytes(m, w) / 1e9, "fits_one_gpu": one[1].fits,
           "min_tp": fitting[0] if fitting else None, "tp": None, "tp_rule": str(rule), "batch": 0,
           "input_len": i, "output_len": o, "tokens_per_s_per_gpu": np.nan, "tokens_per_s_per_gpu_low": np.nan,
           "tokens_per_s_per_gpu_high": np.nan, "ceiling_tokens_per_s_per_gpu": np.nan,
           "usd_per_million": np.nan, "usd_per_million_low": np.nan, "usd_per_million_high": np.nan,
           "gb_per_s_per_usd_hour": g.hbm_bytes_per_s / 1e9 / price if priced else np.nan,
           "gb_per_usd_hour": g.hbm_gb / price if priced else np.nan,
           "feasible": bool(fitting), "profile": prof.name, "note": "", "shortfall_bytes": np.nan}
    model_fits = [t for t in tps_ok if one[t].fits]
    if not fitting:
        widest = tps_ok[-1]
        if batch is not None and model_fits:
            row["note"] = (f"batch {batch:,} does not fit: the model fits from TP={model_fits[0]}, but even "
                           f"TP={widest} holds at most {one[widest].batch:,} sequences of {i:,}+{o:,} tokens")
        else:
            gpus = f"{widest} GPU" + ("s" if widest > 1 else "")
            row["note"] = f"does not fit on {gpus}: {one[widest].message.removeprefix('does not fit: ')}"
            row["shortfall_bytes"] = one[widest].shortfall_bytes
        return row
    if rule == "smallest":
        t = fitting[0]
    elif rule == "cheapest":  # one price per GPU: the cheapest $/M is the most tokens/s per GPU
        t = max(fitting, key=lambda x: est[x].output_tokens_per_s.mid / x)
    else:
        t = rule
        if t not in fitting:
            row.update(feasible=False, note=est[t].message if t in est else
                       f"batch {batch:,} does not fit at TP={t}")
            return row
    e = est[t]
    r = e.output_tokens_per_s
    row.update(tp=t, batch=int(e.batch), tokens_per_s_per_gpu=r.mid / t, tokens_per_s_per_gpu_low=r.low / t,
               tokens_per_s_per_gpu_high=r.high / t, ceiling_tokens_per_s_per_gpu=r.ceiling / t)
    if priced:
        row.update(usd_per_million=usd_per_million_tokens(price * t, r.mid),
                   usd_per_million_low=usd_per_million_tokens(price * t, r.high),
                   usd_per_million_high=usd_per_million_tokens(price * t, r.low))
    else:
        row["note"] = "no price in the catalog"
    if not w.name.startswith(("bf16", "fp16")) and not g.supports(w):
        row["note"] = (row["note"] + "; " if row["note"] else "") + f"no native {w.name} matmuls: computes in bf16"
    return row

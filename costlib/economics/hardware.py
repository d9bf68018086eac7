"""Hardware comparison: one model and precision across GPUs at the smallest TP that fits (§30.8)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from costlib.catalog.deployment import Deployment
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
from costlib.economics.cost import usd_per_million_tokens
from costlib.physics.memory import fit, min_tp, weight_bytes
from costlib.physics.step import DEFAULT_MBU, DEFAULT_MFU, decode_tokens_per_s

__all__ = ["compare_hardware"]


def _named_precision(name: str, value):
    """A precision from the catalog, the error naming the argument (weights or kv)."""
    try:
        return get_precision(value)
    except ValueError as e:
        raise ValueError(f"{name}: {e}") from None


def compare_hardware(model, weights="bf16", kv=None, gpus=None, context=2048, batch=None,
                     batch_cap=256, tier="on_demand", usd_per_gpu_hour=None, mbu=DEFAULT_MBU,
                     mfu=DEFAULT_MFU, max_tp=8) -> pd.DataFrame:
    """Per GPU: fits on one?, smallest TP, decode tokens/s per GPU, $/M, GB/s and GB per $/hour (§30.8).

    ``batch=None`` uses the largest batch that fits at ``context`` (at most ``batch_cap``).
    ``usd_per_gpu_hour`` may be a dict {gpu id: $/hour} overriding the catalog's ``tier`` price,
    or one number for every GPU.
    Configurations that do not fit on up to ``max_tp`` GPUs are listed with ``feasible=False`` and
    no price.
    """
    m = get_model(model)
    w, k = (_named_precision(n, p) for n, p in (("weights", weights), ("kv", "bf16" if kv is None else kv)))
    c = v.integer("context", context, low=1, scalar=True)
    cap = v.integer("batch_cap", batch_cap, low=1, scalar=True)
    if batch is not None:
        batch = v.integer("batch", batch, low=1, scalar=True)
    v.fraction("mbu", mbu)
    v.fraction("mfu", mfu)
    v.integer("max_tp", max_tp, low=1, scalar=True)
    # checked here: a mistyped tier would otherwise leave every price silently blank below
    tier = v.choice("tier", tier, list(tiers()["tier"]) + ["owned"])
    if gpus is None:
        ids = gpu_ids()
    else:
        if isinstance(gpus, (str, GPUSpec)):
            gpus = [gpus]
        try:
            items = list(gpus)
        except TypeError:
            raise ValueError(f"gpus must be a list of GPU ids, got {gpus!r}") from None
        if not items:
            raise ValueError("gpus must name at least one GPU")
        ids = [get_gpu(g).id for g in items]
    if usd_per_gpu_hour is None:
        prices = {}
    elif isinstance(usd_per_gpu_hour, dict):
        prices = {}
        for g, p in usd_per_gpu_hour.items():
            try:
                gid = get_gpu(g).id
            except ValueError as e:
                raise ValueError(f"usd_per_gpu_hour has a key that is not a GPU: {e}") from None
            prices[gid] = v.number(f"usd_per_gpu_hour[{g}]", p)
    else:  # one price for every GPU
        one = v.number("usd_per_gpu_hour", usd_per_gpu_hour, scalar=True)
        prices = {gid: one for gid in ids}
    rows = []
    for gid in ids:
        g = get_gpu(gid)
        price = prices.get(gid)
        if price is None:
            try:
                price = gpu_usd_per_hour(gid, tier)
            except ValueError:
                price = float("nan")
        tp1 = fit(Deployment(m, g, 1, w, k), context=c).fits
        t = min_tp(m, g, w, k, context=c, batch=1 if batch is None else batch, max_tp=max_tp)
        row = {"gpu": gid, "hbm_gb": g.hbm_gb, "hbm_tb_per_s": g.hbm_tb_per_s,
               "usd_per_gpu_hour": price, "weights_gb": weight_bytes(m, w) / 1e9,
               "fits_one_gpu": tp1, "min_tp": t, "batch": 0, "tokens_per_s_per_gpu": np.nan,
               "usd_per_million": np.nan,
               "gb_per_s_per_usd_hour": g.hbm_bytes_per_s / 1e9 / price if price == price else np.nan,
               "gb_per_usd_hour": g.hbm_gb / price if price == price else np.nan,
               "feasible": t is not None, "note": ""}
        if t is None and batch is not None and min_tp(m, g, w, k, context=c, batch=1, max_tp=max_tp) is not None:
            t1 = min_tp(m, g, w, k, context=c, batch=1, max_tp=max_tp)
            widest = max(tp_ for tp_ in range(t1, max_tp + 1) if m.n_kv_heads % tp_ == 0)
            most = fit(Deployment(m, g, widest, w, k), context=c).max_batch
            row["note"] = (f"batch {batch:,} does not fit: the model fits from TP={t1}, but even TP={widest} "
                           f"holds at most {most:,} sequences of {c:,} tokens")
        elif t is None:
            row["note"] = f"does not fit on {max_tp} GPUs"
        else:
            dep = Deployment(m, g, t, w, k)
            mb = fit(dep, context=c).max_batch
            b = min(mb, cap) if batch is None else batch
            if b > mb:
                row["feasible"] = False
                row["note"] = f"batch {b} needs more KV memory than TP={t} has (max {mb})"
            else:
                tps = decode_tokens_per_s(dep, b, c, mbu, mfu)
                row.update(batch=b, tokens_per_s_per_gpu=tps / t)
                if price == price:
                    row["usd_per_million"] = usd_per_million_tokens(price * t, tps)
                else:
                    row["note"] = "no price in the catalog"
            if not w.name.startswith(("bf16", "fp16")) and not g.supports(w):
                row["note"] = (row["note"] + "; " if row["note"] else "") + \
                    f"no native {w.name} matmuls: computes in bf16"
        rows.append(row)
    return pd.DataFrame(rows)

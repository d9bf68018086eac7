"""Latency vs cost: batch sweeps, the largest batch under a TPOT target, the Pareto frontier (§30.9)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from costlib.catalog.deployment import Deployment
from costlib.common import checks as v
from costlib.economics.cost import usd_per_million_tokens
from costlib.physics.memory import fit
from costlib.physics.step import DEFAULT_MBU, DEFAULT_MFU, decode_step

__all__ = ["sweep_batch", "largest_batch_under_tpot", "pareto_frontier", "default_batches"]


def default_batches(max_batch: int) -> np.ndarray:
    """Powers of two up to max_batch, plus max_batch itself (at least [1])."""
    mb = max(1, v.integer("max_batch", max_batch, low=0, scalar=True))
    b = [2 ** i for i in range(int(np.log2(mb)) + 1)]
    if b[-1] != mb:
        b.append(mb)
    return np.array(b)


def sweep_batch(dep: Deployment, usd_per_gpu_hour, context=2048, batches=None, mbu=DEFAULT_MBU,
                mfu=DEFAULT_MFU) -> pd.DataFrame:
    """For each batch: TPOT, tokens/s, tokens/s per GPU, $/M and whether its KV cache fits (§30.9).

    Rows whose batch does not fit in memory are kept (``fits=False``) but not priced.
    """
    p = v.number("usd_per_gpu_hour", usd_per_gpu_hour, scalar=True)
    c = v.integer("context", context, low=1, scalar=True)
    mb = fit(dep, context=c).max_batch
    b = default_batches(mb) if batches is None else np.atleast_1d(v.integer("batches", batches, low=1))
    if b.ndim != 1:
        raise ValueError(f"batches must be a flat list of batch sizes, got an array of shape {b.shape}")
    s = decode_step(dep, b.astype(float), float(c), mbu, mfu)
    fits = b <= mb
    usd = np.where(fits, usd_per_million_tokens(p * dep.tp, s.tokens_per_s), np.nan)
    return pd.DataFrame({"batch": b, "tpot_s": s.step_time_s, "tokens_per_s": s.tokens_per_s,
                         "tokens_per_s_per_gpu": s.tokens_per_s / dep.tp, "usd_per_million": usd,
                         "bound": s.bound, "fits": fits})


def largest_batch_under_tpot(dep: Deployment, tpot_target_s, context=2048, mbu=DEFAULT_MBU,
                             mfu=DEFAULT_MFU) -> int:
    """Largest batch whose TPOT meets the target and whose KV cache fits; 0 if none (§30.9)."""
    tgt = v.number("tpot_target_s", tpot_target_s, scalar=True)
    c = v.integer("context", context, low=1, scalar=True)
    hi = fit(dep, context=c).max_batch
    if hi < 1 or decode_step(dep, 1, c, mbu, mfu).step_time_s > tgt:
        return 0
    lo = 1  # invariant: lo meets the target; step time rises with batch
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if decode_step(dep, mid, c, mbu, mfu).step_time_s <= tgt:
            lo = mid
        else:
            hi = mid - 1
    return int(lo)


def pareto_frontier(df: pd.DataFrame, x="tpot_s", y="usd_per_million") -> pd.DataFrame:
    """Rows not beaten on both x and y (lower is better for both), sorted by x (§30.9)."""
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"df must be a pandas DataFrame (e.g. from sweep_batch), got {type(df).__name__}")
    for name, col in (("x", x), ("y", y)):
        if not isinstance(col, str):
            raise ValueError(f"{name} must be a column name, got {col!r}")
    if x not in df or y not in df:
        raise ValueError(f"df must have columns {x!r} and {y!r}; has {list(df.columns)}")
    for col in (x, y):
        vals = pd.to_numeric(df[col], errors="coerce")
        priced = ~df["fits"].eq(False) if "fits" in df else pd.Series(True, index=df.index)
        bad = (vals < 0) | (vals.isna() & priced) | np.isinf(vals)
        if bad.any():
            i = bad.idxmax()
            raise ValueError(f"{col} must be a number >= 0 in every row (NaN only where fits is False); "
                             f"row {i!r} has {df.loc[i, col]}")
    d = df.dropna(subset=[x, y]).sort_values([x, y])
    keep, best = [], np.inf
    for idx, val in zip(d.index, d[y], strict=True):
        if val < best:
            keep.append(idx)
            best = val
    return d.loc[keep]

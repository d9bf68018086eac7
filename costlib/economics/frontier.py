"""Latency vs cost: batch sweeps, the largest batch under a TPOT target, the Pareto frontier (§30.9).

Every row comes from :func:`costlib.estimate.predict.predict` on a fixed batch (requests started together)
with a ``profile`` (``"calibrated"`` by default): TPOT, output tokens/s and $/M carry its low/mid/high band.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from costlib.catalog.deployment import Deployment, deployment_arg
from costlib.common import checks as v
from costlib.economics.cost import economics_profile, request_shape, usd_per_million_tokens
from costlib.estimate.predict import batch_for_tpot, predict, predict_batches

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["sweep_batch", "largest_batch_under_tpot", "pareto_frontier", "default_batches", "memory_limited_batch"]


def default_batches(max_batch: int) -> np.ndarray:
    """Powers of two up to max_batch, plus max_batch itself (at least [1])."""
    mb = max(1, v.integer("max_batch", max_batch, low=0, scalar=True))
    b = [2 ** i for i in range(int(np.log2(mb)) + 1)]
    if b[-1] != mb:
        b.append(mb)
    return np.array(b)


def memory_limited_batch(dep: Deployment, input_len: int, output_len: int, profile="calibrated") -> int:
    """The batch a max-throughput run keeps in flight (KV cache and the engine's max_batch); 0 if none fits (§30.3)."""
    e = predict(dep, input_len, output_len, profile=profile)
    return int(e.batch) if e.fits else 0


def sweep_batch(dep: Deployment, usd_per_gpu_hour, context=None, batches=None, mbu=None, mfu=None, *,
                input_len=None, output_len=None, profile="calibrated") -> pd.DataFrame:
    """For each fixed batch: TPOT, output tokens/s, $/M (low/mid/high) and whether its KV cache fits (§30.9).

    The request is ``input_len`` + ``output_len`` tokens (by default a ``context``-token sequence split
    in halves); ``batches`` defaults to powers of two up to the memory-limited batch. Rows whose batch
    does not fit are kept (``fits=False``) but not priced. $/M counts output tokens over the paid
    GPU-hours, prompts included (as :func:`~costlib.economics.quote.quote`); ``usd_per_million_low``
    pairs with the fastest estimate.
    """
    import pandas as pd  # here, not at the top: importing this module (cl.check does) loads no pandas

    deployment_arg(dep)
    p = v.number("usd_per_gpu_hour", usd_per_gpu_hour, scalar=True)
    prof = economics_profile(profile, mbu, mfu)
    i, o = request_shape(dep, context, input_len, output_len)
    if batches is None:
        b = default_batches(memory_limited_batch(dep, i, o, prof))
    else:
        b = np.atleast_1d(v.integer("batches", batches, low=1, high=1_000_000))
        if b.ndim != 1:
            raise ValueError(f"batches must be a flat list of batch sizes, got an array of shape {b.shape}")
    r = predict_batches(dep, i, o, b, profile=prof)  # one vectorised pass; NaN where a batch does not fit
    ok = r["fits"]
    usd = lambda tps: np.where(ok, usd_per_million_tokens(p * dep.tp, np.where(ok, tps, 1.0)), np.nan)  # noqa: E731
    rows = {"batch": b.astype(int), "tpot_s": r["tpot_s_mid"], "tpot_s_low": r["tpot_s_low"],
            "tpot_s_high": r["tpot_s_high"], "ttft_s": r["ttft_s_mid"], "tokens_per_s": r["tokens_per_s_mid"],
            "tokens_per_s_per_gpu": r["tokens_per_s_mid"] / dep.tp, "usd_per_million": usd(r["tokens_per_s_mid"]),
            "usd_per_million_low": usd(r["tokens_per_s_high"]), "usd_per_million_high": usd(r["tokens_per_s_low"]),
            "fits": ok, "input_len": i, "output_len": o, "profile": prof.name}
    cols = ["batch", "tpot_s", "tpot_s_low", "tpot_s_high", "ttft_s", "tokens_per_s", "tokens_per_s_per_gpu",
            "usd_per_million", "usd_per_million_low", "usd_per_million_high", "fits", "input_len", "output_len",
            "profile"]
    return pd.DataFrame(rows).reindex(columns=cols)


def largest_batch_under_tpot(dep: Deployment, tpot_target_s, context=None, mbu=None, mfu=None, *,
                             input_len=None, output_len=None, profile="calibrated") -> int:
    """Largest fixed batch whose mid TPOT meets the target and whose KV cache fits; 0 if none (§30.9).

    :func:`~costlib.estimate.predict.batch_for_tpot` on the request ``input_len`` + ``output_len``
    (by default a ``context``-token sequence split in halves).
    """
    deployment_arg(dep)
    prof = economics_profile(profile, mbu, mfu)
    tgt = v.number("tpot_target_s", tpot_target_s, high=60.0, scalar=True)
    i, o = request_shape(dep, context, input_len, output_len)
    return int(batch_for_tpot(dep, i, o, tgt, prof))


def pareto_frontier(df: pd.DataFrame, x="tpot_s", y="usd_per_million") -> pd.DataFrame:
    """Rows not beaten on both x and y (lower is better for both), sorted by x (§30.9)."""
    import pandas as pd  # here, not at the top: importing this module (cl.check does) loads no pandas

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

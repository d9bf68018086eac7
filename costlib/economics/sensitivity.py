"""Which input moves $/M most? A tornado over each input's plausible range, on the one prediction path (§30.1-§30.7).

Each row sets ONE input of a base :func:`~costlib.economics.quote.quote` to the low and the high end of
its range (``costlib/data/sensitivity_ranges.csv``, each range with its source) and re-prices the mid
$/M output tokens; ``swing`` = |$/M at high - $/M at low|. Rows come sorted by swing, largest first: the
first bar is what to optimise first. A setting that does not fit (e.g. bf16 weights on too few GPUs)
or misses its target has no price: its $/M is None and its swing counts as 0, and the row says why.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from types import SimpleNamespace
from typing import TYPE_CHECKING

from ..catalog.deployment import deployment, valid_tp
from ..catalog.tables import gpu_usd_per_hour
from ..common.csvdata import frame, rows
from .quote import Quote, Range, quote

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["TornadoRow", "Tornado", "sensitivity", "sensitivity_ranges"]


def _ranges() -> list[SimpleNamespace]:
    """The rows of sensitivity_ranges.csv, every cell a string (read without pandas: the app uses it)."""
    return [SimpleNamespace(**r) for r in rows("sensitivity_ranges.csv", as_str=True)]


def sensitivity_ranges() -> pd.DataFrame:
    """The inputs of the tornado, with their low and high ends and sources (§30.1)."""
    return frame("sensitivity_ranges.csv", dtype=str)


@dataclass(frozen=True)
class TornadoRow:
    """One input swept over its range: the $/M output tokens at its two ends (§30.1)."""

    input: str
    label: str
    low_value: object
    high_value: object
    usd_per_million_at_low: float | None
    usd_per_million_at_high: float | None
    note: str = ""

    @property
    def swing(self) -> float:
        a, b = self.usd_per_million_at_low, self.usd_per_million_at_high
        return 0.0 if a is None or b is None else abs(b - a)

    def as_dict(self) -> dict:
        return {"input": self.input, "low_value": self.low_value, "high_value": self.high_value,
                "usd_per_million_at_low": self.usd_per_million_at_low,
                "usd_per_million_at_high": self.usd_per_million_at_high, "swing": self.swing}


@dataclass(frozen=True)
class Tornado:
    """A base quote and its rows sorted by swing (§30.1)."""

    base: Quote
    rows: tuple

    @property
    def base_usd_per_million(self) -> float:
        return self.base.usd_per_million.mid


def _mid(q: Quote) -> tuple[float | None, str]:
    return (q.usd_per_million.mid, "") if q.ok else (None, q.message)


def sensitivity(model, gpu, tp: int = 1, weights="bf16", kv="bf16", *, input_len: int = 1000,
                output_len: int = 1000, **kw) -> Tornado:
    """The tornado of a deployment and workload: each input over its range, sorted by swing (§30.1).

    ``kw`` are :func:`~costlib.economics.quote.quote`'s options for the base case. The base must fit.
    """
    base_kw = dict(input_len=input_len, output_len=output_len, **kw)
    base = quote(model, gpu, tp, weights, kv, **base_kw)
    if not base.ok:
        raise ValueError(f"the base case has no price: {base.message}")
    dep = deployment(model, gpu, tp, weights, kv)
    args = (dep.model.id, dep.gpu.id, dep.tp, dep.weights.name, dep.kv.name)

    def q(args_=args, **changes):
        return quote(*args_, **{**base_kw, **changes})

    rows = []
    for r in _ranges():
        lo_v, hi_v, lo_q, hi_q, note = _ends(r, dep, args, base, base_kw, q)
        (a, na), (b, nb) = _mid(lo_q), _mid(hi_q)
        rows.append(TornadoRow(r.input, r.label, lo_v, hi_v, a, b, note or na or nb))
    rows.sort(key=lambda x: -x.swing)
    return Tornado(base=base, rows=tuple(rows))


def _ends(r, dep, args, base, base_kw, q):
    """(low value, high value, quote at low, quote at high, note) of one range row."""
    name = r.input
    if name == "price":
        lo_t, lo_p = r.low.split(":")
        hi_t, hi_p = r.high.split(":")
        lo, hi = gpu_usd_per_hour(dep.gpu, lo_t, lo_p), gpu_usd_per_hour(dep.gpu, hi_t, hi_p)
        free = {k: v for k, v in base_kw.items() if k not in ("tier", "usd_per_gpu_hour")}
        return lo, hi, quote(*args, **free, usd_per_gpu_hour=lo), quote(*args, **free, usd_per_gpu_hour=hi), ""
    if name == "utilization":
        lo, hi = float(r.low), float(r.high)
        return lo, hi, q(utilization=lo), q(utilization=hi), ""
    if name == "efficiency":
        p = base.usd_per_gpu_hour.mid
        one = q(usd_per_gpu_hour=p, tier="on_demand")
        # the fast end of the band is the cheap end
        lo_q = _with_mid(one, one.usd_per_million.low)
        hi_q = _with_mid(one, one.usd_per_million.high)
        return "high tokens/s", "low tokens/s", lo_q, hi_q, ""
    if name == "batch":
        target = float(r.low)
        free = {k: v for k, v in base_kw.items() if k not in ("batch", "tpot_target_s")}
        return f"TPOT <= {target * 1e3:g} ms", "memory-limited", q(**free, batch=None, tpot_target_s=target), \
            q(**free, batch=None, tpot_target_s=None), ""
    if name in ("weights", "kv"):
        i = 3 if name == "weights" else 4
        lo_a, hi_a = list(args), list(args)
        lo_a[i], hi_a[i] = r.low, r.high
        return r.low, r.high, q(tuple(lo_a)), q(tuple(hi_a)), ""
    if name == "context":
        lo_i = max(1, round(base.input_len * float(r.low.lstrip("x"))))
        hi_i = round(base.input_len * float(r.high.lstrip("x")))
        return lo_i, hi_i, q(input_len=lo_i), q(input_len=hi_i), ""
    if name == "tp":
        ok = valid_tp(dep.model, 64)
        lo_tp = max([t for t in ok if t <= dep.tp * float(r.low.lstrip("x"))], default=dep.tp)
        hi_tp = min([t for t in ok if t >= dep.tp * float(r.high.lstrip("x"))], default=dep.tp)
        a = q((args[0], args[1], lo_tp, *args[3:]), n_gpus=None)
        b = q((args[0], args[1], hi_tp, *args[3:]), n_gpus=None)
        return lo_tp, hi_tp, a, b, ""
    if name == "prefix_hit_rate":
        lo, hi = float(r.low), float(r.high)
        return lo, hi, q(prefix_hit_rate=lo), q(prefix_hit_rate=hi), ""
    raise ValueError(f"sensitivity_ranges.csv: unknown input {name!r}")


def _with_mid(q: Quote, usd: float) -> Quote:
    """The quote with one end of its $/M range as its price (the efficiency row's two ends)."""
    return dataclasses.replace(q, usd_per_million=Range(usd, usd, usd))

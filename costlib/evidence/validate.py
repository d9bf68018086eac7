"""How wrong is the model? Predict published runs with the one engine and compare (§30.3, §30.4).

Every row goes through :func:`costlib.estimate.predict.predict` (max throughput and fixed batches) or
:func:`costlib.estimate.predict.prefill_ttft_s` (bare prefill): the numbers ``validate`` checks are the
numbers ``quote`` shows. :class:`ValidationReport` gives the figures by GPU family, and ``to_dict()`` is
the JSON object of ``python -m costlib validate FILE --json``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..common import checks as v
from ..estimate.predict import max_throughput_table, predict, prefill_ttft_s
from ..estimate.profiles import get_profile
from .measurements import read_measurements

__all__ = ["Prediction", "ValidationReport", "validate", "explain"]


@dataclass(frozen=True)
class Prediction:
    """Ceiling and low/mid/high for one row, next to the measured figure (§30.4).

    For ``prefill_bs1`` rows the figures are seconds to first token (lower is faster, so the
    "ceiling" is the fastest possible time); otherwise total output tokens/s.
    """

    row: int
    kind: str
    measured: float
    ceiling: float
    low: float
    mid: float
    high: float

    @property
    def under_ceiling(self) -> bool:
        """The measurement does not beat physics (for TTFT: is not faster than the fastest possible)."""
        if self.kind == "prefill_bs1":
            return self.measured >= self.ceiling
        return self.measured <= self.ceiling

    @property
    def in_band(self) -> bool:
        return self.low <= self.measured <= self.high

    @property
    def error(self) -> float:
        """Signed relative error of mid: (mid - measured) / measured."""
        return (self.mid - self.measured) / self.measured

    def to_dict(self) -> dict:
        return {"row": self.row, "measured": self.measured, "ceiling": self.ceiling, "low": self.low,
                "mid": self.mid, "high": self.high, "kind": self.kind}


def _predict_one(m, profile):
    dep = m.deployment()
    if m.kind == "prefill_bs1":
        band = prefill_ttft_s(dep, m.input_len, profile)
        fastest = prefill_ttft_s(dep, m.input_len, "ceiling").mid
        return Prediction(m.row, m.kind, m.measured, fastest, band.low, band.mid, band.high), None
    e = predict(dep, m.input_len, m.output_len, batch=m.batch if m.kind == "static_batch" else None,
                n_gpus=m.n_gpus, profile=profile)
    if not e.fits:
        return None, e.message
    t = e.output_tokens_per_s
    return Prediction(m.row, m.kind, m.measured, t.ceiling, t.low, t.mid, t.high), None


@dataclass(frozen=True)
class ValidationReport:
    """Predicted vs measured for a whole table: the figures of ``python -m costlib validate`` (§30.4)."""

    rows: int
    skipped: tuple
    predictions: tuple
    measurements: tuple = field(repr=False, default=())
    profile: object = field(repr=False, default=None)

    @property
    def predicted(self) -> int:
        return len(self.predictions)

    def _share(self, attr):
        if not self.predictions:
            return None
        return sum(bool(getattr(p, attr)) for p in self.predictions) / len(self.predictions)

    @property
    def under_ceiling(self):
        """Share of predicted rows the ceiling does not contradict (None if nothing was predicted)."""
        return self._share("under_ceiling")

    @property
    def in_band(self):
        """Share of predicted rows with low <= measured <= high."""
        return self._share("in_band")

    @property
    def median_abs_error(self):
        """Median of |mid - measured| / measured."""
        if not self.predictions:
            return None
        return float(np.median([abs(p.error) for p in self.predictions]))

    @property
    def band_width(self):
        """Median of high / low over the predicted rows."""
        if not self.predictions:
            return None
        return float(np.median([p.high / p.low for p in self.predictions]))

    def to_dict(self) -> dict:
        """The keys of ``python -m costlib validate --json`` (issue #5), each prediction with its kind."""
        return {"rows": self.rows, "predicted": self.predicted, "skipped": [dict(s) for s in self.skipped],
                "under_ceiling": self.under_ceiling, "in_band": self.in_band,
                "median_abs_error": self.median_abs_error,
                "predictions": [p.to_dict() for p in self.predictions]}

    def to_frame(self) -> pd.DataFrame:
        """One row per prediction with its deployment, shape, family, error and band."""
        by_row = {m.row: m for m in self.measurements}
        out = []
        for p in self.predictions:
            m = by_row.get(p.row)
            meta = {} if m is None else {
                "gpu": m.gpu, "family": m.family, "model": m.model, "weights": m.weights, "kv": m.kv,
                "n_gpus": m.n_gpus, "tp": m.tp, "input_len": m.input_len, "output_len": m.output_len,
                "batch": m.batch, "shape": m.shape}
            out.append({**p.to_dict(), **meta, "error": p.error, "in_band": p.in_band,
                        "under_ceiling": p.under_ceiling})
        return pd.DataFrame(out)

    def summary(self, by=("family",)) -> pd.DataFrame:
        """Per group: rows, median |error| of mid, share within 15%, share in band, median band width."""
        by = v.non_empty("by", by, what="column names of to_frame(), e.g. 'family' or 'gpu'")
        df = self.to_frame()
        cols = ["rows", "median_abs_error", "within_15", "in_band", "band_width", "under_ceiling"]
        if df.empty:
            return pd.DataFrame(columns=cols)
        df = df.assign(abs_error=df["error"].abs(), within_15=df["error"].abs() <= 0.15,
                       width=df["high"] / df["low"])
        g = df.groupby(by, sort=True)
        return pd.DataFrame({"rows": g.size(), "median_abs_error": g["abs_error"].median(),
                             "within_15": g["within_15"].mean(), "in_band": g["in_band"].mean(),
                             "band_width": g["width"].median(), "under_ceiling": g["under_ceiling"].mean()})


def validate(measurements, profile="calibrated") -> ValidationReport:
    """Read a measurement table (CSV path or DataFrame), predict every row with the one engine, compare (§30.4).

    ``profile`` is a name (calibrated, chapter, ceiling), a JSON file or a Profile.
    """
    ms = read_measurements(measurements)
    prof = get_profile(profile)
    preds, skipped = [], list(ms.skipped)
    for m in ms.measurements:
        p, why = _predict_one(m, prof)
        if p is None:
            skipped.append({"row": m.row, "reason": why})
        else:
            preds.append(p)
    skipped.sort(key=lambda s: s["row"])
    return ValidationReport(rows=ms.rows_read, skipped=tuple(skipped), predictions=tuple(preds),
                            measurements=ms.measurements, profile=prof)



def explain(measurements, profile="calibrated") -> pd.DataFrame:
    """Where a max-throughput run's step time goes at the mid estimate, row by row, in seconds (§30.3, §30.4).

    Columns: row, batch (sequences in flight), new_tokens (per step), matmul_s and attention_s (each
    the larger of its memory and arithmetic time), comm_s, overhead_s, step_time_s, bound ("memory"
    or "compute" over the whole step), prefill_token_share (prompt tokens among the step's tokens).
    """
    ms = read_measurements(measurements).only("max_throughput")
    prof = get_profile(profile)
    cols = ["row", "batch", "new_tokens", "matmul_s", "attention_s", "comm_s", "overhead_s", "step_time_s",
            "bound", "prefill_token_share"]
    if not len(ms):
        return pd.DataFrame(columns=cols)
    F = ms.stacked(ideal=prof.ideal)
    r = max_throughput_table(F["spec"], prof.mid, prof.limits, F["input_len"], F["output_len"])
    p = r["parts"]
    return pd.DataFrame({
        "row": [m.row for m in ms.measurements], "batch": r["batch"], "new_tokens": r["new_tokens"],
        "matmul_s": np.maximum(p.matmul_memory_s, p.matmul_compute_s),
        "attention_s": np.maximum(p.attention_memory_s, p.attention_compute_s), "comm_s": p.comm_s,
        "overhead_s": p.overhead_s, "step_time_s": p.step_time_s, "bound": p.bound,
        "prefill_token_share": 1 - r["batch"] / r["new_tokens"]})[cols]

"""Predicted vs measured for a whole table: the report of ``python -m costlib validate`` and where the time goes (§30.4)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from costlib.estimate.features import stack_features
from costlib.estimate.measurements import read_measurements
from costlib.estimate.predict import mid_parts, predict, resolve_profile

__all__ = ['ValidationReport', 'validate', 'explain']

def explain(measurements, profile=None) -> pd.DataFrame:
    """Where the time goes in each row's realistic estimate: seconds per request and replica, by part (§30.4).

    Columns: row, batch (sequences in flight), decode_steps (per request), memory_s, compute_s
    (the larger of the two counts, as they overlap), overhead_s (per-step overhead), comm_s (TP
    all-reduces), bound ("memory" or "compute"), prefill_flop_share (of the request's FLOPs).
    """
    ms = read_measurements(measurements)
    cols = ["row", "batch", "decode_steps", "memory_s", "compute_s", "overhead_s", "comm_s", "bound",
            "prefill_flop_share"]
    if not len(ms):
        return pd.DataFrame(columns=cols)
    F = stack_features(ms.measurements)
    q = mid_parts(F, resolve_profile(profile))
    i = F["input_len"]
    prefill = 2 * F["body_params"] * i + 2 * F["head_params"] + 2 * F["attn_width"] * i * (i + 1)
    df = pd.DataFrame({k: q[k] for k in ("batch", "decode_steps", "memory_s", "compute_s", "overhead_s",
                                         "comm_s")})
    df.insert(0, "row", [m.row for m in ms.measurements])
    df["bound"] = np.where(q["memory_s"] >= q["compute_s"], "memory", "compute")
    df["prefill_flop_share"] = prefill / F["flops"]
    return df[cols]


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

    def _fraction(self, attr):
        if not self.predictions:
            return None
        return sum(bool(getattr(p, attr)) for p in self.predictions) / len(self.predictions)

    @property
    def under_ceiling(self):
        """Fraction of predicted rows with measured <= ceiling (None if nothing was predicted)."""
        return self._fraction("under_ceiling")

    @property
    def in_band(self):
        """Fraction of predicted rows with low <= measured <= high."""
        return self._fraction("in_band")

    @property
    def median_abs_error(self):
        """Median of |mid - measured| / measured."""
        if not self.predictions:
            return None
        return float(np.median([abs(p.error) for p in self.predictions]))

    def to_dict(self) -> dict:
        """Exactly the keys of the issue: rows, predicted, skipped, under_ceiling, in_band, median_abs_error, predictions."""
        return {"rows": self.rows, "predicted": self.predicted, "skipped": [dict(s) for s in self.skipped],
                "under_ceiling": self.under_ceiling, "in_band": self.in_band,
                "median_abs_error": self.median_abs_error,
                "predictions": [p.to_dict() for p in self.predictions]}

    def to_frame(self) -> pd.DataFrame:
        """One row per prediction, with the row's deployment and shape, measured/ceiling and the mid error."""
        df = pd.DataFrame([p.to_dict() for p in self.predictions],
                          columns=["row", "measured", "ceiling", "low", "mid", "high"])
        meta = pd.DataFrame([{"row": m.row, "gpu": m.gpu, "model": m.model, "weights": m.weights,
                              "kv": m.kv, "n_gpus": m.n_gpus, "tp": m.tp, "input_len": m.input_len,
                              "output_len": m.output_len, "shape": m.shape} for m in self.measurements],
                            columns=["row", "gpu", "model", "weights", "kv", "n_gpus", "tp", "input_len",
                                     "output_len", "shape"])
        df = meta.merge(df, on="row", how="right") if len(meta) else df
        df["measured_over_ceiling"] = df["measured"] / df["ceiling"]
        # a right merge keeps the predictions' order: the rows line up with self.predictions
        df["error"] = [p.error for p in self.predictions]
        df["in_band"] = [p.in_band for p in self.predictions]
        return df

    def summary(self, by=("gpu", "model")) -> pd.DataFrame:
        """Per-group rows, median/max measured/ceiling, share in band and median |error| of mid."""
        df = self.to_frame()
        if df.empty:
            return pd.DataFrame(columns=["rows", "median_measured_over_ceiling", "max_measured_over_ceiling",
                                         "in_band", "median_abs_error"])
        by = [by] if isinstance(by, str) else list(by)
        g = df.assign(abs_error=df["error"].abs()).groupby(by, sort=True)
        return pd.DataFrame({"rows": g.size(), "median_measured_over_ceiling": g["measured_over_ceiling"].median(),
                             "max_measured_over_ceiling": g["measured_over_ceiling"].max(),
                             "in_band": g["in_band"].mean(), "median_abs_error": g["abs_error"].median()})


def validate(measurements, profile=None) -> ValidationReport:
    """Read a measurement table (CSV path or DataFrame), predict every row, compare (§30.4).

    ``profile`` (an EfficiencyProfile) sets low/mid/high; default: costlib's profile calibrated on
    the bundled TensorRT-LLM data (:data:`costlib.estimate.profiles.DEFAULT_PROFILE`).
    """
    ms = read_measurements(measurements)
    p = resolve_profile(profile)
    preds = predict(ms, p)
    return ValidationReport(rows=ms.rows_read, skipped=ms.skipped, predictions=tuple(preds),
                            measurements=ms.measurements, profile=p)

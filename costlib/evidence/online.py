"""Validation of the serving simulation (:mod:`costlib.estimate.serving`) on published online-serving runs (§30.4).

``costlib/data/online_serving.csv`` holds 36 runs from NVIDIA's TensorRT-LLM v0.14 performance
overview (H100 SXM, Llama 3.1 8B TP1 and 70B TP4, BF16, 500 requests at a fixed rate). Every row
is predicted with one profile (by default the same ``calibrated`` profile as everything else; never a
value per row), and the figures below are computed from the predicted and measured columns:

* output tokens/s: median |error| on loaded rows (rate >= 16/s, unbounded, or >= 25 users) and on all;
* mean inter-token latency: median |error|;
* mean TTFT on rows measured below 1 s: median |error|;
* past the knee (measured TTFT >= 1 s): share predicted within 2x, and false knees (predicted
  >= 0.5 s where the measurement is below 0.5 s);
* achieved requests/s at saturation (unbounded-rate rows): median |error|.

Error is predicted / measured - 1.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from importlib import resources

import numpy as np
import pandas as pd

from ..catalog.deployment import deployment
from ..estimate.profiles import get_profile
from ..estimate.serving import engine_step, simulate

__all__ = ["TARGETS", "OnlineFigures", "online_rows", "loaded_mask", "predict_online", "online_figures",
           "validate_online"]

# The targets: (figure, comparison, bound)
TARGETS = {
    "tokens_loaded_median_abs_error": ("<=", 0.10),
    "tokens_all_median_abs_error": ("<=", 0.25),
    "itl_median_abs_error": ("<=", 0.20),
    "ttft_below_1s_median_abs_error": ("<=", 0.25),
    "knee_within_2x_share": (">=", 0.80),
    "false_knees": ("<=", 0),
    "saturation_median_abs_error": ("<=", 0.15),
}
REQUIRED_COLUMNS = ("model", "gpu", "tp", "weights", "kv", "input_len", "output_len", "request_rate_per_s",
                    "n_requests", "ttft_mean_ms", "itl_mean_ms", "output_tokens_per_s", "achieved_requests_per_s")
LOADED_RATE_PER_S = 16.0
LOADED_CONCURRENCY = 25
KNEE_S = 1.0
FALSE_KNEE_S = 0.5


def online_rows() -> pd.DataFrame:
    """The bundled published online-serving runs, with their source column (§30.4)."""
    with resources.files("costlib.data").joinpath("online_serving.csv").open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh)


def _rate_col(df: pd.DataFrame) -> np.ndarray:
    return pd.to_numeric(df["request_rate_per_s"], errors="coerce").to_numpy(dtype=float)


def loaded_mask(df: pd.DataFrame) -> np.ndarray:
    """Rows where the replica is loaded: rate >= 16/s, unbounded rate, or >= 25 concurrent users (§30.4)."""
    rate = _rate_col(df)
    conc = pd.to_numeric(df.get("concurrency", pd.Series(np.nan, index=df.index)), errors="coerce").to_numpy(float)
    with np.errstate(invalid="ignore"):
        return (rate >= LOADED_RATE_PER_S) | np.isposinf(rate) | (conc >= LOADED_CONCURRENCY)


def predict_online(rows: pd.DataFrame | None = None, profile="calibrated", make_step=None) -> pd.DataFrame:
    """Each row with its predicted TTFT, ITL, output tokens/s and achieved requests/s (fixed arrivals) (§30.4).

    ``make_step(deployment, profile)`` builds each deployment's step (default :func:`engine_step`; a
    what-if experiment such as ``benchmarks/online_what_if.py`` passes its own).
    """
    df = online_rows() if rows is None else rows.copy()
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"rows: missing column(s) {missing}; online runs need {list(REQUIRED_COLUMNS)} "
                         "(the columns of costlib/data/online_serving.csv)")
    prof = get_profile(profile)
    build = engine_step if make_step is None else make_step

    def make(m, g, tp, w, k):
        return build(deployment(m, g, tp, w, k), prof)

    steps = {}
    out = {"pred_ttft_mean_ms": [], "pred_itl_mean_ms": [], "pred_output_tokens_per_s": [],
           "pred_achieved_requests_per_s": [], "pred_saturation_requests_per_s": []}
    for row in df.itertuples(index=False):
        key = (row.model, row.gpu, int(row.tp), row.weights, row.kv)
        if key not in steps:
            steps[key] = make(*key)
        rate = float(row.request_rate_per_s) if pd.notna(row.request_rate_per_s) else None
        conc = getattr(row, "concurrency", None)
        conc = int(conc) if conc is not None and pd.notna(conc) else None
        n = int(row.n_requests) if pd.notna(row.n_requests) else 500
        r = simulate(steps[key], int(row.input_len), int(row.output_len), rate=rate if conc is None else None,
                     concurrency=conc, requests=n, arrivals="fixed", keep_trace=False)
        out["pred_ttft_mean_ms"].append(r.ttft_mean_s * 1e3)
        out["pred_itl_mean_ms"].append(r.itl_mean_s * 1e3)
        out["pred_output_tokens_per_s"].append(r.output_tokens_per_s)
        out["pred_achieved_requests_per_s"].append(r.achieved_requests_per_s)
        out["pred_saturation_requests_per_s"].append(r.saturation_requests_per_s)
    for k, vals in out.items():
        df[k] = vals
    return df


@dataclass(frozen=True)
class OnlineFigures:
    """The fidelity figures of the serving model on online runs, and whether each meets its target (§30.4)."""

    tokens_loaded_median_abs_error: float
    tokens_all_median_abs_error: float
    itl_median_abs_error: float
    ttft_below_1s_median_abs_error: float
    knee_within_2x_share: float
    false_knees: int
    saturation_median_abs_error: float
    n_rows: int
    n_loaded: int
    n_below_1s: int
    n_knee: int
    n_saturation: int

    @property
    def meets(self) -> dict:
        """{figure: True/False} against :data:`TARGETS`."""
        res = {}
        for name, (op, bound) in TARGETS.items():
            x = getattr(self, name)
            res[name] = bool(x <= bound if op == "<=" else x >= bound) if x == x else False
        return res

    @property
    def all_met(self) -> bool:
        return all(self.meets.values())

    def to_frame(self) -> pd.DataFrame:
        """One row per figure: value, target, met."""
        return pd.DataFrame([{"figure": k, "value": getattr(self, k), "target": f"{op} {b:g}", "met": self.meets[k]}
                             for k, (op, b) in TARGETS.items()])


def _median_abs_error(pred, meas) -> float:
    pred, meas = np.asarray(pred, dtype=float), np.asarray(meas, dtype=float)
    return float(np.median(np.abs(pred / meas - 1))) if pred.size else float("nan")


def online_figures(table: pd.DataFrame) -> OnlineFigures:
    """Compute the fidelity figures from a table with measured and ``pred_*`` columns (§30.4)."""
    loaded = loaded_mask(table)
    t_meas = table["output_tokens_per_s"].to_numpy(float)
    t_pred = table["pred_output_tokens_per_s"].to_numpy(float)
    ttft_meas = table["ttft_mean_ms"].to_numpy(float) / 1e3
    ttft_pred = table["pred_ttft_mean_ms"].to_numpy(float) / 1e3
    below = ttft_meas < KNEE_S
    knee = ~below
    ratio = ttft_pred[knee] / ttft_meas[knee]
    sat = np.isposinf(_rate_col(table))
    return OnlineFigures(
        tokens_loaded_median_abs_error=_median_abs_error(t_pred[loaded], t_meas[loaded]),
        tokens_all_median_abs_error=_median_abs_error(t_pred, t_meas),
        itl_median_abs_error=_median_abs_error(table["pred_itl_mean_ms"], table["itl_mean_ms"]),
        ttft_below_1s_median_abs_error=_median_abs_error(ttft_pred[below], ttft_meas[below]),
        knee_within_2x_share=float(np.mean((ratio >= 0.5) & (ratio <= 2.0))) if ratio.size else math.nan,
        false_knees=int(np.sum((ttft_meas < FALSE_KNEE_S) & (ttft_pred >= FALSE_KNEE_S))),
        saturation_median_abs_error=_median_abs_error(table["pred_achieved_requests_per_s"].to_numpy(float)[sat],
                                                      table["achieved_requests_per_s"].to_numpy(float)[sat]),
        n_rows=len(table), n_loaded=int(loaded.sum()), n_below_1s=int(below.sum()), n_knee=int(knee.sum()),
        n_saturation=int(sat.sum()))


def validate_online(profile="calibrated", rows: pd.DataFrame | None = None) -> tuple[OnlineFigures, pd.DataFrame]:
    """Predict the bundled online rows (or ``rows``) with one profile and compute the figures: (figures, table) (§30.4)."""
    table = predict_online(rows, profile)
    return online_figures(table), table


def main(argv=None) -> None:
    """Print the figures and the per-row table: ``python -m costlib.evidence.online [--rows FILE.csv]``."""
    import argparse

    ap = argparse.ArgumentParser(description="Predict published online-serving runs and print the fidelity figures.")
    ap.add_argument("--rows", help="a CSV of online runs in the columns of costlib/data/online_serving.csv "
                                   "(default: the bundled runs), e.g. benchmarks/data/online_serving_h200.csv")
    args = ap.parse_args(argv)
    try:
        rows = None if args.rows is None else pd.read_csv(args.rows)
    except (OSError, pd.errors.ParserError) as e:
        ap.error(f"--rows: cannot read {args.rows!r} as a CSV ({e})")
    try:
        figures, table = validate_online(rows=rows)
    except ValueError as e:
        ap.error(str(e))
    cols = ["model", "input_len", "output_len", "request_rate_per_s", "ttft_mean_ms", "pred_ttft_mean_ms",
            "itl_mean_ms", "pred_itl_mean_ms", "output_tokens_per_s", "pred_output_tokens_per_s",
            "achieved_requests_per_s", "pred_achieved_requests_per_s"]
    with pd.option_context("display.width", 250, "display.max_columns", 20):
        print(table[cols].round(1).to_string(index=False))
        print()
        print(figures.to_frame().to_string(index=False))


if __name__ == "__main__":
    main()

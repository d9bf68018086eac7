"""Fit a profile to measured runs, and cross-validate it by GPU family, model or shape (§30.4).

:func:`calibrate` fits a handful of *global* efficiencies of the one engine (never one per row or per
GPU) to max-throughput runs: least squares on log(predicted / measured) with a soft-L1 loss, so one
odd run cannot drag the fit. Its error band is the 5-95% spread of *held-out* errors: each GPU family
in turn is left out, the rest refit, the family predicted. :func:`cross_validate` reports those
held-out predictions, which is what a reader should expect on hardware the fit has never seen.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

from ..common import checks as v
from ..estimate.predict import max_throughput_table
from ..estimate.profiles import Profile, get_profile
from ..physics.engine import Efficiency, EngineLimits
from .measurements import MeasurementSet, read_measurements

__all__ = ["FITTED_PARAMETERS", "ALL_PARAMETERS", "START", "calibrate_ttft_overhead", "default_profile", "calibrate", "cross_validate", "CrossValidation", "predict_table"]

# parameter -> (where it lives, lower bound, upper bound)
_PARAMS = {
    "mbu": ("eff", 0.2, 1.0),
    "mfu": ("eff", 0.05, 1.0),
    "link_efficiency": ("eff", 0.05, 1.0),
    "allreduce_latency_s": ("eff", 0.0, 1e-3),
    "step_overhead_s": ("eff", 0.0, 0.1),
    "sequence_overhead_s": ("eff", 0.0, 1e-3),
    "reserve_bytes_per_gpu": ("limits", 0.0, 20e9),
}
# The all-reduce latency is held at START's value by default: with one interconnect family left out
# the max-throughput runs do not identify it (it trades off against the link efficiency and the
# per-sequence overhead): their held-out error is flat within 1 point from 40 to 100 us. The online runs
# at low load do identify it: there a 70B TP=4 step is mostly weights and 160 all-reduces, and their
# inter-token latency asks for 25-30 us. The value held is the smallest on a 5 us grid whose
# max-throughput band stays within issue #13's width (high/low <= 1.6): 40 us (35 us gives 1.61).
# Notebook 11 shows the sweep, and docs/serving.md the figures at each value. Latencies that grow with
# TP (Efficiency.allreduce_step_latency_s, allreduce_hop_latency_s) were compared and not shipped:
# benchmarks/allreduce_forms.py. Pass fit=ALL_PARAMETERS to fit the latency anyway.
ALL_PARAMETERS = tuple(_PARAMS)
FITTED_PARAMETERS = tuple(n for n in _PARAMS if n != "allreduce_latency_s")
BAND_QUANTILES = (0.05, 0.95)
# where the fit starts: generic values, before any data
START = Profile("calibrated", mid=Efficiency(mbu=0.8, mfu=0.5, link_efficiency=0.5, allreduce_latency_s=4e-5,
                                             step_overhead_s=1e-3, sequence_overhead_s=1e-6),
                limits=EngineLimits(reserve_bytes_per_gpu=2.5e9))


def _apply(profile: Profile, names, x) -> Profile:
    eff, lim = {}, {}
    for n, val in zip(names, x, strict=True):
        (eff if _PARAMS[n][0] == "eff" else lim)[n] = float(val)
    return profile.with_(mid=dataclasses.replace(profile.mid, **eff),
                         limits=dataclasses.replace(profile.limits, **lim))


def _get(profile: Profile, name: str) -> float:
    return getattr(profile.mid if _PARAMS[name][0] == "eff" else profile.limits, name)


def predict_table(ms: MeasurementSet, profile: Profile) -> np.ndarray:
    """Mid total output tokens/s of every max-throughput row of a MeasurementSet, in one vectorised call."""
    F = ms.stacked(ideal=profile.ideal)
    t = max_throughput_table(F["spec"], profile.mid, profile.limits, F["input_len"], F["output_len"],
                             fewest_experts=profile.ideal)
    return t["tokens_per_s"] * F["replicas"]


def _fit(ms, y, names, start):
    def residuals(x):
        pred = predict_table(ms, _apply(start, names, x))
        return np.log(np.maximum(pred, 1e-30) / y)

    lo = np.array([_PARAMS[n][1] for n in names])
    hi = np.array([_PARAMS[n][2] for n in names])
    x0 = np.clip([_get(start, n) for n in names], lo + 1e-12 * (hi - lo), hi - 1e-12 * (hi - lo))
    scale = np.maximum(np.abs(x0), 1e-6 * (hi - lo))
    res = least_squares(residuals, x0, bounds=(lo, hi), loss="soft_l1", f_scale=0.1, x_scale=scale)
    return _apply(start, names, res.x), res.fun


def _check_names(fit) -> tuple:
    names = v.non_empty("fit", fit, what="fitted parameter names", valid=FITTED_PARAMETERS)
    return tuple(dict.fromkeys(v.choice("fit", n, FITTED_PARAMETERS) for n in names))


def _check_quantiles(band_quantiles) -> tuple:
    try:
        q = tuple(float(x) for x in band_quantiles)
    except (TypeError, ValueError):
        raise ValueError(f"band_quantiles must be two fractions (low, high), got {band_quantiles!r}") from None
    if len(q) != 2 or not (0 < q[0] < q[1] < 1):
        raise ValueError(f"band_quantiles must be two fractions 0 < low < high < 1, got {band_quantiles!r}")
    return q


def calibrate(measurements, *, fit=FITTED_PARAMETERS, start=None, band: bool = True,
              band_quantiles=BAND_QUANTILES, by: str = "family") -> Profile:
    """Fit the engine's global efficiencies to max-throughput runs (CSV path, DataFrame or MeasurementSet) (§30.4).

    ``fit`` names the parameters (default all of :data:`FITTED_PARAMETERS`); ``start`` is the profile
    they start from (default :data:`START`). With ``band=True`` the low/high factors are the
    ``band_quantiles`` of held-out errors, each ``by`` group ("family", "gpu" or "model") left out in
    turn; with one group only, or ``band=False``, of the in-sample errors (an optimistic band).
    """
    if not isinstance(band, bool):
        raise ValueError(f"band must be True or False, got {band!r}")
    ms = read_measurements(measurements).only("max_throughput")
    names = _check_names(fit)
    q = _check_quantiles(band_quantiles)
    p0 = START if start is None else get_profile(start)
    if len(ms) < len(names):
        raise ValueError(f"measurements: fitting {len(names)} parameter(s) needs at least {len(names)} usable "
                         f"max-throughput rows, got {len(ms)} (of {ms.rows_read} read, {len(ms.skipped)} skipped)")
    y = ms.measured()
    prof, r = _fit(ms, y, names, p0)
    res = r
    if band:
        groups = ms.groups(by)
        if len(set(groups)) >= 2:
            res = _held_out(ms, y, names, p0, groups)
    lo, hi = np.quantile(-res, q)  # residual = log(mid / measured)
    return prof.with_(name="calibrated", band_low=float(min(1.0, math.exp(lo))),
                      band_high=float(max(1.0, math.exp(hi))), fitted=names, n_rows=len(ms),
                      source=f"calibrate() on {len(ms)} measured max-throughput rows", as_of="",
                      notes={"in_sample_median_abs_error": float(np.median(np.abs(np.expm1(r)))),
                             "held_out_median_abs_error": float(np.median(np.abs(np.expm1(res)))),
                             "band_by": by if band else "in-sample"})


def _held_out(ms, y, names, prof, groups) -> np.ndarray:
    out = np.zeros(len(ms))
    for g in sorted(set(groups)):
        tr, te = groups != g, groups == g
        p, _ = _fit(ms.subset(tr), y[tr], names, prof)
        out[te] = np.log(predict_table(ms.subset(te), p) / y[te])
    return out


def calibrate_ttft_overhead(measurements, profile) -> Profile:
    """Fit the profile's one first-token overhead to bare-prefill runs (``prefill_bs1`` rows), least squares in log (§30.4).

    The overhead is what a lone prompt's first token costs beyond its prefill step (scheduling the
    context phase, sampling): t = prefill step + overhead. Needs at least one prefill row.
    """
    from ..estimate.predict import prefill_table

    ms = read_measurements(measurements).only("prefill_bs1")
    prof = get_profile(profile)
    if not len(ms):
        raise ValueError("measurements: calibrating the first-token overhead needs prefill_bs1 rows, got none")
    F = ms.stacked(ideal=prof.ideal)
    step = prefill_table(F["spec"], prof.mid, prof.limits, F["input_len"])
    y = ms.measured()
    res = least_squares(lambda x: np.log((step + x[0]) / y), [1e-3], bounds=([0.0], [1.0]))
    return prof.with_(ttft_overhead_s=float(res.x[0]))


def default_profile(start=None) -> Profile:
    """Rebuild the bundled ``calibrated`` profile from the bundled runs (what costlib/data/profiles/calibrated.json holds).

    Efficiencies and band: :func:`calibrate` on the 230 max-throughput rows (costlib/data/measured.csv),
    from ``start`` (default :data:`START`, which holds the all-reduce latency); first-token overhead:
    :func:`calibrate_ttft_overhead` on the 4 bare-prefill rows of costlib/data/static_batch.csv. Its 12
    fixed-batch rows are never fitted: they stay held out.
    """
    from importlib import resources

    data = resources.files("costlib.data")
    with resources.as_file(data.joinpath("measured.csv")) as runs, \
            resources.as_file(data.joinpath("static_batch.csv")) as static:
        prof = calibrate(runs, start=start)
        prof = calibrate_ttft_overhead(static, prof)
    return prof.with_(source="calibrate() on the 230 max-throughput runs of NVIDIA's TensorRT-LLM v0.17 performance "
                             "overview (costlib/data/measured.csv); first-token overhead from the 4 bare-prefill runs "
                             "of costlib/data/static_batch.csv", as_of="2025-01")


@dataclass(frozen=True)
class CrossValidation:
    """Held-out predictions: each group predicted by a profile calibrated without it (§30.4)."""

    by: str
    predictions: pd.DataFrame  # row, group, measured, ceiling, low, mid, high, error, in_band
    profiles: dict

    @property
    def median_abs_error(self) -> float:
        return float(self.predictions["error"].abs().median())

    @property
    def in_band(self) -> float:
        return float(self.predictions["in_band"].mean())

    @property
    def within_15(self) -> float:
        return float((self.predictions["error"].abs() <= 0.15).mean())

    @property
    def band_width(self) -> float:
        """Median high / low of the held-out bands."""
        return float((self.predictions["high"] / self.predictions["low"]).median())

    def by_group(self) -> pd.DataFrame:
        df = self.predictions.assign(abs_error=self.predictions["error"].abs())
        g = df.groupby("group")
        return pd.DataFrame({"rows": g.size(), "median_abs_error": g["abs_error"].median(),
                             "median_error": g["error"].median(), "in_band": g["in_band"].mean()})


def cross_validate(measurements, by: str = "family", **calibrate_kwargs) -> CrossValidation:
    """Leave one GPU family (or GPU, model, shape) out: calibrate on the rest, predict it (§30.4)."""
    from .validate import validate

    ms = read_measurements(measurements).only("max_throughput")
    groups = ms.groups(by)
    uniq = sorted(set(groups))
    if len(uniq) < 2:
        raise ValueError(f"by: cross-validation by {by!r} needs at least two different values, got {len(uniq)} "
                         f"({', '.join(map(str, uniq)) or 'no usable rows'})")
    frames, profiles = [], {}
    for g in uniq:
        prof = calibrate(ms.subset(groups != g), **calibrate_kwargs)
        profiles[g] = prof
        rep = validate(ms.subset(groups == g), prof)
        frames.append(rep.to_frame().assign(group=g))
    df = pd.concat(frames, ignore_index=True).sort_values("row", ignore_index=True)
    return CrossValidation(by=by, predictions=df, profiles=profiles)

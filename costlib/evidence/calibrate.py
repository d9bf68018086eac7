"""Calibration: fit a few physical efficiencies to measured runs, and say how well they travel (§30.4).

The realistic model of a max-throughput run (per replica, per request of I prompt and O output
tokens, B sequences in flight where B = usable KV memory / (KV bytes per token x (I + O/2))):

    time = max(bytes / (TP x bandwidth x MBU), FLOPs / (TP x peak x MFU))
           + (O - 1) / B x (step overhead + TP all-reduces of one step) + TP all-reduces of the prefill

with the same FLOPs and bytes as the ceiling (:func:`costlib.estimate.predict.ceiling_tokens_per_s`),
except that MoE steps read the experts a uniformly routed batch touches, usable memory is
``memory_fraction`` of HBM, and all-reduces move 2 (TP-1)/TP x tokens x hidden x 2 bytes over
``link_efficiency`` x the link bandwidth (plus a fixed 5 us latency). Five parameters, the same for
every GPU and model: MBU, MFU, memory_fraction, step_overhead_s, link_efficiency (MBU held at
0.85 by default, see DEFAULT_FIT).

:func:`calibrate` fits them by least squares on log(predicted / measured) (Levenberg-Marquardt on
bounded transforms; numpy only) and sets the band from out-of-fold residuals: the rows are refit
with each GPU and each model left out in turn and the 5th-95th percentiles of the held-out errors
become the low/high factors. :func:`cross_validate` reports held-out error for a grouping.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from costlib.common import checks as v
from costlib.estimate.features import stack_features
from costlib.estimate.measurements import MeasurementSet, read_measurements
from costlib.estimate.predict import mid_tokens_per_s, predict
from costlib.estimate.profiles import (
    BAND_QUANTILES,
    DEFAULT_FIT,
    DEFAULT_PROFILE,
    FITTED_PARAMETERS,
    FRACTION_PARAMETERS,
    EfficiencyProfile,
)

__all__ = ['calibrate', 'cross_validate', 'CrossValidation']

def _unpack(z, names, start: EfficiencyProfile) -> EfficiencyProfile:
    vals = {}
    for n, x in zip(names, z, strict=True):
        if n in FRACTION_PARAMETERS:
            vals[n] = float(min(1.0, 1 / (1 + math.exp(-max(-50.0, min(50.0, x))))))
        else:
            vals[n] = float(math.exp(max(-60.0, min(2.0, x))))
    return dataclasses.replace(start, **vals)


def _pack(p: EfficiencyProfile, names) -> np.ndarray:
    out = []
    for n in names:
        x = getattr(p, n)
        if n in FRACTION_PARAMETERS:
            x = min(max(x, 1e-6), 1 - 1e-6)
            out.append(math.log(x / (1 - x)))
        else:
            out.append(math.log(max(x, 1e-12)))
    return np.array(out)


def _residuals(z, names, start, F, measured):
    return np.log(mid_tokens_per_s(F, _unpack(z, names, start)) / measured)


def _fit(F, measured, names, start, max_iter=500):
    """Levenberg-Marquardt on log residuals; returns (profile, residuals, informed names)."""
    z = _pack(start, names)
    r = _residuals(z, names, start, F, measured)
    cost, lam, h = float(r @ r), 1e-2, 1e-6
    jac = np.zeros((len(r), len(z)))
    for _ in range(max_iter):
        for j in range(len(z)):
            dz = np.zeros_like(z)
            dz[j] = h
            jac[:, j] = (_residuals(z + dz, names, start, F, measured) - r) / h
        g, hess = jac.T @ r, jac.T @ jac
        improved = False
        while lam < 1e10:
            step = np.linalg.solve(hess + lam * (np.diag(np.diag(hess)) + 1e-9 * np.eye(len(z))), -g)
            rn = _residuals(z + step, names, start, F, measured)
            cn = float(rn @ rn)
            if np.isfinite(cn) and cn < cost:
                z, r, improved = z + step, rn, True
                lam = max(lam / 3, 1e-9)
                done = np.max(np.abs(step)) < 1e-9
                cost = cn
                break
            lam *= 4
        if not improved or done:
            break
    informed = tuple(n for j, n in enumerate(names) if np.linalg.norm(jac[:, j]) > 1e-6 * math.sqrt(len(r)))
    return _unpack(z, names, start), r, informed


def _measured(ms: MeasurementSet) -> np.ndarray:
    return np.array([m.measured_tokens_per_s for m in ms.measurements], dtype=float)


def _groups(ms: MeasurementSet, by: str) -> np.ndarray:
    key = v.choice("by", by, ["gpu", "model", "shape"])
    return np.array([getattr(m, key) for m in ms.measurements], dtype=object)


def _subset(ms: MeasurementSet, idx) -> MeasurementSet:
    return MeasurementSet(rows_read=len(idx), measurements=tuple(ms.measurements[i] for i in idx), skipped=())


def _check_fit_names(fit) -> tuple:
    if isinstance(fit, str):
        fit = (fit,)
    names = tuple(fit)
    if not names:
        raise ValueError(f"fit must name at least one of {', '.join(FITTED_PARAMETERS)}")
    for n in names:
        v.choice("fit", n, FITTED_PARAMETERS)
    return tuple(dict.fromkeys(n.lower() for n in names))


def calibrate(measurements, *, fit=DEFAULT_FIT, start: EfficiencyProfile | None = None,
              band_quantiles=BAND_QUANTILES, band: bool = True) -> EfficiencyProfile:
    """Fit the efficiency parameters to a measurement table (CSV path, DataFrame or MeasurementSet) (§30.4).

    Least squares on log(mid / measured) over every usable row (skipped rows are ignored). ``fit``
    names the parameters to fit (the others keep the ``start`` profile's values, default
    DEFAULT_PROFILE); a parameter the rows cannot inform (e.g. link_efficiency without TP > 1)
    also stays at its start and is left out of ``informed``. With ``band`` the low/high factors
    are the ``band_quantiles`` of out-of-fold residuals (each GPU, then each model left out and
    the rest refit, when there are at least two of them); otherwise, or with fewer groups, of the
    in-sample residuals (an optimistic band). Needs at least as many rows as fitted parameters.
    """
    ms = read_measurements(measurements)
    names = _check_fit_names(fit)
    p0 = DEFAULT_PROFILE if start is None else start
    if not isinstance(p0, EfficiencyProfile):
        raise ValueError(f"start must be an EfficiencyProfile, got {start!r}")
    q = np.asarray(v.fraction("band_quantiles", band_quantiles), dtype=float)
    if q.shape != (2,) or not q[0] < q[1]:
        raise ValueError(f"band_quantiles must be two fractions (low, high) with low < high, got {band_quantiles!r}")
    if len(ms) < len(names):
        raise ValueError(f"measurements: calibrating {len(names)} parameter(s) needs at least {len(names)} "
                         f"usable rows, got {len(ms)} (of {ms.rows_read} read; "
                         f"{len(ms.skipped)} skipped)")
    F, y = stack_features(ms.measurements), _measured(ms)
    prof, r, informed = _fit(F, y, names, p0)
    oof = []
    if band:
        for by in ("gpu", "model"):
            groups = _groups(ms, by)
            uniq = sorted(set(groups))
            if len(uniq) < 2:
                continue
            for gval in uniq:
                tr, te = np.flatnonzero(groups != gval), np.flatnonzero(groups == gval)
                if len(tr) < len(names):
                    continue
                sub = {k: a[tr] for k, a in F.items()}
                p_tr, _, _ = _fit(sub, y[tr], names, prof)
                oof.extend(np.log(mid_tokens_per_s({k: a[te] for k, a in F.items()}, p_tr) / y[te]))
    res = np.asarray(oof) if oof else r
    # residual = log(mid / measured): measured = mid x exp(-residual)
    lo, hi = np.quantile(-res, q)
    return dataclasses.replace(
        prof, band_low=float(min(1.0, math.exp(lo))), band_high=float(max(1.0, math.exp(hi))), n_rows=len(ms),
        in_sample_median_abs_error=float(np.median(np.abs(np.expm1(r)))),
        informed=tuple(n for n in names if n in informed),
        source=f"calibrate() on {len(ms)} measured rows", as_of="")


@dataclass(frozen=True)
class CrossValidation:
    """Held-out predictions: each group's rows predicted by a profile calibrated without them (§30.4)."""

    by: str
    predictions: pd.DataFrame  # row, group, measured, ceiling, low, mid, high, error, in_band
    profiles: dict  # group -> profile calibrated on the other groups

    @property
    def median_abs_error(self) -> float:
        return float(self.predictions["error"].abs().median())

    @property
    def in_band(self) -> float:
        return float(self.predictions["in_band"].mean())

    @property
    def under_ceiling(self) -> float:
        return float((self.predictions["measured"] <= self.predictions["ceiling"]).mean())

    def by_group(self) -> pd.DataFrame:
        g = self.predictions.assign(abs_error=self.predictions["error"].abs()).groupby("group")
        return pd.DataFrame({"rows": g.size(), "median_abs_error": g["abs_error"].median(),
                             "in_band": g["in_band"].mean()})


def cross_validate(measurements, by: str = "gpu", **calibrate_kwargs) -> CrossValidation:
    """Leave one GPU (or model, or input/output shape) out: calibrate on the rest, predict it (§30.4).

    ``by`` is "gpu", "model" or "shape". Every profile, band included, is built from the training
    rows only, so the error and band coverage are those a reader should expect on new hardware
    or a new model.
    """
    ms = read_measurements(measurements)
    groups = _groups(ms, by)
    uniq = sorted(set(groups))
    if len(uniq) < 2:
        raise ValueError(f"by: cross-validation by {by!r} needs at least two different values, got "
                         f"{len(uniq)} ({', '.join(map(str, uniq)) or 'no usable rows'})")
    frames, profiles = [], {}
    for gval in uniq:
        tr, te = np.flatnonzero(groups != gval), np.flatnonzero(groups == gval)
        prof = calibrate(_subset(ms, tr), **calibrate_kwargs)
        profiles[gval] = prof
        preds = predict(_subset(ms, te), prof)
        frames.append(pd.DataFrame([{**p.to_dict(), "group": gval, "error": p.error, "in_band": p.in_band}
                                    for p in preds]))
    df = pd.concat(frames, ignore_index=True).sort_values("row", ignore_index=True)
    return CrossValidation(by=by, predictions=df, profiles=profiles)

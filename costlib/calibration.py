"""Calibration: fit a few physical efficiencies to measured runs, and say how well they travel (§30.4).

The realistic model of a max-throughput run (per replica, per request of I prompt and O output
tokens, B sequences in flight where B = usable KV memory / (KV bytes per token x (I + O/2))):

    time = max(bytes / (TP x bandwidth x MBU), FLOPs / (TP x peak x MFU))
           + (O - 1) / B x (step overhead + TP all-reduces of one step) + TP all-reduces of the prefill

with the same FLOPs and bytes as the ceiling (:func:`costlib.validation.ceiling_tokens_per_s`),
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

from . import _validate as v
from .validation import (
    MeasurementSet,
    _mid,
    _stack,
    physical_hbm_bytes,
    predict,
    predict_row,
    read_measurements,
)

__all__ = ["EfficiencyProfile", "DEFAULT_PROFILE", "FITTED_PARAMETERS", "DEFAULT_FIT", "START_PROFILE", "calibrate", "cross_validate",
           "CrossValidation"]

FITTED_PARAMETERS = ("mbu", "mfu", "memory_fraction", "step_overhead_s", "link_efficiency")
# MBU is held at 0.85 (the top of the chapter's 0.60-0.85 range) by default: on the bundled data it
# trades off against the per-step overhead -- the in-sample median error moves by less than 0.3
# points between MBU 0.75 and 1.0 -- so the rows cannot pin it down. Pass fit=FITTED_PARAMETERS to
# fit it anyway.
DEFAULT_FIT = ("mfu", "memory_fraction", "step_overhead_s", "link_efficiency")
_FRACTIONS = {"mbu", "mfu", "memory_fraction", "link_efficiency"}
BAND_QUANTILES = (0.05, 0.95)


@dataclass(frozen=True)
class EfficiencyProfile:
    """How close real serving gets to the roofline: a handful of physical efficiencies and an error band (§30.4).

    * ``mbu`` / ``mfu``: achieved share of HBM bandwidth / dense peak FLOP/s over a whole run;
    * ``memory_fraction``: share of HBM (read as GiB) holding weights + KV cache;
    * ``step_overhead_s``: fixed time per decode step (scheduling, launches, sampling);
    * ``link_efficiency``: achieved share of the per-direction link bandwidth in TP all-reduces;
    * ``band_low`` / ``band_high``: factors on mid giving the low/high estimates.

    Use it with costlib's estimates: :meth:`deployment` builds a Deployment with this usable
    memory, :meth:`decode_kwargs` gives ``mbu``/``mfu`` for decode_step / decode_tokens_per_s /
    prefill_time_s, :meth:`tokens_per_s` and :meth:`usd_per_million` predict a whole workload.
    """

    mbu: float
    mfu: float
    memory_fraction: float
    step_overhead_s: float
    link_efficiency: float
    band_low: float = 1.0
    band_high: float = 1.0
    allreduce_latency_s: float = 5e-6
    n_rows: int = 0
    in_sample_median_abs_error: float | None = None
    informed: tuple = FITTED_PARAMETERS  # parameters the data could move (the rest kept their start)
    source: str = ""
    as_of: str = ""

    def __post_init__(self):
        for name in ("mbu", "mfu", "memory_fraction", "link_efficiency"):
            v.fraction(name, getattr(self, name), scalar=True)
        v.number("step_overhead_s", self.step_overhead_s, low=0.0, low_inclusive=True, high=10.0, scalar=True)
        v.number("allreduce_latency_s", self.allreduce_latency_s, low=0.0, low_inclusive=True, high=1.0,
                 scalar=True)
        v.number("band_low", self.band_low, high=1.0, scalar=True)
        v.number("band_high", self.band_high, low=1.0, low_inclusive=True, high=100.0, scalar=True)

    def with_(self, **changes) -> EfficiencyProfile:
        """A copy with some fields replaced, e.g. ``profile.with_(mbu=0.7)``."""
        names = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - names)
        if unknown:
            raise ValueError(f"unknown EfficiencyProfile field(s) {', '.join(unknown)}; valid: {', '.join(sorted(names))}")
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)

    # ------------------------------------------------------------ use it with costlib

    def deployment(self, model, gpu, tp: int = 1, weights="bf16", kv=None):
        """A costlib Deployment whose usable memory is this profile's share of HBM (read as GiB) (§30.3)."""
        from .deployment import deployment

        return deployment(model, gpu, tp, weights, kv, memory_fraction=self.memory_fraction, reserve_bytes=0.0,
                          hbm_bytes=physical_hbm_bytes(gpu))

    def decode_kwargs(self) -> dict:
        """``mbu`` and ``mfu`` for decode_step, decode_tokens_per_s, step_time_s, prefill_time_s (§30.4)."""
        return {"mbu": self.mbu, "mfu": self.mfu}

    def decode_tokens_per_s(self, dep, batch, context) -> float:
        """Decode tokens/s of a replica at this profile: roofline step at MBU/MFU plus the step overhead (§30.3)."""
        from .throughput import decode_step

        s = decode_step(dep, batch, context, self.mbu, self.mfu, allreduce_latency_s=self.allreduce_latency_s)
        return s.batch / (s.step_time_s + self.step_overhead_s)

    def tokens_per_s(self, model, gpu, tp: int = 1, weights="bf16", kv=None, input_len=1000, output_len=1000,
                     n_gpus=None) -> dict:
        """Total output tokens/s of a max-throughput run: ceiling, low, mid, high (§30.4)."""
        p = predict_row(gpu, model, tp=tp, n_gpus=n_gpus, weights=weights, kv=kv, input_len=input_len,
                        output_len=output_len, profile=self)
        return {"ceiling": p.ceiling, "low": p.low, "mid": p.mid, "high": p.high}

    def usd_per_million(self, usd_per_gpu_hour, model, gpu, tp: int = 1, weights="bf16", kv=None,
                        input_len=1000, output_len=1000, n_gpus=None, utilization=1.0) -> dict:
        """$ per million output tokens at low/mid/high throughput ("low" is the cheapest) and at the ceiling (§30.1, §30.4).

        The GPUs are paid for every hour; prompts are served in the same hours (their cost is inside).
        """
        from .cost import usd_per_million_tokens

        price = v.number("usd_per_gpu_hour", usd_per_gpu_hour, scalar=True)
        n = tp if n_gpus is None else n_gpus
        t = self.tokens_per_s(model, gpu, tp, weights, kv, input_len, output_len, n_gpus)
        fleet = price * v.integer("n_gpus", n, low=1, scalar=True)
        return {"low": usd_per_million_tokens(fleet, t["high"], utilization),
                "mid": usd_per_million_tokens(fleet, t["mid"], utilization),
                "high": usd_per_million_tokens(fleet, t["low"], utilization),
                "at_ceiling": usd_per_million_tokens(fleet, t["ceiling"], utilization)}


# Where calibrate() starts when asked to reproduce DEFAULT_PROFILE: generic values, MBU at 0.85.
START_PROFILE = EfficiencyProfile(mbu=0.85, mfu=0.4, memory_fraction=0.9, step_overhead_s=1e-3,
                                  link_efficiency=0.5)

# calibrate(costlib.measured(), start=START_PROFILE) on the 230 bundled rows (NVIDIA TensorRT-LLM
# v0.17 performance overview); tests/test_calibrate.py re-runs it and checks these constants.
DEFAULT_PROFILE = EfficiencyProfile(
    mbu=0.85, mfu=0.5134, memory_fraction=0.9325, step_overhead_s=0.02783, link_efficiency=0.4067,
    band_low=0.7378, band_high=1.523, n_rows=230, in_sample_median_abs_error=0.1006,
    informed=DEFAULT_FIT,
    source="calibrate() on the NVIDIA TensorRT-LLM v0.17 performance overview (costlib/data/measured.csv)",
    as_of="2025-01")


# ---------------------------------------------------------------- fitting

def _unpack(z, names, start: EfficiencyProfile) -> EfficiencyProfile:
    vals = {}
    for n, x in zip(names, z, strict=True):
        if n in _FRACTIONS:
            vals[n] = float(min(1.0, 1 / (1 + math.exp(-max(-50.0, min(50.0, x))))))
        else:
            vals[n] = float(math.exp(max(-60.0, min(2.0, x))))
    return dataclasses.replace(start, **vals)


def _pack(p: EfficiencyProfile, names) -> np.ndarray:
    out = []
    for n in names:
        x = getattr(p, n)
        if n in _FRACTIONS:
            x = min(max(x, 1e-6), 1 - 1e-6)
            out.append(math.log(x / (1 - x)))
        else:
            out.append(math.log(max(x, 1e-12)))
    return np.array(out)


def _residuals(z, names, start, F, measured):
    return np.log(_mid(F, _unpack(z, names, start)) / measured)


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
    F, y = _stack(ms.measurements), _measured(ms)
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
                oof.extend(np.log(_mid({k: a[te] for k, a in F.items()}, p_tr) / y[te]))
    res = np.asarray(oof) if oof else r
    # residual = log(mid / measured): measured = mid x exp(-residual)
    lo, hi = np.quantile(-res, q)
    return dataclasses.replace(
        prof, band_low=float(min(1.0, math.exp(lo))), band_high=float(max(1.0, math.exp(hi))), n_rows=len(ms),
        in_sample_median_abs_error=float(np.median(np.abs(np.expm1(r)))),
        informed=tuple(n for n in names if n in informed),
        source=f"calibrate() on {len(ms)} measured rows", as_of="")


# ---------------------------------------------------------------- cross-validation

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


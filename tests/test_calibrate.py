"""Calibration: recovers known parameters, reproduces the shipped profile, meets the held-out targets (issue #5).

Recovery tests build synthetic measurements from the forward model at chosen parameters (the
configurations of the bundled runs, with seeded noise) and check calibrate() finds those
parameters again: the expected values are the chosen ones, not a run of the code under test.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

import costlib as cl
from costlib.estimate import predict as V
from costlib.estimate import profiles as C

MEASURED = cl.measured()
MS = cl.read_measurements(MEASURED)
TRUE = C.EfficiencyProfile(mbu=0.85, mfu=0.45, memory_fraction=0.9, step_overhead_s=0.01, link_efficiency=0.6)


def synthetic(profile, noise=0.0, seed=0, rows=MEASURED):
    """The bundled configurations with output tokens/s replaced by the model's mid at ``profile``."""
    mid = np.array([p.mid for p in V.predict(rows, profile.with_(band_low=1.0, band_high=1.0))])
    # the model's own mid, but never above the ceiling, and jittered by lognormal noise
    rng = np.random.default_rng(seed)
    df = rows.copy()
    df["output_tokens_per_s"] = mid * np.exp(rng.normal(0.0, noise, len(mid)))
    return df


def test_recovers_known_parameters_without_noise():
    p = cl.calibrate(synthetic(TRUE), start=C.START_PROFILE, band=False)
    for name in C.DEFAULT_FIT:
        assert getattr(p, name) == pytest.approx(getattr(TRUE, name), rel=1e-3), name
    assert p.in_sample_median_abs_error < 1e-4


def test_recovers_all_five_including_mbu_without_noise():
    truth = TRUE.with_(mbu=0.7)
    p = cl.calibrate(synthetic(truth), fit=C.FITTED_PARAMETERS, start=C.START_PROFILE, band=False)
    for name in C.FITTED_PARAMETERS:
        assert getattr(p, name) == pytest.approx(getattr(truth, name), rel=0.01), name


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_recovers_known_parameters_with_5_percent_noise(seed):
    p = cl.calibrate(synthetic(TRUE, noise=0.05, seed=seed), start=C.START_PROFILE)
    assert p.mfu == pytest.approx(TRUE.mfu, rel=0.05)
    assert p.memory_fraction == pytest.approx(TRUE.memory_fraction, rel=0.02)
    assert p.step_overhead_s == pytest.approx(TRUE.step_overhead_s, rel=0.25)
    assert p.link_efficiency == pytest.approx(TRUE.link_efficiency, rel=0.15)
    # the band reflects the noise: about +-1.645 sigma = x0.92 to x1.09
    assert 0.85 < p.band_low < 0.97 and 1.03 < p.band_high < 1.15


def test_recalibrating_reproduces_the_shipped_profile():
    p = cl.calibrate(MEASURED, start=C.START_PROFILE)
    d = C.DEFAULT_PROFILE
    for name in ("mbu", "mfu", "memory_fraction", "step_overhead_s", "link_efficiency", "band_low",
                 "band_high", "in_sample_median_abs_error"):
        assert getattr(p, name) == pytest.approx(getattr(d, name), rel=2e-3), name
    assert p.n_rows == d.n_rows == 230
    assert p.informed == C.DEFAULT_FIT


def test_shipped_profile_is_physical():
    d = C.DEFAULT_PROFILE
    assert 0.3 < d.mfu < 0.7 and 0.8 < d.memory_fraction <= 1 and 0 < d.link_efficiency <= 1
    assert 0 < d.step_overhead_s < 0.1
    assert d.band_low < 1 < d.band_high


# ---------------------------------------------------------------- held-out error (the targets)

@pytest.fixture(scope="module")
def cv():
    return {by: cl.cross_validate(MEASURED, by) for by in ("gpu", "model", "shape")}


@pytest.mark.parametrize("by", ["gpu", "model", "shape"])
def test_cross_validated_targets(cv, by):
    r = cv[by]
    assert len(r.predictions) == 230 and sorted(r.predictions["row"]) == list(range(230))
    assert r.median_abs_error <= 0.15, f"held-out median |error| by {by}: {r.median_abs_error:.3f}"
    assert r.in_band >= 0.85, f"held-out band coverage by {by}: {r.in_band:.3f}"
    assert r.under_ceiling == 1.0


def test_each_fold_never_saw_its_group(cv):
    r = cv["gpu"]
    assert set(r.profiles) == {"A100-SXM-80GB", "H100-SXM", "L40S"}
    for gpu, prof in r.profiles.items():
        n_other = int((MEASURED["gpu"] != gpu).sum())
        assert prof.n_rows == n_other
    by_group = r.by_group()
    assert list(by_group.index) == ["A100-SXM-80GB", "H100-SXM", "L40S"] and by_group["rows"].sum() == 230


def test_cross_validation_needs_two_groups():
    one_gpu = MEASURED[MEASURED["gpu"] == "L40S"]
    with pytest.raises(ValueError, match="by: cross-validation by 'gpu' needs at least two"):
        cl.cross_validate(one_gpu, "gpu")
    with pytest.raises(ValueError, match="unknown by 'vendor'"):
        cl.cross_validate(MEASURED, "vendor")


# ---------------------------------------------------------------- a reader's own, small benchmark

def test_few_rows_fit_fewer_parameters():
    rows = MEASURED[(MEASURED["gpu"] == "H100-SXM") & (MEASURED["tp"] == 1)].head(3)
    with pytest.raises(ValueError, match="measurements: calibrating 4 parameter.* at least 4 usable rows, got 3"):
        cl.calibrate(rows)
    p = cl.calibrate(rows, fit=("mfu",))
    assert p.informed == ("mfu",)
    for name in ("mbu", "memory_fraction", "step_overhead_s", "link_efficiency"):
        assert getattr(p, name) == getattr(C.DEFAULT_PROFILE, name)  # kept from the start profile


def test_parameters_the_data_cannot_inform_stay_put():
    tp1 = MEASURED[MEASURED["tp"] == 1]  # no all-reduce at TP=1: link efficiency is invisible
    p = cl.calibrate(tp1)
    assert "link_efficiency" not in p.informed
    assert p.link_efficiency == pytest.approx(C.DEFAULT_PROFILE.link_efficiency, rel=1e-6)


@pytest.mark.parametrize("kwargs,param", [
    (dict(fit=("speed",)), "fit"), (dict(fit=()), "fit"), (dict(start="default"), "start"),
    (dict(band_quantiles=(0.9, 0.1)), "band_quantiles"), (dict(band_quantiles=(0.0, 0.9)), "band_quantiles"),
])
def test_calibrate_bad_arguments_name_the_parameter(kwargs, param):
    with pytest.raises(ValueError, match=param):
        cl.calibrate(MEASURED, **kwargs)


@pytest.mark.parametrize("field,value", [("mbu", 1.5), ("mfu", 0), ("memory_fraction", -0.1),
                                         ("step_overhead_s", -1), ("link_efficiency", float("nan")),
                                         ("band_low", 1.2), ("band_high", 0.5)])
def test_profile_checks_its_fields(field, value):
    kw = dataclasses.asdict(C.DEFAULT_PROFILE)
    kw[field] = value
    with pytest.raises(ValueError, match=field):
        C.EfficiencyProfile(**kw)
    with pytest.raises(ValueError, match="unknown EfficiencyProfile field"):
        C.DEFAULT_PROFILE.with_(speed=2)


# ---------------------------------------------------------------- the profile feeds costlib's estimates

def test_profile_deployment_has_the_profiles_usable_memory():
    p = C.DEFAULT_PROFILE
    dep = p.deployment("llama-3.1-70b", "H100-SXM", 2, "fp8", "fp8")
    # 2 GPUs x 80 GiB x memory fraction, no per-GPU reserve
    assert cl.fit(dep, 1000, 1).usable_bytes == pytest.approx(2 * 80 * 2**30 * p.memory_fraction)


def test_profile_decode_kwargs_and_tokens_per_s():
    p = C.DEFAULT_PROFILE
    dep = p.deployment("llama-3.1-8b", "H100-SXM", 1, "fp8", "fp8")
    step = cl.step_time_s(dep, 64, 2048, **p.decode_kwargs())
    assert p.decode_tokens_per_s(dep, 64, 2048) == pytest.approx(64 / (step + p.step_overhead_s))
    assert p.decode_kwargs() == {"mbu": p.mbu, "mfu": p.mfu}


def test_profile_cost_per_million_tokens_by_hand():
    p = C.DEFAULT_PROFILE
    t = V.predict_row("H100-SXM", "llama-3.1-70b", tp=2, weights="fp8", kv="fp8", input_len=1000,
                      output_len=1000, n_gpus=8, profile=p)
    usd = cl.profile_usd_per_million(2.5, "llama-3.1-70b", "H100-SXM", tp=2, weights="fp8", kv="fp8",
                                     input_len=1000, output_len=1000, n_gpus=8, profile=p)
    # 8 GPUs x $2.50/h over (tokens/s x 3,600 / 1e6) million tokens per hour
    assert usd["mid"] == pytest.approx(8 * 2.5 / (t.mid * 3600 / 1e6))
    assert usd["low"] == pytest.approx(8 * 2.5 / (t.high * 3600 / 1e6))
    assert usd["high"] == pytest.approx(8 * 2.5 / (t.low * 3600 / 1e6))
    assert usd["at_ceiling"] < usd["low"] < usd["mid"] < usd["high"]
    with pytest.raises(ValueError, match="usd_per_gpu_hour"):
        cl.profile_usd_per_million(-1, "llama-3.1-70b", "H100-SXM")


def test_calibrated_profile_changes_the_estimate():
    slow = synthetic(TRUE.with_(mfu=0.25))
    p = cl.calibrate(slow, start=C.START_PROFILE)
    assert p.mfu == pytest.approx(0.25, rel=0.01)
    kw = dict(weights="fp8", kv="fp8", input_len=128, output_len=128)  # compute-bound: MFU matters
    fast = V.predict_row("H100-SXM", "llama-3.1-8b", **kw, profile=TRUE).mid
    slow_mid = V.predict_row("H100-SXM", "llama-3.1-8b", **kw, profile=p).mid
    assert math.isfinite(fast) and slow_mid < 0.7 * fast


def test_dataframe_and_measurementset_inputs_agree():
    a = cl.calibrate(MEASURED.head(40), band=False)
    b = cl.calibrate(cl.read_measurements(MEASURED.head(40)), band=False)
    assert a == b
    assert isinstance(MS.to_frame(), pd.DataFrame) and len(MS.to_frame()) == 230

"""The economics layer on the one prediction path (issue #13, items 1, 2, 7 and 8).

Expected values are derived here by hand: $/M = $/hour / (tokens/s x 3,600) x 10^6 written out, a
context split into halves counted by hand, and invariants of the band (low <= mid <= high <= ceiling).
The one-engine checks compare against predict() and quote(), the functions the calculator and
validate use.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import costlib as cl
from costlib.economics.cost import decode_tokens_per_s_band, economics_profile, request_shape
from costlib.estimate.predict import batch_for_tpot, predict, predict_batches
from costlib.estimate.profiles import get_profile
from costlib.physics.engine import Efficiency

MODEL = "llama-3.1-70b"
H100 = "H100-SXM"


def by_hand_usd_per_million(usd_per_hour, tokens_per_s):
    return usd_per_hour / (tokens_per_s * 3600) * 1e6


@pytest.fixture(scope="module")
def table():
    return cl.compare_hardware(MODEL, "bf16").set_index("gpu")


@pytest.fixture(scope="module")
def smallest():
    return cl.compare_hardware(MODEL, "bf16", tp="smallest").set_index("gpu")


def test_a_context_is_split_into_prompt_and_output_halves():
    dep = cl.deployment(MODEL, H100, 4)
    assert request_shape(dep, 2048) == (1024, 1024)
    assert request_shape(dep, 2049) == (1025, 1024)
    assert request_shape(dep, 1) == (1, 1)
    assert request_shape(dep, input_len=300, output_len=7) == (300, 7)
    with pytest.raises(ValueError, match="output_len"):
        request_shape(dep, input_len=300)


def test_compare_hardware_prices_one_row_as_quote_does(table):
    r = table.loc[H100]
    q = cl.quote(MODEL, H100, int(r["tp"]), "bf16", "bf16", input_len=int(r["input_len"]),
                 output_len=int(r["output_len"]), tier="on_demand")
    assert q.ok and q.batch == r["batch"] and q.profile == r["profile"] == "calibrated"
    assert r["usd_per_million"] == pytest.approx(q.usd_per_million.mid, rel=1e-12)


def test_compare_hardware_dollars_per_million_by_hand(table):
    for gpu, r in table[table["usd_per_million"].notna()].iterrows():
        replica_tokens_per_s = r["tokens_per_s_per_gpu"] * r["tp"]
        want = by_hand_usd_per_million(r["usd_per_gpu_hour"] * r["tp"], replica_tokens_per_s)
        assert r["usd_per_million"] == pytest.approx(want, rel=1e-9), gpu
        # the cheapest $/M goes with the fastest estimate
        assert r["usd_per_million_low"] == pytest.approx(
            by_hand_usd_per_million(r["usd_per_gpu_hour"] * r["tp"], r["tokens_per_s_per_gpu_high"] * r["tp"]))


def test_compare_hardware_band_and_ceiling_are_ordered(table):
    ok = table[table["feasible"]]
    assert (ok["tokens_per_s_per_gpu_low"] <= ok["tokens_per_s_per_gpu"]).all()
    assert (ok["tokens_per_s_per_gpu"] <= ok["tokens_per_s_per_gpu_high"]).all()
    assert (ok["tokens_per_s_per_gpu_high"] <= ok["ceiling_tokens_per_s_per_gpu"]).all()
    priced = ok[ok["usd_per_million"].notna()]
    assert (priced["usd_per_million_low"] <= priced["usd_per_million"]).all()
    assert (priced["usd_per_million"] <= priced["usd_per_million_high"]).all()
    assert set(table["tp_rule"]) == {"cheapest"}


def test_cheapest_tp_is_never_dearer_than_the_smallest(table, smallest):
    both = table["usd_per_million"].notna()
    assert (table.loc[both, "usd_per_million"] <= smallest.loc[both, "usd_per_million"] * (1 + 1e-12)).all()
    assert (table["min_tp"] == smallest["min_tp"]).all()
    assert (smallest.loc[smallest["feasible"], "tp"] == smallest.loc[smallest["feasible"], "min_tp"]).all()
    # the fault: 141 GB of bf16 weights leave two H100s almost no KV cache
    assert smallest.loc[H100, "tp"] == 2 and table.loc[H100, "tp"] > 2
    assert table.loc[H100, "usd_per_million"] < smallest.loc[H100, "usd_per_million"] / 2


def test_no_batch_cap_tp8_keeps_the_batch_memory_allows():
    df = cl.compare_hardware(MODEL, "bf16", gpus=[H100], tp=8).set_index("gpu")
    e = predict(cl.deployment(MODEL, H100, 8, "bf16"), 1024, 1024)
    assert df.loc[H100, "batch"] == e.batch > 256  # the chapter's old cap was 256
    assert e.batch <= get_profile("calibrated").limits.max_batch


def test_profiles_are_selectable_and_named():
    cal = cl.compare_hardware(MODEL, "fp8", "fp8", gpus=[H100]).iloc[0]
    chap = cl.compare_hardware(MODEL, "fp8", "fp8", gpus=[H100], profile="chapter").iloc[0]
    ceil = cl.compare_hardware(MODEL, "fp8", "fp8", gpus=[H100], profile="ceiling").iloc[0]
    assert (cal["profile"], chap["profile"], ceil["profile"]) == ("calibrated", "chapter", "ceiling")
    # at the same TP the ceiling is at least the calibrated high
    same = cl.compare_hardware(MODEL, "fp8", "fp8", gpus=[H100], tp=int(cal["tp"]), profile="ceiling").iloc[0]
    assert same["tokens_per_s_per_gpu"] >= cal["tokens_per_s_per_gpu_high"]
    assert ceil["usd_per_million"] <= cal["usd_per_million_low"]


def test_mbu_and_mfu_map_to_a_chapter_profile():
    prof = economics_profile(mbu=0.7, mfu=0.4)
    # the chapter's profile at these two efficiencies: its all-reduce latency is kept
    assert (prof.mid.mbu, prof.mid.mfu) == (0.7, 0.4) and prof.low is None and prof.high is None
    assert prof.mid.allreduce_latency_s == get_profile("chapter").mid.allreduce_latency_s == 5e-6
    assert prof.limits == get_profile("chapter").limits and "0.7" in prof.name
    dep = cl.deployment(MODEL, H100, 4, "fp8")
    chapter = get_profile("chapter")
    custom = chapter.with_(mid=Efficiency(0.7, 0.4, allreduce_latency_s=chapter.mid.allreduce_latency_s),
                           low=None, high=None)
    with pytest.raises(ValueError, match="either profile or mbu/mfu"):
        economics_profile("ceiling", mbu=0.7)
    assert cl.decode_usd_per_million(dep, 2.0, 64, 2048, mbu=0.7, mfu=0.4) == pytest.approx(
        cl.decode_usd_per_million(dep, 2.0, 64, 2048, profile=custom), rel=1e-12)


def test_decode_usd_per_million_is_batch_over_tpot_of_predict():
    dep = cl.deployment(MODEL, H100, 4, "fp8", "fp8")
    e = predict(dep, 1024, 1024, batch=64)
    want = by_hand_usd_per_million(2.0 * 4, 64 / e.tpot_s.mid)
    assert cl.decode_usd_per_million(dep, 2.0, 64, 2048) == pytest.approx(want, rel=1e-12)
    assert cl.decode_usd_per_million(dep, 2.0, 64, 2048, point="low") == pytest.approx(
        by_hand_usd_per_million(8.0, 64 / e.tpot_s.low), rel=1e-12)
    arr = cl.decode_usd_per_million(dep, 2.0, np.array([1, 64, 10**6]), 2048, check_fit=False)
    assert arr[1] == pytest.approx(want) and math.isnan(arr[2]) and arr[0] > arr[1]
    band = decode_tokens_per_s_band(dep, 64, 2048)
    assert band.low <= band.mid <= band.high


def test_prefill_usd_per_million_counts_prompt_tokens():
    dep = cl.deployment(MODEL, H100, 4, "fp8")
    e = predict(dep, 1000, 1, batch=1)
    want = by_hand_usd_per_million(2.0 * 4, e.output_tokens_per_s.mid * 1000)
    assert cl.prefill_usd_per_million(dep, 2.0, 1000) == pytest.approx(want, rel=1e-12)


def test_workload_cost_splits_the_gpu_time_of_predict():
    dep = cl.deployment(MODEL, H100, 4, "fp8")
    e = predict(dep, 1000, 500, batch=32)
    w = cl.workload_cost(dep, 3.0, 1000, 500, 32)
    gpu_s = 4 * 500 / e.output_tokens_per_s.mid
    assert w.usd_per_request == pytest.approx(gpu_s * 3.0 / 3600, rel=1e-12)
    assert w.prefill_share == pytest.approx(e.prefill_share.mid, rel=1e-12)
    assert (w.batch, w.profile) == (32, "calibrated")


def test_sweep_rows_are_predict_rows_priced_by_hand():
    dep = cl.deployment(MODEL, H100, 2, "fp8")
    s = cl.sweep_batch(dep, 2.5, 2048)
    wall = predict(dep, 1024, 1024).batch
    assert s["batch"].iloc[-1] == wall and s["fits"].all() and set(s["profile"]) == {"calibrated"}
    for r in s.itertuples():
        e = predict(dep, 1024, 1024, batch=int(r.batch))
        assert r.tpot_s == e.tpot_s.mid and r.tokens_per_s == e.output_tokens_per_s.mid
        assert r.usd_per_million == pytest.approx(by_hand_usd_per_million(2.5 * 2, r.tokens_per_s), rel=1e-12)
        assert r.usd_per_million_low <= r.usd_per_million <= r.usd_per_million_high
        assert r.tpot_s_low <= r.tpot_s <= r.tpot_s_high
    beyond = cl.sweep_batch(dep, 2.5, 2048, batches=[1, 10**6])
    assert list(beyond["fits"]) == [True, False] and math.isnan(beyond["usd_per_million"].iloc[1])
    assert len(cl.pareto_frontier(s)) >= 1


def test_largest_batch_under_tpot_is_batch_for_tpot():
    dep = cl.deployment(MODEL, H100, 4, "fp8")
    for prof in ("calibrated", "chapter"):
        assert cl.largest_batch_under_tpot(dep, 0.05, 2048, profile=prof) == batch_for_tpot(
            dep, 1024, 1024, 0.05, prof)
    assert cl.largest_batch_under_tpot(dep, 1e-4, 2048) == 0


def test_bad_input_names_the_argument():
    with pytest.raises(ValueError, match="tp"):
        cl.compare_hardware(MODEL, tp="widest")
    with pytest.raises(ValueError, match="tp must split"):
        cl.compare_hardware(MODEL, tp=3)
    with pytest.raises(ValueError, match="profile"):
        cl.compare_hardware(MODEL, profile="calibrate")
    with pytest.raises(ValueError, match="context"):
        cl.sweep_batch(cl.deployment(MODEL, H100, 4), 2.0, context=0)


def test_calibrate_names_its_bad_parameters():
    from importlib import resources

    from costlib.evidence.calibrate import calibrate
    from costlib.evidence.measurements import read_measurements

    ms = read_measurements(str(resources.files("costlib.data").joinpath("measured.csv")))
    with pytest.raises(ValueError, match="^fit must be a list of fitted parameter names.*Valid: one or more of mbu"):
        calibrate(ms, fit=None)
    with pytest.raises(ValueError, match="^band must be"):
        calibrate(ms, band=np.array([1, 2]))


@pytest.mark.parametrize("profile", ["calibrated", "chapter", "ceiling"])
def test_predict_batches_is_predict_one_batch_at_a_time(profile):
    """The vectorised sweep and predict(batch=b) are one engine: same fit edge, same bands, row by row."""
    dep = cl.deployment("llama-3.1-70b", "H100-SXM", 2, "fp8", "fp8")
    batches = [1, 7, 64, 300, 301, 450, 2000]
    r = predict_batches(dep, 1000, 1000, batches, profile=profile)
    for k, b in enumerate(batches):
        e = cl.predict(dep, 1000, 1000, batch=b, profile=profile)
        assert bool(r["fits"][k]) == e.fits
        if not e.fits:
            assert np.isnan(r["tokens_per_s_mid"][k]) and np.isnan(r["tpot_s_mid"][k])
            continue
        for pt in ("low", "mid", "high"):
            assert r[f"tokens_per_s_{pt}"][k] == pytest.approx(getattr(e.output_tokens_per_s, pt), rel=1e-12)
            assert r[f"tpot_s_{pt}"][k] == pytest.approx(getattr(e.tpot_s, pt), rel=1e-12)
            assert r[f"ttft_s_{pt}"][k] == pytest.approx(getattr(e.ttft_s, pt), rel=1e-12)
        assert r["tokens_per_s_ceiling"][k] == pytest.approx(e.output_tokens_per_s.ceiling, rel=1e-12)
    assert r["fits"].any() and not r["fits"].all()  # the list straddles the memory edge


def test_fixed_batch_decode_sums_to_the_steps_at_the_mean_context():
    """O - 1 decode steps at contexts I+1 .. I+O-1 equal O - 1 steps at I + O/2 while no kernel changes regime."""
    from costlib.estimate.predict import fixed_batch_table
    from costlib.physics.engine import step_time_s
    from costlib.physics.replica import replica_spec

    dep = cl.deployment("llama-3.1-8b", "H100-SXM", 1, "bf16", "bf16")
    prof = cl.get_profile("calibrated")
    spec, i, o, b = replica_spec(dep), 512, 300, 32
    ctx = i + np.arange(1, o, dtype=float)
    one_by_one = float(np.sum(step_time_s(spec, prof.mid, b, b * ctx, b * ctx, b)))
    assert fixed_batch_table(spec, prof.mid, prof.limits, b, i, o)["tpot_s"] == pytest.approx(one_by_one / (o - 1),
                                                                                            rel=1e-9)

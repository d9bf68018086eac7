"""quote(): prices on the one engine, its refusals, and the app's widget without a browser (issues #6, #13).

The engine's throughput is tested by hand in tests/test_engine.py; here the expected prices are
written out from the engine's tokens/s (:func:`costlib.predict`), the catalog's published prices
(chapter §30.2 table) and the arithmetic of $/M, never by calling quote() itself.
"""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # this module only

import pytest  # noqa: E402

import costlib as cl  # noqa: E402
from costlib.economics import quote as calc  # noqa: E402
from costlib.ui import app  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

H100_ON_DEMAND = (3.00, 3.75, 4.50)  # $/GPU-hour, chapter §30.2 table: 3.00-4.50, mid 3.75
H100_RESERVED = (1.50, 1.75, 2.00)  # chapter §30.1: reserved 1.50-2.00
HOURS_PER_MONTH = 24 * 30
TOGETHER_OUT, DEEPINFRA_OUT = 0.88, 0.40  # $/M output, Together AI and DeepInfra pricing pages
DEP = ("llama-3.1-70b", "H100-SXM", 2, "fp8", "fp8")


def usd_per_m(usd_per_hour, tokens_per_s, utilization):
    return usd_per_hour / (tokens_per_s * utilization * 3600 / 1e6)


def close(a, b, rel=1e-9):
    return a == pytest.approx(b, rel=rel)


def engine(batch=None, i=1000, o=1000, n_gpus=None, profile="calibrated"):
    return cl.predict(cl.deployment(*DEP), i, o, batch=batch, n_gpus=n_gpus, profile=profile)


# ---------------------------------------------------------------- the quote

def test_impossible_deployment_is_refused_before_any_price():
    q = calc.quote("llama-3.1-70b", "H100-SXM", 1, "bf16", "bf16")
    assert q.status == "does not fit" and not q.ok and not q.fits
    assert q.message.startswith("does not fit") and "short by" in q.message and "try TP=2" in q.message
    assert q.usd_per_million is None and q.tokens_per_s is None and q.monthly_usd is None and q.apis == ()


def test_a_batch_too_large_for_the_kv_cache_does_not_fit():
    d = cl.deployment(*DEP)
    prof = cl.get_profile("calibrated")
    s = cl.replica_spec(d)
    from costlib.physics.engine import kv_capacity_tokens

    most = int(kv_capacity_tokens(s, prof.limits) // (32 * 64))  # 2,000 tokens reserve 32 blocks of 64
    assert calc.quote(*DEP, batch=most).ok
    q = calc.quote(*DEP, batch=most + 1)
    assert q.status == "does not fit" and f"a batch of {most + 1:,}" in q.message


@pytest.mark.parametrize("batch", [None, 64])
def test_prices_follow_from_the_engine_and_the_catalog(batch):
    u = 0.5
    q = calc.quote(*DEP, batch=batch, utilization=u)
    e = engine(batch)
    assert q.ok and q.batch == e.batch and q.gpus == 2
    assert q.tokens_per_s == e.output_tokens_per_s and q.tpot_s == e.tpot_s and q.ttft_s == e.ttft_s
    lo, mid, hi = H100_ON_DEMAND
    assert (q.usd_per_gpu_hour.low, q.usd_per_gpu_hour.mid, q.usd_per_gpu_hour.high) == (lo, mid, hi)
    t = e.output_tokens_per_s  # cheapest = lowest price with the fastest estimate; dearest the other way
    assert close(q.usd_per_million.low, usd_per_m(2 * lo, t.high, u))
    assert close(q.usd_per_million.mid, usd_per_m(2 * mid, t.mid, u))
    assert close(q.usd_per_million.high, usd_per_m(2 * hi, t.low, u))
    assert close(q.monthly_usd.mid, 5400.0)  # 2 GPUs x $3.75 x 720 h
    assert close(q.monthly_usd.low, 2 * 3.00 * 720) and close(q.monthly_usd.high, 2 * 4.50 * 720)
    assert close(q.tokens_per_month, t.mid * u * 3600 * HOURS_PER_MONTH)


def test_more_gpus_are_more_replicas_and_a_bigger_bill():
    one, four = calc.quote(*DEP), calc.quote(*DEP, n_gpus=8)
    assert close(four.tokens_per_s.mid, 4 * one.tokens_per_s.mid)
    assert close(four.monthly_usd.mid, 4 * one.monthly_usd.mid)
    assert close(four.usd_per_million.mid, one.usd_per_million.mid)


def test_profiles_change_speed_not_physics():
    cal, chap, ceil = (calc.quote(*DEP, profile=p) for p in ("calibrated", "chapter", "ceiling"))
    assert cal.tokens_per_s.ceiling == chap.tokens_per_s.ceiling == ceil.tokens_per_s.ceiling
    assert ceil.tokens_per_s.mid == ceil.tokens_per_s.ceiling
    assert cal.profile == "calibrated" and chap.profile == "chapter"


def test_utilization_divides_the_price_and_the_tier_sets_it():
    full = calc.quote(*DEP, batch=32, utilization=1.0)
    quarter = calc.quote(*DEP, batch=32, utilization=0.25)
    assert close(quarter.usd_per_million.mid, 4 * full.usd_per_million.mid)
    assert close(quarter.monthly_usd.mid, full.monthly_usd.mid)  # the bill does not shrink with idle time
    res = calc.quote(*DEP, batch=32, tier="reserved")
    assert (res.usd_per_gpu_hour.low, res.usd_per_gpu_hour.mid, res.usd_per_gpu_hour.high) == H100_RESERVED
    assert close(res.usd_per_million.mid / full.usd_per_million.mid, 1.75 / 3.75)
    own = calc.quote(*DEP, batch=32, usd_per_gpu_hour=2.0)
    assert own.usd_per_gpu_hour.low == own.usd_per_gpu_hour.high == 2.0


def test_quote_by_tpot_target_picks_the_largest_batch_that_meets_it():
    target = 0.030
    q = calc.quote(*DEP, tpot_target_s=target)
    assert q.ok and q.tpot_s.mid <= target and f"TPOT <= {target * 1e3:.1f} ms" in q.message
    above = engine(batch=q.batch + 1)
    assert not above.fits or above.tpot_s.mid > target


def test_a_tpot_target_no_batch_meets_is_said_plainly():
    q = calc.quote(*DEP, tpot_target_s=0.005)
    one_ms = engine(batch=1).tpot_s.mid * 1e3
    assert q.status == "misses target" and q.usd_per_million is None
    assert f"batch 1 already takes {one_ms:.1f} ms" in q.message


def test_api_comparison_uses_output_prices_same_model_first():
    u = 0.5
    q = calc.quote(*DEP, batch=64, utilization=u)
    tps = engine(batch=64).output_tokens_per_s.mid
    ours = usd_per_m(2 * 3.75, tps, u)
    by_id = {a.id: a for a in q.apis}
    t = by_id["together-llama-3.3-70b"]
    assert t.same_model and close(t.usd_per_million_output, TOGETHER_OUT)
    assert close(t.ratio, ours / TOGETHER_OUT)
    assert close(t.breakeven_utilization, 2 * 3.75 / (tps * 3600 / 1e6 * TOGETHER_OUT))
    assert by_id["deepinfra-llama-3.3-70b"].usd_per_million_output == DEEPINFRA_OUT
    same = [a.same_model for a in q.apis]
    assert same == sorted(same, reverse=True), "APIs serving the quoted model come first"
    assert not by_id["gpt-4o"].same_model and by_id["gpt-4o"].cheaper  # $10/M output


@pytest.mark.parametrize("kwargs, words", [
    (dict(batch=8, tpot_target_s=0.05), ["batch", "tpot_target_s"]),
    (dict(batch=8, utilization=0), ["utilization", "0"]),
    (dict(batch=8, utilization=1.5), ["utilization", "1.5"]),
    (dict(batch=0), ["batch", "0"]),
    (dict(batch=8, tier="reservd"), ["tier", "reservd", "Did you mean reserved"]),
    (dict(input_len=200_000), ["input_len", "200000"]),
    (dict(usd_per_gpu_hour=-1), ["usd_per_gpu_hour", "-1"]),
    (dict(tpot_target_s=-0.01), ["tpot_target_s", "-0.01"]),
    (dict(n_gpus=3), ["n_gpus", "multiple of tp"]),
    (dict(profile="fastest"), ["profile", "fastest"]),
])
def test_bad_input_names_the_parameter(kwargs, words):
    with pytest.raises(ValueError) as e:
        calc.quote(*DEP, **kwargs)
    for word in words:
        assert word in str(e.value)


def test_bad_deployment_and_missing_price_are_value_errors():
    with pytest.raises(ValueError, match="tp must divide"):
        calc.quote("llama-3.1-70b", "H100-SXM", 3, "fp8", batch=1)
    with pytest.raises(ValueError, match="Did you mean"):
        calc.quote("llama-3.1-70b", "H100SXM", 2, "fp8", batch=1)
    with pytest.raises(ValueError, match="usd_per_gpu_hour"):  # no owned-cost row for the A100
        calc.quote("llama-3.1-8b", "A100-SXM-80GB", 1, "bf16", batch=1, tier="owned")


def test_quote_and_range_are_frozen_and_ordered():
    q = calc.quote("llama-3.1-8b", "H100-SXM", 1, "bf16", batch=16)
    with pytest.raises(dataclasses.FrozenInstanceError):
        q.batch = 2
    for r in (q.tokens_per_s, q.tpot_s, q.ttft_s, q.usd_per_million, q.monthly_usd, q.usd_per_gpu_hour):
        assert r.low <= r.mid <= r.high
    with pytest.raises(ValueError, match="low <= mid <= high"):
        calc.Range(3.0, 2.0, 1.0)


# ---------------------------------------------------------------- the app's widget (no browser)

def _numbers(text: str, unit: str) -> float:
    m = re.search(r"([\d,]+(?:\.\d+)?) " + re.escape(unit), text)
    assert m, f"no '{unit}' in {text!r}"
    return float(m.group(1).replace(",", ""))


def test_app_widget_recomputes_on_every_control():
    ex = app.calculator_app()
    assert ex.ok and "fits:" in ex.message
    # it opens sizing by batch, so the batch slider is the one a learner can move (the page cannot
    # move a disabled slider: the browser test's nudge did nothing when this was wrong)
    assert ex.controls["mode"].value == app.BATCH
    assert not ex.controls["batch"].disabled and ex.controls["tpot_target_ms"].disabled
    d = cl.deployment("llama-3.1-70b", "H100-SXM", 2, "fp8", "bf16")
    mid = lambda b: cl.predict(d, 1000, 1000, batch=b).output_tokens_per_s.mid  # noqa: E731
    assert _numbers(ex.message, "tokens/s") == round(mid(64))
    ex.controls["batch"].value = 65
    assert _numbers(ex.message, "tokens/s") == round(mid(65))
    ex.controls["mode"].value = app.MEMORY
    assert ex.controls["batch"].disabled and "memory-limited batch" in ex.message
    ex.controls["mode"].value = app.BATCH
    ex.set(weights="bf16", tp=1)
    assert not ex.ok and ex.message.startswith("does not fit")
    assert "<table" not in ex.out.value  # no API table for a deployment that does not fit
    ex.set(weights="fp8", tp=2)
    assert ex.ok and "costlib-api-table" in ex.out.value
    ex.controls["mode"].value = app.TPOT
    assert ex.controls["batch"].disabled and not ex.controls["tpot_target_ms"].disabled
    assert "largest batch with TPOT" in ex.message
    ex.controls["tpot_target_ms"].value = 5
    assert not ex.ok and ex.message.startswith("misses target")


APP_MODELS = ("llama-3.1-8b", "mixtral-8x7b", "llama-3.1-405b")  # dense small, mixture of experts, too big for one GPU
APP_GPUS = ("H100-SXM", "A100-SXM-40GB", "B200")  # FP8 in hardware or not, 40 to 180 GB


def test_every_quote_the_app_can_ask_for_is_a_price_or_a_refusal():
    """What the app computes for each model x GPU x TP x price tier: a quote (with its text and table) or a
    ValueError, which the app shows as a message; any other exception would be an internal error."""
    seen = set()
    for model in APP_MODELS:
        for gpu in APP_GPUS:
            for tp in (1, 8):
                for tier in calc.price_tiers():
                    try:
                        q = calc.quote(model, gpu, tp, "fp8", batch=64, tier=tier)
                    except ValueError:
                        seen.add("refused")
                        continue
                    seen.add(q.status)
                    if q.ok:
                        assert app.quote_text(q) and "costlib-api-table" in app.quote_table_html(q)
    assert {"ok", "refused", "does not fit"} <= seen


@pytest.mark.parametrize("gpu", APP_GPUS)
def test_app_never_shows_an_internal_error(gpu):
    """The app on one GPU, drawn: every price tier for a model that fits (the price depends on GPU x tier),
    then every model at TP 1 and 8, which fit or not (the fit depends on model x GPU x TP)."""
    ex = app.calculator_app(model=APP_MODELS[0], gpu=gpu, weights="fp8", tp=1)
    assert ex.ok, ex.message  # Llama 3.1 8B in FP8 fits each of these GPUs: each tier below reaches the price
    for tier in calc.price_tiers():
        ex.set(tier=tier)
        assert "internal error" not in ex.message and "Traceback" not in ex.out.value
    for model in APP_MODELS:
        for tp in (1, 8):
            ex.set(model=model, tp=tp)
            assert "internal error" not in ex.message and "Traceback" not in ex.out.value


def test_app_notebook_calls_the_builder():
    import jupytext

    nb = jupytext.read(ROOT / "app" / "py" / "calculator.py")
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "calculator_app(" in code


# ---------------------------------------------------------------- bad input one layer down (issue #13, item 8)

def test_compare_hardware_says_the_batch_is_what_does_not_fit():
    df = cl.compare_hardware("llama-3.1-70b", batch=10**9)
    h100 = df.set_index("gpu").loc["H100-SXM"]
    assert not h100["feasible"] and "batch 1,000,000,000 does not fit" in h100["note"]
    assert "fits from TP=2" in h100["note"]  # 141 GB of bf16 weights need two 80 GB GPUs


def test_compare_hardware_names_the_precision_argument():
    with pytest.raises(ValueError, match=r"^kv: unknown precision 'fp88'\. Did you mean"):
        cl.compare_hardware("llama-3.1-70b", kv="fp88")
    with pytest.raises(ValueError, match=r"^weights: unknown precision"):
        cl.compare_hardware("llama-3.1-70b", weights="bf61")


@pytest.mark.parametrize("prices", [[-1.0, 1.0, 2.0], [float("nan"), 1.0, 2.0], [1.0, float("inf"), 2.0]])
def test_pareto_frontier_refuses_negative_or_missing_prices(prices):
    import pandas as pd

    with pytest.raises(ValueError, match="usd_per_million must be a number >= 0"):
        cl.pareto_frontier(pd.DataFrame({"tpot_s": [0.01, 0.02, 0.03], "usd_per_million": prices}))
    # a row marked as not fitting may carry no price: it is left out, not refused
    ok = pd.DataFrame({"tpot_s": [0.01, 0.02, 0.03], "usd_per_million": [3.0, 2.0, float("nan")],
                       "fits": [True, True, False]})
    assert list(cl.pareto_frontier(ok)["usd_per_million"]) == [3.0, 2.0]

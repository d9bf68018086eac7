"""costlib.economics.quote and costlib.ui.app: quote() against hand-derived numbers, its refusals, and the app's widget without a browser.

Expected values are written out below from the architecture (tests/reference.py), the H100 SXM
datasheet, the catalog's published prices and the chapter's MBU/MFU ranges, never by calling quote().
"""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # this module only

import pytest  # noqa: E402
from reference import KV70_BF16, N70  # noqa: E402

from costlib.economics import quote as calc  # noqa: E402
from costlib.ui import app  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

# ---------------------------------------------------------------- hand-derived facts

L, HID, H, HD = 80, 8192, 64, 128  # Llama 3.1 70B config.json
BW, BF16, FP8, LINK = 3.35e12, 989e12, 1979e12, 450e9  # H100 SXM datasheet (dense), NVLink per direction
USABLE = 0.95 * 80e9 - 1e9  # per H100: 95% of 80 GB minus a 1 GB reserve
REALISM = {"low": (0.60, 0.30), "mid": (0.725, 0.40), "high": (0.85, 0.50)}  # chapter §30.4 (MBU, MFU)
H100_ON_DEMAND = (3.00, 3.75, 4.50)  # $/GPU-hour, chapter §30.2 table: 3.00-4.50, mid 3.75
H100_RESERVED = (1.50, 1.75, 2.00)  # chapter §30.1: reserved 1.50-2.00
HOURS_PER_MONTH = 24 * 30
TOGETHER_OUT, DEEPINFRA_OUT = 0.88, 0.40  # $/M output, Together AI and DeepInfra pricing pages


def step_s(batch, context, tp, bytes_per_weight, peak, level="mid"):
    """One decode step: max(weights + KV bytes / bandwidth, FLOPs / peak) + 2 all-reduces per layer."""
    mbu, mfu = REALISM[level]
    mem = (N70 * bytes_per_weight + batch * context * KV70_BF16) / (tp * BW * mbu)
    comp = batch * (2 * N70 + 4 * L * context * H * HD) / (tp * peak * mfu)
    comm = 2 * L * (5e-6 + 2 * (tp - 1) / tp * batch * HID * 2 / LINK) if tp > 1 else 0.0
    return max(mem, comp) + comm


def usd_per_m(usd_per_hour, tokens_per_s, utilization):
    return usd_per_hour / (tokens_per_s * utilization * 3600 / 1e6)


def max_batch(tp, bytes_per_weight, context):
    return int((tp * USABLE - N70 * bytes_per_weight) // KV70_BF16) // context


def close(a, b, rel=1e-9):
    return a == pytest.approx(b, rel=rel)


# ---------------------------------------------------------------- the quote

def test_impossible_deployment_is_refused_before_any_price():
    q = calc.quote("llama-3.1-70b", "H100-SXM", 1, "bf16", batch=1)
    assert q.status == "does not fit" and not q.ok and not q.fits
    need, usable = N70 * 2 / 1e9, USABLE / 1e9  # 141.1 GB of bf16 weights, 75.0 GB usable
    assert q.message.startswith("does not fit")
    assert f"{need:.1f} GB" in q.message and f"{usable:.1f} GB" in q.message
    assert "try TP=2" in q.message
    assert q.usd_per_million is None and q.tokens_per_s is None and q.monthly_usd is None and q.apis == ()


def test_a_batch_too_large_for_the_kv_cache_does_not_fit():
    mb = max_batch(2, 1.0, 2048)
    assert calc.quote("llama-3.1-70b", "H100-SXM", 2, "fp8", batch=mb).ok
    q = calc.quote("llama-3.1-70b", "H100-SXM", 2, "fp8", batch=mb + 1)
    assert q.status == "does not fit"
    assert f"{mb + 1:,}x2,048 tokens" in q.message


def test_quote_by_batch_matches_the_hand_derived_numbers():
    b, c, u = 64, 2048, 0.5
    q = calc.quote("llama-3.1-70b", "H100-SXM", 2, "fp8", context=c, batch=b, utilization=u)
    assert q.ok and q.batch == b and q.gpus == 2
    tps = {lv: b / step_s(b, c, 2, 1.0, FP8, lv) for lv in REALISM}
    assert close(q.tokens_per_s.low, tps["low"]) and close(q.tokens_per_s.mid, tps["mid"])
    assert close(q.tokens_per_s.high, tps["high"])
    assert close(q.tpot_s.mid, step_s(b, c, 2, 1.0, FP8))
    assert close(q.tpot_s.low, step_s(b, c, 2, 1.0, FP8, "high"))
    lo, mid, hi = H100_ON_DEMAND
    assert (q.usd_per_gpu_hour.low, q.usd_per_gpu_hour.mid, q.usd_per_gpu_hour.high) == (lo, mid, hi)
    # cheapest = lowest price with the best realism; dearest = highest price with the worst
    assert close(q.usd_per_million.low, usd_per_m(2 * lo, tps["high"], u))
    assert close(q.usd_per_million.mid, usd_per_m(2 * mid, tps["mid"], u))
    assert close(q.usd_per_million.high, usd_per_m(2 * hi, tps["low"], u))
    assert close(q.monthly_usd.mid, 5400.0)  # 2 GPUs x $3.75 x 720 h
    assert close(q.monthly_usd.low, 2 * 3.00 * 720) and close(q.monthly_usd.high, 2 * 4.50 * 720)
    assert close(q.tokens_per_month, tps["mid"] * u * 3600 * HOURS_PER_MONTH)


def test_utilization_divides_the_price_and_the_tier_sets_it():
    full = calc.quote("llama-3.1-70b", "H100-SXM", 2, "fp8", batch=32, utilization=1.0)
    quarter = calc.quote("llama-3.1-70b", "H100-SXM", 2, "fp8", batch=32, utilization=0.25)
    assert close(quarter.usd_per_million.mid, 4 * full.usd_per_million.mid)
    assert close(quarter.monthly_usd.mid, full.monthly_usd.mid)  # the bill does not shrink with idle time
    res = calc.quote("llama-3.1-70b", "H100-SXM", 2, "fp8", batch=32, tier="reserved")
    assert (res.usd_per_gpu_hour.low, res.usd_per_gpu_hour.mid, res.usd_per_gpu_hour.high) == H100_RESERVED
    assert close(res.usd_per_million.mid / full.usd_per_million.mid, 1.75 / 3.75)
    own = calc.quote("llama-3.1-70b", "H100-SXM", 2, "fp8", batch=32, usd_per_gpu_hour=2.0)
    assert own.usd_per_gpu_hour.low == own.usd_per_gpu_hour.high == 2.0


def test_quote_by_tpot_target_picks_the_largest_batch_that_meets_it_and_fits():
    c, target = 2048, 0.030
    q = calc.quote("llama-3.1-70b", "H100-SXM", 2, "fp8", context=c, tpot_target_s=target)
    ok = [b for b in range(1, max_batch(2, 1.0, c) + 1) if step_s(b, c, 2, 1.0, FP8) <= target]
    assert ok, "the hand model says some batch meets 30 ms"
    assert q.ok and q.batch == max(ok)
    assert q.tpot_s.mid <= target
    assert f"TPOT <= {target * 1e3:.1f} ms" in q.message


def test_a_tpot_target_no_batch_meets_is_said_plainly():
    q = calc.quote("llama-3.1-70b", "H100-SXM", 2, "fp8", tpot_target_s=0.005)
    one_ms = step_s(1, 2048, 2, 1.0, FP8) * 1e3
    assert q.status == "misses target" and q.usd_per_million is None
    assert f"batch 1 already takes {one_ms:.1f} ms" in q.message


def test_api_comparison_uses_output_prices_same_model_first():
    b, u = 64, 0.5
    q = calc.quote("llama-3.1-70b", "H100-SXM", 2, "fp8", batch=b, utilization=u)
    tps = b / step_s(b, 2048, 2, 1.0, FP8)
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
    assert not t.cheaper  # at 50% utilization the replica costs more than Together's $0.88


@pytest.mark.parametrize("kwargs, words", [
    (dict(batch=8, tpot_target_s=0.05), ["batch", "tpot_target_s"]),
    (dict(), ["batch", "tpot_target_s"]),
    (dict(batch=8, utilization=0), ["utilization", "0"]),
    (dict(batch=8, utilization=1.5), ["utilization", "1.5"]),
    (dict(batch=0), ["batch", "0"]),
    (dict(batch=8, tier="reservd"), ["tier", "reservd", "Did you mean reserved"]),
    (dict(batch=8, context=200_000), ["context", "200000"]),
    (dict(batch=8, tpot_target_s=None, usd_per_gpu_hour=-1), ["usd_per_gpu_hour", "-1"]),
    (dict(tpot_target_s=-0.01), ["tpot_target_s", "-0.01"]),
])
def test_bad_input_names_the_parameter(kwargs, words):
    with pytest.raises(ValueError) as e:
        calc.quote("llama-3.1-70b", "H100-SXM", 2, "fp8", **kwargs)
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
    for r in (q.tokens_per_s, q.tpot_s, q.usd_per_million, q.monthly_usd, q.usd_per_gpu_hour):
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
    b = 64
    assert _numbers(ex.message, "tokens/s") == round(b / step_s(b, 2048, 2, 1.0, FP8))
    ex.controls["batch"].value = 65
    assert _numbers(ex.message, "tokens/s") == round(65 / step_s(65, 2048, 2, 1.0, FP8))
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


@pytest.mark.parametrize("model", ["llama-3.1-8b", "mixtral-8x7b", "llama-3.1-405b"])
@pytest.mark.parametrize("gpu", ["H100-SXM", "A100-SXM-40GB", "B200"])
def test_app_never_shows_an_internal_error(model, gpu):
    ex = app.calculator_app(model=model, gpu=gpu, weights="fp8", tp=1)
    for tier in calc.price_tiers():
        for tp in (1, 8):
            ex.set(tier=tier, tp=tp)
            assert "internal error" not in ex.message and "Traceback" not in ex.out.value


def test_app_notebook_calls_the_builder():
    import jupytext

    nb = jupytext.read(ROOT / "app" / "calculator.py")
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "calculator_app(" in code

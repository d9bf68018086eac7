"""Chapter verdicts on the one engine (#13 item 6): no verdict contradicts the calibrated band.

The bands here are asked of ``quote`` directly (the engine the calculator and notebook 11 use), not
read back from the claims table; the chapter's figures are its own (§30.5, §30.8, §30.11).
"""
from __future__ import annotations

import math

import pytest

from costlib.economics.quote import quote
from costlib.teaching import chapter as ch

MODEL, H100 = "llama-3.1-70b", "H100-SXM"
# one 2,048-token sequence per request: half prompt, half output (the claims' workload)
IN, OUT = 1024, 1024

# every claim the chapter states as a throughput or a $/M of a deployment, or a ratio of them
BAND_CLAIMS = {
    "s30_5_int4_speedup", "s30_5_fp8_speedup", "s30_5_tp2_cost_same_batch", "s30_5_tp2_cost_max_batch",
    "s30_5_table_fp8_h100", "s30_5_table_int4_h100", "s30_5_table_fp8_h200", "s30_5_table_int4_h200",
    "s30_8_a100_usd_per_million", "s30_8_h100_usd_per_million", "s30_8_h200_usd_per_million",
    "s30_8_b200_usd_per_million", "s30_8_b200_vs_h100_per_token", "s30_9_small_model_cost_ratio",
    "s30_11_quantization_cut",
}


@pytest.fixture(scope="module")
def table():
    return ch.claims()


def row(table, id_):
    return table[table["id"] == id_].iloc[0]


def test_judge_band_by_hand():
    assert ch.judge_band(0.45, 0.45, 0.43, 0.66) == "correct"  # inside
    assert ch.judge_band(2.0, 4.0, 1.5, 2.1) == "correct"  # overlapping ranges
    assert ch.judge_band(0.48, 0.48, 0.50, 0.70) == "rounded"  # 4% under the low end
    assert ch.judge_band(0.20, 0.20, 0.33, 0.51) == "wrong"  # 39% under
    assert ch.judge_band(1.0, 1.0, 0.28, 0.28) == "wrong"
    with pytest.raises(ValueError, match="low <= high"):
        ch.judge_band(2.0, 1.0, 0.0, 3.0)


def test_every_throughput_or_dollar_claim_is_judged_on_the_band(table):
    judged = set(table.loc[table["band_low"].notna(), "id"])
    assert BAND_CLAIMS <= judged, sorted(BAND_CLAIMS - judged)
    for id_ in judged:
        r = row(table, id_)
        assert r["rule"].startswith("calibrated band") or r["verdict"] == "physically impossible" \
            or r["rule"].startswith("override"), id_
        assert r["band_low"] <= r["recomputed_value"] * (1 + 1e-12), id_
        assert r["recomputed_value"] <= r["band_high"] * (1 + 1e-12), id_
        assert r["condition"], id_


def test_no_verdict_contradicts_the_calibrated_band(table):
    """A chapter figure inside the band (for the reading the verdict names) is never 'wrong'."""
    checked = 0
    for _, r in table[table["band_low"].notna()].iterrows():
        inside = r["chapter_high"] >= r["band_low"] and r["chapter_low"] <= r["band_high"]
        if inside:
            checked += 1
            assert r["verdict"] != "wrong", (r["id"], r["condition"], r["why"])
    assert checked >= 3  # at least the H100 and B200 $/M and the INT4 speed-up


def _band(gpu, tp, weights, kv, usd_per_gpu_hour):
    q = quote(MODEL, gpu, tp, weights, kv, input_len=IN, output_len=OUT, usd_per_gpu_hour=usd_per_gpu_hour)
    assert q.ok, q.message
    return q.usd_per_million


@pytest.mark.parametrize("gpu, tp, key", [(H100, 4, "h100"), ("B200", 2, "b200")])
def test_s30_8_dollar_column_inside_the_band_is_not_wrong(table, gpu, tp, key):
    # §30.8's table: $2.00/h H100 -> $0.50/M, $5.00/h B200 -> $0.45/M (bf16 70B, decode-heavy)
    price = {H100: 2.00, "B200": 5.00}[gpu]
    chapter = {H100: 0.50, "B200": 0.45}[gpu]
    band = _band(gpu, tp, "bf16", "bf16", price)
    assert band.low <= chapter <= band.high  # the point: the calibrated band holds them
    r = row(table, f"s30_8_{key}_usd_per_million")
    assert r["chapter_value"] == chapter
    assert r["verdict"] != "wrong"


def test_fp8_speedup_names_the_kv_cache(table):
    # §30.5: "FP8 roughly doubles throughput". bf16 needs TP=4 for a large batch; FP8 fits TP=2
    bf16 = _band(H100, 4, "bf16", "bf16", 2.0).mid
    fp8_bf16kv = _band(H100, 2, "fp8", "bf16", 2.0).mid
    fp8_fp8kv = _band(H100, 2, "fp8", "fp8", 2.0).mid
    assert bf16 / fp8_bf16kv < 1.8 < 1.9 < bf16 / fp8_fp8kv  # the KV cache decides it
    r = row(table, "s30_5_fp8_speedup")
    assert r["condition"] == "an FP8 KV cache"
    assert r["verdict"] in ("correct", "rounded")
    assert "Wrong with a bf16 KV cache" in r["why"]
    assert "with an FP8 KV cache" in r["why"]


def test_fp8_h200_twenty_cents_is_at_the_ceiling_not_in_the_band(table):
    # §30.5's table: 70B FP8 on one H200 at 80% utilization, $0.20/M; §30.8 prices the H200 at $3.00/h
    q = quote(MODEL, "H200-SXM", 1, "fp8", "bf16", input_len=IN, output_len=OUT, usd_per_gpu_hour=3.0,
              utilization=0.8)
    ceiling = 3.0 / (q.tokens_per_s.ceiling * 0.8 * 3600 / 1e6)
    assert 0.20 < q.usd_per_million.low
    r = row(table, "s30_5_table_fp8_h200")
    assert r["verdict"] == "wrong"
    assert math.isclose(r["band_low"], q.usd_per_million.low, rel_tol=1e-9)
    assert f"${ceiling:.3f}/M" in r["why"]

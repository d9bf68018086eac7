"""The chapter-claims table (costlib/teaching/chapter/ and costlib/data/chapter_*.yaml): coverage, verdicts and numbers checked by hand.

Every expected value here is written out from first principles (published model configs and
datasheets, the chapter's own inputs) and never read back from ``claims()``.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from costlib.teaching import chapter as ch

CHAPTER_TXT = Path("/work/shared/chapter/chapter.txt")

# Llama 3.1 70B, from meta-llama/Llama-3.1-70B config.json: 80 layers, hidden 8192, 64 query heads,
# 8 KV heads of 128 dims, gated MLP of 28672, vocabulary 128256, untied embeddings.
L, D, H, KVH, HD, FFN, VOCAB = 80, 8192, 64, 8, 128, 28672, 128_256
PARAMS_70B = (2 * VOCAB * D + D
              + L * (D * H * HD + 2 * D * KVH * HD + H * HD * D + 3 * D * FFN + 2 * D))
KV_BYTES_PER_TOKEN_BF16 = 2 * L * KVH * HD * 2  # K and V, every layer, 2 bytes
H100_BYTES, H200_BYTES = 80 * 2**30, 141 * 2**30  # NVIDIA datasheets: 80 GB, 141 GB, binary (GiB)
# the output head and the input table, each VOCAB x D: quantized checkpoints keep both in 16 bits
TABLES_70B = 2 * VOCAB * D
H100_TB_S, H200_TB_S, B200_TB_S = 3.35, 4.8, 8.0  # NVIDIA datasheets


def usable(hbm_bytes: float) -> float:
    """costlib's documented default: 95% of HBM (its GB read as GiB) minus 1 GB per GPU."""
    return hbm_bytes * 0.95 - 1e9


REQUIRED_IDS = {
    "s30_1_tokens_per_hour", "s30_1_usd_per_million", "s30_1_70b_one_h100",
    "s30_1_cheaper_than_gpt4o", "s30_1_cheaper_than_sonnet",
    "s30_3_weights_gb", "s30_3_h100_tb_per_s", "s30_3_tokens_per_s_per_sequence",
    "s30_3_decode_batch_256", "s30_3_prefill_tokens_per_s", "s30_3_practical_prefill_tokens_per_s",
    "s30_4_realistic_tokens_per_s",
    "s30_5_usd_per_million", "s30_5_half_utilization", "s30_5_tp2_cost_same_batch",
    "s30_5_tp2_cost_max_batch", "s30_5_fp8_speedup", "s30_5_int4_speedup",
    "s30_5_table_bf16_h100_low_util", "s30_5_table_bf16_h100_high_util", "s30_5_table_fp8_h100",
    "s30_5_table_int4_h100", "s30_5_table_fp8_h200", "s30_5_table_int4_h200",
    "s30_6_prefill_tokens_per_hour", "s30_6_prefill_usd_per_million",
    "s30_6_decode_tokens_per_hour", "s30_6_decode_usd_per_million", "s30_6_decode_batch_128",
    "s30_6_input_discount_from_math",
    "s30_7_monthly_floor", "s30_7_crossover", "s30_7_api_cheaper_below",
    "s30_8_a100_usd_per_hour", "s30_8_a100_usd_per_million", "s30_8_h100_usd_per_million",
    "s30_8_h200_usd_per_million", "s30_8_b200_usd_per_million", "s30_8_h100_tb_per_s",
    "s30_8_h200_extra_bandwidth", "s30_8_b200_bandwidth_ratio", "s30_8_b200_cost_ratio",
    "s30_8_bf16_fits_one_h200", "s30_8_fp8_weights_gb", "s30_8_fp8_fits_one_h100",
    "s30_10_tokens_per_day", "s30_10_avg_tokens_per_s", "s30_10_peak_tokens_per_s",
    "s30_10_gpus", "s30_10_monthly_usd", "s30_10_usd_per_million", "s30_10_vs_api",
    "s30_11_cheaper_than_api", "s30_11_crossover", "s30_11_quantization_cut",
}


@pytest.fixture(scope="module")
def table():
    return ch.claims()


def row(table, id_):
    hit = table[table["id"] == id_]
    assert len(hit) == 1, f"claim {id_} missing or duplicated"
    return hit.iloc[0]


# ---------------------------------------------------------------- shape of the table

def test_table_has_columns_and_every_required_claim(table):
    for col in ("id", "section", "claim", "chapter_value", "unit", "recomputed_value", "verdict",
                "why"):
        assert col in table.columns
    assert len(table) >= 30
    assert table["id"].is_unique
    missing = REQUIRED_IDS - set(table["id"])
    assert not missing, f"claims missing from the table: {sorted(missing)}"


def test_every_section_of_the_chapter_has_claims(table):
    sections = set(table["section"])
    missing = [f"§30.{n}" for n in range(1, 12) if f"§30.{n}" not in sections]
    assert not missing


def test_verdicts_are_from_the_allowed_set_and_numbers_are_finite(table):
    allowed = {"correct", "rounded", "inconsistent", "wrong", "physically impossible"}
    assert set(table["verdict"]) <= allowed
    for col in ("chapter_value", "recomputed_value"):
        bad = table[~table[col].map(lambda x: isinstance(x, float) and math.isfinite(x))]
        assert bad.empty, f"non-finite {col} in {list(bad['id'])}"
    assert (table["why"].str.len() > 20).all()
    assert (table["claim"].str.len() > 5).all()
    for col in ("claim", "why"):  # an f-string prefix forgotten on a continuation line
        leaked = table[table[col].str.contains(r"[{}]")]
        assert leaked.empty, f"unformatted placeholders in {col}: {list(leaked['id'])}"


def test_every_verdict_occurs(table):
    # the chapter has figures of every kind; a table that judged everything "correct" is broken
    counts = table["verdict"].value_counts()
    for v in ("correct", "rounded", "inconsistent", "wrong", "physically impossible"):
        assert counts.get(v, 0) >= 1, v


def test_impossible_rows_explain_memory(table):
    for _, r in table[table["verdict"] == "physically impossible"].iterrows():
        assert "GB" in r["why"], r["id"]


# ---------------------------------------------------------------- the verdict rules themselves

def test_judge_value_tolerances():
    assert ch.judge_value(100, 101.5) == "correct"  # 1.5%
    assert ch.judge_value(100, 95) == "rounded"  # 5.3%
    assert ch.judge_value(100, 80) == "wrong"  # 25%
    assert ch.judge_value(10.2e12, 1.017e7) == "wrong"


def test_judge_range():
    assert ch.judge_range(10, 20, 12) == "correct"
    assert ch.judge_range(0.30, 0.80, 0.85) == "rounded"  # 0.05 / 0.85 = 5.9% past the top
    assert ch.judge_range(2, 4, 1.47) == "wrong"
    with pytest.raises(ValueError, match="low"):
        ch.judge_range(5, 1, 3)


# ---------------------------------------------------------------- §30.1

def test_s30_1_unit_arithmetic(table):
    r = row(table, "s30_1_usd_per_million")
    assert r["recomputed_value"] == pytest.approx(3.0 / (1000 * 3600 / 1e6))
    assert r["verdict"] == "correct"
    r = row(table, "s30_1_cheaper_than_gpt4o")
    assert r["recomputed_value"] == pytest.approx(10.0 / (3.0 / 3.6))  # 12x, inside 10-20x
    assert r["verdict"] == "correct"
    assert row(table, "s30_1_cheaper_than_sonnet")["recomputed_value"] == pytest.approx(18.0)


def test_s30_1_price_ranges_clash_with_the_s30_2_table(table):
    # §30.2's table: H100 on demand $3.00-4.50; §30.1 says $2.5-4
    for id_, table_value in (("s30_1_h100_on_demand_low", 3.00),
                             ("s30_1_h100_on_demand_high", 4.50)):
        r = row(table, id_)
        assert r["recomputed_value"] == pytest.approx(table_value)
        assert r["verdict"] == "inconsistent"
        assert r["rule"].startswith("override")


def test_inconsistent_rows_say_how_they_were_judged(table):
    for _, r in table[table["verdict"] == "inconsistent"].iterrows():
        assert r["rule"].startswith(("override", "price basis")), r["id"]


def test_s30_1_70b_bf16_does_not_fit_one_h100(table):
    weights = 2 * PARAMS_70B
    assert weights == pytest.approx(141.107e9, rel=1e-4)
    assert weights > usable(H100_BYTES)  # 141.1 GB vs 80.6 GB
    assert weights + KV_BYTES_PER_TOKEN_BF16 * 2048 <= 2 * usable(H100_BYTES)  # TP=2 holds it
    r = row(table, "s30_1_70b_one_h100")
    assert r["verdict"] == "physically impossible"
    assert r["recomputed_value"] == 2
    short = (weights + 2048 * KV_BYTES_PER_TOKEN_BF16 - usable(H100_BYTES)) / 1e9
    assert f"{short:.1f} GB" in r["why"]  # 61.2 GB


# ---------------------------------------------------------------- §30.3 / §30.4

def test_s30_3_chapter_formulas(table):
    assert row(table, "s30_3_tokens_per_s_per_sequence")["recomputed_value"] == \
        pytest.approx(3000 / 140)
    assert row(table, "s30_3_prefill_tokens_per_s")["recomputed_value"] == \
        pytest.approx(989e12 / (2 * 70e9))
    assert row(table, "s30_3_practical_prefill_tokens_per_s")["recomputed_value"] == \
        pytest.approx(0.35 * 989e12 / (2 * 70e9))
    assert row(table, "s30_3_weights_gb")["recomputed_value"] == pytest.approx(2 * PARAMS_70B / 1e9)


def test_s30_3_bandwidth_is_inconsistent_with_concept_check(table):
    r = row(table, "s30_3_h100_tb_per_s")
    assert r["recomputed_value"] == pytest.approx(H100_TB_S)
    assert r["verdict"] == "inconsistent"


def test_s30_3_batch_256_is_impossible(table):
    kv = 256 * 2048 * KV_BYTES_PER_TOKEN_BF16
    assert kv == pytest.approx(171.8e9, rel=1e-3)
    assert kv > usable(H100_BYTES)  # the KV cache alone does not fit
    r = row(table, "s30_3_decode_batch_256")
    assert r["verdict"] == "physically impossible"
    assert r["recomputed_value"] == pytest.approx(3000 / 140 * 256)  # the arithmetic is fine
    assert "171.8 GB" in r["why"]


def test_s30_3_prefill_intensity_is_about_the_prompt_length(table):
    # the body's matmuls for n tokens, one row of the output head, causal attention over n (n + 1) / 2
    # pairs; over the weights a step reads (body + head, not the input table) + the prompt's KV written
    n = 1000
    head = VOCAB * D
    flops = 2 * (PARAMS_70B - 2 * head) * n + 2 * head + 4 * L * H * HD * n * (n + 1) / 2
    bytes_ = 2 * (PARAMS_70B - head) + n * KV_BYTES_PER_TOKEN_BF16
    r = row(table, "s30_3_prefill_intensity")
    assert r["recomputed_value"] == pytest.approx(flops / bytes_)
    assert r["verdict"] == "wrong"


def test_s30_4_realistic_rate_on_one_h100_is_impossible(table):
    assert row(table, "s30_4_realistic_tokens_per_s")["verdict"] == "physically impossible"


# ---------------------------------------------------------------- §30.5

def test_s30_5_tp2_vs_tp1_fp8(table):
    # FP8 weights (1 byte/param, the two vocabulary tables at 2) with a bf16 KV cache: TP=2 has the
    # memory of two H100s for one copy of the weights, so its KV room is (2 x usable - w) vs (usable - w)
    w = PARAMS_70B - TABLES_70B + 2 * TABLES_70B
    room1, room2 = usable(H100_BYTES) - w, 2 * usable(H100_BYTES) - w
    assert room2 / room1 > 10  # about 8 GB vs 88 GB
    # at each one's largest batch the wider replica is far cheaper per token: "similar" is wrong
    r = row(table, "s30_5_tp2_cost_max_batch")
    assert r["recomputed_value"] < 0.5
    assert r["verdict"] == "wrong"
    # at the same batch the bytes per step are the same over twice the bandwidth: at the physics
    # ceiling the cost per token is unchanged; the engine's per-step overheads and all-reduces
    # (which two GPUs do not halve) make TP=2 dearer, and the verdict follows the engine's number
    r = row(table, "s30_5_tp2_cost_same_batch")
    assert r["recomputed_value"] > 1.0
    assert "ceiling" in r["why"]
    assert r["verdict"] == ch.judge_value(1.0, r["recomputed_value"])


def test_s30_5_cost_table_feasibility(table):
    for id_ in ("s30_5_table_bf16_h100_low_util", "s30_5_table_bf16_h100_high_util"):
        assert row(table, id_)["verdict"] == "physically impossible"
    # FP8 fits one H100 (70.6 GB of 75 GB) and INT4 fits with room to spare
    assert PARAMS_70B * 1 < usable(H100_BYTES)
    for id_ in ("s30_5_table_fp8_h100", "s30_5_table_int4_h100", "s30_5_table_fp8_h200",
                "s30_5_table_int4_h200"):
        r = row(table, id_)
        assert r["verdict"] != "physically impossible", id_
        assert r["recomputed_value"] > r["chapter_value"], id_  # the chapter is optimistic


def test_s30_5_high_batch_cost(table):
    r = row(table, "s30_5_high_batch_usd_per_million")
    assert r["recomputed_value"] == pytest.approx(2.0 / (1750 * 3600 / 1e6))
    assert r["verdict"] == "rounded"


# ---------------------------------------------------------------- §30.6

def test_s30_6_prefill_tokens_per_hour_is_millions_not_trillions(table):
    per_hour = 989e12 * 3600 * 0.4 / (2 * 70e9)
    assert per_hour == pytest.approx(1.0173e7, rel=1e-4)
    r = row(table, "s30_6_prefill_tokens_per_hour")
    assert r["recomputed_value"] == pytest.approx(per_hour)
    assert r["verdict"] == "wrong"
    r = row(table, "s30_6_prefill_usd_per_million")
    assert r["recomputed_value"] == pytest.approx(2.0 / (per_hour / 1e6))
    assert r["verdict"] == "correct"


def test_s30_6_decode_figures(table):
    per_hour = 3e12 * 3600 * 0.7 * 128 / 140e9
    assert per_hour == pytest.approx(6.912e6)  # the chapter's "6.9M tokens per hour" holds
    r = row(table, "s30_6_decode_tokens_per_hour")
    assert r["recomputed_value"] == pytest.approx(per_hour)
    assert r["verdict"] == "correct"
    assert row(table, "s30_6_decode_usd_per_million")["recomputed_value"] == \
        pytest.approx(2.0 / (per_hour / 1e6))


def test_s30_6_batch_128_and_input_discount(table):
    kv = 128 * 2048 * KV_BYTES_PER_TOKEN_BF16  # 85.9 GB
    assert kv > usable(H100_BYTES)
    r = row(table, "s30_6_decode_batch_128")
    assert r["verdict"] == "physically impossible"
    assert r["recomputed_value"] == 0
    decode = 2.0 / (3e12 * 3600 * 0.7 * 128 / 140e9 / 1e6)
    prefill = 2.0 / (989e12 * 3600 * 0.4 / (2 * 70e9) / 1e6)
    r = row(table, "s30_6_input_discount_from_math")
    assert r["recomputed_value"] == pytest.approx(decode / prefill)  # ~1.47x, not 2-4x
    assert r["verdict"] in ("inconsistent", "wrong")


# ---------------------------------------------------------------- §30.7

def test_s30_7_crossover(table):
    floor = 2.0 * 24 * 30
    assert row(table, "s30_7_monthly_floor")["recomputed_value"] == pytest.approx(floor)
    cross = floor / 0.88 * 1e6  # tokens/month where the API bill reaches the GPU bill
    assert cross > 500e6
    r = row(table, "s30_7_crossover")
    assert r["recomputed_value"] == pytest.approx(cross)
    assert r["verdict"] in ("inconsistent", "wrong")
    assert row(table, "s30_11_crossover")["verdict"] in ("inconsistent", "wrong")
    assert row(table, "s30_7_api_cheaper_below")["verdict"] == "correct"  # 50M << 1.64B


# ---------------------------------------------------------------- §30.8

def test_s30_8_bandwidth_ratios(table):
    r = row(table, "s30_8_h200_extra_bandwidth")
    assert r["recomputed_value"] == pytest.approx(H200_TB_S / H100_TB_S - 1)  # 43%, not 60%
    assert r["verdict"] == "wrong"
    r = row(table, "s30_8_b200_bandwidth_ratio")
    assert r["recomputed_value"] == pytest.approx(B200_TB_S / H100_TB_S)
    assert r["verdict"] == "wrong"
    r = row(table, "s30_8_b200_cost_ratio")
    assert r["recomputed_value"] == pytest.approx(5.0 / 2.0)
    assert r["verdict"] == "correct"


def test_s30_8_mixed_price_basis(table):
    r = row(table, "s30_8_a100_usd_per_hour")
    assert r["recomputed_value"] == pytest.approx(2.50 / 2)  # reserved = half of on-demand
    assert r["verdict"] == "inconsistent"
    assert row(table, "s30_8_h100_usd_per_hour")["verdict"] == "correct"  # 2.00 in 1.50-2.25


def test_s30_8_memory_claims(table):
    r = row(table, "s30_8_fp8_weights_gb")
    assert r["recomputed_value"] == pytest.approx(PARAMS_70B / 1e9)
    assert r["verdict"] == "wrong"
    assert row(table, "s30_8_fp8_fits_one_h100")["verdict"] == "correct"
    # bf16 70B on one H200 with the 141 GB (GiB) datasheet capacity and costlib's default headroom
    r = row(table, "s30_8_bf16_fits_one_h200")
    fits = 2 * PARAMS_70B + 2048 * KV_BYTES_PER_TOKEN_BF16 <= usable(H200_BYTES)
    assert fits  # 141.8 GB in 142.8 GB usable
    assert r["verdict"] == "correct"
    assert r["recomputed_value"] == 1


def test_s30_8_dollar_rows_are_positive_and_judged(table):
    for gpu in ("a100", "h100", "h200", "b200"):
        r = row(table, f"s30_8_{gpu}_usd_per_million")
        assert 0 < r["recomputed_value"] < 10
        assert r["verdict"] in ("correct", "rounded", "wrong")


# ---------------------------------------------------------------- §30.10

def test_s30_10_rubric(table):
    per_day = 1e6 * 10 * 500
    avg = per_day / 86_400
    peak = 3 * avg
    gpus = math.ceil(peak / 1000 * 1.3)
    monthly = gpus * 2.0 * 24 * 30
    per_m = monthly / (per_day * 30 / 1e6)
    assert gpus == 226
    assert row(table, "s30_10_tokens_per_day")["recomputed_value"] == pytest.approx(per_day)
    assert row(table, "s30_10_avg_tokens_per_s")["recomputed_value"] == pytest.approx(avg)
    assert row(table, "s30_10_peak_tokens_per_s")["recomputed_value"] == pytest.approx(peak)
    assert row(table, "s30_10_gpus")["recomputed_value"] == gpus
    assert row(table, "s30_10_monthly_usd")["recomputed_value"] == pytest.approx(monthly)
    r = row(table, "s30_10_usd_per_million")
    assert r["recomputed_value"] == pytest.approx(per_m)
    assert r["verdict"] in ("correct", "rounded")
    r = row(table, "s30_10_vs_api")
    assert r["recomputed_value"] == pytest.approx(per_m / 0.88)  # > 1: dearer than the API
    assert r["verdict"] == "inconsistent"


# ---------------------------------------------------------------- access helpers and inputs

def test_claim_lookup_and_errors():
    d = ch.claim("s30_6_prefill_tokens_per_hour")
    assert d["id"] == "s30_6_prefill_tokens_per_hour" and d["section"] == "§30.6"
    with pytest.raises(ValueError, match="s30_6_prefill_tokens_per_hour"):
        ch.claim("s30_6_prefil_tokens_per_hour")
    with pytest.raises(ValueError, match="claim id"):
        ch.claim(None)


def test_claims_section_filter():
    sub = ch.claims("30.7")
    assert set(sub["section"]) == {"§30.7"} and len(sub) >= 3
    assert set(ch.claims("§30.7")["id"]) == set(sub["id"])
    with pytest.raises(ValueError, match="section"):
        ch.claims("30.12")


def test_markdown_has_one_line_per_claim(table):
    md = ch.claims_markdown(why=False)
    lines = md.splitlines()
    assert len(lines) == len(table) + 2
    assert lines[0].startswith("| id |")
    assert "`s30_8_bf16_fits_one_h200`" in md
    only = ch.claims_markdown(verdicts="physically impossible")
    n_impossible = (table["verdict"] == "physically impossible").sum()
    assert only.count("**physically impossible**") == n_impossible
    with pytest.raises(ValueError, match="verdicts"):
        ch.claims_markdown(verdicts="maybe")


def test_inputs_are_read_only_and_named():
    assert ch.S30_6.mfu == 0.4 and ch.S30_6["batch"] == 128
    assert dict(ch.S30_7)["api_usd_per_million"] == 0.88
    with pytest.raises(AttributeError):
        ch.S30_6.mfu = 0.5
    with pytest.raises(ValueError, match="mfu"):
        _ = ch.S30_6.mfux
    with pytest.raises(KeyError):
        ch.S30_6.__getitem__("nope")
    assert set(ch.SECTIONS) == {f"§30.{n}" for n in range(1, 12)}
    assert {f"P{n}" for n in range(1, 8)} | {f"CQ{n}" for n in range(1, 5)} == set(ch.EXERCISES)


# ---------------------------------------------------------------- our words, not the chapter's

def _words(text: str) -> list:
    return re.findall(r"[a-z0-9]+(?:[.'][a-z0-9]+)*", text.lower().replace("\u2019", "'"))


def test_claim_and_why_text_is_not_copied_from_the_chapter(table):
    if not CHAPTER_TXT.exists():
        pytest.skip(f"the chapter is not bundled with the workbook; {CHAPTER_TXT} is absent")
    words = _words(CHAPTER_TXT.read_text(encoding="utf-8"))
    n = 8
    grams = {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}
    copied = []
    for _, r in table.iterrows():
        for col in ("claim", "why"):
            w = _words(r[col])
            if any(tuple(w[i:i + n]) in grams for i in range(len(w) - n + 1)):
                copied.append((r["id"], col))
    assert not copied, f"8+ words copied verbatim from the chapter: {copied}"


# ------------------------------------------------------------------ errata rows (issue #14), by hand

def test_capex_is_not_the_cheapest_option(table):
    owned = (35_000 / (3 * 8760) + 0.700 * 1.3 * 0.10) * 1.15  # owned_cost's defaults
    r = row(table, "s30_1_capex_cheapest")
    assert r["chapter_value"] == pytest.approx(1.0 / 1.5)
    assert r["recomputed_value"] == pytest.approx(owned / 1.5, rel=1e-9)
    assert r["verdict"] == "wrong"


def test_frontier_gap_and_same_model_gap(table):
    realistic = 2.0 / 3.6  # §30.5: $2/hour at 1,000 tokens/s
    r = row(table, "s30_5_frontier_gap")
    assert (r["chapter_low"], r["chapter_high"]) == (20, 50)
    assert r["recomputed_value"] == pytest.approx(15.0 / realistic)  # Claude Sonnet's $15/M
    assert r["verdict"] == "correct"
    r = row(table, "s30_5_same_model_gap")
    assert r["recomputed_value"] == pytest.approx(0.88 / realistic)  # Together, Llama 3.3 70B
    assert r["verdict"] == "wrong" and "not 10-20x" in r["why"]


def test_peak_utilization_is_average_utilization(table):
    r = row(table, "s30_10_peak_utilization_word")
    assert r["chapter_value"] == pytest.approx(0.56 / 2.16)
    assert r["recomputed_value"] == pytest.approx(1 / 1.3)
    assert r["verdict"] == "wrong" and "average utilization" in r["why"].lower()

"""The catalogs: every row sourced and dated, lookups forgiving, architectures and datasheets right.

Expected values here are published figures (source in a comment) or arithmetic written out by
hand from a model's config.json; none is obtained by calling the code under test.
"""
from __future__ import annotations

import csv
import math
import re
from pathlib import Path

import pytest

import costlib as cl
from costlib.catalog import tables as catalog

DATA_DIR = Path(__file__).resolve().parents[1] / "costlib" / "data"
CSV_FILES = ["gpus.csv", "models.csv", "gpu_prices.csv", "tiers.csv", "api_prices.csv"]


def read_rows(name: str) -> list[dict]:
    with open(DATA_DIR / name, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def suggestions(message: str) -> list[str]:
    """The names offered after 'Did you mean', in order ([] if none).

    Only this part of the message counts: the 'Valid: ...' list that follows names every id,
    so searching the whole message for an id could never fail.
    """
    m = re.search(r"Did you mean (.+?)\?", message)
    return m.group(1).split(" or ") if m else []


# ----------------------------------------------------------------- the CSV files themselves

@pytest.mark.parametrize("name", CSV_FILES)
def test_every_row_names_a_source_and_a_date(name):
    rows = read_rows(name)
    assert rows, f"{name} is empty"
    for i, row in enumerate(rows, start=2):  # line 1 is the header
        assert (row.get("source") or "").strip(), f"{name} line {i}: empty source"
        assert (row.get("as_of") or "").strip(), f"{name} line {i}: empty as_of"
        assert re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", row["as_of"].strip()), \
            f"{name} line {i}: as_of {row['as_of']!r} is not YYYY-MM"


@pytest.mark.parametrize("name, key", [("gpus.csv", ["id"]), ("models.csv", ["id"]),
                                       ("api_prices.csv", ["id"]), ("tiers.csv", ["tier"]),
                                       ("gpu_prices.csv", ["gpu", "tier"])])
def test_ids_are_unique(name, key):
    keys = [tuple(r[k].strip().lower() for k in key) for r in read_rows(name)]
    dupes = sorted({k for k in keys if keys.count(k) > 1})
    assert not dupes, f"{name}: duplicate {key}: {dupes}"


def test_model_aliases_do_not_collide_with_ids_or_each_other():
    rows = read_rows("models.csv")
    ids = {r["id"].lower() for r in rows}
    aliases = [a.strip().lower() for r in rows for a in r["aliases"].split(";") if a.strip()]
    assert len(aliases) == len(set(aliases))
    assert not ids & set(aliases)


def test_gpu_prices_refer_to_catalog_gpus_and_tiers():
    gpu_ids = {r["id"] for r in read_rows("gpus.csv")}
    tiers = {r["tier"] for r in read_rows("tiers.csv")} | {"owned"}
    for r in read_rows("gpu_prices.csv"):
        assert r["gpu"] in gpu_ids, r
        assert r["tier"] in tiers, r
        assert 0 < float(r["usd_per_hour_low"]) <= float(r["usd_per_hour_high"]), r


# ----------------------------------------------------------------- lookups

@pytest.mark.parametrize("spelling", ["H100-SXM", "h100-sxm", "H100-sxm", "  h100-SXM "])
def test_gpu_lookup_is_case_insensitive(spelling):
    assert cl.get_gpu(spelling).id == "H100-SXM"


@pytest.mark.parametrize("spelling", ["llama-3.1-70b", "LLAMA-3.1-70B", "Llama-3.1-70B"])
def test_model_lookup_is_case_insensitive(spelling):
    assert cl.get_model(spelling).id == "llama-3.1-70b"


def test_api_and_precision_lookups_are_case_insensitive():
    assert cl.get_api_price("GPT-4O")["id"] == "gpt-4o"
    assert cl.get_precision("BF16").bytes_per_value == 2.0
    assert cl.get_precision("Int4").bytes_per_value == 0.5


@pytest.mark.parametrize("typo", ["H100", "h100sxm", "h100 sxm", "H100-SMX"])
def test_unknown_gpu_suggests_the_closest_id_first(typo):
    with pytest.raises(ValueError) as err:
        cl.get_gpu(typo)
    offered = suggestions(str(err.value))
    assert offered and offered[0] == "H100-SXM", str(err.value)
    assert repr(typo) in str(err.value)  # the message quotes what was typed


@pytest.mark.parametrize("typo, family", [("A100", "A100-SXM-"), ("a100-80", "A100-SXM-80GB"),
                                          ("h200", "H200-SXM"), ("mi300", "MI300X")])
def test_unknown_gpu_suggests_its_own_family_first(typo, family):
    with pytest.raises(ValueError) as err:
        cl.get_gpu(typo)
    offered = suggestions(str(err.value))
    assert offered and offered[0].startswith(family), str(err.value)


@pytest.mark.parametrize("typo", ["llama-3-70", "llama3-70b", "Llama 3.1 70B"])
def test_unknown_model_suggests_the_70b(typo):
    with pytest.raises(ValueError) as err:
        cl.get_model(typo)
    offered = suggestions(str(err.value))
    assert set(offered) & {"llama-3.1-70b", "llama-3-70b", "llama-3.3-70b"}, str(err.value)


def test_unknown_precision_suggests_the_closest():
    with pytest.raises(ValueError) as err:
        cl.get_precision("fp9")
    assert "fp8" in suggestions(str(err.value))


def test_unknown_api_suggests_the_closest():
    with pytest.raises(ValueError) as err:
        cl.get_api_price("gpt4o")
    assert suggestions(str(err.value))[0] == "gpt-4o"


# Non-string ids (None, numbers, lists) for every catalog lookup: tests/test_bad_input.py.


@pytest.mark.parametrize("alias, target", [("llama-3-8b", "llama-3.1-8b"),
                                           ("llama-3-70b", "llama-3.1-70b"),
                                           ("llama-3.3-70b", "llama-3.1-70b"),
                                           ("LLAMA-3.3-70B", "llama-3.1-70b")])
def test_aliases_resolve_to_the_shared_architecture(alias, target):
    m = cl.get_model(alias)
    assert m.id == target
    # Llama 3 / 3.3 70B config.json: 80 layers, hidden 8192, 64 heads, 8 KV heads, head_dim 128,
    # intermediate 28672, vocab 128256. Llama 3 8B: 32 layers, 4096, 32 heads, 8 KV, 14336, 128256.
    expected = {"llama-3.1-70b": (80, 8192, 64, 8, 128, 28672, 128256),
                "llama-3.1-8b": (32, 4096, 32, 8, 128, 14336, 128256)}[target]
    got = (m.n_layers, m.hidden_size, m.n_heads, m.n_kv_heads, m.head_dim, m.ffn_size, m.vocab_size)
    assert got == expected


# ----------------------------------------------------------------- parameter counts

# Published totals (and active counts for MoE), in billions, with where they are published.
# The catalog computes counts from the architecture; these are independent checks of it.
PUBLISHED = [
    # Hugging Face model page meta-llama/Llama-3.1-70B: "70.6B params"
    ("llama-3.1-70b", 70.6, None, 0.005),
    # Hugging Face model page meta-llama/Llama-3.1-8B: "8.03B params"
    ("llama-3.1-8b", 8.03, None, 0.005),
    # Hugging Face model page meta-llama/Llama-3.1-405B: "406B params" (405.9B)
    ("llama-3.1-405b", 405.9, None, 0.005),
    # Mistral AI, "Mixtral of experts" (Dec 2023): "46.7B total parameters but only uses 12.9B
    # parameters per token"
    ("mixtral-8x7b", 46.7, 12.9, 0.005),
    # Mistral AI, "Cheaper, Better, Faster, Stronger" (Apr 2024): "39B active parameters out of
    # 141B" -- two significant figures, hence 1%
    ("mixtral-8x22b", 141.0, 39.0, 0.01),
    # Hugging Face model pages meta-llama/Llama-2-{7b,13b,70b}-hf: 6.74B, 13B, 69B params
    ("llama-2-7b", 6.74, None, 0.005),
    ("llama-2-13b", 13.0, None, 0.005),
    ("llama-2-70b", 69.0, None, 0.005),
    # Hugging Face model page mistralai/Mistral-7B-v0.1: "7.24B params"
    ("mistral-7b", 7.24, None, 0.005),
    # Qwen2.5-72B model card: "Number of Parameters: 72.7B"
    ("qwen2.5-72b", 72.7, None, 0.005),
]


@pytest.mark.parametrize("mid, total_b, active_b, rel", PUBLISHED, ids=[p[0] for p in PUBLISHED])
def test_parameter_counts_match_published_figures(mid, total_b, active_b, rel):
    m = cl.get_model(mid)
    assert m.n_params / 1e9 == pytest.approx(total_b, rel=rel)
    if active_b is None:
        assert m.n_active_params == m.n_params
    else:
        assert m.n_active_params / 1e9 == pytest.approx(active_b, rel=rel)
        assert m.n_active_params < m.n_params


def test_every_catalog_model_has_a_published_count_checked_here():
    assert {p[0] for p in PUBLISHED} == set(cl.model_ids())


def test_llama_3_1_70b_count_to_the_parameter():
    # Written out from config.json: embeddings in and out (untied), then per layer q, k, v, o,
    # gate/up/down and two RMSNorm weights, then the final norm.
    emb = 2 * 128256 * 8192
    attn = 8192 * 64 * 128 + 2 * 8192 * 8 * 128 + 64 * 128 * 8192
    mlp = 3 * 8192 * 28672
    per_layer = attn + mlp + 2 * 8192
    total = emb + 80 * per_layer + 8192
    assert total == 70_553_706_496
    assert cl.get_model("llama-3.1-70b").n_params == total


def test_qwen_counts_its_qkv_bias():
    # The Qwen2 architecture puts biases on the q, k and v projections (not o, not the MLP):
    # (64 + 2 * 8) * 128 = 10,240 per layer x 80 layers.
    m = cl.get_model("qwen2.5-72b")
    no_bias = cl.ModelSpec(id="x", name="x", n_layers=80, hidden_size=8192, n_heads=64, n_kv_heads=8,
                           head_dim=128, ffn_size=29568, vocab_size=152064)
    assert m.n_params - no_bias.n_params == 80 * (64 + 2 * 8) * 128


# ----------------------------------------------------------------- head_dim is stored

def test_catalog_has_a_head_dim_column_read_for_every_model():
    rows = read_rows("models.csv")
    assert "head_dim" in rows[0]
    for r in rows:
        assert cl.get_model(r["id"]).head_dim == int(r["head_dim"]), r["id"]


def test_head_dim_is_read_from_the_csv_not_derived(monkeypatch):
    """Change head_dim in the data only: the model and its KV size must follow."""
    patched = dict(catalog._model_rows())
    patched["llama-3.1-8b"] = {**patched["llama-3.1-8b"], "head_dim": 64}  # hidden/heads stays 128
    monkeypatch.setattr(catalog, "_model_rows", lambda: patched)
    catalog._model.cache_clear()
    try:
        m = cl.get_model("llama-3.1-8b")
        assert m.head_dim == 64
        # 2 (K and V) x 32 layers x 8 KV heads x 64 x 2 bytes
        assert cl.kv_bytes_per_token(m, "bf16") == 2 * 32 * 8 * 64 * 2
    finally:
        catalog._model.cache_clear()


def test_kv_bytes_use_head_dim_when_it_differs_from_hidden_over_heads():
    # A Gemma-7B-like shape: hidden 3072, 16 heads, but head_dim 256 (not 3072 / 16 = 192).
    m = cl.ModelSpec(id="toy", name="toy", n_layers=28, hidden_size=3072, n_heads=16, n_kv_heads=16,
                     head_dim=256, ffn_size=24576, vocab_size=256000)
    assert cl.kv_bytes_per_token(m, "bf16") == 2 * 28 * 16 * 256 * 2
    assert cl.kv_bytes_per_token(m, "bf16") != 2 * 28 * 16 * (3072 // 16) * 2
    # and the attention projections use it too: q and o are hidden x heads x head_dim
    assert m.attention_params_per_layer == 3072 * 16 * 256 * 2 + 2 * 3072 * 16 * 256


# ----------------------------------------------------------------- GPU datasheets

def test_h100_sxm_datasheet():
    # NVIDIA H100 Tensor Core GPU datasheet, SXM column: 80 GB HBM3, 3.35 TB/s, BF16 1,979
    # TFLOPS *with sparsity* -> 989 dense (the catalog must hold the dense figure).
    g = cl.get_gpu("H100-SXM")
    assert g.hbm_bytes == 80e9
    assert g.hbm_bytes_per_s == 3.35e12
    assert g.flops_for("bf16") == pytest.approx(989e12, rel=1e-3)
    assert g.flops_for("bf16") < 1.5e15  # not the 1,979 sparse figure
    assert g.flops_for("fp8") == pytest.approx(1979e12, rel=1e-3)  # 3,958 sparse / 2


def test_h200_datasheet():
    # NVIDIA H200 datasheet: 141 GB HBM3e at 4.8 TB/s; same compute as H100 SXM.
    g = cl.get_gpu("H200-SXM")
    assert g.hbm_bytes == 141e9
    assert g.hbm_bytes_per_s == 4.8e12
    assert g.flops_for("bf16") == pytest.approx(989e12, rel=1e-3)


def test_a100_80gb_datasheet_and_no_fp8():
    # NVIDIA A100 datasheet, 80GB SXM: 2,039 GB/s, BF16 312 TFLOPS dense; Ampere has no FP8.
    g = cl.get_gpu("A100-SXM-80GB")
    assert g.hbm_bytes == 80e9
    assert g.hbm_bytes_per_s == pytest.approx(2.039e12, rel=1e-12)
    assert g.flops_for("bf16") == 312e12
    assert "fp8_tflops" not in g.peak_flops
    assert not g.supports("fp8")
    assert g.flops_for("fp8") == 312e12  # falls back to the bf16 rate
    assert g.supports("bf16")


def test_gpu_csv_has_blanks_not_zeros_for_missing_formats():
    for r in read_rows("gpus.csv"):
        for col in ("bf16_tflops", "fp8_tflops", "int8_tops", "fp4_tflops"):
            val = r[col].strip()
            assert val == "" or float(val) > 0, (r["id"], col, val)
        assert float(r["bf16_tflops"]) > 0


def test_dense_fp8_is_twice_bf16_on_hopper():
    for gid in ("H100-SXM", "H200-SXM"):
        g = cl.get_gpu(gid)
        assert g.flops_for("fp8") == pytest.approx(2 * g.flops_for("bf16"), rel=0.01)


def test_gpu_override_replaces_one_field_only():
    g = cl.get_gpu("H100-SXM", hbm_bytes_per_s=3e12)
    assert g.hbm_bytes_per_s == 3e12
    assert g.hbm_bytes == 80e9
    assert cl.get_gpu("H100-SXM").hbm_bytes_per_s == 3.35e12  # the catalog entry is untouched


# ----------------------------------------------------------------- precisions

@pytest.mark.parametrize("name, nbytes", [("bf16", 2), ("fp16", 2), ("fp8", 1), ("int8", 1),
                                          ("int4", 0.5), ("fp4", 0.5)])
def test_bytes_per_value(name, nbytes):
    assert cl.get_precision(name).bytes_per_value == nbytes
    assert cl.get_precision(name).bits == 8 * nbytes


def test_int4_group_scales_add_their_bytes():
    # one 2-byte scale per 128 weights: 0.5 + 2/128 = 0.515625 bytes per weight
    p = cl.get_precision("int4", group_size=128)
    assert p.bytes_per_value == 0.5 + 2 / 128 == 0.515625
    assert cl.get_precision("int4", group_size=64, scale_bytes=4).bytes_per_value == 0.5 + 4 / 64


def test_group_size_is_refused_for_bf16():
    with pytest.raises(ValueError, match="group_size"):
        cl.get_precision("bf16", group_size=128)


def test_weight_bytes_follow_precision():
    n = 70_553_706_496  # llama-3.1-70b, written out above
    assert cl.weight_bytes("llama-3.1-70b", "bf16") == 2 * n
    assert cl.weight_bytes("llama-3.1-70b", "fp8") == n
    assert cl.weight_bytes("llama-3.1-70b", "int4") == n / 2
    assert math.isclose(cl.weight_bytes("llama-3.1-70b", cl.get_precision("int4", group_size=128)),
                        n * 0.515625)


def test_deployment_name_uses_the_catalogs_names_and_label_keeps_ids():
    """#17 item 4: titles and results say "Llama 3.1 70B FP8 on 2x H100 SXM"; ``label`` keeps the ids."""
    with open(DATA_DIR / "models.csv", newline="", encoding="utf-8") as f:
        names = {r["id"]: r["name"] for r in csv.DictReader(f)}
    d = cl.deployment("llama-3.1-70b", "H100-SXM", 2, "fp8", "fp8")
    assert d.name == f"{names['llama-3.1-70b']} FP8 on 2x H100 SXM"
    assert d.label == "llama-3.1-70b fp8 on 2xH100-SXM"
    mixed = cl.deployment("llama-3.1-8b", "A100-SXM-40GB", 1, "fp8", "bf16")
    assert mixed.name == f"{names['llama-3.1-8b']} FP8 (KV BF16) on 1x A100 SXM 40GB"


def test_capacity_steps_show_honest_precision():
    """#17 item 4: rates to 3 significant figures, whole GPUs once rounded up, counts as 1.0M / 5.0B."""
    p = cl.capacity_plan(1e6, 10, 500, 1304.02, peak_factor=3, headroom=0.3, usd_per_gpu_hour=2.0)
    text = p.to_markdown()
    # 1e6 x 10 x 500 = 5e9 tokens/day; / 86,400 = 57,870.4/s; x 3 = 173,611/s; / 1,304.02 = 133.13 GPUs
    assert "1,304.02" not in text and "133.13" not in text
    assert "1.0M users" in text and "5.0B tokens" in text
    assert "173,611 / 1,300 tokens/s per GPU = **133.1 GPUs of work**" not in text  # rates are rounded too
    assert "174,000 / 1,300 tokens/s per GPU = **133.1 GPUs of work**" in text
    assert f"**{math.ceil(173_611.1 / 1304.02 * 1.3)} GPUs**" in text  # 173.07 -> 174 whole GPUs

"""Validation against measured runs: the physical ceiling, predictions, bad rows, the CLI (issue #5).

Independent values: the ceiling of one simple row is written out by hand below from Llama 3.1 8B's
config.json and the H100 SXM datasheet; the bundled measurements are published figures (NVIDIA
TensorRT-LLM v0.17 performance overview), so "ceiling >= measured" compares costlib with reality.
"""
from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import costlib as cl
from costlib.estimate import features, measurements
from costlib.estimate import predict as V
from costlib.estimate.profiles import DEFAULT_PROFILE, EfficiencyProfile

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "costlib" / "data" / "measured.csv"
HEADER = ["source", "as_of", "gpu", "n_gpus", "tp", "model", "weight_dtype", "kv_dtype", "scenario",
          "input_len", "output_len", "output_tokens_per_s"]

# ---------------------------------------------------------------- one ceiling by hand

# Llama 3.1 8B config.json: 32 layers, hidden 4096, 32 heads, 8 KV heads, head dim 128,
# MLP 14336, vocab 128256, untied embeddings.
L8, D8, H8, KV8, HD8, F8, V8 = 32, 4096, 32, 8, 128, 14336, 128256
N8 = 2 * V8 * D8 + L8 * (D8 * H8 * HD8 + 2 * D8 * KV8 * HD8 + H8 * HD8 * D8 + 3 * D8 * F8 + 2 * D8) + D8
H100_BW, H100_FP8, H100_GB = 3.35e12, 1979e12, 80  # datasheet: 3.35 TB/s, 3,958 sparse FP8 TFLOPS / 2


def hand_ceiling_8b_fp8_h100(i, o):
    """Ceiling of llama-3.1-8b fp8 weights + fp8 KV on one H100, written out from the argument."""
    body = N8 - 2 * V8 * D8          # matmul weights used by every token (no embedding, no head)
    head = V8 * D8                   # output head
    aw = L8 * H8 * HD8               # attention width summed over layers
    ctx_sum = (o - 1) * i + (o - 1) * o / 2
    flops = (2 * body * i + 2 * head + 2 * aw * i * (i + 1)          # prefill
             + (o - 1) * 2 * (body + head) + 4 * aw * ctx_sum)       # decode
    kv_b = 2 * L8 * KV8 * HD8 * 1                                      # fp8 KV bytes per token
    capacity_tokens = (H100_GB * 2**30 - N8 * 1) / kv_b                # all HBM, as GiB
    steps = ctx_sum / capacity_tokens
    bytes_ = steps * (N8 - V8 * D8) + kv_b * ctx_sum + kv_b * (i + o - 1)
    t = max(flops / H100_FP8, bytes_ / H100_BW)
    return o / t


def test_hand_parameter_count():
    assert N8 == pytest.approx(8.03e9, rel=0.002)  # Meta's model card


@pytest.mark.parametrize("i,o", [(128, 128), (2048, 128), (128, 4096), (20000, 2000)])
def test_ceiling_of_one_row_matches_the_hand_derivation(i, o):
    p = V.predict_row("H100-SXM", "llama-3.1-8b", tp=1, weights="fp8", kv="fp8", input_len=i, output_len=o)
    assert p.ceiling == pytest.approx(hand_ceiling_8b_fp8_h100(i, o), rel=1e-9)


def test_hand_ceiling_is_above_the_published_figure():
    # TensorRT-LLM v0.17: 28,836.77 output tok/s for this row at 128/128
    assert hand_ceiling_8b_fp8_h100(128, 128) > 28836.77
    assert hand_ceiling_8b_fp8_h100(128, 128) == pytest.approx(68256, rel=1e-3)


# ---------------------------------------------------------------- the ceiling holds on real runs

def published_rows():
    with open(DATA, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


REPORT = cl.validate(DATA)


def test_every_bundled_row_is_predicted():
    assert REPORT.rows == 230 and REPORT.predicted == 230 and REPORT.skipped == ()


def test_predictions_carry_the_published_figures_in_order():
    published = [float(r["output_tokens_per_s"]) for r in published_rows()]
    assert [p.row for p in REPORT.predictions] == list(range(230))
    assert [p.measured for p in REPORT.predictions] == published


def test_ceiling_is_above_every_published_figure_with_margin_and_spread():
    ratios = [p.measured / p.ceiling for p in REPORT.predictions]
    over = [f"row {p.row}: measured {p.measured:,.0f} > ceiling {p.ceiling:,.0f}"
            for p in REPORT.predictions if p.measured > p.ceiling]
    assert not over, "\n".join(over)
    assert REPORT.under_ceiling == 1.0
    assert max(ratios) < 0.7   # the best run reaches two thirds of physics
    assert min(ratios) > 0.04  # and none is absurdly far below it


def test_band_ordering_on_every_row():
    for p in REPORT.predictions:
        assert 0 < p.low <= p.mid <= p.high <= p.ceiling


def test_default_profile_figures_on_the_bundled_data():
    # in-sample figures of the shipped profile (targets: 85% in band, 15% median error)
    assert REPORT.in_band >= 0.85
    assert REPORT.median_abs_error <= 0.15


# ---------------------------------------------------------------- beyond the public file

BEYOND = [
    ("H200-SXM", "llama-3.1-70b", 1, "fp8", "fp8"),
    ("GH200", "llama-3.3-70b", 1, "fp8", "fp8"),
    ("B200", "llama-3.1-405b", 8, "fp4", "fp8"),
    ("GB200", "llama-3.1-405b", 4, "fp4", "fp8"),
    ("B200", "llama-3.3-70b", 1, "fp4", "fp8"),
    ("H100-SXM", "llama-3.1-405b", 8, "fp8", "fp8"),
    ("H200-SXM", "llama-3.1-405b", 8, "fp4", "fp8"),  # fp4 weights without fp4 tensor cores
    ("MI300X", "llama-3.1-70b", 1, "fp8", "fp8"),
    ("H100-PCIe", "mixtral-8x22b", 4, "int4", "fp8"),
]


@pytest.mark.parametrize("gpu,model,tp,w,kv", BEYOND)
@pytest.mark.parametrize("i,o", [(128, 128), (1000, 1000), (5000, 500)])
def test_catalog_beyond_the_public_file_is_predicted(gpu, model, tp, w, kv, i, o):
    p = V.predict_row(gpu, model, tp=tp, n_gpus=2 * tp, weights=w, kv=kv, input_len=i, output_len=o)
    assert all(math.isfinite(x) for x in (p.ceiling, p.low, p.mid, p.high))
    assert 0 < p.low <= p.mid <= p.high <= p.ceiling


def test_llama_33_70b_is_the_31_architecture():
    a = V.predict_row("H200-SXM", "llama-3.3-70b", weights="fp8", input_len=500, output_len=2000)
    b = V.predict_row("H200-SXM", "llama-3.1-70b", weights="fp8", input_len=500, output_len=2000)
    assert a.ceiling == b.ceiling and a.mid == b.mid


def test_fp4_weights_without_fp4_tensor_cores_compute_in_fp8():
    # datasheet dense rates: H100 FP8 1,979 TFLOPS; A100 has no FP8 (BF16 312); B200 FP4 9,000
    assert cl.get_gpu("H100-SXM").flops_for("fp4") == 1979e12
    assert cl.get_gpu("H200-SXM").flops_for("fp4") == 1979e12
    assert cl.get_gpu("A100-SXM-80GB").flops_for("fp4") == 312e12
    assert cl.get_gpu("B200").flops_for("fp4") == 9000e12
    assert cl.get_gpu("A100-SXM-80GB").flops_for("fp8") == 312e12  # unchanged: widened to bf16
    assert features.ceiling_peak_flops("H100-SXM", "fp4", "fp8") == 1979e12
    assert features.ceiling_peak_flops("B200", "fp4", "fp8") == 9000e12
    assert features.ceiling_peak_flops("A100-SXM-80GB", "fp16") == 312e12


def test_faster_hardware_raises_the_ceiling():
    kw = dict(weights="fp8", kv="fp8", input_len=1000, output_len=1000)
    h100 = V.predict_row("H100-SXM", "llama-3.1-70b", tp=2, **kw).ceiling
    h200 = V.predict_row("H200-SXM", "llama-3.1-70b", tp=2, **kw).ceiling
    b200 = V.predict_row("B200", "llama-3.1-70b", tp=2, **kw).ceiling
    assert h100 == h200 < b200  # at 1000/1000 both Hoppers are compute-bound: same FLOP/s
    long = dict(weights="fp8", kv="fp8", input_len=20000, output_len=2000)
    assert (V.predict_row("H100-SXM", "llama-3.1-70b", tp=2, **long).ceiling
            < V.predict_row("H200-SXM", "llama-3.1-70b", tp=2, **long).ceiling)  # more HBM, more bandwidth


PERFECT = EfficiencyProfile(mbu=1.0, mfu=1.0, memory_fraction=1.0, step_overhead_s=0.0, link_efficiency=1.0,
                            allreduce_latency_s=0.0)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(gpu=st.sampled_from(cl.gpu_ids()), model=st.sampled_from(cl.model_ids()),
       w=st.sampled_from(["bf16", "fp8", "int8", "int4", "fp4"]), kv=st.sampled_from(["bf16", "fp8"]),
       tp=st.sampled_from([1, 2, 4, 8]), i=st.integers(1, 30000), o=st.integers(1, 8000))
def test_no_engine_model_beats_the_ceiling(gpu, model, w, kv, tp, i, o):
    """Even a perfect engine (all efficiencies 1, no overhead, no all-reduce cost) stays under it."""
    m = cl.get_model(model)
    if m.n_kv_heads % tp or i + o > m.max_context:
        return
    try:
        p = V.predict_row(gpu, model, tp=tp, weights=w, kv=kv, input_len=i, output_len=o, profile=PERFECT)
    except ValueError as e:
        assert str(e).startswith("does not fit")
        return
    raw = V.mid_tokens_per_s(features.stack_features([measurements.parse_measurement(0, {"gpu": gpu, "model": model, "tp": tp, "n_gpus": tp,
                                              "weight_dtype": w, "kv_dtype": kv, "input_len": i,
                                              "output_len": o, "output_tokens_per_s": 1})]), PERFECT)[0]
    assert raw <= p.ceiling * (1 + 1e-9)


# ---------------------------------------------------------------- bad rows are skipped, never a crash

def write_csv(path, rows, header=HEADER):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        wr = csv.writer(fh)
        wr.writerow(header)
        wr.writerows(rows)
    return path


GOOD = ["src", "2025-01", "H100-SXM", "1", "1", "llama-3.1-8b", "fp8", "fp8", "max_throughput", "128", "128",
        "28836.77"]


def row(**changes):
    r = dict(zip(HEADER, GOOD, strict=True))
    r.update({k: str(val) for k, val in changes.items()})
    return [r[h] for h in HEADER]


BAD_ROWS = [
    (row(gpu="H100-SMX"), "Did you mean"),
    (row(model="llama-9-8b"), "unknown model"),
    (row(weight_dtype="fp3"), "weight_dtype"),
    (row(kv_dtype="fp12"), "kv_dtype"),
    (row(n_gpus="two"), "n_gpus is not a number"),
    (row(tp="1.5"), "tp must be a whole number"),
    (row(n_gpus="3", tp="2"), "does not divide n_gpus"),
    (row(model="llama-3.1-70b", tp="3", n_gpus="3"), "KV heads"),
    (row(input_len=""), "missing value"),
    (row(output_len="-5"), "output_len must be a whole number >= 1"),
    (row(output_tokens_per_s="0"), "output_tokens_per_s must be a positive"),
    (row(output_tokens_per_s="nan"), "output_tokens_per_s must be a positive"),
    (row(output_tokens_per_s="1e400"), "output_tokens_per_s must be a positive"),
    (row(model="llama-3.1-405b", weight_dtype="bf16", gpu="L40S"), "does not fit"),
    (row(model="llama-2-7b", input_len="4000", output_len="200"), "exceeds the 4,096-token context"),
    (row(scenario="min_latency"), "scenario"),
]


def test_bad_rows_are_skipped_with_a_reason(tmp_path):
    path = write_csv(tmp_path / "m.csv", [GOOD] + [r for r, _ in BAD_ROWS] + [GOOD])
    rep = cl.validate(path)
    assert rep.rows == len(BAD_ROWS) + 2 and rep.predicted == 2
    assert [p.row for p in rep.predictions] == [0, len(BAD_ROWS) + 1]
    assert [s["row"] for s in rep.skipped] == list(range(1, len(BAD_ROWS) + 1))
    for s, (_, why) in zip(rep.skipped, BAD_ROWS, strict=True):
        assert why in s["reason"], (s, why)


def test_does_not_fit_reason_gives_need_and_available(tmp_path):
    rep = cl.validate(write_csv(tmp_path / "m.csv", [row(model="llama-3.1-405b", weight_dtype="bf16",
                                                         gpu="L40S")]))
    reason = rep.skipped[0]["reason"]
    # 405.9B params x 2 bytes = 811.7 GB; one L40S: 48 GB read as GiB = 51.5 GB
    assert "needs 811." in reason and "51.5 GB available" in reason


def test_ragged_rows_and_empty_tables(tmp_path):
    p = tmp_path / "r.csv"
    p.write_text(",".join(HEADER) + "\n" + ",".join(GOOD + ["extra"]) + "\n" + ",".join(GOOD[:5]) + "\n")
    rep = cl.validate(p)
    assert rep.rows == 2 and rep.predicted == 0
    assert "more field" in rep.skipped[0]["reason"] and "missing value" in rep.skipped[1]["reason"]
    assert rep.to_dict()["under_ceiling"] is None and rep.to_dict()["median_abs_error"] is None
    only_header = write_csv(tmp_path / "h.csv", [])
    assert cl.validate(only_header).to_dict()["rows"] == 0


def test_table_level_errors_name_the_problem(tmp_path):
    with pytest.raises(ValueError, match="not found"):
        cl.validate(tmp_path / "nothere.csv")
    with pytest.raises(ValueError, match="output_tokens_per_s"):
        cl.validate(write_csv(tmp_path / "c.csv", [GOOD[:-1]], HEADER[:-1]))
    (tmp_path / "e.csv").write_text("")
    with pytest.raises(ValueError, match="no header"):
        cl.validate(tmp_path / "e.csv")
    with pytest.raises(ValueError, match="CSV path or a pandas DataFrame"):
        cl.validate(42)


def test_dataframe_input_and_date_column():
    import pandas as pd

    df = pd.read_csv(DATA).rename(columns={"as_of": "date"}).head(5)
    rep = cl.validate(df)
    assert rep.predicted == 5 and [p.row for p in rep.predictions] == [0, 1, 2, 3, 4]


# ---------------------------------------------------------------- bad arguments to the public functions

@pytest.mark.parametrize("kwargs,param", [
    (dict(tp=0), "tp"), (dict(input_len=-1), "input_len"), (dict(output_len=1.5), "output_len"),
    (dict(n_gpus="8"), "n_gpus"), (dict(measured_tokens_per_s=-3), "measured_tokens_per_s"),
    (dict(weights="fp5"), "weight_dtype"), (dict(gpu="H100"), "H100-SXM"), (dict(gpu=3), "gpu"),
    (dict(profile="fast"), "profile"),
])
def test_predict_row_bad_input_names_the_parameter(kwargs, param):
    base = dict(gpu="H100-SXM", model="llama-3.1-8b")
    base.update(kwargs)
    with pytest.raises(ValueError, match=param):
        V.predict_row(**base)


def test_ceiling_tokens_per_s_needs_a_measurement():
    with pytest.raises(ValueError, match="Measurement"):
        V.ceiling_tokens_per_s({"gpu": "H100-SXM"})
    m = cl.read_measurements(DATA).measurements[0]
    assert V.ceiling_tokens_per_s(m) == pytest.approx(REPORT.predictions[0].ceiling)


# ---------------------------------------------------------------- the command line

def test_cli_json_has_exactly_the_issue_keys(cli):
    code, out, err = cli("validate", DATA, "--json")
    assert code == 0 and err == "" and out.count("\n") == 1
    d = json.loads(out)
    assert list(d) == ["rows", "predicted", "skipped", "under_ceiling", "in_band", "median_abs_error",
                       "predictions"]
    assert type(d["rows"]) is int and type(d["predicted"]) is int and d["rows"] == 230
    assert d["skipped"] == []
    for k in ("under_ceiling", "in_band", "median_abs_error"):
        assert type(d[k]) is float and 0 <= d[k] <= 1
    assert d["under_ceiling"] == 1.0
    assert len(d["predictions"]) == 230
    for p in d["predictions"]:
        assert list(p) == ["row", "measured", "ceiling", "low", "mid", "high"]
        assert type(p["row"]) is int and all(type(p[k]) is float for k in list(p)[1:])
    assert d["predictions"][0]["measured"] == 28836.77


def test_cli_json_skipped_rows(cli, tmp_path):
    path = write_csv(tmp_path / "m.csv", [GOOD, row(gpu="H100-SMX"), row(tp="x")])
    code, out, _ = cli("validate", path, "--json")
    d = json.loads(out)
    assert code == 0 and d["rows"] == 3 and d["predicted"] == 1
    assert [s["row"] for s in d["skipped"]] == [1, 2]
    assert all(set(s) == {"row", "reason"} and type(s["reason"]) is str for s in d["skipped"])


def test_cli_human_summary(cli):
    code, out, err = cli("validate", DATA)
    assert code == 0 and err == ""
    assert "230 rows read, 230 predicted, 0 skipped" in out
    assert "under the ceiling: 100% of predicted rows" in out
    assert "L40S" in out and "mixtral-8x22b" in out and "in the low-high band" in out


def test_cli_calibrate_flag(cli, tmp_path):
    code, out, _ = cli("validate", DATA, "--calibrate")
    assert code == 0 and "calibrated on this file (230 rows, in-sample)" in out


@pytest.mark.parametrize("argv,needle", [
    (["validate"], "FILE.csv"),
    (["validate", "nothere.csv"], "not found"),
    (["validate", DATA, "--frobnicate"], "--frobnicate"),
])
def test_cli_bad_arguments_exit_2(cli, argv, needle):
    code, out, err = cli(*argv)
    assert code == 2 and out == "" and needle in err and err.count("\n") == 1


def test_cli_missing_columns_exit_2(cli, tmp_path):
    path = write_csv(tmp_path / "c.csv", [GOOD[:3]], HEADER[:3])
    code, out, err = cli("validate", path)
    assert code == 2 and "lacks required column(s) n_gpus, tp, model" in err


def test_cli_calibrate_with_too_few_rows_exit_2(cli, tmp_path):
    code, _, err = cli("validate", write_csv(tmp_path / "m.csv", [GOOD]), "--calibrate")
    assert code == 2 and "at least 4 usable rows" in err


def test_default_profile_is_what_validate_uses():
    other = DEFAULT_PROFILE.with_(mfu=0.2)
    a, b = cl.validate(DATA), cl.validate(DATA, other)
    assert a.profile is DEFAULT_PROFILE
    assert [p.ceiling for p in a.predictions] == [p.ceiling for p in b.predictions]  # physics only
    assert sum(p.mid for p in b.predictions) < sum(p.mid for p in a.predictions)

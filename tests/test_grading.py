"""Tests of costlib.grading: check(), hint(), questions(), the multiple-choice widget.

Expected answers are derived here by hand, from the chapter's inputs and the published model
architecture, with every formula written out. They never call the code under test.
"""
from __future__ import annotations

import math
import re
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

import costlib as cl
from costlib.teaching import grading
from costlib.teaching.grading import CheckResult, Inputs, Mistake, Option, Question
from costlib.ui import quiz

PRACTICE = [f"p{i}" for i in range(1, 8)]
CONCEPT = [f"cq{i}" for i in range(1, 5)]

# ------------------------------------------------------------------ hand derivations
# Llama 3.1 70B, written out by hand from its config.json (tests/reference.py)
from reference import HD, KVH, N70, D, F, H, L, V  # noqa: E402,F401
from reference import KV70_BF16 as KV_PER_TOKEN  # noqa: E402

H100_BW, H100_BF16, H100_FP8 = 3.35e12, 989e12, 1979e12         # datasheet, dense
H100_HBM = 80 * 2**30                                          # the datasheet's "80 GB" are 80 GiB
H100_USABLE = H100_HBM * 0.95 - 1e9                            # 95% of HBM minus 1 GB runtime
BODY = N70 - 2 * V * D                                         # all but the embedding table and the head
NVLINK = 450e9                                                 # per direction
MBU, MFU = (0.60 + 0.85) / 2, (0.30 + 0.50) / 2                 # middle of §30.4's ranges
CTX = 2048


def hand_step_s(tp, batch, weight_bytes_per_param=2, peak=H100_BF16, ctx=CTX):
    """The engine's decode step for Llama 3.1 70B on tp H100s, written out: the matmuls read the body
    and the 16-bit output head (not the input table) and run the body at its format's peak, the head at
    bf16; attention reads batch x ctx tokens of bf16 KV, writes batch, runs at bf16; each kernel is a
    roofline and their times add, plus two all-reduces per layer."""
    bw = tp * H100_BW * MBU
    mm = max((BODY * weight_bytes_per_param + V * D * 2) / bw,
             batch * (2 * BODY / peak + 2 * V * D / H100_BF16) / (tp * MFU))
    att = max(batch * (ctx + 1) * KV_PER_TOKEN / bw, batch * ctx * 4 * L * H * HD / (tp * H100_BF16 * MFU))
    comm = 0.0
    if tp > 1:
        comm = 2 * L * (5e-6 + 2 * (tp - 1) / tp * batch * D * 2 / NVLINK)
    return mm + att + comm


# The engine's memory rule (p4): each H100 has 80 GiB; the KV cache gets kv_fraction of what is
# left after the weights and a reserve per GPU (both the calibrated profile's stated parameters);
# a request reserves its whole prompt + output (1,024 + 1,024 tokens, a multiple of the 64-token block).
_LIMITS = cl.get_profile("calibrated").limits
H100_GIB = 80 * 2**30


def hand_engine_max_batch(tp, memory_per_gpu=H100_GIB, reserve=None, kv_fraction=None, kv_scale=1.0):
    reserve = _LIMITS.reserve_bytes_per_gpu if reserve is None else reserve
    kv_fraction = _LIMITS.kv_fraction if kv_fraction is None else kv_fraction
    room = kv_fraction * (tp * (memory_per_gpu - reserve) - 2 * N70)
    return int(room // (KV_PER_TOKEN * kv_scale * 2048))


def hand_max_batch(tp, weight_bytes_per_param=2):
    resident = BODY * weight_bytes_per_param + 2 * V * D * 2  # both vocabulary tables in 16 bits
    free = tp * H100_USABLE - resident
    return int(free // KV_PER_TOKEN) // CTX


def hand_fleet_monthly(tokens_per_month, peak_factor, headroom, usd_per_gpu_hour=2.0,
                       weight_bytes_per_param=2, peak=H100_BF16):
    """Cheapest always-on fleet of whole replicas (TP 1, 2, 4, 8) carrying the peak."""
    best = math.inf
    for tp in (1, 2, 4, 8):
        b = hand_max_batch(tp, weight_bytes_per_param)
        if b < 1:
            continue
        tps = b / hand_step_s(tp, b, weight_bytes_per_param, peak)
        need = tokens_per_month / (720 * 3600) * peak_factor * (1 + headroom)
        best = min(best, math.ceil(need / tps) * tp * usd_per_gpu_hour * 720)
    return best


def engine_floor(weights="bf16", kv="bf16", peak_factor=3.0, headroom=0.3):
    """p3's key from the engine directly (quote, not the teaching layer): the best TP's full-load mid
    $/M x peak x (1 + headroom). The calibrated profile is fitted to data, so it has no hand form."""
    mids = []
    for tp in (1, 2, 4, 8):
        q = cl.quote("llama-3.1-70b", "H100-SXM", tp, weights, kv, input_len=1024, output_len=1024,
                     usd_per_gpu_hour=2.0)
        if q.ok:
            mids.append(q.usd_per_million.mid)
    return min(mids) * peak_factor * (1 + headroom)


HAND = {
    # $2/hour / (5000 tokens/s x 3600 s / 10^6)
    "p1": 2.0 / (5000 * 3600 / 1e6),
    # the node: $16/hour / (800 tokens/s x 3600 / 10^6)
    "p2": 16.0 / (800 * 3600 / 1e6),
    # bf16 on H100s at $2/GPU-hour, sized for 3x average + 30% headroom: the $/M floor at any volume
    "p3": engine_floor(),
    # memory binds at TP=8 (the TPOT of a full batch is checked below to be < 200 ms)
    "p4": hand_engine_max_batch(8),
    # fp8 / bf16 tokens/s at batch 1 on TP=2 = bf16 step / fp8 step
    "p5": hand_step_s(2, 1) / hand_step_s(2, 1, weight_bytes_per_param=1, peak=H100_FP8),
    # 10M tokens/h for 12 h a day, 30 days; always on; peak = 24/12 x average, 30% headroom
    "p6": hand_fleet_monthly(10e6 * 12 * 30, 24 / 12, 0.3) / (10e6 * 12 * 30 / 1e6),
    # cheapest serving tier at mid price: reserved $1.50-2.00 (§30.1) -> $1.75; on-demand
    # $3.00-4.50 (§30.2) -> $3.75; bare metal 50-70% of on-demand -> (1.50 + 3.15) / 2;
    # spot is not for serving. $/M = price / (1000 tokens/s x 3600 / 10^6)
    "p7": min(1.75, 3.75, (3.00 * 0.5 + 4.50 * 0.7) / 2) / (1000 * 3600 / 1e6),
}


def test_hand_parameter_count_matches_the_model_card():
    assert N70 / 1e9 == pytest.approx(70.6, abs=0.05)  # model card: 70.6B


def test_p4_premise_tpot_of_a_full_batch_is_well_under_the_target():
    assert hand_step_s(8, hand_engine_max_batch(8)) < 0.2  # even the roofline at mid MBU is far below


@pytest.mark.parametrize("qid", sorted(HAND))
def test_hand_derived_answer_passes(qid):
    res = cl.check(qid, HAND[qid])
    assert res.passed, res.message
    assert res.status == "correct"


def test_hand_values_are_what_we_think():
    assert HAND["p1"] == pytest.approx(0.1111, abs=1e-4)
    assert HAND["p2"] == pytest.approx(5.556, abs=1e-3)
    assert HAND["p3"] > 0.88  # bf16 self-hosting never beats Together's $0.88/M when sized for the peak
    assert HAND["p5"] == pytest.approx(1.91, abs=0.01)
    assert HAND["p6"] == pytest.approx(1.60, abs=0.01)
    assert HAND["p7"] == pytest.approx(0.486, abs=1e-3)


@pytest.mark.parametrize("qid", sorted(HAND))
def test_tolerance_boundaries(qid):
    q = grading.get_question(qid)
    x = HAND[qid]
    if q.rel_tol == 0:  # an exact count: the neighbours fail
        assert cl.check(qid, x).passed
        assert not cl.check(qid, x + 1).passed and not cl.check(qid, x - 1).passed
        return
    inside, outside = 1 + 0.9 * q.rel_tol, 1 + 1.6 * q.rel_tol
    assert cl.check(qid, x * inside).passed
    assert cl.check(qid, x / inside).passed
    assert not cl.check(qid, x * outside).passed
    assert not cl.check(qid, x / outside).passed
    assert q.tolerance_text in cl.check(qid, x * outside).message  # states the tolerance


def test_cq1_right_option_is_the_hand_computed_price():
    usd = 3.0 / (1000 * 3600 / 1e6)  # $3/hour, 1000 tokens/s
    q = grading.get_question("cq1")
    matching = [o.key for o in q.options if f"${usd:.2f} " in o.text]
    assert len(matching) == 1
    assert cl.check("cq1", matching[0]).passed
    for o in q.options:
        if o.key != matching[0]:
            res = cl.check("cq1", o.key)
            assert not res.passed and res.status == "wrong"
            assert o.why in res.message  # each wrong option explains its mistake


def test_cq4_right_option_is_the_bandwidth_ratio():
    ratio = 4.8 / 3.35
    q = grading.get_question("cq4")
    key = next(o.key for o in q.options if f"{ratio:.2f}x" in o.text)
    assert cl.check("cq4", key).passed


@pytest.mark.parametrize("qid", CONCEPT)
def test_concept_checks_have_four_options_one_correct_each_explained(qid):
    q = grading.get_question(qid)
    assert [o.key for o in q.options] == ["a", "b", "c", "d"]
    assert sum(o.correct for o in q.options) == 1
    assert all(len(o.why) > 30 for o in q.options)
    assert len({o.text for o in q.options}) == 4


@pytest.mark.parametrize("spelling", ["b", "B", " b ", "(b)", "b)", "b.", ["b"]])
def test_choice_spellings(spelling):
    assert cl.check("cq1", spelling).passed


@pytest.mark.parametrize("bad", [1, 2.0, True, None, "e", "bb", "the second one", {}, [1, 2]])
def test_choice_bad_inputs_get_a_message(bad):
    res = cl.check("cq1", bad)
    assert not res.passed
    assert res.status in ("invalid", "blank")
    assert "a, b, c, d" in res.message


# ------------------------------------------------------------------ diagnoses


def _wrong(qid, value) -> str:
    res = cl.check(qid, value)
    assert not res.passed and res.status == "wrong", res.message
    return res.message


def test_p1_off_by_3600_mentions_units():
    msg = _wrong("p1", HAND["p1"] * 3600)
    assert "3,600" in msg and "second" in msg


def test_p1_off_by_3600_the_other_way():
    assert "3,600" in _wrong("p1", HAND["p1"] / 3600)


def test_p1_off_by_a_million_mentions_per_million():
    assert "10^6" in _wrong("p1", HAND["p1"] * 1e6)
    assert "10^6" in _wrong("p1", HAND["p1"] / 1e6)


def test_p2_node_price_counted_twice():
    assert "64 GPUs" in _wrong("p2", HAND["p2"] * 8)


def test_p3_full_load_price_is_sized_for_average_traffic():
    assert "sized for average traffic" in _wrong("p3", HAND["p3"] / (3.0 * 1.3))


def test_p3_api_price_is_recognised():
    assert "API" in _wrong("p3", 0.88)


def test_bf16_two_bytes_diagnosis():
    # p4 with a 1-byte (or 4-byte) KV value: the batch doubles (halves)
    assert "2 bytes" in _wrong("p4", hand_engine_max_batch(8, kv_scale=0.5))
    assert "2 bytes" in _wrong("p4", hand_engine_max_batch(8, kv_scale=2.0))


def test_attention_heads_instead_of_kv_heads():
    wrong = hand_engine_max_batch(8, kv_scale=H / KVH)
    assert "KV heads" in _wrong("p4", wrong)


def test_p4_all_of_the_memory():
    wrong = hand_engine_max_batch(8, reserve=0.0, kv_fraction=1.0)  # all 80 GiB beside the weights
    assert "all of each GPU's 80 GiB" in _wrong("p4", wrong)


def test_p5_weights_only_ratio_is_explained():
    assert "KV cache" in _wrong("p5", 2.0)  # the weights-only ceiling ratio is exactly 2


def test_p5_inverted_ratio():
    assert "upside down" in _wrong("p5", 1 / HAND["p5"])


def test_p6_scaled_to_zero_overnight():
    assert "overnight" in _wrong("p6", HAND["p6"] / 2)


def test_p7_spot_is_not_for_serving():
    assert "spot" in _wrong("p7", 0.25 * 3.75 / 3.6)


def test_close_answer_is_called_close_and_far_answer_gets_a_direction():
    assert "close" in _wrong("p1", HAND["p1"] * 1.05)
    assert "too high" in _wrong("p1", HAND["p1"] * 4.7)
    assert "too low" in _wrong("p1", HAND["p1"] / 4.7)
    assert "wrong sign" in _wrong("p1", -HAND["p1"])


@pytest.fixture
def scratch_question():
    """A throwaway question d99 (removed afterwards) to test framework-level diagnoses."""
    q = Question(id="d99", section="test", summary="test", ask="a rate in FLOP/s",
                 expected=lambda: 989e12 * 0.4, rel_tol=0.02,
                 mistakes=(Mistake(grading.MSG_SPARSE, factor=2),), hints=("think",))
    grading.register(q)
    yield q
    grading.unregister("d99")
    grading.forget_result("d99")


def test_sparse_instead_of_dense(scratch_question):
    msg = _wrong("d99", 2 * 989e12 * 0.4)
    assert "sparse" in msg and "dense" in msg


def test_messages_never_print_the_expected_value():
    for qid, x in HAND.items():
        exp = grading.expected_value(qid)
        for wrong in (x * 1.05, x * 3, x / 3, x * 3600):
            msg = cl.check(qid, wrong).message
            rest = msg.replace(grading.format_number(wrong, grading.get_question(qid).integer), " ")
            for shown in {f"{exp:.2f}", f"{exp:.3f}", f"{exp:,.0f}", f"{exp:.4g}"}:
                if len(shown.strip("0.,")) >= 2:
                    pattern = r"(?<![\d.,])" + re.escape(shown) + r"(?![\d])"
                    assert not re.search(pattern, rest), (qid, wrong, msg)


# ------------------------------------------------------------------ odd inputs

X = HAND["p1"]

ODD = [
    pytest.param(None, "blank", id="None"),
    pytest.param(..., "blank", id="Ellipsis"),
    pytest.param("abc", "invalid", id="str-abc"),
    pytest.param("", "invalid", id="empty-str"),
    pytest.param("0.11 $/M", "invalid", id="str-with-units"),
    pytest.param(float("nan"), "invalid", id="nan"),
    pytest.param(float("inf"), "invalid", id="inf"),
    pytest.param(-float("inf"), "invalid", id="-inf"),
    pytest.param(np.nan, "invalid", id="np.nan"),
    pytest.param([1, 2], "invalid", id="list"),
    pytest.param((), "invalid", id="empty-tuple"),
    pytest.param(True, "invalid", id="bool"),
    pytest.param(np.bool_(False), "invalid", id="np.bool_"),
    pytest.param({}, "invalid", id="dict"),
    pytest.param({"answer": X}, "invalid", id="dict-with-value"),
    pytest.param(np.array([]), "invalid", id="empty-array"),
    pytest.param(np.array([X, X]), "invalid", id="array-2"),
    pytest.param(pd.Series([X, X]), "invalid", id="series-2"),
    pytest.param(pd.DataFrame({"a": [X], "b": [X]}), "invalid", id="dataframe-1x2"),
    pytest.param(1 + 2j, "invalid", id="complex"),
    pytest.param(object(), "invalid", id="object"),
    pytest.param(cl.check, "invalid", id="function"),
    # one number in a container is read as that number
    pytest.param(np.float64(X), "correct", id="np.float64"),
    pytest.param(np.float32(X), "correct", id="np.float32"),
    pytest.param(np.array(X), "correct", id="0-d-array"),
    pytest.param(np.array([X]), "correct", id="array-1"),
    pytest.param(pd.Series([X]), "correct", id="series-1"),
    pytest.param(pd.DataFrame({"a": [X]}), "correct", id="dataframe-1x1"),
    pytest.param([X], "correct", id="list-1"),
    pytest.param(Decimal(str(X)), "correct", id="Decimal"),
    pytest.param(Fraction(1, 9), "correct", id="Fraction"),
    pytest.param(f"{X:.4f}", "correct", id="str-number"),
    pytest.param(f"${X:.3f}", "correct", id="str-dollar"),
    pytest.param(f" {X:.4f} ", "correct", id="str-spaces"),
    pytest.param(np.int64(7), "wrong", id="np.int64"),
    pytest.param(0, "wrong", id="zero"),
]


@pytest.mark.parametrize("answer, status", ODD)
def test_any_input_gives_a_one_line_message(answer, status):
    res = cl.check("p1", answer)
    assert isinstance(res, CheckResult)
    assert res.status == status, res.message
    assert res.passed == (status == "correct")
    assert res.message.startswith("[p1] ")
    assert "\n" not in res.message and "Traceback" not in res.message
    assert repr(res) == res.message == str(res)


@pytest.mark.parametrize("qid", PRACTICE + CONCEPT)
@pytest.mark.parametrize("answer", [None, "abc", float("nan"), [1, 2], True, {},
                                    pd.Series([1.0, 2.0]), np.array([[1.0, 2.0]])],
                         ids=["None", "abc", "nan", "list", "bool", "dict", "series", "2d"])
def test_no_question_raises_on_odd_input(qid, answer):
    res = cl.check(qid, answer)
    assert not res.passed and res.message.startswith(f"[{qid}] ✗")


def test_number_strings_with_thousands_separators():
    d6 = grading.expected_value("d6")  # a monthly bill in dollars, above 1,000
    assert cl.check("d6", f"{d6:,.0f}").passed
    assert cl.check("d6", f"${d6:,.2f}").passed
    assert cl.check("p6", f"${HAND['p6']:,.2f}").passed
    assert cl.check("p4", str(HAND["p4"])).passed


def test_blank_answer_says_what_to_give_and_where_the_solution_is():
    msg = cl.check("p1", None).message
    assert "no answer yet" in msg and "per million" in msg and "solutions/p1.ipynb" in msg


def test_output_is_deterministic_and_markdown_is_escaped():
    a, b = cl.check("p2", 44.4), cl.check("p2", 44.4)
    assert a.message == b.message
    md = a._repr_markdown_()
    assert "<span>\\$</span>16" in md and "$" not in md.replace("<span>\\$</span>", "")
    assert not re.search(r"0x[0-9a-f]{6,}", a.message)


def test_result_is_truthy_only_when_passed():
    assert bool(cl.check("p1", X)) and not bool(cl.check("p1", 2 * X))


def test_results_are_recorded():
    grading.reset_results()
    cl.check("p1", None)
    cl.check("cq2", "c")
    rec = grading.results()
    assert list(rec) == ["p1", "cq2"]
    assert not rec["p1"].passed and rec["cq2"].passed


# ------------------------------------------------------------------ ids, hints, listing


@pytest.mark.parametrize("bad, close", [("p8", "p7"), ("P1 ", None), ("cq5", "cq4"),
                                        ("q1", "p1"), ("pl", "p1")])
def test_unknown_or_misspelled_id(bad, close):
    res = cl.check(bad, 1.0)
    if close is None:  # case and spaces are forgiven
        assert res.question_id == "p1"
        return
    assert not res.passed and res.status == "unknown"
    assert close in res.message and "cl.questions()" in res.message


@pytest.mark.parametrize("bad", [None, 3, ["p1"]])
def test_non_string_id(bad):
    res = cl.check(bad, 1.0)
    assert res.status == "unknown" and "'p1'" in res.message


def test_questions_lists_exactly_the_workbook_ids():
    df = cl.questions()
    assert list(df.columns)[:3] == ["id", "section", "summary"]
    assert {"notebook", "solution", "tolerance"} <= set(df.columns)
    ids = list(df["id"])
    assert ids[:11] == PRACTICE + CONCEPT
    assert all(re.fullmatch(r"p[1-7]|cq[1-4]|d[1-9][0-9]*", i) for i in ids)
    assert df["summary"].str.len().min() > 20
    assert (df["notebook"] == [f"exercises/{i}.ipynb" for i in ids]).all()
    assert (df["solution"] == [f"solutions/{i}.ipynb" for i in ids]).all()


@pytest.mark.parametrize("qid", grading.question_ids())
def test_every_question_has_hints(qid):
    h = cl.hint(qid)
    assert isinstance(h, str) and len(h) > 20 and h.startswith(f"[{qid}] hint:")
    q = grading.get_question(qid)
    last = cl.hint(qid, len(q.hints))
    assert q.solution in last
    assert cl.hint(qid, 99) == last
    assert repr(h) == str(h)  # displays without quotes


def test_hint_for_unknown_id_and_bad_number():
    assert "p7" in cl.hint("p8")
    assert "from 1 to" in cl.hint("p1", 0)
    assert "from 1 to" in cl.hint("p1", "two")


@pytest.mark.parametrize("qid", grading.question_ids())
def test_every_expected_value_is_finite(qid):
    v = grading.expected_value(qid)
    q = grading.get_question(qid)
    if q.is_choice:
        assert v in "abcd"
    else:
        assert isinstance(v, float) and math.isfinite(v)


# ------------------------------------------------------------------ definitions


def test_question_validation():
    ok = dict(section="s", summary="s", ask="a", hints=("h",), expected=lambda: 1.0)
    Question(id="d1", **ok)
    for bad_id in ("p8", "cq5", "d0", "x1", "P1", ""):
        with pytest.raises(ValueError, match="id"):
            Question(id=bad_id, **ok)
    with pytest.raises(ValueError, match="hint"):
        Question(id="d1", **{**ok, "hints": ()})
    with pytest.raises(ValueError, match="expected"):
        Question(id="d1", **{**ok, "expected": None})
    with pytest.raises(ValueError, match="tol"):
        Question(id="d1", **{**ok, "rel_tol": 0.0})
    two = (Option("a", "x", True, "w"), Option("b", "y", True, "w"))
    with pytest.raises(ValueError, match="exactly one"):
        Question(id="d1", section="s", summary="s", ask="a", hints=("h",), options=two)
    with pytest.raises(ValueError, match="factor"):
        Mistake("m")
    with pytest.raises(ValueError, match="twice"):
        grading.register(Question(id="p1", **ok))


def test_inputs_are_read_only_and_named():
    i = Inputs("Practice 9 (§30.1)", tokens_per_s=5)
    assert i.tokens_per_s == 5 and i["tokens_per_s"] == 5 and dict(i) == {"tokens_per_s": 5}
    with pytest.raises(AttributeError, match="tokens_per_s"):
        _ = i.tokens_per_sec
    with pytest.raises(AttributeError):
        i.tokens_per_s = 6
    assert "§30.1" in repr(i)


# ------------------------------------------------------------------ widget


def test_choice_widget_gives_feedback_on_each_pick():
    box = quiz.choice_widget("cq3")
    q = grading.get_question("cq3")
    assert [v for _, v in box.radio.options] == ["a", "b", "c", "d"]
    assert box.radio.value is None
    for o in q.options:
        box.radio.value = o.key
        assert ("✓" in box.feedback.value) == o.correct
        assert grading.results()["cq3"].passed == o.correct


def test_choice_widget_rejects_numeric_and_unknown_questions():
    with pytest.raises(ValueError, match="not multiple choice"):
        quiz.choice_widget("p1")
    with pytest.raises(ValueError, match="cq4"):
        quiz.choice_widget("cq9")

"""Every hidden constant an answer depends on is stated in its question (#14 item 2).

Each question declares its ``given`` constants (costlib/data/questions_*.yaml), formatted from the
same Inputs and constants its answer function uses; this test checks that each appears in the
text the student reads (summary or ask), and pins the constants the issue found hidden.
"""
from __future__ import annotations

import pytest

from costlib.catalog.deployment import DEFAULT_MEMORY_FRACTION, DEFAULT_RESERVE_BYTES
from costlib.economics.crossover import HOURS_PER_MONTH
from costlib.estimate.profiles import get_profile
from costlib.physics.step import DEFAULT_ALLREDUCE_LATENCY_S, DEFAULT_MBU, DEFAULT_MFU
from costlib.teaching import bank

QUESTIONS = bank.all_questions()
# multiple-choice questions about an idea, with no number in them
NO_CONSTANTS = {"cq2": "why utilization decides (no figure)", "cq3": "which GPU property caps decode (no figure)"}


def _text(q) -> str:
    return f"{q.summary} {q.ask}"


@pytest.mark.parametrize("q", QUESTIONS, ids=[q.id for q in QUESTIONS])
def test_every_question_declares_its_constants(q):
    if q.id in NO_CONSTANTS:
        assert not q.given
        return
    assert q.given, f"{q.id}: list the constants its answer depends on under 'given'"


@pytest.mark.parametrize("q", QUESTIONS, ids=[q.id for q in QUESTIONS])
def test_every_given_constant_is_in_the_question_text(q):
    missing = [g for g in q.given if g not in _text(q)]
    assert not missing, f"{q.id}: the text does not state {missing}"


# the constants the audit found hidden, each pinned to the value the answer functions use

MEMORY_RULE = f"{DEFAULT_MEMORY_FRACTION:.0%} of HBM minus {DEFAULT_RESERVE_BYTES / 1e9:g} GB per GPU"
ROOFLINE = f"MBU {DEFAULT_MBU:.3f} and MFU {DEFAULT_MFU:.2f}"


@pytest.mark.parametrize("qid", ["d1", "d2", "d3", "d4", "d6", "d7", "d8", "d10", "d12"])
def test_memory_rule_is_stated_where_a_fit_decides(qid):
    assert MEMORY_RULE in bank.get_question(qid).ask


@pytest.mark.parametrize("qid", ["d1", "d2", "d5", "d6", "d8", "d10", "d12"])
def test_roofline_efficiencies_are_stated_where_a_rate_decides(qid):
    ask = bank.get_question(qid).ask
    assert ROOFLINE in ask
    assert f"{DEFAULT_ALLREDUCE_LATENCY_S * 1e6:g} µs per all-reduce" in ask  # the engine's comm term too


def test_p5_states_latency_context_and_mbu():
    ask = bank.get_question("p5").ask
    assert f"{DEFAULT_ALLREDUCE_LATENCY_S * 1e6:g} µs" in ask
    assert f"MBU {DEFAULT_MBU:.3f}" in ask and "2,048-token context" in ask


@pytest.mark.parametrize("qid", ["p3", "p4", "p6", "d16", "d17"])
def test_engine_questions_name_their_profile(qid):
    assert get_profile("calibrated").name in _text(bank.get_question(qid))


def test_p3_and_p6_state_peak_sizing_and_hours():
    p3, p6 = (_text(bank.get_question(q)) for q in ("p3", "p6"))
    assert "3x the average rate plus 30% headroom" in p3
    assert f"{HOURS_PER_MONTH} hours a month" in p6 and "30% headroom" in p6


def test_d9_states_the_owned_cost_defaults():
    ask = bank.get_question("d9").ask
    assert "PUE 1.3" in ask and "$0.10/kWh" in ask and "15% operations overhead" in ask

"""The question bank: questions built from their data files and answer modules, and the registry.

A question's texts (summary, ask, hints, slip messages, options) live in
``costlib/data/questions_practice.yaml`` and ``questions_drills.yaml``; its numbers (expected
answer, slip values, values its texts show) in the answer modules
:mod:`costlib.teaching.questions_practice` and :mod:`costlib.teaching.questions_drills`, looked up
by question id and slip name. Neither side imports this module, so there is no cycle.
"""
from __future__ import annotations

import functools
import math
import re
from importlib import resources

import numpy as np
import yaml

from costlib.catalog.deployment import DEFAULT_MEMORY_FRACTION, DEFAULT_RESERVE_BYTES
from costlib.physics.step import DEFAULT_ALLREDUCE_LATENCY_S, DEFAULT_MBU, DEFAULT_MFU
from costlib.teaching import (
    questions_drills,
    questions_levers,
    questions_load,
    questions_practice,
    questions_scale,
)
from costlib.teaching.question import Alternative, Mistake, Option, Question

__all__ = ["MESSAGES", "CONVENTIONS", "UNIT_MISTAKES", "register", "unregister", "get_question", "question_ids",
           "all_questions", "find_question", "expected_value", "unknown_message", "norm_id", "sort_key",
           "clear_cache", "load_questions"]

SOURCES = (("questions_practice.yaml", questions_practice),
           ("questions_drills.yaml", questions_drills),
           ("questions_scale.yaml", questions_scale),
           ("questions_levers.yaml", questions_levers),
           ("questions_load.yaml", questions_load))


def _read(name: str) -> dict:
    return yaml.safe_load(resources.files("costlib.data").joinpath(name).read_text("utf-8"))


_GRADING = _read("grading_messages.yaml")
MESSAGES: dict[str, str] = dict(_GRADING["messages"])

# The workbook's shared conventions as the question texts state them, formatted from the constants
# the answer functions use (costlib's memory rule and the middle of §30.4's MBU/MFU ranges).
CONVENTIONS: dict[str, str] = {
    "MEMORY_RULE": (f"usable memory = {DEFAULT_MEMORY_FRACTION:.0%} of HBM minus "
                    f"{DEFAULT_RESERVE_BYTES / 1e9:g} GB per GPU"),
    "ROOFLINE": (f"costlib's roofline at MBU {DEFAULT_MBU:.3f} and MFU {DEFAULT_MFU:.2f}, with "
                 f"{DEFAULT_ALLREDUCE_LATENCY_S * 1e6:g} µs per all-reduce (two per layer when TP > 1)"),
}

# Unit slips every numeric question is checked for (after its own slip table).
UNIT_MISTAKES = tuple(
    Mistake(s["message"], factor=s["factor"] if "factor" in s else 1 / s["divide_by"])
    for s in _GRADING["unit_slips"])


def _build(entry: dict, module) -> Question:
    """One Question from its YAML entry and the answer module that computes its numbers."""
    qid = entry["id"]
    values = module.TEXT_VALUES.get(qid, dict)()
    context = {**module.INPUTS, **MESSAGES, **CONVENTIONS, **values}

    def text(s: str) -> str:
        return s.format_map(context)

    slips = module.SLIPS.get(qid, {})
    named = [m["slip"] for m in entry.get("mistakes", ())]
    if sorted(named) != sorted(slips) or len(set(named)) != len(named):
        raise ValueError(f"{qid}: the slip table names {sorted(named)} but the answer module "
                         f"computes {sorted(slips)}")
    mistakes = []
    for m in entry.get("mistakes", ()):
        v = slips[m["slip"]]
        how = {"value": v} if callable(v) else {"factor": v}
        mistakes.append(Mistake(text(m["message"]), rel_tol=m.get("rel_tol"), slip=m["slip"],
                                **how))
    computed = getattr(module, "ALTERNATIVES", {}).get(qid, {})
    listed = [a["name"] for a in entry.get("alternatives", ())]
    if sorted(listed) != sorted(computed):
        raise ValueError(f"{qid}: the data lists alternatives {sorted(listed)} but the answer "
                         f"module computes {sorted(computed)}")
    alternatives = tuple(Alternative(a["name"], text(a["message"]), computed[a["name"]],
                                     accept=a.get("accept", False), also=tuple(a.get("also", ())))
                         for a in entry.get("alternatives", ()))
    options = entry.get("options", ())
    if qid in getattr(module, "OPTION_PICKS", {}):
        by_name = {o["name"]: o for o in options}
        options = [by_name[n] for n in module.OPTION_PICKS[qid]()]
    return Question(
        id=qid, section=text(entry["section"]), summary=text(entry["summary"]),
        ask=text(entry["ask"]), hints=tuple(text(h) for h in entry["hints"]),
        expected=module.EXPECTED.get(qid), unit=entry.get("unit", ""),
        rel_tol=entry.get("rel_tol", 0.02), abs_tol=entry.get("abs_tol", 0.0),
        mistakes=tuple(mistakes),
        options=tuple(Option("abcdefgh"[i], text(o["text"]), o["correct"], text(o["why"]))
                      for i, o in enumerate(options)),
        inputs=module.INPUTS.get(entry.get("inputs")), integer=entry.get("integer", False),
        unit_mistakes=entry.get("unit_mistakes", True), alternatives=alternatives,
        edge_reason=getattr(module, "EDGE_REASONS", {}).get(qid),
        given=tuple(text(g) for g in entry.get("given", ())))


def load_questions() -> list[Question]:
    """Every question of the data files, built (an error in one surfaces on every call)."""
    return [_build(entry, module) for name, module in SOURCES
            for entry in _read(name)["questions"]]


# ---------------------------------------------------------------- registry

_REGISTRY: dict[str, Question] = {}
_STATE = {"loaded": False}


def _ensure_loaded() -> None:
    if not _STATE["loaded"]:
        for q in load_questions():
            _REGISTRY.setdefault(q.id, q)
        _STATE["loaded"] = True


def register(q: Question) -> Question:
    """Add a question to the registry (e.g. a scratch question in a test)."""
    if not isinstance(q, Question):
        raise ValueError(f"register() takes a Question, got {type(q).__name__}")
    _ensure_loaded()
    if q.id in _REGISTRY and _REGISTRY[q.id] is not q:
        raise ValueError(f"question {q.id!r} is registered twice")
    _REGISTRY[q.id] = q
    return q


def unregister(qid: str) -> None:
    """Remove a question added with register() (and forget its cached expected value)."""
    _REGISTRY.pop(qid, None)
    clear_cache()


def sort_key(qid: str):
    """Workbook order: practice problems, concept checks, drills, each by number."""
    m = re.match(r"([a-z]+)(\d+)", qid)
    return ({"p": 0, "cq": 1, "d": 2}.get(m.group(1), 3), int(m.group(2)))


def question_ids() -> list[str]:
    """Every registered question id, in workbook order (p, cq, d)."""
    _ensure_loaded()
    return sorted(_REGISTRY, key=sort_key)


def all_questions() -> list[Question]:
    """Every registered Question, in workbook order."""
    return [_REGISTRY[i] for i in question_ids()]


def unknown_message(qid) -> str:
    """Why ``qid`` is not a question id, naming close ones."""
    import difflib

    ids = question_ids()
    if not isinstance(qid, str):
        return (f"question ids are strings such as 'p1', got {qid!r}. "
                f"Known: {', '.join(ids)} (see cl.questions())")
    close = difflib.get_close_matches(qid.strip().lower(), ids, n=3, cutoff=0.4)
    tip = f" Did you mean {' or '.join(close)}?" if close else ""
    return f"unknown question {qid!r}.{tip} Known: {', '.join(ids)} (see cl.questions())"


def norm_id(qid) -> str | None:
    """A question id as the registry keys it (stripped, lower case), or None if not a string."""
    return qid.strip().lower() if isinstance(qid, str) else None


def find_question(qid) -> Question | None:
    """The Question with this id, or None if there is none (never raises)."""
    _ensure_loaded()
    key = norm_id(qid)
    return None if key is None else _REGISTRY.get(key)


def get_question(qid) -> Question:
    """The Question with this id; a ValueError naming close ids if there is none."""
    _ensure_loaded()
    key = norm_id(qid)
    if key is None or key not in _REGISTRY:
        raise ValueError(unknown_message(qid))
    return _REGISTRY[key]


@functools.lru_cache(maxsize=None)
def _expected_cached(qid: str):
    q = _REGISTRY[qid]
    if q.is_choice:
        return q.correct_option.key
    val = q.expected()
    val = float(np.asarray(val, dtype=float).item())
    if not math.isfinite(val):
        raise ValueError(f"{qid}: the expected value is not finite ({val}); fix the question")
    return val


def expected_value(qid):
    """The expected answer (a number, or the correct letter), computed from the inputs."""
    return _expected_cached(get_question(qid).id)


def clear_cache() -> None:
    """Forget cached expected values (after a question was replaced)."""
    _expected_cached.cache_clear()

"""Exercise checking: check(), hint(), questions() and results() over the question bank.

A question is data (``costlib/data/questions_*.yaml``) plus an answer module that computes its
numbers from the stated inputs (``costlib/teaching/questions_practice.py`` for p1-p7 and cq1-cq4,
``questions_drills.py`` for d1-d10, ``questions_scale.py`` for d11-d13); :mod:`costlib.teaching.bank`
builds them. Notebooks call::

    import costlib as cl
    cl.check("p1", answer)   # one deterministic line: ✓ correct / ✗ not yet + a diagnosis
    cl.hint("p1")            # a nudge (cl.hint("p1", 2) for the next one)
    cl.questions()           # every question: id, section, summary, notebook, solution, tolerance

``check`` never raises on a student's answer: None, text, NaN, lists, arrays, Series, dicts...
all get a one-line explanation. Only an author's mistake (a malformed Question) raises.
"""
from __future__ import annotations

import math
import numbers
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import numpy as np

from costlib.teaching.bank import (
    MESSAGES,
    UNIT_MISTAKES,
    all_questions,
    expected_value,
    find_question,
    get_question,
    question_ids,
    register,
    sort_key,
    unknown_message,
    unregister,
)
from costlib.teaching.question import (
    ID_PATTERN,
    Inputs,
    Mistake,
    Option,
    Question,
    format_number,
)

__all__ = ["Question", "Option", "Mistake", "Inputs", "CheckResult", "Hint", "register",
           "unregister", "get_question", "question_ids", "questions", "check", "hint", "results",
           "reset_results", "forget_result", "expected_value", "UNIT_MISTAKES", "ID_PATTERN", "format_number",
           "MSG_BYTES", "MSG_SPARSE", "MSG_KV_HEADS", "MSG_TP_PRICE", "MSG_NOT_FIT"]

CLOSE_FACTOR = 1.10  # within 10% (but outside tolerance) counts as "close"

# Ready-made diagnoses (costlib/data/grading_messages.yaml), for questions written in Python.
MSG_BYTES = MESSAGES["MSG_BYTES"]
MSG_SPARSE = MESSAGES["MSG_SPARSE"]
MSG_KV_HEADS = MESSAGES["MSG_KV_HEADS"]
MSG_TP_PRICE = MESSAGES["MSG_TP_PRICE"]
MSG_NOT_FIT = MESSAGES["MSG_NOT_FIT"]

_RESULTS: dict = {}


def questions():
    """Every question as a DataFrame: id, section, summary, notebook, solution, tolerance."""
    import pandas as pd

    rows = [{"id": q.id, "section": q.section, "summary": q.summary, "notebook": q.notebook,
             "solution": q.solution, "tolerance": q.tolerance_text}
            for q in all_questions()]
    return pd.DataFrame(rows, columns=["id", "section", "summary", "notebook", "solution",
                                       "tolerance"])


# ---------------------------------------------------------------- feedback objects


class Hint(str):
    """A hint: a str that displays as plain text (no quotes) in a notebook."""

    def __repr__(self):
        return str(self)

    def _repr_pretty_(self, p, cycle):
        p.text(str(self))


@dataclass(frozen=True)
class CheckResult:
    """What check() returns: ``passed`` and a one-line ``message`` (shown as the cell's output).

    ``status`` is one of: correct, wrong, blank, invalid, unknown.
    """

    question_id: str
    passed: bool
    status: str
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        return self.message

    def __str__(self) -> str:
        return self.message

    def _repr_pretty_(self, p, cycle):
        p.text(self.message)

    def _repr_markdown_(self) -> str:
        head, _, rest = self.message.partition(": ")
        text = f"**{_md_escape(head)}**: {_md_escape(rest)}" if rest else f"**{_md_escape(head)}**"
        return text


def _md_escape(text: str) -> str:
    # *, _ and ` would change the formatting; a dollar goes alone in a span, escaped, or Jupyter
    # typesets the text between two of them as LaTeX (tools/dollars.py explains the form).
    return re.sub(r"([\\*_`])", r"\\\1", text).replace("$", r"<span>\$</span>")


# ---------------------------------------------------------------- formatting helpers


def _type_name(x) -> str:
    t = type(x)
    mod = t.__module__.split(".")[0]
    return t.__name__ if mod == "builtins" else f"{mod}.{t.__name__}"


# ---------------------------------------------------------------- reading answers

_NUM_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def _to_float(answer) -> tuple[float | None, str | None]:
    """A real number as a float; huge ints and Fractions are out of range, not an error."""
    if isinstance(answer, Decimal) and answer.is_nan():
        return math.nan, None  # float() refuses a signalling NaN
    try:
        return float(answer), None
    except (OverflowError, ValueError, TypeError, ArithmeticError):
        return None, ("got a number too large for a float (beyond 1.8e308); no answer here is "
                      "that big - check the units")


def _read_number(answer) -> tuple[float | None, str | None]:
    """(value, None) for something that is one number; (None, why-not) otherwise."""
    if isinstance(answer, (bool, np.bool_)):
        return None, (f"got {answer!r}, a yes/no value; this question wants a number")
    if isinstance(answer, (numbers.Real, np.number, Decimal, Fraction)) and \
            not isinstance(answer, (complex, np.complexfloating)):
        return _to_float(answer)
    if isinstance(answer, (complex, np.complexfloating)):
        return None, f"got the complex number {answer!r}; give a real number"
    if isinstance(answer, str):
        s = answer.strip()
        if not s:
            return None, "got an empty string; give a number"
        t = s.replace(" ", "")
        if t.startswith(("$", "US$")):
            t = t.split("$", 1)[1]
        elif t.startswith(("-$", "+$")):
            t = t[0] + t[2:]
        if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?([eE][+-]?\d+)?", t):
            t = t.replace(",", "")
        t = t.replace("_", "") if re.fullmatch(r"[+-]?[\d_.]+", t) else t
        if _NUM_RE.match(t):
            return float(t), None
        if t.lower() in ("nan", "inf", "+inf", "-inf", "infinity"):
            return float(t), None
        return None, (f"could not read a number from the text {answer!r}; give a plain number "
                      "(no units or words), e.g. answer = 12.5 or answer = '12.5'")
    if isinstance(answer, Mapping):
        return None, (f"got a {_type_name(answer)} with {len(answer)} entries; give the one "
                      "number the question asks for (e.g. answer = d['key'])")
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a dependency
        pd = None
    if pd is not None and isinstance(answer, (pd.Series, pd.DataFrame)):
        kind = "Series" if isinstance(answer, pd.Series) else "DataFrame"
        if answer.size == 1:
            return _read_number(answer.to_numpy().reshape(-1)[0])
        return None, (f"got a pandas {kind} with {answer.size} values; pick the one number the "
                      "question asks for (e.g. with .loc[...] or .iloc[0])")
    if isinstance(answer, np.ndarray):
        if answer.size == 1:
            return _read_number(answer.reshape(-1)[0])
        return None, (f"got a numpy array with {answer.size} values (shape {answer.shape}); give "
                      "one number")
    if isinstance(answer, (list, tuple, set, frozenset)):
        items = list(answer)
        if len(items) == 1:
            return _read_number(items[0])
        return None, (f"got a {_type_name(answer)} of {len(items)} items; give one number")
    return None, (f"got a {_type_name(answer)}; give a plain number (int or float)")


def _read_choice(answer, q: Question) -> tuple[str | None, str | None]:
    keys = [o.key for o in q.options]
    letters = ", ".join(keys)
    if isinstance(answer, str):
        t = answer.strip().lower()
        t = re.sub(r"^\(?([a-z])[).:]?$", r"\1", t)
        if t in keys:
            return t, None
        return None, f"got {answer!r}; answer with one letter: {letters}"
    if isinstance(answer, (list, tuple)) and len(answer) == 1:
        return _read_choice(answer[0], q)
    if isinstance(answer, (bool, np.bool_)):
        return None, f"got {answer!r}; answer with one letter: {letters}"
    if isinstance(answer, (numbers.Number, np.number)):
        return None, f"got the number {answer!r}; answer with the option's letter: {letters}"
    return None, f"got a {_type_name(answer)}; answer with one letter: {letters}"


# ---------------------------------------------------------------- check / hint


def _close(x: float, target: float, rel: float, abs_: float = 0.0) -> bool:
    return abs(x - target) <= max(rel * abs(target), abs_)


def _tail(q: Question) -> str:
    return f"Try cl.hint('{q.id}'); worked solution: {q.solution}"


def _unit(q: Question) -> str:
    return q.unit if q.unit in ("", "x", "×") else f" {q.unit}"


def _alternative_tol(q: Question) -> tuple[float, float]:
    """How near an alternative convention's value an answer must be: the nearest whole number for
    an exact count, else 0.2% (or the question's tolerance if tighter), so that the band just
    outside the tolerance stays "close" rather than "accepted"."""
    return (0.0, 0.5) if q.integer and q.rel_tol == 0 else (min(q.rel_tol, 0.002), 0.0)


def _alternative(q: Question, x: float, exp: float):
    """The alternative convention this answer follows, if any (one that differs from exp)."""
    rel, abs_ = _alternative_tol(q)
    for alt in q.alternatives:
        target = float(alt.value())
        if _close(target, exp, q.rel_tol, q.abs_tol):
            continue  # under this convention the answer is the same
        if _close(x, target, rel, abs_):
            return alt
    return None


def _diagnose(q: Question, x: float, exp: float) -> str:
    tol = q.tolerance_text

    def known_slip(mistakes):
        for m in mistakes:
            target = m.target(exp)
            if _close(target, exp, q.rel_tol, q.abs_tol):
                continue  # this slip would not change the answer here
            rel = m.rel_tol if m.rel_tol is not None else max(q.rel_tol, 0.02)
            if _close(x, target, rel):
                return f"{format_number(x, q.integer)} looks like a known slip: {m.message}"
        return None

    # the question's own diagnoses first: some of them have the opposite sign on purpose
    found = known_slip(q.mistakes)
    if found:
        return found
    if exp != 0 and x != 0 and math.copysign(1, x) != math.copysign(1, exp):
        return f"{format_number(x, q.integer)} has the wrong sign"
    found = known_slip(UNIT_MISTAKES) if q.unit_mistakes else None
    if found:
        return found
    if q.edge_reason is not None and x != 0 and 1 / CLOSE_FACTOR <= x / exp <= CLOSE_FACTOR:
        return q.edge_reason(x)
    if x == 0:
        return "0 cannot be right here"
    if exp != 0 and 1 / CLOSE_FACTOR <= x / exp <= CLOSE_FACTOR:
        return (f"{format_number(x, q.integer)} is close but not {tol}: check the inputs you used and "
                "avoid rounding intermediate results")
    side = "high" if abs(x) > abs(exp) else "low"
    return f"{format_number(x, q.integer)} is too {side}"


def check(question_id, answer) -> CheckResult:
    """Check an answer to question ``question_id``; returns a CheckResult (``.passed``) that
    displays as one line. Never raises on a student's answer."""
    q = find_question(question_id)
    if q is None:
        label = question_id if isinstance(question_id, str) else "?"
        return CheckResult(str(label), False, "unknown",
                           f"[{label}] ✗ cannot check: {unknown_message(question_id)}")
    exp = expected_value(q.id)  # an author's mistake in the question raises here
    try:
        res = _judge(q, exp, answer)
    except Exception as exc:  # noqa: BLE001 - the promise: a student's answer never raises
        res = CheckResult(q.id, False, "invalid",
                          f"[{q.id}] ✗ cannot check: reading the answer failed "
                          f"({type(exc).__name__}); give one plain number or letter")
    _RESULTS[q.id] = res
    return res


def _judge(q: Question, exp, answer) -> CheckResult:
    """The CheckResult for one answer to q, whose expected answer is exp."""
    if answer is None or answer is Ellipsis:
        what = (f"one letter ({', '.join(o.key for o in q.options)})" if q.is_choice
                else q.ask)
        widget = " (or pick an option in the widget)" if q.is_choice else ""
        res = CheckResult(q.id, False, "blank",
                          f"[{q.id}] ✗ no answer yet: set answer to {what} and run this cell "
                          f"again{widget}. {_tail(q)}")
    elif q.is_choice:
        key_, why_not = _read_choice(answer, q)
        if key_ is None:
            res = CheckResult(q.id, False, "invalid", f"[{q.id}] ✗ cannot check: {why_not}")
        else:
            opt = next(o for o in q.options if o.key == key_)
            if opt.correct:
                res = CheckResult(q.id, True, "correct", f"[{q.id}] ✓ correct: ({key_}) {opt.why}")
            else:
                res = CheckResult(q.id, False, "wrong",
                                  f"[{q.id}] ✗ not yet: ({key_}) {opt.why} Try again, or "
                                  f"cl.hint('{q.id}')")
    else:
        x, why_not = _read_number(answer)
        if x is None:
            res = CheckResult(q.id, False, "invalid",
                              f"[{q.id}] ✗ cannot check: {why_not}. The question asks for "
                              f"{q.ask}.")
        elif math.isnan(x):
            res = CheckResult(q.id, False, "invalid",
                              f"[{q.id}] ✗ cannot check: the answer is NaN (not a number), "
                              "usually 0/0 or a missing value upstream. Print the intermediate "
                              "values to find where it appears.")
        elif math.isinf(x):
            res = CheckResult(q.id, False, "invalid",
                              f"[{q.id}] ✗ cannot check: the answer is infinite, usually a "
                              "division by zero (a throughput or a price of 0?).")
        elif _close(x, exp, q.rel_tol, q.abs_tol):
            res = CheckResult(q.id, True, "correct",
                              f"[{q.id}] ✓ correct: {format_number(x, q.integer)}{_unit(q)} is "
                              f"{q.tolerance_text} of the expected answer. Worked solution: "
                              f"{q.solution}")
        elif (alt := _alternative(q, x, exp)) is not None and alt.accept:
            res = CheckResult(q.id, True, "correct",
                              f"[{q.id}] ✓ accepted: {format_number(x, q.integer)}{_unit(q)} "
                              f"{alt.message}. Worked solution: {q.solution}")
        elif alt is not None:
            res = CheckResult(q.id, False, "wrong",
                              f"[{q.id}] ✗ not yet: {format_number(x, q.integer)} "
                              f"{alt.message} (the check accepts answers {q.tolerance_text}). "
                              f"{_tail(q)}")
        else:
            res = CheckResult(q.id, False, "wrong",
                              f"[{q.id}] ✗ not yet: {_diagnose(q, x, exp)} (the check accepts "
                              f"answers {q.tolerance_text}). {_tail(q)}")
    return res


def hint(question_id, n: int = 1) -> Hint:
    """The n-th hint (1 = gentlest) for a question, as plain text; says how many there are."""
    q = find_question(question_id)
    if q is None:
        return Hint(f"No hint: {unknown_message(question_id)}")
    total = len(q.hints)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        return Hint(f"[{q.id}] hint numbers run from 1 to {total}; try cl.hint('{q.id}', 1)")
    n = int(min(n, total))
    more = (f" (hint {n} of {total}; next: cl.hint('{q.id}', {n + 1}))" if n < total
            else f" (hint {n} of {total}; worked solution: {q.solution})")
    return Hint(f"[{q.id}] hint: {q.hints[n - 1]}{more}")


def results() -> dict[str, CheckResult]:
    """The latest CheckResult per question checked in this session (id -> result)."""
    return {k: _RESULTS[k] for k in sorted(_RESULTS, key=sort_key)}


def forget_result(question_id) -> None:
    """Forget the recorded check result of one question (e.g. a scratch question in a test)."""
    _RESULTS.pop(question_id, None)


def reset_results() -> None:
    """Forget every recorded check result of this session."""
    _RESULTS.clear()

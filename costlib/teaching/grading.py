"""Exercise checking: question registry, check(), hint(), questions() (the widget: costlib.ui.quiz).

A question is defined once, in ``costlib/teaching/questions_practice.py`` (practice problems p1-p7
and concept checks cq1-cq4) or ``costlib/teaching/questions_drills.py`` (interview drills d1...), as a
:class:`Question` passed to :func:`register`. Its expected answer is a function that computes the
value with costlib from the question's stated inputs (never a typed literal). Notebooks then call::

    import costlib as cl
    cl.check("p1", answer)   # one deterministic line: ✓ correct / ✗ not yet + a diagnosis
    cl.hint("p1")            # a nudge (cl.hint("p1", 2) for the next one)
    cl.questions()           # every question: id, section, summary, notebook, solution, tolerance

``check`` never raises on a student's answer: None, text, NaN, lists, arrays, Series, dicts...
all get a one-line explanation. Only an author's mistake (a malformed Question) raises.
"""
from __future__ import annotations

import difflib
import functools
import importlib
import importlib.util
import math
import numbers
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

import numpy as np

from costlib.common import fmt
from costlib.teaching.chapter import Inputs  # read-only named inputs, shared with costlib.chapter

__all__ = ["Question", "Option", "Mistake", "Inputs", "CheckResult", "Hint", "register",
           "get_question", "question_ids", "questions", "check", "hint", "results",
           "reset_results", "expected_value", "UNIT_MISTAKES",
           "MSG_BYTES", "MSG_SPARSE", "MSG_KV_HEADS", "MSG_TP_PRICE", "MSG_NOT_FIT"]

# Modules that define questions, imported on first use (a missing drills module is fine).
QUESTION_MODULES = ("costlib.teaching.questions_practice", "costlib.teaching.questions_drills")
SOLUTIONS_DIR = "solutions"
EXERCISES_DIR = "exercises"
ID_PATTERN = re.compile(r"^(p[1-7]|cq[1-4]|d[1-9][0-9]*)$")
CLOSE_FACTOR = 1.10  # within 10% (but outside tolerance) counts as "close"

# Ready-made diagnoses for the mistakes the workbook sees most (use them in Mistake(...)).
MSG_BYTES = ("check the bytes per value: bf16 stores 2 bytes per number, fp8 1 byte, int4 half a "
             "byte")
MSG_SPARSE = ("datasheets headline sparse FLOP/s, twice the dense rate real matmuls get: use the "
              "dense figure")
MSG_KV_HEADS = ("the KV cache stores keys and values for the KV heads only (grouped-query "
                "attention), not for every attention head")
MSG_TP_PRICE = ("a replica of TP GPUs costs TP times the per-GPU price: count every GPU you pay "
                "for")
MSG_NOT_FIT = ("that prices a configuration that does not fit in memory: check weights + KV cache "
               "against usable HBM first (cl.fit)")


# ---------------------------------------------------------------- definitions


@dataclass(frozen=True)
class Mistake:
    """A known wrong answer and what it means: ``factor`` x expected, or ``value()`` computed."""

    message: str
    factor: float | None = None
    value: Callable[[], float] | None = None
    rel_tol: float | None = None  # default: max(the question's tolerance, 2%)

    def __post_init__(self):
        if (self.factor is None) == (self.value is None):
            raise ValueError("Mistake needs exactly one of factor= or value=")
        if not self.message:
            raise ValueError("Mistake needs a message")

    def target(self, expected: float) -> float:
        return expected * self.factor if self.factor is not None else float(self.value())


# Unit slips every numeric question is checked for (after its own mistakes).
UNIT_MISTAKES = (
    Mistake("about 3,600x too large: an hour has 3,600 seconds (convert tokens/s to tokens/hour "
            "once, and divide $/hour by tokens/hour)", factor=3600),
    Mistake("about 3,600x too small: an hour has 3,600 seconds (did you convert between seconds "
            "and hours twice, or the wrong way?)", factor=1 / 3600),
    Mistake("about 60x off: that is a minutes/seconds or minutes/hours slip", factor=60),
    Mistake("about 60x off: that is a minutes/seconds or minutes/hours slip", factor=1 / 60),
    Mistake("about 10^6 times off: per token vs per million tokens (or tokens vs millions of "
            "tokens)", factor=1e6),
    Mistake("about 10^6 times off: per token vs per million tokens (or tokens vs millions of "
            "tokens)", factor=1e-6),
    Mistake("about 1,000x off: per thousand vs per million, or GB vs TB / kB vs MB",
            factor=1e3),
    Mistake("about 1,000x off: per thousand vs per million, or GB vs TB / kB vs MB",
            factor=1e-3),
    Mistake("about 10^9 times off: bytes vs GB (or FLOP vs GFLOP)", factor=1e9),
    Mistake("about 10^9 times off: bytes vs GB (or FLOP vs GFLOP)", factor=1e-9),
    Mistake("100x off: give a fraction (0.25), not a percentage (25) - or the other way round",
            factor=100),
    Mistake("100x off: give a fraction (0.25), not a percentage (25) - or the other way round",
            factor=0.01),
)


@dataclass(frozen=True)
class Option:
    """One multiple-choice option: its letter, its text and why it is right or wrong."""

    key: str
    text: str
    correct: bool
    why: str


@dataclass(frozen=True)
class Question:
    """One gradable question. Numeric ones give ``expected``; multiple-choice ones give ``options``.

    Fields:
      id        p1..p7, cq1..cq4 or d1..dN; the notebooks are solutions/<id>.ipynb and
                exercises/<id>.ipynb
      section   the chapter place, e.g. "§30.1" or "Practice 1, §30.1"
      summary   one line for cl.questions()
      ask       the exact quantity asked, with its unit ("$ per million output tokens")
      expected  zero-argument function computing the answer with costlib (numeric questions)
      unit      short unit for messages ("$/M tokens"; "" for ratios and counts)
      rel_tol   relative tolerance (0.02 = within 2%); abs_tol: absolute tolerance, if any
      mistakes  question-specific Mistake diagnoses, tried before UNIT_MISTAKES
      hints     one or more nudges, gentlest first
      options   Option tuple for multiple choice (exactly one correct)
      inputs    the question's named Inputs (for reference; notebooks import them by name)
      integer   the answer is a count (shown without decimals)
    """

    id: str
    section: str
    summary: str
    ask: str
    hints: tuple
    expected: Callable[[], float] | None = None
    unit: str = ""
    rel_tol: float = 0.02
    abs_tol: float = 0.0
    mistakes: tuple = ()
    options: tuple = ()
    inputs: Inputs | None = field(default=None, compare=False)
    integer: bool = False
    unit_mistakes: bool = True

    def __post_init__(self):
        if not isinstance(self.id, str) or not ID_PATTERN.match(self.id):
            raise ValueError(f"question id must be p1..p7, cq1..cq4 or d1..dN, got {self.id!r}")
        for name in ("section", "summary", "ask"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name).strip():
                raise ValueError(f"{self.id}: {name} must be a non-empty string")
        hints = (self.hints,) if isinstance(self.hints, str) else tuple(self.hints)
        if not hints or not all(isinstance(h, str) and h.strip() for h in hints):
            raise ValueError(f"{self.id}: give at least one non-empty hint")
        object.__setattr__(self, "hints", hints)
        object.__setattr__(self, "mistakes", tuple(self.mistakes))
        object.__setattr__(self, "options", tuple(self.options))
        if self.options:
            if self.expected is not None:
                raise ValueError(f"{self.id}: give expected= or options=, not both")
            keys = [o.key for o in self.options]
            if keys != list("abcdefgh"[:len(keys)]) or len(keys) < 2:
                raise ValueError(f"{self.id}: option keys must be a, b, c, ... in order; "
                                 f"got {keys}")
            if sum(o.correct for o in self.options) != 1:
                raise ValueError(f"{self.id}: exactly one option must be correct")
            if not all(o.why.strip() for o in self.options):
                raise ValueError(f"{self.id}: every option needs a 'why'")
        elif not callable(self.expected):
            raise ValueError(f"{self.id}: numeric questions need expected= (a function)")
        if not (0 <= self.rel_tol < 1) or self.abs_tol < 0 or (self.rel_tol == 0 == self.abs_tol
                                                               and not self.options):
            raise ValueError(f"{self.id}: give rel_tol in (0, 1) and/or abs_tol > 0")

    @property
    def is_choice(self) -> bool:
        return bool(self.options)

    @property
    def notebook(self) -> str:
        return f"{EXERCISES_DIR}/{self.id}.ipynb"

    @property
    def solution(self) -> str:
        return f"{SOLUTIONS_DIR}/{self.id}.ipynb"

    @property
    def tolerance_text(self) -> str:
        if self.is_choice:
            return "one letter"
        parts = []
        if self.rel_tol:
            parts.append(f"within {fmt.percent(self.rel_tol, 'g')}")
        if self.abs_tol:
            parts.append(f"within ±{fmt.number(self.abs_tol, self.integer)}")
        return " or ".join(parts)

    @property
    def correct_option(self) -> Option | None:
        return next((o for o in self.options if o.correct), None)

    def stub(self) -> str:
        """The line the exercise generator puts where the solution computed ``answer``."""
        if self.is_choice:
            letters = ", ".join(f'"{o.key}"' for o in self.options)
            return f"answer = None  # your answer: one of {letters}"
        return f"answer = None  # your answer: {self.ask}"


# ---------------------------------------------------------------- registry

_REGISTRY: dict[str, Question] = {}
_RESULTS: dict[str, CheckResult] = {}
_loaded = False


def register(q: Question) -> Question:
    """Add a question to the registry (called by the question modules at import)."""
    if not isinstance(q, Question):
        raise ValueError(f"register() takes a Question, got {type(q).__name__}")
    if q.id in _REGISTRY and _REGISTRY[q.id] is not q:
        raise ValueError(f"question {q.id!r} is registered twice")
    _REGISTRY[q.id] = q
    return q


def _load() -> None:
    global _loaded
    if _loaded:
        return
    for name in QUESTION_MODULES:  # an error in a question module surfaces on every call
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)
    _loaded = True


def _sort_key(qid: str):
    m = re.match(r"([a-z]+)(\d+)", qid)
    return ({"p": 0, "cq": 1, "d": 2}.get(m.group(1), 3), int(m.group(2)))


def question_ids() -> list[str]:
    """Every registered question id, in workbook order (p, cq, d)."""
    _load()
    return sorted(_REGISTRY, key=_sort_key)


def _unknown_message(qid) -> str:
    ids = question_ids()
    if not isinstance(qid, str):
        return (f"question ids are strings such as 'p1', got {qid!r}. "
                f"Known: {', '.join(ids)} (see cl.questions())")
    close = difflib.get_close_matches(qid.strip().lower(), ids, n=3, cutoff=0.4)
    tip = f" Did you mean {' or '.join(close)}?" if close else ""
    return f"unknown question {qid!r}.{tip} Known: {', '.join(ids)} (see cl.questions())"


def _norm_id(qid) -> str | None:
    return qid.strip().lower() if isinstance(qid, str) else None


def get_question(qid) -> Question:
    """The Question with this id; a ValueError naming close ids if there is none."""
    _load()
    key = _norm_id(qid)
    if key is None or key not in _REGISTRY:
        raise ValueError(_unknown_message(qid))
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


def questions():
    """Every question as a DataFrame: id, section, summary, notebook, solution, tolerance."""
    import pandas as pd

    rows = [{"id": q.id, "section": q.section, "summary": q.summary, "notebook": q.notebook,
             "solution": q.solution, "tolerance": q.tolerance_text}
            for q in (_REGISTRY[i] for i in question_ids())]
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


def _read_number(answer) -> tuple[float | None, str | None]:
    """(value, None) for something that is one number; (None, why-not) otherwise."""
    if isinstance(answer, (bool, np.bool_)):
        return None, (f"got {answer!r}, a yes/no value; this question wants a number")
    if isinstance(answer, (numbers.Real, np.number, Decimal, Fraction)) and \
            not isinstance(answer, (complex, np.complexfloating)):
        return float(answer), None
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


def _diagnose(q: Question, x: float, exp: float) -> str:
    tol = q.tolerance_text

    def known_slip(mistakes):
        for m in mistakes:
            target = m.target(exp)
            if _close(target, exp, q.rel_tol, q.abs_tol):
                continue  # this slip would not change the answer here
            rel = m.rel_tol if m.rel_tol is not None else max(q.rel_tol, 0.02)
            if _close(x, target, rel):
                return f"{fmt.number(x, q.integer)} looks like a known slip: {m.message}"
        return None

    # the question's own diagnoses first: some of them have the opposite sign on purpose
    found = known_slip(q.mistakes)
    if found:
        return found
    if exp != 0 and x != 0 and math.copysign(1, x) != math.copysign(1, exp):
        return f"{fmt.number(x, q.integer)} has the wrong sign"
    found = known_slip(UNIT_MISTAKES) if q.unit_mistakes else None
    if found:
        return found
    if x == 0:
        return "0 cannot be right here"
    if exp != 0 and 1 / CLOSE_FACTOR <= x / exp <= CLOSE_FACTOR:
        return (f"{fmt.number(x, q.integer)} is close but not {tol}: check the inputs you used and "
                "avoid rounding intermediate results")
    side = "high" if abs(x) > abs(exp) else "low"
    return f"{fmt.number(x, q.integer)} is too {side}"


def check(question_id, answer) -> CheckResult:
    """Check an answer to question ``question_id``; returns a CheckResult (``.passed``) that
    displays as one line. Never raises on a student's answer."""
    _load()
    key = _norm_id(question_id)
    if key is None or key not in _REGISTRY:
        label = question_id if isinstance(question_id, str) else "?"
        return CheckResult(str(label), False, "unknown",
                           f"[{label}] ✗ cannot check: {_unknown_message(question_id)}")
    q = _REGISTRY[key]
    exp = _expected_cached(q.id)
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
            unit = q.unit if q.unit in ("", "x", "×") else f" {q.unit}"
            res = CheckResult(q.id, True, "correct",
                              f"[{q.id}] ✓ correct: {fmt.number(x, q.integer)}{unit} is "
                              f"{q.tolerance_text} of the expected answer. Worked solution: "
                              f"{q.solution}")
        else:
            res = CheckResult(q.id, False, "wrong",
                              f"[{q.id}] ✗ not yet: {_diagnose(q, x, exp)} (the check accepts "
                              f"answers {q.tolerance_text}). {_tail(q)}")
    _RESULTS[q.id] = res
    return res


def hint(question_id, n: int = 1) -> Hint:
    """The n-th hint (1 = gentlest) for a question, as plain text; says how many there are."""
    _load()
    key = _norm_id(question_id)
    if key is None or key not in _REGISTRY:
        return Hint(f"No hint: {_unknown_message(question_id)}")
    q = _REGISTRY[key]
    total = len(q.hints)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        return Hint(f"[{q.id}] hint numbers run from 1 to {total}; try cl.hint('{q.id}', 1)")
    n = int(min(n, total))
    more = (f" (hint {n} of {total}; next: cl.hint('{q.id}', {n + 1}))" if n < total
            else f" (hint {n} of {total}; worked solution: {q.solution})")
    return Hint(f"[{q.id}] hint: {q.hints[n - 1]}{more}")


def results() -> dict[str, CheckResult]:
    """The latest CheckResult per question checked in this session (id -> result)."""
    return {k: _RESULTS[k] for k in sorted(_RESULTS, key=_sort_key)}


def reset_results() -> None:
    """Forget every recorded check result of this session."""
    _RESULTS.clear()

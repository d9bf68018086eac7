"""What a gradable question is: Question, Mistake and Option, and how its numbers are shown.

The questions themselves are data (costlib/data/questions.yaml, built by costlib.teaching.bank);
this module only defines the records and their checks, so every other teaching module can import it.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from costlib.common import fmt
from costlib.teaching.chapter.inputs import Inputs

__all__ = ["Question", "Option", "Mistake", "Alternative", "Inputs", "ID_PATTERN", "SOLUTIONS_DIR",
           "EXERCISES_DIR", "percent", "format_number"]

SOLUTIONS_DIR = "solutions"
EXERCISES_DIR = "exercises"
ID_PATTERN = re.compile(r"^(p[1-7]|cq[1-4]|d[1-9][0-9]*)$")


def percent(x: float) -> str:
    """A fraction as a percentage with no trailing zeros (0.02 -> "2%")."""
    return fmt.percent(x, "g")


# A student's number, shortly and deterministically (4 significant digits): the common formatter.
format_number = fmt.number


@dataclass(frozen=True)
class Mistake:
    """A known wrong answer and what it means: ``factor`` x expected, or ``value()`` computed."""

    message: str
    factor: float | None = None
    value: Callable[[], float] | None = None
    rel_tol: float | None = None  # default: max(the question's tolerance, 2%)
    slip: str = ""  # its name in the question's slip table

    def __post_init__(self):
        if (self.factor is None) == (self.value is None):
            raise ValueError("Mistake needs exactly one of factor= or value=")
        if not self.message:
            raise ValueError("Mistake needs a message")

    def target(self, expected: float) -> float:
        return expected * self.factor if self.factor is not None else float(self.value())


@dataclass(frozen=True)
class Alternative:
    """An answer under another defensible convention: accepted with a note, or refused by name."""

    name: str
    message: str
    value: Callable[[], float]
    accept: bool = False
    also: tuple = ()  # slips of the table that give the same number (the message covers them)

    def __post_init__(self):
        if not self.message or not callable(self.value):
            raise ValueError(f"Alternative {self.name!r} needs a message and a value function")


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
      alternatives  Alternative answers under other conventions, checked before the slips
      edge_reason   for a hard-edge count: why a nearby wrong count fails (e.g. "684 sequences
                do not fit: 0.6 GB short")
      given     every constant the answer depends on, formatted from the constant the answer
                function uses (e.g. "MBU 0.725"); each must appear in the summary or the ask
                (tests/test_given_constants.py)
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
    alternatives: tuple = ()
    edge_reason: Callable[[float], str] | None = field(default=None, compare=False)
    given: tuple = ()

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
        object.__setattr__(self, "given", tuple(self.given))
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
            parts.append(f"within {percent(self.rel_tol)}")
        if self.abs_tol:
            parts.append(f"within ±{format_number(self.abs_tol, self.integer)}")
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

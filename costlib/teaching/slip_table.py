"""The instructor guide's table of what cl.check diagnoses, generated from the slip tables.

``python -m costlib.teaching.slip_table workshop/README.md`` rewrites the block between the two
markers; tests/test_slips.py fails when the block and the question data disagree.
"""
from __future__ import annotations

import sys
from pathlib import Path

from costlib.teaching.bank import UNIT_MISTAKES, all_questions

__all__ = ["START", "END", "markdown", "block", "update"]

START = ("<!-- slip table: start (generated from costlib/data/questions_*.yaml by "
         "`python -m costlib.teaching.slip_table workshop/README.md`; do not edit by hand) -->")
END = "<!-- slip table: end -->"


def _cell(text: str) -> str:
    # a dollar alone in an escaped span: the one form markdown renderers never typeset as math
    return text.replace("|", "\\|").replace("\n", " ").replace("$", r"<span>\$</span>")


def markdown() -> str:
    """Every question's slips and alternative conventions as one markdown table."""
    lines = ["| exercise | name | kind | what `cl.check` says |", "|---|---|---|---|"]
    for q in all_questions():
        for m in q.mistakes:
            lines.append(f"| {q.id} | `{m.slip}` | slip | {_cell(m.message)} |")
        for a in q.alternatives:
            kind = "accepted convention" if a.accept else "refused alternative"
            lines.append(f"| {q.id} | `{a.name}` | {kind} | the answer {_cell(a.message)} |")
    n_unit = len(UNIT_MISTAKES)
    lines.append("")
    lines.append(f"Every numeric exercise is also checked for the {n_unit} unit slips of "
                 "`costlib/data/grading_messages.yaml` (the table above this one).")
    return "\n".join(lines)


def block(text: str) -> str:
    """The generated block of a document (between the markers, without them)."""
    if START not in text or END not in text:
        raise ValueError("the document has no slip-table markers")
    return text.split(START, 1)[1].split(END, 1)[0].strip("\n")


def update(path) -> bool:
    """Rewrite the block in ``path``; True if it changed."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    old = block(text)
    new = markdown()
    if old == new:
        return False
    path.write_text(text.replace(f"{START}\n{old}\n{END}", f"{START}\n{new}\n{END}"),
                    encoding="utf-8")
    return True


if __name__ == "__main__":  # pragma: no cover - a command-line wrapper
    for arg in sys.argv[1:] or ["workshop/README.md"]:
        print(f"{arg}: {'updated' if update(arg) else 'up to date'}")

"""Text notebooks (.py, py:percent) and their executed .ipynb twins must agree, and carry outputs.

nbval only compares outputs that are saved in the .ipynb: a stripped or stale notebook would pass
it while checking nothing. These tests close that gap.
"""
from __future__ import annotations

import re
from pathlib import Path

import jupytext
import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ["notebooks", "solutions", "app"]
PAIRS = sorted(p for f in FOLDERS for p in (ROOT / f).glob("*.py") if not p.name.startswith("_"))


def _cells(nb):
    return [(c.cell_type, c.source.strip()) for c in nb.cells]


def test_there_are_notebooks():
    assert len([p for p in PAIRS if p.parent.name == "notebooks"]) >= 11
    assert len([p for p in PAIRS if p.parent.name == "solutions"]) >= 11


@pytest.mark.parametrize("py", PAIRS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_pair_in_sync(py):
    ipynb = py.with_suffix(".ipynb")
    assert ipynb.exists(), f"{ipynb.name} missing: run tools/build_notebooks.py {py.relative_to(ROOT)}"
    assert _cells(jupytext.read(py)) == _cells(nbformat.read(ipynb, as_version=4)), \
        f"{py.name} and {ipynb.name} differ: re-run tools/build_notebooks.py"


@pytest.mark.parametrize("py", PAIRS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_executed_with_outputs(py):
    nb = nbformat.read(py.with_suffix(".ipynb"), as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, "no code cells"
    assert all(c.get("execution_count") for c in code), "not executed top to bottom"
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors, f"saved outputs contain an error: {errors[0].get('ename')}"
    if py.parent.name == "notebooks":
        checked = [c for c in code if "NBVAL_CHECK_OUTPUT" in c.source]
        assert len(checked) >= 2, "mark the cells that print key numbers with # NBVAL_CHECK_OUTPUT"
        assert all(c.outputs for c in checked), "a # NBVAL_CHECK_OUTPUT cell has no saved output"


@pytest.mark.parametrize("py", [p for p in PAIRS if p.parent.name == "notebooks"],
                         ids=lambda p: p.stem)
def test_notebook_shape(py):
    nb = jupytext.read(py)
    text = "\n".join(c.source for c in nb.cells)
    assert "§30." in text, "say which chapter section the notebook follows"
    assert re.search(r"\bwidgets\.\w+\(", text), \
        "every notebook has at least one explorer from costlib/ui/widgets/"
    last = nb.cells[-1]
    assert last.cell_type == "markdown" and "takeaway" in last.source.lower(), \
        "end with a takeaways cell"

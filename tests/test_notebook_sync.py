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
# the py:percent twins live in a py/ folder beside their notebooks (jupytext.toml)
PAIRS = sorted(p for f in FOLDERS for p in (ROOT / f / "py").glob("*.py"))


def ipynb_of(py: Path) -> Path:
    return py.parent.parent / f"{py.stem}.ipynb"


def _cells(nb):
    return [(c.cell_type, c.source.strip()) for c in nb.cells]


def test_there_are_notebooks():
    assert len([p for p in PAIRS if p.parent.parent.name == "notebooks"]) >= 11
    assert len([p for p in PAIRS if p.parent.parent.name == "solutions"]) >= 11


@pytest.mark.parametrize("py", PAIRS, ids=lambda p: f"{p.parent.parent.name}/{p.stem}")
def test_pair_in_sync(py):
    ipynb = ipynb_of(py)
    assert ipynb.exists(), f"{ipynb.name} missing: run tools/build_notebooks.py {py.relative_to(ROOT)}"
    assert _cells(jupytext.read(py)) == _cells(nbformat.read(ipynb, as_version=4)), \
        f"{py.name} and {ipynb.name} differ: re-run tools/build_notebooks.py"


@pytest.mark.parametrize("py", PAIRS, ids=lambda p: f"{p.parent.parent.name}/{p.stem}")
def test_executed_with_outputs(py):
    nb = nbformat.read(ipynb_of(py), as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, "no code cells"
    assert all(c.get("execution_count") for c in code), "not executed top to bottom"
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors, f"saved outputs contain an error: {errors[0].get('ename')}"
    if py.parent.parent.name == "notebooks":
        checked = [c for c in code if "nbval-check-output" in c.metadata.get("tags", [])]
        assert len(checked) >= 2, "tag the cells that print key numbers nbval-check-output"
        assert all(c.outputs for c in checked), "an nbval-check-output cell has no saved output"


@pytest.mark.parametrize("py", PAIRS, ids=lambda p: f"{p.parent.parent.name}/{p.stem}")
def test_no_test_scaffolding_in_the_code(py):
    """nbval's markers are cell tags (nbval 0.11 reads nbval-check-output etc.), not comments."""
    nb = jupytext.read(py)
    marked = [c.source.splitlines()[0] for c in nb.cells
              if c.cell_type == "code" and re.search(r"#\s*(NBVAL|PYTEST_VALIDATE)_", c.source)]
    assert not marked, f"nbval comment markers left in the code: {marked[:3]}"
    tags = {t for c in nb.cells for t in c.metadata.get("tags", [])}
    assert tags <= {"nbval-check-output", "nbval-ignore-output", "nbval-skip", "raises-exception"}, tags


@pytest.mark.parametrize("py", [p for p in PAIRS if p.parent.parent.name == "notebooks"],
                         ids=lambda p: p.stem)
def test_notebook_shape(py):
    nb = jupytext.read(py)
    text = "\n".join(c.source for c in nb.cells)
    assert "§30." in text, "say which chapter section the notebook follows"
    assert re.search(r"\b(?:lever_)?widgets\.\w+\(", text), \
        "every notebook has at least one explorer from costlib/ui/widgets/ (or lever_widgets.py, built on it)"
    last = nb.cells[-1]
    assert last.cell_type == "markdown" and "takeaway" in last.source.lower(), \
        "end with a takeaways cell"


NOTEBOOKS = sorted(p for p in (ROOT / "notebooks").glob("[0-9][0-9]*_*.ipynb"))  # 07b after 07
LINK = re.compile(r"\[[^\]]+\]\(([^)\s]+)\)")


@pytest.mark.parametrize("ipynb", NOTEBOOKS, ids=lambda p: p.stem)
def test_ends_with_links_to_the_next_notebook_and_its_exercises(ipynb):
    last = nbformat.read(ipynb, as_version=4).cells[-1]
    targets = LINK.findall(last.source)
    i = NOTEBOOKS.index(ipynb)
    nxt = NOTEBOOKS[i + 1].name if i + 1 < len(NOTEBOOKS) else NOTEBOOKS[0].name
    assert nxt in targets, f"the last cell should link to the next notebook, {nxt}, as [title]({nxt})"
    assert any(re.fullmatch(r"\.\./exercises/\w+\.ipynb", t) for t in targets), \
        "the last cell should link to the notebook's exercises (../exercises/<id>.ipynb)"
    for t in targets:
        if not t.startswith(("http://", "https://", "#")):
            assert (ipynb.parent / t).exists(), f"broken link {t}"


def test_start_here_has_a_table_of_contents_with_a_promise_per_notebook():
    nb = nbformat.read(ROOT / "notebooks" / "00_start_here.ipynb", as_version=4)
    toc = next(c.source for c in nb.cells if c.cell_type == "markdown" and "## Contents" in c.source)
    rows = {m.group(1): m.group(2).strip() for m in
            re.finditer(r"^\| \[[^\]]+\]\(([^)]+\.ipynb)\) \| (.+?) \|$", toc, flags=re.M)}
    assert sorted(rows) == [p.name for p in NOTEBOOKS], "the contents must list every notebook, in order"
    assert all(len(promise.split()) >= 6 for promise in rows.values()), "one line of promise per notebook"


@pytest.mark.parametrize("py", PAIRS, ids=lambda p: f"{p.parent.parent.name}/{p.stem}")
def test_kernelspec_is_the_installed_one(py):
    """JupyterLab rewrites metadata.kernelspec with the running kernel's spec when a notebook opens;
    a different display_name marks a notebook modified before anyone edits it."""
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec("python3")
    want = {"name": "python3", "display_name": spec.display_name, "language": spec.language}
    for nb in (jupytext.read(py), nbformat.read(ipynb_of(py), as_version=4)):
        assert dict(nb.metadata.get("kernelspec", {})) == want


SAVED = sorted(p for f in (*FOLDERS, "exercises") for p in (ROOT / f).glob("*.ipynb"))
WARNING = re.compile(r"\b\w*Warning\b|/site-packages/|/work/|/home/")


@pytest.mark.parametrize("nb_path", SAVED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_saved_outputs_show_no_warning_and_no_local_path(nb_path):
    """What a reader sees in a saved notebook (and in the book) is the workbook's output: no Python
    warning (e.g. a layout that collapsed) and no path of the machine that executed it."""
    nb = nbformat.read(nb_path, as_version=4)
    bad = [(i, line) for i, c in enumerate(nb.cells) if c.cell_type == "code"
           for o in c.get("outputs", []) if o.get("output_type") == "stream"
           for line in str(o.get("text", "")).splitlines() if WARNING.search(line)]
    assert not bad, f"{nb_path.name}: {bad[:3]}"

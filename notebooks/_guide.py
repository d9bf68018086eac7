"""The start notebook's plumbing: the environment check, the workbook map and the CLI example.

``00_start_here`` imports this module so that a learner's first cells show what the workbook does,
not how it finds its files (§30.1–§30.11). Tested by tests/test_guide.py.
"""
from __future__ import annotations

import importlib
import importlib.metadata
import re
import subprocess
import sys
from pathlib import Path

from IPython.display import Markdown

HERE = Path(__file__).resolve().parent
DOLLAR = r"<span>\$</span>"  # a dollar sign that markdown renderers never read as LaTeX (tools/dollars.py)
MIN_PYTHON = (3, 10)
# (import name, distribution name, why the workbook needs it)
REQUIRED = [
    ("costlib", "inference-cost-workbook", "the calculator behind every number"),
    ("pandas", "pandas", "tables"),
    ("matplotlib", "matplotlib", "figures"),
    ("ipywidgets", "ipywidgets", "the explorers' controls"),
    ("jupyterlab_widgets", "jupyterlab_widgets", "shows the explorers in JupyterLab"),
]


def check_environment(python=None, required=REQUIRED) -> Markdown:
    """One line per requirement, with a fix for anything missing (§30.1)."""
    py = tuple(sys.version_info[:3]) if python is None else tuple(python)
    ok = py[:2] >= MIN_PYTHON
    lines = [f"{'✓' if ok else '✗'} Python {'.'.join(map(str, py))}"
             + ("" if ok else f": the workbook needs Python {'.'.join(map(str, MIN_PYTHON))} or newer")]
    missing = 0
    for module, dist, why in required:
        try:
            importlib.import_module(module)
            version = importlib.metadata.version(dist)
            lines.append(f"✓ {module} {version} ({why})")
        except (ImportError, importlib.metadata.PackageNotFoundError):
            missing += 1
            lines.append(f"✗ {module} is missing ({why}): run `make lab` from the repository root, "
                         "or `pip install -e '.[notebooks]'`")
    verdict = "**Ready.**" if ok and not missing else "**Not ready yet**: fix the lines marked ✗."
    return Markdown(verdict + "\n\n" + "\n".join(f"- {line}" for line in lines))


def sections_of(text: str) -> list[int]:
    """Chapter sections named in a title: '§30.4–§30.5' -> [4, 5], '§30.3' -> [3] (§30.1)."""
    found: set[int] = set()
    for a, b in re.findall(r"§30\.(\d+)(?:\s*[–-]\s*(?:§?30\.)?(\d+))?", text):
        found.update(range(int(a), int(b or a) + 1))
    return sorted(found)


def notebook_title(path: Path) -> str:
    """The first markdown heading of a notebook (its .ipynb, read as JSON) (§30.1)."""
    import nbformat

    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return path.stem


def markdown_table(rows: list[dict]) -> str:
    """Dicts with the same keys as a markdown table; dollars in the form no renderer typesets (§30.1)."""
    if not rows:
        return ""
    cols = list(rows[0])
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(str(r[c]).replace("|", "\\|") for c in cols) + " |" for r in rows]
    return "\n".join(lines).replace("$", DOLLAR)


def workbook_map(folder=HERE, questions=None) -> Markdown:
    """Every chapter notebook with its sections and the exercises that practise them (§30.1–§30.11)."""
    import costlib as cl

    qs = cl.questions() if questions is None else questions
    qsecs = [(q.id, set(sections_of(q.section))) for q in qs.itertuples()]
    rows = []
    for path in sorted(Path(folder).glob("[0-9][0-9]*_*.ipynb")):  # 07b sorts after 07
        title = notebook_title(path)
        secs = sections_of(title)
        whole = len(secs) >= 10  # a notebook spanning the whole chapter: no exercises of its own
        ex = [] if whole else [qid for qid, s in qsecs if s & set(secs)]
        rows.append({
            "notebook": f"[{path.stem}]({path.name})",
            "title": re.sub(r"^\d+[a-z]?\s*·\s*", "", re.sub(r"\s*\(.*?§.*?\)\s*$", "", title)),
            "chapter": "all" if whole else ", ".join(f"§30.{s}" for s in secs),
            "exercises": ", ".join(f"[{i}](../exercises/{i}.ipynb)" for i in ex) or "—",
        })
    return Markdown(markdown_table(rows))


def exercise_table(questions=None) -> Markdown:
    """The exercises with what each asks and how close an answer must be (§30.1–§30.11)."""
    import costlib as cl

    qs = cl.questions() if questions is None else questions
    rows = [{"exercise": f"[{q.id}](../exercises/{q.id}.ipynb)", "section": q.section,
             "asks": q.summary, "tolerance": q.tolerance} for q in qs.itertuples()]
    return Markdown(markdown_table(rows))


def run_cli(*args: str) -> str:
    """What ``python -m costlib ARGS...`` prints, run with this kernel's Python (§30.1)."""
    done = subprocess.run([sys.executable, "-m", "costlib", *map(str, args)],
                          capture_output=True, text=True, check=True)
    return done.stdout

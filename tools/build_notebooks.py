"""Execute py:percent text notebooks and write the paired .ipynb with fresh outputs.

Usage: python tools/build_notebooks.py [--check] PATH [PATH ...]

PATH is a text notebook (``notebooks/py/01_cost_model.py``) or its .ipynb
(``notebooks/01_cost_model.ipynb``): the twins live in a ``py/`` folder beside their notebooks
(jupytext.toml pairs them). Each text notebook is read with jupytext, run top to bottom in a fresh
kernel (nbclient, no timing metadata) from its notebook's folder, and saved as that .ipynb.
``--check`` only reports notebooks whose cell sources differ between the .py and the .ipynb (exit 1
if any).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient

TWIN_FOLDER = "py"  # jupytext.toml: formats = "ipynb,py//py:percent"


def twin_paths(path: Path) -> tuple[Path, Path]:
    """(text notebook, .ipynb) of a notebook given by either of its two files."""
    path = Path(path)
    if path.suffix == ".ipynb":
        return path.parent / TWIN_FOLDER / f"{path.stem}.py", path
    return path, path.parent.parent / f"{path.stem}.ipynb"


def cells(nb) -> list[tuple[str, str]]:
    return [(c.cell_type, c.source.strip()) for c in nb.cells]


def build(path: Path, timeout: int = 120) -> float:
    path, out = twin_paths(path)
    nb = jupytext.read(path)
    nb.metadata.setdefault("kernelspec", {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                          "language": "python"})
    t0 = time.perf_counter()
    NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                   resources={"metadata": {"path": str(out.parent)}}).execute()
    elapsed = time.perf_counter() - t0
    # stable cell ids and no saved widget state, so a rebuild only changes what really changed
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, out)
    return elapsed


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="+", type=Path)
    ap.add_argument("--check", action="store_true", help="only compare .py and .ipynb cell sources")
    args = ap.parse_args(argv)
    bad = 0
    for p in args.paths:
        p, ipynb = twin_paths(p)
        if args.check:
            same = ipynb.exists() and \
                cells(jupytext.read(p)) == cells(nbformat.read(ipynb, as_version=4))
            if not same:
                print(f"out of sync: {p}")
                bad += 1
            continue
        try:
            print(f"{p}: executed in {build(p):.1f} s")
        except Exception as exc:  # report and continue with the others
            print(f"{p}: FAILED: {type(exc).__name__}: {str(exc)[-2000:]}", file=sys.stderr)
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

"""Generate the student notebooks in exercises/ from the worked solutions in solutions/.

Usage::

    python -m costlib.teaching.exercises           # create/update exercises/ (never overwrites your edits)
    python -m costlib.teaching.exercises --check   # exit 1 if exercises/ is out of date (used by the tests)
    python -m costlib.teaching.exercises --force   # also replace edited exercises, after backing them up
    python -m costlib.teaching.exercises p1 cq2    # only these questions

Each ``solutions/<id>.py`` (py:percent) is the single source of an exercise. In its cells:

* code between a ``# BEGIN SOLUTION`` line and a ``# END SOLUTION`` line is replaced by
  ``# your code here``, plus ``answer = None  # your answer: ...`` if the region assigns
  ``answer``;
* markdown between ``<!-- BEGIN SOLUTION -->`` and ``<!-- END SOLUTION -->`` lines is replaced by
  a prompt to write your own reasoning;
* everything else (statement, given code, the ``cl.check("<id>", answer)`` cell) is kept.

The generator records what it wrote in ``exercises/.generated.json`` (a hash of each notebook's
cells). A notebook whose cells differ from that record has been edited by you: it is left alone,
the new version is written beside it as ``<id>.new.ipynb``, and the command exits 1. ``--force``
copies the edited notebook to ``exercises/backups/`` first, then replaces it.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
import json
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from costlib.teaching.grading import ID_PATTERN, get_question, question_ids

__all__ = ["ExerciseError", "build_exercise", "generate", "main", "MANIFEST_NAME",
           "CODE_BEGIN", "CODE_END", "MD_BEGIN", "MD_END", "CODE_STUB", "MD_STUB"]

MANIFEST_NAME = ".generated.json"
BACKUP_DIR = "backups"
CODE_BEGIN, CODE_END = "# BEGIN SOLUTION", "# END SOLUTION"
MD_BEGIN, MD_END = "<!-- BEGIN SOLUTION -->", "<!-- END SOLUTION -->"
CODE_STUB = "# your code here"
MD_STUB = "**Your answer:** *write your reasoning here.*"
_ANSWER_RE = re.compile(r"^\s*answer\s*(:[^=]*)?=(?!=)")


class ExerciseError(ValueError):
    """A solution notebook the generator cannot turn into an exercise (says which and why)."""


def _nbformat():
    try:
        import jupytext
        import nbformat
    except ImportError as exc:  # pragma: no cover - both come with the notebooks extra
        raise SystemExit("the exercise generator needs jupytext and nbformat: "
                         "pip install -e '.[notebooks]'") from exc
    return jupytext, nbformat


def find_root() -> Path:
    """The repository root: the current folder if it has solutions/, else costlib's parent."""
    cwd = Path.cwd()
    if (cwd / "solutions").is_dir():
        return cwd
    return Path(__file__).resolve().parents[1]


def solution_sources(solutions_dir: Path) -> list[Path]:
    """The solutions/<id>.py files whose name is a question id (p1, cq1, d1...), in order."""
    files = [p for p in Path(solutions_dir).glob("*.py") if ID_PATTERN.match(p.stem)]
    order = {q: i for i, q in enumerate(question_ids())}
    return sorted(files, key=lambda p: (order.get(p.stem, len(order)), p.stem))


# ---------------------------------------------------------------- building one exercise


def _replace_regions(lines: list[str], begin: str, end: str, stub, where: str) -> list[str]:
    out, region, indent = [], None, ""
    for i, line in enumerate(lines):
        s = line.strip()
        if s == begin:
            if region is not None:
                raise ExerciseError(f"{where}: '{begin}' at line {i + 1} inside another region")
            region, indent = [], line[: len(line) - len(line.lstrip())]
        elif s == end:
            if region is None:
                raise ExerciseError(f"{where}: '{end}' at line {i + 1} without '{begin}'")
            out.extend(indent + x if x else x for x in stub(region))
            region = None
        elif region is not None:
            region.append(line)
        else:
            out.append(line)
    if region is not None:
        raise ExerciseError(f"{where}: '{begin}' is never closed by '{end}'")
    return out


def build_exercise(source: Path):
    """The exercise notebook (an nbformat NotebookNode, no outputs) for one solution .py file."""
    jupytext, nbformat = _nbformat()
    source = Path(source)
    qid = source.stem
    try:
        q = get_question(qid)
    except ValueError:
        raise ExerciseError(f"{source.name}: no registered question {qid!r}; define it in "
                            "costlib/data/questions_*.yaml (texts) and the answer module "
                            "costlib/teaching/questions_*.py beside it (numbers)"
                            ) from None
    nb = jupytext.read(source)
    n_regions = 0
    saw_check = False
    check_re = re.compile(r"""\bcheck\(\s*["']""" + re.escape(qid) + r"""["']\s*,\s*answer\s*\)""")

    def code_stub(region):
        nonlocal n_regions
        n_regions += 1
        stub = [CODE_STUB]
        if any(_ANSWER_RE.match(x) for x in region):
            stub.append(q.stub())
        return stub

    def md_stub(region):
        nonlocal n_regions
        n_regions += 1
        return [MD_STUB]

    cells = []
    for k, cell in enumerate(nb.cells):
        where = f"{source.name}, cell {k + 1}"
        lines = cell.source.split("\n")
        if cell.cell_type == "code":
            lines = _replace_regions(lines, CODE_BEGIN, CODE_END, code_stub, where)
            text = "\n".join(lines)
            if check_re.search(text):
                saw_check = True
            new = nbformat.v4.new_code_cell(text)
        elif cell.cell_type == "markdown":
            lines = _replace_regions(lines, MD_BEGIN, MD_END, md_stub, where)
            new = nbformat.v4.new_markdown_cell("\n".join(lines))
        else:
            new = nbformat.v4.new_raw_cell(cell.source)
        for marker in (CODE_BEGIN, CODE_END, MD_BEGIN, MD_END, "BEGIN SOLUTION", "END SOLUTION"):
            if marker in new.source:
                raise ExerciseError(f"{where}: a solution marker must be alone on its line "
                                    f"({marker!r} left in the exercise)")
        cells.append(new)
    if n_regions == 0:
        raise ExerciseError(f"{source.name}: no solution region ({CODE_BEGIN} ... {CODE_END}); "
                            "the exercise would give the answer away")
    if not saw_check:
        raise ExerciseError(f"{source.name}: no code cell calls cl.check({qid!r}, answer)")
    banner = nbformat.v4.new_markdown_cell(
        f"> **Exercise {qid}** · {q.section}. Fill in the cells marked `{CODE_STUB}` (and the "
        f"*your reasoning* cells), then run the `cl.check` cell. `cl.hint('{qid}')` gives a "
        f"nudge; the worked solution is `{q.solution}`. This notebook was generated from "
        f"`solutions/{source.name}` by `python -m costlib.teaching.exercises`, which never overwrites a "
        "notebook you have edited.")
    cells.insert(1 if cells and cells[0].cell_type == "markdown" else 0, banner)
    out = nbformat.v4.new_notebook()
    out.cells = cells
    for i, c in enumerate(out.cells):
        c.id = f"{qid}-{i:02d}"  # deterministic ids: regenerating gives identical bytes
    kernelspec = nb.metadata.get("kernelspec") or {"name": "python3", "language": "python",
                                                   "display_name": "Python 3 (ipykernel)"}
    out.metadata = {"kernelspec": dict(kernelspec),
                    "language_info": _language_info(source, nbformat),
                    "costlib": {"exercise": qid, "generated_from": f"solutions/{source.name}"}}
    return out


def _language_info(source: Path, nbformat) -> dict:
    """The executed solution's full language_info (the kernel would fill in the same, so JupyterLab does
    not mark a fresh exercise modified); {"name": "python"} if the solution was never executed."""
    executed = source.parent.parent / f"{source.stem}.ipynb"
    if executed.exists():
        info = nbformat.read(executed, as_version=4).metadata.get("language_info")
        if info:
            return dict(info)
    return {"name": "python"}


def _has_outputs(notebook_text: str) -> bool:
    """Whether any code cell of a notebook (JSON text) has outputs, i.e. someone has run it."""
    cells = json.loads(notebook_text).get("cells", [])
    return any(c.get("outputs") for c in cells if c.get("cell_type") == "code")


def _notebook_text(nb) -> str:
    _, nbformat = _nbformat()
    return nbformat.writes(nb, version=4) + "\n"


def content_hash(path_or_text, is_notebook: bool = True) -> str | None:
    """Hash of what a learner could edit: cell types and sources (outputs and metadata ignored)."""
    if isinstance(path_or_text, Path):
        if not path_or_text.exists():
            return None
        text = path_or_text.read_text(encoding="utf-8")
    else:
        text = path_or_text
    if is_notebook:
        try:
            nb = json.loads(text)
            cells = [[c.get("cell_type"), "".join(c.get("source", ""))] for c in nb["cells"]]
            text = json.dumps(cells, sort_keys=True, ensure_ascii=False)
        except (ValueError, KeyError, TypeError, AttributeError):
            pass  # unreadable notebook: hash the raw text (never equal to a generated one)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def readme_text(ids: list[str]) -> str:
    """exercises/README.md: what the folder is and the list of exercises."""
    rows = []
    for qid in ids:
        q = get_question(qid)
        rows.append(f"| [{qid}]({qid}.ipynb) | {q.section} | {q.summary.replace('|', '/')} |")
    return "\n".join([
        "# Exercises",
        "",
        "Student versions of the worked solutions in `../solutions/`, generated by "
        "`python -m costlib.teaching.exercises` (or `make exercises`). Open a notebook, fill in the cells "
        f"marked `{CODE_STUB}`, and run its check cell: `cl.check(...)` tells you at once whether "
        "your answer is right and, if not, which common mistake it looks like. `cl.hint(id)` "
        "gives a nudge; `cl.questions()` lists every question.",
        "",
        "Your edits are safe: the generator remembers what it wrote (in `.generated.json`) and "
        "never overwrites a notebook you changed. It writes the new version beside yours as "
        "`<id>.new.ipynb` instead; `--force` replaces yours after copying it to `backups/`.",
        "",
        "| Exercise | From the chapter | Question |",
        "|---|---|---|",
        *rows,
        "",
    ])


# ---------------------------------------------------------------- writing with protection


@dataclass
class _Plan:
    name: str  # file name inside exercises/
    text: str
    source: str
    is_notebook: bool = True


def _load_manifest(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        files = data.get("files", {})
        return files if isinstance(files, dict) else {}
    except (OSError, ValueError, AttributeError):
        return {}


def _manifest_text(files: dict) -> str:
    data = {"about": "Written by python -m costlib.teaching.exercises: the hash of each file as last "
                     "generated, so that it never overwrites a file you have edited.",
            "files": {k: files[k] for k in sorted(files)}}
    return json.dumps(data, indent=1, sort_keys=True) + "\n"


def _backup(path: Path, exercises: Path) -> Path:
    folder = exercises / BACKUP_DIR
    folder.mkdir(exist_ok=True)
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    dest = folder / f"{path.stem}-{stamp}{path.suffix}"
    n = 1
    while dest.exists():
        dest = folder / f"{path.stem}-{stamp}-{n}{path.suffix}"
        n += 1
    shutil.copy2(path, dest)
    return dest


def _side_name(name: str) -> str:
    p = Path(name)
    return f"{p.stem}.new{p.suffix}"


def plan(solutions: Path, names: list[str] | None = None) -> list[_Plan]:
    """What the generator would write: one notebook per solution, plus README.md."""
    sources = solution_sources(solutions)
    if names:
        wanted = {n.strip().lower() for n in names}
        missing = wanted - {p.stem for p in sources}
        if missing:
            raise ExerciseError(f"no solutions/<id>.py for {', '.join(sorted(missing))}; "
                                f"found {', '.join(p.stem for p in sources) or 'none'}")
        sources = [p for p in sources if p.stem in wanted]
    plans = [_Plan(f"{p.stem}.ipynb", _notebook_text(build_exercise(p)), f"solutions/{p.name}")
             for p in sources]
    if not names:
        all_ids = [p.stem for p in solution_sources(solutions)]
        plans.append(_Plan("README.md", readme_text(all_ids), "costlib/exercises.py",
                           is_notebook=False))
    return plans


def generate(solutions: Path, exercises: Path, *, force: bool = False, check: bool = False,
             names: list[str] | None = None, out=print) -> int:
    """Create/update exercises/ (or only compare, with check=True). Returns the exit code."""
    solutions, exercises = Path(solutions), Path(exercises)
    if not solutions.is_dir():
        out(f"error: no solutions folder at {solutions}")
        return 2
    try:
        plans = plan(solutions, names)
    except ExerciseError as exc:
        out(f"error: {exc}")
        return 2
    manifest_path = exercises / MANIFEST_NAME
    record = _load_manifest(manifest_path)
    shown = exercises.name

    if check:
        problems = []
        for p in plans:
            target = exercises / p.name
            if not target.exists():
                problems.append(f"{shown}/{p.name} is missing")
            elif target.read_text(encoding="utf-8") != p.text:
                problems.append(f"{shown}/{p.name} differs from what {p.source} generates")
            elif record.get(p.name, {}).get("sha256") != content_hash(p.text, p.is_notebook):
                problems.append(f"{shown}/{MANIFEST_NAME} has a stale entry for {p.name}")
        if not names:
            expected = {p.name for p in plans}
            for f in sorted(exercises.glob("*.ipynb")):
                if ID_PATTERN.match(f.stem) and f.name not in expected:
                    problems.append(f"{shown}/{f.name} has no solutions/{f.stem}.py any more")
        for line in problems:
            out(f"out of date: {line}")
        if problems:
            out("run `python -m costlib.teaching.exercises` (or `make exercises`) to regenerate")
            return 1
        out(f"{shown}/ is up to date ({len(plans)} files)")
        return 0

    exercises.mkdir(parents=True, exist_ok=True)
    refused = 0
    for p in plans:
        target = exercises / p.name
        new_hash = content_hash(p.text, p.is_notebook)
        have = content_hash(target, p.is_notebook)
        recorded = record.get(p.name, {}).get("sha256")
        if have is None:
            action = "created"
        elif have == new_hash:
            # same cells as we would write: leave the learner's outputs alone, but refresh the
            # metadata of a notebook nobody has run (e.g. a newer generator's language_info)
            record[p.name] = {"from": p.source, "sha256": new_hash}
            old_text = target.read_text(encoding="utf-8")
            if not p.is_notebook or old_text == p.text or _has_outputs(old_text):
                continue
            action = "refreshed"
        elif have == recorded:
            action = "updated"
        elif force:
            dest = _backup(target, exercises)
            action = f"replaced (your version is saved as {shown}/{BACKUP_DIR}/{dest.name})"
        else:
            refused += 1
            side = exercises / _side_name(p.name)
            side_have = content_hash(side, p.is_notebook)
            side_rec = record.get(side.name, {}).get("sha256")
            if side_have is not None and side_have not in (side_rec, new_hash):
                out(f"kept {shown}/{p.name} and {shown}/{side.name}: both have your edits; "
                    "nothing written (use --force to replace them after a backup)")
                continue
            side.write_text(p.text, encoding="utf-8")
            record[side.name] = {"from": p.source, "sha256": new_hash}
            out(f"kept {shown}/{p.name}: it has your edits. The new version is in "
                f"{shown}/{side.name}; run with --force to replace yours (after a backup)")
            continue
        target.write_text(p.text, encoding="utf-8")
        record[p.name] = {"from": p.source, "sha256": new_hash}
        out(f"{action}: {shown}/{p.name}")
        side = exercises / _side_name(p.name)
        if side.exists() and content_hash(side, p.is_notebook) == \
                record.get(side.name, {}).get("sha256"):
            side.unlink()  # our own, unedited side copy is obsolete now
            record.pop(side.name, None)
    record = {k: v for k, v in record.items() if (exercises / k).exists()}
    manifest_path.write_text(_manifest_text(record), encoding="utf-8")
    if refused:
        out(f"{refused} exercise(s) not replaced because they have your edits")
        return 1
    out(f"{shown}/ is up to date ({len(plans)} files)")
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m costlib.teaching.exercises",
        description="Generate the student notebooks in exercises/ from solutions/*.py.")
    ap.add_argument("names", nargs="*", help="only these question ids (default: all)")
    ap.add_argument("--check", action="store_true",
                    help="write nothing; exit 1 if exercises/ is out of date")
    ap.add_argument("--force", action="store_true",
                    help="replace exercises you have edited, after copying them to backups/")
    ap.add_argument("--solutions", type=Path, help="solutions folder (default: ./solutions)")
    ap.add_argument("--exercises", type=Path, help="exercises folder (default: ./exercises)")
    args = ap.parse_args(argv)
    if args.check and args.force:
        ap.error("--check and --force do not go together")
    root = find_root()
    return generate(args.solutions or root / "solutions" / "py", args.exercises or root / "exercises",
                    force=args.force, check=args.check, names=args.names or None)


if __name__ == "__main__":
    sys.exit(main())

"""Tests of the single-source exercises: solutions/ -> exercises/ (costlib/teaching/exercises.py).

- exercises/ is up to date with solutions/ (the generator's --check);
- the generator never destroys a learner's work (refuses, writes beside; --force backs up first);
- every generated exercise runs top to bottom and its check reports "not passed" (invert test);
- no expected answer appears as a literal in any exercise notebook;
- every solution notebook's saved check output is a pass.
"""
from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from costlib.teaching import grading
from costlib.teaching.exercises import (
    CODE_BEGIN,
    CODE_END,
    MANIFEST_NAME,
    ExerciseError,
    build_exercise,
    generate,
    solution_sources,
)

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions" / "py"  # the py:percent twins
EXERCISES = ROOT / "exercises"
SOURCES = solution_sources(SOLUTIONS)
IDS = [p.stem for p in SOURCES]


def _run(*args, **kw) -> tuple[int, str]:
    lines: list[str] = []
    code = generate(*args, out=lines.append, **kw)
    return code, "\n".join(lines)


def _cells(path: Path) -> list[tuple[str, str]]:
    nb = nbformat.read(path, as_version=4)
    return [(c.cell_type, c.source) for c in nb.cells]


# ------------------------------------------------------------------ inventory


def test_every_question_has_a_solution_and_an_exercise():
    assert set(grading.question_ids()) >= {f"p{i}" for i in range(1, 8)} | \
        {f"cq{i}" for i in range(1, 5)}
    assert sorted(IDS) == sorted(grading.question_ids()), \
        "every registered question needs solutions/<id>.py, and every solution a question"
    for qid in IDS:
        assert (EXERCISES / f"{qid}.ipynb").exists()


def test_exercises_are_up_to_date():
    code, out = _run(SOLUTIONS, EXERCISES, check=True)
    assert code == 0, out


def test_generator_is_deterministic():
    a = build_exercise(SOURCES[0])
    b = build_exercise(SOURCES[0])
    assert nbformat.writes(a) == nbformat.writes(b)


# ------------------------------------------------------------------ shape of an exercise


@pytest.mark.parametrize("qid", IDS)
def test_exercise_has_stub_and_check_and_no_solution(qid):
    nb = nbformat.read(EXERCISES / f"{qid}.ipynb", as_version=4)
    text = "\n".join(c.source for c in nb.cells)
    assert "SOLUTION" not in text
    assert re.search(r"^answer = None  # your answer: ", text, re.MULTILINE)
    assert f'cl.check("{qid}", answer)' in text
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
    assert nb.cells[-1].cell_type == "markdown" and "takeaway" in nb.cells[-1].source.lower()
    assert nb.metadata["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("qid", [q for q in IDS if not grading.get_question(q).is_choice])
def test_exercise_states_the_checks_tolerance(qid):
    q = grading.get_question(qid)
    text = " ".join(s for _, s in _cells(EXERCISES / f"{qid}.ipynb")).replace("\n#", " ")
    text = re.sub(r"\s+", " ", text)
    assert f'cl.check("{qid}", answer)` accepts answers {q.tolerance_text}' in text, \
        f"{qid}: the statement must say the check accepts answers {q.tolerance_text}"


@pytest.mark.parametrize("qid", IDS)
def test_exercise_keeps_every_non_solution_cell(qid):
    """Removing the solution regions from the source gives exactly the exercise's kept text."""
    src = (SOLUTIONS / f"{qid}.py").read_text(encoding="utf-8")
    kept = re.sub(rf"^{re.escape(CODE_BEGIN)}$.*?^{re.escape(CODE_END)}$", "", src,
                  flags=re.MULTILINE | re.DOTALL)
    kept = re.sub(r"^# <!-- BEGIN SOLUTION -->$.*?^# <!-- END SOLUTION -->$", "", kept,
                  flags=re.MULTILINE | re.DOTALL)
    exercise = "\n".join(s for _, s in _cells(EXERCISES / f"{qid}.ipynb"))
    for line in kept.splitlines():
        line = line.strip()
        if line.startswith("# %%") or line in ("", "#", "# ---") or line.startswith("#   ") \
                or line.startswith("# jupyter") or line.startswith("#     "):
            continue
        body = line[2:] if line.startswith("# ") else line
        assert body in exercise, f"{qid}: {body!r} lost in the exercise"


# ------------------------------------------------------------------ no answers in exercises


def _renderings(x: float) -> set[str]:
    out = set()
    for sig in (2, 3, 4):
        out.add(f"{x:.{sig}g}")
        out.add(f"{x:,.{sig}g}")
        r = float(f"{x:.{sig}g}")
        out.add(f"{r:,}".rstrip("0").rstrip("."))
        out.add(f"{r}".rstrip("0").rstrip("."))
    for dec in (0, 1, 2, 3):
        out.add(f"{x:.{dec}f}")
        out.add(f"{x:,.{dec}f}")
    # a rendering must carry at least two significant digits to be meaningful in a search
    return {s for s in out if len(re.sub(r"[^1-9]", "", s.lstrip("0.,"))) >= 2
            or len(s.replace(",", "").replace(".", "").strip("0")) >= 2}


@pytest.mark.parametrize("qid", [q for q in IDS if not grading.get_question(q).is_choice])
def test_no_expected_answer_appears_in_the_exercise(qid):
    exp = grading.expected_value(qid)
    text = "\n".join(s for _, s in _cells(EXERCISES / f"{qid}.ipynb"))
    for shown in _renderings(exp):
        hit = re.search(r"(?<![\d.,])" + re.escape(shown) + r"(?![\d]|[.,]\d)", text)
        assert not hit, f"{qid}: the expected answer appears as {shown!r} in the exercise"


def test_the_literal_search_can_find_a_planted_answer(tmp_path):
    qid = next(q for q in IDS if not grading.get_question(q).is_choice)
    exp = grading.expected_value(qid)
    planted = f"answer = {exp:.3g}"
    assert any(re.search(r"(?<![\d.,])" + re.escape(s) + r"(?![\d]|[.,]\d)", planted)
               for s in _renderings(exp))


# ------------------------------------------------------------------ learner protection


@pytest.fixture
def workspace(tmp_path):
    sol = tmp_path / "solutions"
    sol.mkdir()
    for qid in ("p1", "cq1"):
        shutil.copy(SOLUTIONS / f"{qid}.py", sol / f"{qid}.py")
    ex = tmp_path / "exercises"
    code, out = _run(sol, ex)
    assert code == 0, out
    return sol, ex


def _edit_notebook(path: Path, text: str):
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if "answer = None" in c.source)
    cell.source = cell.source.replace("answer = None", text)
    nbformat.write(nb, path)


def _change_solution(sol: Path, qid: str = "p1"):
    p = sol / f"{qid}.py"
    p.write_text(p.read_text(encoding="utf-8").replace(
        "# ## Takeaways\n", "# ## Takeaways\n#\n# - A new takeaway.\n", 1), encoding="utf-8")


def test_generate_creates_files_and_manifest(workspace):
    sol, ex = workspace
    assert {p.name for p in ex.iterdir()} == {"p1.ipynb", "cq1.ipynb", "README.md",
                                              MANIFEST_NAME}
    manifest = json.loads((ex / MANIFEST_NAME).read_text())
    assert set(manifest["files"]) == {"p1.ipynb", "cq1.ipynb", "README.md"}
    assert _run(sol, ex, check=True)[0] == 0


def test_second_run_changes_nothing(workspace):
    sol, ex = workspace
    before = {p.name: p.read_bytes() for p in ex.iterdir()}
    code, out = _run(sol, ex)
    assert code == 0 and "created" not in out and "updated" not in out
    assert {p.name: p.read_bytes() for p in ex.iterdir()} == before


def test_unedited_exercise_is_updated_when_the_solution_changes(workspace):
    sol, ex = workspace
    _change_solution(sol)
    assert _run(sol, ex, check=True)[0] == 1
    code, out = _run(sol, ex)
    assert code == 0 and "updated: exercises/p1.ipynb" in out
    assert "A new takeaway." in (ex / "p1.ipynb").read_text()
    assert _run(sol, ex, check=True)[0] == 0


def test_running_an_exercise_is_not_an_edit(workspace):
    sol, ex = workspace
    nb = nbformat.read(ex / "p1.ipynb", as_version=4)
    nb.cells[2].execution_count = 1
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", text="hello\n")]
    nb.metadata["widgets"] = {"state": {}}
    nbformat.write(nb, ex / "p1.ipynb")
    _change_solution(sol)
    code, out = _run(sol, ex)
    assert code == 0 and "updated" in out


def test_edited_exercise_is_never_overwritten(workspace):
    sol, ex = workspace
    _edit_notebook(ex / "p1.ipynb", "answer = 123.0  # my work")
    mine = (ex / "p1.ipynb").read_bytes()
    _change_solution(sol)
    code, out = _run(sol, ex)
    assert code == 1
    assert "has your edits" in out and "p1.new.ipynb" in out and "--force" in out
    assert (ex / "p1.ipynb").read_bytes() == mine
    new = (ex / "p1.new.ipynb").read_text()
    assert "A new takeaway." in new and "my work" not in new
    # an edited exercise is also what --check reports
    assert _run(sol, ex, check=True)[0] == 1
    # a second run still refuses and still does not touch the learner's file
    code, out = _run(sol, ex)
    assert code == 1 and (ex / "p1.ipynb").read_bytes() == mine


def test_edits_to_the_side_copy_are_protected_too(workspace):
    sol, ex = workspace
    _edit_notebook(ex / "p1.ipynb", "answer = 1.0  # mine")
    _change_solution(sol)
    _run(sol, ex)
    _edit_notebook(ex / "p1.new.ipynb", "answer = 2.0  # also mine")
    side = (ex / "p1.new.ipynb").read_bytes()
    p = sol / "p1.py"
    p.write_text(p.read_text().replace("A new takeaway.", "Another takeaway."))
    code, out = _run(sol, ex)
    assert code == 1 and "both have your edits" in out
    assert (ex / "p1.new.ipynb").read_bytes() == side


def test_force_backs_up_then_replaces(workspace):
    sol, ex = workspace
    _edit_notebook(ex / "p1.ipynb", "answer = 123.0  # my work")
    mine = (ex / "p1.ipynb").read_bytes()
    _change_solution(sol)
    code, out = _run(sol, ex, force=True)
    assert code == 0 and "replaced" in out and "backups/" in out
    backups = list((ex / "backups").glob("p1-*.ipynb"))
    assert len(backups) == 1 and backups[0].read_bytes() == mine
    assert "A new takeaway." in (ex / "p1.ipynb").read_text()
    assert "my work" not in (ex / "p1.ipynb").read_text()
    assert _run(sol, ex, check=True)[0] == 0


def test_file_without_a_record_counts_as_the_learners(workspace):
    sol, ex = workspace
    (ex / MANIFEST_NAME).unlink()
    _edit_notebook(ex / "p1.ipynb", "answer = 5.0")
    mine = (ex / "p1.ipynb").read_bytes()
    code, out = _run(sol, ex)
    assert code == 1 and (ex / "p1.ipynb").read_bytes() == mine
    # identical files are simply re-recorded
    assert "cq1.ipynb" in json.loads((ex / MANIFEST_NAME).read_text())["files"]


def test_side_copy_is_removed_once_the_learner_resolves(workspace):
    sol, ex = workspace
    _edit_notebook(ex / "p1.ipynb", "answer = 1.0")
    _change_solution(sol)
    _run(sol, ex)
    assert (ex / "p1.new.ipynb").exists()
    (ex / "p1.ipynb").unlink()  # the learner takes the new version
    code, out = _run(sol, ex)
    assert code == 0 and not (ex / "p1.new.ipynb").exists()


def test_check_reports_missing_and_stale(workspace):
    sol, ex = workspace
    (ex / "cq1.ipynb").unlink()
    code, out = _run(sol, ex, check=True)
    assert code == 1 and "cq1.ipynb is missing" in out
    assert not (ex / "cq1.ipynb").exists()  # --check writes nothing


def test_command_line(workspace, capsys):
    from costlib.teaching.exercises import main

    sol, ex = workspace
    assert main(["--check", "--solutions", str(sol), "--exercises", str(ex)]) == 0
    assert main(["p1", "--solutions", str(sol), "--exercises", str(ex)]) == 0
    assert main(["p9", "--solutions", str(sol), "--exercises", str(ex)]) == 2
    assert "no solutions/<id>.py for p9" in capsys.readouterr().out


# ------------------------------------------------------------------ generator errors


def _solution(tmp_path, body: str, name="p1.py") -> Path:
    p = tmp_path / name
    p.write_text("# %% [markdown]\n# # T\n\n" + body + "\n\n# %% [markdown]\n# ## Takeaways\n")
    return p


@pytest.mark.parametrize("body, match", [
    ("# %%\nanswer = 1\n\n# %%\ncl.check(\"p1\", answer)", "no solution region"),
    ("# %%\n# BEGIN SOLUTION\nanswer = 1\n# END SOLUTION", "no code cell calls"),
    ("# %%\n# BEGIN SOLUTION\nanswer = 1\n\n# %%\ncl.check(\"p1\", answer)", "never closed"),
    ("# %%\nanswer = 1\n# END SOLUTION\n\n# %%\ncl.check(\"p1\", answer)", "without"),
    ("# %%\nx = 1  # BEGIN SOLUTION\n# BEGIN SOLUTION\nanswer = 1\n# END SOLUTION\n\n# %%\n"
     "cl.check(\"p1\", answer)", "alone on its line"),
])
def test_generator_rejects_broken_sources(tmp_path, body, match):
    with pytest.raises(ExerciseError, match=match):
        build_exercise(_solution(tmp_path, body))


def test_generator_rejects_a_solution_without_a_question(tmp_path):
    with pytest.raises(ExerciseError, match="no registered question"):
        build_exercise(_solution(tmp_path, "# %%\nx = 1", name="d98.py"))


def test_stub_keeps_indentation_and_answer_line(tmp_path):
    body = ("# %%\nif True:\n    # BEGIN SOLUTION\n    answer = 2\n    # END SOLUTION\n\n# %%\n"
            "cl.check(\"p1\", answer)")
    nb = build_exercise(_solution(tmp_path, body))
    code = [c.source for c in nb.cells if c.cell_type == "code"][0]
    assert code.splitlines() == ["if True:", "    # your code here",
                                 "    " + grading.get_question("p1").stub()]


# ------------------------------------------------------------------ solutions' saved outputs


@pytest.mark.parametrize("qid", IDS)
def test_solution_notebook_saved_check_passes(qid):
    path = SOLUTIONS.parent / f"{qid}.ipynb"
    assert path.exists(), f"solutions/{qid}.ipynb missing: run tools/build_notebooks.py"
    nb = nbformat.read(path, as_version=4)
    outs = [o for c in nb.cells if c.cell_type == "code" and f'cl.check("{qid}", answer)'
            in c.source for o in c.outputs]
    text = " ".join(o.get("data", {}).get("text/plain", "") for o in outs)
    assert f"[{qid}] ✓ correct" in text, f"solutions/{qid}.ipynb: saved check is not a pass"


# ------------------------------------------------------------------ invert test


RESULTS_CELL = ("import json as _json, costlib.teaching.grading as _g\n"
                "print('RESULTS=' + _json.dumps({k: r.passed for k, r in _g.results().items()}))")
# Before each exercise: an empty namespace, no recorded checks, no open figures -- what a fresh
# kernel has that a reused one would not.
RESET_CELL = ("%reset -f\n"
              "import costlib.teaching.grading as _g, matplotlib.pyplot as _plt\n"
              "_g.reset_results(); _plt.close('all'); del _g, _plt")
# A kernel may take long to start on a busy machine; nbclient's default is 60 s.
KERNEL_STARTUP_S = 300


@pytest.fixture(scope="module")
def blank_runs(tmp_path_factory):
    """Every generated exercise, unchanged, run top to bottom in ONE kernel (reset between
    exercises): {qid: its cells with outputs, the reset cell first and the results cell last}."""
    from nbclient import NotebookClient

    work = tmp_path_factory.mktemp("blank_exercises")
    combined = nbformat.v4.new_notebook()
    combined.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    spans = {}
    for qid in IDS:
        nb = nbformat.read(EXERCISES / f"{qid}.ipynb", as_version=4)
        start = len(combined.cells)
        combined.cells.append(nbformat.v4.new_code_cell(RESET_CELL))
        combined.cells.extend(c for c in nb.cells if c.cell_type == "code")
        combined.cells.append(nbformat.v4.new_code_cell(RESULTS_CELL))
        spans[qid] = (start, len(combined.cells))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.pop("MPLBACKEND", None)
    # allow_errors: an error in one exercise is recorded in its outputs and the next one still runs
    client = NotebookClient(combined, timeout=120, startup_timeout=KERNEL_STARTUP_S,
                            kernel_name="python3", allow_errors=True, record_timing=False,
                            resources={"metadata": {"path": str(work)}})
    client.execute(env=env)
    return {qid: combined.cells[a:b] for qid, (a, b) in spans.items()}


@pytest.mark.slow
@pytest.mark.parametrize("qid", IDS)
def test_blank_exercise_runs_and_its_check_does_not_pass(qid, blank_runs):
    """Run the generated exercise as a student would, unchanged: every cell must run, and the
    check must report 'not passed' (a check that passes on the blank version tests nothing)."""
    cells = blank_runs[qid]
    errors = [f"{o.ename}: {o.evalue}" for c in cells for o in c.outputs if o.output_type == "error"]
    assert not errors, f"{qid}: {errors}"
    check_out = " ".join(
        o.get("data", {}).get("text/plain", "") for c in cells
        if f'cl.check("{qid}", answer)' in c.source for o in c.outputs)
    assert f"[{qid}] ✗" in check_out and "✓" not in check_out
    printed = "".join(o.get("text", "") for o in cells[-1].outputs)
    results = json.loads(printed.split("RESULTS=", 1)[1])
    assert results == {qid: False}


def test_exercise_carries_the_executed_solutions_language_info():
    """A partial language_info would be filled in by the kernel, and JupyterLab would then mark the
    fresh exercise modified (issue #17 item 6)."""
    executed = nbformat.read(SOLUTIONS.parent / "p1.ipynb", as_version=4).metadata["language_info"]
    assert "version" in executed and "file_extension" in executed
    assert build_exercise(SOLUTIONS / "p1.py").metadata["language_info"] == dict(executed)


def test_unrun_exercise_gets_fresh_metadata_but_a_run_one_keeps_its_own(workspace):
    sol, ex = workspace
    target = ex / "p1.ipynb"
    nb = nbformat.read(target, as_version=4)
    nb.metadata["language_info"] = {"name": "python", "stale": True}
    nbformat.write(nb, target)
    code, out = _run(sol, ex)
    assert code == 0 and "refreshed: exercises/p1.ipynb" in out
    assert "stale" not in nbformat.read(target, as_version=4).metadata["language_info"]
    nb = nbformat.read(target, as_version=4)
    nb.metadata["language_info"] = {"name": "python", "stale": True}
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", text="hello\n")]
    nbformat.write(nb, target)
    code, out = _run(sol, ex)
    assert code == 0 and "refreshed" not in out
    assert nbformat.read(target, as_version=4).metadata["language_info"]["stale"] is True

"""The instructor kit (workshop/*.md) against the repository it describes.

- every notebook, exercise, solution, explorer, costlib name, make target and CLI command the kit
  names exists, and every relative link (and #anchor) resolves;
- every notebook in notebooks/*.ipynb has learning objectives in the guide, each starting with a
  verb one can check ("compute", "explain", ...);
- every agenda table's minutes add up to the length its heading states, its time ranges are
  contiguous, and the 90-minute and half-day agendas exist; the facilitator script follows the
  90-minute agenda block by block;
- the exercise plan covers every registered exercise, agrees with the agendas about what is done
  in session, and the guide lists the diagnosed mistakes of every exercise;
- the interview path has the drills d1..dN in order, each with a target time, adding up to the
  stated total;
- the kit types no computed figures (no "$12", "141 GB", "35%", "2x" ...): numbers come from cells.

The parsers are tested on small broken snippets too, so a check that silently matches nothing
cannot pass.
"""
from __future__ import annotations

import importlib
import re
import unicodedata
from pathlib import Path

import pytest

import costlib
from costlib.teaching import grading, slip_table
from costlib.ui import cli, widgets

ROOT = Path(__file__).resolve().parents[1]
WORKSHOP = ROOT / "workshop"
GUIDE = WORKSHOP / "README.md"
INTERVIEW = WORKSHOP / "interview_prep.md"
SCRIPT = WORKSHOP / "script.md"
DOCS = sorted(WORKSHOP.glob("*.md"))

MEASURABLE_VERBS = {
    "calibrate", "check", "compare", "compute", "convert", "decide", "decompose", "define",
    "derive", "distinguish", "estimate", "explain", "find", "identify", "judge", "locate", "model",
    "name", "predict", "price", "rank", "read", "recompute", "recognise", "replace", "reproduce",
    "run", "size", "state", "turn", "use", "work",
}

MIN_OBJECTIVES = 3
HALF_DAY_RANGE_MIN = (180, 240)


# ---------------------------------------------------------------- parsing helpers


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _code_spans(text: str) -> list[str]:
    """Inline `code` spans and fenced code blocks."""
    fenced = re.findall(r"```[^\n]*\n(.*?)```", text, flags=re.S)
    inline = re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", text, flags=re.S))
    return fenced + inline


def _section(text: str, heading: str, level: int = 2) -> str:
    """The body under the heading that starts with ``heading``, up to the next heading of the same
    or a higher level ("" if there is none)."""
    hashes = "#" * level
    m = re.search(rf"^{hashes} {re.escape(heading)}[^\n]*\n", text, flags=re.M)
    if not m:
        return ""
    rest = text[m.end():]
    end = re.search(rf"^#{{1,{level}}} ", rest, flags=re.M)
    return rest[:end.start()] if end else rest


def _first_table(text: str) -> list[dict]:
    """The first markdown table in ``text`` as a list of row dicts (header -> cell)."""
    lines = text.splitlines()
    start = next((i for i, ln in enumerate(lines) if ln.startswith("|")), None)
    if start is None:
        return []
    rows = []
    for ln in lines[start:]:
        if not ln.startswith("|"):
            break
        rows.append([c.strip() for c in ln.strip().strip("|").split("|")])
    header, body = rows[0], rows[2:]  # rows[1] is the |---| separator
    return [dict(zip(header, r, strict=True)) for r in body]  # a ragged row fails


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    s = re.sub(r"[`*_]{2,}|`", "", heading.strip()).lower()
    s = "".join(ch for ch in s if ch in " -_" or unicodedata.category(ch)[0] in "LN")
    return s.replace(" ", "-")


def _anchors(text: str) -> set[str]:
    seen: dict[str, int] = {}
    out = set()
    for h in re.findall(r"^#{1,6} (.+)$", re.sub(r"```.*?```", "", text, flags=re.S), flags=re.M):
        base = _slug(h)
        n = seen.get(base, 0)
        out.add(base if n == 0 else f"{base}-{n}")
        seen[base] = n + 1
    return out


def _minutes(cell: str) -> int:
    m = re.fullmatch(r"(\d+)(?: min)?", cell.strip())
    if not m:
        raise AssertionError(f"not a number of minutes: {cell!r}")
    return int(m.group(1))


def _clock(s: str) -> int:
    h, m = s.split(":")
    return int(h) * 60 + int(m)


def _time_range(cell: str) -> tuple[int, int]:
    m = re.fullmatch(r"(\d+:\d\d)\s*[–-]\s*(\d+:\d\d)", cell.strip())
    if not m:
        raise AssertionError(f"not a time range H:MM–H:MM: {cell!r}")
    return _clock(m.group(1)), _clock(m.group(2))


# ---------------------------------------------------------------- checks (return lists of problems)


def link_problems(text: str, base: Path) -> list[str]:
    """Relative links whose file (or #anchor in a markdown file) does not exist."""
    problems = []
    for target in re.findall(r"\[[^\]]*\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):  # http:, https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        dest = (base / path).resolve() if path else None
        if dest is not None and not dest.exists():
            problems.append(f"link to a missing file: {target}")
            continue
        if anchor:
            doc = text if dest is None else (_read(dest) if dest.suffix == ".md" else None)
            if doc is not None and anchor not in _anchors(doc):
                problems.append(f"link to a missing anchor: {target}")
    return problems


def reference_problems(text: str) -> list[str]:
    """Notebooks, exercises, solutions, explorers, costlib names, make targets and CLI commands
    named in ``text`` that do not exist."""
    problems = []
    ids = set(grading.question_ids())
    for stem in sorted(set(re.findall(r"\b(\d\d[a-z]?_[a-z0-9_]+)\b", text))):
        exists = (ROOT / "notebooks" / f"{stem}.ipynb").exists()
        if not exists:
            problems.append(f"notebook {stem} does not exist")
    for folder, name in re.findall(r"\b(notebooks|exercises|solutions)/([\w.-]+)", text):
        p = ROOT / folder / name
        candidates = [p] if p.suffix else [p.with_suffix(".ipynb"), p.with_suffix(".py")]
        exists = any(c.exists() for c in candidates)
        if not exists:
            problems.append(f"{folder}/{name} does not exist")
    for qid in sorted(set(re.findall(r"\b((?:p|cq|d)\d+)\b", text))):
        if qid not in ids:
            problems.append(f"exercise {qid} is not a registered question")
    explorers = set(widgets.__all__)
    for name in sorted(set(re.findall(r"\bwidgets\.(\w+)", text))
                       | set(re.findall(r"\b(\w+_explorer)\b", text))):
        if name not in explorers:
            problems.append(f"widgets.{name} does not exist")
    for name in sorted(set(re.findall(r"\bcl\.(\w+)", text))):
        if not hasattr(costlib, name):
            problems.append(f"cl.{name} does not exist")
    for chain in sorted(set(re.findall(r"\bcostlib((?:\.\w+)+)", text))):
        if not _resolves("costlib" + chain):
            problems.append(f"costlib{chain} does not exist")
    makefile = _read(ROOT / "Makefile")
    spans = _code_spans(text)
    targets = {t for span in spans for t in re.findall(r"\bmake\s+([a-z][\w-]*)", span)}
    commands = {c for span in spans for c in re.findall(r"python -m costlib\s+([a-z]\w*)", span)}
    for target in sorted(targets):
        exists = re.search(rf"^{re.escape(target)}:", makefile, flags=re.M) is not None
        if not exists:
            problems.append(f"make {target}: no such Makefile target")
    for cmd in sorted(commands):
        exists = cmd in cli.COMMANDS
        if not exists:
            problems.append(f"python -m costlib {cmd}: no such command")
    return problems


def _resolves(dotted: str) -> bool:
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attr in parts[i:]:
            if not hasattr(obj, attr):
                return False
            obj = getattr(obj, attr)
        return True
    return False


TYPED_FIGURE = re.compile(
    r"\$\s?\d"                                                   # $12, $ 0.5
    r"|\d[\d,.]*\s?(?:GB|GiB|MB|kB|TB/s|GB/s|TFLOP|FLOP|kWh|kW|W|ms|%)(?![\w/])"
    r"|\d[\d,.]*\s?(?:tokens/s|tokens per second|×)"
    r"|\b\d[\d,.]*x\b"                                           # 2x, 1.5x
)


def typed_figures(text: str) -> list[str]:
    """Figures with units that costlib would compute (the kit must point to cells instead)."""
    text = text.replace(r"<span>\$</span>", "$")  # the markdown form of a dollar (tools/dollars.py)
    return [m.group(0) for m in TYPED_FIGURE.finditer(text)]


MEASURED_HEADING = re.compile(r"^(#{2,4}) [^\n]*\(measured\)[^\n]*$", re.M)


def without_measured_sections(text: str) -> str:
    """The text minus sections headed '... (measured)': figures a benchmark measured on a machine
    (how fast the app serves a room), not numbers costlib computes. Such a section must name the
    benchmark that produced its figures (a benchmarks/*.py file), else it is kept and checked."""
    out, pos = [], 0
    for m in MEASURED_HEADING.finditer(text):
        level = len(m.group(1))
        rest = text[m.end():]
        end = re.search(rf"^#{{1,{level}}} ", rest, flags=re.M)
        body = rest[:end.start()] if end else rest
        if re.search(r"benchmarks/\w+\.py", body):
            out.append(text[pos:m.end()])
            pos = m.end() + len(body)
    return "".join(out) + text[pos:]


def objective_problems(guide: str, stems: list[str]) -> list[str]:
    body = _section(guide, "Learning objectives per notebook")
    if not body:
        return ["the guide has no 'Learning objectives per notebook' section"]
    problems = []
    for stem in stems:
        sub = _section(body, stem, level=3)
        bullets = re.findall(r"^- (.+)$", sub, flags=re.M)
        if len(bullets) < MIN_OBJECTIVES:
            problems.append(f"{stem}: {len(bullets)} objectives, want at least {MIN_OBJECTIVES}")
        for b in bullets:
            verb = re.match(r"[A-Za-z]+", b)
            if not verb or verb.group(0).lower() not in MEASURABLE_VERBS:
                problems.append(f"{stem}: objective does not start with a measurable verb: {b[:60]}")
    return problems


def agendas(text: str) -> dict[str, tuple[int, list[dict]]]:
    """Heading -> (stated minutes, table rows) for every heading '... (N minutes)' with a table."""
    out = {}
    for m in re.finditer(r"^#{2,3} (.+?)\((\d+) minutes\)\s*$", text, flags=re.M):
        heading = m.group(1).strip()
        level = len(text[m.start():].split(" ", 1)[0])
        rows = _first_table(_section(text, heading, level=level))
        if rows:
            out[heading] = (int(m.group(2)), rows)
    return out


def agenda_problems(heading: str, stated: int, rows: list[dict]) -> list[str]:
    problems = []
    total = sum(_minutes(r["min"]) for r in rows)
    if total != stated:
        problems.append(f"{heading}: blocks add up to {total} min, heading says {stated}")
    clock = 0
    for r in rows:
        start, end = _time_range(r["time"])
        if start != clock:
            problems.append(f"{heading}: block {r['time']} should start at {clock // 60}:"
                            f"{clock % 60:02d}")
        if end - start != _minutes(r["min"]):
            problems.append(f"{heading}: block {r['time']} lasts {end - start} min, column says "
                            f"{r['min']}")
        clock = end
    return problems


def _ids_in(cell: str) -> set[str]:
    return set(re.findall(r"\b((?:p|cq|d)\d+)\b", cell))


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def guide() -> str:
    return _read(GUIDE)


@pytest.fixture(scope="module")
def guide_agendas(guide):
    return agendas(guide)


def _agenda(guide_agendas, minutes=None, word=None):
    found = [(h, v) for h, v in guide_agendas.items()
             if (minutes is None or v[0] == minutes) and (word is None or word in h.lower())]
    assert found, f"no agenda with minutes={minutes} word={word!r} in the guide"
    return found[0]


def _exercise_plan(guide) -> list[dict]:
    rows = _first_table(_section(guide, "Which exercises to assign when"))
    assert rows, "the guide has no exercise plan table"
    return rows


def _plan_id(row) -> str:
    ids = _ids_in(row["exercise"])
    assert len(ids) == 1, row["exercise"]
    return ids.pop()


# ---------------------------------------------------------------- the kit is complete


def test_kit_files_exist():
    for p in (GUIDE, INTERVIEW, SCRIPT, WORKSHOP / "handout.md"):
        assert p.exists(), p


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_links_resolve(doc):
    assert link_problems(_read(doc), doc.parent) == []


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_reference_exists(doc):
    assert reference_problems(_read(doc)) == []


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_no_typed_figures(doc):
    text = _read(doc)
    if slip_table.START in text:  # the generated slip table: its figures come from costlib
        text = text.replace(slip_table.block(text), "")
    assert typed_figures(without_measured_sections(text)) == []


def test_readme_points_to_the_kit():
    section = _section(_read(ROOT / "README.md"), "For instructors")
    assert "workshop/README.md" in section and "workshop/interview_prep.md" in section
    assert link_problems(section, ROOT) == []
    assert reference_problems(section) == []


def test_every_notebook_has_objectives(guide):
    stems = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert len(stems) >= 13  # 00-12 at least (12: levers beyond the chapter)
    assert objective_problems(guide, stems) == []


def test_agendas_add_up(guide_agendas):
    assert len(guide_agendas) >= 2
    problems = [p for h, (n, rows) in guide_agendas.items() for p in agenda_problems(h, n, rows)]
    assert problems == []


def test_ninety_minute_and_half_day_agendas(guide_agendas):
    _agenda(guide_agendas, minutes=90)
    heading, (minutes, _) = _agenda(guide_agendas, word="half-day")
    lo, hi = HALF_DAY_RANGE_MIN
    assert lo <= minutes <= hi, f"{heading}: a half day is {lo}-{hi} minutes, not {minutes}"


def test_half_day_covers_notebooks_00_to_09(guide_agendas):
    _, (_, rows) = _agenda(guide_agendas, word="half-day")
    material = " ".join(r["material"] for r in rows)
    for n in range(10):
        assert re.search(rf"\b{n:02d}_", material), f"notebook {n:02d} is not in the half-day"


def test_script_follows_the_90_minute_agenda(guide_agendas):
    _, (_, rows) = _agenda(guide_agendas, minutes=90)
    agenda_times = [_time_range(r["time"]) for r in rows]
    script_times = [_time_range(t) for t in
                    re.findall(r"^### (\d+:\d\d\s*[–-]\s*\d+:\d\d) ·", _read(SCRIPT), flags=re.M)]
    assert script_times == agenda_times


def test_exercise_plan_covers_every_exercise_once(guide):
    ids = [_plan_id(r) for r in _exercise_plan(guide)]
    assert sorted(ids) == sorted(grading.question_ids())
    assert len(ids) == len(set(ids))


def test_exercise_plan_links_the_solution(guide):
    for r in _exercise_plan(guide):
        qid = _plan_id(r)
        assert f"../solutions/{qid}.ipynb" in r["solution"], r


@pytest.mark.parametrize("column,word", [("90-minute session", None), ("half-day", "half-day")])
def test_exercise_plan_agrees_with_agenda(guide, guide_agendas, column, word):
    _, (_, rows) = _agenda(guide_agendas, minutes=90 if word is None else None, word=word)
    in_agenda = set().union(*(_ids_in(r["exercises"]) for r in rows))
    plan = _exercise_plan(guide)
    for r in plan:
        assert r[column] in ("in session", "homework"), r
    in_plan = {_plan_id(r) for r in plan if r[column] == "in session"}
    assert in_plan == in_agenda


def test_every_exercise_has_its_mistakes_listed(guide):
    body = _section(_section(guide, "Common mistakes the checks diagnose"), "Exercise by exercise",
                    level=3)
    listed = re.findall(r"^- \*\*((?:p|cq|d)\d+)\*\*", body, flags=re.M)
    assert sorted(listed) == sorted(grading.question_ids())


def test_guide_covers_every_way_to_run_it(guide):
    body = _section(guide, "Running it")
    for needle in ("make lab", "environment.yml", "postBuild", "conda env create",
                   "Pre-workshop checklist", "offline", "install fails"):
        assert needle.lower() in body.lower(), needle


def test_guide_explains_checking(guide):
    body = _section(guide, "How students check their answers")
    for needle in ("cl.check", "cl.hint", "cl.questions", "solutions"):
        assert needle in body + _section(guide, "Which exercises to assign when"), needle


# ---------------------------------------------------------------- the interview path


def _interview_rows():
    rows = _first_table(_section(_read(INTERVIEW), "The path"))
    assert rows, "interview_prep.md has no drill table under 'The path'"
    return rows


def test_interview_path_has_every_drill_in_order_with_a_time():
    drills = [q for q in grading.question_ids() if q.startswith("d")]
    assert len(drills) >= 10
    rows = _interview_rows()
    got = [_ids_in(r["drill"]) for r in rows]
    assert all(len(g) == 1 for g in got), got
    assert [g.pop() for g in got] == drills
    assert [int(r["order"]) for r in rows] == list(range(1, len(drills) + 1))
    for r in rows:
        assert 1 <= _minutes(r["target time"]) <= 30, r
        assert r["what it drills"] and r["self-check"], r


def test_interview_total_time_is_the_sum():
    m = re.search(r"^## The path \((\d+) minutes in total\)", _read(INTERVIEW), flags=re.M)
    assert m, "the path's heading states no total"
    assert sum(_minutes(r["target time"]) for r in _interview_rows()) == int(m.group(1))


def test_drill_times_agree_between_guide_and_interview_path(guide):
    target = {_ids_in(r["drill"]).pop(): _minutes(r["target time"]) for r in _interview_rows()}
    plan = {_plan_id(r): _minutes(r["about"]) for r in _exercise_plan(guide)}
    assert {k: plan[k] for k in target} == target


# ---------------------------------------------------------------- the checks themselves can fail


def test_reference_check_catches_missing_things():
    text = ("Open `notebooks/42_no_such_notebook.ipynb`, do p9 and cq7, see solutions/zz1, run "
            "`widgets.nope_explorer` and `cl.no_such_function`, then `make nothing-here` and "
            "`python -m costlib frobnicate`; costlib.teaching.grading.no_attr.")
    problems = reference_problems(text)
    for needle in ("42_no_such_notebook", "p9", "cq7", "solutions/zz1", "nope_explorer",
                   "cl.no_such_function", "make nothing-here", "frobnicate",
                   "costlib.teaching.grading.no_attr"):
        assert any(needle in p for p in problems), (needle, problems)


def test_reference_check_accepts_real_things():
    text = ("`notebooks/01_cost_model.ipynb`, p1, cq4, d10, `widgets.tour`, `cl.fit`, "
            "`costlib.teaching.grading.results()`, `make lab`, `python -m costlib plan`")
    assert reference_problems(text) == []


def test_link_check_catches_missing_files_and_anchors(tmp_path):
    (tmp_path / "other.md").write_text("# Title\n\n## A section\n", encoding="utf-8")
    text = ("# Here\n\n[ok](other.md#a-section) [ok](#here) [bad](missing.md) "
            "[bad anchor](other.md#nope) [bad local](#nowhere) [web](https://example.org/x)\n")
    problems = link_problems(text, tmp_path)
    assert problems == ["link to a missing file: missing.md",
                        "link to a missing anchor: other.md#nope",
                        "link to a missing anchor: #nowhere"]


def test_agenda_check_catches_bad_sums_and_gaps():
    text = ("## Plan (30 minutes)\n\n| time | min | block |\n|---|---|---|\n"
            "| 0:00–0:10 | 10 | a |\n| 0:15–0:30 | 15 | b |\n")
    (heading, (stated, rows)), = agendas(text).items()
    problems = agenda_problems(heading, stated, rows)
    assert any("add up to 25" in p for p in problems), problems
    assert any("should start at 0:10" in p for p in problems), problems


def test_objective_check_catches_missing_and_vague_objectives():
    guide = ("## Learning objectives per notebook\n\n### 01_cost_model\n\n- Compute a.\n"
             "- Understand b.\n- Explain c.\n\n## Next\n")
    problems = objective_problems(guide, ["01_cost_model", "02_throughput_ceiling"])
    assert any("Understand" in p for p in problems), problems
    assert any(p.startswith("02_throughput_ceiling: 0 objectives") for p in problems), problems


def test_typed_figure_check():
    assert typed_figures("costs $2.16 per M, 141 GB, 35%, 2x faster, 3.35 TB/s, 25 ms") == [
        "$2", "141 GB", "35%", "2x", "3.35 TB/s", "25 ms"]
    assert typed_figures("10 min, §30.10, d10, an hour has 3,600 seconds, 30-day months") == []


def test_measured_sections_are_exempt_only_with_their_benchmark():
    cited = "## Setup\nintro\n### Room (measured)\n`benchmarks/bench_room.py`: 4.3 GB\n## Next\n35%\n"
    assert typed_figures(without_measured_sections(cited)) == ["35%"]
    uncited = "### Room (measured)\nby hand: 4.3 GB\n## Next\n"
    assert typed_figures(without_measured_sections(uncited)) == ["4.3 GB"]

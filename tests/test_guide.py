"""notebooks/_guide.py: the start notebook's environment check, map and CLI example."""
from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("workbook_guide", ROOT / "notebooks" / "_guide.py")
guide = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(guide)


def test_environment_check_says_ready_when_everything_is_there():
    text = guide.check_environment().data
    assert text.startswith("**Ready.**")
    assert f"Python {sys.version_info.major}.{sys.version_info.minor}" in text


def test_environment_check_names_what_is_missing_and_how_to_fix_it():
    text = guide.check_environment(
        python=(3, 9, 1), required=[("no_such_module_xyz", "no-such-dist", "testing")]).data
    assert text.startswith("**Not ready yet**")
    assert "✗ Python 3.9.1" in text and "3.10 or newer" in text
    assert "✗ no_such_module_xyz is missing (testing)" in text and "make lab" in text


def test_sections_of_titles():
    assert guide.sections_of("03 · Peak vs real (§30.4–§30.5)") == [4, 5]
    assert guide.sections_of("x (§30.3)") == [3]
    assert guide.sections_of("all (§30.1-§30.11)") == list(range(1, 12))


def test_map_links_every_notebook_and_exercises_by_section():
    questions = pd.DataFrame([{"id": "q9", "section": "Practice (§30.3)", "summary": "s", "tolerance": "t"}])
    md = guide.workbook_map(questions=questions).data
    for nb in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        assert f"[{nb.stem}]({nb.name})" in md
    row = next(line for line in md.splitlines() if "02_throughput_ceiling" in line)
    assert "[q9](../exercises/q9.ipynb)" in row and "§30.3" in row
    row = next(line for line in md.splitlines() if "01_cost_model" in line)
    assert "q9" not in row


def test_exercise_table_writes_dollars_so_no_renderer_typesets_them():
    questions = pd.DataFrame([{"id": "p1", "section": "Practice 1 (§30.1)",
                               "summary": "at $2/hour: $ per million", "tolerance": "within 2%"}])
    md = guide.exercise_table(questions).data
    assert "at <span>\\$</span>2/hour: <span>\\$</span> per million" in md
    assert "$" not in md.replace("<span>\\$</span>", "")


def test_run_cli_prints_the_worked_steps():
    out = guide.run_cli("cost", "--usd-per-hour", 3.0, "--tokens-per-s", 1000)
    # $3/hour at 1,000 tokens/s: 3 / (1000 * 3600 / 1e6) = 0.8333 $/M, computed by hand
    assert re.search(r"0\.83", out), out

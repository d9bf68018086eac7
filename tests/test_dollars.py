"""Dollar amounts in markdown are never typeset as LaTeX (issue #17, item 1).

JupyterLab hides unescaped ``$…$`` pairs as math before parsing markdown, then MathJax typesets any
two dollars left in one run of text; myst (the book) reads ``$…$`` as math too. The house form of a
currency dollar, ``<span>\\$</span>``, is text in all three (tools/dollars.py). This fast check runs
over markdown cells, markdown outputs and HTML outputs of every notebook, the py:percent twins and
the workshop kit; tests/browser/test_math.py checks what JupyterLab really draws.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("costlib_tools_dollars", ROOT / "tools" / "dollars.py")
dollars = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(dollars)

FILES = sorted(
    [p for d in ("notebooks", "solutions", "exercises", "app") for p in (ROOT / d).glob("*.ipynb")]
    + [p for d in ("notebooks", "solutions", "app") for p in (ROOT / d / "py").glob("*.py")]
    + list((ROOT / "workshop").glob("*.md")))


def test_there_is_something_to_check():
    assert len([p for p in FILES if p.suffix == ".ipynb"]) >= 40


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_currency_dollar_can_become_math(path):
    found = dollars.check_file(path)
    assert not found, "dollar amounts that would be typeset as math (write them <span>\\$</span>, " \
        "or run python tools/dollars.py --fix):\n" + "\n".join(found[:10])


@pytest.mark.parametrize("text", [
    r"a GPU at \$3/hour against \$10/M output",        # escaped, but MathJax pairs them in the page
    "a GPU at $3/hour against $10/M output",            # a bare pair: math in JupyterLab and myst
    "so $/M grows as 1 ÷ utilization",                  # one bare dollar: math once a second appears
    r"| \$3/hour and \$10 | x |",                       # two in one table cell
    "<span>$</span>3/hour and <span>$</span>10/M",      # a span without the escape: still a pair
])
def test_the_check_catches_dollars_that_break(text):
    assert dollars.problems(text)
    assert not dollars.problems(dollars.fix(text))


@pytest.mark.parametrize("text", [
    r"<span>\$</span>3/hour against <span>\$</span>10/M",
    "with $W$ the weight bytes and $B\\,C\\,k$ the KV term ($2 \\times$ layers)",
    "$$\n\\frac{\\$}{\\text{million tokens}} = \\frac{\\text{price}\\;[\\$/\\text{h}]}{x}\n$$",
    "code: `$3/hour and $10/M` and\n```\n$ ls $HOME\n```",
    r"$\text{\$/month} = N \cdot p$",
])
def test_real_math_and_code_are_left_alone(text):
    assert not dollars.problems(text)
    assert dollars.fix(text) == text


def test_html_outputs_with_two_dollars_in_one_cell_are_caught():
    assert dollars.html_problems("<table><tr><td>$3/h and $10/M</td></tr></table>")
    assert not dollars.html_problems("<table><tr><td>$3/h</td><td>$10/M</td></tr></table>")

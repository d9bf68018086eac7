"""Every notebook as JupyterLab draws it (saved outputs): no prose typeset as math, and not marked
modified before anyone edits it; and a calm start (no notification, no deprecation warning).

JupyterLab typesets the text between two dollars as LaTeX, escaped or not (see tools/dollars.py);
tests/test_dollars.py catches that in the files, this test in what MathJax really draws. A formula
with four or more single-letter identifiers in a row is a word ("perhour"), never one of the
workbook's equations. The tab of a freshly opened notebook, once its kernel is up, must not carry
JupyterLab's "modified" mark (closing it would ask to save and rewrite a tracked file).

One page is loaded once; notebooks are opened and closed through JupyterLab's own commands
(window.jupyterapp, exposed by the test server), which is several times faster than a page load.
"""
from __future__ import annotations

import json
import time
import urllib.request

import browserkit as bk
import nbformat
import pytest
import widgetkit as wk

pytestmark = pytest.mark.browser

FOLDERS = ("notebooks", "solutions", "exercises", "app")
NOTEBOOKS = sorted(f"{d}/{p.name}" for d in FOLDERS for p in (bk.ROOT / d).glob("*.ipynb"))
# The exercise generator (costlib/exercises.py) writes language_info = {"name": "python"}; the
# kernel then fills it in and JupyterLab marks the notebook modified. Fix proposed in the report
# of issue #17 (copy the solution's language_info); strict, so the fix makes this test fail.
GENERATED = pytest.mark.xfail(strict=True, reason="costlib/exercises.py writes a partial language_info")
PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"


@pytest.fixture(scope="module")
def lab_page(browser, lab):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    requests = bk.RequestLog()
    ctx.route("**/*", requests.route)
    page = ctx.new_page()
    page.goto(f"{lab['base']}/lab?reset&token={lab['token']}")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.started", timeout=wk.RUN_TIMEOUT_MS)
    page.evaluate("() => window.jupyterapp.started")
    page.wait_for_timeout(3000)  # JupyterLab asks about news a moment after it starts, if it does
    page.requests = requests
    yield page
    ctx.close()


def open_rendered(page, path: str) -> None:
    """Open a notebook, wait for its kernel and until its cells and formulas stop changing."""
    page.evaluate("""async (path) => {
        const app = window.jupyterapp;
        await app.commands.execute('application:close-all');
        const w = await app.commands.execute('docmanager:open', {path, factory: 'Notebook'});
        await w.context.ready;
        await w.sessionContext.ready;
    }""", path)
    page.locator(f"{PANEL} .jp-Cell").first.wait_for(timeout=wk.RUN_TIMEOUT_MS)
    page.wait_for_function("""() => {
        const w = window.jupyterapp.shell.currentWidget;
        const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
        return k && k.status === 'idle';
    }""", timeout=wk.RUN_TIMEOUT_MS)
    last, stable_since, t0 = None, time.monotonic(), time.monotonic()
    while time.monotonic() - t0 < 60:
        now = page.evaluate(f"""() => [document.querySelectorAll('{PANEL} .jp-RenderedMarkdown').length,
                                       document.querySelectorAll('{PANEL} mjx-container').length,
                                       document.querySelectorAll('{PANEL} .jp-RenderedHTMLCommon').length]""")
        if now != last:
            last, stable_since = now, time.monotonic()
        elif time.monotonic() - stable_since > 1.0:
            return
        time.sleep(0.2)


def is_dirty(page) -> bool:
    return page.evaluate("() => window.jupyterapp.shell.currentWidget.context.model.dirty")


def shut_down_kernels(lab) -> None:
    """Opening a notebook starts a kernel; stop them all so the notebooks do not pile up kernels."""
    with urllib.request.urlopen(f"{lab['base']}/api/kernels?token={lab['token']}", timeout=30) as r:
        kernels = json.load(r)
    for k in kernels:
        req = urllib.request.Request(f"{lab['base']}/api/kernels/{k['id']}?token={lab['token']}",
                                     method="DELETE")
        urllib.request.urlopen(req, timeout=30).close()


def math_words(page) -> list:
    return page.evaluate(bk.MATH_WORDS_JS, PANEL)


def test_a_calm_start(lab_page, lab):
    """`make lab`'s server (tools/serve.py, the project's overrides.json): no news question or other
    notification after the start, no deprecation warning in the server's output."""
    texts = lab_page.locator(".Toastify__toast").all_inner_texts()
    assert not texts, f"notifications on a fresh start: {texts}"
    log = lab["log"].read_text()
    assert "DeprecationWarning" not in log, [ln for ln in log.splitlines() if "Deprecation" in ln]
    assert not lab_page.requests.blocked, f"requests to other hosts: {lab_page.requests.blocked}"


def test_the_checks_catch_dollar_math_and_a_modified_notebook(lab_page, lab, served_root):
    """The old escaping is drawn as math and flagged; a partial language_info makes a notebook
    open modified, and that is flagged too."""
    nb = nbformat.v4.new_notebook(metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    nb.cells = [nbformat.v4.new_markdown_cell(r"A GPU at \$3/hour against \$10/M output."),
                nbformat.v4.new_markdown_cell(r"Real math stays: $W + B\,C\,k$ and $U S T$.")]
    nbformat.write(nb, served_root / "notebooks" / "zz_selftest_dollars.ipynb")
    try:
        open_rendered(lab_page, "notebooks/zz_selftest_dollars.ipynb")
        bad = math_words(lab_page)
        dirty = is_dirty(lab_page)
    finally:
        shut_down_kernels(lab)
    assert len(bad) == 1 and "hour" in bad[0]["text"], bad
    assert dirty, "a notebook whose kernelspec differs from the kernel's must open modified"


@pytest.mark.parametrize("path", [pytest.param(p, marks=GENERATED) if p.startswith("exercises/") else p
                                  for p in NOTEBOOKS])
def test_no_prose_as_math_and_not_modified_on_open(lab_page, lab, path):
    try:
        open_rendered(lab_page, path)
        bad = math_words(lab_page)
        dirty = is_dirty(lab_page)
    finally:
        shut_down_kernels(lab)
    assert not bad, f"{path}: prose typeset as math: {bad[:5]}"
    assert not dirty, f"{path} opens marked as modified"

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
import urllib.error
import urllib.request

import browserkit as bk
import nbformat
import pytest
import widgetkit as wk

pytestmark = pytest.mark.browser

FOLDERS = ("notebooks", "solutions", "exercises", "app")
NOTEBOOKS = sorted(f"{d}/{p.name}" for d in FOLDERS for p in (bk.ROOT / d).glob("*.ipynb"))
# Generated exercises carry their solution's full language_info (costlib/teaching/exercises.py), so
# the kernel has nothing to fill in and JupyterLab does not mark them modified.
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


def open_rendered(page, path: str, wait_for_kernel: bool = False) -> None:
    """Open a notebook and wait until its cells and formulas stop changing; with
    ``wait_for_kernel``, also until its kernel has answered (JupyterLab then updates the
    notebook's kernelspec and language_info, which is what can mark it modified)."""
    page.evaluate("""async ([path, waitKernel]) => {
        const app = window.jupyterapp;
        await app.commands.execute('application:close-all');
        const w = await app.commands.execute('docmanager:open', {path, factory: 'Notebook'});
        await w.context.ready;
        const changes = window.__workbookChanges = [];  // what changed the model after loading
        const m = w.context.model;
        m.metadataChanged.connect((_, a) => changes.push('metadata ' + a.key + ': ' + JSON.stringify(a.newValue)));
        m.sharedModel.changed.connect((_, a) => changes.push(JSON.stringify(a).slice(0, 300)));
        if (!waitKernel) return;
        const kernelUp = (async () => {
            await w.sessionContext.ready;
            const k = w.sessionContext.session && w.sessionContext.session.kernel;
            if (k) await k.info;
        })();
        const limit = new Promise((_, reject) => setTimeout(() => reject(new Error('no kernel after 180 s')), 180000));
        await Promise.race([kernelUp, limit]);
        await new Promise(r => setTimeout(r, 500));
    }""", [path, wait_for_kernel])
    page.locator(f"{PANEL} .jp-Cell").first.wait_for(timeout=wk.RUN_TIMEOUT_MS)
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


def is_dirty(page, path: str) -> bool:
    """JupyterLab's "modified" state of the open notebook ``path`` (error if it is not open)."""
    return page.evaluate("""(path) => {
        const w = [...window.jupyterapp.shell.widgets('main')].find(
            w => w.context && w.context.path === path);
        if (!w) throw new Error(path + ' is not open');
        return w.context.model.dirty;
    }""", path)


def forget_changes(page) -> None:
    """Mark every open document unmodified, so closing it asks nothing (for the self-test)."""
    page.evaluate("""() => { for (const w of window.jupyterapp.shell.widgets('main'))
                               if (w.context) w.context.model.dirty = false; }""")


def shut_down_kernels(lab, page=None) -> None:
    """Opening a notebook starts a session and its kernel; close the notebooks, then end every
    session and kernel (a notebook left open would start a new kernel for its session)."""
    if page is not None:
        page.evaluate("() => window.jupyterapp.commands.execute('application:close-all')")
    for kind in ("sessions", "kernels"):
        with urllib.request.urlopen(f"{lab['base']}/api/{kind}?token={lab['token']}", timeout=30) as r:
            items = json.load(r)
        for item in items:
            req = urllib.request.Request(f"{lab['base']}/api/{kind}/{item['id']}?token={lab['token']}",
                                         method="DELETE")
            try:
                urllib.request.urlopen(req, timeout=60).close()
            except urllib.error.HTTPError as exc:  # already gone with its session
                if exc.code != 404:
                    raise


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
        open_rendered(lab_page, "notebooks/zz_selftest_dollars.ipynb", wait_for_kernel=True)
        bad = math_words(lab_page)
        dirty = is_dirty(lab_page, "notebooks/zz_selftest_dollars.ipynb")
    finally:
        forget_changes(lab_page)
        shut_down_kernels(lab, lab_page)
    assert len(bad) == 1 and "hour" in bad[0]["text"], bad
    assert dirty, "a notebook whose kernelspec differs from the kernel's must open modified"


# Waiting for a kernel per notebook is slow, so the modified check covers every chapter notebook,
# the app, and one solution and one exercise (those two folders are written by one generator each).
# It runs before the math check, on notebooks opened for the first time in this JupyterLab: a
# notebook reopened after its kernel was shut down while starting can come back modified.
OPENED_WITH_KERNEL = [p for p in NOTEBOOKS if p.startswith(("notebooks/", "app/"))] + \
    ["solutions/p1.ipynb", "exercises/p1.ipynb"]


@pytest.mark.parametrize("path", OPENED_WITH_KERNEL)
def test_not_modified_on_open(lab_page, lab, path):
    try:
        open_rendered(lab_page, path, wait_for_kernel=True)
        dirty = is_dirty(lab_page, path)
        changes = lab_page.evaluate("() => window.__workbookChanges")
    finally:
        shut_down_kernels(lab, lab_page)
    assert not dirty, f"{path} opens marked as modified; model changes after loading: {changes}"


@pytest.mark.parametrize("path", NOTEBOOKS)
def test_no_prose_typeset_as_math(lab_page, lab, path):
    try:
        open_rendered(lab_page, path)
        bad = math_words(lab_page)
    finally:
        shut_down_kernels(lab, lab_page)
    assert not bad, f"{path}: prose typeset as math: {bad[:5]}"

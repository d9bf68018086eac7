"""Every notebook as JupyterLab draws it (saved outputs): no prose typeset as math, and not marked
modified before anyone edits it; and a calm start (no notification, no deprecation warning).

JupyterLab typesets the text between two dollars as LaTeX, escaped or not (see tools/dollars.py);
tests/test_dollars.py catches that in the files, this test in what MathJax really draws. A formula
with four or more single-letter identifiers in a row is a word ("perhour"), never one of the
workbook's equations. The tab of a freshly opened notebook, once its kernel has answered, must not
carry JupyterLab's "modified" mark (closing it would ask to save and rewrite a tracked file).

One page is loaded once; notebooks are opened through JupyterLab's own commands (window.jupyterapp,
exposed by the test server). The modified check opens notebooks in JupyterLab's notebook UI: every
chapter notebook, the app, and one solution and one exercise (those two folders are written by one
generator each); for them the math check reads what that UI drew. Every other notebook's markdown
cells and saved outputs are drawn with the notebook's own rendermime registry (the renderers,
markdown parser, sanitizer and MathJax typesetter a notebook panel draws its cells with), each
rendering awaited, so no notebook waits for a whole notebook UI (about 40 ms of browser CPU per
cell, measured here), and none is drawn twice. The notebooks opened in the UI connect to one
python3 kernel started for this module, as JupyterLab connects a notebook to a running kernel:
JupyterLab asks it for its info and spec and writes them into the notebook's metadata, which is
what can mark a notebook modified, without a kernel start per notebook.
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
KERNEL = "python3"  # the kernel every workbook notebook names in its metadata
QUIET_NETWORK_S = 0.5  # JupyterLab's start is over when no request has been open for this long
QUIET_DOM_MS = 200  # a notebook is drawn when every cell is rendered and its DOM stays still this long

# Open a notebook (connected to the kernel `kernelId`, or to one started for it when null), wait until
# every cell is rendered (JupyterLab 4 renders the cells out of view when the browser is idle, one
# placeholder at a time), every saved output is drawn and the notebook's DOM has stopped changing
# (MathJax typesets each markdown cell when it is attached); then, with a kernel, until JupyterLab has
# its info and spec (the answers that make it update language_info and kernelspec).
OPEN_JS = r"""async ([path, kernelId, quietMs]) => {
  const app = window.jupyterapp;
  await app.commands.execute('application:close-all');
  const args = {path, factory: 'Notebook'};
  if (kernelId) args.kernel = {id: kernelId};
  const w = await app.commands.execute('docmanager:open', args);
  await w.context.ready;
  const changes = window.__workbookChanges = [];  // what changed the model after loading
  const m = w.context.model;
  m.metadataChanged.connect((_, a) => changes.push('metadata ' + a.key + ': ' + JSON.stringify(a.newValue)));
  m.sharedModel.changed.connect((_, a) => changes.push(JSON.stringify(a).slice(0, 300)));
  const nb = w.content;
  window.__workbookRendermime = nb.rendermime;  // for RENDER_JS
  const drawn = () => nb.widgets.length === nb.model.cells.length && nb.widgets.every(c => {
    if (c.isPlaceholder()) return false;
    if (c.model.type === 'markdown') {
      const r = c.inputArea && c.inputArea.renderedInput;
      return c.rendered && c.node.classList.contains('jp-mod-rendered') && !!r && r.isAttached;
    }
    return c.model.type !== 'code' || c.outputArea.widgets.length === c.model.outputs.length;
  });
  let changed = performance.now();
  const watch = new MutationObserver(() => { changed = performance.now(); });
  watch.observe(nb.node, {childList: true, subtree: true, characterData: true});
  const limit = performance.now() + 180000;
  try {
    while (!(drawn() && performance.now() - changed >= quietMs)) {
      if (performance.now() > limit) throw new Error(path + ' is not drawn after 180 s');
      await new Promise(r => setTimeout(r, 20));
    }
  } finally { watch.disconnect(); }
  const kernelUp = (async () => {
    await w.sessionContext.ready;
    const k = w.sessionContext.session && w.sessionContext.session.kernel;
    if (!k) throw new Error(path + ': no kernel');
    await k.info;
    await k.spec;
    await new Promise(r => setTimeout(r, 0));  // JupyterLab's own handlers of info and spec have run
    return k.id;
  })();
  const late = new Promise((_, reject) => setTimeout(() => reject(new Error(path + ': no kernel after 180 s')), 180000));
  return await Promise.race([kernelUp, late]);
}"""


# Draw the markdown cells and saved outputs of the notebook `path` (as the server sends it) into one
# element, with the rendermime registry of the last notebook OPEN_JS opened: a markdown cell as
# text/markdown, an output in the mime type an output area picks for an untrusted notebook (the test
# server's notebooks are untrusted: its notary secret is new), each typeset as the cell or output
# area does once it is attached. The element stays in the page for MATH_WORDS_JS; returns counts.
RENDER_HOST = "costlib-rendermime-check"
RENDER_JS = r"""async ([path, hostId]) => {
  const app = window.jupyterapp;
  const rm = window.__workbookRendermime;
  if (!rm) throw new Error('open a notebook first: its rendermime draws the others');
  const old = document.getElementById(hostId);
  if (old) old.remove();
  const host = document.createElement('div');
  host.id = hostId;
  document.body.appendChild(host);
  const nb = (await app.serviceManager.contents.get(path, {content: true})).content;
  const drawn = {markdown: 0, outputs: 0};
  const draw = async (data) => {
    const mime = rm.preferredMimeType(data, 'ensure');
    if (!mime) return false;
    const r = rm.createRenderer(mime);
    await r.renderModel({data, metadata: {}, trusted: false, setData() {}});
    host.appendChild(r.node);
    if (rm.latexTypesetter) await rm.latexTypesetter.typeset(r.node);
    return true;
  };
  for (const cell of nb.cells) {
    const text = Array.isArray(cell.source) ? cell.source.join('') : cell.source;
    if (cell.cell_type === 'markdown' && await draw({'text/markdown': text})) drawn.markdown++;
    for (const out of cell.outputs || [])
      if (out.data && await draw(out.data)) drawn.outputs++;
  }
  drawn.formulas = host.querySelectorAll('mjx-container').length;
  return drawn;
}"""


def _rest(lab, method: str, what: str, body=None):
    """Call the lab server's REST API; the answer's JSON (None if empty)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"{lab['base']}/api/{what}?token={lab['token']}", data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as r:
        text = r.read()
    return json.loads(text) if text else None


def end_sessions_and_kernels(lab) -> None:
    """End every session and kernel of the lab server (a session's DELETE also ends its kernel)."""
    for kind in ("sessions", "kernels"):
        for item in _rest(lab, "GET", kind):
            try:
                _rest(lab, "DELETE", f"{kind}/{item['id']}")
            except urllib.error.HTTPError as exc:  # already gone with its session or kernel
                if exc.code != 404:
                    raise


def wait_network_quiet(page, quiet_s: float = QUIET_NETWORK_S, timeout_s: float = 120) -> None:
    """Wait until no request of ``page`` has been open for ``quiet_s`` (new ones are tracked from now)."""
    pending: set = set()
    last = [time.monotonic()]

    def started(req):
        pending.add(req)
        last[0] = time.monotonic()

    def ended(req):
        pending.discard(req)
        last[0] = time.monotonic()

    page.on("request", started)
    page.on("requestfinished", ended)
    page.on("requestfailed", ended)
    try:
        t0 = time.monotonic()
        while pending or time.monotonic() - last[0] < quiet_s:
            assert time.monotonic() - t0 < timeout_s, f"requests still open after {timeout_s} s: {pending}"
            page.wait_for_timeout(50)
    finally:
        page.remove_listener("request", started)
        page.remove_listener("requestfinished", ended)
        page.remove_listener("requestfailed", ended)


@pytest.fixture(scope="module")
def lab_page(browser, lab):
    """JupyterLab, loaded once and settled: its start, its settings and what they trigger are done
    (JupyterLab asks about news once it has restored and read its settings and announcement config)."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    requests = bk.RequestLog(ctx)
    page = ctx.new_page()
    page.goto(f"{lab['base']}/lab?reset&token={lab['token']}")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.started", timeout=wk.RUN_TIMEOUT_MS)
    page.evaluate("() => window.jupyterapp.restored")
    wait_network_quiet(page)
    page.requests = requests
    yield page
    ctx.close()


# A notebook that warms JupyterLab's lazy parts up (the markdown parser, MathJax, a code block's
# highlighting) before any notebook is checked: once they are loaded, a cell is typeset within the
# task that attaches it, and the DOM's quiet spell cannot end before a formula is drawn.
WARM_UP = "notebooks/zz_warm_up.ipynb"
WARM_UP_FORMULAS = 2


@pytest.fixture(scope="module")
def kernel(lab, lab_page, served_root):
    """One python3 kernel for this module's notebooks (the ones test_lab.py ran are ended first)."""
    end_sessions_and_kernels(lab)
    kid = _rest(lab, "POST", "kernels", {"name": KERNEL})["id"]
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": KERNEL, "display_name": "Python 3",
                                                           "language": "python"}})
    nb.cells = [nbformat.v4.new_markdown_cell("Warm-up: $x^2$ and\n\n```python\nx = 1\n```"),
                nbformat.v4.new_code_cell("", outputs=[nbformat.v4.new_output(
                    "display_data", data={"text/markdown": "and $y^2$", "text/plain": "y"})])]
    nbformat.write(nb, served_root / WARM_UP)
    lab_page.evaluate(OPEN_JS, [WARM_UP, kid, QUIET_DOM_MS])
    lab_page.wait_for_function(f"() => document.querySelectorAll('{PANEL} mjx-container').length === "
                               f"{WARM_UP_FORMULAS}", timeout=wk.RUN_TIMEOUT_MS)
    forget_changes_and_close(lab_page)
    yield kid
    end_sessions_and_kernels(lab)


def is_dirty(page, path: str) -> bool:
    """JupyterLab's "modified" state of the open notebook ``path`` (error if it is not open)."""
    return page.evaluate("""(path) => {
        const w = [...window.jupyterapp.shell.widgets('main')].find(
            w => w.context && w.context.path === path);
        if (!w) throw new Error(path + ' is not open');
        return w.context.model.dirty;
    }""", path)


def forget_changes_and_close(page) -> None:
    """Mark every open document unmodified, so closing it asks nothing, and close it."""
    page.evaluate("""async () => {
        for (const w of window.jupyterapp.shell.widgets('main')) if (w.context) w.context.model.dirty = false;
        await window.jupyterapp.commands.execute('application:close-all');
    }""")


def open_and_check(page, lab, served_root, path: str, kernel_id: str) -> dict:
    """Open ``path`` in the notebook UI and read both checks: the formulas holding words, and the
    modified mark once the kernel has answered. A notebook that names another kernel gets its own."""
    saved = nbformat.read(served_root / path, as_version=4)
    shared = saved.metadata.get("kernelspec", {}).get("name") == KERNEL
    used = page.evaluate(OPEN_JS, [path, kernel_id if shared else None, QUIET_DOM_MS])
    try:
        return {"math": page.evaluate(bk.MATH_WORDS_JS, PANEL), "dirty": is_dirty(page, path),
                "formulas": page.locator(f"{PANEL} mjx-container").count(),
                "changes": page.evaluate("() => window.__workbookChanges")}
    finally:
        forget_changes_and_close(page)
        if used != kernel_id:
            _rest(lab, "DELETE", f"kernels/{used}")


def render_and_check(page, path: str) -> dict:
    """Draw ``path``'s markdown cells and outputs with the notebook rendermime (RENDER_JS); the
    formulas holding words, and how many cells, outputs and formulas were drawn."""
    drawn = page.evaluate(RENDER_JS, [path, RENDER_HOST])
    try:
        return {**drawn, "math": page.evaluate(bk.MATH_WORDS_JS, f"#{RENDER_HOST}")}
    finally:
        page.evaluate("(id) => document.getElementById(id).remove()", RENDER_HOST)


@pytest.fixture(scope="module")
def opened(lab_page, lab, served_root, kernel):
    """``opened(path)``: the checks of ``path`` in the notebook UI, read the first time it is asked for."""
    seen: dict = {}

    def get(path):
        if path not in seen:
            seen[path] = open_and_check(lab_page, lab, served_root, path, kernel)
        return seen[path]
    return get


def test_the_file_browser_lists_each_notebook_once_and_no_plumbing(lab):
    """What JupyterLab's file browser shows in notebooks/ (the server's contents API, which it lists): every
    notebook once (the jupytext twins are in py/), and not the start notebook's helper module."""
    url = f"{lab['base']}/api/contents/notebooks?content=1&token={lab['token']}"
    with urllib.request.urlopen(url, timeout=30) as r:
        names = [c["name"] for c in json.load(r)["content"]]
    assert (bk.ROOT / "notebooks" / "_guide.py").is_file() and "_guide.py" not in names, names
    assert not [n for n in names if n.endswith(".py")], names
    assert {p.name for p in (bk.ROOT / "notebooks").glob("[0-9]*.ipynb")} <= set(names)


def test_a_calm_start(lab_page, lab):
    """`make lab`'s server (tools/serve.py, the project's overrides.json): no news question or other
    notification after the start, no deprecation warning in the server's output. The check sees a
    notification when there is one."""
    texts = lab_page.locator(".Toastify__toast").all_inner_texts()
    count = lab_page.locator(".jp-Notification-Status").inner_text().strip()
    assert not texts and count == "0", f"notifications on a fresh start ({count}): {texts}"
    log = lab["log"].read_text()
    assert "DeprecationWarning" not in log, [ln for ln in log.splitlines() if "Deprecation" in ln]
    assert not lab_page.requests.blocked, f"requests to other hosts: {lab_page.requests.blocked}"
    nid = lab_page.evaluate("""() => window.jupyterapp.commands.execute('apputils:notify',
        {message: 'a self-test notification', type: 'info', options: {autoClose: false}})""")
    try:
        lab_page.locator(".Toastify__toast", has_text="a self-test notification").wait_for(timeout=30_000)
        assert lab_page.locator(".jp-Notification-Status").inner_text().strip() == "1"
    finally:
        lab_page.evaluate("(id) => window.jupyterapp.commands.execute('apputils:dismiss-notification', {id})", nid)


def test_the_checks_catch_dollar_math_and_a_modified_notebook(lab_page, lab, served_root, kernel):
    """The old escaping is drawn as math and flagged, in a markdown cell below the fold (the notebook
    UI renders it when the browser is idle) and in a saved markdown output, by both drawings; a
    partial language_info makes a notebook open modified, and that is flagged too."""
    path = f"{bk.SELFTEST}/dollars.ipynb"  # a folder of its own: not listed beside the workbook's notebooks
    (served_root / bk.SELFTEST).mkdir(exist_ok=True)
    nb = nbformat.v4.new_notebook(metadata={
        "kernelspec": {"name": KERNEL, "display_name": "Python 3", "language": "python"}})
    nb.cells = [nbformat.v4.new_markdown_cell(f"Filler paragraph {i}, long enough to take a line.")
                for i in range(80)]
    nb.cells += [nbformat.v4.new_markdown_cell(r"A GPU at \$3/hour against \$10/M output."),
                 nbformat.v4.new_markdown_cell(r"Real math stays: $W + B\,C\,k$ and $U S T$."),
                 nbformat.v4.new_code_cell("", outputs=[nbformat.v4.new_output("display_data", data={
                     "text/markdown": r"Rented at \$2/hour and sold at \$5/M.", "text/plain": "md"})])]
    nbformat.write(nb, served_root / path)
    in_ui = open_and_check(lab_page, lab, served_root, path, kernel)
    drawn = render_and_check(lab_page, path)
    assert drawn["markdown"] == 82 and drawn["outputs"] == 1, drawn
    for found in (in_ui, drawn):
        assert found["formulas"] == 4, f"{found['formulas']} formulas drawn: two prose, two real ones"
        texts = sorted(b["text"] for b in found["math"])
        assert len(texts) == 2 and "hour" in texts[0] and "hour" in texts[1], found["math"]
    assert in_ui["dirty"], "a notebook whose language_info differs from the kernel's must open modified"


# The notebooks opened in the notebook UI, with the kernel (see the module's docstring).
OPENED_WITH_KERNEL = [p for p in NOTEBOOKS if p.startswith(("notebooks/", "app/"))] + \
    ["solutions/p1.ipynb", "exercises/p1.ipynb"]


@pytest.mark.parametrize("path", OPENED_WITH_KERNEL)
def test_not_modified_on_open(opened, path):
    found = opened(path)
    assert not found["dirty"], f"{path} opens marked as modified; model changes after loading: {found['changes']}"


@pytest.mark.parametrize("path", NOTEBOOKS)
def test_no_prose_typeset_as_math(lab_page, opened, served_root, path):
    """A notebook opened in the notebook UI is checked in what the UI drew (OPEN_JS waits until every
    cell is rendered and every saved output drawn); the others are drawn with its rendermime."""
    if path in OPENED_WITH_KERNEL:
        bad = opened(path)["math"]
        assert not bad, f"{path}: prose typeset as math in the notebook UI: {bad[:5]}"
        return
    drawn = render_and_check(lab_page, path)
    saved = nbformat.read(served_root / path, as_version=4)
    markdown = sum(c.cell_type == "markdown" for c in saved.cells)
    outputs = sum("data" in o for c in saved.cells if c.cell_type == "code" for o in c.outputs)
    assert (drawn["markdown"], drawn["outputs"]) == (markdown, outputs), f"{path}: not all drawn: {drawn}"
    bad = drawn["math"]
    assert not bad, f"{path}: prose typeset as math: {bad[:5]}"

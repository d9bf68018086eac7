"""The workbook in a real JupyterLab (started as `make lab` starts it), driven with Chromium.

For three notebooks: open, clear, run every cell from the Run menu, then change a dropdown and move
a slider handle with the keyboard in the notebook's explorer, and check the text the page shows
against numbers this test computes with costlib's formula functions for the new inputs. An
impossible deployment must show "does not fit", and no cell may show a traceback.
"""
from __future__ import annotations

import re
import time

import browserkit as bk
import pytest
import widgetkit as wk
from playwright.sync_api import expect

import costlib as cl
from costlib.catalog.tables import api_name
from costlib.economics.cost import economics_profile
from costlib.teaching.chapter import CONTEXT_TOKENS

pytestmark = pytest.mark.browser

MODEL, GPU = "llama-3.1-70b", "H100-SXM"
NB = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook"  # the notebook in the visible tab


def load_lab(tab, lab) -> None:
    """Load JupyterLab in ``tab`` and wait until its app is up (window.jupyterapp, exposed by the test server).

    ?reset: a fresh workspace, so no notebook of an earlier run is reopened in a hidden tab; the file
    browser shows notebooks/, where the tests' notebooks are (as in the screenshots).
    """
    tab.goto(f"{lab['base']}/lab/tree/notebooks?reset&token={lab['token']}")
    tab.wait_for_function("() => window.jupyterapp && window.jupyterapp.started", timeout=wk.RUN_TIMEOUT_MS)
    tab.evaluate("() => window.jupyterapp.restored")


@pytest.fixture(scope="module")
def lab_tab(browser, lab):
    """One JupyterLab page for this module's tests (a page load is seconds of CPU); each test opens
    its notebook in it with JupyterLab's commands (window.jupyterapp, exposed by the test server)."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = ctx.new_page()
    tab.requests = bk.RequestLog(ctx)
    load_lab(tab, lab)
    yield tab
    ctx.close()


@pytest.fixture
def page(lab_tab, request):
    """The module's JupyterLab page at 1280x900, with no document open."""
    lab_tab.set_viewport_size({"width": 1280, "height": 900})
    t0 = time.perf_counter()
    yield lab_tab
    bk.TIMING[f"test {request.node.name}"] = time.perf_counter() - t0
    # ran cells modify a notebook: forget that, so closing it asks nothing (its kernel keeps running,
    # as it does when a page is closed)
    lab_tab.evaluate("""async () => {
        for (const w of window.jupyterapp.shell.widgets('main')) if (w.context) w.context.model.dirty = false;
        await window.jupyterapp.commands.execute('application:close-all');
    }""")


def open_and_run(page, lab, path: str):
    """Open a notebook, clear its saved outputs, run all cells and wait for every cell to finish."""
    # then close the other tabs (the launcher JupyterLab opens in an empty main area): the notebook is
    # the only tab, as when JupyterLab is loaded with the notebook's URL
    page.evaluate("""async (path) => {
        const app = window.jupyterapp;
        const nb = await app.commands.execute('docmanager:open', {path, factory: 'Notebook'});
        for (const w of [...app.shell.widgets('main')]) if (w !== nb) w.close();
    }""", path)
    page.locator(f"{NB} .jp-CodeCell").first.wait_for(timeout=wk.RUN_TIMEOUT_MS)
    expect(page.locator("#jp-main-statusbar")).to_contain_text("Idle", timeout=120_000)
    page.locator(f"{NB} .jp-CodeCell .jp-InputPrompt").first.click()  # the notebook has the focus
    outputs = page.locator(f"{NB} .jp-OutputArea-output")
    for attempt in range(3):  # the menu command may land before the notebook is ready: repeat it
        menu(page, "Edit", "Clear Outputs of All Cells")
        try:
            expect(outputs).to_have_count(0, timeout=5_000)
            break
        except AssertionError:
            if attempt == 2:
                raise
    menu(page, "Run", "Run All Cells")
    # done when every code cell has an execution number, or early when a cell failed (run-all
    # stops there, leaving the cells below unnumbered)
    page.wait_for_function(
        """() => {
            const nb = '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook';
            const err = [...document.querySelectorAll(
                nb + ' .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')];
            if (err.some(e => e.textContent.includes('Traceback'))) return true;
            const p = [...document.querySelectorAll(nb + ' .jp-CodeCell .jp-InputPrompt')];
            return p.length > 0 && p.every(e => /^\\[\\d+\\]:$/.test(e.textContent.trim()));
        }""", timeout=wk.RUN_TIMEOUT_MS)
    assert_no_traceback(page)
    prompts = page.locator(f"{NB} .jp-CodeCell .jp-InputPrompt").all_text_contents()
    assert all(re.fullmatch(r"\[\d+\]:", p.strip()) for p in prompts), f"cells not run: {prompts}"


def menu(page, top: str, item: str):
    page.locator(".lm-MenuBar-itemLabel", has_text=wk.exact(top)).click()
    page.locator(".lm-Menu-itemLabel", has_text=wk.exact(item)).click()


def assert_no_traceback(page):
    nb = page.locator(NB)
    errors = page.locator(f"{NB} .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    texts = [t for t in errors.all_text_contents() if "Traceback" in t]  # text of offscreen cells too
    assert not texts, f"a cell shows an error: {texts[0][:2000]}"
    body = nb.text_content()
    assert "Traceback (most recent call last)" not in body
    assert "internal error" not in body


def number(text: str, pattern: str) -> float:
    m = re.search(pattern, text)
    assert m, f"{pattern!r} not found in {text!r}"
    return float(m.group(1).replace(",", ""))


def finish(page, name: str, box):
    bk.save_screenshot(box, f"lab_{name}_explorer")
    bk.save_screenshot(page, f"lab_{name}_page")
    assert not page.requests.failed, f"local requests failed: {page.requests.failed}"


def test_a_failing_cell_is_reported(page, lab, served_root):
    """The checks above can fail: a notebook whose second cell raises is reported with its error."""
    import nbformat

    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    nb.cells = [nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("x / 0"),
                nbformat.v4.new_code_cell("print('never reached')")]
    # in a folder of its own, so the notebooks/ listing (in the README's screenshot) shows only the workbook
    (served_root / bk.SELFTEST).mkdir(exist_ok=True)
    nbformat.write(nb, served_root / bk.SELFTEST / "error.ipynb")
    with pytest.raises(AssertionError, match="ZeroDivisionError"):
        open_and_run(page, lab, f"{bk.SELFTEST}/error.ipynb")


def test_start_here_tour(page, lab):
    open_and_run(page, lab, "notebooks/00_start_here.ipynb")
    box = wk.explorer(page, "Tour: does it fit, how fast, what it costs")
    out = wk.output(box)
    # the tour opens on the chapter's example: 70B in bf16 on one H100, which cannot fit
    no_fit = cl.fit(cl.deployment(MODEL, GPU, 1, "bf16"), context=CONTEXT_TOKENS)
    assert not no_fit.fits
    expect(out).to_contain_text("does not fit")
    # the message says the deployment with the catalogs' names, not the ids one types
    ids, names = f"{MODEL} bf16 on 1x{GPU}", f"{cl.get_model(MODEL).name} BF16 on 1x {GPU.replace('-', ' ')}"
    assert names in no_fit.message and ids not in no_fit.message
    expect(out).to_contain_text(no_fit.message)
    bk.save_screenshot(box, "lab_00_tour_does_not_fit")

    wk.choose(box, "GPUs (TP)", "2")  # dropdown
    dep = cl.deployment(MODEL, GPU, 2, "bf16")
    tps = cl.predict(dep, *cl.request_shape(dep, CONTEXT_TOKENS)).output_tokens_per_s.mid  # the one engine
    expect(out).to_contain_text(f"{tps:,.0f} output tokens/s", timeout=wk.UPDATE_TIMEOUT_MS)
    expect(out).to_contain_text(f"${cl.usd_per_million_tokens(2 * 2.00, tps):.2f} per million")
    assert wk.readout(box, "$ per GPU-hour") == "2.00"

    wk.nudge(box, "$ per GPU-hour")  # slider, one step of $0.05 to the right
    usd = cl.usd_per_million_tokens(2 * 2.05, tps)
    expect(out).to_contain_text(f"${usd:.2f} per million output tokens", timeout=wk.UPDATE_TIMEOUT_MS)
    assert wk.readout(box, "$ per GPU-hour") == "2.05"
    assert number(out.inner_text(), r"\$([\d.]+)/hour") == pytest.approx(4.10)
    finish(page, "00", box)
    bk.save_screenshot(box, "lab_00_tour")


def test_throughput_explorer(page, lab):
    open_and_run(page, lab, "notebooks/02_throughput_ceiling.ipynb")
    box = wk.explorer(page, "Decode throughput vs batch (§30.3-§30.4)")
    out = wk.output(box)
    mbu, mfu = cl.realism("mid")
    s = cl.decode_step(cl.deployment(MODEL, GPU, 2, "bf16"), 8, CONTEXT_TOKENS, mbu, mfu)
    expect(out).to_contain_text(f"{s.tokens_per_s:,.0f} tokens/s for the replica", timeout=wk.UPDATE_TIMEOUT_MS)
    # the page told the kernel its device pixel ratio (1 here): the PNG has one pixel per CSS pixel
    assert wk.wait_screen_pixels(box)["ratio"] == 1

    wk.choose(box, "weights", "FP8")  # dropdown
    dep = cl.deployment(MODEL, GPU, 2, "fp8")
    s = cl.decode_step(dep, 8, CONTEXT_TOKENS, mbu, mfu)
    expect(out).to_contain_text(f"{s.tokens_per_s:,.0f} tokens/s for the replica", timeout=wk.UPDATE_TIMEOUT_MS)

    wk.nudge(box, "batch (sequences)")  # slider: batch 8 -> 9
    s = cl.decode_step(dep, 9, CONTEXT_TOKENS, mbu, mfu)
    expect(out).to_contain_text(f"step {s.step_time_s * 1e3:.2f} ms", timeout=wk.UPDATE_TIMEOUT_MS)
    expect(out).to_contain_text(f"{s.tokens_per_s:,.0f} tokens/s for the replica")
    assert wk.readout(box, "batch (sequences)") == "9"
    box.evaluate("(el) => el.scrollIntoView({block: 'start'})")  # controls and figure side by side
    bk.save_screenshot(page, "lab_02_throughput", readme_name="lab_throughput.png")

    # impossible: bf16 weights of a 70B model on a single H100
    wk.choose(box, "weights", "BF16")
    wk.choose(box, "tensor parallel (TP)", "1")
    no_fit = cl.fit(cl.deployment(MODEL, GPU, 1, "bf16"), context=CONTEXT_TOKENS, batch=9)
    expect(out).to_contain_text("does not fit", timeout=wk.UPDATE_TIMEOUT_MS)
    expect(out).to_contain_text(f"weights alone need {no_fit.weight_bytes / 1e9:,.1f} GB")
    finish(page, "02", box)


def test_utilization_explorer(page, lab):
    open_and_run(page, lab, "notebooks/03_utilization.ipynb")
    box = wk.explorer(page, "Utilization: what idle time costs (§30.4-§30.5)")
    out = wk.output(box)
    # the explorer's deployment: 70B fp8 on two H100s, batch 64, the chapter's $2/GPU-hour
    dep = cl.deployment(MODEL, GPU, 2, "fp8")
    mbu, mfu = cl.realism("mid")
    # the MBU/MFU sliders price on the one path: the chapter profile at those efficiencies, the
    # 2,048-token sequence as a 1,024 + 1,024 request, decode tokens/s = batch / TPOT
    est = cl.predict(dep, CONTEXT_TOKENS // 2, CONTEXT_TOKENS // 2, batch=64, profile=economics_profile(mbu=mbu, mfu=mfu))
    full = cl.usd_per_million_tokens(2 * 2.0, 64 / est.tpot_s.mid)
    expect(out).to_contain_text(f"${full:.2f}/M at full load", timeout=wk.UPDATE_TIMEOUT_MS)

    wk.choose(box, "compare with API", api_name("deepinfra-llama-3.3-70b"))  # dropdown: its label
    api = cl.get_api_price("deepinfra-llama-3.3-70b")["usd_per_million_output"]
    be = full / api
    verdict = f"at a {be:.0%} duty cycle" if be <= 1 else "is cheaper even at a 100% duty cycle"
    expect(out).to_contain_text(f"(${api:.2f}/M output) {verdict}", timeout=wk.UPDATE_TIMEOUT_MS)

    wk.nudge(box, "duty cycle", times=2)  # slider: 50% -> 52%
    at = cl.cost_at_utilization(full, 0.52)
    expect(out).to_contain_text(f"at a 52% duty cycle ${at:.2f}/M", timeout=wk.UPDATE_TIMEOUT_MS)
    assert wk.readout(box, "duty cycle") == "0.52"

    # impossible: a batch whose KV cache cannot fit beside the weights
    mb = cl.fit(dep, context=CONTEXT_TOKENS).max_batch
    wk.nudge(box, "batch (sequences)", key="End")
    expect(out).to_contain_text("does not fit", timeout=wk.UPDATE_TIMEOUT_MS)
    assert int(wk.readout(box, "batch (sequences)")) > mb
    finish(page, "03", box)


def test_capacity_explorer_fits_one_screen(page, lab):
    """#17 item 3: at 1440x900 the tallest explorer shows every control and its figure at once, the figure
    beside the controls, and a slider moved there changes the result in view. Its tallest state: the
    throughput derived from a deployment (15 of its 18 controls shown)."""
    page.set_viewport_size({"width": 1440, "height": 900})
    open_and_run(page, lab, "notebooks/08_capacity_rubric.ipynb")
    box = wk.explorer(page, "Capacity planning rubric (§30.10)")
    wk.choose(box, "per-GPU throughput", "derive from deployment")
    expect(wk.dropdown(box, "tensor parallel (TP)")).to_be_visible(timeout=wk.UPDATE_TIMEOUT_MS)
    box.evaluate("(el) => el.scrollIntoView({block: 'start'})")
    image = box.locator(".widget-image").first
    controls = box.locator(".widget-slider, .widget-dropdown")
    assert controls.count() == 18
    shown = [b for b in (controls.nth(i).bounding_box() for i in range(18)) if b]  # None: hidden by the mode
    assert len(shown) == 15, f"{len(shown)} controls shown"
    boxes = shown + [image.bounding_box()]
    assert all(b["y"] >= 0 and b["y"] + b["height"] <= 900 for b in boxes), \
        f"not all in view: bottoms {[round(b['y'] + b['height']) for b in boxes]}"
    assert boxes[-1]["x"] > max(b["x"] + b["width"] for b in boxes[:-1]) - 1  # figure to the right
    height = box.bounding_box()["height"]
    assert height <= 900, f"the explorer is {height:.0f} px tall"
    out = wk.output(box)
    before = out.inner_text()
    wk.nudge(box, "headroom")
    expect(out).not_to_have_text(before, timeout=wk.UPDATE_TIMEOUT_MS)
    bk.save_screenshot(page, "lab_08_capacity_one_screen")
    finish(page, "08", box)

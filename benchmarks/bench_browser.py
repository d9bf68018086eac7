"""Time the explorers in a real JupyterLab in Chromium at 1440x900: key press to repainted figure (run on demand).

A scratch notebook showing every explorer of ``widgets.EXPLORERS`` is run in a JupyterLab started as
``make lab`` starts it (tools/serve.py, via tests/browser/browserkit.py). For each explorer with a
slider, the page records (``performance.now()``) each keydown on the slider's handle and each repaint
of the figure: the moment the new PNG has been decoded and the next animation frame has run.

* one change: the explorer idle, one arrow key press; input -> repainted figure, >= 10 presses, median;
* of which to the new PNG: key press -> the figure's new PNG set on the page (the kernel's redraw and the
  messages both ways), median; the rest is decoding the PNG and the next frame (or the text, if later);
* a burst: 10 arrow presses as fast as Playwright sends them; from the last press to the last repaint
  once nothing changes for 2 s (the final state), and how many repaints the burst caused;
* height: the explorer's height in CSS px and whether the figure sits beside the controls;
* the floor: a first row times the same page parts with no drawing (a key press swaps two PNGs the tour
  drew beforehand): what the messages, the decode and the next frame cost on this machine by themselves.

Targets (issue #17 item 2): median <= 100 ms, after-burst <= 300 ms. Needs playwright and Chromium
(/usr/bin/chromium or $CHROMIUM); without them it says so and exits 0.

    .venv/bin/python benchmarks/bench_browser.py [--presses 11] [--pixel-ratio 1] [--only capacity_explorer] [--json]
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import browserkit as bk  # noqa: E402
import widgetkit as wk  # noqa: E402
from bench_widgets import CHANGES  # noqa: E402  (the control each explorer moves)
from bench_widgets import START as START_ARGS  # noqa: E402  (where an explorer starts, when not at its default)

VIEWPORT = {"width": 1440, "height": 900}
MEDIAN_TARGET_MS, BURST_TARGET_MS = 100.0, 300.0
NOTEBOOK = "notebooks/zz_bench_explorers.ipynb"
# arguments of an explorer whose default does not react to its timed slider (bench_widgets.START says why)
START = {name: ", ".join(f"{k}={v!r}" for k, v in args.items()) for name, args in START_ARGS.items()}

# Installed on one explorer: keydowns inside it and repaints of its figure (the new PNG decoded, then
# the next animation frame) or of its text result, in page time (ms). An explorer whose figure does not
# depend on the slider (the tour's price) is timed by its text.
PROBE = """(box) => {
    const img = box.querySelector('.widget-image');
    const out = box.querySelector('.costlib-result');
    const t = {keys: [], paints: [], srcs: []};
    const painted = () => requestAnimationFrame(() => t.paints.push(performance.now()));
    box.addEventListener('keydown', () => t.keys.push(performance.now()), true);
    new MutationObserver(() => { t.srcs.push(performance.now()); img.decode().catch(() => null).then(painted); })
        .observe(img, {attributes: true, attributeFilter: ['src']});
    new MutationObserver(painted).observe(out, {childList: true, subtree: true, characterData: true});
    window.__probe = t;
}"""


# The floor: the same page parts as an explorer (a slider, a figure, a text result), but a key press only
# swaps two PNGs the tour drew beforehand (at the density an explorer uses on this page's screen), and the
# text: the messages both ways, the PNG's decode and the next frame, with no computing or drawing. What an
# explorer takes beyond this is its redraw.
FLOOR_TITLE, FLOOR_LABEL = "Message path only (no drawing)", "value"
FLOOR_CELL = f"""import ipywidgets as w
from costlib.ui import widgets
from costlib.ui.widgets.pixel_ratio import PixelRatio, pixel_density
tour = widgets.EXPLORERS["tour"]()
pngs = {{}}  # density -> the two PNGs, drawn as an explorer on a screen of that pixel ratio draws them
for d in (2, 1):
    tour.pixel_ratio.ratio = float(d)
    pngs[d] = [bytes(tour.set(tp=1).image.value), bytes(tour.set(tp=2).image.value)]
value = w.IntSlider(50, min=0, max=100, description={FLOOR_LABEL!r}, continuous_update=True)
img, out, ratio = w.Image(value=pngs[2][0], format="png"), w.HTML("50"), PixelRatio()
out.add_class("costlib-result")
def swap(change):
    img.value = pngs[pixel_density(ratio.ratio, 2)][change["new"] % 2]
    out.value = str(change["new"])
value.observe(swap, names="value")
w.VBox([w.HTML("<b>{FLOOR_TITLE}</b>"), w.HBox([value, w.VBox([img, out, ratio])])])"""


def scratch_notebook(names, floor: bool = True) -> str:
    import nbformat

    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    nb.cells = [nbformat.v4.new_code_cell("from costlib.ui import widgets")]
    nb.cells += [nbformat.v4.new_code_cell(FLOOR_CELL)] if floor else []
    nb.cells += [nbformat.v4.new_code_cell(f"widgets.EXPLORERS[{n!r}]({START.get(n, '')})") for n in names]
    return nbformat.writes(nb)


def probe(page) -> dict:
    return page.evaluate("() => ({keys: window.__probe.keys.slice(), paints: window.__probe.paints.slice(), "
                         "srcs: window.__probe.srcs.slice()})")


def wait_quiet(page, quiet_s: float = 2.0, timeout_s: float = 60.0) -> dict:
    """Wait until the figure has not been repainted for ``quiet_s``; return the probe."""
    t0 = time.monotonic()
    last, since = None, time.monotonic()
    while time.monotonic() - t0 < timeout_s:
        p = probe(page)
        n = len(p["paints"])
        if n != last:
            last, since = n, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            return p
        time.sleep(0.05)
    return probe(page)


def measure(page, name: str, title: str, label: str, presses: int) -> dict:
    box = wk.explorer(page, title)
    box.scroll_into_view_if_needed()
    page.evaluate("(el) => el.scrollIntoView({block: 'start'})", box.element_handle())
    rect = box.bounding_box()
    panel = box.locator(".widget-hbox").first.bounding_box()
    image = box.locator(".widget-image").first.bounding_box()
    beside = image["x"] > panel["x"] + 100 and image["y"] < panel["y"] + panel["height"]
    box.evaluate(PROBE)
    handle = wk.slider(box, label).locator(".noUi-handle")
    handle.focus()
    single, to_src = [], []
    for i in range(presses):
        before = wait_quiet(page, quiet_s=0.6)
        handle.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")
        after = wait_quiet(page, quiet_s=0.6)
        new = after["paints"][len(before["paints"]):]
        if new:  # the last repaint the key press caused: text and figure both updated
            single.append(new[-1] - after["keys"][-1])
        srcs = after["srcs"][len(before["srcs"]):]
        if srcs:  # the new PNG reached the page (kernel redraw + messages both ways), before its decode
            to_src.append(srcs[-1] - after["keys"][-1])
    before = wait_quiet(page, quiet_s=1.0)
    for _ in range(10):  # JupyterLab may take the focus back after an output changes: give it each time
        handle.press("ArrowRight")
    after = wait_quiet(page, quiet_s=2.0)
    burst_paints = after["paints"][len(before["paints"]):]
    last_key = after["keys"][-1]
    return {"explorer": name, "control": label, "height_px": round(rect["height"]), "figure_beside": beside,
            "presses": len(single), "median_ms": statistics.median(single) if single else None,
            "max_ms": max(single) if single else None,
            "to_image_ms": statistics.median(to_src) if to_src else None,
            "after_burst_ms": (burst_paints[-1] - last_key) if burst_paints else None,
            "burst_repaints": len(burst_paints)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--presses", type=int, default=11, help="single key presses per explorer (>= 10)")
    ap.add_argument("--only", action="append", choices=sorted(CHANGES), help="time only these explorers")
    ap.add_argument("--pixel-ratio", type=float, default=1.0,
                    help="the page's device pixel ratio: 1 a standard screen, 2 a HiDPI one (explorers draw 2x)")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = ap.parse_args(argv)
    reason = bk.missing_reason()
    if reason:
        print(f"skipped: {reason}")
        return 0
    import matplotlib

    matplotlib.use("Agg")
    from playwright.sync_api import sync_playwright

    from costlib.ui import widgets

    names = args.only or list(CHANGES)
    targets = {}
    for n in names:  # title and slider label of each explorer, as the page shows them
        ex = widgets.EXPLORERS[n]()
        targets[n] = (ex.title, ex.controls[CHANGES[n][0]].description)
    with tempfile.TemporaryDirectory() as tmp:
        root = bk.copy_tree_for_serving(Path(tmp) / "served")
        (root / NOTEBOOK).write_text(scratch_notebook(names), encoding="utf-8")
        work = Path(tmp) / "server"
        work.mkdir()
        port, token = bk.serve.free_port(), secrets.token_hex(16)
        proc, log = bk.start_server("lab", root, work, port, token)
        lab = {"base": f"http://127.0.0.1:{port}", "token": token, "log": log}
        rows = []
        try:
            bk.wait_http(f"{lab['base']}/api/status?token={token}", proc, log)
            import test_lab

            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=bk.chromium_path(), args=bk.CHROMIUM_ARGS)
                page = browser.new_page(viewport=VIEWPORT, device_scale_factor=args.pixel_ratio)
                test_lab.load_lab(page, lab)
                test_lab.open_and_run(page, lab, NOTEBOOK)
                rows.append(measure(page, "(floor: message path only)", FLOOR_TITLE, FLOOR_LABEL, args.presses))
                print(json.dumps(rows[-1]), file=sys.stderr)
                for n in names:
                    rows.append(measure(page, n, *targets[n], presses=args.presses))
                    print(json.dumps(rows[-1]), file=sys.stderr)
                browser.close()
        finally:
            bk.stop_server(proc)
    load = os.getloadavg()[0]
    if args.json:
        print(json.dumps({"viewport": VIEWPORT, "pixel_ratio": args.pixel_ratio, "load_avg_1min": round(load, 2),
                          "rows": rows}))
        return 0
    print(f"Explorers in JupyterLab, Chromium {VIEWPORT['width']}x{VIEWPORT['height']} at pixel ratio {args.pixel_ratio:g} (load average "
          f"{load:.2f}): key press -> repainted figure\n")
    print("| explorer | slider | presses | median ms | of which to the new PNG ms | max ms | after 10-press burst ms "
          "| repaints in burst | height px | figure beside controls |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---|")

    def ms(x):
        return "—" if x is None else f"{x:.0f}"

    for r in rows:
        print(f"| {r['explorer']} | {r['control']} | {r['presses']} | {ms(r['median_ms'])} | {ms(r['to_image_ms'])} | "
              f"{ms(r['max_ms'])} | "
              f"{ms(r['after_burst_ms'])} | {r['burst_repaints']} | {r['height_px']} | "
              f"{'yes' if r['figure_beside'] else 'no'} |")
    explorers = rows[1:]  # after the floor
    meds = [r["median_ms"] for r in explorers if r["median_ms"] is not None]
    bursts = [r["after_burst_ms"] for r in explorers if r["after_burst_ms"] is not None]
    tallest = max(explorers, key=lambda r: r["height_px"])
    print(f"\nworst median {max(meds):.0f} ms (target {MEDIAN_TARGET_MS:.0f}), worst after-burst "
          f"{max(bursts):.0f} ms (target {BURST_TARGET_MS:.0f}), tallest {tallest['explorer']} "
          f"{tallest['height_px']} px (viewport {VIEWPORT['height']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

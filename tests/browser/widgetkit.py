"""Driving ipywidgets explorers in a real page (JupyterLab or Voilà) with Playwright."""
from __future__ import annotations

import re

RUN_TIMEOUT_MS = 240_000  # run-all of a notebook on a busy 2-core machine
# one control change -> kernel -> redrawn explorer; 30 s once ran out with the load average
# at 26 on this 2-core machine (the expectation returns as soon as the text is there)
UPDATE_TIMEOUT_MS = 90_000


def exact(text: str):
    return re.compile(rf"^\s*{re.escape(text)}\s*$")


def explorer(page, title: str):
    """The explorer widget whose bold header is ``title``."""
    box = page.locator(".widget-vbox").filter(has=page.locator("b", has_text=exact(title)))
    box.first.wait_for(state="visible", timeout=RUN_TIMEOUT_MS)
    return box.first


def output(box):
    """The explorer's text result (the HTML widget under the figure, class costlib-result)."""
    return box.locator(".costlib-result").first


def dropdown(box, label: str):
    return box.locator(".widget-dropdown").filter(has=box.page.locator("label", has_text=exact(label))).locator(
        "select")


def choose(box, label: str, option: str):
    """Pick an option of a dropdown by its visible label, as a mouse user would."""
    dropdown(box, label).select_option(label=option)


def slider(box, label: str):
    return box.locator(".widget-slider").filter(has=box.page.locator("label", has_text=exact(label)))


def nudge(box, label: str, key: str = "ArrowRight", times: int = 1):
    """Focus a slider's handle and press a key (one step per press), as a keyboard user would."""
    handle = slider(box, label).locator(".noUi-handle")
    handle.focus()
    for _ in range(times):
        handle.press(key)


def readout(box, label: str) -> str:
    return slider(box, label).locator(".widget-readout").inner_text().strip()


def wait_screen_pixels(box, timeout_ms: int = UPDATE_TIMEOUT_MS) -> dict:
    """Wait until the explorer's figure has as many pixels as the page's screen shows: its PNG's width is
    the figure's CSS width (its max-width) times the page's device pixel ratio (at most 2, as the explorers
    draw). Returns what the page measured, for the message of a failed assertion."""
    img = box.locator(".widget-image").first
    measure = """(el) => ({natural: el.naturalWidth, css: parseFloat(getComputedStyle(el).maxWidth),
                          ratio: window.devicePixelRatio})"""
    img.wait_for(state="visible", timeout=timeout_ms)
    img.page.wait_for_function(
        """(el) => el.complete && el.naturalWidth === Math.round(parseFloat(getComputedStyle(el).maxWidth)
                                                               * Math.min(2, Math.ceil(window.devicePixelRatio)))""",
        arg=img.element_handle(), timeout=timeout_ms)
    return img.evaluate(measure)

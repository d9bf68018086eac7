"""The explorer: controls, a text result and one figure; control changes recompute and redraw, stale ones dropped."""
from __future__ import annotations

import asyncio
import contextlib
import html
import time

import ipywidgets as w
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from costlib.economics.cost import NotFeasible
from costlib.ui import plots
from costlib.ui.widgets import specs
from costlib.ui.widgets.painter import Painter, empty_axes
from costlib.ui.widgets.pixel_ratio import PixelRatio, pixel_density

DPI = 90  # CSS pixels per inch of figure: the layout (the image's width on the page)
# PNG pixels per CSS pixel until the page tells its device pixel ratio (then 1 on a standard screen, 2 on a
# HiDPI one): 2 where no page is (the book's and the notebooks' saved outputs), so those stay crisp everywhere
PIXEL_DENSITY = 2
RESULT_MAX_HEIGHT_PX = 300  # the text under the figure scrolls beyond this
COOLDOWN_S = 0.02  # after a redraw, changes within this long are gathered into one follow-up redraw


# ---------------------------------------------------------------- the explorer

class Explorer:
    """Controls, a text result and one figure; any control change recomputes and redraws (§30.1).

    ``compute(values, ax)`` draws on ``ax`` and returns the message (str) or (message, html).
    ``message`` holds the last text shown; ``ok`` is False when costlib refused the inputs.
    Each redraw starts from empty axes (matplotlib's public API) and is painted with Agg as a PNG by
    ``painter``, with as many pixels per CSS pixel as the page's screen has (``density``: 1 or 2, from
    the page's ``devicePixelRatio``; ``PIXEL_DENSITY`` until a page says): the axes' frames (ticks, labels,
    titles) are drawn again only when they changed, the plotted content over a kept background
    otherwise, and constrained layout runs only when the margins moved. Changes from the page are coalesced: when idle a change
    redraws at once; changes that arrive while a redraw runs (or within ``COOLDOWN_S`` after it) only
    mark the figure stale, and one follow-up redraw shows the latest values. Coalescing happens only for
    changes sent by the page to a live IPython kernel (see :func:`page_loop`); anywhere else (scripts,
    tests, a cell setting a value, a foreign asyncio loop) every change redraws at once, as do ``set()``
    and ``hold()``.
    """

    def __init__(self, title, controls, compute, *, link=None, figsize=(7.5, 4.3), help_text=None):
        self.title = title
        self.controls = dict(controls)
        self._compute = compute
        self._link = link
        self._held = False  # inside hold(): no redraw per change
        self._linking = False  # inside the link: changes it makes do not trigger it again
        self._drawing = False  # inside update()
        self._dirty = False  # a change not drawn yet
        self._follow_up = None  # the scheduled follow-up redraw (an asyncio handle), if any
        self._last_draw_end = -float("inf")
        self._message_shown = False  # the axes show a centred message, not a plot
        self.redraws = 0  # how many times the figure was drawn
        self.message = ""
        self.ok = True
        # long results (the hardware table) scroll inside the explorer, so it stays one screen tall
        self.out = w.HTML(layout=w.Layout(margin="4px 0", max_height=f"{RESULT_MAX_HEIGHT_PX}px", overflow="auto"))
        # the figure is drawn at the PNG's density; its CSS size is figsize * DPI
        self.density = PIXEL_DENSITY
        self.fig = Figure(figsize=figsize, dpi=DPI * self.density)
        FigureCanvasAgg(self.fig)
        self.painter = Painter(self.fig)  # draws the frame once, then only the content that changes
        with plots.style():
            self.ax = self.fig.add_subplot()
        css_width = f"{round(figsize[0] * DPI)}px"
        self.out.add_class("costlib-result")
        # the figure shrinks a little rather than wrap under the controls
        self.image = w.Image(format="png", layout=w.Layout(width="100%", max_width=css_width))
        # hidden; tells the kernel the page's device pixel ratio, so the PNG has the pixels the screen shows
        self.pixel_ratio = PixelRatio(layout=w.Layout(display="none"))
        self.pixel_ratio.observe(self._pixel_ratio_changed, names="ratio")
        figure = w.VBox([self.image, self.out, self.pixel_ratio],
                        layout=w.Layout(flex="1 1 360px", min_width="0", max_width=css_width))
        header = w.HTML(f"<b>{html.escape(title)}</b>")
        hint = w.HTML(f'<span style="color:#555;font-size:12px">{html.escape(help_text or HELP_TEXT)}</span>')
        body = w.HBox([control_panel(self.controls), figure],
                      layout=w.Layout(flex_flow="row wrap", align_items="flex-start"))
        self.widget = w.VBox([header, hint, body])
        for name, c in self.controls.items():
            c.observe(lambda change, name=name: self._changed(name, change["new"]), names="value")
        self.update()

    def values(self) -> dict:
        """Current value of every control, by name."""
        return {k: c.value for k, c in self.controls.items()}

    @contextlib.contextmanager
    def hold(self):
        """Change several controls without recomputing after each; recompute once at the end."""
        was, self._held = self._held, True
        try:
            yield self
        finally:
            self._held = was
        if not was:
            self.update()

    def set(self, **values):
        """Set several controls by name, then recompute once."""
        unknown = set(values) - set(self.controls)
        if unknown:
            raise ValueError(f"unknown control(s) {sorted(unknown)}; this explorer has {list(self.controls)}")
        with self.hold():
            for k, val in values.items():
                self.controls[k].value = val
        return self

    def _changed(self, name, new):
        if self._linking:  # a change made by the link itself: the outer change redraws
            return
        if self._link is not None:
            self._linking = True
            try:
                self._link(self, name, new)
            finally:
                self._linking = False
        if not self._held:
            self._request()

    def _pixel_ratio_changed(self, change):
        """The page reported its device pixel ratio: redraw at that density if it differs."""
        density = pixel_density(change["new"], PIXEL_DENSITY)
        if density == self.density:
            return
        self.density = density
        self.fig.set_dpi(DPI * density)
        self.painter.forget_layout()  # margins and the kept frame were measured in the old pixels
        self._request()

    def _request(self):
        """Redraw now when idle; otherwise mark the figure stale and redraw once, later, with the latest values."""
        self._dirty = True
        if self._drawing or self._follow_up is not None:
            return  # the running redraw's follow-up picks up the latest values
        loop = page_loop()
        wait_s = self._last_draw_end + COOLDOWN_S - time.perf_counter()
        if loop is None or wait_s <= 0:
            self.update()
        else:
            self._follow_up = loop.call_later(wait_s, self._run_follow_up)

    def _run_follow_up(self):
        self._follow_up = None
        if self._dirty:
            self.update()

    def update(self):
        """Recompute from the controls, redraw the figure and refresh the text."""
        self._dirty, self._drawing = False, True
        try:
            self._update()
        finally:
            self._drawing = False
            self._last_draw_end = time.perf_counter()
        if self._dirty and self._follow_up is None:  # changed while drawing (e.g. by compute): once more
            self._request()

    def _update(self):
        with plots.style():
            if self._message_shown:  # a centred message restyled the axes: start from new ones
                self.fig.clear()
                self.ax = self.fig.add_subplot()
            else:
                empty_axes(self.ax)  # as ax.cla(), keeping the ticks: the frame is usually kept
            self._message_shown = False
            try:
                shown = self._compute(self.values(), self.ax)
                self.ok = True
            except ValueError as e:  # bad input or NotFeasible: say so inside the explorer
                shown, self.ok = _error_text(e), False
                self._show_message(shown)
            except Exception as e:  # a bug: still no traceback in the widget, but never hidden
                shown, self.ok = f"internal error ({type(e).__name__}): {e}. Please report it.", False
                self._show_message(shown)
            png = self._png()
        text, extra = shown if isinstance(shown, tuple) else (shown, None)
        self.message = text
        self.image.value = png  # sent first: the page decodes the figure while the text arrives
        self.out.value = message_html(text, self.ok and not text.startswith("does not fit")) + (extra or "")
        self.redraws += 1

    def redraw(self):
        """Recompute and draw everything again (e.g. after changing ``ax`` by hand)."""
        self.update()

    def _show_message(self, text):
        self.fig.clear()
        self.ax = self.fig.add_subplot()
        plots.message_axes(text, ax=self.ax)
        self._message_shown = True

    def _png(self) -> bytes:
        """Paint the figure (only what changed, see :class:`~costlib.ui.widgets.painter.Painter`) as a PNG."""
        return self.painter.png()

    def _repr_mimebundle_(self, include=None, exclude=None):
        data = self.widget._repr_mimebundle_(include=include, exclude=exclude) or {}
        data = dict(data)
        data["text/plain"] = f"{self.title}\n{self.message}"
        data["image/png"] = bytes(self.image.value)  # shown where widgets cannot render (static pages)
        return data

    def _ipython_display_(self):
        from IPython.display import display

        display(self._repr_mimebundle_(), raw=True)

    def __repr__(self) -> str:
        return f"<Explorer {self.title!r}: {self.message.splitlines()[0] if self.message else ''}>"


def control_panel(controls: dict):
    """The controls in one column, grouped under small headings (deployment, workload, prices, view) (§30.1)."""
    groups = group_controls(controls)
    boxes = []
    for title, members in groups:
        heading = [w.HTML(f'<div style="{_HEADING}">{html.escape(title)}</div>')] if len(groups) > 1 else []
        boxes.append(w.VBox(heading + members))
    return w.VBox(boxes, layout=w.Layout(flex="0 0 auto", margin="0 18px 0 0"))


def group_controls(controls: dict) -> list[tuple[str, list]]:
    """(group title, its controls in their order) for the non-empty groups, in GROUPS order (§30.1)."""
    found = {title: [] for title, _ in GROUPS}
    for name, c in controls.items():
        title = next((t for t, names in GROUPS if name in names), WORKLOAD)
        found[title].append(specs.panel_widget(c))
    return [(title, found[title]) for title, _ in GROUPS if found[title]]


def page_loop():
    """The event loop that will run a deferred redraw, or None: redraw now (§30.1).

    Only a change the page sent to a live IPython kernel (a ``comm_msg`` being handled by ipykernel, whose
    asyncio loop keeps running between messages) may be deferred. A script, pytest, a notebook cell
    setting a value, or a process running some other asyncio loop (Playwright's sync API, whose loop does
    not spin between calls) gets None, so the figure is redrawn before the change returns.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # no IPython: a plain script
        return None
    kernel = getattr(get_ipython(), "kernel", None)
    if kernel is None or not hasattr(kernel, "get_parent"):
        return None
    parent = kernel.get_parent("shell") or {}
    if parent.get("header", {}).get("msg_type") != "comm_msg":
        return None  # a cell (execute_request) or nothing: its code reads the result right after
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


WORKLOAD = "workload"  # the group of any control not named in the YAML's groups
# (title, control names): what runs where, what it serves, what it costs, what to show
GROUPS = specs.groups()  # from costlib/data/explorer_controls.yaml
_HEADING = "font-size:12px;font-weight:600;color:#555;margin:4px 0 0 2px;text-transform:uppercase;letter-spacing:.04em"

HELP_TEXT = ("Drag a slider or use the arrow keys; to enter an exact value, click the number beside a slider, "
             "type it and press Enter.")


def _error_text(e: Exception) -> str:
    msg = str(e)
    if isinstance(e, NotFeasible) or msg.startswith("does not fit"):
        return msg
    return f"cannot compute this: {msg}"


def message_html(text: str, ok: bool) -> str:
    lines = "".join(f"<div>{html.escape(line)}</div>" for line in text.splitlines())
    border = "#009E73" if ok else "#D55E00"
    return f'<div style="border-left:4px solid {border};padding:2px 8px;font-size:13px">{lines}</div>'

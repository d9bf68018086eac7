"""The explorer: controls, a text result and one retained figure; any control change recomputes and redraws."""
from __future__ import annotations

import contextlib
import html

import ipywidgets as w
import numpy as np
from matplotlib import ticker
from matplotlib.figure import Figure

from costlib.economics.cost import NotFeasible
from costlib.ui import plots
from costlib.ui.retained import Layers, Scene
from costlib.ui.widgets.canvas import ExplorerCanvas, png_rgb

DPI = 90


# ---------------------------------------------------------------- the explorer

class Explorer:
    """Controls, a text result and one figure; any control change recomputes and redraws.

    ``compute(values, ax)`` draws on ``ax`` and returns the message (str) or (message, html).
    ``message`` holds the last text shown; ``ok`` is False when costlib refused the inputs.
    Redraws are retained (costlib.ui.retained): ``compute`` gets a stand-in for the Axes that reuses
    the last run's artists, and only the layers above the first changed artist are painted again.
    """

    def __init__(self, title, controls, compute, *, link=None, figsize=(7.5, 4.3)):
        self.title = title
        self.controls = dict(controls)
        self._compute = compute
        self._link = link
        self._held = False  # inside hold(): no redraw per change
        self._linking = False  # inside the link: changes it makes do not trigger it again
        self._layout_due = True  # lay the figure out again at the next redraw (see update())
        self.message = ""
        self.ok = True
        self.out = w.HTML(layout=w.Layout(margin="4px 0"))
        self.fig = Figure(figsize=figsize, dpi=DPI)
        ExplorerCanvas(self.fig)
        with plots.style():
            self.ax = self.fig.add_subplot()
        self._scene = Scene(self.ax, _reset_axes)
        self._layers = Layers(self.fig, self.ax)
        self.image = w.Image(format="png", layout=w.Layout(width=f"{int(figsize[0] * DPI)}px"))
        grid = w.GridBox(list(self.controls.values()),
                         layout=w.Layout(grid_template_columns="repeat(2, max-content)", grid_gap="2px 18px"))
        header = w.HTML(f"<b>{html.escape(title)}</b>")
        self.widget = w.VBox([header, grid, self.out, self.image])
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
        if isinstance(self.controls[name], w.Dropdown):  # labels may change width: lay out again
            self._layout_due = True
        if self._link is not None:
            self._linking = True
            try:
                self._link(self, name, new)
            finally:
                self._linking = False
        if not self._held:
            self.update()

    def update(self):
        """Recompute from the controls, redraw the figure and refresh the text."""
        was_ok = self.ok
        with plots.style():
            try:
                shown = self._scene.run(self._compute, self.values())
                self.ok = True
            except ValueError as e:  # bad input or NotFeasible: say so inside the explorer
                shown, self.ok = _error_text(e), False
                self._show_message(shown)
            except Exception as e:  # a bug: still no traceback in the widget, but never hidden
                shown, self.ok = f"internal error ({type(e).__name__}): {e}. Please report it.", False
                self._show_message(shown)
            self._draw(relayout=self._layout_due or self.ok != was_ok)
        text, extra = shown if isinstance(shown, tuple) else (shown, None)
        self.message = text
        self.out.value = message_html(text, self.ok and not text.startswith("does not fit")) + (extra or "")
        self.image.value = self._png()

    def redraw(self):
        """Recompute and draw everything from empty axes (e.g. after changing ``ax`` by hand)."""
        self._scene.forget()
        self._layers.invalidate()
        self.update()

    def _show_message(self, text):
        self._scene.forget()  # the axes no longer hold the last run's artists
        self.ax.clear()
        plots.message_axes(text, ax=self.ax)

    def _draw(self, relayout: bool):
        # Constrained layout costs more than the rest of a redraw, so it runs only when labels may
        # have changed width (first draw, a dropdown, error <-> plot); slider moves keep the layout
        # and repaint only the layers above the first artist the change touched.
        if relayout:
            self.fig.set_layout_engine("constrained")
            self._layers.draw(None)
            self.fig.set_layout_engine("none")
            self._layout_due = False
        elif self.ok:
            self._layers.draw(self._scene.dirty, self._scene.axes_same)
        else:
            self._layers.draw(None)

    def _png(self) -> bytes:
        return png_rgb(np.asarray(self.fig.canvas.buffer_rgba()))

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


def _reset_axes(ax):
    """Empty the axes for the next plot but keep their tick objects (ax.clear() rebuilds them: slow).

    After a centred message (ticks removed, spines recoloured) a full ``ax.clear()`` comes first;
    either way the axes end in the same state, so a figure never depends on what was shown before.
    """
    if getattr(ax, "_costlib_message", False):
        ax.clear()
        ax._costlib_message = False
    for group in (ax.lines, ax.patches, ax.collections, ax.texts, ax.images, ax.artists, ax.tables):
        for artist in list(group):
            artist.remove()
    ax.containers.clear()
    if ax.legend_ is not None:
        ax.legend_.remove()
    ax.set_title("")
    ax.set_xlabel("")
    ax.set_ylabel("")
    for axis, scale in ((ax.xaxis, ax.set_xscale), (ax.yaxis, ax.set_yscale)):
        scale("linear")
        axis.set_major_locator(ticker.MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))
        axis.set_major_formatter(ticker.ScalarFormatter())
        axis.set_minor_locator(ticker.NullLocator())
        axis.set_minor_formatter(ticker.NullFormatter())
    ax.grid(True)
    ax.relim()
    ax.ignore_existing_data_limits = True
    ax.set_autoscale_on(True)
    ax.autoscale_view()


def _error_text(e: Exception) -> str:
    msg = str(e)
    if isinstance(e, NotFeasible) or msg.startswith("does not fit"):
        return msg
    return f"cannot compute this: {msg}"


def message_html(text: str, ok: bool) -> str:
    lines = "".join(f"<div>{html.escape(line)}</div>" for line in text.splitlines())
    border = "#009E73" if ok else "#D55E00"
    return f'<div style="border-left:4px solid {border};padding:2px 8px;font-size:13px">{lines}</div>'

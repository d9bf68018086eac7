"""An explorer's figure as a PNG, redrawn by parts: the static frame once, the changing artists over it each time."""
from __future__ import annotations

import io

import numpy as np
from matplotlib import rcParams
from matplotlib.legend import Legend
from matplotlib.text import Text
from matplotlib.transforms import Bbox
from PIL import Image

from costlib.ui.plots.axes import FRAME_GID

LAYOUT_TOLERANCE_PX = 0.5  # margins (in PNG pixels) that moved less than this keep the last layout
EXTRA_LAYOUT_PASSES = 2  # constrained layout runs again (at most this often) while something sticks out


class Painter:
    """Paints a figure on its Agg canvas and encodes it as a PNG, drawing only what changed (§30.1).

    The *frame* of each axes (its face, spines, ticks, tick labels, grid and axis labels, and what a plot
    marks as lying outside the data with ``FRAME_GID``, such as a legend under the axes) is what a slider
    rarely changes; everything else (lines, bars, collections, texts, annotations, a legend inside the
    axes and the titles, which often quote results) is *content*, marked animated so a full draw leaves it out of the
    background. A full draw (matplotlib's documented blitting API) paints the frames,
    keeps them as the background (``canvas.copy_from_bbox``), then draws the content over them
    (``ax.draw_artist``, in z-order). A later redraw whose frames are the same (same axes, place,
    limits, scales, tick locations and labels, axis labels, the kept legends' texts and handles:
    :func:`frame_key`) and whose margins still hold restores the background (``canvas.restore_region``) and draws only the content.
    So both paths paint the same pixels; the frame is drawn under the content (the workbook's
    style puts the grid below the data, ``axes.axisbelow: True``, as a plain ``savefig`` does).

    Constrained layout runs only when the axes' decorations need other margins than right after the
    last layout (see :meth:`_layout_holds`); otherwise the axes keep their place. Pixels equal to the
    last paint's (a control that changes only the text) give the last PNG back without encoding it.
    """

    def __init__(self, fig):
        self.fig = fig
        self._margins = None  # (axes, their margins in pixels) right after the last constrained layout
        self._frame = None  # (frame_key, background, the frames' extents) of the last full draw
        self._last = None  # (pixels, PNG) of the last paint: unchanged pixels are not encoded again
        self.layouts = 0  # how many paints ran constrained layout
        self.full_draws = 0  # how many paints drew the whole figure (the rest drew only the content)

    def forget_layout(self):
        """Run constrained layout at the next paint (as for a new figure)."""
        self._margins = None
        self._frame = None

    def png(self, *, full: bool = False) -> bytes:
        """Paint the figure (only its content when the frame is unchanged, unless ``full``) and encode it."""
        canvas = self.fig.canvas
        content = [(ax, _content(ax)) for ax in self.fig.axes]
        for _, artists in content:
            for a in artists:
                a.set_animated(True)  # left out of canvas.draw(); drawn over the background below
        same_axes = self._margins is not None and tuple(self.fig.axes) == self._margins[0]
        renderer = canvas.get_renderer()
        if (not full and same_axes and self._frame is not None and frame_key(self.fig) == self._frame[0]
                and self._layout_holds([margins_px(ax, renderer, frame)
                                        for ax, frame in zip(self.fig.axes, self._frame[2], strict=True)])):
            canvas.restore_region(self._frame[1])
        else:
            relayout = not same_axes
            if same_axes:
                canvas.draw()  # in the last layout; ticks and text extents are now known, so checking it is cheap
                renderer = canvas.get_renderer()
                relayout = not self._layout_holds([margins_px(ax, renderer) for ax in self.fig.axes])
            if relayout:
                self.fig.set_layout_engine("constrained")
                for _ in range(1 + EXTRA_LAYOUT_PASSES):  # again from where a pass put the axes, while needed
                    canvas.draw()  # constrained layout, then the frames
                    renderer = canvas.get_renderer()
                    margins = [margins_px(ax, renderer) for ax in self.fig.axes]
                    if self._inside(margins):
                        break
                self.fig.set_layout_engine("none")  # the next paints keep this layout while it holds
                self.layouts += 1
                self._margins = (tuple(self.fig.axes), margins)
            renderer = canvas.get_renderer()
            self._frame = (frame_key(self.fig), canvas.copy_from_bbox(self.fig.bbox),
                           [frame_extents(ax, renderer) for ax in self.fig.axes])
            self.full_draws += 1
        for ax, artists in content:
            for a in sorted(artists, key=lambda a: a.get_zorder()):  # stable, as Axes.draw sorts them
                ax.draw_artist(a)
        pixels = np.asarray(canvas.buffer_rgba())
        if self._last is not None and np.array_equal(pixels, self._last[0]):
            return self._last[1]  # e.g. a price that changes only the text: the same PNG, not encoded again
        png = encode_png(canvas)
        self._last = (pixels.copy(), png)
        return png

    def _inside(self, margins) -> bool:
        """True when every axes' decorations and content (its ``margins`` beyond its box) lie inside the figure.

        Constrained layout sizes the axes from margins measured where the axes were; a label anchored to
        the data (a chapter annotation at the right end of a curve) moves with the axes, so one pass can
        leave it a few pixels beyond the edge, and a pass from the new place brings it in.
        """
        fig = self.fig.bbox
        for ax, (left, right, bottom, top) in zip(self.fig.axes, margins, strict=True):
            box = ax.get_position().transformed(self.fig.transFigure)
            if (box.x0 - left < fig.x0 - LAYOUT_TOLERANCE_PX or box.y0 - bottom < fig.y0 - LAYOUT_TOLERANCE_PX
                    or box.x1 + right > fig.x1 + LAYOUT_TOLERANCE_PX or box.y1 + top > fig.y1 + LAYOUT_TOLERANCE_PX):
                return False
        return True

    def _layout_holds(self, margins) -> bool:
        """True when the same axes need the same ``margins`` as right after the last constrained layout.

        Constrained layout places each axes from its margins (how far its tick labels, axis labels, title
        and other decorations reach beyond it); with the same margins it would place them where they are.
        """
        return all(max(abs(a - b) for a, b in zip(now, then, strict=True)) < LAYOUT_TOLERANCE_PX
                   for now, then in zip(margins, self._margins[1], strict=True))


def frame_key(fig) -> tuple:
    """What the frames of a figure's axes show: equal keys paint equal backgrounds (§30.1)."""
    return tuple(
        (ax.get_position().bounds, ax.get_xlim(), ax.get_ylim(), ax.get_xscale(), ax.get_yscale(),
         ax.axison, ax.get_facecolor(),
         _axis_key(ax.xaxis), _axis_key(ax.yaxis),
         tuple((name, s.get_visible(), s.get_edgecolor()) for name, s in ax.spines.items()),
         tuple(_kept_key(a) for a in _kept(ax)))
        for ax in fig.axes)


def _axis_key(axis) -> tuple:
    """An axis' label, tick locations and labels (from its locators and formatter), offset text and grid."""
    major = axis.get_major_locator()()
    labels = tuple(axis.get_major_formatter().format_ticks(major))
    return (axis.get_label_text(), tuple(major), labels, tuple(axis.get_minor_locator()()),
            axis.get_major_formatter().get_offset(), axis.get_tick_params().get("gridOn"))


def empty_axes(ax) -> None:
    """Empty ``ax`` for the next plot as ``ax.cla()`` does, but keep its axis objects and their ticks (§30.1).

    ``ax.cla()`` creates every tick anew (7-8 ms of each redraw); the next paint usually keeps the frame,
    so that work is wasted. Removed: every plotted artist, the legend and the bar containers. Reset to
    the style's defaults: titles, axis labels, linear scales with their default locators and formatters
    (undoing fixed ticks and custom formatters), data limits and autoscaling, margins, the colour cycle,
    the grid, and the axis being on. Only public matplotlib API; a fresh axes and an emptied one paint
    the same pixels for the same plot (tests/test_explorer_redraw.py walks every control to check it).
    """
    for container in list(ax.containers):
        container.remove()
    legend = ax.get_legend()
    if legend is not None:
        legend.remove()
    for group in (ax.lines, ax.patches, ax.texts, ax.collections, ax.images, ax.tables, ax.artists):
        for artist in list(group):
            artist.remove()
    for loc in ("center", "left", "right"):
        ax.set_title("", loc=loc)
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_xscale("linear")
    ax.set_yscale("linear")
    ax.relim()
    ax.set_xlim(0, 1, auto=True)  # auto=True: autoscaling on again, as after ax.cla()
    ax.set_ylim(0, 1, auto=True)
    ax.margins(x=rcParams["axes.xmargin"], y=rcParams["axes.ymargin"])
    ax.use_sticky_edges = True
    ax.set_prop_cycle(None)
    if _grid_state(ax) != _style_grid_state():  # setting it touches every tick (~1 ms): only when a plot changed it
        ax.grid(False)
        ax.grid(rcParams["axes.grid"], which=rcParams["axes.grid.which"], axis=rcParams["axes.grid.axis"])
    ax.set_axis_on()


def _grid_state(ax) -> tuple:
    """Whether each axis (x, y) draws grid lines at its major and minor ticks."""
    return tuple(bool(axis.get_tick_params(which=which).get("gridOn", False))
                 for axis in (ax.xaxis, ax.yaxis) for which in ("major", "minor"))


def _style_grid_state() -> tuple:
    """The :func:`_grid_state` the current rcParams ask for (``axes.grid``, ``.which``, ``.axis``); any other
    state, including matplotlib's own for unusual settings, is reset as ``ax.cla()`` would."""
    on, which, along = rcParams["axes.grid"], rcParams["axes.grid.which"], rcParams["axes.grid.axis"]
    return tuple(bool(on and along in (name, "both") and which in (level, "both"))
                 for name in ("x", "y") for level in ("major", "minor"))


def _content(ax) -> list:
    """What a plot function put on ``ax``: every child but the frame (face, spines, axes, and artists marked
    ``FRAME_GID``: a legend under the axes), titles included."""
    frame = {ax.patch, ax.xaxis, ax.yaxis, *ax.spines.values()}
    # in the order Axes.draw keeps for equal z-order
    return [a for a in ax.get_children() if a not in frame and a.get_gid() != FRAME_GID]


def _kept(ax) -> list:
    """The artists a plot marked to be painted with the frame (``FRAME_GID``), e.g. a legend under the axes."""
    return [a for a in ax.get_children() if a.get_gid() == FRAME_GID]


def _kept_key(artist) -> tuple:
    """What a kept artist shows: a legend's texts, the look of its handles, and where it is anchored."""
    if isinstance(artist, Legend):
        handles = tuple((type(h).__name__,) + tuple(_plain(getattr(h, f"get_{p}")()) for p in _HANDLE_LOOK
                                                   if hasattr(h, f"get_{p}"))
                        for h in artist.legend_handles)
        return (tuple(t.get_text() for t in artist.get_texts()), handles, artist.get_bbox_to_anchor().bounds,
                artist.get_visible())
    return (type(artist).__name__, artist.get_visible(), id(artist))  # anything else: drawn fully each time


_HANDLE_LOOK = ("facecolor", "edgecolor", "hatch", "color", "marker", "markersize", "markeredgecolor", "linestyle",
                "linewidth", "alpha")


def _plain(x):
    """A value usable in a key: arrays become tuples."""
    return tuple(np.ravel(x).tolist()) if isinstance(x, np.ndarray) else x


def encode_png(canvas) -> bytes:
    """The canvas' pixels as an opaque (RGB) PNG at zlib level 1, written by Pillow (§30.1)."""
    rgba = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    buf = io.BytesIO()
    # opaque, so RGB; zlib level 1: the figures are mostly flat colour, so a fast setting is nearly as small
    rgba.convert("RGB").save(buf, format="png", compress_level=1)
    return buf.getvalue()


def frame_extents(ax, renderer) -> list:
    """The boxes (pixels) of an axes, its x and y axis (ticks, tick labels, axis labels) and spines, as laid out (§30.1).

    They depend only on what :func:`frame_key` records, so a paint with an equal key reuses them;
    measuring them again would create every tick anew (the axes were cleared), the costliest part of a check.
    """
    boxes = [ax.get_window_extent(renderer)]
    boxes += [a.get_window_extent(renderer) for a in _kept(ax) if a.get_visible() and a.get_in_layout()]
    if ax.axison:
        boxes += [axis.get_tightbbox(renderer, for_layout_only=True)
                  for axis in (ax.xaxis, ax.yaxis) if axis.get_visible()]
        measured = set(ax.get_default_bbox_extra_artists())  # the spines among them (all, when the frame is on)
        boxes += [spine.get_tightbbox(renderer) for spine in ax.spines.values() if spine in measured]
    return [b for b in boxes if b is not None]


def margins_px(ax, renderer, frame=None) -> tuple[float, float, float, float]:
    """How far the axes' decorations and content reach beyond its box, left, right, bottom and top, in pixels.

    As ``ax.get_tightbbox(renderer, for_layout_only=True)`` (what constrained layout measures); with
    ``frame`` (:func:`frame_extents` of an equal frame) the axis boxes are taken from it and only the
    content is measured: the titles (1 px wide, as for layout) and the artists that reach outside.
    """
    if frame is None:
        tight = ax.get_tightbbox(renderer, for_layout_only=True)
    else:
        content = _content(ax)
        extra = ax.get_default_bbox_extra_artists()  # with the spines, which are in ``frame``
        chosen = set(extra)
        boxes = list(frame)
        for a in content:  # the titles: visible texts that the extra artists leave out
            if isinstance(a, Text) and a not in chosen and a.get_visible():
                b = a.get_window_extent(renderer)
                if b.width > 0:
                    mid = (b.x0 + b.x1) / 2
                    b = Bbox([[mid - 0.5, b.y0], [mid + 0.5, b.y1]])
                boxes.append(b)
        for a in chosen.intersection(content):
            b = a.get_tightbbox(renderer)
            if b is not None and np.isfinite(b.bounds).all():
                boxes.append(b)
        boxes = [b for b in boxes if b.width != 0 or b.height != 0]
        tight = Bbox.union(boxes) if boxes else None
    if tight is None:
        return (0.0, 0.0, 0.0, 0.0)
    box = ax.get_position().transformed(ax.figure.transFigure)
    return (box.x0 - tight.x0, tight.x1 - box.x1, box.y0 - tight.y0, tight.y1 - box.y1)

"""What every figure shares: new axes, money and count ticks, log axes, chapter marks, notes and the message axes."""
from __future__ import annotations

import math
import textwrap

import numpy as np
from matplotlib import ticker

from costlib.common import fmt
from costlib.ui.plots.style import BLACK, CHAPTER, GREY, ORANGE, styled


def new_axes(ax=None):
    """The given axes, or new ones on a new pyplot figure (constrained layout)."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(layout="constrained")
    return ax


USD_TICKS = ticker.FuncFormatter(lambda x, _: fmt.usd_short(x) if x > 0 else "$0")
COUNT_TICKS = ticker.FuncFormatter(lambda x, _: fmt.count(x) if x > 0 else "0")


class LogTicks(ticker.LogLocator):
    """Ticks at 1-2-5 x 10^k over short spans, at powers of ten over long ones (about 4-10 labels)."""

    _subs_from_span = True  # subs are picked per view span: two instances with equal settings are equal

    def tick_values(self, vmin, vmax):
        lo, hi = sorted((vmin, vmax))
        decades = math.log10(hi / lo) if lo > 0 and hi > 0 else 0.0
        self.set_params(subs=(1.0,) if decades > 2.5 else (1.0, 2.0, 5.0))
        return super().tick_values(vmin, vmax)


def log_axis(axis, fmt):
    """Log axis with few, round labels (readable over any span), no minor ticks (cheap to redraw)."""
    axis.set_major_locator(LogTicks(base=10, numticks=12))
    axis.set_major_formatter(fmt)
    axis.set_minor_locator(ticker.NullLocator())


def finite_mask(*arrays, positive=False):
    """Mask of entries finite (and > 0 if positive) in every array."""
    m = np.ones(np.shape(np.asarray(arrays[0])), dtype=bool)
    for a in arrays:
        a = np.asarray(a, dtype=float)
        m &= np.isfinite(a)
        if positive:
            m &= a > 0
    return m


def mark_chapter(ax, x, y, text, *, xytext=(12, 14), ha="left", textcoords="offset points"):
    """A star on (x, y) with an arrow and a label that starts "chapter §30.x: " (``xytext`` in ``textcoords``)."""
    if not (np.isfinite(x) and np.isfinite(y)):
        return
    ax.plot([x], [y], marker="*", ms=13, color=CHAPTER, mec="white", mew=0.8, ls="none", zorder=6)
    ax.annotate(text, (x, y), xytext=xytext, textcoords=textcoords, ha=ha, fontsize=9,
                color=CHAPTER, zorder=7,
                arrowprops={"arrowstyle": "-", "color": CHAPTER, "lw": 0.8, "patchA": None, "shrinkA": 0},
                bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.8})


def mark_point(ax, x, y, text, color=BLACK, *, xytext=(10, -16)):
    """A filled circle for the reader's own point, with a short label."""
    if not (np.isfinite(x) and np.isfinite(y)):
        return
    ax.plot([x], [y], marker="o", ms=8, color=color, mec="white", mew=1, ls="none", zorder=6)
    ax.annotate(text, (x, y), xytext=xytext, textcoords="offset points", fontsize=9, color=color,
                zorder=7, bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.8})


def axes_note(ax, text, *, loc="lower right"):
    """A small grey note inside the axes (used for what was dropped: "does not fit ...")."""
    x, ha = (0.99, "right") if "right" in loc else (0.01, "left")
    y, va = (0.02, "bottom") if "lower" in loc else (0.98, "top")
    ax.text(x, y, text, transform=ax.transAxes, ha=ha, va=va, fontsize=9, color="#555555",
            zorder=8, bbox={"boxstyle": "round,pad=0.25", "fc": "white", "ec": GREY, "alpha": 0.9})


def listing(values, limit=4) -> str:
    vals = [f"{x:,}" if isinstance(x, (int, np.integer)) else str(x) for x in values]
    return ", ".join(vals[:limit]) + (f" and {len(vals) - limit} more" if len(vals) > limit else "")


def legend_below(ax, handles):
    """A legend under the x-axis label (one row; two columns from four entries on), outside the data, so it
    never covers a bar or its label (§30.1).

    Its distance from the axes is in font sizes (points), so it clears the tick labels and the axis label
    whatever the figure's size; constrained layout makes room for it.
    """
    legend = ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0),
                       ncols=len(handles) if len(handles) <= 3 else 2, borderaxespad=LEGEND_BELOW_PAD, frameon=False)
    legend.set_gid(FRAME_GID)  # outside the data: an explorer may paint it with the axes' frame
    return legend


LEGEND_BELOW_PAD = 3.4  # font sizes from the x-axis line to the legend: tick labels and the axis label fit between
#: The gid of an artist outside the data area, which nothing plotted overlaps: an explorer's painter draws it
#: with the axes' frame (ticks, labels) and keeps it while its own text and handles stay the same (§30.1).
FRAME_GID = "costlib-frame"


@styled
def message_axes(text, ax=None, *, title=None):
    """Empty axes with a centred message: what is shown instead of an empty or NaN plot."""
    ax = new_axes(ax)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    for s in ax.spines.values():
        s.set_visible(True)
        s.set_color("#DDDDDD")
    wrapped = "\n".join(textwrap.fill(p, 70) for p in str(text).split("\n"))
    ax.text(0.5, 0.5, wrapped, ha="center", va="center", transform=ax.transAxes, fontsize=10,
            color=BLACK, bbox={"boxstyle": "round,pad=0.6", "fc": "#FFF4E5", "ec": ORANGE})
    if title:
        ax.set_title(title)
    return ax


# ---------------------------------------------------------------- bar charts with "does not fit"

NICE_STEPS = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)


def nice_ceiling(x: float) -> float:
    """The smallest 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 × 10^k at or above x: an axis end that stays put
    while an explorer's slider moves the bars (x itself when not positive and finite)."""
    if not (x > 0 and math.isfinite(x)):
        return x
    scale = 10.0 ** math.floor(math.log10(x))
    return next(step * scale for step in NICE_STEPS if step * scale >= x * (1 - 1e-12))


def round_125(x: float, down: bool = False) -> float:
    """The nearest 1, 2 or 5 x 10^k at or above x (at or below with ``down``): a log-axis end that stays put."""
    k = math.floor(math.log10(x))
    steps = [m * 10.0 ** e for e in (k - 1, k, k + 1) for m in (1, 2, 5)]
    return max(s for s in steps if s <= x * (1 + 1e-12)) if down else min(s for s in steps if s >= x * (1 - 1e-12))


def round_log_ylim(ax, pad=1.3):
    """Log y limits at 1, 2 or 5 x 10^k around the plotted data (with ``pad`` x room): they stay put while a
    slider moves the curves a little, so an explorer repaints only the curves (§30.1)."""
    lo, hi = ax.dataLim.y0, ax.dataLim.y1
    if 0 < lo <= hi < math.inf:
        ax.set_ylim(round_125(lo / pad, down=True), round_125(hi * pad))

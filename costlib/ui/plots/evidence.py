"""How wrong is the roofline? Predicted against measured, error by group, and one deployment's band across request shapes (§30.4)."""
from __future__ import annotations

import numpy as np

from costlib.ui.plots.axes import (
    COUNT_TICKS,
    finite_mask,
    log_axis,
    message_axes,
    new_axes,
    round_125,
)
from costlib.ui.plots.style import BLACK, BLUE, GREY, OKABE_ITO, ORANGE, PALETTE, VERMILLION, styled

# ---------------------------------------------------------------- §30.4 how wrong is the roofline?

_GPU_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "h")


@styled
def predicted_vs_measured(df, ax=None, *, color_by="gpu", show_ceiling=True):
    """Measured vs predicted output tokens/s on log-log axes: mid with its low-high band, the ceiling above (§30.4).

    ``df`` is ``ValidationReport.to_frame()`` (or a frame with measured, low, mid, high, ceiling and
    the ``color_by`` column). Points on the diagonal are exact; the band should cross it.
    """
    ax = new_axes(ax)
    need = ["measured", "low", "mid", "high", "ceiling"]
    if df is None or len(df) == 0:
        return message_axes("no predicted rows to show", ax=ax)
    ok = finite_mask(*[df[c] for c in need], positive=True)
    d = df[ok]
    if d.empty:
        return message_axes("no finite predictions to show", ax=ax)
    groups = sorted(d[color_by].astype(str).unique()) if color_by in d else ["all"]
    for i, gname in enumerate(groups):
        s = d if color_by not in d else d[d[color_by].astype(str) == gname]
        c = PALETTE[i % len(PALETTE)]
        ax.errorbar(s["measured"], s["mid"], yerr=[s["mid"] - s["low"], s["high"] - s["mid"]], fmt="none",
                    ecolor=c, alpha=0.35, lw=1, zorder=2)
        ax.plot(s["measured"], s["mid"], ls="none", marker=_GPU_MARKERS[i % len(_GPU_MARKERS)], ms=5, color=c,
                mec="white", mew=0.5, label=f"{gname}: mid (bar = low-high band)", zorder=3)
        if show_ceiling:
            ax.plot(s["measured"], s["ceiling"], ls="none", marker="_", ms=7, color=c, alpha=0.8, zorder=2)
    lo = float(min(d["measured"].min(), d["low"].min())) / 1.3
    hi = float(max(d["measured"].max(), d["ceiling"].max() if show_ceiling else d["high"].max())) * 1.3
    ax.plot([lo, hi], [lo, hi], color=BLACK, lw=1, ls="--", zorder=1, label="predicted = measured")
    if show_ceiling:
        ax.plot([], [], ls="none", marker="_", ms=9, color=GREY, label="ceiling (always above the diagonal)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    log_axis(ax.xaxis, COUNT_TICKS)
    log_axis(ax.yaxis, COUNT_TICKS)
    ax.set_xlabel("measured output tokens/s (published)")
    ax.set_ylabel("predicted output tokens/s")
    ax.set_title("costlib vs published max-throughput runs")
    ax.legend(loc="upper left", fontsize=9)
    return ax


@styled
def error_by(df, by, ax=None):
    """Signed error of mid, (mid - measured) / measured in %, per group: a dot per row, a bar at the median (§30.4)."""
    ax = new_axes(ax)
    if df is None or len(df) == 0 or by not in df:
        return message_axes(f"no rows to group by {by!r}", ax=ax)
    d = df[finite_mask(df["error"])]
    groups = list(dict.fromkeys(d.sort_values(by)[by].astype(str))) if by != "shape" else \
        list(dict.fromkeys(d.sort_values(["input_len", "output_len"])["shape"]))
    rng = np.random.default_rng(0)
    for i, gname in enumerate(groups):
        e = 100 * d[d[by].astype(str) == gname]["error"].to_numpy()
        ax.plot(i + rng.uniform(-0.18, 0.18, len(e)), e, ls="none", marker="o", ms=3.5, color=BLUE, alpha=0.55)
        ax.plot([i - 0.3, i + 0.3], [np.median(e)] * 2, color=ORANGE, lw=2.5)
    ax.axhline(0, color=BLACK, lw=1)
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels(groups, rotation=30 if len(groups) > 4 else 0, ha="right" if len(groups) > 4 else "center",
                       fontsize=9)
    ax.set_ylabel("mid error (%), + = too optimistic")
    label = {"gpu": "GPU", "model": "model", "shape": "input/output tokens per request"}.get(by, by)
    ax.set_xlabel(label)
    # short: three of these sit side by side in notebook 11
    ax.set_title(f"by {'shape' if by == 'shape' else label} (orange bar: median)")
    return ax


@styled
def shape_band(labels, predictions, measured=None, highlight=None, ax=None):
    """Ceiling, low-high band and mid per request shape for one deployment, with measured points if any (§30.4).

    ``predictions`` holds Prediction-like objects (ceiling, low, mid, high); ``measured`` the
    published tokens/s per shape (NaN where there is none); ``highlight`` the index of the reader's shape.
    """
    ax = new_axes(ax)
    if not len(predictions):
        return message_axes("nothing to show", ax=ax)
    x = np.arange(len(predictions))
    ceil = np.array([p.ceiling for p in predictions])
    low, mid, high = (np.array([getattr(p, k) for p in predictions]) for k in ("low", "mid", "high"))
    ax.vlines(x, low, high, color=BLUE, lw=6, alpha=0.35, label="band (low-high)")
    ax.plot(x, mid, ls="none", marker="o", color=BLUE, label="mid")
    ax.plot(x, ceil, ls="none", marker="v", color=VERMILLION, label="ceiling (physics)")
    if measured is not None:
        mv = np.asarray(measured, dtype=float)
        ok = finite_mask(mv, positive=True)
        if ok.any():
            ax.plot(x[ok], mv[ok], ls="none", marker="x", ms=8, mew=2, color=BLACK, label="measured (TensorRT-LLM)")
    if highlight is not None:
        ax.axvspan(highlight - 0.4, highlight + 0.4, color=OKABE_ITO["yellow"], alpha=0.3, lw=0)
    ax.set_yscale("log")
    log_axis(ax.yaxis, COUNT_TICKS)
    # y limits on a 1-2-5 grid, with room above for the legend: they stay put while a slider moves
    # one shape, so the axes need no new layout
    values = np.concatenate([low, ceil] + ([mv[ok]] if measured is not None else []))
    values = values[finite_mask(values, positive=True)]
    if len(values):
        ax.set_ylim(round_125(values.min() / 1.2, down=True), round_125(values.max() * 6))
    ax.set_xlim(-0.6, len(predictions) - 0.4)
    ax.set_xticks(x)
    ax.set_xticklabels(labels, rotation=30, ha="right", fontsize=9)
    ax.set_xlabel("input/output tokens per request")
    ax.set_ylabel("output tokens/s (all GPUs)")
    ax.legend(loc="upper left", ncols=4, fontsize=9)
    return ax

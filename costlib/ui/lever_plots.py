"""Figures for the levers beyond the chapter: the tornado, speculative speedup, energy per response, prefix caching (§30.1-§30.7).

Each function takes a result computed on the one prediction path (costlib.economics.sensitivity,
costlib.estimate.speculative, costlib.estimate.energy, costlib.economics.prefix) and draws it on ``ax``
(new axes when None) in the workbook's style (:func:`costlib.ui.plots.style.style`).
"""
from __future__ import annotations

import numpy as np
from matplotlib.patches import Patch

from costlib.catalog.tables import api_name
from costlib.ui.plots.axes import COUNT_TICKS, USD_TICKS, new_axes
from costlib.ui.plots.style import BLUE, GREY, ORANGE, VERMILLION, styled

__all__ = ["tornado", "speculative_speedup_plot", "energy_per_response_bars", "prefix_flip_plot"]


def _usd(x: float) -> str:
    return f"${x:,.3f}" if x < 1 else f"${x:,.2f}"


@styled
def tornado(t, ax=None, *, top: int | None = None):
    """Bars of $/M output tokens from each input's low to its high end, sorted by swing; the base case as a line (§30.1)."""
    ax = new_axes(ax)
    rows = list(t.rows)[:top] if top else list(t.rows)
    base = t.base_usd_per_million
    y = np.arange(len(rows))[::-1]
    for yi, r in zip(y, rows, strict=True):
        lo, hi = r.usd_per_million_at_low, r.usd_per_million_at_high
        if lo is None or hi is None:  # one end does not fit (or misses its target): say which
            gone = r.low_value if lo is None else r.high_value
            ax.barh(yi, base * 0.2, left=base * 0.9, color="white", edgecolor=GREY, hatch="///", height=0.6, zorder=3)
            ax.text(base * 1.12, yi, f" {gone}: no price ({'does not fit' if 'fit' in r.note else 'no answer'})",
                    va="center", fontsize=9, color="#444444")
            continue
        a, b = min(lo, hi), max(lo, hi)
        mid = min(max(base, a), b)  # the base splits the bar only where it lies inside it
        ax.barh([yi, yi], [mid - a, b - mid], left=[a, mid], color=[BLUE, ORANGE], height=0.6, zorder=3)
        ax.text(a, yi, f"{r.low_value if lo < hi else r.high_value} ", va="center", ha="right", fontsize=9)
        ax.text(b, yi, f" {r.high_value if lo < hi else r.low_value}", va="center", ha="left", fontsize=9)
    ax.axvline(base, color=VERMILLION, lw=2, zorder=4)
    ax.set_yticks(y, [r.label for r in rows])
    ax.grid(False, axis="y")
    vals = [x for r in rows for x in (r.usd_per_million_at_low, r.usd_per_million_at_high) if x is not None]
    lo_x, hi_x = min(vals + [base]), max(vals + [base])
    pad = (hi_x - lo_x) * 0.25 or base * 0.2
    ax.set_xlim(max(0.0, lo_x - pad), hi_x + pad)
    ax.xaxis.set_major_formatter(USD_TICKS)
    ax.set_xlabel("$ per million output tokens (mid) at each end of the input's range")
    ax.set_title(f"What moves $/M most: {t.base.name}, base {_usd(base)}/M")
    ax.legend(handles=[Patch(color=BLUE, label="below the base case"), Patch(color=ORANGE, label="above the base case"),
                       _line(VERMILLION, f"base case {_usd(base)}/M")], loc="lower right", fontsize=9)
    return ax


def _line(color, label):
    from matplotlib.lines import Line2D

    return Line2D([], [], color=color, lw=2, label=label)


@styled
def speculative_speedup_plot(batches, speedups, crossover=None, ax=None, *, expected_tokens=None):
    """Decode speedup of speculative decoding against the batch (log x), 1 marked; the crossover batch shown (§30.3)."""
    ax = new_axes(ax)
    b = np.asarray(batches, dtype=float)
    s = np.asarray(speedups, dtype=float)
    ax.plot(b, s, color=BLUE, lw=2, label="speedup (engine step times)")
    ax.axhline(1.0, color=GREY, lw=1, ls="--", label="1: no gain")
    if expected_tokens is not None:
        ax.axhline(expected_tokens, color=GREY, lw=1, ls=":", label=f"E = {expected_tokens:.2f} tokens per step")
    if crossover is not None:
        ax.axvline(crossover, color=VERMILLION, lw=1.5, label=f"stops paying at batch {crossover:,}")
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_formatter(COUNT_TICKS)
    top = max(float(np.nanmax(s)), expected_tokens or 0.0) * 1.15
    ax.set_ylim(0, max(top, 1.5))
    ax.set_xlabel("batch (sequences decoding together, log scale)")
    ax.set_ylabel("decode speedup (x); $/M output changes by 1 / speedup")
    ax.set_title("Speculative decoding pays while the target is memory-bound")
    ax.legend(loc="upper right", fontsize=9)
    return ax


@styled
def energy_per_response_bars(labels, joules_per_response, ax=None):
    """Watt-hours per response for a few workloads, as bars (§30.2)."""
    ax = new_axes(ax)
    wh = np.asarray(joules_per_response, dtype=float) / 3600.0
    y = np.arange(len(labels))[::-1]
    ax.barh(y, wh, color=[ORANGE if i == int(np.argmax(wh)) else BLUE for i in range(len(wh))], height=0.6, zorder=3)
    for yi, x in zip(y, wh, strict=True):
        ax.text(x, yi, f" {x:.3g} Wh", va="center", fontsize=9)
    ax.set_yticks(y, labels)
    ax.grid(False, axis="y")
    ax.set_xlim(0, float(wh.max()) * 1.3)
    ax.set_xlabel("energy per response at the site (Wh = 3,600 J), board power x time x PUE")
    ax.set_title(f"A long answer at batch 1 costs {wh.max() / wh.min():,.0f}x the energy of the cheapest response")
    return ax


@styled
def prefix_flip_plot(c, ax=None):
    """$ per request against the prefix hit rate: self-hosted and the API, the flip point marked (§30.7)."""
    ax = new_axes(ax)
    ax.plot(c.hit_rates, c.selfhost_usd_per_request * 1e3, color=BLUE, lw=2, label="self-hosted (GPU time)")
    ax.plot(c.hit_rates, c.api_usd_per_request * 1e3, color=ORANGE, lw=2, label=f"API: {api_name(c.api)} (billing grammar)")
    if c.flip_hit_rate is not None:
        ax.axvline(c.flip_hit_rate, color=VERMILLION, lw=1.5, label=f"the cheaper side flips at h = {c.flip_hit_rate:.2f}")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, max(c.selfhost_usd_per_request.max(), c.api_usd_per_request.max()) * 1e3 * 1.2)
    ax.set_xlabel("prefix hit rate h (share of prompt tokens served from the cache)")
    ax.set_ylabel(f"$ per 1,000 requests ({c.input_len:,} in + {c.output_len:,} out)")
    ax.set_title("Self-hosting vs API as the prefix cache warms up")
    ax.legend(loc="upper right", fontsize=9)
    return ax

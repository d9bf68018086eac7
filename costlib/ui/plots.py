"""The workbook's figures in one style: Okabe-Ito colours, units on every axis, the chapter's points marked (§30.1-§30.10).

Every function takes an optional ``ax`` and returns the matplotlib Axes it drew on. Nothing here
plots NaN or inf: points that do not fit in memory are dropped and the axes say so ("does not
fit"); when nothing at all is plottable the axes show a centred message instead of an empty plot.
Marks labelled "chapter §30.x: ..." are the chapter's own inputs run through costlib, so the reader
can compare the chapter's figure with the corrected one.
"""
from __future__ import annotations

import contextlib
import functools
import math
import textwrap

import matplotlib as mpl
import numpy as np
from matplotlib import ticker
from matplotlib.patches import Patch

from costlib.catalog.tables import get_api_price
from costlib.common import checks as v
from costlib.economics.cost import usd_per_million_tokens
from costlib.economics.crossover import (
    HOURS_PER_MONTH,
    api_monthly_usd,
    self_host_monthly_usd,
    step_crossover_tokens_per_month,
)
from costlib.economics.frontier import pareto_frontier
from costlib.physics.memory import fit, weight_bytes
from costlib.physics.step import (
    MBU_RANGE,
    MFU_RANGE,
    arithmetic_intensity,
    attainable_flops,
    decode_ceiling_tokens_per_s,
    decode_tokens_per_s,
    prefill_arithmetic_intensity,
    prefill_ceiling_tokens_per_s,
)
from costlib.teaching.chapter import (
    BATCH_CAP,
    CONTEXT_TOKENS,
    S30_1,
    S30_2,
    S30_3,
    S30_4,
    S30_5,
    S30_6,
    S30_7,
    S30_8,
)

__all__ = [
    "OKABE_ITO", "PALETTE", "STYLE", "style", "message_axes", "cost_vs_throughput", "decode_vs_batch",
    "roofline", "cost_vs_utilization", "cost_bars", "monthly_cost",
    "hardware_bars", "latency_frontier", "capacity_waterfall", "memory_use", "procurement_bars",
    "price_ratio_bars", "CHAPTER_70B", "chapter_30_5_table",
]

# ---------------------------------------------------------------- one style

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour-vision deficiency.
OKABE_ITO = {
    "black": "#000000", "orange": "#E69F00", "sky_blue": "#56B4E9", "bluish_green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "reddish_purple": "#CC79A7",
}
BLUE, ORANGE, GREEN = OKABE_ITO["blue"], OKABE_ITO["orange"], OKABE_ITO["bluish_green"]
VERMILLION, PURPLE, SKY = OKABE_ITO["vermillion"], OKABE_ITO["reddish_purple"], OKABE_ITO["sky_blue"]
BLACK, GREY = OKABE_ITO["black"], "#8C8C8C"
PALETTE = (BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY, OKABE_ITO["yellow"], BLACK)
CHAPTER = VERMILLION  # colour of every "chapter §30.x" mark
INFEASIBLE = GREY  # colour of everything that does not fit

STYLE = {
    "axes.prop_cycle": mpl.cycler(color=PALETTE),
    "figure.figsize": (7.5, 4.3),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "font.family": "DejaVu Sans",  # ships with matplotlib: the same glyphs on every machine
    "font.size": 9.5,
    "axes.titlesize": 10.5,
    "axes.titley": 1.0,  # fixed title position: no tick-label bounding boxes on every draw
    "axes.labelsize": 9.5,
    "legend.fontsize": 8,
    "legend.framealpha": 0.85,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "text.parse_math": False,  # "$2/h ... $0.56/M" is money, not mathtext
    "text.hinting": "none",  # half the cost of drawing text; the explorers redraw on every change
    "svg.hashsalt": "costlib",  # deterministic ids in SVG output
    "svg.fonttype": "path",
    "pdf.fonttype": 42,
}


@contextlib.contextmanager
def style():
    """Apply the workbook's matplotlib style inside a ``with`` block (every plot function uses it).

    ``rc_context`` restores every rcParam on exit, including the interactive flag that Jupyter's
    inline backend switches on when pyplot is first imported inside the block; keep that flag,
    or every figure after the first one in a kernel would silently not be shown.
    """
    global _STYLE_DEPTH
    if _STYLE_DEPTH:  # nested (an explorer's redraw calling a plot function): the style is already in force
        yield
        return
    with mpl.rc_context(STYLE):
        _STYLE_DEPTH += 1
        try:
            yield
        finally:
            _STYLE_DEPTH -= 1
            keep = mpl.is_interactive()
    mpl.interactive(keep)


_STYLE_DEPTH = 0  # how many style() blocks are open (only the outermost applies and restores rcParams)


def _styled(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with style():
            return fn(*args, **kwargs)

    return wrapper


def _axes(ax=None):
    """The given axes, or new ones on a new pyplot figure (constrained layout)."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(layout="constrained")
    return ax


def _usd(x: float) -> str:
    if x >= 1e6:
        return f"${x / 1e6:,.2f}M"
    if x >= 1e4:
        return f"${x / 1e3:,.0f}k"
    if x >= 10:
        return f"${x:,.0f}"
    return f"${x:,.2f}"


def _count(x: float) -> str:
    """1234 -> 1.23k, 3.27e9 -> 3.27B: token counts for labels."""
    for div, unit in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= div:
            return f"{x / div:.3g}{unit}"
    return f"{x:.3g}"


_USD_FMT = ticker.FuncFormatter(lambda x, _: _usd(x) if x > 0 else "$0")
_COUNT_FMT = ticker.FuncFormatter(lambda x, _: _count(x) if x > 0 else "0")


class _LogTicks(ticker.LogLocator):
    """Ticks at 1-2-5 x 10^k over short spans, at powers of ten over long ones (about 4-10 labels)."""

    _subs_from_span = True  # subs are picked per view span: two instances with equal settings are equal

    def tick_values(self, vmin, vmax):
        lo, hi = sorted((vmin, vmax))
        decades = math.log10(hi / lo) if lo > 0 and hi > 0 else 0.0
        self.set_params(subs=(1.0,) if decades > 2.5 else (1.0, 2.0, 5.0))
        return super().tick_values(vmin, vmax)


def _log_axis(axis, fmt):
    """Log axis with few, round labels (readable over any span), no minor ticks (cheap to redraw)."""
    axis.set_major_locator(_LogTicks(base=10, numticks=12))
    axis.set_major_formatter(fmt)
    axis.set_minor_locator(ticker.NullLocator())


def _finite(*arrays, positive=False):
    """Mask of entries finite (and > 0 if positive) in every array."""
    m = np.ones(np.shape(np.asarray(arrays[0])), dtype=bool)
    for a in arrays:
        a = np.asarray(a, dtype=float)
        m &= np.isfinite(a)
        if positive:
            m &= a > 0
    return m


def _mark_chapter(ax, x, y, text, *, xytext=(12, 14), ha="left"):
    """A star on (x, y) with an arrow and a label that starts "chapter §30.x: "."""
    if not (np.isfinite(x) and np.isfinite(y)):
        return
    ax.plot([x], [y], marker="*", ms=13, color=CHAPTER, mec="white", mew=0.8, ls="none", zorder=6)
    ax.annotate(text, (x, y), xytext=xytext, textcoords="offset points", ha=ha, fontsize=8,
                color=CHAPTER, zorder=7,
                arrowprops={"arrowstyle": "-", "color": CHAPTER, "lw": 0.8, "patchA": None, "shrinkA": 0},
                bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.8})


def _mark_point(ax, x, y, text, color=BLACK, *, xytext=(10, -16)):
    """A filled circle for the reader's own point, with a short label."""
    if not (np.isfinite(x) and np.isfinite(y)):
        return
    ax.plot([x], [y], marker="o", ms=8, color=color, mec="white", mew=1, ls="none", zorder=6)
    ax.annotate(text, (x, y), xytext=xytext, textcoords="offset points", fontsize=8, color=color,
                zorder=7, bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.8})


def _note(ax, text, *, loc="lower right"):
    """A small grey note inside the axes (used for what was dropped: "does not fit ...")."""
    x, ha = (0.99, "right") if "right" in loc else (0.01, "left")
    y, va = (0.02, "bottom") if "lower" in loc else (0.98, "top")
    ax.text(x, y, text, transform=ax.transAxes, ha=ha, va=va, fontsize=8, color="#555555",
            zorder=8, bbox={"boxstyle": "round,pad=0.25", "fc": "white", "ec": GREY, "alpha": 0.9})


def _listing(values, limit=4) -> str:
    vals = [f"{x:,}" if isinstance(x, (int, np.integer)) else str(x) for x in values]
    return ", ".join(vals[:limit]) + (f" and {len(vals) - limit} more" if len(vals) > limit else "")


@_styled
def message_axes(text, ax=None, *, title=None):
    """Empty axes with a centred message: what is shown instead of an empty or NaN plot."""
    ax = _axes(ax)
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
    ax._costlib_message = True  # an explorer clears these axes fully before the next plot
    return ax


# ---------------------------------------------------------------- §30.1 / §30.5 cost vs throughput

#: The chapter's worked example for 70B on one H100 (§30.1 figure, §30.5): $/hour and tokens/s.
CHAPTER_70B = {"usd_per_hour": S30_5.usd_per_hour, "tokens_per_s": S30_5.tokens_per_s}


@_styled
def cost_vs_throughput(usd_per_hour=S30_5.usd_per_hour, tokens_per_s_range=(100, 5000),
                       utilization=(1.0, 0.5, 0.3), mark=True, current=None, ax=None):
    """$/M tokens vs throughput, one curve per utilization: cost = $/hour / tokens per hour (§30.1).

    ``current=(tokens_per_s, utilization)`` marks the reader's own point; ``mark`` marks the
    chapter's $2/h, 1000 tokens/s example at 100% (§30.1) and 50% (§30.5) utilization.
    """
    p = v.number("usd_per_hour", usd_per_hour)
    lo, hi = (float(x) for x in v.number("tokens_per_s_range", tokens_per_s_range))
    if not lo < hi:
        raise ValueError(f"tokens_per_s_range must be (low, high) with low < high, got {tokens_per_s_range!r}")
    utils = sorted({float(u) for u in np.atleast_1d(v.fraction("utilization", utilization))}, reverse=True)
    ax = _axes(ax)
    x = np.geomspace(lo, hi, 80)
    colors = [BLUE, ORANGE, GREEN, PURPLE, SKY, BLACK]
    for i, u in enumerate(utils):
        y = usd_per_million_tokens(p, x, u)
        ax.plot(x, y, color=colors[i % len(colors)], lw=2, label=f"{u:.0%} utilization")
    ax.set_xscale("log")
    ax.set_yscale("log")
    _log_axis(ax.xaxis, _COUNT_FMT)
    _log_axis(ax.yaxis, _USD_FMT)
    if mark:
        ch = CHAPTER_70B
        c1 = usd_per_million_tokens(S30_1.figure_usd_per_hour, S30_1.tokens_per_s, 1.0)
        c2 = usd_per_million_tokens(ch["usd_per_hour"], ch["tokens_per_s"], S30_5.utilization)
        _mark_chapter(ax, S30_1.tokens_per_s, c1,
                      f"chapter §30.1: ${S30_1.figure_usd_per_hour:g}/h, {S30_1.tokens_per_s:,.0f} tok/s "
                      f"→ ${c1:.2f}/M", xytext=(-14, -26), ha="right")
        _mark_chapter(ax, ch["tokens_per_s"], c2,
                      f"chapter §30.5: at {S30_5.utilization:.0%} utilization → ${c2:.2f}/M", xytext=(14, 16))
    if current is not None:
        t, u = current
        c = usd_per_million_tokens(p, t, u)
        _mark_point(ax, t, c, f"you: ${c:.2f}/M", xytext=(10, 8))
    ax.set_xlabel("throughput at full load (tokens/s)")
    ax.set_ylabel("cost ($ per million tokens)")
    ax.set_title(f"$/M tokens = ${p:.2f}/hour ÷ tokens per hour")
    ax.legend(loc="upper right")
    return ax


# ---------------------------------------------------------------- §30.3 decode vs batch

def _chapter_decode_ceiling() -> tuple[int, float]:
    """The chapter's largest batch and its decode ceiling there: 3 TB/s ÷ 140 GB × batch (§30.3)."""
    b = max(S30_3.batches)
    return b, decode_ceiling_tokens_per_s(S30_3.hbm_bytes_per_s, S30_3.model_bytes, b)


def _default_batches(max_batch: int) -> np.ndarray:
    bmax = int(max(256, min(4096, math.ceil(max_batch * 1.25))))
    b = np.unique(np.round(np.linspace(1, bmax, 90)).astype(int))
    if 1 <= max_batch <= bmax:
        b = np.unique(np.append(b, [max_batch, max_batch + 1]))
    return b[b <= bmax]


@_styled
def decode_vs_batch(dep, context=2048, batches=None, mark="auto", batch=None, mbu_range=MBU_RANGE,
                    mfu_range=MFU_RANGE, mbu=None, mfu=None, ax=None):
    """Decode tokens/s vs batch: chapter's linear ceiling, roofline with KV, realistic band, memory wall (§30.3).

    The realistic band spans (low MBU, low MFU) to (high MBU, high MFU) and stops at the memory wall,
    the largest batch whose KV cache fits; batches beyond it are shaded "does not fit". The
    horizontal line is the chapter's prefill ceiling, peak FLOP/s / (2 x params). ``mark="auto"``
    marks the chapter's §30.3/§30.4 numbers when the model is Llama 3.1 70B. ``batch`` marks one
    batch, priced at ``mbu``/``mfu`` (default: the middle of the ranges).
    """
    c = v.integer("context", context, low=1)
    ax = _axes(ax)
    f = fit(dep, context=c)
    if f.max_batch < 1:
        return message_axes(f.message, ax=ax, title=f"{dep.label}, context {c:,}")
    mb = int(f.max_batch)
    b = _default_batches(mb) if batches is None else np.unique(v.integer("batches", batches, low=1))
    b = b.astype(float)
    ok = b <= mb
    chapter_line = decode_ceiling_tokens_per_s(dep.tp * dep.gpu.hbm_bytes_per_s,
                                               weight_bytes(dep.model, dep.weights), b)
    roof = decode_tokens_per_s(dep, b, c, 1.0, 1.0)
    prefill = prefill_ceiling_tokens_per_s(dep.tp * dep.gpu.flops_for(dep.weights), dep.model.n_active_params)
    ax.plot(b, chapter_line, color=GREY, ls="--", lw=1.5, label="chapter: bandwidth ÷ weights × batch")
    ax.plot(b, roof, color=BLUE, lw=1.8, label="roofline with KV reads, 100%")
    if ok.any():
        lo = decode_tokens_per_s(dep, b[ok], c, mbu_range[0], mfu_range[0])
        hi = decode_tokens_per_s(dep, b[ok], c, mbu_range[1], mfu_range[1])
        mid = decode_tokens_per_s(dep, b[ok], c, sum(mbu_range) / 2, sum(mfu_range) / 2)
        ax.fill_between(b[ok], lo, hi, color=GREEN, alpha=0.25, lw=0,
                        label=f"realistic: MBU {mbu_range[0]:.0%}-{mbu_range[1]:.0%}, "
                              f"MFU {mfu_range[0]:.0%}-{mfu_range[1]:.0%}")
        ax.plot(b[ok], mid, color=GREEN, lw=2)
    ax.axhline(prefill, color=ORANGE, ls=":", lw=2, label=f"prefill ceiling {_count(prefill)} tok/s")
    bmax = float(b.max())
    if mb < bmax:
        ax.axvline(mb, color=VERMILLION, lw=1.5, label=f"memory wall: batch {mb:,}")
        ax.axvspan(mb, bmax, color=INFEASIBLE, alpha=0.15, hatch="//", lw=0)
        ax.text((mb + bmax) / 2, 0.5, "does not fit\n(KV cache > memory)", transform=ax.get_xaxis_transform(),
                ha="center", va="center", color="#555555", fontsize=9)
    if mark == "auto":
        mark = dep.model.id == "llama-3.1-70b"
    if mark:
        # the chapter's inputs: 140 GB of bf16 weights read at 3 TB/s, its largest batch (§30.3)
        ch_b, ch = _chapter_decode_ceiling()
        _mark_chapter(ax, ch_b, ch, f"chapter §30.3: batch {ch_b:,} → {ch:,.0f} tok/s",
                      xytext=(-12, 10), ha="right")
        r_lo, r_hi = S30_4.claimed_realistic_tokens_per_s
        ax.plot([ch_b, ch_b], [r_lo, r_hi], color=CHAPTER, lw=3, solid_capstyle="butt", zorder=6)
        ax.annotate(f"chapter §30.4: {r_lo:,.0f}-{r_hi:,.0f} tok/s", (ch_b, (r_lo + r_hi) / 2), xytext=(-8, 0),
                    textcoords="offset points", ha="right", va="center", fontsize=8, color=CHAPTER)
    if batch is not None:
        bb = v.integer("batch", batch, low=1)
        if bb <= mb:
            y = decode_tokens_per_s(dep, bb, c, sum(mbu_range) / 2 if mbu is None else mbu,
                                    sum(mfu_range) / 2 if mfu is None else mfu)
            _mark_point(ax, bb, y, f"batch {bb:,}: {y:,.0f} tok/s", xytext=(8, 10))
        else:
            ax.axvline(bb, color=BLACK, ls=":", lw=1.2)
            ax.annotate(f"batch {bb:,}: does not fit", (bb, 0.92), xycoords=ax.get_xaxis_transform(),
                        xytext=(-4, 0), textcoords="offset points", ha="right", fontsize=8)
    top = max(float(np.max(roof)), prefill, float(np.max(chapter_line[ok])) if ok.any() else 0.0,
              _chapter_decode_ceiling()[1] if mark else 0.0)
    ax.set_ylim(0, top * 1.08)
    ax.set_xlim(0, bmax * 1.01)
    ax.yaxis.set_major_formatter(_COUNT_FMT)
    ax.set_xlabel("batch size (concurrent sequences)")
    ax.set_ylabel("decode throughput (tokens/s)")
    ax.set_title(f"{dep.label}, context {c:,}")
    ax.legend(loc="upper left", fontsize=7.5)
    return ax


# ---------------------------------------------------------------- §30.3/§30.6 roofline

@_styled
def roofline(dep, context=2048, batches=(1, 8, 32, 128, 512), prompt_tokens=1000, batch=None,
             mark=True, ax=None):
    """Attainable FLOP/s vs arithmetic intensity (log-log): decode points by batch, a prefill point, the ridge (§30.3).

    Decode batches whose KV cache does not fit are dropped and listed in a note.
    """
    c = v.integer("context", context, low=1)
    n = v.integer("prompt_tokens", prompt_tokens, low=1)
    bs = sorted({int(x) for x in np.atleast_1d(v.integer("batches", batches, low=1))}
                | ({int(v.integer("batch", batch, low=1))} if batch is not None else set()))
    ax = _axes(ax)
    peak = dep.tp * dep.gpu.flops_for(dep.weights)
    bw = dep.tp * dep.gpu.hbm_bytes_per_s
    ridge = peak / bw
    mb = int(fit(dep, context=c).max_batch)
    ai_dec = np.atleast_1d(arithmetic_intensity(dep, np.array(bs, dtype=float), c))
    ai_pre = prefill_arithmetic_intensity(dep, n)
    lo = min(0.5, float(ai_dec.min()) / 2)
    hi = max(ridge * 8, ai_pre * 3)
    x = np.geomspace(lo, hi, 60)
    ax.plot(x, attainable_flops(peak, bw, x) / 1e12, color=BLACK, lw=2, label="roofline")
    ax.plot([ridge], [peak / 1e12], marker="D", ms=7, color=BLACK, ls="none")
    ax.annotate(f"ridge {ridge:,.0f} FLOP/B", (ridge, peak / 1e12), xytext=(-10, 8),
                textcoords="offset points", ha="right", fontsize=8)
    keep = [i for i, b in enumerate(bs) if b <= mb]
    dropped = [b for b in bs if b > mb]
    for j, i in enumerate(keep):
        ai = float(ai_dec[i])
        y = float(attainable_flops(peak, bw, ai)) / 1e12
        is_cur = batch is not None and bs[i] == int(batch)
        ax.plot([ai], [y], marker="o", ms=9 if is_cur else 7, ls="none", mec=BLACK if is_cur else "white",
                color=BLUE, label="decode (B = batch)" if j == 0 else None, zorder=5)
        ax.annotate(f"B={bs[i]:,}", (ai, y), xytext=(-4, 7), textcoords="offset points", fontsize=7.5,
                    ha="right", color=BLUE)
    y_pre = float(attainable_flops(peak, bw, ai_pre)) / 1e12
    ax.plot([ai_pre], [y_pre], marker="s", ms=8, color=ORANGE, ls="none", zorder=5,
            label=f"prefill, {n:,}-token prompt")
    if mark:
        ai_ch = S30_3.claimed_prefill_intensity  # the chapter's "compute-bound at AI ≈ 700" (§30.3)
        _mark_chapter(ax, ai_ch, float(attainable_flops(peak, bw, ai_ch)) / 1e12,
                      f"chapter §30.3: prefill AI ≈ {ai_ch:,.0f}", xytext=(0, -34), ha="center")
    if dropped:
        _note(ax, f"does not fit, not plotted: batch {_listing(dropped)}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    _log_axis(ax.xaxis, _COUNT_FMT)
    _log_axis(ax.yaxis, _COUNT_FMT)
    ax.set_ylim(top=peak / 1e12 * 2.5)
    ax.set_xlabel("arithmetic intensity (FLOP/byte)")
    ax.set_ylabel("attainable throughput (TFLOP/s)")
    ax.set_title(f"Roofline of {dep.tp} × {dep.gpu.id} ({dep.weights.name}), context {c:,}")
    ax.legend(loc="upper left", fontsize=7.5)
    return ax


# ---------------------------------------------------------------- §30.4-§30.5 utilization

@_styled
def cost_vs_utilization(usd_per_million_at_full=None, utilization=None, apis=("together-llama-3.3-70b",),
                        label="this deployment", mark=True, ax=None):
    """$/M output tokens vs utilization (duty cycle): the full-load price ÷ utilization, with API prices (§30.5).

    ``usd_per_million_at_full`` defaults to the chapter's $2/h at 1000 tokens/s. Where the curve
    crosses an API's output price, the break-even utilization is marked.
    """
    ch_full = usd_per_million_tokens(CHAPTER_70B["usd_per_hour"], CHAPTER_70B["tokens_per_s"])
    c = ch_full if usd_per_million_at_full is None else v.number("usd_per_million_at_full",
                                                                 usd_per_million_at_full)
    ax = _axes(ax)
    u = np.linspace(0.05, 1.0, 96)
    ax.plot(u, c / u, color=BLUE, lw=2, label=f"{label}: ${c:.2f}/M at 100%")
    if mark and abs(c - ch_full) > 0.01 * ch_full:
        ax.plot(u, ch_full / u, color=GREY, ls="--", lw=1.2,
                label=f"chapter: ${CHAPTER_70B['usd_per_hour']:g}/h, {CHAPTER_70B['tokens_per_s']:,.0f} tok/s")
    colors = [ORANGE, PURPLE, SKY, GREEN]
    for i, aid in enumerate(apis or ()):
        a = get_api_price(aid)
        price = a["usd_per_million_output"]
        col = colors[i % len(colors)]
        ax.axhline(price, color=col, lw=1.5, ls="-.", label=f"{a['id']}: ${price:.2f}/M out")
        be = c / price
        if be <= 1:
            ax.plot([be], [price], marker="o", ms=7, color=col, mec=BLACK, ls="none", zorder=6)
            ax.annotate(f"break-even {be:.0%}", (be, price), xytext=(-6, -14), textcoords="offset points",
                        ha="right", fontsize=8, color=BLACK)
    if mark:
        u5 = S30_5.utilization
        c50 = ch_full / u5
        _mark_chapter(ax, u5, c50, f"chapter §30.5: {u5:.0%} → ${c50:.2f}/M", xytext=(14, 22))
    if utilization is not None:
        uu = v.fraction("utilization", utilization)
        _mark_point(ax, uu, c / uu, f"{uu:.0%} → ${c / uu:.2f}/M", xytext=(8, 8))
    ax.set_yscale("log")
    _log_axis(ax.yaxis, _USD_FMT)
    ax.set_ylim(bottom=min(c, ch_full) * 0.7)
    ax.xaxis.set_major_formatter(ticker.PercentFormatter(1.0))
    ax.set_xlim(0, 1.02)
    ax.set_xlabel("utilization, average ÷ full load (%)")
    ax.set_ylabel("cost ($ per million output tokens)")
    ax.set_title("Idle GPUs still bill: $/M = full-load $/M ÷ utilization")
    ax.legend(loc="upper right")
    return ax


# ---------------------------------------------------------------- bar charts with "does not fit"

_NICE_STEPS = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)


def _nice_ceiling(x: float) -> float:
    """The smallest 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 × 10^k at or above x: an axis end that stays put
    while an explorer's slider moves the bars (x itself when not positive and finite)."""
    if not (x > 0 and math.isfinite(x)):
        return x
    scale = 10.0 ** math.floor(math.log10(x))
    return next(step * scale for step in _NICE_STEPS if step * scale >= x * (1 - 1e-12))


def _bars(ax, labels, values, colors, texts, *, log, infeasible_texts, text_x=None):
    """Horizontal bars top-to-bottom; NaN values become hatched grey bars saying why, without a price."""
    vals = np.asarray(values, dtype=float)
    ok = _finite(vals, positive=log)
    y = np.arange(len(labels))[::-1]
    if ok.any():
        vmin, vmax = float(vals[ok].min()), float(vals[ok].max())
    else:
        vmin, vmax = (0.1, 1.0) if log else (0.0, 1.0)
    left = vmin / 3 if log else 0.0
    right = vmax * 4 if log else _nice_ceiling(vmax * 1.6)  # room for the value labels right of the bars
    tx = vals if text_x is None else np.where(np.isfinite(text_x), text_x, vals)
    if ok.any():  # one call for all priced bars (a call per bar is slow)
        ax.barh(y[ok], vals[ok] - left, left=left, color=[c for c, o in zip(colors, ok, strict=True) if o], height=0.65,
                zorder=3)
    if (~ok).any():
        width = (math.sqrt(left * vmax) if log else vmax * 0.5) - left
        ax.barh(y[~ok], width, left=left, color="white", edgecolor=INFEASIBLE, hatch="///", height=0.65,
                zorder=3)
    for yi, ok_i, txt, bad, xt in zip(y, ok, texts, infeasible_texts, tx, strict=True):
        if ok_i:
            ax.text(xt, yi, f" {txt}", va="center", ha="left", fontsize=8, zorder=4)
        else:
            ax.text(left * (1.15 if log else 1) + (0 if log else vmax * 0.02), yi, f" {bad}", va="center",
                    ha="left", fontsize=8, color="#444444", zorder=7,
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85})
    ax.set_yticks(y, labels)
    ax.grid(False, axis="y")
    if log:
        ax.set_xscale("log")
        _log_axis(ax.xaxis, _USD_FMT)
    else:
        ax.xaxis.set_major_formatter(_USD_FMT)
    ax.set_xlim(left, right)
    ax.set_ylim(-0.6, len(labels) - 0.4)
    return y


@_styled
def cost_bars(df, log=True, ax=None):
    """Self-hosted configurations vs API prices in $/M output tokens, with the chapter's figures marked (§30.5).

    ``df`` columns: ``label``, ``usd_per_million`` (NaN = does not fit), optional ``kind``
    ("self-hosted"/"api"), optional ``chapter_usd_per_million`` (the chapter's figure, drawn as a
    star) and optional ``note`` (why a row has no price).
    """
    for col in ("label", "usd_per_million"):
        if col not in df:
            raise ValueError(f"df must have a {col!r} column; has {list(df.columns)}")
    ax = _axes(ax)
    if len(df) == 0:
        return message_axes("nothing to compare: the table is empty", ax=ax)
    kinds = df["kind"] if "kind" in df else ["self-hosted"] * len(df)
    colors = [ORANGE if str(k).lower() == "api" else BLUE for k in kinds]
    notes = df["note"] if "note" in df else [""] * len(df)
    vals = df["usd_per_million"].astype(float).to_numpy()
    texts = [_usd(x) + "/M" if np.isfinite(x) else "" for x in vals]
    bad = [("does not fit" + (f": {n}" if isinstance(n, str) and n else "")) for n in notes]
    y = _bars(ax, list(df["label"]), vals, colors, texts, log=log, infeasible_texts=bad)
    handles = [Patch(color=BLUE, label="self-hosted (costlib)"), Patch(color=ORANGE, label="API list price")]
    if "chapter_usd_per_million" in df:
        ch = df["chapter_usd_per_million"].astype(float).to_numpy()
        m = _finite(ch, positive=log)
        if m.any():
            ax.plot(ch[m], y[m], marker="*", ms=12, color=CHAPTER, mec="white", ls="none", zorder=6,
                    label="chapter §30.5: its figure")
            handles.append(ax.lines[-1])
    if (~_finite(vals, positive=log)).any():
        handles.append(Patch(fc="white", ec=INFEASIBLE, hatch="///", label="does not fit: no price"))
    ax.set_xlabel("cost ($ per million output tokens, log scale)" if log else
                  "cost ($ per million output tokens)")
    ax.set_ylabel("configuration (self-hosted or API)")
    ax.set_title("Self-hosted $/M output tokens vs API list prices")
    ax.legend(handles=handles, loc="upper right")
    return ax


def _short_gpu(gpu: str) -> str:
    return gpu.split("-")[0]


#: The chapter's §30.5 table and figure: (label, weights, GPU, utilization, its $/M output tokens).
CHAPTER_30_5_SELF_HOSTED = [
    (f"70B {r.weights.upper() if r.weights != 'bf16' else r.weights}, {r.n_gpus}×{_short_gpu(r.gpu)}, "
     f"{r.utilization:.0%} util", r.weights, r.gpu, r.utilization, r.usd_per_million)
    for r in S30_5.cost_table
]
#: The APIs of the §30.5 comparison with the chapter's quoted $/M output (for a quoted range such as
#: hosted Llama 3.3 70B's "$0.50-$1": its middle, shown for the first provider listed).
CHAPTER_30_5_APIS = [(r.api_ids[0], (r.usd_per_million_low + r.usd_per_million_high) / 2)
                     for r in S30_5.api_table]


def chapter_30_5_table(usd_per_gpu_hour=None, context=CONTEXT_TOKENS, batch_cap=BATCH_CAP):
    """The §30.5 comparison recomputed: each self-hosted row on one GPU, or "does not fit"; API list prices (§30.5).

    Self-hosted rows decode at the largest batch that fits at ``context`` (at most ``batch_cap``)
    with mid-range MBU/MFU; $/M = full-load $/M ÷ utilization. ``usd_per_gpu_hour`` maps GPU id to
    $/hour; the default is the chapter's $2/h for an H100 (§30.5) and $3/h for an H200 (§30.8 table).
    Columns fit :func:`cost_bars`.
    """
    from costlib.catalog.deployment import deployment

    prices = {**CHAPTER_30_8_USD_PER_HOUR, S30_5.gpu: S30_5.usd_per_hour, **(usd_per_gpu_hour or {})}
    c = v.integer("context", context, low=1)
    cap = v.integer("batch_cap", batch_cap, low=1)
    rows = []
    for label, weights, gpu, util, chapter_usd in CHAPTER_30_5_SELF_HOSTED:
        dep = deployment(S30_5.model, gpu, 1, weights)
        f = fit(dep, context=c)
        row = {"label": label, "kind": "self-hosted", "chapter_usd_per_million": chapter_usd,
               "usd_per_million": np.nan, "note": "", "batch": 0}
        if f.fits:
            b = min(f.max_batch, cap)
            full = usd_per_million_tokens(v.number(f"usd_per_gpu_hour[{gpu}]", prices[gpu]),
                                          decode_tokens_per_s(dep, b, c))
            row.update(usd_per_million=full / util, batch=b)
        else:
            row["note"] = f"needs {f.needed_bytes / 1e9:,.0f} GB, {f.usable_bytes / 1e9:,.0f} GB usable"
        rows.append(row)
    for aid, chapter_usd in CHAPTER_30_5_APIS:
        rows.append({"label": aid, "kind": "api", "chapter_usd_per_million": chapter_usd,
                     "usd_per_million": get_api_price(aid)["usd_per_million_output"], "note": "", "batch": 0})
    import pandas as pd

    return pd.DataFrame(rows)


@_styled
def hardware_bars(df, mark=True, ax=None):
    """$/M output tokens per GPU from compare_hardware(); GPUs that do not fit are hatched, without a price (§30.8).

    ``mark`` draws the chapter's §30.8 table values (a 70B model) as stars for the GPUs it lists.
    """
    for col in ("gpu", "usd_per_million"):
        if col not in df:
            raise ValueError(f"df must come from compare_hardware(); missing column {col!r}")
    ax = _axes(ax)
    if len(df) == 0:
        return message_axes("no GPUs to compare", ax=ax)
    vals = df["usd_per_million"].astype(float).to_numpy()
    feasible = df["feasible"].to_numpy(bool) if "feasible" in df else np.isfinite(vals)
    texts, bad = [], []
    for r in df.to_dict("records"):  # plain dicts: much faster than iterrows() on a redraw
        t = int(r["min_tp"]) if "min_tp" in df and r["min_tp"] == r["min_tp"] and r["min_tp"] else None
        tb = f" (TP={t}, batch {int(r['batch']):,})" if t and "batch" in df else ""
        texts.append(f"{_usd(float(r['usd_per_million']))}/M{tb}" if r["usd_per_million"] == r["usd_per_million"]
                     else "")
        note = str(r.get("note", "") or "")
        bad.append("does not fit" + (f": {note}" if note else "") if not r.get("feasible", False)
                   else f"no price{': ' + note if note else ''}")
    colors = [BLUE if f else INFEASIBLE for f in feasible]
    y = _bars(ax, list(df["gpu"]), np.where(feasible, vals, np.nan), colors, texts, log=False,
              infeasible_texts=bad)
    handles = [Patch(color=BLUE, label="fits: $/M at the smallest TP")]
    if not np.isfinite(np.where(feasible, vals, np.nan)).all():
        handles.append(Patch(fc="white", ec=INFEASIBLE, hatch="///", label="does not fit / no price"))
    if mark:
        xs, ys = [], []
        for yi, g in zip(y, df["gpu"], strict=True):
            if g in CHAPTER_30_8_USD_PER_MILLION:
                xs.append(CHAPTER_30_8_USD_PER_MILLION[g])
                ys.append(yi)
        if xs:
            ax.plot(xs, ys, marker="*", ms=12, color=CHAPTER, mec="white", ls="none", zorder=6,
                    label="chapter §30.8 table (70B)")
            handles.append(ax.lines[-1])
            ax.set_xlim(right=max(ax.get_xlim()[1], max(xs) * 1.2))
    ax.set_xlabel("cost ($ per million output tokens)")
    ax.set_ylabel("GPU (catalog id)")
    ax.set_title("One model on each GPU at the smallest TP that fits")
    ax.legend(handles=handles, loc="lower right")
    return ax


#: The chapter's §30.8 table, "$/M tokens (decode-heavy)" for a 70B model (its prices are mixed bases).
CHAPTER_30_8_USD_PER_MILLION = {r.gpu: r.usd_per_million for r in S30_8.table}
#: The $/GPU-hour of each GPU in the chapter's §30.8 table.
CHAPTER_30_8_USD_PER_HOUR = {r.gpu: r.usd_per_hour for r in S30_8.table}


# ---------------------------------------------------------------- §30.7 self-host vs API

def _api_price(api):
    if isinstance(api, dict):
        return api
    a = get_api_price(api)
    return {"label": f"{a['id']} (${a['usd_per_million_input']:.2f} in, ${a['usd_per_million_output']:.2f} out)",
            "usd_per_million_input": a["usd_per_million_input"],
            "usd_per_million_output": a["usd_per_million_output"]}


@_styled
def monthly_cost(tokens_per_month_range=(1e7, 1e10), tokens_per_s_per_replica=S30_5.tokens_per_s,
                 usd_per_gpu_hour=S30_7.usd_per_hour,
                 gpus_per_replica=1, apis=("together-llama-3.3-70b",), input_share=0.5, peak_factor=1.0,
                 headroom=0.0, current=None, chapter_zone=True, ax=None):
    """Monthly bill vs tokens/month: self-hosting in whole replicas (steps) vs API lines, crossover marked (§30.7).

    Each API line uses its own input and output prices with ``input_share`` of the tokens as input.
    The crossover marked is the first volume where the first API's bill reaches self-hosting's.
    The chapter's claimed 100-500M tokens/month crossover zone is shaded for comparison.
    """
    lo, hi = (float(x) for x in v.number("tokens_per_month_range", tokens_per_month_range))
    if not lo < hi:
        raise ValueError(f"tokens_per_month_range must be (low, high) with low < high, got "
                         f"{tokens_per_month_range!r}")
    r = v.number("tokens_per_s_per_replica", tokens_per_s_per_replica)
    p = v.number("usd_per_gpu_hour", usd_per_gpu_hour)
    g = v.integer("gpus_per_replica", gpus_per_replica, low=1)
    s = v.number("input_share", input_share, low=0, low_inclusive=True, high=1)
    ax = _axes(ax)
    x = np.geomspace(lo, hi, 160)
    # exact step edges: replicas change at multiples of one replica's monthly capacity
    cap = r * HOURS_PER_MONTH * 3600 / (peak_factor * (1 + headroom))
    n_edges = int(hi // cap)
    if n_edges <= 400:
        edges = cap * np.arange(1, n_edges + 1)
        edges = edges[(edges > lo) & (edges < hi)]
        xs = np.sort(np.concatenate([[lo, hi], edges, edges * (1 + 1e-9)]))
    else:
        xs = x
    sh = self_host_monthly_usd(xs, r, p, g, peak_factor, headroom)
    ax.plot(xs, sh, color=BLUE, lw=2.2, drawstyle="steps-post",
            label=f"self-host: replicas of {g} GPU{'s' if g > 1 else ''} at ${p:.2f}/h")
    cols = [ORANGE, PURPLE, GREEN, SKY]
    prices = [_api_price(a) for a in (apis or ())]
    for i, a in enumerate(prices):
        y = api_monthly_usd(x, a["usd_per_million_input"], a["usd_per_million_output"], s)
        m = _finite(y, positive=True)
        ax.plot(x[m], y[m], color=cols[i % len(cols)], lw=1.8, ls="-.",
                label=f"API {a['label']}")
    if chapter_zone:
        z_lo, z_hi = S30_7.claimed_crossover_tokens_per_month
        ax.axvspan(z_lo, z_hi, color=CHAPTER, alpha=0.10, lw=0)
        ax.annotate(f"chapter §30.7:\n{_count(z_lo)}-{_count(z_hi)}", (math.sqrt(z_lo * z_hi), 0.97),
                    xycoords=ax.get_xaxis_transform(), ha="center", va="top", fontsize=8, color=CHAPTER)
    if prices:
        a = prices[0]
        blended = s * a["usd_per_million_input"] + (1 - s) * a["usd_per_million_output"]
        xc = step_crossover_tokens_per_month(blended, r, p, g, peak_factor, headroom) if blended > 0 else math.inf
        if math.isfinite(xc) and lo <= xc <= hi:
            yc = api_monthly_usd(xc, blended)
            ax.plot([xc], [yc], marker="X", ms=11, color=BLACK, ls="none", zorder=7)
            ax.annotate(f"crossover {_count(xc)}/month", (xc, yc), xytext=(-10, 12),
                        textcoords="offset points", ha="right", fontsize=8.5, weight="bold")
        elif math.isfinite(xc):
            _note(ax, f"crossover at {_count(xc)} tokens/month, outside the range shown", loc="lower right")
        else:
            _note(ax, "the API stays cheaper at every volume: a full replica's tokens cost less at the API",
                  loc="lower right")
    if current is not None:
        t = float(current)
        ax.axvline(t, color=BLACK, ls=":", lw=1.2)
        ax.annotate(f"{_count(t)}/month", (t, 0.45), xycoords=ax.get_xaxis_transform(),
                    xytext=(-4, 0), textcoords="offset points", ha="right", fontsize=8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    _log_axis(ax.xaxis, _COUNT_FMT)
    _log_axis(ax.yaxis, _USD_FMT)
    ax.set_xlim(lo, hi)
    ax.set_xlabel("traffic (tokens per month)")
    ax.set_ylabel("monthly bill ($/month)")
    ax.set_title("Monthly bill: whole replicas (steps) vs API (line)")
    ax.legend(loc="lower right", fontsize=7.5)
    return ax


# ---------------------------------------------------------------- §30.9 latency frontier

@_styled
def latency_frontier(df, tpot_target_s=None, ax=None):
    """TPOT (ms) vs $/M for a batch sweep (sweep_batch()), the Pareto frontier highlighted, TPOT target line (§30.9)."""
    for col in ("batch", "tpot_s", "usd_per_million"):
        if col not in df:
            raise ValueError(f"df must come from sweep_batch(); missing column {col!r}")
    ax = _axes(ax)
    fits = df["fits"].to_numpy(bool) if "fits" in df else np.ones(len(df), bool)
    ok = fits & _finite(df["tpot_s"], df["usd_per_million"], positive=True)
    d = df[ok]
    dropped = [int(b) for b in df.loc[~ok, "batch"]]
    if len(d) == 0:
        return message_axes("no batch size fits in memory, so there is nothing to price"
                            + (f" (tried batch {_listing(dropped)})" if dropped else ""), ax=ax)
    front = pareto_frontier(d)
    ax.plot(d["tpot_s"] * 1e3, d["usd_per_million"], marker="o", ms=5, ls="none", color=GREY,
            label="batches that fit")
    ax.plot(front["tpot_s"] * 1e3, front["usd_per_million"], marker="o", ms=6, color=BLUE, lw=2,
            label="Pareto frontier")
    for r in front.to_dict("records"):
        ax.annotate(f"{int(r['batch']):,}", (r["tpot_s"] * 1e3, r["usd_per_million"]), xytext=(4, 4),
                    textcoords="offset points", fontsize=7.5, color=BLUE)
    right = float(d["tpot_s"].max()) * 1e3 * 1.15
    notes = [f"does not fit (KV cache), not plotted: batch {_listing(dropped)}"] if dropped else []
    if tpot_target_s is not None:
        tgt = v.number("tpot_target_s", tpot_target_s)
        if tgt * 1e3 <= 3 * right:  # draw the target line, widening the axis to show it
            right = max(right, tgt * 1e3 * 1.05)
            ax.axvline(tgt * 1e3, color=VERMILLION, lw=1.5, ls="--", label=f"TPOT target {tgt * 1e3:,.0f} ms")
        else:  # far beyond every batch that fits: say so instead of squashing the data
            notes.append(f"TPOT target {tgt * 1e3:,.0f} ms: off the chart; every batch that fits meets it")
        under = d[d["tpot_s"] <= tgt]
        if len(under):
            best = under.loc[under["usd_per_million"].idxmin()]
            _mark_point(ax, best["tpot_s"] * 1e3, best["usd_per_million"],
                        f"best under target: batch {int(best['batch']):,}, "
                        f"{_usd(best['usd_per_million'])}/M", color=VERMILLION, xytext=(-12, 10))
            ax.texts[-1].set_ha("right")
        else:
            notes.append("no batch meets the TPOT target")
    if notes:  # the lower left stays empty: costs fall as TPOT grows
        _note(ax, "\n".join(notes), loc="lower left")
    ax.set_yscale("log")
    _log_axis(ax.yaxis, _USD_FMT)
    ax.set_xlim(0, right)
    ax.set_xlabel("time per output token, TPOT (ms)")
    ax.set_ylabel("cost ($ per million output tokens)")
    ax.set_title("Bigger batches: cheaper but slower tokens (labels: batch)")
    ax.legend(loc="upper right")
    return ax


# ---------------------------------------------------------------- §30.10 capacity

@_styled
def capacity_waterfall(plan, headroom=None, reference=None, ax=None):
    """GPU count built up step by step: decode at peak, prefill at peak, headroom, rounding to replicas (§30.10).

    ``headroom`` (the fraction the plan used) splits headroom from rounding; ``reference`` is an
    optional (gpus, label) drawn as a line, e.g. the chapter's example.
    """
    steps = plan.steps.set_index("step")["value"]
    parts = []  # (step, GPUs it adds, what to add to the value label)
    dec = float(steps.get("GPUs at peak (decode)", plan.gpus_at_peak))
    parts.append(("decode at peak", dec, ""))
    if "GPUs at peak (prefill)" in steps:
        parts.append(("prefill at peak", float(steps["GPUs at peak (prefill)"]), ""))
    base = float(plan.gpus_at_peak)
    if headroom is not None:
        hr = v.number("headroom", headroom, low=0, low_inclusive=True, high=10)
        parts.append(("headroom", base * hr, f" ({hr:.0%})"))
        parts.append(("round up to\nwhole replicas", plan.gpus - base * (1 + hr), ""))
    else:
        parts.append(("headroom and\nrounding", plan.gpus - base, ""))
    ax = _axes(ax)
    cum = 0.0
    cols = [BLUE, ORANGE, GREEN, PURPLE]
    for i, (_, val, note) in enumerate(parts):
        ax.bar(i, val, bottom=cum, color=cols[i % len(cols)], width=0.6, zorder=3)
        ax.text(i, cum + val, (f"+{val:,.1f}" if i else f"{val:,.1f}") + note, ha="center", va="bottom", fontsize=8)
        cum += val
    i_tot = len(parts)
    ax.bar(i_tot, plan.gpus, color=BLACK, width=0.6, zorder=3)
    ax.text(i_tot, plan.gpus, f"{plan.gpus:,} GPUs", ha="center", va="bottom", fontsize=8.5, weight="bold")
    ax.set_xticks(range(i_tot + 1), [p[0] for p in parts] + ["fleet"], fontsize=8)
    top = plan.gpus
    if reference is not None:
        rv, rl = reference
        ax.axhline(rv, color=CHAPTER, ls="--", lw=1.3)
        ax.annotate(rl, (0.0, rv), xycoords=("axes fraction", "data"), xytext=(2, 3),
                    textcoords="offset points", ha="left", va="bottom", color=CHAPTER, fontsize=8)
        top = max(top, rv)
    ax.set_ylim(0, _nice_ceiling(top * 1.15))  # a round top that stays put while a slider moves the bars
    ax.grid(False, axis="x")
    ax.set_xlabel("rubric step (§30.10)")
    ax.set_ylabel("GPUs (count)")
    ax.set_title(f"{plan.gpus:,} GPUs, {_usd(plan.monthly_usd)}/month, "
                 f"${plan.usd_per_million_tokens:,.2f}/M output tokens")
    return ax


# ---------------------------------------------------------------- §30.3 memory

#: The chapter's weight sizes for Llama 70B: "140 GB" in bf16 (§30.3), "35 GB" in FP8 (§30.8).
CHAPTER_70B_WEIGHT_GB = {S30_3.weights: (S30_3.model_bytes / 1e9, S30_3.name),
                         "fp8": (S30_8.claimed_fp8_weights_gb, S30_8.name)}


@_styled
def memory_use(dep, context=2048, batch=1, mark=True, ax=None):
    """Memory needed (weights + KV cache for batch x context tokens) vs memory usable, in GB (§30.3)."""
    c = v.integer("context", context, low=1)
    b = v.integer("batch", batch, low=1)
    f = fit(dep, context=c, batch=b)
    ax = _axes(ax)
    w, kv, use = f.weight_bytes / 1e9, f.kv_bytes / 1e9, f.usable_bytes / 1e9
    ax.barh(1, w, color=BLUE, height=0.55, label=f"weights {w:,.1f} GB", zorder=3)
    ax.barh(1, kv, left=w, color=ORANGE, height=0.55, label=f"KV cache {kv:,.1f} GB", zorder=3)
    ax.barh(0, use, color=GREEN, height=0.55, label=f"usable {use:,.1f} GB", zorder=3)
    ax.axvline(use, color=GREEN, ls="--", lw=1.2, zorder=2)
    if not f.fits:
        ax.annotate("", (w + kv, 1.55), xytext=(use, 1.55), arrowprops={"arrowstyle": "<->", "color": VERMILLION})
        ax.text((use + w + kv) / 2, 1.62, f"does not fit: short by {f.shortfall_bytes / 1e9:,.1f} GB",
                ha="center", va="bottom", color=VERMILLION, fontsize=9, weight="bold")
    else:
        ax.text(use, 0.5, f" headroom {f.headroom_bytes / 1e9:,.1f} GB", va="center", fontsize=8.5)
    if mark and dep.model.id == S30_3.model and dep.weights.name in CHAPTER_70B_WEIGHT_GB:
        gb, sec = CHAPTER_70B_WEIGHT_GB[dep.weights.name]
        _mark_chapter(ax, gb, 1.0, f"chapter {sec}: {gb:g} GB of {dep.weights.name} weights",
                      xytext=(0, -42), ha="center")
    ax.set_yticks([0, 1], [f"usable on {dep.tp} × {dep.gpu.id}", "needed"])
    ax.set_ylim(-0.5, 2.05)
    ax.set_xlim(0, max(w + kv, use) * 1.12)
    ax.grid(False, axis="y")
    ax.set_xlabel("memory (GB)")
    ax.set_ylabel("replica memory (GB)")
    ax.set_title(f"{dep.label}: weights + KV for {b:,} × {c:,} tokens")
    ax.legend(loc="lower right", fontsize=7.5)
    return ax


# ---------------------------------------------------------------- §30.2 procurement

@_styled
def procurement_bars(df, highlight=None, mark=True, ax=None):
    """$/GPU-hour by procurement tier (range as whiskers), the chosen tier highlighted (§30.2).

    ``df`` columns: ``tier``, ``usd_per_gpu_hour`` and optional ``low``/``high``.
    """
    ax = _axes(ax)
    if len(df) == 0:
        return message_axes("no tiers to show", ax=ax)
    vals = df["usd_per_gpu_hour"].astype(float).to_numpy()
    cols = [VERMILLION if t == highlight else BLUE for t in df["tier"]]
    texts = [f"${x:.2f}/h" for x in vals]
    hi_x = df["high"].astype(float).to_numpy() if "high" in df else None
    y = _bars(ax, [str(t).replace("_", " ") for t in df["tier"]], vals, cols, texts, log=False,
              infeasible_texts=["no price"] * len(df), text_x=hi_x)
    if "low" in df and "high" in df:
        lo, hi = df["low"].astype(float).to_numpy(), df["high"].astype(float).to_numpy()
        m = _finite(lo, hi) & (hi > lo)
        if m.any():
            ax.errorbar(vals[m], y[m], xerr=[vals[m] - lo[m], hi[m] - vals[m]], fmt="none", ecolor=BLACK,
                        capsize=4, zorder=5)
    if mark:
        ch = S30_2.default_usd_per_hour
        ax.axvline(ch, color=CHAPTER, ls="--", lw=1.3)
        ax.annotate(f"chapter §30.2: ${ch:g}/hour used throughout", (ch, 1.0), xycoords=ax.get_xaxis_transform(),
                    xytext=(4, -4), textcoords="offset points", va="top", color=CHAPTER, fontsize=8)
        ax.set_xlim(right=max(ax.get_xlim()[1], ch * 1.3))
    ax.set_xlabel("price ($ per GPU-hour)")
    ax.set_ylabel("procurement tier (§30.2)")
    ax.set_title("What one GPU-hour costs, by how you buy it")
    return ax


# ---------------------------------------------------------------- §30.6 input vs output prices

@_styled
def price_ratio_bars(df, mark=True, ax=None):
    """Output price ÷ input price per row (ours, the chapter's math, API list prices) (§30.6).

    ``df`` columns: ``label``, ``usd_per_million_input``, ``usd_per_million_output``, optional ``kind``
    ("self-hosted"/"chapter"/"api"). The chapter's "input 2-4x cheaper" claim is shaded.
    """
    ax = _axes(ax)
    pin = df["usd_per_million_input"].astype(float).to_numpy()
    pout = df["usd_per_million_output"].astype(float).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = pout / pin
    ok = _finite(ratio, positive=True)
    kinds = df["kind"] if "kind" in df else ["api"] * len(df)
    kc = {"self-hosted": BLUE, "chapter": VERMILLION, "api": ORANGE}
    cols = [kc.get(str(k), ORANGE) for k in kinds]
    texts = [f"{r:.2f}×" if o else "" for r, o in zip(ratio, ok, strict=True)]
    if not ok.any():
        return message_axes("no finite price ratio to show", ax=ax)
    _bars(ax, list(df["label"]), np.where(ok, ratio, np.nan), cols, texts, log=False,
          infeasible_texts=["no price"] * len(df))
    ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda x, _: f"{x:g}×"))
    d_lo, d_hi = S30_6.claimed_input_discount
    ax.set_xlim(0, _nice_ceiling(max(float(ratio[ok].max()), d_hi) * 1.6))
    if mark:
        ax.axvspan(d_lo, d_hi, color=CHAPTER, alpha=0.10, lw=0)
        ax.set_ylim(top=len(df) + 0.4)
        ax.annotate(f"chapter §30.6: input '{d_lo:g}-{d_hi:g}× cheaper'", ((d_lo + d_hi) / 2, 0.99),
                    xycoords=ax.get_xaxis_transform(),
                    ha="center", va="top", fontsize=8, color=CHAPTER)
    ax.axvline(1, color=GREY, lw=1)
    ax.set_xlabel("output price ÷ input price (× per token)")
    ax.set_ylabel("who prices it (self-hosted, chapter, API)")
    ax.set_title("How much dearer is an output token than an input token?")
    handles = [Patch(color=c, label=k) for k, c in kc.items() if k in set(map(str, kinds))]
    ax.legend(handles=handles, loc="lower right")
    return ax


# ---------------------------------------------------------------- §30.4 how wrong is the roofline?

_GPU_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "h")


@_styled
def predicted_vs_measured(df, ax=None, *, color_by="gpu", show_ceiling=True):
    """Measured vs predicted output tokens/s on log-log axes: mid with its low-high band, the ceiling above (§30.4).

    ``df`` is ``ValidationReport.to_frame()`` (or a frame with measured, low, mid, high, ceiling and
    the ``color_by`` column). Points on the diagonal are exact; the band should cross it.
    """
    ax = _axes(ax)
    need = ["measured", "low", "mid", "high", "ceiling"]
    if df is None or len(df) == 0:
        return message_axes("no predicted rows to show", ax=ax)
    ok = _finite(*[df[c] for c in need], positive=True)
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
    _log_axis(ax.xaxis, _COUNT_FMT)
    _log_axis(ax.yaxis, _COUNT_FMT)
    ax.set_xlabel("measured output tokens/s (published)")
    ax.set_ylabel("predicted output tokens/s")
    ax.set_title("costlib vs published max-throughput runs")
    ax.legend(loc="upper left", fontsize=8)
    return ax


@_styled
def error_by(df, by, ax=None):
    """Signed error of mid, (mid - measured) / measured in %, per group: a dot per row, a bar at the median (§30.4)."""
    ax = _axes(ax)
    if df is None or len(df) == 0 or by not in df:
        return message_axes(f"no rows to group by {by!r}", ax=ax)
    d = df[_finite(df["error"])]
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
                       fontsize=8)
    ax.set_ylabel("mid error (%), + = too optimistic")
    label = {"gpu": "GPU", "model": "model", "shape": "input/output tokens per request"}.get(by, by)
    ax.set_xlabel(label)
    # short: three of these sit side by side in notebook 11
    ax.set_title(f"by {'shape' if by == 'shape' else label} (orange bar: median)")
    return ax


@_styled
def shape_band(labels, predictions, measured=None, highlight=None, ax=None):
    """Ceiling, low-high band and mid per request shape for one deployment, with measured points if any (§30.4).

    ``predictions`` holds Prediction-like objects (ceiling, low, mid, high); ``measured`` the
    published tokens/s per shape (NaN where there is none); ``highlight`` the index of the reader's shape.
    """
    ax = _axes(ax)
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
        ok = _finite(mv, positive=True)
        if ok.any():
            ax.plot(x[ok], mv[ok], ls="none", marker="x", ms=8, mew=2, color=BLACK, label="measured (TensorRT-LLM)")
    if highlight is not None:
        ax.axvspan(highlight - 0.4, highlight + 0.4, color=OKABE_ITO["yellow"], alpha=0.3, lw=0)
    ax.set_yscale("log")
    _log_axis(ax.yaxis, _COUNT_FMT)
    # y limits on a 1-2-5 grid, with room above for the legend: they stay put while a slider moves
    # one shape, so the axes need no new layout
    values = np.concatenate([low, ceil] + ([mv[ok]] if measured is not None else []))
    values = values[_finite(values, positive=True)]
    if len(values):
        ax.set_ylim(_log_125(values.min() / 1.2, down=True), _log_125(values.max() * 6))
    ax.set_xlim(-0.6, len(predictions) - 0.4)
    ax.set_xticks(x)
    ax.set_xticklabels(labels, rotation=30, ha="right", fontsize=8)
    ax.set_xlabel("input/output tokens per request")
    ax.set_ylabel("output tokens/s (all GPUs)")
    ax.legend(loc="upper left", ncols=4, fontsize=8)
    return ax


def _log_125(x: float, down: bool = False) -> float:
    """The nearest 1, 2 or 5 x 10^k at or above x (at or below with ``down``): a log-axis end that stays put."""
    k = math.floor(math.log10(x))
    steps = [m * 10.0 ** e for e in (k - 1, k, k + 1) for m in (1, 2, 5)]
    return max(s for s in steps if s <= x * (1 + 1e-12)) if down else min(s for s in steps if s >= x * (1 - 1e-12))


__all__ += ["predicted_vs_measured", "error_by", "shape_band"]

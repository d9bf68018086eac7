"""Cost curves: $/M against throughput and utilization, and the monthly bill of self-hosting against an API (§30.1, §30.4-§30.5, §30.7)."""
from __future__ import annotations

import math

import numpy as np
from matplotlib import ticker

from costlib.catalog.tables import api_name, get_api_price
from costlib.common import checks as v
from costlib.common import fmt
from costlib.economics.cost import usd_per_million_tokens
from costlib.economics.crossover import (
    HOURS_PER_MONTH,
    api_monthly_usd,
    self_host_monthly_usd,
    step_crossover_tokens_per_month,
)
from costlib.teaching.chapter import S30_1, S30_5, S30_7
from costlib.ui.plots.axes import (
    COUNT_TICKS,
    USD_TICKS,
    axes_note,
    finite_mask,
    log_axis,
    mark_chapter,
    mark_point,
    new_axes,
    round_log_ylim,
)
from costlib.ui.plots.style import BLACK, BLUE, CHAPTER, GREEN, GREY, ORANGE, PURPLE, SKY, styled

# ---------------------------------------------------------------- §30.1 / §30.5 cost vs throughput

#: The chapter's worked example for 70B on one H100 (§30.1 figure, §30.5): $/hour and tokens/s.
CHAPTER_70B = {"usd_per_hour": S30_5.usd_per_hour, "tokens_per_s": S30_5.tokens_per_s}


@styled
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
    ax = new_axes(ax)
    x = np.geomspace(lo, hi, 80)
    colors = [BLUE, ORANGE, GREEN, PURPLE, SKY, BLACK]
    for i, u in enumerate(utils):
        y = usd_per_million_tokens(p, x, u)
        ax.plot(x, y, color=colors[i % len(colors)], lw=2, label=f"{u:.0%} utilization")
    ax.set_xscale("log")
    ax.set_yscale("log")
    log_axis(ax.xaxis, COUNT_TICKS)
    log_axis(ax.yaxis, USD_TICKS)
    if mark:
        ch = CHAPTER_70B
        c1 = usd_per_million_tokens(S30_1.figure_usd_per_hour, S30_1.tokens_per_s, 1.0)
        c2 = usd_per_million_tokens(ch["usd_per_hour"], ch["tokens_per_s"], S30_5.utilization)
        mark_chapter(ax, S30_1.tokens_per_s, c1,
                      f"chapter §30.1: ${S30_1.figure_usd_per_hour:g}/h, {S30_1.tokens_per_s:,.0f} tok/s "
                      f"→ ${c1:.2f}/M", xytext=(-14, -26), ha="right")
        mark_chapter(ax, ch["tokens_per_s"], c2,
                      f"chapter §30.5: at {S30_5.utilization:.0%} utilization → ${c2:.2f}/M", xytext=(14, 16))
    if current is not None:
        t, u = current
        c = usd_per_million_tokens(p, t, u)
        mark_point(ax, t, c, f"you: ${c:.2f}/M", xytext=(10, 8))
    round_log_ylim(ax)
    ax.set_xlabel("throughput at full load (tokens/s)")
    ax.set_ylabel("cost ($ per million tokens)")
    ax.set_title(f"$/M tokens = ${p:.2f}/hour ÷ tokens per hour")
    ax.legend(loc="upper right")
    return ax


# ---------------------------------------------------------------- §30.4-§30.5 utilization

@styled
def cost_vs_utilization(usd_per_million_at_full=None, utilization=None, apis=("together-llama-3.3-70b",),
                        label="this deployment", mark=True, ax=None):
    """$/M output tokens vs utilization (duty cycle): the full-load price ÷ utilization, with API prices (§30.5).

    ``usd_per_million_at_full`` defaults to the chapter's $2/h at 1000 tokens/s. Where the curve
    crosses an API's output price, the break-even utilization is marked.
    """
    ch_full = usd_per_million_tokens(CHAPTER_70B["usd_per_hour"], CHAPTER_70B["tokens_per_s"])
    c = ch_full if usd_per_million_at_full is None else v.number("usd_per_million_at_full",
                                                                 usd_per_million_at_full)
    ax = new_axes(ax)
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
        ax.axhline(price, color=col, lw=1.5, ls="-.", label=f"{api_name(aid)}: ${price:.2f}/M out")
        be = c / price
        if be <= 1:
            ax.plot([be], [price], marker="o", ms=7, color=col, mec=BLACK, ls="none", zorder=6)
            ax.annotate(f"break-even {be:.0%}", (be, price), xytext=(-6, -14), textcoords="offset points",
                        ha="right", fontsize=9, color=BLACK)
    if mark:
        u5 = S30_5.utilization
        c50 = ch_full / u5
        mark_chapter(ax, u5, c50, f"chapter §30.5: {u5:.0%} → ${c50:.2f}/M", xytext=(14, 22))
    if utilization is not None:
        uu = v.fraction("utilization", utilization)
        mark_point(ax, uu, c / uu, f"{uu:.0%} → ${c / uu:.2f}/M", xytext=(8, 8))
    ax.set_yscale("log")
    log_axis(ax.yaxis, USD_TICKS)
    ax.set_ylim(bottom=min(c, ch_full) * 0.7)
    ax.xaxis.set_major_formatter(ticker.PercentFormatter(1.0))
    ax.set_xlim(0, 1.02)
    ax.set_xlabel("utilization, average ÷ full load (%)")
    ax.set_ylabel("cost ($ per million output tokens)")
    ax.set_title("Idle GPUs still bill: $/M = full-load $/M ÷ utilization")
    ax.legend(loc="upper right")
    return ax


# ---------------------------------------------------------------- §30.7 self-host vs API

def _api_price(api):
    if isinstance(api, dict):
        return api
    a = get_api_price(api)
    return {"label": f"{api_name(api)} (${a['usd_per_million_input']:.2f} in, ${a['usd_per_million_output']:.2f} out)",
            "usd_per_million_input": a["usd_per_million_input"],
            "usd_per_million_output": a["usd_per_million_output"]}


@styled
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
    ax = new_axes(ax)
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
        m = finite_mask(y, positive=True)
        ax.plot(x[m], y[m], color=cols[i % len(cols)], lw=1.8, ls="-.",
                label=f"API {a['label']}")
    if chapter_zone:
        z_lo, z_hi = S30_7.claimed_crossover_tokens_per_month
        ax.axvspan(z_lo, z_hi, color=CHAPTER, alpha=0.10, lw=0)
        ax.annotate(f"chapter §30.7:\n{fmt.count(z_lo)}-{fmt.count(z_hi)}", (math.sqrt(z_lo * z_hi), 0.97),
                    xycoords=ax.get_xaxis_transform(), ha="center", va="top", fontsize=9, color=CHAPTER)
    if prices:
        a = prices[0]
        blended = s * a["usd_per_million_input"] + (1 - s) * a["usd_per_million_output"]
        xc = step_crossover_tokens_per_month(blended, r, p, g, peak_factor, headroom) if blended > 0 else math.inf
        if math.isfinite(xc) and lo <= xc <= hi:
            yc = api_monthly_usd(xc, blended)
            ax.plot([xc], [yc], marker="X", ms=11, color=BLACK, ls="none", zorder=7)
            ax.annotate(f"crossover {fmt.count(xc)}/month", (xc, yc), xytext=(-10, 12),
                        textcoords="offset points", ha="right", fontsize=9, weight="bold")
        elif math.isfinite(xc):
            axes_note(ax, f"crossover at {fmt.count(xc)} tokens/month, outside the range shown", loc="lower right")
        else:
            axes_note(ax, "the API stays cheaper at every volume: a full replica's tokens cost less at the API",
                  loc="lower right")
    if current is not None:
        t = float(current)
        ax.axvline(t, color=BLACK, ls=":", lw=1.2)
        ax.annotate(f"{fmt.count(t)}/month", (t, 0.45), xycoords=ax.get_xaxis_transform(),
                    xytext=(-4, 0), textcoords="offset points", ha="right", fontsize=9)
    ax.set_xscale("log")
    ax.set_yscale("log")
    log_axis(ax.xaxis, COUNT_TICKS)
    log_axis(ax.yaxis, USD_TICKS)
    ax.set_xlim(lo, hi)
    ax.set_xlabel("traffic (tokens per month)")
    ax.set_ylabel("monthly bill ($/month)")
    ax.set_title("Monthly bill: whole replicas (steps) vs API (line)")
    ax.legend(loc="lower right", fontsize=9)
    return ax

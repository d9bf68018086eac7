"""Plots for serving under load: TTFT and ITL against the request rate, and the SLO candidates (§30.4, §30.9)."""
from __future__ import annotations

import numpy as np

from costlib.common import checks as v
from costlib.common import fmt
from costlib.ui.plots.axes import axes_note, log_axis, mark_point, message_axes, new_axes
from costlib.ui.plots.style import BLUE, GREEN, GREY, ORANGE, VERMILLION, styled

__all__ = ["latency_vs_rate", "slo_candidates", "knee_rate"]


def knee_rate(df, ttft_p99_s: float) -> float:
    """Largest swept rate whose p99 TTFT stays within ``ttft_p99_s`` (0.0 if none) (§30.4).

    ``df`` comes from :func:`costlib.estimate.serving.rate_sweep` (rates in increasing order); past the
    first rate that misses, none counts (a finite run can look fine far past saturation).
    """
    target = v.number("ttft_p99_s", ttft_p99_s, scalar=True)
    best = 0.0
    for rate, p99 in zip(df["rate_per_s"], df["ttft_p99_s"], strict=True):
        if p99 > target:
            break
        best = float(rate)
    return best


@styled
def latency_vs_rate(df, saturation_rps: float, ttft_p99_s=None, point=None, ax=None):
    """p99 and mean TTFT and mean ITL (ms, log scale) vs request rate, with the saturation rate and the knee (§30.4).

    ``df`` comes from :func:`costlib.estimate.serving.rate_sweep`; ``ttft_p99_s`` draws the target and
    marks the knee (:func:`knee_rate`); ``point`` = (rate, p99 TTFT s) marks the reader's own run.
    """
    for col in ("rate_per_s", "ttft_p99_s", "ttft_mean_s", "itl_mean_s"):
        if col not in df:
            raise ValueError(f"df must come from rate_sweep(); missing column {col!r}")
    ax = new_axes(ax)
    d = df[np.isfinite(df["rate_per_s"].to_numpy(float))]
    if len(d) == 0:
        return message_axes("no finite request rate to plot", ax=ax)
    r = d["rate_per_s"].to_numpy(float)
    ax.plot(r, d["ttft_p99_s"] * 1e3, marker="o", ms=4, color=VERMILLION, lw=2, label="TTFT p99")
    ax.plot(r, d["ttft_mean_s"] * 1e3, marker="o", ms=3, color=ORANGE, lw=1.5, label="TTFT mean")
    ax.plot(r, d["itl_mean_s"] * 1e3, marker="o", ms=3, color=BLUE, lw=1.5, label="ITL mean")
    ax.axvline(saturation_rps, color=GREY, lw=1.5, ls=":", label=f"saturation {saturation_rps:,.2f}/s")
    notes = []
    if ttft_p99_s is not None:
        tgt = v.number("ttft_p99_s", ttft_p99_s, scalar=True)
        ax.axhline(tgt * 1e3, color=VERMILLION, lw=1, ls="--", label=f"p99 TTFT target {tgt * 1e3:,.0f} ms")
        knee = knee_rate(d, tgt)
        if knee > 0:
            ax.axvline(knee, color=GREEN, lw=1.5, ls="--", label=f"knee (target holds) {knee:,.2f}/s")
        else:
            notes.append("the target is missed at every swept rate")
    if point is not None:
        rate, p99 = float(point[0]), float(point[1]) * 1e3
        mark_point(ax, rate, p99, f"you: {rate:,.2f}/s, p99 {p99:,.0f} ms", xytext=(8, 8))
    if notes:
        axes_note(ax, "\n".join(notes), loc="lower right")
    ax.set_yscale("log")
    log_axis(ax.yaxis, _ms_fmt())
    ax.set_xlim(0, max(float(r.max()), saturation_rps) * 1.05)
    ax.set_xlabel("request rate (requests per second, one replica)")
    ax.set_ylabel("latency (ms, log scale)")
    ax.set_title("Latency under load: flat, then the knee")
    ax.legend(loc="upper left", fontsize=9)
    return ax


def _ms_fmt():
    from matplotlib import ticker

    return ticker.FuncFormatter(lambda x, _: f"{x:,.0f}" if x >= 1 else f"{x:.2g}")


@styled
def slo_candidates(fleet, limit: int = 12, ax=None):
    """$/hour of the cheapest SLO candidates: best, meets but dearer, misses, not simulated (§30.9)."""
    from costlib.economics.slo import SloFleet

    if not isinstance(fleet, SloFleet):
        raise ValueError(f"fleet must be an SloFleet from costlib.economics.slo.slo_fleet(), got {type(fleet).__name__}")
    v.integer("limit", limit, low=1, scalar=True)
    ax = new_axes(ax)
    rows = [c for c in fleet.candidates if c.usd_per_hour is not None][:limit]
    if not rows:
        return message_axes(fleet.message, ax=ax)
    labels, values, colors = [], [], []
    for c in rows:
        labels.append(f"{c.replicas} x {c.tp}x {fmt.gpu_name(c.gpu)} {c.weights.upper()}/{c.kv.upper()}")
        values.append(c.usd_per_hour)
        colors.append(GREEN if c is fleet.best else BLUE if c.meets_slo else
                      "#DDDDDD" if c.meets_slo is None else VERMILLION)
    y = np.arange(len(rows))[::-1]
    ax.barh(y, values, color=colors)
    for yi, val in zip(y, values, strict=True):
        ax.text(val, yi, f" {fmt.usd_short(val)}/h", va="center", fontsize=9)
    ax.set_yticks(y, labels, fontsize=9)
    ax.set_xlim(0, max(values) * 1.25)
    ax.set_xlabel("fleet cost ($ per hour)")
    ax.set_title("Cheapest first: green best, blue meets but dearer, red misses, grey not simulated",
                 fontsize=9)
    return ax

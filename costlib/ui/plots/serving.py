"""Serving figures: decode throughput against batch, the roofline, memory use, the latency frontier and the capacity waterfall (§30.3, §30.6, §30.9, §30.10)."""
from __future__ import annotations

import math

import numpy as np

from costlib.common import checks as v
from costlib.common import fmt
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
from costlib.teaching.chapter import S30_3, S30_4, S30_8
from costlib.ui.plots.axes import (
    COUNT_TICKS,
    USD_TICKS,
    axes_note,
    finite_mask,
    listing,
    log_axis,
    mark_chapter,
    mark_point,
    message_axes,
    new_axes,
    nice_ceiling,
)
from costlib.ui.plots.style import (
    BLACK,
    BLUE,
    CHAPTER,
    GREEN,
    GREY,
    INFEASIBLE,
    ORANGE,
    PURPLE,
    VERMILLION,
    styled,
)

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


@styled
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
    ax = new_axes(ax)
    f = fit(dep, context=c)
    if f.max_batch < 1:
        return message_axes(f.message, ax=ax, title=f"{dep.name}, context {c:,}")
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
    ax.axhline(prefill, color=ORANGE, ls=":", lw=2, label=f"prefill ceiling {fmt.count(prefill)} tok/s")
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
        mark_chapter(ax, ch_b, ch, f"chapter §30.3: batch {ch_b:,} → {ch:,.0f} tok/s",
                      xytext=(-12, 10), ha="right")
        r_lo, r_hi = S30_4.claimed_realistic_tokens_per_s
        ax.plot([ch_b, ch_b], [r_lo, r_hi], color=CHAPTER, lw=3, solid_capstyle="butt", zorder=6)
        ax.annotate(f"chapter §30.4: {r_lo:,.0f}-{r_hi:,.0f} tok/s", (ch_b, (r_lo + r_hi) / 2), xytext=(-8, 0),
                    textcoords="offset points", ha="right", va="center", fontsize=9, color=CHAPTER)
    if batch is not None:
        bb = v.integer("batch", batch, low=1)
        if bb <= mb:
            y = decode_tokens_per_s(dep, bb, c, sum(mbu_range) / 2 if mbu is None else mbu,
                                    sum(mfu_range) / 2 if mfu is None else mfu)
            mark_point(ax, bb, y, f"batch {bb:,}: {y:,.0f} tok/s", xytext=(8, 10))
        elif bb <= bmax:
            ax.axvline(bb, color=BLACK, ls=":", lw=1.2)
            ax.annotate(f"batch {bb:,}: does not fit", (bb, 0.92), xycoords=ax.get_xaxis_transform(),
                        xytext=(-4, 0), textcoords="offset points", ha="right", fontsize=9)
        else:  # beyond the axis, which spans the batches around the memory wall: said in a note
            axes_note(ax, f"batch {bb:,} (off this axis): does not fit", loc="upper right")
    top = max(float(np.max(roof)), prefill, float(np.max(chapter_line[ok])) if ok.any() else 0.0,
              _chapter_decode_ceiling()[1] if mark else 0.0)
    ax.set_ylim(0, top * 1.08)
    ax.set_xlim(0, bmax * 1.01)
    ax.yaxis.set_major_formatter(COUNT_TICKS)
    ax.set_xlabel("batch size (concurrent sequences)")
    ax.set_ylabel("decode throughput (tokens/s)")
    ax.set_title(f"{dep.name}, context {c:,}")
    ax.legend(loc="upper left", fontsize=9)
    return ax


# ---------------------------------------------------------------- §30.3/§30.6 roofline

@styled
def roofline(dep, context=2048, batches=(1, 8, 32, 128, 512), prompt_tokens=1000, batch=None,
             mark=True, ax=None):
    """Attainable FLOP/s vs arithmetic intensity (log-log): decode points by batch, a prefill point, the ridge (§30.3).

    Decode batches whose KV cache does not fit are dropped and listed in a note.
    """
    c = v.integer("context", context, low=1)
    n = v.integer("prompt_tokens", prompt_tokens, low=1)
    bs = sorted({int(x) for x in np.atleast_1d(v.integer("batches", batches, low=1))}
                | ({int(v.integer("batch", batch, low=1))} if batch is not None else set()))
    ax = new_axes(ax)
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
                textcoords="offset points", ha="right", fontsize=9)
    keep = [i for i, b in enumerate(bs) if b <= mb]
    dropped = [b for b in bs if b > mb]
    for j, i in enumerate(keep):
        ai = float(ai_dec[i])
        y = float(attainable_flops(peak, bw, ai)) / 1e12
        is_cur = batch is not None and bs[i] == int(batch)
        ax.plot([ai], [y], marker="o", ms=9 if is_cur else 7, ls="none", mec=BLACK if is_cur else "white",
                color=BLUE, label="decode (B = batch)" if j == 0 else None, zorder=5)
        ax.annotate(f"B={bs[i]:,}", (ai, y), xytext=(-4, 7), textcoords="offset points", fontsize=9,
                    ha="right", color=BLUE)
    y_pre = float(attainable_flops(peak, bw, ai_pre)) / 1e12
    ax.plot([ai_pre], [y_pre], marker="s", ms=8, color=ORANGE, ls="none", zorder=5,
            label=f"prefill, {n:,}-token prompt")
    if mark:
        ai_ch = S30_3.claimed_prefill_intensity  # the chapter's "compute-bound at AI ≈ 700" (§30.3)
        mark_chapter(ax, ai_ch, float(attainable_flops(peak, bw, ai_ch)) / 1e12,
                      f"chapter §30.3: prefill AI ≈ {ai_ch:,.0f}", xytext=(0, -34), ha="center")
    if dropped:
        axes_note(ax, f"does not fit, not plotted: batch {listing(dropped)}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    log_axis(ax.xaxis, COUNT_TICKS)
    log_axis(ax.yaxis, COUNT_TICKS)
    ax.set_ylim(top=peak / 1e12 * 2.5)
    ax.set_xlabel("arithmetic intensity (FLOP/byte)")
    ax.set_ylabel("attainable throughput (TFLOP/s)")
    ax.set_title(f"Roofline of {dep.tp} × {fmt.gpu_name(dep.gpu.id)} ({dep.weights.name.upper()}), context {c:,}")
    ax.legend(loc="upper left", fontsize=9)
    return ax


# ---------------------------------------------------------------- §30.9 latency frontier

@styled
def latency_frontier(df, tpot_target_s=None, ax=None):
    """TPOT (ms) vs $/M for a batch sweep (sweep_batch()), the Pareto frontier highlighted, TPOT target line (§30.9)."""
    for col in ("batch", "tpot_s", "usd_per_million"):
        if col not in df:
            raise ValueError(f"df must come from sweep_batch(); missing column {col!r}")
    ax = new_axes(ax)
    fits = df["fits"].to_numpy(bool) if "fits" in df else np.ones(len(df), bool)
    ok = fits & finite_mask(df["tpot_s"], df["usd_per_million"], positive=True)
    d = df[ok]
    dropped = [int(b) for b in df.loc[~ok, "batch"]]
    if len(d) == 0:
        return message_axes("no batch size fits in memory, so there is nothing to price"
                            + (f" (tried batch {listing(dropped)})" if dropped else ""), ax=ax)
    front = pareto_frontier(d)
    ax.plot(d["tpot_s"] * 1e3, d["usd_per_million"], marker="o", ms=5, ls="none", color=GREY,
            label="batches that fit")
    ax.plot(front["tpot_s"] * 1e3, front["usd_per_million"], marker="o", ms=6, color=BLUE, lw=2,
            label="Pareto frontier")
    for r in front.to_dict("records"):
        ax.annotate(f"{int(r['batch']):,}", (r["tpot_s"] * 1e3, r["usd_per_million"]), xytext=(4, 4),
                    textcoords="offset points", fontsize=9, color=BLUE)
    right = float(d["tpot_s"].max()) * 1e3 * 1.15
    notes = [f"does not fit (KV cache), not plotted: batch {listing(dropped)}"] if dropped else []
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
            mark_point(ax, best["tpot_s"] * 1e3, best["usd_per_million"],
                        f"best under target: batch {int(best['batch']):,}, "
                        f"{fmt.usd_short(best['usd_per_million'])}/M", color=VERMILLION, xytext=(-12, 10))
            ax.texts[-1].set_ha("right")
        else:
            notes.append("no batch meets the TPOT target")
    if notes:  # the lower left stays empty: costs fall as TPOT grows
        axes_note(ax, "\n".join(notes), loc="lower left")
    ax.set_yscale("log")
    log_axis(ax.yaxis, USD_TICKS)
    ax.set_xlim(0, right)
    ax.set_xlabel("time per output token, TPOT (ms)")
    ax.set_ylabel("cost ($ per million output tokens)")
    ax.set_title("Bigger batches: cheaper but slower tokens (labels: batch)")
    ax.legend(loc="upper right")
    return ax


# ---------------------------------------------------------------- §30.10 capacity

@styled
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
    ax = new_axes(ax)
    cum = 0.0
    cols = [BLUE, ORANGE, GREEN, PURPLE]
    for i, (_, val, note) in enumerate(parts):
        ax.bar(i, val, bottom=cum, color=cols[i % len(cols)], width=0.6, zorder=3)
        ax.text(i, cum + val, (f"+{val:,.1f}" if i else f"{val:,.1f}") + note, ha="center", va="bottom", fontsize=9)
        cum += val
    i_tot = len(parts)
    ax.bar(i_tot, plan.gpus, color=BLACK, width=0.6, zorder=3)
    ax.text(i_tot, plan.gpus, f"{plan.gpus:,} GPUs", ha="center", va="bottom", fontsize=9, weight="bold")
    ax.set_xticks(range(i_tot + 1), [p[0] for p in parts] + ["fleet"], fontsize=9)
    top = plan.gpus
    if reference is not None:
        rv, rl = reference
        ax.axhline(rv, color=CHAPTER, ls="--", lw=1.3)
        ax.annotate(rl, (0.0, rv), xycoords=("axes fraction", "data"), xytext=(2, 3),
                    textcoords="offset points", ha="left", va="bottom", color=CHAPTER, fontsize=9)
        top = max(top, rv)
    ax.set_ylim(0, nice_ceiling(top * 1.15))  # a round top that stays put while a slider moves the bars
    ax.grid(False, axis="x")
    ax.set_xlabel("rubric step (§30.10)")
    ax.set_ylabel("GPUs (count)")
    ax.set_title(f"{plan.gpus:,} GPUs, {fmt.usd_short(plan.monthly_usd)}/month, "
                 f"${plan.usd_per_million_tokens:,.2f}/M output tokens")
    return ax


# ---------------------------------------------------------------- §30.3 memory

#: The chapter's weight sizes for Llama 70B: "140 GB" in bf16 (§30.3), "35 GB" in FP8 (§30.8).
CHAPTER_70B_WEIGHT_GB = {S30_3.weights: (S30_3.model_bytes / 1e9, S30_3.name),
                         "fp8": (S30_8.claimed_fp8_weights_gb, S30_8.name)}


@styled
def memory_use(dep, context=2048, batch=1, mark=True, ax=None):
    """Memory needed (weights + KV cache for batch x context tokens) vs memory usable, in GB (§30.3)."""
    c = v.integer("context", context, low=1)
    b = v.integer("batch", batch, low=1)
    f = fit(dep, context=c, batch=b)
    ax = new_axes(ax)
    w, kv, use = f.weight_bytes / 1e9, f.kv_bytes / 1e9, f.usable_bytes / 1e9
    xmax = max(w + kv, use) * 1.12
    ax.barh(1, w, color=BLUE, height=0.55, label=f"weights {w:,.1f} GB", zorder=3)
    ax.barh(1, kv, left=w, color=ORANGE, height=0.55, label=f"KV cache {kv:,.1f} GB", zorder=3)
    ax.barh(0, use, color=GREEN, height=0.55, label=f"usable {use:,.1f} GB", zorder=3)
    ax.axvline(use, color=GREEN, ls="--", lw=1.2, zorder=2)
    if not f.fits:
        ax.annotate("", (w + kv, 1.55), xytext=(use, 1.55), arrowprops={"arrowstyle": "<->", "color": VERMILLION})
        ax.text((use + w + kv) / 2, 1.62, f"does not fit: short by {f.shortfall_bytes / 1e9:,.1f} GB",
                ha="center", va="bottom", color=VERMILLION, fontsize=9, weight="bold")
    else:
        ax.text(use, 0.5, f" headroom {f.headroom_bytes / 1e9:,.1f} GB", va="center", fontsize=9)
    if mark and dep.model.id == S30_3.model and dep.weights.name in CHAPTER_70B_WEIGHT_GB:
        gb, sec = CHAPTER_70B_WEIGHT_GB[dep.weights.name]
        label = f"chapter {sec}: {gb:g} GB of {dep.weights.name} weights"
        if gb <= use:  # the label ends left of the star, in the gap between the bars, clear of the usable line
            mark_chapter(ax, gb, 1.0, label, xytext=(-6, -42), ha="right")
        else:  # the star is right of the usable line: the label, on two lines, starts right of that line
            mark_chapter(ax, gb, 1.0, label.replace(": ", ":\n", 1), xytext=(use + 0.04 * xmax, 0.5),
                         textcoords="data", ha="left")
    ax.set_yticks([0, 1], [f"usable on {dep.tp} × {fmt.gpu_name(dep.gpu.id)}", "needed"])
    ax.set_ylim(-0.5, 2.05)
    ax.set_xlim(0, xmax)
    ax.grid(False, axis="y")
    ax.set_xlabel("replica memory (GB)")  # the categories on y name themselves: no y label
    ax.set_title(f"{dep.name}: weights + KV for {b:,} × {c:,} tokens")
    ax.legend(loc="upper left", fontsize=9)  # above the usable bar's end, clear of the bars
    return ax

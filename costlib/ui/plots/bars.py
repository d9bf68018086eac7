"""Bar charts that show what does not fit: $/M per deployment, hardware, procurement tiers, input/output price ratios (§30.2, §30.5, §30.6, §30.8)."""
from __future__ import annotations

import math

import numpy as np
from matplotlib import ticker
from matplotlib.patches import Patch

from costlib.catalog.tables import api_name, get_api_price
from costlib.common import checks as v
from costlib.common import fmt
from costlib.economics.cost import decode_usd_per_million, request_shape
from costlib.estimate.predict import predict
from costlib.teaching.chapter import CONTEXT_TOKENS, S30_2, S30_5, S30_6, S30_8
from costlib.ui.plots.axes import (
    USD_TICKS,
    finite_mask,
    legend_below,
    log_axis,
    message_axes,
    new_axes,
    nice_ceiling,
)
from costlib.ui.plots.style import (
    BLACK,
    BLUE,
    CHAPTER,
    GREY,
    INFEASIBLE,
    ORANGE,
    VERMILLION,
    styled,
)


def _bars(ax, labels, values, colors, texts, *, log, infeasible_texts, text_x=None, room=1.6):
    """Horizontal bars top-to-bottom; NaN values become hatched grey bars saying why, without a price.

    On a linear axis the right end is the nice number at or above ``room`` x the longest bar: space for
    the value labels, which start where the bars end."""
    vals = np.asarray(values, dtype=float)
    ok = finite_mask(vals, positive=log)
    y = np.arange(len(labels))[::-1]
    if ok.any():
        vmin, vmax = float(vals[ok].min()), float(vals[ok].max())
    else:
        vmin, vmax = (0.1, 1.0) if log else (0.0, 1.0)
    left = vmin / 3 if log else 0.0
    right = vmax * 4 if log else nice_ceiling(vmax * room)  # room for the value labels right of the bars
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
            ax.text(xt, yi, f" {txt}", va="center", ha="left", fontsize=9, zorder=4)
        else:
            ax.text(left * (1.15 if log else 1) + (0 if log else vmax * 0.02), yi, f" {bad}", va="center",
                    ha="left", fontsize=9, color="#444444", zorder=7,
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85})
    ax.set_yticks(y, labels)
    ax.grid(False, axis="y")
    if log:
        ax.set_xscale("log")
        log_axis(ax.xaxis, USD_TICKS)
    else:
        ax.xaxis.set_major_formatter(USD_TICKS)
    ax.set_xlim(left, right)
    ax.set_ylim(-0.6, len(labels) - 0.4)
    return y


@styled
def cost_bars(df, log=True, ax=None):
    """Self-hosted configurations vs API prices in $/M output tokens, with the chapter's figures marked (§30.5).

    ``df`` columns: ``label``, ``usd_per_million`` (NaN = does not fit), optional ``kind``
    ("self-hosted"/"api"), optional ``chapter_usd_per_million`` (the chapter's figure, drawn as a
    star) and optional ``note`` (why a row has no price).
    """
    for col in ("label", "usd_per_million"):
        if col not in df:
            raise ValueError(f"df must have a {col!r} column; has {list(df.columns)}")
    ax = new_axes(ax)
    if len(df) == 0:
        return message_axes("nothing to compare: the table is empty", ax=ax)
    kinds = df["kind"] if "kind" in df else ["self-hosted"] * len(df)
    colors = [ORANGE if str(k).lower() == "api" else BLUE for k in kinds]
    notes = df["note"] if "note" in df else [""] * len(df)
    vals = df["usd_per_million"].astype(float).to_numpy()
    texts = [fmt.usd_short(x) + "/M" if np.isfinite(x) else "" for x in vals]
    bad = [("does not fit" + (f": {n}" if isinstance(n, str) and n else "")) for n in notes]
    y = _bars(ax, list(df["label"]), vals, colors, texts, log=log, infeasible_texts=bad)
    handles = [Patch(color=BLUE, label="self-hosted (costlib)"), Patch(color=ORANGE, label="API list price")]
    if "chapter_usd_per_million" in df:
        ch = df["chapter_usd_per_million"].astype(float).to_numpy()
        m = finite_mask(ch, positive=log)
        if m.any():
            ax.plot(ch[m], y[m], marker="*", ms=12, color=CHAPTER, mec="white", ls="none", zorder=6,
                    label="chapter §30.5: its figure")
            handles.append(ax.lines[-1])
    if (~finite_mask(vals, positive=log)).any():
        handles.append(Patch(fc="white", ec=INFEASIBLE, hatch="///", label="does not fit: no price"))
    ax.set_xlabel("cost ($ per million output tokens, log scale)" if log else
                  "cost ($ per million output tokens)")
    ax.set_ylabel("configuration (self-hosted or API)")
    ax.set_title("Self-hosted $/M output tokens vs API list prices")
    legend_below(ax, handles)
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


def chapter_30_5_table(usd_per_gpu_hour=None, context=CONTEXT_TOKENS, profile="calibrated"):
    """The §30.5 comparison recomputed: each self-hosted row on one GPU, or "does not fit"; API list prices (§30.5).

    Self-hosted rows decode ``context``-token requests at the batch memory holds (predict's), priced by
    :func:`~costlib.economics.cost.decode_usd_per_million` on ``profile``; $/M = full-load $/M ÷
    utilization. ``usd_per_gpu_hour`` maps GPU id to $/hour; the default is the chapter's $2/h for an
    H100 (§30.5) and $3/h for an H200 (§30.8 table). Columns fit :func:`cost_bars`.
    """
    from costlib.catalog.deployment import deployment

    prices = {**CHAPTER_30_8_USD_PER_HOUR, S30_5.gpu: S30_5.usd_per_hour, **(usd_per_gpu_hour or {})}
    c = v.integer("context", context, low=1)
    rows = []
    for label, weights, gpu, util, chapter_usd in CHAPTER_30_5_SELF_HOSTED:
        dep = deployment(S30_5.model, gpu, 1, weights)
        e = predict(dep, *request_shape(dep, c), profile=profile)  # physics first: one request must fit
        row = {"label": label, "kind": "self-hosted", "chapter_usd_per_million": chapter_usd,
               "usd_per_million": np.nan, "note": "", "batch": 0}
        if e.fits:
            full = decode_usd_per_million(dep, v.number(f"usd_per_gpu_hour[{gpu}]", prices[gpu]), e.batch, c,
                                          profile=profile)
            row.update(usd_per_million=full / util, batch=e.batch)
        else:
            row["note"] = f"needs {e.needed_bytes / 1e9:,.0f} GB, {e.memory_bytes / 1e9:,.0f} GB on one GPU"
        rows.append(row)
    for aid, chapter_usd in CHAPTER_30_5_APIS:
        rows.append({"label": api_name(aid), "kind": "api", "chapter_usd_per_million": chapter_usd,
                     "usd_per_million": get_api_price(aid)["usd_per_million_output"], "note": "", "batch": 0})
    import pandas as pd

    return pd.DataFrame(rows)


@styled
def hardware_bars(df, mark=True, ax=None):
    """$/M output tokens per GPU from compare_hardware(); GPUs that do not fit are hatched, without a price (§30.8).

    ``mark`` draws the chapter's §30.8 table values (a 70B model) as stars for the GPUs it lists.
    """
    for col in ("gpu", "usd_per_million"):
        if col not in df:
            raise ValueError(f"df must come from compare_hardware(); missing column {col!r}")
    ax = new_axes(ax)
    if len(df) == 0:
        return message_axes("no GPUs to compare", ax=ax)
    vals = df["usd_per_million"].astype(float).to_numpy()
    feasible = df["feasible"].to_numpy(bool) if "feasible" in df else np.isfinite(vals)
    texts, bad = [], []
    for r in df.to_dict("records"):  # plain dicts: much faster than iterrows() on a redraw
        col = "tp" if "tp" in df else "min_tp"  # the TP the row is priced at
        t = int(r[col]) if col in df and r[col] == r[col] and r[col] else None
        tb = f" (TP={t}, batch {int(r['batch']):,})" if t and "batch" in df else ""
        texts.append(f"{fmt.usd_short(float(r['usd_per_million']))}/M{tb}" if r["usd_per_million"] == r["usd_per_million"]
                     else "")
        note = str(r.get("note", "") or "")
        bad.append(_short_refusal(note, r.get("shortfall_bytes")) if not r.get("feasible", False)
                   else note if note.startswith("no price") else f"no price{': ' + note if note else ''}")
    colors = [BLUE if f else INFEASIBLE for f in feasible]
    y = _bars(ax, [fmt.gpu_name(g) for g in df["gpu"]], np.where(feasible, vals, np.nan), colors, texts, log=False,
              infeasible_texts=bad)
    rule = str(df["tp_rule"].iloc[0]) if "tp_rule" in df else "smallest"
    handles = [Patch(color=BLUE, label=f"fits: $/M at the {rule} TP" if not rule.isdigit() else f"fits: $/M at TP={rule}")]
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
    ax.set_ylabel("GPU")
    ax.set_title(f"One model on each GPU at the {rule} TP that fits" if not rule.isdigit() else
                 f"One model on each GPU at TP={rule}")
    legend_below(ax, handles)
    return ax


def _short_refusal(note: str, shortfall_bytes=None) -> str:
    """A bar's label for a GPU that cannot serve: the refusal's first clause and, when compare_hardware
    measured it, how much memory is missing, e.g. "does not fit on 1 GPU, short by 58.7 GB" (§30.8)."""
    head = note.split(":")[0] if "does not fit" in note.split(":")[0] else "does not fit"
    short = float(shortfall_bytes) if shortfall_bytes is not None else float("nan")
    return head + (f", short by {fmt.gigabytes(short)}" if short > 0 else "")


#: The chapter's §30.8 table, "$/M tokens (decode-heavy)" for a 70B model (its prices are mixed bases).
CHAPTER_30_8_USD_PER_MILLION = {r.gpu: r.usd_per_million for r in S30_8.table}
#: The $/GPU-hour of each GPU in the chapter's §30.8 table.
CHAPTER_30_8_USD_PER_HOUR = {r.gpu: r.usd_per_hour for r in S30_8.table}


# ---------------------------------------------------------------- §30.2 procurement

@styled
def procurement_bars(df, highlight=None, mark=True, ax=None):
    """$/GPU-hour by procurement tier (range as whiskers), the chosen tier highlighted (§30.2).

    ``df`` columns: ``tier``, ``usd_per_gpu_hour`` and optional ``low``/``high``.
    """
    ax = new_axes(ax)
    if len(df) == 0:
        return message_axes("no tiers to show", ax=ax)
    vals = df["usd_per_gpu_hour"].astype(float).to_numpy()
    cols = [VERMILLION if t == highlight else BLUE for t in df["tier"]]
    texts = [f"${x:.2f}/h" for x in vals]
    hi_x = df["high"].astype(float).to_numpy() if "high" in df else None
    # short labels ("$3.75/h") need less room than 1.6x; 1.5x also keeps the catalog's $3.75 on-demand
    # price off an axis-end boundary (3.75 x 1.6 = 6), where each slider step rescaled the axis
    y = _bars(ax, [fmt.tier_name(str(t)) for t in df["tier"]], vals, cols, texts, log=False,
              infeasible_texts=["no price"] * len(df), text_x=hi_x, room=1.5)
    if "low" in df and "high" in df:
        lo, hi = df["low"].astype(float).to_numpy(), df["high"].astype(float).to_numpy()
        m = finite_mask(lo, hi) & (hi > lo)
        if m.any():
            ax.errorbar(vals[m], y[m], xerr=[vals[m] - lo[m], hi[m] - vals[m]], fmt="none", ecolor=BLACK,
                        capsize=4, zorder=5)
    if mark:
        ch = S30_2.default_usd_per_hour
        ax.axvline(ch, color=CHAPTER, ls="--", lw=1.3)
        ax.annotate(f"chapter §30.2: ${ch:g}/hour used throughout", (ch, 1.0), xycoords=ax.get_xaxis_transform(),
                    xytext=(4, -4), textcoords="offset points", va="top", color=CHAPTER, fontsize=9)
        ax.set_xlim(right=max(ax.get_xlim()[1], ch * 1.3))
    ax.set_xlabel("price ($ per GPU-hour)")
    ax.set_ylabel("procurement tier (§30.2)")
    ax.set_title("What one GPU-hour costs, by how you buy it")
    return ax


# ---------------------------------------------------------------- §30.6 input vs output prices

@styled
def price_ratio_bars(df, mark=True, ax=None):
    """Output price ÷ input price per row (ours, the chapter's math, API list prices) (§30.6).

    ``df`` columns: ``label``, ``usd_per_million_input``, ``usd_per_million_output``, optional ``kind``
    ("self-hosted"/"chapter"/"api"). The chapter's "input 2-4x cheaper" claim is shaded.
    """
    ax = new_axes(ax)
    pin = df["usd_per_million_input"].astype(float).to_numpy()
    pout = df["usd_per_million_output"].astype(float).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = pout / pin
    ok = finite_mask(ratio, positive=True)
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
    ax.set_xlim(0, nice_ceiling(max(float(ratio[ok].max()), d_hi) * 1.6))
    if mark:
        ax.axvspan(d_lo, d_hi, color=CHAPTER, alpha=0.10, lw=0)
        ax.set_ylim(top=len(df) + 0.4)
        # starts at the shaded band's left edge and runs right, away from the 1x line
        ax.annotate(f"chapter §30.6: input '{d_lo:g}-{d_hi:g}× cheaper'", (d_lo, 0.99),
                    xycoords=ax.get_xaxis_transform(),
                    ha="left", va="top", fontsize=9, color=CHAPTER)
    ax.axvline(1, color=GREY, lw=1)
    ax.set_xlabel("output price ÷ input price (× per token)")
    ax.set_ylabel("who prices it (self-hosted, chapter, API)")
    ax.set_title("How much dearer is an output token than an input token?")
    handles = [Patch(color=c, label=k) for k, c in kc.items() if k in set(map(str, kinds))]
    legend_below(ax, handles)
    return ax

"""Explorers that check numbers: the chapter's claims, the cheat sheet, and the roofline against published runs (notebooks 09-11; §30.4, §30.11)."""
from __future__ import annotations

import functools
import math
from types import SimpleNamespace

import numpy as np
from matplotlib import ticker

from costlib.catalog.deployment import deployment
from costlib.catalog.tables import (
    get_gpu,
    get_model,
)
from costlib.common import fmt
from costlib.economics.cost import (
    NotFeasible,
    decode_tokens_per_s_band,
    request_shape,
    usd_per_million_tokens,
)
from costlib.estimate.predict import predict
from costlib.physics.memory import fit
from costlib.physics.step import (
    DEFAULT_MFU,
    decode_ceiling_tokens_per_s,
    prefill_ceiling_tokens_per_s,
)
from costlib.ui import plots
from costlib.ui.widgets import specs
from costlib.ui.widgets.controls import (
    TP_OPTIONS,
    deployment_from,
    dropdown,
)
from costlib.ui.widgets.explorer import Explorer, message_html

# ---------------------------------------------------------------- 09 checking the chapter

_ALL = "all"
_VERDICT_COLOURS = {"correct": plots.GREEN, "rounded": plots.SKY, "inconsistent": plots.ORANGE,
                    "wrong": plots.VERMILLION, "physically impossible": plots.PURPLE}


def _claims_filtered(section, verdict):
    """The claims table of one section and/or one verdict ("all" keeps every row) (§30.1-§30.11)."""
    from costlib.teaching import chapter

    df = chapter.claims()
    if section != _ALL:
        df = df[df["section"] == section]
    if verdict != _ALL:
        df = df[df["verdict"] == verdict]
    return df.reset_index(drop=True)


def _claim_options(df) -> list:
    opts = [(f"{r.section} · {r.claim}"[:95], r.id) for r in df.itertuples()]
    return opts or [("(no claim matches)", "")]


MAX_NAMED_CLAIMS = 21  # rows the claims chart names at 9 pt (a section's claims); more rows: the picked one only


def short_claim(text: str, most: int = 42) -> str:
    """A claim's words cut to ``most`` characters at a word boundary, for a tick label (§30.1-§30.8)."""
    if len(text) <= most:
        return text
    return text[:most - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def _ratio_label(x, _pos=None) -> str:
    """Tick label for a ratio axis: 0.5×, 1×, 20×, 1e+06×."""
    return f"{x:g}×" if 0.01 <= x < 1000 else f"{x:.0e}×"


def _claims_dotplot(df, selected, ax):
    """Chapter value ÷ recomputed value per claim (log x), coloured by verdict, the picked claim starred."""

    from costlib.teaching import chapter

    rec = df["recomputed_value"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = df["chapter_value"].to_numpy(float) / rec
        r_lo = df["chapter_low"].to_numpy(float) / rec
        r_hi = df["chapter_high"].to_numpy(float) / rec
    ok = np.isfinite(ratio) & np.isfinite(r_lo) & np.isfinite(r_hi) & (r_lo > 0) & (ratio > 0)
    if not ok.any():
        return plots.message_axes("nothing to draw: every claim shown has a recomputed value of 0 "
                                  "(a batch that does not fit at all)", ax=ax)
    n = len(df)
    y = np.arange(n)[::-1].astype(float)
    for tol, col, alpha in ((chapter.REL_TOL_ROUNDED, plots.SKY, 0.15), (chapter.REL_TOL_CORRECT, plots.GREEN, 0.3)):
        ax.axvspan(1 - tol, 1 + tol, color=col, alpha=alpha, lw=0)
    ax.axvline(1, color=plots.GREY, lw=1)
    verdicts = df["verdict"].to_numpy()
    for name, col in _VERDICT_COLOURS.items():
        m = ok & (verdicts == name)
        if not m.any():
            continue
        rng = m & (r_hi > r_lo)
        if rng.any():  # a range claim: a bar from its low end to its high end
            ax.hlines(y[rng], r_lo[rng], r_hi[rng], color=col, lw=2.5, alpha=0.6, zorder=3)
        ax.plot(ratio[m], y[m], marker="o", ms=5, color=col, ls="none", zorder=4, label=name)
    pick = np.flatnonzero((df["id"] == selected).to_numpy() & ok)
    if len(pick):
        i = pick[0]
        ax.plot([ratio[i]], [y[i]], marker="*", ms=16, color=plots.BLACK, mec="white", mew=0.8, ls="none",
                zorder=6)
        ax.annotate(short_claim(df["claim"].iat[i]), (ratio[i], y[i]), xytext=(10, -4 if y[i] < n - 2 else -12),
                    textcoords="offset points", fontsize=9, zorder=7, va="center" if y[i] < n - 2 else "top",
                    bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.85})
    ax.set_xscale("log")
    ax.set_xlim(min(0.5, float(np.min(r_lo[ok])) / 1.6), max(2.0, float(np.max(r_hi[ok])) * 1.6))
    ax.xaxis.set_major_locator(ticker.LogLocator(base=10, subs=(1.0,), numticks=9)
                               if ax.get_xlim()[1] / ax.get_xlim()[0] > 200 else
                               ticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0), numticks=12))
    ax.xaxis.set_major_formatter(ticker.FuncFormatter(_ratio_label))
    ax.xaxis.set_minor_locator(ticker.NullLocator())
    ax.set_ylim(-1, n)
    if n <= MAX_NAMED_CLAIMS:  # one readable (9 pt) name per row; more rows would overlap
        ax.set_yticks(y, [short_claim(c) for c in df["claim"]])
    else:
        ax.set_yticks([])
    ax.grid(False, axis="y")
    if (~ok).any():
        gone = [short_claim(c, 30) for c in df["claim"][~ok]]
        plots.axes_note(ax, f"not drawn: {', '.join(gone[:2])}{' …' if len(gone) > 2 else ''} "
                        "(recomputed value 0: nothing fits)", loc="lower right")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=5, frameon=False,
              handletextpad=0.2, columnspacing=1.0)
    ax.set_xlabel("chapter ÷ recomputed (log scale; bands: ±2%, ±10%; bars: ranges)")
    ax.set_ylabel("claim, in chapter order")
    ax.set_title(f"How far the chapter is off, claim by claim ({n} shown)", pad=20)
    return ax


def claims_explorer(section=None, verdict=None, claim=None):
    """The chapter's numeric claims filtered by section and verdict; pick one to see the numbers and why (§30.1-§30.11).

    The figure puts chapter value ÷ recomputed value of the filtered claims on a log scale; the
    text gives the picked claim's chapter and recomputed values, verdict and reason, and below it
    the filtered table. ``section`` accepts "30.8", "§30.8" or "CQ4".
    """
    from costlib.teaching import chapter

    spec = specs.specs("claims_explorer")
    section = specs.default(spec["section"]) if section is None else section
    verdict = specs.default(spec["verdict"]) if verdict is None else verdict
    table = chapter.claims()
    sec = section.strip() if isinstance(section, str) else section
    if isinstance(sec, str) and sec != _ALL and not sec.startswith(("§", "CQ")):
        sec = f"§{sec}"
    sections, verdicts = [_ALL] + list(dict.fromkeys(table["section"])), [_ALL] + list(chapter.VERDICTS)
    dropdown("section", sections, sec)  # an unknown section or verdict: the ValueError lists the options
    dropdown("verdict", verdicts, verdict)
    df0 = _claims_filtered(sec, verdict)
    if claim is not None:
        chapter.claim(claim)  # an unknown id raises a ValueError naming the closest ids
        if claim not in set(df0["id"]):
            raise ValueError(f"claim {claim!r} is not in section={section!r} with verdict={verdict!r}; "
                             "widen the filter or pick another claim")
    controls = specs.build("claims_explorer", dict(section=sec, verdict=verdict, claim=claim),
                           opts=dict(section=sections, verdict=verdicts, claim=_claim_options(df0)))
    claim_ctl = controls["claim"]
    state = {"explorer": None}

    def sync(picked, df) -> str:
        """Make the claim list match the filter (without recomputing again); return the claim to show."""
        new = _claim_options(df)
        ids = [o[1] for o in new]
        pick = picked if picked in ids else ids[0]
        if [tuple(o) for o in claim_ctl.options] != new or claim_ctl.value != pick:
            ex = state["explorer"]
            was = ex._held if ex is not None else False
            if ex is not None:
                ex._held = True
            try:
                claim_ctl.options = new
                claim_ctl.value = pick
            finally:
                if ex is not None:
                    ex._held = was
        return pick

    def compute(v, ax):
        df = _claims_filtered(v["section"], v["verdict"])
        pick = sync(v["claim"], df)
        parts = ([f"in section {v['section']}"] if v["section"] != _ALL else []) + \
                ([f"with verdict '{v['verdict']}'"] if v["verdict"] != _ALL else [])
        where = " ".join(parts) or "in the whole chapter"
        if df.empty:
            plots.message_axes(f"no claim {where}", ax=ax)
            return f"no claim {where}: choose another section or verdict"
        counts = df["verdict"].value_counts()
        tally = ", ".join(f"{k} {int(counts[k])}" for k in chapter.VERDICTS if k in counts)
        r = df[df["id"] == pick].iloc[0]
        _claims_dotplot(df, pick, ax)
        rel = chapter.relative_error(r["chapter_value"], r["recomputed_value"])
        ratio = r["chapter_value"] / r["recomputed_value"] if r["recomputed_value"] else math.inf
        if not math.isfinite(rel):
            off = "recomputed value is 0"
        elif 0.1 <= ratio <= 10:
            off = f"chapter off by {rel:.1%}"
        else:
            off = f"chapter = {ratio:,.3g} × recomputed"
        lines = [
            f"{len(df)} claim{'s' if len(df) != 1 else ''} {where}: {tally}",
            f"{r['section']} · {r['claim']} [{r['id']}]",
            f"chapter: {chapter.format_chapter_figure(r)} {r['unit']} · recomputed: "
            f"{chapter.format_claim_number(r['recomputed_value'])} {r['unit']} ({off}) → {r['verdict']} "
            f"(rule: {r['rule']})",
            f"why: {r['why']}",
        ]
        view = df.assign(chapter=[chapter.format_chapter_figure(x) for _, x in df.iterrows()],
                         recomputed=[chapter.format_claim_number(x) for x in df["recomputed_value"]])
        cols = ["id", "section", "claim", "chapter", "recomputed", "unit", "verdict"]
        table_html = view[cols].to_html(index=False, border=0)
        return "\n".join(lines), (message_html("\n".join(lines), True)
                                  + f'<div style="max-height:280px;overflow-y:auto;font-size:12px">{table_html}</div>')

    ex = Explorer("Checking the chapter: every numeric claim (§30.1-§30.11)", controls, compute, figsize=(7.5, 5.0))
    state["explorer"] = ex
    return ex


# ---------------------------------------------------------------- 10 cheat sheet

_SMALLEST = "smallest that fits"


def cheatsheet_explorer(model=None, gpu=None, weights=None, kv=None, tp=None, context=None, usd_per_gpu_hour=None):
    """The cheat sheet recomputed for any model, GPU and precision: weights, KV/token, TP, ceilings, $/M (§30.11).

    ``tp`` is a number of GPUs per replica or "smallest that fits" (weights plus one
    ``context``-token sequence). Throughput and price are given only for a replica that fits: the
    batch is what memory holds at max throughput, on the calibrated profile (one prediction path).
    """
    from costlib.physics.memory import kv_bytes_per_token, min_tp, usable_bytes, weight_bytes

    controls = specs.build("cheatsheet_explorer", dict(
        model=model, gpu=gpu, weights=weights, kv=kv, tp=tp if tp is None or tp == _SMALLEST else int(tp),
        context=context, usd_per_gpu_hour=usd_per_gpu_hour))

    def compute(v, ax):
        m, g, ctx, p = get_model(v["model"]), get_gpu(v["gpu"]), v["context"], v["usd_per_gpu_hour"]
        wt, kv_p = v["weights"], v["kv"]
        if ctx > m.max_context:
            raise ValueError(f"context must be at most {m.max_context:,} tokens for {m.name}, got {ctx:,}")
        wb, kvb = weight_bytes(m, wt), kv_bytes_per_token(m, kv_p)
        flops = g.flops_for(wt)
        smallest = min_tp(m, g, wt, kv_p, ctx)
        moe = f", {m.n_active_params / 1e9:.1f}B active per token" if m.is_moe else ""
        lines = [
            f"weights: {m.n_params / 1e9:.2f}B parameters × {wb / m.n_params:g} B ({wt}) = {wb / 1e9:,.1f} GB{moe}",
            f"KV cache: 2 × {m.n_layers} layers × {m.n_kv_heads} KV heads × {m.head_dim} dims × "
            f"{kvb / (2 * m.n_layers * m.n_kv_heads * m.head_dim):g} B ({kv_p}) = {kvb:,.0f} B/token "
            f"({kvb / 1024:,.0f} KiB); one {ctx:,}-token sequence {kvb * ctx / 1e9:,.2f} GB",
            f"{fmt.gpu_name(g.id)}: {g.hbm_gb:g} GB HBM ({usable_bytes(g) / 1e9:,.1f} GB usable), {g.hbm_tb_per_s:g} TB/s, "
            f"{flops / 1e12:,.0f} dense TFLOP/s for {wt} matmuls",
            (f"smallest TP holding the weights + one {ctx:,}-token sequence: TP={smallest}" if smallest else
             f"no TP up to 8 holds the weights + one {ctx:,}-token sequence on {fmt.gpu_name(g.id)} GPUs"),
        ]
        tp = int(v["tp"]) if v["tp"] != _SMALLEST else (smallest or max(TP_OPTIONS))
        dep = deployment(m.id, g.id, tp, wt, kv_p)
        f = fit(dep, context=ctx)
        if not f.fits:
            plots.memory_use(dep, ctx, 1, ax=ax)
            lines += [f.message, "no throughput and no price: this replica cannot hold the model (physics first)"]
            return "\n".join(lines)
        i, o = request_shape(dep, ctx)
        e_big = predict(dep, i, o)
        if not e_big.fits:
            raise NotFeasible(e_big)
        b = e_big.batch
        plots.memory_use(dep, ctx, min(b, f.max_batch), ax=ax)
        ceil1 = decode_ceiling_tokens_per_s(tp * g.hbm_bytes_per_s, wb, 1)
        one = decode_tokens_per_s_band(dep, 1, ctx).mid
        big = e_big.output_tokens_per_s.mid
        pre = prefill_ceiling_tokens_per_s(tp * flops, m.n_active_params)
        hourly = p * tp
        lines += [
            f"{dep.name}: room for {f.max_batch:,} sequences of {ctx:,} tokens",
            f"decode ceiling at batch 1 (chapter's formula): {tp} × {g.hbm_tb_per_s:g} TB/s ÷ {wb / 1e9:,.1f} GB = "
            f"{ceil1:,.1f} tokens/s; calibrated estimate: {one:,.1f} tokens/s "
            f"(TPOT {1e3 / one:,.1f} ms)"
            + (" (an MoE step reads only the experts it routes to)" if m.is_moe else ""),
            f"prefill ceiling: {tp} × {flops / 1e12:,.0f} TFLOP/s ÷ (2 × {m.n_active_params / 1e9:.2f}B) = "
            f"{pre:,.0f} tokens/s at 100% MFU, {pre * DEFAULT_MFU:,.0f} at {DEFAULT_MFU:.0%}",
            f"{b:,} requests of {i:,}+{o:,} tokens in flight (what memory holds), calibrated: {big:,.0f} output "
            f"tokens/s ({e_big.bound}-bound) → ${hourly:,.2f}/hour ÷ {big * 3600 / 1e6:,.2f}M tokens/hour "
            f"= ${usd_per_million_tokens(hourly, big):,.2f}/M "
            f"(decoding one at a time: ${usd_per_million_tokens(hourly, one):,.2f}/M)",
        ]
        return "\n".join(lines)

    return Explorer("Cheat sheet: the numbers to remember (§30.11)", controls, compute)


# ---------------------------------------------------------------- 11 how wrong is the roofline?

_STANDARD_SHAPES = ((128, 128), (128, 2048), (128, 4096), (500, 2000), (1000, 1000), (2048, 128),
                    (2048, 2048), (5000, 500), (20000, 2000))


def validation_explorer(model=None, gpu=None, weights=None, kv=None, tp=None, input_len=None, output_len=None):
    """Ceiling, band and mid for any deployment and request shape, next to the published runs (§30.4).

    The standard TensorRT-LLM shapes plus the reader's own are predicted on the one engine with the
    calibrated profile (:func:`costlib.estimate.predict.predict`, what ``validate`` uses); where the
    bundled data has a run of the same deployment, it is marked.
    """
    from costlib.catalog.tables import measured
    from costlib.estimate.predict import predict
    from costlib.estimate.profiles import get_profile

    controls = specs.build("validation_explorer", dict(model=model, gpu=gpu, weights=weights, kv=kv, tp=tp,
                                                       input_len=input_len, output_len=output_len))
    data = measured()
    prof = get_profile("calibrated")

    def band(dep_, i, o):
        e = predict(dep_, i, o, profile=prof)
        if not e.fits:
            raise NotFeasible(SimpleNamespace(message=e.message))
        return e.output_tokens_per_s

    @functools.lru_cache(maxsize=64)
    def standard(dep_):
        """Predictions and published runs at the standard shapes: they change only with the deployment."""
        preds, labels = [], []
        for i, o in _STANDARD_SHAPES:
            if i + o > dep_.model.max_context:
                continue
            e = predict(dep_, i, o, profile=prof)
            if e.fits:  # a standard shape beyond this deployment's memory is left out
                preds.append(e.output_tokens_per_s)
                labels.append(f"{i}/{o}")
        sel = data[(data["gpu"] == dep_.gpu.id) & (data["model"] == dep_.model.id) & (data["tp"] == dep_.tp)
                   & (data["weight_dtype"] == dep_.weights.name) & (data["kv_dtype"] == dep_.kv.name)]
        pub = {f"{r.input_len}/{r.output_len}": r.output_tokens_per_s for r in sel.itertuples()}
        return tuple(preds), tuple(labels), pub

    def compute(v, ax):
        d = deployment_from(v)
        mine = (int(v["input_len"]), int(v["output_len"]))
        mine_label = f"{mine[0]}/{mine[1]}"
        p = band(d, *mine)
        preds, labels, pub = standard(d)
        meas = [pub.get(lab, float("nan")) for lab in labels]
        # the reader's shape always takes the last slot, labelled "yours" (its numbers are in the
        # title), so moving a slider changes the points, not the axis
        plots.shape_band([*labels, "yours"], [*preds, p], [*meas, pub.get(mine_label, float("nan"))],
                         highlight=len(labels), ax=ax)
        ax.set_title(f"{d.name}; yours: "
                     f"{mine[0]:,} in / {mine[1]:,} out")
        e = prof.mid
        lines = [f"{mine[0]:,} in / {mine[1]:,} out per request: ceiling {p.ceiling:,.0f} tokens/s; "
                 f"expected {p.low:,.0f} to {p.high:,.0f} (mid {p.mid:,.0f}) — "
                 f"mid is {p.mid / p.ceiling:.0%} of the ceiling",
                 f"calibrated profile: MBU {e.mbu:.2f}, MFU {e.mfu:.2f}, link efficiency {e.link_efficiency:.2f}, "
                 f"band ×{prof.band_low:.2f}–×{prof.band_high:.2f}"]
        if pub:
            runs = [(m, preds[i]) for i, m in enumerate(meas) if m == m]
            inside = sum(1 for m, q in runs if q.low <= m <= q.high)
            above = sum(1 for m, q in runs if m > q.ceiling)
            lines.append(f"{len(runs)} published runs of this deployment (×): {inside} inside the band, "
                         + ("all under the ceiling" if not above else
                            f"{above} ABOVE the ceiling (the physics would be wrong: please report)"))
        else:
            lines.append("no published run of this exact deployment in the bundled data")
        return "\n".join(lines)

    return Explorer("How wrong is the roofline? Ceiling, band and published runs (§30.4)", controls, compute)

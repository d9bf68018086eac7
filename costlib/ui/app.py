"""The Voilà calculator app: :func:`costlib.economics.quote.quote` as an explorer, its text and table (§30.1-§30.7)."""
from __future__ import annotations

import html
import math
from types import SimpleNamespace

from matplotlib import ticker

from costlib.common import checks as v
from costlib.common import fmt
from costlib.economics.cost import NotFeasible
from costlib.economics.quote import Quote, price_tiers, quote
from costlib.economics.sensitivity import sensitivity
from costlib.ui import lever_plots, plots
from costlib.ui.widgets import specs
from costlib.ui.widgets.explorer import Explorer

__all__ = ["quote_text", "quote_table_html", "calculator_app", "MEMORY", "BATCH", "TPOT", "VS_APIS", "TORNADO"]

MEMORY = "memory (max throughput)"  # the largest batch memory allows, requests arriving all the time
BATCH = "batch"  # size the batch directly: requests started together
TPOT = "TPOT target"  # size the batch as the largest that meets a time-per-output-token target
PROFILES = ("calibrated", "chapter", "ceiling")
VS_APIS = "$/M vs API prices"  # the figure: the quote's range against every catalog API
TORNADO = "what moves $/M most (tornado)"  # the figure: each input over its sourced range, sorted by swing


def quote_text(q: Quote) -> str:
    """The quote as the app's plain-text summary, one line per result (§30.1-§30.7)."""
    if not q.ok:
        return q.message
    p, t, s, m, mo = q.usd_per_gpu_hour, q.tokens_per_s, q.tpot_s, q.usd_per_million, q.monthly_usd
    f = q.ttft_s
    price = fmt.usd(p.mid) if p.low == p.high else f"{fmt.usd(p.mid)} ({fmt.usd(p.low)}-{fmt.usd(p.high)})"
    lines = [
        q.message,
        f"throughput: {t.mid:,.0f} tokens/s (range {t.low:,.0f}-{t.high:,.0f}; physics ceiling {t.ceiling:,.0f}); "
        f"TPOT {s.mid * 1e3:.1f} ms ({s.low * 1e3:.1f}-{s.high * 1e3:.1f} ms); "
        f"first token {f.mid * 1e3:.0f} ms ({f.low * 1e3:.0f}-{f.high * 1e3:.0f} ms)",
        f"price: {price} per GPU-hour ({q.tier.replace('_', ' ')}) x {q.gpus} GPU(s)",
        f"cost: {fmt.usd(m.mid)} per million output tokens at {q.utilization:.0%} utilization "
        f"(range {fmt.usd(m.low)}-{fmt.usd(m.high)})",
        f"monthly: {fmt.usd(mo.mid)} for the replica always on (range {fmt.usd(mo.low)}-{fmt.usd(mo.high)}), "
        f"serving {q.tokens_per_month / 1e6:,.0f}M output tokens",
    ]
    return "\n".join(lines)


def quote_table_html(q: Quote) -> str:
    """The API comparison as a small HTML table: output tokens, same-model APIs first (§30.7)."""
    if not q.ok:
        return ""

    def cell(text, align="left", tag="td"):
        return f"<{tag} style='padding:1px 8px;text-align:{align}'>{text}</{tag}>"

    rows = []
    for a in q.apis:
        be = "never (above 100%)" if a.breakeven_utilization > 1 else f"{a.breakeven_utilization:.0%}"
        verdict = "self-hosting cheaper" if a.cheaper else "API cheaper"
        same = " (same model)" if a.same_model else ""
        rows.append("<tr>" + cell(f"{html.escape(a.provider)} {html.escape(a.model)}{same}")
                    + cell(fmt.usd(a.usd_per_million_output), "right") + cell(f"{a.ratio:.2f}x", "right")
                    + cell(verdict) + cell(be, "right") + "</tr>")
    head = "".join(cell(h, al, "th") for h, al in (
        ("API", "left"), ("$/M output", "right"), ("self-hosted ÷ API", "right"), ("at this utilization", "left"),
        ("break-even utilization", "right")))
    return ("<table class='costlib-api-table' style='border-collapse:collapse;font-size:12px;margin-top:4px'>"
            f"<tr>{head}</tr>{''.join(rows)}</table>")


def calculator_app(model=None, gpu=None, weights=None, kv=None, tp=None, mode=None, batch=None, input_len=None,
                   output_len=None, tpot_target_ms=None, profile=None, tier=None, utilization=None, figure=None):
    """The "what does my deployment cost" explorer: deployment, request shape, batch, profile, tier, utilization (§30.1-§30.7).

    Returns a :class:`costlib.ui.widgets.Explorer`: its text shows :func:`quote_text`, the table the
    API comparison and the figure the $/M range against every catalog API's output price, or (``figure``
    = TORNADO) the tornado of :func:`costlib.economics.sensitivity.sensitivity` for the same quote.
    Controls and defaults: costlib/data/explorer_controls.yaml (None means the default).
    """
    if profile is not None:
        v.choice("profile", profile, PROFILES)
    if tier is not None:
        v.choice("tier", tier, price_tiers())
    controls = specs.build("calculator_app", dict(
        model=model, gpu=gpu, weights=weights, kv=kv, tp=tp, mode=mode, batch=batch, input_len=input_len,
        output_len=output_len, tpot_target_ms=tpot_target_ms, profile=profile, tier=tier, utilization=utilization,
        figure=figure), opts={"mode": [MEMORY, BATCH, TPOT], "profile": PROFILES, "figure": [VS_APIS, TORNADO]})

    def link(ex, name, new):
        if name == "mode":
            ex.controls["batch"].disabled = new != BATCH
            ex.controls["tpot_target_ms"].disabled = new != TPOT

    def compute(vals, ax):
        mode_ = vals["mode"]
        args = (vals["model"], vals["gpu"], vals["tp"], vals["weights"], vals["kv"])
        kw = dict(input_len=vals["input_len"], output_len=vals["output_len"],
                  batch=vals["batch"] if mode_ == BATCH else None,
                  tpot_target_s=vals["tpot_target_ms"] / 1e3 if mode_ == TPOT else None,
                  profile=vals["profile"], tier=vals["tier"], utilization=vals["utilization"])
        q = quote(*args, **kw)
        if not q.ok:  # shown by the explorer as a message, with the figure replaced by it
            raise NotFeasible(SimpleNamespace(message=q.message))
        if vals["figure"] == TORNADO:
            lever_plots.tornado(sensitivity(*args, **kw), ax=ax)
        else:
            _draw_quote(q, ax)
        return quote_text(q), quote_table_html(q)

    start = controls["mode"].value  # the mode the app opens in (the argument, or the YAML's default)
    controls["batch"].disabled = start != BATCH
    controls["tpot_target_ms"].disabled = start != TPOT
    return Explorer("What does my deployment cost?", controls, compute, link=link, figsize=(8.5, 4.3))


def _draw_quote(q: Quote, ax):
    """$/M output tokens: the quote's low-mid-high range against each catalog API's output price."""
    m = q.usd_per_million
    labels = [f"{a.provider} {a.model}" + (" *" if a.same_model else "") for a in q.apis]
    prices = [a.usd_per_million_output for a in q.apis]
    y = list(range(len(labels)))[::-1]
    lo = min(min(prices), m.low) / 2
    ax.barh(y, [p - lo for p in prices], left=lo, color=[plots.ORANGE if a.same_model else plots.SKY for a in q.apis],
            height=0.6, zorder=3)
    for yi, p in zip(y, prices, strict=True):
        ax.text(p, yi, f" {fmt.usd(p)}", va="center", ha="left", fontsize=9, zorder=5)
    ax.axvspan(m.low, m.high, color=plots.BLUE, alpha=0.18, zorder=1, label=f"self-hosted range {fmt.usd(m.low)}-{fmt.usd(m.high)}")
    ax.axvline(m.mid, color=plots.BLUE, lw=2, zorder=4, label=f"self-hosted mid {fmt.usd(m.mid)}/M")
    ax.set_yticks(y, labels)
    ax.grid(False, axis="y")
    ax.set_xscale("log")
    hi = max(max(prices), m.high) * 4
    if not (math.isfinite(lo) and math.isfinite(hi)):
        lo, hi = 0.01, 100
    ax.set_xlim(lo, hi)
    ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda x, _: fmt.usd_short(x) if x > 0 else "$0"))
    ax.set_xlabel("$ per million output tokens (log scale); * = same model as quoted")
    ax.set_title(f"Self-hosted {fmt.usd(m.mid)}/M ({fmt.usd(m.low)}-{fmt.usd(m.high)}) at {q.utilization:.0%} utilization "
                 "vs API output prices")
    ax.legend(loc="upper right")

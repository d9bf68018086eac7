"""The deployment calculator behind the Voilà app: does it fit, how fast, what it costs, vs APIs (§30.1-§30.7).

:func:`quote` is a pure function: model, GPU, precisions, TP, then either a batch or a TPOT target
(the largest batch that meets it), a context length, a price tier and a utilization, in; a frozen
:class:`Quote` out. Memory is checked first: a deployment that does not fit gets the fit message
("does not fit: ... try TP=...") and no price. :func:`calculator_app` wraps it in an explorer.

Ranges (low, mid, high) combine the two uncertainties the catalog records: MBU/MFU at the low, middle
and high end of the chapter's ranges (:func:`costlib.throughput.realism`) and the low, middle and high
$/GPU-hour of the price tier. The cheapest $/M pairs the high realism with the low price.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from types import SimpleNamespace

from . import _validate as v
from .catalog import (
    PRECISIONS,
    api_ids,
    get_api_price,
    get_gpu,
    get_model,
    gpu_ids,
    model_ids,
    tiers,
)
from .cost import NotFeasible, million_tokens_per_hour, usd_per_million_tokens
from .crossover import HOURS_PER_MONTH, breakeven_utilization
from .deployment import deployment
from .frontier import largest_batch_under_tpot
from .memory import FitResult, fit
from .throughput import decode_step, realism

__all__ = ["Range", "ApiComparison", "Quote", "quote", "price_tiers", "quote_text", "quote_table_html",
           "calculator_app", "BATCH", "TPOT"]

BATCH = "batch"  # size the batch directly
TPOT = "TPOT target"  # size the batch as the largest that meets a time-per-output-token target


def price_tiers() -> list[str]:
    """Price tiers the calculator offers: the catalog's procurement tiers plus "owned" (§30.2)."""
    return list(tiers()["tier"]) + ["owned"]


@dataclass(frozen=True)
class Range:
    """A lowest, middle and highest value (low <= mid <= high) of an estimate (§30.4)."""

    low: float
    mid: float
    high: float

    def __post_init__(self):
        if not self.low <= self.mid <= self.high:
            raise ValueError(f"a Range needs low <= mid <= high, got {self.low!r}, {self.mid!r}, {self.high!r}")


@dataclass(frozen=True)
class ApiComparison:
    """One catalog API next to the quoted deployment, on output tokens (§30.7)."""

    id: str
    provider: str
    model: str
    usd_per_million_output: float
    same_model: bool  # the API serves the model being quoted (catalog column self_hostable_model)
    ratio: float  # self-hosted mid $/M (at the quoted utilization) / API output $/M; < 1: self-hosting is cheaper
    breakeven_utilization: float  # utilization where the mid self-hosted $/M equals the API's; > 1: never

    @property
    def cheaper(self) -> bool:
        return self.ratio < 1


@dataclass(frozen=True)
class Quote:
    """What one deployment costs: fit, throughput, $/M output tokens with a range, monthly bill, APIs (§30.1-§30.7).

    ``status`` is "ok", "does not fit" (memory) or "misses target" (no batch meets the TPOT
    target); only an "ok" quote carries numbers (the other fields are None, ``apis`` empty).
    """

    label: str
    tp: int
    status: str
    message: str
    fit: FitResult
    context: int
    batch: int | None  # priced batch: the one given, or the largest that meets the TPOT target
    tpot_target_s: float | None
    tier: str
    utilization: float
    usd_per_gpu_hour: Range | None
    tokens_per_s: Range | None  # output tokens/s of the replica at full load
    tpot_s: Range | None  # seconds per output token seen by each sequence
    usd_per_million: Range | None  # $/M output tokens at the quoted utilization (decode only)
    monthly_usd: Range | None  # the replica always on: TP x $/GPU-hour x 720 h
    tokens_per_month: float | None  # mid tokens/s x utilization x 720 h
    apis: tuple = ()

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def fits(self) -> bool:
        return self.fit.fits

    @property
    def gpus(self) -> int:
        return self.tp


def _price_range(gpu, tier: str, usd_per_gpu_hour) -> Range:
    from .catalog import gpu_usd_per_hour

    if usd_per_gpu_hour is not None:
        p = v.number("usd_per_gpu_hour", usd_per_gpu_hour, high=1000.0, scalar=True)
        return Range(p, p, p)
    try:
        lo, mid, hi = (gpu_usd_per_hour(gpu, tier, pt) for pt in ("low", "mid", "high"))
    except ValueError as e:
        raise ValueError(f"{e}; pick another tier or give usd_per_gpu_hour") from None
    return Range(lo, mid, hi)


def quote(model, gpu, tp: int = 1, weights="bf16", kv="bf16", *, context: int = 2048, batch: int | None = None,
          tpot_target_s: float | None = None, tier: str = "on_demand", utilization: float = 1.0,
          usd_per_gpu_hour: float | None = None) -> Quote:
    """Price one deployment: memory fit first, then tokens/s, $/M output tokens (low/mid/high), monthly cost, APIs (§30.1-§30.7).

    Give exactly one of ``batch`` (sequences decoded together) and ``tpot_target_s`` (the batch is then
    the largest whose mid-realism step time meets it and whose KV cache fits). ``context`` is the tokens
    held in KV per sequence. The GPU-hour price comes from the catalog for ``tier`` (its low/mid/high)
    unless ``usd_per_gpu_hour`` is given. $/M counts output tokens only (prefill is not priced here).
    """
    dep = deployment(model, gpu, tp, weights, kv)
    c = v.integer("context", context, low=1, high=dep.model.max_context, scalar=True)
    if (batch is None) == (tpot_target_s is None):
        raise ValueError(f"give exactly one of batch and tpot_target_s; got batch={batch!r}, "
                         f"tpot_target_s={tpot_target_s!r}")
    t = v.choice("tier", tier, price_tiers())
    u = v.fraction("utilization", utilization, scalar=True)
    target = None if tpot_target_s is None else v.number("tpot_target_s", tpot_target_s, high=60.0, scalar=True)
    b = None if batch is None else v.integer("batch", batch, low=1, high=1_000_000, scalar=True)
    empty = dict(usd_per_gpu_hour=None, tokens_per_s=None, tpot_s=None, usd_per_million=None,
                 monthly_usd=None, tokens_per_month=None)
    common = dict(label=dep.label, tp=dep.tp, context=c, tpot_target_s=target, tier=t, utilization=u)

    # physics first: does the deployment hold its weights and the KV cache of (at least one) sequence?
    if b is None:
        f1 = fit(dep, context=c, batch=1)
        if not f1.fits:
            return Quote(status="does not fit", message=f1.message, fit=f1, batch=None, **common, **empty)
        mbu, mfu = realism("mid")
        b_t = largest_batch_under_tpot(dep, target, c, mbu, mfu)
        if b_t < 1:
            one = decode_step(dep, 1, c, mbu, mfu).step_time_s
            msg = (f"misses target: no batch meets a TPOT of {target * 1e3:.1f} ms — batch 1 already takes "
                   f"{one * 1e3:.1f} ms per token on {dep.label}; try a higher TP, a smaller weight "
                   "precision or a faster GPU")
            return Quote(status="misses target", message=msg, fit=f1, batch=None, **common, **empty)
        b = b_t
    f = fit(dep, context=c, batch=b)
    if not f.fits:
        return Quote(status="does not fit", message=f.message, fit=f, batch=b, **common, **empty)

    price = _price_range(dep.gpu, t, usd_per_gpu_hour)
    steps = {lv: decode_step(dep, b, c, *realism(lv)) for lv in ("low", "mid", "high")}
    tps = Range(*(steps[lv].tokens_per_s for lv in ("low", "mid", "high")))
    tpot = Range(*(steps[lv].step_time_s for lv in ("high", "mid", "low")))
    usd_m = Range(usd_per_million_tokens(price.low * dep.tp, tps.high, u),
                  usd_per_million_tokens(price.mid * dep.tp, tps.mid, u),
                  usd_per_million_tokens(price.high * dep.tp, tps.low, u))
    monthly = Range(*(p * dep.tp * HOURS_PER_MONTH for p in (price.low, price.mid, price.high)))
    per_month = million_tokens_per_hour(tps.mid, u) * 1e6 * HOURS_PER_MONTH
    apis = []
    for aid in api_ids():
        a = get_api_price(aid)
        out = a["usd_per_million_output"]
        row = _api_row(aid)
        apis.append(ApiComparison(
            id=aid, provider=a["provider"], model=a["model"], usd_per_million_output=out,
            same_model=row == dep.model.id, ratio=usd_m.mid / out,
            breakeven_utilization=float(breakeven_utilization(out, price.mid * dep.tp, tps.mid))))
    apis.sort(key=lambda x: (not x.same_model, x.usd_per_million_output))
    tgt = "" if target is None else f" (largest batch with TPOT <= {target * 1e3:.1f} ms)"
    msg = (f"fits: {dep.label}, batch {b:,}{tgt} x {c:,} tokens uses {f.needed_bytes / 1e9:,.1f} of "
           f"{f.usable_bytes / 1e9:,.1f} GB")
    return Quote(status="ok", message=msg, fit=f, batch=b, **common, usd_per_gpu_hour=price,
                 tokens_per_s=tps, tpot_s=tpot, usd_per_million=usd_m, monthly_usd=monthly,
                 tokens_per_month=per_month, apis=tuple(apis))


def _api_row(aid: str) -> str | None:
    from .catalog import _api_prices

    val = _api_prices().set_index("id").loc[aid, "self_hostable_model"]
    return val if isinstance(val, str) and val else None


# ---------------------------------------------------------------- the app's widget

def _usd(x: float) -> str:
    return f"${x:,.2f}" if x < 1000 else f"${x:,.0f}"


def quote_text(q: Quote) -> str:
    """The quote as the app's plain-text summary, one line per result (§30.1-§30.7)."""
    if not q.ok:
        return q.message
    p, t, s, m, mo = q.usd_per_gpu_hour, q.tokens_per_s, q.tpot_s, q.usd_per_million, q.monthly_usd
    price = _usd(p.mid) if p.low == p.high else f"{_usd(p.mid)} ({_usd(p.low)}-{_usd(p.high)})"
    lines = [
        q.message,
        f"throughput: {t.mid:,.0f} tokens/s (range {t.low:,.0f}-{t.high:,.0f}); TPOT {s.mid * 1e3:.1f} ms "
        f"({s.low * 1e3:.1f}-{s.high * 1e3:.1f} ms)",
        f"price: {price} per GPU-hour ({q.tier.replace('_', ' ')}) x {q.gpus} GPU(s)",
        f"cost: {_usd(m.mid)} per million output tokens at {q.utilization:.0%} utilization "
        f"(range {_usd(m.low)}-{_usd(m.high)})",
        f"monthly: {_usd(mo.mid)} for the replica always on (range {_usd(mo.low)}-{_usd(mo.high)}), "
        f"serving {q.tokens_per_month / 1e6:,.0f}M output tokens",
    ]
    return "\n".join(lines)


def quote_table_html(q: Quote) -> str:
    """The API comparison as a small HTML table: output tokens, same-model APIs first (§30.7)."""
    import html

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
                    + cell(_usd(a.usd_per_million_output), "right") + cell(f"{a.ratio:.2f}x", "right")
                    + cell(verdict) + cell(be, "right") + "</tr>")
    head = "".join(cell(h, al, "th") for h, al in (
        ("API", "left"), ("$/M output", "right"), ("self-hosted ÷ API", "right"), ("at this utilization", "left"),
        ("break-even utilization", "right")))
    return ("<table class='costlib-api-table' style='border-collapse:collapse;font-size:12px;margin-top:4px'>"
            f"<tr>{head}</tr>{''.join(rows)}</table>")


def calculator_app(model="llama-3.1-70b", gpu="H100-SXM", weights="fp8", kv="bf16", tp=2, mode=BATCH,
                   batch=64, context=2048, tpot_target_ms=50.0, tier="on_demand", utilization=0.5):
    """The "what does my deployment cost" explorer: deployment, batch or TPOT target, tier, utilization (§30.1-§30.7).

    Returns a :class:`costlib.widgets.Explorer`: its text shows :func:`quote_text`, the table the
    API comparison and the figure the $/M range against every catalog API's output price.
    """
    from .widgets import Explorer, _float, _int, _pick, _precision

    controls = {
        "model": _pick("model", model_ids(), get_model(model).id),
        "gpu": _pick("GPU", gpu_ids(), get_gpu(gpu).id),
        "weights": _pick("weights", list(PRECISIONS), _precision(weights)),
        "kv": _pick("KV cache", list(PRECISIONS), _precision(kv)),
        "tp": _pick("tensor parallel (TP)", (1, 2, 4, 8), int(tp)),
        "mode": _pick("size the batch by", [BATCH, TPOT], mode),
        "batch": _int("batch (sequences)", batch, 1, 1024),
        "tpot_target_ms": _float("TPOT target (ms)", tpot_target_ms, 5.0, 500.0, 1.0, ".0f"),
        "context": _int("context (tokens)", context, 128, 131_072, 128),
        "tier": _pick("price tier", price_tiers(), v.choice("tier", tier, price_tiers())),
        "utilization": _float("utilization", utilization, 0.05, 1.0, 0.01),
    }

    def link(ex, name, new):
        if name == "mode":
            ex.controls["batch"].disabled = new != BATCH
            ex.controls["tpot_target_ms"].disabled = new == BATCH

    def compute(vals, ax):
        by_batch = vals["mode"] == BATCH
        q = quote(vals["model"], vals["gpu"], vals["tp"], vals["weights"], vals["kv"], context=vals["context"],
                  batch=vals["batch"] if by_batch else None,
                  tpot_target_s=None if by_batch else vals["tpot_target_ms"] / 1e3,
                  tier=vals["tier"], utilization=vals["utilization"])
        if not q.ok:  # shown by the explorer as a message, with the figure replaced by it
            raise NotFeasible(SimpleNamespace(message=q.message))
        _draw_quote(q, ax)
        return quote_text(q), quote_table_html(q)

    controls["batch"].disabled = mode != BATCH
    controls["tpot_target_ms"].disabled = mode == BATCH
    return Explorer("What does my deployment cost?", controls, compute, link=link, figsize=(8.5, 4.3))


def _draw_quote(q: Quote, ax):
    """$/M output tokens: the quote's low-mid-high range against each catalog API's output price."""
    from matplotlib import ticker

    from . import plots

    m = q.usd_per_million
    labels = [f"{a.provider} {a.model}" + (" *" if a.same_model else "") for a in q.apis]
    prices = [a.usd_per_million_output for a in q.apis]
    y = list(range(len(labels)))[::-1]
    lo = min(min(prices), m.low) / 2
    ax.barh(y, [p - lo for p in prices], left=lo, color=[plots.ORANGE if a.same_model else plots.SKY for a in q.apis],
            height=0.6, zorder=3)
    for yi, p in zip(y, prices, strict=True):
        ax.text(p, yi, f" {_usd(p)}", va="center", ha="left", fontsize=8, zorder=5)
    ax.axvspan(m.low, m.high, color=plots.BLUE, alpha=0.18, zorder=1, label=f"self-hosted range {_usd(m.low)}-{_usd(m.high)}")
    ax.axvline(m.mid, color=plots.BLUE, lw=2, zorder=4, label=f"self-hosted mid {_usd(m.mid)}/M")
    ax.set_yticks(y, labels)
    ax.grid(False, axis="y")
    ax.set_xscale("log")
    hi = max(max(prices), m.high) * 4
    if not (math.isfinite(lo) and math.isfinite(hi)):
        lo, hi = 0.01, 100
    ax.set_xlim(lo, hi)
    ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda x, _: plots._usd(x) if x > 0 else "$0"))
    ax.set_xlabel("$ per million output tokens (log scale); * = same model as quoted")
    ax.set_title(f"Self-hosted {_usd(m.mid)}/M ({_usd(m.low)}-{_usd(m.high)}) at {q.utilization:.0%} utilization "
                 "vs API output prices")
    ax.legend(loc="upper right")

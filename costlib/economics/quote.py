"""The deployment calculator behind the Voilà app: does it fit, how fast, what it costs, vs APIs (§30.1-§30.7).

:func:`quote` is a pure function: model, GPU, precisions, TP, then either a batch or a TPOT target
(the largest batch that meets it), a context length, a price tier and a utilization, in; a frozen
:class:`Quote` out. Memory is checked first: a deployment that does not fit gets the fit message
("does not fit: ... try TP=...") and no price. :func:`calculator_app` wraps it in an explorer.

Ranges (low, mid, high) combine the two uncertainties the catalog records: MBU/MFU at the low, middle
and high end of the chapter's ranges (:func:`costlib.physics.step.realism`) and the low, middle and high
$/GPU-hour of the price tier. The cheapest $/M pairs the high realism with the low price.
"""
from __future__ import annotations

from dataclasses import dataclass

from costlib.catalog.deployment import deployment
from costlib.catalog.tables import api_ids, api_self_hostable_model, get_api_price, tiers
from costlib.common import checks as v
from costlib.economics.cost import million_tokens_per_hour, usd_per_million_tokens
from costlib.economics.crossover import HOURS_PER_MONTH, breakeven_utilization
from costlib.economics.frontier import largest_batch_under_tpot
from costlib.physics.memory import FitResult, fit
from costlib.physics.step import decode_step, realism

__all__ = ["Range", "ApiComparison", "Quote", "quote", "price_tiers"]


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
    from costlib.catalog.tables import gpu_usd_per_hour

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
        row = api_self_hostable_model(aid)
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

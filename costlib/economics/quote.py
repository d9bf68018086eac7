"""The deployment calculator behind the Voilà app and ``python -m costlib quote``: fit, speed, cost, vs APIs (§30.1-§30.7).

:func:`quote` is a pure function on the one prediction path (:func:`costlib.estimate.predict.predict`):
a deployment (model, GPU, TP, weight and KV precisions, number of GPUs) and a workload (input and
output tokens per request; a fixed batch, a TPOT target, or by default the memory-limited batch of a
max-throughput run) go in, a frozen :class:`Quote` comes out. Memory is checked first: a deployment
that does not fit gets the fit message ("does not fit: ... short by ...; try TP=...") and no price.

Ranges (low, mid, high) combine the profile's band on throughput (calibrated by default, or the
chapter's textbook efficiencies, or the physics ceiling) with the low, middle and high $/GPU-hour of
the price tier: the cheapest $/M pairs the fastest estimate with the lowest price.
"""
from __future__ import annotations

from dataclasses import dataclass

from costlib.catalog.deployment import deployment
from costlib.catalog.tables import (
    api_ids,
    api_self_hostable_model,
    get_api_price,
    gpu_usd_per_hour,
    tier_fractions,
)
from costlib.common import checks as v
from costlib.economics.cost import usd_per_million_tokens
from costlib.economics.crossover import HOURS_PER_MONTH, breakeven_utilization
from costlib.estimate.energy import EnergyUse, energy_use
from costlib.estimate.predict import Band, Estimate, batch_for_tpot, predict
from costlib.estimate.profiles import get_profile
from costlib.estimate.speculative import check_speculation, speculative_speedup

__all__ = ["Range", "ApiComparison", "Quote", "quote", "price_tiers"]


def price_tiers() -> list[str]:
    """Price tiers the calculator offers: the catalog's procurement tiers plus "owned" (§30.2)."""
    return list(tier_fractions()) + ["owned"]


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
    """What one deployment costs: fit, tokens/s, TTFT, TPOT, $/M output tokens with a range, monthly bill, APIs (§30.1-§30.7).

    ``status`` is "ok", "does not fit" (memory) or "misses target" (no batch meets the TPOT target);
    only an "ok" quote carries numbers (the other fields are None, ``apis`` empty).
    """

    label: str  # the deployment's ids (Deployment.label)
    name: str  # the deployment as people say it (Deployment.name): "Llama 3.1 70B FP8 on 2x H100 SXM"
    tp: int
    n_gpus: int
    status: str
    message: str
    estimate: Estimate | None
    input_len: int
    output_len: int
    batch: int | None  # the batch used: the one given, the TPOT target's, or the memory-limited one
    tpot_target_s: float | None
    profile: str
    tier: str
    utilization: float
    usd_per_gpu_hour: Range | None
    tokens_per_s: Band | None  # output tokens/s of all n_gpus at full load, with the physics ceiling
    ttft_s: Band | None
    tpot_s: Band | None  # seconds per output token seen by each sequence
    usd_per_million: Range | None  # $/M output tokens at the quoted utilization
    monthly_usd: Range | None  # all n_gpus always on: n_gpus x $/GPU-hour x 720 h
    tokens_per_month: float | None  # mid tokens/s x utilization x 720 h
    apis: tuple = ()
    prefix_hit_rate: float = 0.0
    usd_per_million_input: Range | None = None  # the prompts' share of the GPU time, per million prompt tokens
    speculative: tuple | None = None  # (alpha, k, draft_cost) when asked for
    speedup: float | None = None  # decode speedup of speculation at the quoted batch (already applied)
    energy: EnergyUse | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def fits(self) -> bool:
        return self.status != "does not fit"

    @property
    def gpus(self) -> int:
        return self.n_gpus

    def as_dict(self) -> dict:
        """The JSON object of ``python -m costlib quote --json``.

        Always: the keys of issue #13 plus ``usd_per_million_input_tokens`` {low, mid, high},
        ``joules_per_output_token`` {low, mid, high} and ``kwh_per_million_output_tokens`` (null when there
        is no answer); ``speedup`` only when speculation was asked for, and
        ``electricity_usd_per_million_output_tokens`` only when a $/kWh was given.
        """
        band = lambda b: None if b is None else b.as_dict()  # noqa: E731
        rng = lambda r: None if r is None else {"low": r.low, "mid": r.mid, "high": r.high}  # noqa: E731
        e = self.energy
        d = {"output_tokens_per_s": band(self.tokens_per_s), "ttft_s": band(self.ttft_s),
             "tpot_s": band(self.tpot_s), "batch": self.batch, "profile": self.profile,
             "usd_per_million_output_tokens": rng(self.usd_per_million),
             "usd_per_million_input_tokens": rng(self.usd_per_million_input),
             "joules_per_output_token": None if e is None else band(e.joules_per_output_token),
             "kwh_per_million_output_tokens": None if e is None else e.kwh_per_million_output_tokens,
             "fits": self.fits, "message": self.message}
        if self.speculative is not None:
            d["speedup"] = self.speedup
        if e is not None and e.usd_per_kwh is not None:
            d["electricity_usd_per_million_output_tokens"] = e.electricity_usd_per_million_output_tokens
        return d


def _price_range(gpu, tier: str, usd_per_gpu_hour) -> Range:
    if usd_per_gpu_hour is not None:
        p = v.number("usd_per_gpu_hour", usd_per_gpu_hour, high=1000.0, scalar=True)
        return Range(p, p, p)
    try:
        lo, mid, hi = (gpu_usd_per_hour(gpu, tier, pt) for pt in ("low", "mid", "high"))
    except ValueError as e:
        raise ValueError(f"{e}; pick another tier or give usd_per_gpu_hour") from None
    return Range(lo, mid, hi)


def quote(model, gpu, tp: int = 1, weights="bf16", kv="bf16", *, input_len: int = 1000, output_len: int = 1000,
          n_gpus: int | None = None, batch: int | None = None, tpot_target_s: float | None = None,
          profile="calibrated", tier: str = "on_demand", usd_per_gpu_hour: float | None = None,
          utilization: float = 1.0, prefix_hit_rate: float = 0.0, shared_prefix_len: int = 0,
          speculative: tuple | None = None, usd_per_kwh: float | None = None, pue: float | None = None) -> Quote:
    """Price a deployment on the one prediction path: fit first, then tokens/s, TTFT, TPOT, $/M, monthly, APIs (§30.1-§30.7).

    Give at most one of ``batch`` (requests started together) and ``tpot_target_s`` (the largest fixed
    batch that meets it); with neither, the batch is the memory-limited one of a max-throughput run,
    the one ``validate`` uses. The GPU-hour price comes from the catalog for ``tier`` (low/mid/high)
    unless ``usd_per_gpu_hour`` is given. $/M counts output tokens; the prompts are served in the same
    paid hours. ``usd_per_million_input`` prices the prompts alone: the part of each step their prefill adds,
    per million prompt tokens. Levers: ``prefix_hit_rate`` and ``shared_prefix_len`` (prefix caching, see
    :func:`~costlib.estimate.predict.predict`); ``speculative=(alpha, k, draft_cost)`` multiplies decode by
    the speedup at the quoted batch (:func:`~costlib.estimate.speculative.speculative_speedup`); energy per
    token uses the PUE (default from ``levers.csv``) and, with ``usd_per_kwh``, the electricity $/M.
    """
    dep = deployment(model, gpu, tp, weights, kv)
    spec_args = None if speculative is None else check_speculation(*_three(speculative))
    prof = get_profile(profile)
    if batch is not None and tpot_target_s is not None:
        raise ValueError(f"give at most one of batch and tpot_target_s; got batch={batch!r}, "
                         f"tpot_target_s={tpot_target_s!r}")
    t = v.choice("tier", tier, price_tiers())
    u = v.fraction("utilization", utilization, scalar=True)
    target = None if tpot_target_s is None else v.number("tpot_target_s", tpot_target_s, high=60.0, scalar=True)
    n = dep.tp if n_gpus is None else v.integer("n_gpus", n_gpus, low=1, high=1_000_000, scalar=True)
    empty = dict(usd_per_gpu_hour=None, tokens_per_s=None, ttft_s=None, tpot_s=None, usd_per_million=None,
                 monthly_usd=None, tokens_per_month=None)
    b = batch
    if target is not None:
        b = batch_for_tpot(dep, input_len, output_len, target, prof, prefix_hit_rate, shared_prefix_len)
        if b < 1:
            e = predict(dep, input_len, output_len, batch=1, n_gpus=n, profile=prof)
            if not e.fits:
                return _quote(dep, n, "does not fit", e.message, e, None, target, prof, t, u, **empty)
            msg = (f"misses target: no batch meets a TPOT of {target * 1e3:.1f} ms — batch 1 already takes "
                   f"{e.tpot_s.mid * 1e3:.1f} ms per token on {dep.name}; try a higher TP, a smaller weight "
                   "precision or a faster GPU")
            return _quote(dep, n, "misses target", msg, e, None, target, prof, t, u, **empty)
    e = predict(dep, input_len, output_len, batch=b, n_gpus=n, profile=prof, prefix_hit_rate=prefix_hit_rate,
                shared_prefix_len=shared_prefix_len)
    if not e.fits:
        return _quote(dep, n, "does not fit", e.message, e, b, target, prof, t, u, **empty)
    price = _price_range(dep.gpu, t, usd_per_gpu_hour)
    tps, tpot = e.output_tokens_per_s, e.tpot_s
    speedup = None
    if spec_args is not None:
        speedup = float(speculative_speedup(dep, e.batch, e.input_len, e.output_len, *spec_args, profile=prof))
        tps = Band(*(x * speedup for x in (tps.low, tps.mid, tps.high, tps.ceiling)))
        tpot = Band(tpot.low / speedup, tpot.mid / speedup, tpot.high / speedup)
    usd_in = _input_range(e, price, n, u)
    energy = energy_use(e, dep.gpu.tdp_w, pue=pue, usd_per_kwh=usd_per_kwh, speedup=speedup or 1.0)
    usd_m = Range(usd_per_million_tokens(price.low * n, tps.high, u),
                  usd_per_million_tokens(price.mid * n, tps.mid, u),
                  usd_per_million_tokens(price.high * n, tps.low, u))
    monthly = Range(*(p * n * HOURS_PER_MONTH for p in (price.low, price.mid, price.high)))
    per_month = tps.mid * u * 3600 * HOURS_PER_MONTH
    apis = []
    for aid in api_ids():
        a = get_api_price(aid)
        out = a["usd_per_million_output"]
        apis.append(ApiComparison(
            id=aid, provider=a["provider"], model=a["model"], usd_per_million_output=out,
            same_model=api_self_hostable_model(aid) == dep.model.id, ratio=usd_m.mid / out,
            breakeven_utilization=float(breakeven_utilization(out, price.mid * n, tps.mid))))
    apis.sort(key=lambda x: (not x.same_model, x.usd_per_million_output))
    how = {None: "memory-limited batch", }.get(batch, "fixed batch") if target is None else \
        f"largest batch with TPOT <= {target * 1e3:.1f} ms"
    msg = f"{e.message}; {how} {e.batch:,}, {prof.name} profile"
    if speedup is not None:
        msg += f"; speculative decoding (alpha={spec_args[0]:g}, k={spec_args[1]}, draft cost {spec_args[2]:g}) " \
               f"x{speedup:.2f} at batch {e.batch:,}"
    return _quote(dep, n, "ok", msg, e, e.batch, target, prof, t, u, usd_per_gpu_hour=price, tokens_per_s=tps,
                  ttft_s=e.ttft_s, tpot_s=tpot, usd_per_million=usd_m, monthly_usd=monthly,
                  tokens_per_month=per_month, apis=tuple(apis), usd_per_million_input=usd_in,
                  speculative=spec_args, speedup=speedup, energy=energy)


def _three(speculative) -> tuple:
    try:
        a, k, c = speculative
    except (TypeError, ValueError):
        raise ValueError(f"speculative must be (alpha, k, draft_cost), got {speculative!r}") from None
    return a, k, c


def _input_range(e: Estimate, price: Range, n: int, u: float) -> Range:
    """$/M prompt tokens: $/s x the prefill share of the GPU time / prompt tokens per s (§30.6)."""
    tps, share = e.output_tokens_per_s, e.prefill_share
    ratio = e.input_len / e.output_len
    vals = sorted(usd_per_million_tokens(p * n * sh, x * ratio, u) if sh > 0 else 0.0
                  for p, sh, x in ((price.low, share.high, tps.high), (price.mid, share.mid, tps.mid),
                                   (price.high, share.low, tps.low)))
    return Range(*vals)


def _quote(dep, n, status, message, e, batch, target, prof, tier, u, **numbers) -> Quote:
    return Quote(label=dep.label, name=dep.name, tp=dep.tp, n_gpus=n, status=status, message=message, estimate=e,
                 input_len=e.input_len if e else 0, output_len=e.output_len if e else 0, batch=batch,
                 tpot_target_s=target, profile=prof.name, tier=tier, utilization=u,
                 prefix_hit_rate=e.prefix_hit_rate if e else 0.0, **numbers)


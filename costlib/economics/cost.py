"""Dollars: $/million tokens, procurement tiers, owned-GPU amortization, prefill/decode/blended cost (§30.1, §30.2, §30.5, §30.6).

Every tokens/s behind a price here comes from :func:`costlib.estimate.predict.predict` with a ``profile``
(``"calibrated"`` by default, ``"chapter"``, ``"ceiling"``, a JSON file or a Profile).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from costlib.catalog.deployment import Deployment, deployment_arg
from costlib.catalog.tables import tier_fractions
from costlib.common import checks as v
from costlib.common.units import HOURS_PER_YEAR, SECONDS_PER_HOUR, TOKENS_PER_MILLION
from costlib.estimate.predict import Band, predict, predict_batches, request_lengths
from costlib.estimate.profiles import Profile, get_profile

__all__ = [
    "SECONDS_PER_HOUR", "HOURS_PER_YEAR", "usd_per_million_tokens", "breakeven_usd_per_hour",
    "required_tokens_per_s", "million_tokens_per_hour", "tier_usd_per_hour", "owned_usd_per_gpu_hour",
    "OwnedCost", "owned_cost", "decode_usd_per_million", "prefill_usd_per_million", "WorkloadCost",
    "workload_cost", "cost_at_utilization", "WORKLOADS", "NotFeasible", "economics_profile", "request_shape",
    "decode_tokens_per_s_band", "prefill_tokens_per_s_band",
    "DEFAULT_CONTEXT",
]

DEFAULT_CONTEXT = 2048  # tokens per sequence when a helper is given no request shape (the chapter's, §30.3)

class NotFeasible(ValueError):
    """Raised instead of a price when a configuration does not fit in memory (physics first).

    ``fit`` is what said so: an :class:`~costlib.estimate.predict.Estimate` (``fits=False``) or a fit result.
    """

    def __init__(self, fit_result):
        self.fit = fit_result
        super().__init__(fit_result.message)


def million_tokens_per_hour(tokens_per_s, utilization=1.0):
    """Tokens/s x utilization x 3600 / 10^6 (§30.1)."""
    t = v.number("tokens_per_s", tokens_per_s)
    u = v.fraction("utilization", utilization)
    return t * u * SECONDS_PER_HOUR / TOKENS_PER_MILLION


def usd_per_million_tokens(usd_per_hour, tokens_per_s, utilization=1.0):
    """$/million tokens = $/hour / (million tokens per hour x utilization) (§30.1)."""
    p = v.number("usd_per_hour", usd_per_hour)
    return p / million_tokens_per_hour(tokens_per_s, utilization)


def breakeven_usd_per_hour(usd_per_million, tokens_per_s, utilization=1.0):
    """The $/hour at which a GPU producing tokens_per_s matches a given $/million (§30.1)."""
    c = v.number("usd_per_million", usd_per_million)
    return c * million_tokens_per_hour(tokens_per_s, utilization)


def required_tokens_per_s(usd_per_hour, usd_per_million, utilization=1.0):
    """Tokens/s a GPU at usd_per_hour must sustain to reach usd_per_million (§30.1)."""
    p = v.number("usd_per_hour", usd_per_hour)
    c = v.number("usd_per_million", usd_per_million)
    u = v.fraction("utilization", utilization)
    return p / c * TOKENS_PER_MILLION / SECONDS_PER_HOUR / u


def tier_usd_per_hour(on_demand_usd_per_hour, tier: str, point: str = "mid"):
    """Price in a procurement tier from the on-demand price: reserved 1/2, spot 1/4, bare metal 0.5-0.7 (§30.2)."""
    od = v.number("on_demand_usd_per_hour", on_demand_usd_per_hour)
    fractions = tier_fractions()
    key = v.choice("tier", tier, list(fractions))
    pt = v.choice("point", point, ["low", "mid", "high"])
    lo, hi = fractions[key]
    frac = {"low": lo, "mid": (lo + hi) / 2, "high": hi}[pt]
    return od * frac


@dataclass(frozen=True)
class OwnedCost:
    """An owned GPU's hourly cost split into its parts (§30.2)."""

    capex_usd_per_hour: float
    power_usd_per_hour: float
    ops_usd_per_hour: float

    @property
    def usd_per_gpu_hour(self) -> float:
        return self.capex_usd_per_hour + self.power_usd_per_hour + self.ops_usd_per_hour


def owned_cost(purchase_usd=35_000, years=3.0, power_w=700, pue=1.3, usd_per_kwh=0.10,
               ops_overhead=0.15) -> OwnedCost:
    """Amortized $/GPU-hour of an owned GPU: straight-line capex + power x PUE + operations (§30.2).

    ``ops_overhead`` is a fraction added on top of capex and power (staff, space, networking).
    """
    cap = v.number("purchase_usd", purchase_usd)
    y = v.number("years", years)
    w = v.number("power_w", power_w, low=0, low_inclusive=True)
    pu = v.number("pue", pue, low=1.0, low_inclusive=True, high=5.0)
    e = v.number("usd_per_kwh", usd_per_kwh, low=0, low_inclusive=True)
    o = v.number("ops_overhead", ops_overhead, low=0, low_inclusive=True, high=10.0)
    capex = cap / (y * HOURS_PER_YEAR)
    power = w / 1000 * pu * e
    return OwnedCost(capex, power, (capex + power) * o)


def owned_usd_per_gpu_hour(purchase_usd=35_000, years=3.0, power_w=700, pue=1.3, usd_per_kwh=0.10,
                           ops_overhead=0.15):
    """Total amortized $/GPU-hour of an owned GPU (§30.2)."""
    return owned_cost(purchase_usd, years, power_w, pue, usd_per_kwh, ops_overhead).usd_per_gpu_hour


def economics_profile(profile="calibrated", mbu=None, mfu=None) -> Profile:
    """The profile a price is computed with: a named one, or the chapter's at a given MBU and MFU (§30.4).

    ``mbu``/``mfu`` are the old keyword arguments of the cost helpers: when either is given, the
    chapter profile is used with that single efficiency (no band) instead of ``profile``.
    """
    if mbu is None and mfu is None:
        return get_profile(profile)
    if not (isinstance(profile, str) and profile == "calibrated"):
        raise ValueError(f"give either profile or mbu/mfu, not both; got profile={profile!r}, mbu={mbu!r}, "
                         f"mfu={mfu!r} (mbu/mfu mean the chapter profile at that efficiency)")
    base = get_profile("chapter")
    b = v.fraction("mbu", base.mid.mbu if mbu is None else mbu, scalar=True)
    f = v.fraction("mfu", base.mid.mfu if mfu is None else mfu, scalar=True)
    # the chapter's other terms (its all-reduce latency) stay: only the two efficiencies change
    return base.with_(name=f"chapter at MBU {b:g}, MFU {f:g}", mid=dataclasses.replace(base.mid, mbu=b, mfu=f),
                      low=None, high=None)


def request_shape(dep: Deployment, context=None, input_len=None, output_len=None) -> tuple[int, int]:
    """Prompt and output tokens of one request: given, or a ``context``-token sequence split in halves (§30.3).

    The old helpers took one ``context`` (tokens held per sequence); it becomes a request of
    ceil(context / 2) prompt and floor(context / 2) output tokens (at least one of each), so the KV cache
    a request reserves is the same ``context`` tokens.
    """
    deployment_arg(dep)
    if input_len is None and output_len is None:
        c = v.integer("context", DEFAULT_CONTEXT if context is None else context, low=1,
                      high=dep.model.max_context, scalar=True)
        o = max(1, c // 2)
        return max(1, c - o), o
    if input_len is None or output_len is None:
        raise ValueError(f"give both input_len and output_len (or neither, and a context); got "
                         f"input_len={input_len!r}, output_len={output_len!r}")
    return request_lengths(dep.model, input_len, output_len)


def decode_tokens_per_s_band(dep: Deployment, batch: int, context=None, *, input_len=None, output_len=None,
                             profile="calibrated", mbu=None, mfu=None) -> Band:
    """Decode tokens/s of one replica on a fixed batch: batch / TPOT of predict(), low/mid/high (§30.3, §30.4).

    ``batch`` requests of ``input_len`` + ``output_len`` tokens (by default a ``context``-token sequence,
    see :func:`request_shape`) decode together. Raises :class:`NotFeasible` when they do not fit.
    """
    deployment_arg(dep)
    b = v.integer("batch", batch, low=1, high=1_000_000, scalar=True)
    i, o = request_shape(dep, context, input_len, output_len)
    e = predict(dep, i, o, batch=b, profile=economics_profile(profile, mbu, mfu))
    if not e.fits:
        raise NotFeasible(e)
    t = e.tpot_s
    return Band(b / t.high, b / t.mid, b / t.low)


def prefill_tokens_per_s_band(dep: Deployment, prompt_tokens: int, *, batch: int = 1, profile="calibrated",
                              mfu=None) -> Band:
    """Prompt tokens/s of one replica prefilling ``batch`` prompts together, low/mid/high (§30.3, §30.4).

    predict() on a fixed batch that outputs one token: its time is the prefill, so prompt tokens/s =
    requests/s x prompt length. Raises :class:`NotFeasible` when the batch does not fit.
    """
    deployment_arg(dep)
    n = v.integer("prompt_tokens", prompt_tokens, low=1, high=dep.model.max_context - 1, scalar=True)
    b = v.integer("batch", batch, low=1, high=1_000_000, scalar=True)
    e = predict(dep, n, 1, batch=b, profile=economics_profile(profile, None, mfu))
    if not e.fits:
        raise NotFeasible(e)
    r = e.output_tokens_per_s
    return Band(r.low * n, r.mid * n, r.high * n)


def _each(fn, *arrays):
    """fn over broadcast scalar arguments, as a float or an array of the broadcast shape."""
    bc = np.broadcast_arrays(*(np.asarray(a) for a in arrays))
    out = np.array([fn(*(x.item() for x in xs)) for xs in zip(*(b.ravel() for b in bc), strict=True)], dtype=float)
    return float(out[0]) if bc[0].ndim == 0 else out.reshape(bc[0].shape)


def _usd_where_fits(usd_per_hour, tokens_per_s, utilization):
    """usd_per_million_tokens, NaN where the tokens/s is NaN (a configuration that does not fit)."""
    ok = np.isfinite(tokens_per_s)
    usd = usd_per_million_tokens(usd_per_hour, np.where(ok, tokens_per_s, 1.0), utilization)
    out = np.where(ok, usd, np.nan)
    return float(out) if np.ndim(out) == 0 else out


def _priced(rate, point: str, check_fit: bool) -> float:
    """The tokens/s behind the low, mid or high price (the cheapest price goes with the fastest estimate)."""
    try:
        band = rate()
    except NotFeasible:
        if check_fit:
            raise
        return np.nan
    return {"low": band.high, "mid": band.mid, "high": band.low}[point]


def decode_usd_per_million(dep: Deployment, usd_per_gpu_hour, batch, context=None, utilization=1.0,
                           mbu=None, mfu=None, check_fit=True, *, input_len=None, output_len=None,
                           profile="calibrated", point="mid"):
    """$/million output tokens of a replica decoding a fixed batch, on the one prediction path (§30.6).

    Tokens/s from :func:`decode_tokens_per_s_band` at the ``point`` (low, mid, high) of the *price*.
    ``batch`` and ``context`` may be arrays. Raises :class:`NotFeasible` (a ValueError) if the weights
    and KV cache do not fit; with ``check_fit=False`` such entries are NaN.
    """
    deployment_arg(dep)
    p = v.number("usd_per_gpu_hour", usd_per_gpu_hour)
    b = v.integer("batch", batch, low=1, high=1_000_000)
    prof = economics_profile(profile, mbu, mfu)
    pt = v.choice("point", point, ["low", "mid", "high"])
    given = input_len is not None or output_len is not None
    c = 0 if given else v.integer("context", DEFAULT_CONTEXT if context is None else context, low=1,
                                  high=dep.model.max_context)
    u = v.fraction("utilization", utilization)
    bb, cc = np.broadcast_arrays(np.asarray(b), np.asarray(c))
    tps = np.empty(bb.shape, dtype=float)
    for ci in np.unique(cc):  # one vectorised pass over the batches of each request shape
        sel = cc == ci
        i, o = request_shape(dep, int(ci) or None, input_len, output_len)
        r = predict_batches(dep, i, o, bb[sel], profile=prof)
        tps[sel] = r["batch"] / r[f"tpot_s_{pt}"]  # the lowest price goes with the shortest TPOT
        if check_fit and not r["fits"].all():
            raise NotFeasible(predict(dep, i, o, batch=int(r["batch"][~r["fits"]][0]), profile=prof))
    return _usd_where_fits(p * dep.tp, float(tps) if tps.ndim == 0 else tps, u)


def prefill_usd_per_million(dep: Deployment, usd_per_gpu_hour, prompt_tokens=1000, utilization=1.0,
                            mfu=None, check_fit=True, *, batch=1, profile="calibrated", point="mid"):
    """$/million prompt tokens of a replica prefilling ``batch`` prompts of this length together (§30.6).

    Tokens/s from :func:`prefill_tokens_per_s_band`; ``prompt_tokens`` may be an array.
    """
    deployment_arg(dep)
    p = v.number("usd_per_gpu_hour", usd_per_gpu_hour)
    n = v.integer("prompt_tokens", prompt_tokens, low=1, high=dep.model.max_context - 1)
    prof = economics_profile(profile, None, mfu)
    pt = v.choice("point", point, ["low", "mid", "high"])
    u = v.fraction("utilization", utilization)
    tps = _each(lambda ni: _priced(lambda: prefill_tokens_per_s_band(dep, ni, batch=batch, profile=prof), pt,
                                   check_fit), n)
    return _usd_where_fits(p * dep.tp, tps, u)


# Typical request shapes for §30.6 (prompt tokens, output tokens)
WORKLOADS = {
    "chat": (1000, 1000),
    "rag": (8000, 300),
    "reasoning": (500, 8000),
}


@dataclass(frozen=True)
class WorkloadCost:
    """Cost of a request mix split into prefill and decode, on one profile (§30.6)."""

    prompt_tokens: float
    output_tokens: float
    prefill_gpu_s_per_request: float
    decode_gpu_s_per_request: float
    usd_per_request: float
    usd_per_million_input: float
    usd_per_million_output: float
    usd_per_million_blended: float
    batch: int = 1
    profile: str = ""

    @property
    def prefill_share(self) -> float:
        tot = self.prefill_gpu_s_per_request + self.decode_gpu_s_per_request
        return self.prefill_gpu_s_per_request / tot


def workload_cost(dep: Deployment, usd_per_gpu_hour, prompt_tokens, output_tokens, batch,
                  utilization=1.0, mbu=None, mfu=None, *, profile="calibrated") -> WorkloadCost:
    """Blended cost of requests with given prompt and output lengths served as a fixed batch (§30.6).

    :func:`~costlib.estimate.predict.predict` times ``batch`` requests started together: GPU-seconds
    per request = TP x output tokens / (mid output tokens/s), split into prefill and decode by its
    mid prefill share. Raises NotFeasible if the batch does not fit.
    """
    deployment_arg(dep)
    p = v.number("usd_per_gpu_hour", usd_per_gpu_hour, scalar=True)
    n_in = v.integer("prompt_tokens", prompt_tokens, low=1, scalar=True)
    n_out = v.integer("output_tokens", output_tokens, low=1, scalar=True)
    if n_in + n_out > dep.model.max_context:
        raise ValueError(f"prompt_tokens + output_tokens = {n_in + n_out:,} exceed the context window of "
                         f"{dep.model.name} ({dep.model.max_context:,} tokens)")
    b = v.integer("batch", batch, low=1, high=1_000_000, scalar=True)
    u = v.fraction("utilization", utilization, scalar=True)
    prof = economics_profile(profile, mbu, mfu)
    e = predict(dep, n_in, n_out, batch=b, profile=prof)
    if not e.fits:
        raise NotFeasible(e)
    gpu_s = dep.tp * n_out / e.output_tokens_per_s.mid
    pre_s = gpu_s * e.prefill_share.mid
    dec_s = gpu_s - pre_s
    usd_per_s = p / SECONDS_PER_HOUR / u
    return WorkloadCost(
        prompt_tokens=n_in, output_tokens=n_out,
        prefill_gpu_s_per_request=pre_s, decode_gpu_s_per_request=dec_s,
        usd_per_request=gpu_s * usd_per_s,
        usd_per_million_input=pre_s * usd_per_s / n_in * TOKENS_PER_MILLION,
        usd_per_million_output=dec_s * usd_per_s / n_out * TOKENS_PER_MILLION,
        usd_per_million_blended=gpu_s * usd_per_s / (n_in + n_out) * TOKENS_PER_MILLION,
        batch=b, profile=e.profile,
    )


def cost_at_utilization(usd_per_million_at_full, utilization):
    """$/million at a duty cycle (average / peak traffic): the full-load price / utilization (§30.5)."""
    c = v.number("usd_per_million_at_full", usd_per_million_at_full)
    u = v.fraction("utilization", utilization)
    return c / u



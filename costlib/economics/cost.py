"""Dollars: $/million tokens, procurement tiers, owned-GPU amortization, prefill/decode/blended cost (§30.1, §30.2, §30.5, §30.6)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from costlib.catalog.deployment import Deployment, deployment_arg
from costlib.catalog.tables import tier_fractions
from costlib.common import checks as v
from costlib.common.units import HOURS_PER_YEAR, SECONDS_PER_HOUR, TOKENS_PER_MILLION
from costlib.physics.memory import fit
from costlib.physics.step import DEFAULT_MBU, DEFAULT_MFU, decode_tokens_per_s, prefill_tokens_per_s

__all__ = [
    "SECONDS_PER_HOUR", "HOURS_PER_YEAR", "usd_per_million_tokens", "breakeven_usd_per_hour",
    "required_tokens_per_s", "million_tokens_per_hour", "tier_usd_per_hour", "owned_usd_per_gpu_hour",
    "OwnedCost", "owned_cost", "decode_usd_per_million", "prefill_usd_per_million", "WorkloadCost",
    "workload_cost", "cost_at_utilization", "WORKLOADS", "NotFeasible"
]



class NotFeasible(ValueError):
    """Raised instead of a price when a configuration does not fit in memory (physics first)."""

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


def _require_fit(dep: Deployment, context: int, batch: int):
    f = fit(dep, context=int(max(1, context)), batch=int(max(1, batch)))
    if not f.fits:
        raise NotFeasible(f)
    return f


def decode_usd_per_million(dep: Deployment, usd_per_gpu_hour, batch, context, utilization=1.0,
                           mbu=DEFAULT_MBU, mfu=DEFAULT_MFU, check_fit=True):
    """$/million output tokens of a replica decoding at batch B and context C (§30.6).

    Raises :class:`NotFeasible` (a ValueError) if the weights and KV cache do not fit.
    """
    p = v.number("usd_per_gpu_hour", usd_per_gpu_hour)
    # validated before the fit check, which needs whole numbers (ceil: a fractional batch needs
    # the memory of the next whole sequence)
    b = v.number("batch", batch, low=1, low_inclusive=True)
    c = v.number("context", context, low=0, low_inclusive=True)
    if check_fit:
        _require_fit(dep, int(np.ceil(np.max(c))), int(np.ceil(np.max(b))))
    tps = decode_tokens_per_s(dep, b, c, mbu, mfu)
    return usd_per_million_tokens(p * dep.tp, tps, utilization)


def prefill_usd_per_million(dep: Deployment, usd_per_gpu_hour, prompt_tokens=1000, utilization=1.0,
                            mfu=DEFAULT_MFU, check_fit=True):
    """$/million prompt tokens of a replica prefilling prompts of this length (§30.6)."""
    deployment_arg(dep)
    p = v.number("usd_per_gpu_hour", usd_per_gpu_hour)
    n = v.number("prompt_tokens", prompt_tokens, low=1, low_inclusive=True, high=dep.model.max_context)
    if check_fit:
        _require_fit(dep, int(np.ceil(np.max(n))), 1)
    tps = prefill_tokens_per_s(dep, n, mfu)
    return usd_per_million_tokens(p * dep.tp, tps, utilization)


# Typical request shapes for §30.6 (prompt tokens, output tokens)
WORKLOADS = {
    "chat": (1000, 1000),
    "rag": (8000, 300),
    "reasoning": (500, 8000),
}


@dataclass(frozen=True)
class WorkloadCost:
    """Cost of a request mix split into prefill and decode (§30.6)."""

    prompt_tokens: float
    output_tokens: float
    prefill_gpu_s_per_request: float
    decode_gpu_s_per_request: float
    usd_per_request: float
    usd_per_million_input: float
    usd_per_million_output: float
    usd_per_million_blended: float

    @property
    def prefill_share(self) -> float:
        tot = self.prefill_gpu_s_per_request + self.decode_gpu_s_per_request
        return self.prefill_gpu_s_per_request / tot


def workload_cost(dep: Deployment, usd_per_gpu_hour, prompt_tokens, output_tokens, batch,
                  utilization=1.0, mbu=DEFAULT_MBU, mfu=DEFAULT_MFU) -> WorkloadCost:
    """Blended cost of requests with given prompt and output lengths served at a decode batch (§30.6).

    GPU-seconds per request = TP x (prompt / prefill tokens/s + output / decode tokens/s), where decode
    runs at ``batch`` with the average context prompt + output/2. Raises NotFeasible if it does not fit.
    """
    deployment_arg(dep)
    p = v.number("usd_per_gpu_hour", usd_per_gpu_hour)
    n_in = v.number("prompt_tokens", prompt_tokens, low=1, low_inclusive=True, scalar=True)
    n_out = v.number("output_tokens", output_tokens, low=1, low_inclusive=True, scalar=True)
    if n_in + n_out > dep.model.max_context:
        raise ValueError(f"prompt_tokens + output_tokens = {n_in + n_out:g} exceed the context window of "
                         f"{dep.model.id} ({dep.model.max_context:,} tokens)")
    b = v.integer("batch", batch, low=1, scalar=True)
    u = v.fraction("utilization", utilization)
    _require_fit(dep, int(np.ceil(n_in + n_out)), b)
    pre_s = dep.tp * n_in / prefill_tokens_per_s(dep, n_in, mfu)
    dec_s = dep.tp * n_out / decode_tokens_per_s(dep, b, n_in + n_out / 2, mbu, mfu)
    usd_per_s = p / SECONDS_PER_HOUR / u
    return WorkloadCost(
        prompt_tokens=n_in, output_tokens=n_out,
        prefill_gpu_s_per_request=pre_s, decode_gpu_s_per_request=dec_s,
        usd_per_request=(pre_s + dec_s) * usd_per_s,
        usd_per_million_input=pre_s * usd_per_s / n_in * TOKENS_PER_MILLION,
        usd_per_million_output=dec_s * usd_per_s / n_out * TOKENS_PER_MILLION,
        usd_per_million_blended=(pre_s + dec_s) * usd_per_s / (n_in + n_out) * TOKENS_PER_MILLION,
    )


def cost_at_utilization(usd_per_million_at_full, utilization):
    """$/million at a duty cycle (average / peak traffic): the full-load price / utilization (§30.5)."""
    c = v.number("usd_per_million_at_full", usd_per_million_at_full)
    u = v.fraction("utilization", utilization)
    return c / u



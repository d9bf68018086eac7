"""Self-hosting vs API: monthly costs, replicas as whole units, crossover, break-even utilization (§30.7)."""
from __future__ import annotations

import math

import numpy as np

from costlib.common import checks as v
from costlib.common.units import (
    DAYS_PER_MONTH,
    HOURS_PER_MONTH,
    SECONDS_PER_HOUR,
    TOKENS_PER_MILLION,
)

__all__ = ["DAYS_PER_MONTH", "HOURS_PER_MONTH", "api_monthly_usd", "replicas_needed",
           "self_host_monthly_usd", "crossover_tokens_per_month", "breakeven_utilization",
           "monthly_capacity_tokens", "step_crossover_tokens_per_month"]



def api_monthly_usd(tokens_per_month, usd_per_million_input, usd_per_million_output=None,
                    input_share=0.5):
    """API bill for a month: input and output tokens at their own prices (§30.7).

    ``input_share`` is the fraction of ``tokens_per_month`` that are prompt tokens. With one price
    (``usd_per_million_output`` None) every token costs ``usd_per_million_input``.
    """
    t = v.number("tokens_per_month", tokens_per_month, low=0, low_inclusive=True)
    pin = v.number("usd_per_million_input", usd_per_million_input, low=0, low_inclusive=True)
    pout = pin if usd_per_million_output is None else v.number(
        "usd_per_million_output", usd_per_million_output, low=0, low_inclusive=True)
    s = v.number("input_share", input_share, low=0, low_inclusive=True, high=1)
    return t / TOKENS_PER_MILLION * (s * pin + (1 - s) * pout)


def monthly_capacity_tokens(tokens_per_s, replicas=1, hours_per_month=HOURS_PER_MONTH):
    """Most tokens a set of replicas can produce in a month at full load (§30.7)."""
    r = v.number("tokens_per_s", tokens_per_s)
    n = v.integer("replicas", replicas, low=1)
    h = v.number("hours_per_month", hours_per_month)
    return r * n * h * SECONDS_PER_HOUR


def replicas_needed(tokens_per_month, tokens_per_s_per_replica, peak_factor=1.0, headroom=0.0,
                    min_replicas=1, hours_per_month=HOURS_PER_MONTH):
    """Whole replicas to carry the peak rate (average x peak_factor x (1 + headroom)) (§30.7)."""
    t = v.number("tokens_per_month", tokens_per_month, low=0, low_inclusive=True)
    r = v.number("tokens_per_s_per_replica", tokens_per_s_per_replica)
    pk = v.number("peak_factor", peak_factor, low=1, low_inclusive=True)
    hr = v.number("headroom", headroom, low=0, low_inclusive=True, high=10)
    mn = v.integer("min_replicas", min_replicas, low=0)
    h = v.number("hours_per_month", hours_per_month)
    avg = t / (h * SECONDS_PER_HOUR)
    need = np.ceil(np.round(avg * pk * (1 + hr) / r, 9))
    out = np.maximum(need, mn)
    return int(out) if np.ndim(out) == 0 else out.astype(int)


def self_host_monthly_usd(tokens_per_month, tokens_per_s_per_replica, usd_per_gpu_hour,
                          gpus_per_replica=1, peak_factor=1.0, headroom=0.0, min_replicas=1,
                          hours_per_month=HOURS_PER_MONTH):
    """Monthly self-host bill: a step function of whole replicas of TP GPUs, always-on (§30.7)."""
    p = v.number("usd_per_gpu_hour", usd_per_gpu_hour)
    g = v.integer("gpus_per_replica", gpus_per_replica, low=1)
    n = replicas_needed(tokens_per_month, tokens_per_s_per_replica, peak_factor, headroom,
                        min_replicas, hours_per_month)
    return n * g * p * hours_per_month


def crossover_tokens_per_month(api_usd_per_million, usd_per_gpu_hour, gpus=1,
                               hours_per_month=HOURS_PER_MONTH, self_host_usd_per_million=0.0):
    """Tokens/month where a fixed fleet's monthly bill equals the API bill; inf if the API is never dearer (§30.7).

    ``self_host_usd_per_million`` is any per-token cost of self-hosting on top of the fixed GPU bill.
    """
    a = v.number("api_usd_per_million", api_usd_per_million, scalar=True)
    p = v.number("usd_per_gpu_hour", usd_per_gpu_hour, scalar=True)
    n = v.integer("gpus", gpus, low=1, scalar=True)
    h = v.number("hours_per_month", hours_per_month, scalar=True)
    m = v.number("self_host_usd_per_million", self_host_usd_per_million, low=0, low_inclusive=True, scalar=True)
    if a <= m:
        return math.inf
    return n * p * h / (a - m) * TOKENS_PER_MILLION


def step_crossover_tokens_per_month(api_usd_per_million, tokens_per_s_per_replica, usd_per_gpu_hour,
                                    gpus_per_replica=1, peak_factor=1.0, headroom=0.0, min_replicas=1,
                                    hours_per_month=HOURS_PER_MONTH):
    """Smallest tokens/month at which the API bill reaches the whole-replica self-host bill; math.inf if never (§30.7).

    Self-hosting costs n x (GPUs per replica x $/GPU-hour x hours) for any volume that n replicas
    carry (see :func:`replicas_needed`), a step function. With n = ``min_replicas`` the API line
    (price x tokens) meets the first step at n x replica cost / price; it does so inside the step
    exactly when one replica's monthly capacity is worth at least its cost at the API price, and
    then never otherwise (the steps rise as fast as the capacity). Beyond the crossover the API can
    be cheaper again just after a step adds a replica.
    """
    a = v.number("api_usd_per_million", api_usd_per_million, scalar=True)
    r = v.number("tokens_per_s_per_replica", tokens_per_s_per_replica, scalar=True)
    p = v.number("usd_per_gpu_hour", usd_per_gpu_hour, scalar=True)
    g = v.integer("gpus_per_replica", gpus_per_replica, low=1, scalar=True)
    pk = v.number("peak_factor", peak_factor, low=1, low_inclusive=True, scalar=True)
    hr = v.number("headroom", headroom, low=0, low_inclusive=True, high=10, scalar=True)
    mn = v.integer("min_replicas", min_replicas, low=1, scalar=True)
    h = v.number("hours_per_month", hours_per_month, scalar=True)
    x = mn * g * p * h / a * TOKENS_PER_MILLION  # the API bill equals mn replicas' bill here
    if replicas_needed(x, r, pk, hr, mn, h) > mn:  # ...but mn replicas cannot carry x
        return math.inf
    return float(x)


def breakeven_utilization(api_usd_per_million, usd_per_gpu_hour, tokens_per_s):
    """Utilization at which self-hosted $/M equals the API's; above 1 means self-hosting never wins (§30.7)."""
    a = v.number("api_usd_per_million", api_usd_per_million)
    p = v.number("usd_per_gpu_hour", usd_per_gpu_hour)
    r = v.number("tokens_per_s", tokens_per_s)
    return p / (r * SECONDS_PER_HOUR / TOKENS_PER_MILLION * a)

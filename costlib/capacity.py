"""The capacity-planning rubric: users -> tokens -> peak rate -> GPUs -> dollars, and its reverses (§30.10)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import _validate as v
from .crossover import DAYS_PER_MONTH

__all__ = ["CapacityPlan", "capacity_plan", "users_supported", "gpus_saved"]

SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class CapacityPlan:
    """The rubric's result: every intermediate quantity, plus the worked steps as a table (§30.10)."""

    tokens_per_day: float
    avg_tokens_per_s: float
    peak_tokens_per_s: float
    gpus_at_peak: float
    gpus: int
    replicas: int
    monthly_usd: float
    usd_per_million_tokens: float
    output_tokens_per_day: float
    prompt_tokens_per_day: float
    steps: pd.DataFrame = field(compare=False, repr=False)

    def to_markdown(self) -> str:
        """The steps as a short numbered markdown list (what an interviewer wants to hear)."""
        lines = [f"{i}. **{r.step}**: {r.formula} = **{r.display}**"
                 for i, r in enumerate(self.steps.itertuples(), 1)]
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in (
            "tokens_per_day", "avg_tokens_per_s", "peak_tokens_per_s", "gpus_at_peak", "gpus",
            "replicas", "monthly_usd", "usd_per_million_tokens", "output_tokens_per_day",
            "prompt_tokens_per_day")}


def _fmt(x: float) -> str:
    if abs(x) >= 1e9:
        return f"{x / 1e9:,.2f}B"
    if abs(x) >= 1e6:
        return f"{x / 1e6:,.2f}M"
    if abs(x) >= 1e4:
        return f"{x / 1e3:,.1f}k"
    return f"{x:,.2f}" if x != int(x) else f"{int(x):,}"


def capacity_plan(users, sessions_per_day, tokens_per_session, tokens_per_s_per_gpu, peak_factor=3.0,
                  headroom=0.3, usd_per_gpu_hour=2.0, gpus_per_replica=1,
                  prompt_tokens_per_session=0.0, prefill_tokens_per_s_per_gpu=None,
                  days_per_month=DAYS_PER_MONTH) -> CapacityPlan:
    """Size a fleet from users x sessions/day x tokens/session, step by step (§30.10).

    GPUs at peak = peak output tokens/s / per-GPU tokens/s (+ prompt tokens/s / per-GPU prefill
    tokens/s when prompt tokens are counted); the fleet adds ``headroom`` and rounds up to whole
    replicas of ``gpus_per_replica`` GPUs. $/M is monthly cost over monthly output tokens.
    """
    u = v.number("users", users)
    s = v.number("sessions_per_day", sessions_per_day)
    t = v.number("tokens_per_session", tokens_per_session)
    r = v.number("tokens_per_s_per_gpu", tokens_per_s_per_gpu)
    pk = v.number("peak_factor", peak_factor, low=1, low_inclusive=True)
    hr = v.number("headroom", headroom, low=0, low_inclusive=True, high=10)
    p = v.number("usd_per_gpu_hour", usd_per_gpu_hour)
    g = v.integer("gpus_per_replica", gpus_per_replica, low=1)
    pt = v.number("prompt_tokens_per_session", prompt_tokens_per_session, low=0, low_inclusive=True)
    dm = v.number("days_per_month", days_per_month, high=31)
    if pt > 0:
        if prefill_tokens_per_s_per_gpu is None:
            raise ValueError("prefill_tokens_per_s_per_gpu is required when prompt_tokens_per_session > 0")
        rp = v.number("prefill_tokens_per_s_per_gpu", prefill_tokens_per_s_per_gpu)
    rows = []

    def step(name, formula, value, display=None):
        rows.append({"step": name, "formula": formula, "value": float(value),
                     "display": display or _fmt(float(value))})
        return value

    per_day = step("Output tokens per day", f"{_fmt(u)} users x {_fmt(s)} sessions x {_fmt(t)} tokens",
                   u * s * t)
    avg = step("Average output tokens/s", f"{_fmt(per_day)} / 86,400 s", per_day / SECONDS_PER_DAY)
    peak = step("Peak output tokens/s", f"{_fmt(avg)} x peak factor {pk:g}", avg * pk)
    gpus_peak = step("GPUs at peak (decode)", f"{_fmt(peak)} / {_fmt(r)} tokens/s per GPU", peak / r)
    prompt_day = 0.0
    if pt > 0:
        prompt_day = u * s * pt
        pre_peak = prompt_day / SECONDS_PER_DAY * pk
        extra = step("GPUs at peak (prefill)", f"{_fmt(pre_peak)} prompt tokens/s / {_fmt(rp)} per GPU",
                     pre_peak / rp)
        gpus_peak = step("GPUs at peak (total)", "decode + prefill", gpus_peak + extra)
    with_head = gpus_peak * (1 + hr)
    replicas = math.ceil(round(with_head / g, 9))
    gpus = replicas * g
    rounding = f"{replicas} replicas of {g} GPUs" if g > 1 else "round up"
    step("GPUs with headroom", f"{_fmt(gpus_peak)} x (1 + {hr:g}), {rounding}", gpus, f"{gpus:,} GPUs")
    monthly = step("Monthly cost", f"{gpus:,} GPUs x ${p:g}/h x 24 h x {dm:g} days", gpus * p * 24 * dm,
                   f"${gpus * p * 24 * dm:,.0f}")
    per_m = monthly / (per_day * dm / 1e6)
    step("Effective $/M output tokens", f"${_fmt(monthly)} / ({_fmt(per_day)} x {dm:g} / 1M)", per_m,
         f"${per_m:,.2f}")
    return CapacityPlan(tokens_per_day=float(per_day), avg_tokens_per_s=float(avg),
                        peak_tokens_per_s=float(peak), gpus_at_peak=float(gpus_peak), gpus=int(gpus),
                        replicas=int(replicas), monthly_usd=float(monthly),
                        usd_per_million_tokens=float(per_m), output_tokens_per_day=float(per_day),
                        prompt_tokens_per_day=float(prompt_day), steps=pd.DataFrame(rows))


def users_supported(gpus, tokens_per_s_per_gpu, sessions_per_day, tokens_per_session, peak_factor=3.0,
                    headroom=0.3, gpus_per_replica=1) -> int:
    """The rubric in reverse: how many users a fleet of ``gpus`` serves at peak with headroom (§30.10)."""
    n = v.integer("gpus", gpus, low=1)
    r = v.number("tokens_per_s_per_gpu", tokens_per_s_per_gpu)
    s = v.number("sessions_per_day", sessions_per_day)
    t = v.number("tokens_per_session", tokens_per_session)
    pk = v.number("peak_factor", peak_factor, low=1, low_inclusive=True)
    hr = v.number("headroom", headroom, low=0, low_inclusive=True, high=10)
    g = v.integer("gpus_per_replica", gpus_per_replica, low=1)
    usable_gpus = (n // g) * g
    peak_capacity = usable_gpus / (1 + hr) * r
    per_user_peak = s * t / SECONDS_PER_DAY * pk
    return int(np.floor(round(peak_capacity / per_user_peak, 6)))


def gpus_saved(users, sessions_per_day, tokens_per_session, tokens_per_s_per_gpu_before,
               tokens_per_s_per_gpu_after, gpus_per_replica_before=1, gpus_per_replica_after=1,
               **plan_kwargs) -> dict:
    """How many GPUs a faster configuration (e.g. FP8 instead of bf16) lets you cut (§30.10)."""
    before = capacity_plan(users, sessions_per_day, tokens_per_session, tokens_per_s_per_gpu_before,
                           gpus_per_replica=gpus_per_replica_before, **plan_kwargs)
    after = capacity_plan(users, sessions_per_day, tokens_per_session, tokens_per_s_per_gpu_after,
                          gpus_per_replica=gpus_per_replica_after, **plan_kwargs)
    return {"gpus_before": before.gpus, "gpus_after": after.gpus, "gpus_cut": before.gpus - after.gpus,
            "monthly_usd_before": before.monthly_usd, "monthly_usd_after": after.monthly_usd,
            "monthly_usd_saved": before.monthly_usd - after.monthly_usd}

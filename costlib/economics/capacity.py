"""The capacity-planning rubric: users -> tokens -> peak rate -> GPUs -> dollars, and its reverses (§30.10)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from costlib.common import checks as v
from costlib.common import fmt
from costlib.common.units import DAYS_PER_MONTH, SECONDS_PER_DAY

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["CapacityPlan", "capacity_plan", "users_supported", "gpus_saved"]


def _gpus_of_work(x: float) -> str:
    """A fractional GPU count before rounding up: 133.1 GPUs of work (§30.10)."""
    return f"{x:,.1f} GPUs of work"


@dataclass(frozen=True)
class CapacityPlan:
    """The rubric's result: every intermediate quantity, plus the worked steps as a table (§30.10).

    Fields are floats for one plan, or numpy arrays when some inputs were arrays (a sweep).
    """

    tokens_per_day: object
    avg_tokens_per_s: object
    peak_tokens_per_s: object
    gpus_at_peak: object
    gpus: object
    replicas: object
    monthly_usd: object
    usd_per_million_tokens: object
    output_tokens_per_day: object
    prompt_tokens_per_day: object
    inputs: dict = field(compare=False, repr=False)

    @property
    def steps(self) -> pd.DataFrame:
        """The worked steps (step, formula, value, display) of a single plan."""
        import pandas as pd  # here, not at the top: importing this module (cl.check does) loads no pandas

        if np.ndim(self.gpus):
            raise ValueError("steps are shown for one plan at a time; pass scalar inputs")
        i = self.inputs
        rows = []

        def step(name, formula, value, display):
            rows.append({"step": name, "formula": formula, "value": float(value), "display": display})

        count, rate = fmt.short_count, fmt.significant  # counts read at a glance; rates to 3 significant figures
        step("Output tokens per day",
             f"{count(i['users'])} users x {count(i['sessions_per_day'])} sessions x "
             f"{count(i['tokens_per_session'])} tokens", self.tokens_per_day, f"{count(self.tokens_per_day)} tokens")
        step("Average output tokens/s", f"{count(self.tokens_per_day)} / 86,400 s", self.avg_tokens_per_s,
             f"{rate(self.avg_tokens_per_s)} tokens/s")
        step("Peak output tokens/s", f"{rate(self.avg_tokens_per_s)} x peak factor {i['peak_factor']:g}",
             self.peak_tokens_per_s, f"{rate(self.peak_tokens_per_s)} tokens/s")
        decode_gpus = self.peak_tokens_per_s / i["tokens_per_s_per_gpu"]
        step("GPUs at peak (decode)",
             f"{rate(self.peak_tokens_per_s)} / {rate(i['tokens_per_s_per_gpu'])} tokens/s per GPU",
             decode_gpus, _gpus_of_work(decode_gpus))
        if i["prompt_tokens_per_session"] > 0:
            pre_peak = self.prompt_tokens_per_day / SECONDS_PER_DAY * i["peak_factor"]
            step("GPUs at peak (prefill)",
                 f"{rate(pre_peak)} prompt tokens/s / {rate(i['prefill_tokens_per_s_per_gpu'])} per GPU",
                 self.gpus_at_peak - decode_gpus, _gpus_of_work(self.gpus_at_peak - decode_gpus))
            step("GPUs at peak (total)", "decode + prefill", self.gpus_at_peak, _gpus_of_work(self.gpus_at_peak))
        g = i["gpus_per_replica"]
        rounding = f"up to {self.replicas:,} replicas of {g} GPUs" if g > 1 else "rounded up to whole GPUs"
        step("GPUs with headroom", f"{_gpus_of_work(self.gpus_at_peak)} x (1 + {i['headroom']:g}), {rounding}",
             self.gpus, f"{self.gpus:,} GPUs")
        step("Monthly cost", f"{self.gpus:,} GPUs x {fmt.usd(i['usd_per_gpu_hour'])}/h x 24 h x "
             f"{i['days_per_month']:g} days", self.monthly_usd, fmt.usd(self.monthly_usd, cents_below=0))
        step("Effective $/M output tokens",
             f"{fmt.usd(self.monthly_usd, cents_below=0)} / ({count(self.tokens_per_day)} x "
             f"{i['days_per_month']:g} / 1M)", self.usd_per_million_tokens, fmt.usd(self.usd_per_million_tokens))
        return pd.DataFrame(rows)

    def to_markdown(self) -> str:
        """The steps as a numbered markdown list (what an interviewer wants to hear); each ``$`` is
        written ``<span>\\$</span>`` so Jupyter does not read dollar amounts as LaTeX."""
        lines = [f"{i}. **{r.step}**: {r.formula} = **{r.display}**"
                 for i, r in enumerate(self.steps.itertuples(), 1)]
        return "\n".join(lines).replace("$", r"<span>\$</span>")

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in (
            "tokens_per_day", "avg_tokens_per_s", "peak_tokens_per_s", "gpus_at_peak", "gpus",
            "replicas", "monthly_usd", "usd_per_million_tokens", "output_tokens_per_day",
            "prompt_tokens_per_day")}


def _out(x, as_int=False):
    if np.ndim(x) == 0:
        return int(x) if as_int else float(x)
    return np.asarray(x).astype(np.int64) if as_int else np.asarray(x, dtype=float)


def capacity_plan(users, sessions_per_day, tokens_per_session, tokens_per_s_per_gpu, peak_factor=3.0,
                  headroom=0.3, usd_per_gpu_hour=2.0, gpus_per_replica=1,
                  prompt_tokens_per_session=0.0, prefill_tokens_per_s_per_gpu=None,
                  days_per_month=DAYS_PER_MONTH) -> CapacityPlan:
    """Size a fleet from users x sessions/day x tokens/session, step by step (§30.10).

    GPUs at peak = peak output tokens/s / per-GPU tokens/s (+ prompt tokens/s / per-GPU prefill
    tokens/s when prompt tokens are counted); the fleet adds ``headroom`` and rounds up to whole
    replicas of ``gpus_per_replica`` GPUs. $/M is monthly cost over monthly output tokens.
    Numeric inputs may be numpy arrays (a sweep); ``.steps`` is then unavailable.
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
    rp = None
    if np.any(np.asarray(pt) > 0):
        if prefill_tokens_per_s_per_gpu is None:
            raise ValueError("prefill_tokens_per_s_per_gpu is required when prompt_tokens_per_session > 0")
        rp = v.number("prefill_tokens_per_s_per_gpu", prefill_tokens_per_s_per_gpu)
    with np.errstate(over="ignore", invalid="ignore"):
        per_day = u * s * t
        avg = per_day / SECONDS_PER_DAY
        peak = avg * pk
        gpus_peak = peak / r
        prompt_day = u * s * pt
        if rp is not None:
            gpus_peak = gpus_peak + prompt_day / SECONDS_PER_DAY * pk / rp
        with_head = gpus_peak * (1 + hr)
        if not np.all(np.isfinite(with_head)) or np.any(with_head > 1e15):
            raise ValueError("users x sessions_per_day x tokens_per_session x peak_factor x (1 + headroom) / "
                             "tokens_per_s_per_gpu (+ users x sessions_per_day x prompt_tokens_per_session x ... / "
                             "prefill_tokens_per_s_per_gpu) is too "
                             f"large to plan (needs {float(np.max(with_head)):g} GPUs); check the inputs' units")
        replicas = np.ceil(np.round(with_head / g, 9))
        gpus = replicas * g
        monthly = gpus * p * 24 * dm
        per_m = monthly / (per_day * dm / 1e6)
    inputs = dict(users=u, sessions_per_day=s, tokens_per_session=t, tokens_per_s_per_gpu=r,
                  peak_factor=pk, headroom=hr, usd_per_gpu_hour=p, gpus_per_replica=g,
                  prompt_tokens_per_session=pt, prefill_tokens_per_s_per_gpu=rp, days_per_month=dm)
    return CapacityPlan(tokens_per_day=_out(per_day), avg_tokens_per_s=_out(avg),
                        peak_tokens_per_s=_out(peak), gpus_at_peak=_out(gpus_peak), gpus=_out(gpus, True),
                        replicas=_out(replicas, True), monthly_usd=_out(monthly),
                        usd_per_million_tokens=_out(per_m), output_tokens_per_day=_out(per_day),
                        prompt_tokens_per_day=_out(prompt_day), inputs=inputs)


def users_supported(gpus, tokens_per_s_per_gpu, sessions_per_day, tokens_per_session, peak_factor=3.0,
                    headroom=0.3, gpus_per_replica=1) -> int:
    """The rubric in reverse: how many users a fleet of ``gpus`` serves at peak with headroom (§30.10)."""
    n = v.integer("gpus", gpus, low=1, scalar=True)
    r = v.number("tokens_per_s_per_gpu", tokens_per_s_per_gpu, scalar=True)
    s = v.number("sessions_per_day", sessions_per_day, scalar=True)
    t = v.number("tokens_per_session", tokens_per_session, scalar=True)
    pk = v.number("peak_factor", peak_factor, low=1, low_inclusive=True, scalar=True)
    hr = v.number("headroom", headroom, low=0, low_inclusive=True, high=10, scalar=True)
    g = v.integer("gpus_per_replica", gpus_per_replica, low=1, scalar=True)
    usable_gpus = (n // g) * g
    peak_capacity = usable_gpus / (1 + hr) * r
    per_user_peak = s * t / SECONDS_PER_DAY * pk
    return int(np.floor(round(peak_capacity / per_user_peak, 6)))


def gpus_saved(users, sessions_per_day, tokens_per_session, tokens_per_s_per_gpu_before,
               tokens_per_s_per_gpu_after, gpus_per_replica_before=1, gpus_per_replica_after=1,
               **plan_kwargs) -> dict:
    """How many GPUs a faster configuration (e.g. FP8 instead of bf16) lets you cut (§30.10)."""
    # checked under their own names (capacity_plan would report them without _before/_after)
    v.number("tokens_per_s_per_gpu_before", tokens_per_s_per_gpu_before)
    v.number("tokens_per_s_per_gpu_after", tokens_per_s_per_gpu_after)
    v.integer("gpus_per_replica_before", gpus_per_replica_before, low=1)
    v.integer("gpus_per_replica_after", gpus_per_replica_after, low=1)
    before = capacity_plan(users, sessions_per_day, tokens_per_session, tokens_per_s_per_gpu_before,
                           gpus_per_replica=gpus_per_replica_before, **plan_kwargs)
    after = capacity_plan(users, sessions_per_day, tokens_per_session, tokens_per_s_per_gpu_after,
                          gpus_per_replica=gpus_per_replica_after, **plan_kwargs)
    return {"gpus_before": before.gpus, "gpus_after": after.gpus, "gpus_cut": before.gpus - after.gpus,
            "monthly_usd_before": before.monthly_usd, "monthly_usd_after": after.monthly_usd,
            "monthly_usd_saved": before.monthly_usd - after.monthly_usd}

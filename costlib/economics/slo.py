"""The cheapest fleet that meets a latency SLO at a request rate: GPU x TP x precisions x replicas (§30.4, §30.9).

Given a request rate, request lengths and targets for the p99 time to first token and the mean
inter-token latency, :func:`slo_fleet` tries every catalog GPU with a price in the tier, every TP that
splits the model's KV heads (up to 8), and the precision plans the GPU runs natively (BF16; FP8
weights with a BF16 or FP8 KV cache; FP4 weights with an FP8 cache on GPUs with an FP4 rate):

1. physics first: the weights, the engine's reserve and one request's KV cache must fit;
2. a lone request must already meet both targets (bare prefill + first-token overhead; one decode step);
3. replicas: at least ``floor(rate / saturation) + 1``, since a replica at or past its saturation
   rate queues without bound; from there the replicas grow until the simulated replica (Poisson
   arrivals at rate / replicas, :func:`costlib.estimate.serving.simulate`) meets both targets.

Candidates are simulated in the order of a guessed fleet's cost (80% of saturation per replica, and few
enough prefill collisions for the p99: :func:`_replicas_guess`), so that a good fleet is found early; one
whose least possible fleet already costs more than the best found is rejected without simulating, and a
simulated point stops as soon as its p99 TTFT must miss (``simulate(..., give_up_ttft_p99_s=...)``). Ties
on $/h go to the candidate whose least possible fleet is cheapest. The $/M
figures charge the whole fleet's bill to each kind of token: $/hour / (million input tokens served
per hour), and the same for output tokens (an API prices them separately; here one bill buys both).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..catalog.deployment import deployment, deployment_arg, valid_tp
from ..catalog.tables import get_gpu, get_model, get_precision, gpu_ids, gpu_usd_per_hour, tiers
from ..common import checks as v
from ..estimate.predict import prefill_ttft_s, request_lengths
from ..estimate.profiles import get_profile
from ..estimate.serving import engine_step, saturation_requests_per_s, simulate
from ..physics.engine import kv_capacity_tokens, sequence_reservation_tokens

__all__ = ["PRECISION_PLANS", "SloCandidate", "SloFleet", "slo_fleet", "replicas_for_slo", "NO_DEPLOYMENT"]

# (weights, KV cache) plans tried on every GPU that has a tensor rate for the weights' format
PRECISION_PLANS = (("bf16", "bf16"), ("fp8", "bf16"), ("fp8", "fp8"), ("fp4", "fp8"))
NO_DEPLOYMENT = "no deployment meets this SLO"
MAX_TP = 8
START_LOAD = 0.8  # the fleet search starts where each replica runs at 80% of its saturation rate
GROWTH = 1.5  # then grows the fleet by this factor until a replica meets the SLO
TAIL_SHARE = 0.01  # the share of requests a p99 target lets miss


@dataclass(frozen=True)
class SloCandidate:
    """One deployment tried for an SLO: its fleet, bill and simulated latencies, and why it was kept or not (§30.9).

    ``meets_slo`` is None for a candidate never simulated (its least possible fleet costs more than
    the best); latencies are None where nothing was computed (it does not fit).
    """

    gpu: str
    tp: int
    weights: str
    kv: str
    replicas: int | None
    usd_per_hour: float | None
    usd_per_million_input_tokens: float | None
    usd_per_million_output_tokens: float | None
    ttft_p99_s: float | None
    itl_mean_s: float | None
    meets_slo: bool | None
    reason: str

    def as_dict(self) -> dict:
        """The JSON object of one candidate of ``python -m costlib slo --json``."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class SloFleet:
    """The cheapest SLO-meeting fleet (None if none), every candidate tried, and the closest miss (§30.9)."""

    best: SloCandidate | None
    candidates: tuple
    closest: SloCandidate | None  # when nothing meets: the candidate whose worse latency is nearest its target
    message: str

    def as_dict(self) -> dict:
        """The JSON object of ``python -m costlib slo --json``."""
        keys = ("gpu", "tp", "weights", "kv", "replicas", "usd_per_hour", "usd_per_million_input_tokens",
                "usd_per_million_output_tokens", "ttft_p99_s", "itl_mean_s")
        best = None if self.best is None else {k: getattr(self.best, k) for k in keys}
        return {"best": best, "candidates": [c.as_dict() for c in self.candidates], "message": self.message,
                "closest": None if self.closest is None else self.closest.as_dict()}


def _plans(gpu) -> list[tuple[str, str]]:
    g = get_gpu(gpu)
    return [(w, k) for w, k in PRECISION_PLANS
            if get_precision(w).flops_column in g.peak_flops and get_precision(k).flops_column in g.peak_flops]


def _gpus(gpus, tier) -> list[str]:
    v.choice("tier", tier, list(tiers()["tier"]))
    if gpus is None:
        out = []
        for g in gpu_ids():
            try:
                gpu_usd_per_hour(g, tier)
            except ValueError:
                continue  # no price in this tier
            out.append(g)
        return out
    items = [gpus] if isinstance(gpus, str) else list(gpus)
    if not items:
        raise ValueError(f"gpus must name at least one catalog GPU, e.g. {', '.join(gpu_ids()[:3])}")
    return list(dict.fromkeys(get_gpu(g).id for g in items))


def _dearer(c: SloCandidate, best: SloCandidate) -> str:
    if math.isclose(c.usd_per_hour, best.usd_per_hour, rel_tol=1e-9):
        return f"meets the SLO at the same ${c.usd_per_hour:,.2f}/h as the best (the first found is kept)"
    return f"meets the SLO but costs ${c.usd_per_hour:,.2f}/h, more than the best ${best.usd_per_hour:,.2f}/h"


def _miss(ttft, itl, ttft_target, itl_target) -> float:
    return max(ttft / ttft_target, itl / itl_target)


def _replicas_guess(rate, sat, n_min, idle_ttft_s, ttft_target_s) -> int:
    """Replicas to try first: 80% of saturation per replica, and few enough prefill collisions for the p99 (§30.4).

    A request that arrives while another prompt is being prefilled waits up to that prefill; with a lone
    request taking I and a target T < 2 I, waits are about uniform over I, so a share
    rate x (2 I - T) of the requests per replica miss (Poisson arrivals); the p99 lets 1% miss.
    """
    n = max(n_min, math.ceil(rate / (START_LOAD * sat)))
    slack = 2 * idle_ttft_s - ttft_target_s
    if slack > 0:
        n = max(n, math.ceil(rate * slack / TAIL_SHARE))
    return n


def _slo_args(m, input_len, output_len, rate_per_s, ttft_p99_s, itl_mean_s, requests, max_replicas):
    """The checked lengths, rate, targets, requests per point and replica cap of an SLO search."""
    i, o = request_lengths(m, input_len, output_len)
    return (i, o, v.number("rate_per_s", rate_per_s, high=1e6, scalar=True),
            v.number("ttft_p99_s", ttft_p99_s, high=3600.0, scalar=True),
            v.number("itl_mean_s", itl_mean_s, high=60.0, scalar=True),
            v.integer("requests", requests, low=1, high=100_000, scalar=True),
            v.integer("max_replicas", max_replicas, low=1, high=1_000_000, scalar=True))


def _lone_request(dep, step, i, o, prof):
    """(TTFT, ITL) of a lone request: bare prefill + first-token overhead; one decode step at the mean context."""
    ctx = i + o / 2
    return prefill_ttft_s(dep, i, prof).mid, float(step.step_time_s(1, ctx, ctx - 1, 1))


def _fleet_point(step, i, o, rate, n, ttft_t, itl_t, requests, seed, give_up=True):
    """(p99 TTFT, mean ITL, meets both) of one replica of ``n`` at rate / n, Poisson arrivals; inf if stopped early."""
    r = simulate(step, i, o, rate=rate / n, requests=requests, arrivals="poisson", seed=seed, keep_trace=False,
                 give_up_ttft_p99_s=ttft_t if give_up else None)
    if r is None:  # stopped early: the p99 TTFT is certain to miss
        return math.inf, math.nan, False
    return r.ttft_p99_s, r.itl_mean_s, r.ttft_p99_s <= ttft_t and r.itl_mean_s <= itl_t


def _search(run, n_min, guess, limit):
    """(replicas, p99 TTFT, mean ITL, meets): the fewest replicas in [n_min, limit] whose ``run(n)`` meets."""
    n = min(limit, guess)
    res = run(n)
    lo = n_min - 1 if res[2] else n  # largest count known to miss (below n_min: saturated)
    while not res[2] and n < limit:  # grow until the simulated replica meets both targets
        n = min(limit, max(n + 1, math.ceil(n * GROWTH)))
        res = run(n)
        lo = lo if res[2] else n
    if res[2]:
        while n - lo > 1:  # the smallest passing count between lo (misses) and n (meets)
            mid = (lo + n) // 2
            r = run(mid)
            lo, n, res = (lo, mid, r) if r[2] else (mid, n, res)
    return (n, *res)


def replicas_for_slo(dep, input_len: int, output_len: int, rate_per_s: float, ttft_p99_s: float,
                     itl_mean_s: float, *, profile="calibrated", requests: int = 500, seed: int = 0,
                     max_replicas: int = 1000) -> int:
    """Fewest replicas of one deployment whose simulated replica meets p99 TTFT and mean ITL at rate / replicas (§30.4, §30.9).

    The search :func:`slo_fleet` runs for each candidate (Poisson arrivals, ``requests`` per point,
    seeded); 0 if even ``max_replicas`` miss or a lone request already misses.
    """
    deployment_arg(dep)
    m = dep.model
    i, o, rate, ttft_t, itl_t, n_req, cap = _slo_args(m, input_len, output_len, rate_per_s, ttft_p99_s,
                                                      itl_mean_s, requests, max_replicas)
    prof = get_profile(profile)
    step = engine_step(dep, prof)
    sat = saturation_requests_per_s(step, i, o)
    if sat <= 0:
        raise ValueError(f"input_len + output_len: one {i:,}+{o:,}-token request does not fit in {dep.label}'s "
                         "KV cache; use more GPUs (tp) or smaller precisions")
    idle_ttft, idle_itl = _lone_request(dep, step, i, o, prof)
    n_min = math.floor(rate / sat) + 1
    if n_min > cap or idle_ttft > ttft_t or idle_itl > itl_t:
        return 0
    guess = _replicas_guess(rate, sat, n_min, idle_ttft, ttft_t)
    n, _ttft, _itl, ok = _search(lambda k: _fleet_point(step, i, o, rate, k, ttft_t, itl_t, n_req, seed), n_min,
                                 guess, cap)
    return n if ok else 0


def slo_fleet(model, input_len: int, output_len: int, rate_per_s: float, ttft_p99_s: float, itl_mean_s: float,
              *, gpus=None, tier: str = "on_demand", profile="calibrated", requests: int = 500, seed: int = 0,
              max_replicas: int = 1000) -> SloFleet:
    """Cheapest GPU x TP x weight/KV precision x replicas meeting p99 TTFT and mean ITL at a rate (§30.4, §30.9).

    ``gpus`` limits the GPUs tried (default: every catalog GPU with a price in ``tier``); each replica is
    simulated with ``requests`` Poisson arrivals (seeded by ``seed``) under ``profile``.
    """
    m = get_model(model)
    i, o, rate, ttft_t, itl_t, n_req, cap = _slo_args(m, input_len, output_len, rate_per_s, ttft_p99_s,
                                                      itl_mean_s, requests, max_replicas)
    prof = get_profile(profile)
    tried = []  # (lower-bound $/h, candidate kwargs, step, replicas, price)
    out = []
    for g in _gpus(gpus, tier):
        price = gpu_usd_per_hour(g, tier)
        for w, k in _plans(g):
            for tp in valid_tp(m, MAX_TP):
                base = dict(gpu=g, tp=tp, weights=w, kv=k)
                none = dict(replicas=None, usd_per_hour=None, usd_per_million_input_tokens=None,
                            usd_per_million_output_tokens=None)
                dep = deployment(m, g, tp, w, k)
                step = engine_step(dep, prof)
                per = float(sequence_reservation_tokens(prof.limits, i, o))
                if float(kv_capacity_tokens(step.spec, prof.limits)) < per:
                    out.append(SloCandidate(**base, **none, ttft_p99_s=None, itl_mean_s=None, meets_slo=False,
                                            reason=f"does not fit: weights + one {i:,}+{o:,}-token request need more "
                                                   f"than {tp} GPU(s) hold"))
                    continue
                idle_ttft, idle_itl = _lone_request(dep, step, i, o, prof)
                if idle_ttft > ttft_t or idle_itl > itl_t:
                    what = (f"a lone request's first token takes {idle_ttft * 1e3:,.0f} ms > {ttft_t * 1e3:,.0f} ms"
                            if idle_ttft > ttft_t else
                            f"a lone request's tokens come every {idle_itl * 1e3:,.1f} ms > {itl_t * 1e3:,.1f} ms")
                    out.append(SloCandidate(**base, **none, ttft_p99_s=idle_ttft, itl_mean_s=idle_itl,
                                            meets_slo=False, reason=f"misses at any load: {what}"))
                    continue
                sat = saturation_requests_per_s(step, i, o)
                n_min = math.floor(rate / sat) + 1
                if n_min > cap:
                    out.append(SloCandidate(**base, **none, ttft_p99_s=None, itl_mean_s=None, meets_slo=False,
                                            reason=f"needs more than max_replicas={cap} replicas "
                                                   f"(saturates at {sat:,.2f} requests/s each)"))
                    continue
                guess = _replicas_guess(rate, sat, n_min, idle_ttft, ttft_t)
                tried.append((n_min * tp * price, guess * tp * price, base, step, n_min, guess, price))
    # key: the rank by least possible cost (ties on $/h go to the first); simulated by the guessed cost
    tried = sorted((guess_usd, key, *rest) for key, (_, guess_usd, *rest)
                   in enumerate(sorted(tried, key=lambda t: t[0])))
    best, best_key = None, None
    stopped = []  # failing candidates whose last run was stopped early: (index in out, ...)
    tokens_in_m, tokens_out_m = rate * i * 3600 / 1e6, rate * o * 3600 / 1e6

    def priced(base, n, price, ttft, itl, ok, reason):
        usd = n * base["tp"] * price
        return SloCandidate(**base, replicas=n, usd_per_hour=usd, usd_per_million_input_tokens=usd / tokens_in_m,
                            usd_per_million_output_tokens=usd / tokens_out_m, ttft_p99_s=ttft, itl_mean_s=itl,
                            meets_slo=ok, reason=reason)

    def run(step, n, give_up=True):
        return _fleet_point(step, i, o, rate, n, ttft_t, itl_t, n_req, seed, give_up)

    # Candidates are simulated in the order of their guessed fleet's cost, so that a good fleet is found
    # early; ties on $/h go to the candidate first in the order of least possible cost (``key``).
    for _guess_usd, key, base, step, n_min, guess, price in tried:
        usd_gpu = base["tp"] * price
        bound = n_min * usd_gpu
        if best is not None:  # the most replicas that could still undercut (or tie and precede) the best
            limit = math.floor(best.usd_per_hour / usd_gpu + 1e-9) if key < best_key else \
                math.ceil(best.usd_per_hour / usd_gpu - 1e-9) - 1
            limit = min(cap, limit)
        else:
            limit = cap
        if limit < n_min:
            out.append(SloCandidate(**base, replicas=n_min, usd_per_hour=bound, usd_per_million_input_tokens=None,
                                    usd_per_million_output_tokens=None, ttft_p99_s=None, itl_mean_s=None,
                                    meets_slo=None, reason=f"not simulated: even {n_min} replica(s) cost "
                                                           f"${bound:,.2f}/h, not less than the best "
                                                           f"${best.usd_per_hour:,.2f}/h"))
            continue
        n, ttft, itl, ok = _search(lambda k, step=step: run(step, k), n_min, guess, limit)
        if ok:
            cand = priced(base, n, price, ttft, itl, True, "meets the SLO")
            if best is None or cand.usd_per_hour < best.usd_per_hour or \
                    (cand.usd_per_hour == best.usd_per_hour and key < best_key):
                best, best_key = cand, key
        else:
            why = (f"misses even with max_replicas={cap}" if limit == cap else
                   f"misses with {n} replica(s); more would cost at least the best ${best.usd_per_hour:,.2f}/h")
            if math.isinf(ttft):  # that run was stopped early; its figures are filled in below
                stopped.append((len(out), base, step, n, price, why))
            cand = priced(base, n, price, ttft, itl, False, f"{why}: p99 TTFT {ttft * 1e3:,.0f} ms, mean ITL "
                                                             f"{itl * 1e3:,.1f} ms")
        out.append(cand)
    for at, base, step, n, price, why in stopped:
        if best is None:  # the closest miss is reported with its figures: simulate the run whole
            ttft, itl, _ = run(step, n, give_up=False)
            out[at] = priced(base, n, price, ttft, itl, False, f"{why}: p99 TTFT {ttft * 1e3:,.0f} ms, mean ITL "
                                                                f"{itl * 1e3:,.1f} ms")
        else:
            out[at] = priced(base, n, price, None, None, False,
                             f"{why}: p99 TTFT over {ttft_t * 1e3:,.0f} ms (the run stopped once more than 1% "
                             "of its requests had waited longer)")
    if best is not None:
        out = [c if not (c.meets_slo and c is not best) else
               SloCandidate(**{**c.as_dict(), "reason": _dearer(c, best)}) for c in out]
    out.sort(key=lambda c: (c.usd_per_hour is None, c.usd_per_hour or 0.0, c.gpu, c.tp, c.weights, c.kv))
    if best is not None:
        msg = (f"{best.replicas} x {best.tp}x {best.gpu} ({best.weights} weights, {best.kv} KV) at "
               f"${best.usd_per_hour:,.2f}/h: p99 TTFT {best.ttft_p99_s * 1e3:,.0f} ms, mean ITL "
               f"{best.itl_mean_s * 1e3:,.1f} ms")
        return SloFleet(best=best, candidates=tuple(out), closest=None, message=msg)
    scored = [c for c in out if c.ttft_p99_s is not None]
    closest = min(scored, key=lambda c: _miss(c.ttft_p99_s, c.itl_mean_s, ttft_t, itl_t)) if scored else None
    msg = NO_DEPLOYMENT
    if closest is not None:
        msg += (f"; closest: {closest.tp}x {closest.gpu} ({closest.weights} weights, {closest.kv} KV), p99 TTFT "
                f"{closest.ttft_p99_s * 1e3:,.0f} ms vs {ttft_t * 1e3:,.0f} ms, mean ITL "
                f"{closest.itl_mean_s * 1e3:,.1f} ms vs {itl_t * 1e3:,.1f} ms")
    return SloFleet(best=None, candidates=tuple(out), closest=closest, message=msg)

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

The search is best first (:func:`_cheapest`): it always simulates one more replica count of the candidate
whose least possible fleet is cheapest (its first count a guess: 80% of saturation per replica, and few
enough prefill collisions for the p99, :func:`_replicas_guess`; then x1.5 until one meets, then bisection),
never more replicas than could undercut the cheapest fleet met so far, and stops when that candidate's
fewest replicas are known. While that candidate is untried, the untried guess with the cheapest fleet goes
first: a fleet met early caps how many replicas the larger guesses simulate. A candidate whose least possible fleet never became the cheapest is listed
"not simulated". A simulated point stops as soon as its p99 TTFT must miss
(``simulate(..., give_up_ttft_p99_s=...)``). Ties on $/h go to the candidate whose least possible fleet
is cheapest (then the order of GPUs, plans and TP). The $/M
figures charge the whole fleet's bill to each kind of token: $/hour / (million input tokens served
per hour), and the same for output tokens (an API prices them separately; here one bill buys both).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..catalog.deployment import deployment, deployment_arg, valid_tp
from ..catalog.tables import get_gpu, get_model, get_precision, gpu_ids, gpu_usd_per_hour, tiers
from ..common import checks as v
from ..common.fmt import gpu_name
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

    @property
    def name(self) -> str:
        """The replica as people say it, for messages: "2x H100 SXM (FP8 weights, FP8 KV)" (§30.9)."""
        return f"{self.tp}x {gpu_name(self.gpu)} ({self.weights.upper()} weights, {self.kv.upper()} KV)"

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
    items = v.non_empty("gpus", gpus, what="GPU ids", valid=gpu_ids())
    return list(dict.fromkeys(get_gpu(g).id for g in items))


def _dearer(c: SloCandidate, best: SloCandidate) -> str:
    if math.isclose(c.usd_per_hour, best.usd_per_hour, rel_tol=1e-9):
        return (f"meets the SLO at the same ${c.usd_per_hour:,.2f}/h as the best (a tie goes to the plan whose "
                "least possible fleet is cheaper)")
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


@dataclass
class _Search:
    """One candidate's search state: counts known to miss (``lo``) and to meet (``hi``) (§30.9)."""

    key: int  # rank by least possible cost: ties on $/h go to the lower key
    usd_per_replica: float
    n_min: int
    guess: int
    run: object  # n -> (p99 TTFT, mean ITL, meets)
    lo: int = 0  # largest count known to miss (n_min - 1 below: saturated)
    hi: int | None = None  # smallest count known to meet
    hi_res: tuple | None = None
    last: tuple | None = None  # (n, result) of the latest simulated point
    points: int = 0

    def __post_init__(self):
        self.lo = self.n_min - 1

    @property
    def least_usd(self) -> float:
        return (self.lo + 1) * self.usd_per_replica

    @property
    def exact(self) -> bool:
        return self.hi is not None and self.hi == self.lo + 1

    def refine(self, limit: int) -> None:
        """Simulate one more count, at most ``limit``: the guess first, then grow by GROWTH until one meets,
        then bisect."""
        if self.hi is not None:
            n = (self.lo + self.hi) // 2
        elif self.points == 0:
            n = self.guess
        else:
            n = max(self.lo + 1, math.ceil(self.lo * GROWTH))
        n = min(limit, n)
        res = self.run(n)
        self.points += 1
        self.last = (n, res)
        if res[2]:
            self.hi, self.hi_res = n, res
        else:
            self.lo = n


def _cheapest(searches, cap: int):
    """Best first: refine the candidate whose least possible fleet is cheapest, until that one is exact (§30.9).

    Returns the cheapest candidate (its fewest meeting replicas ``hi``; ties to the lower key) or None
    when every candidate misses up to ``cap`` replicas.
    """
    live = list(searches)
    while True:
        live = [c for c in live if c.hi is not None or c.lo < cap]
        if not live:
            return None
        c = min(live, key=lambda c: (c.least_usd, c.key))
        if c.exact:
            return c
        met = [(m.hi * m.usd_per_replica, m.key) for m in live if m.hi is not None]
        best = min(met) if met else None
        if c.points == 0:  # first guesses go cheapest fleet first: a fleet met early caps the larger guesses
            c = min((s for s in live if s.points == 0 and _limit(s, best, cap) > s.lo),
                    key=lambda s: (min(s.guess, _limit(s, best, cap)) * s.usd_per_replica, s.key))
        c.refine(_limit(c, best, cap))


def _limit(s: _Search, best, cap: int) -> int:
    """The most replicas of ``s`` that could still undercut (or tie and precede) the cheapest fleet met so far,
    ``best`` = ($/h, key) or None."""
    if best is None:
        return cap
    usd, key = best
    return min(cap, math.floor(usd / s.usd_per_replica + 1e-9) if s.key < key else
               math.ceil(usd / s.usd_per_replica - 1e-9) - 1)


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
        raise ValueError(f"input_len + output_len: one {i:,}+{o:,}-token request does not fit in {dep.name}'s "
                         "KV cache; use more GPUs (tp) or smaller precisions")
    idle_ttft, idle_itl = _lone_request(dep, step, i, o, prof)
    n_min = math.floor(rate / sat) + 1
    if n_min > cap or idle_ttft > ttft_t or idle_itl > itl_t:
        return 0
    guess = _replicas_guess(rate, sat, n_min, idle_ttft, ttft_t)
    one = _Search(0, 1.0, n_min, guess, lambda k: _fleet_point(step, i, o, rate, k, ttft_t, itl_t, n_req, seed))
    found = _cheapest([one], cap)
    return 0 if found is None else found.hi


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
                tried.append((n_min * tp * price, base, step, n_min, guess, price))
    tokens_in_m, tokens_out_m = rate * i * 3600 / 1e6, rate * o * 3600 / 1e6

    def priced(base, n, price, ttft, itl, ok, reason):
        usd = n * base["tp"] * price
        return SloCandidate(**base, replicas=n, usd_per_hour=usd, usd_per_million_input_tokens=usd / tokens_in_m,
                            usd_per_million_output_tokens=usd / tokens_out_m, ttft_p99_s=ttft, itl_mean_s=itl,
                            meets_slo=ok, reason=reason)

    def run(step, n, give_up=True):
        return _fleet_point(step, i, o, rate, n, ttft_t, itl_t, n_req, seed, give_up)

    # key: the rank by least possible cost, so that ties on $/h go to the first
    tried.sort(key=lambda t: t[0])
    searches = [(_Search(key, base["tp"] * price, n_min, guess, lambda k, step=step: run(step, k)), base, step,
                 price) for key, (_, base, step, n_min, guess, price) in enumerate(tried)]
    found = _cheapest([s for s, *_ in searches], cap)
    best = None
    if found is not None:
        _, base, _, price = next(t for t in searches if t[0] is found)
        best = priced(base, found.hi, price, found.hi_res[0], found.hi_res[1], True, "meets the SLO")
    for srch, base, step, price in searches:
        if srch is found:
            out.append(best)
        elif srch.hi is not None:  # meets, but even its least possible fleet costs at least the best's
            cand = priced(base, srch.hi, price, *srch.hi_res[:2], True, "")
            fewer = "" if srch.exact else f"; fewer than {srch.hi} not searched: even {srch.lo + 1} would cost as much"
            out.append(SloCandidate(**{**cand.as_dict(), "reason": _dearer(cand, best) + fewer}))
        elif srch.points == 0:
            bound = srch.least_usd
            out.append(SloCandidate(**base, replicas=srch.n_min, usd_per_hour=bound, usd_per_million_input_tokens=None,
                                    usd_per_million_output_tokens=None, ttft_p99_s=None, itl_mean_s=None,
                                    meets_slo=None, reason=f"not simulated: even {srch.n_min} replica(s) cost "
                                                           f"${bound:,.2f}/h, not less than the best "
                                                           f"${best.usd_per_hour:,.2f}/h"))
        else:
            n, (ttft, itl, _) = srch.last  # every point missed: the last is the largest count
            why = (f"misses even with max_replicas={cap}" if srch.lo >= cap else
                   f"misses with {n} replica(s); more would cost at least the best ${best.usd_per_hour:,.2f}/h")
            if math.isinf(ttft) and best is None:  # the closest miss is reported with its figures
                ttft, itl, _ = run(step, n, give_up=False)
            if math.isinf(ttft):  # that run stopped early
                out.append(priced(base, n, price, None, None, False,
                                  f"{why}: p99 TTFT over {ttft_t * 1e3:,.0f} ms (the run stopped once more than 1% "
                                  "of its requests had waited longer)"))
            else:
                out.append(priced(base, n, price, ttft, itl, False,
                                  f"{why}: p99 TTFT {ttft * 1e3:,.0f} ms, mean ITL {itl * 1e3:,.1f} ms"))
    out.sort(key=lambda c: (c.usd_per_hour is None, c.usd_per_hour or 0.0, c.gpu, c.tp, c.weights, c.kv))
    if best is not None:
        msg = (f"{best.replicas} x {best.name} at "
               f"${best.usd_per_hour:,.2f}/h: p99 TTFT {best.ttft_p99_s * 1e3:,.0f} ms, mean ITL "
               f"{best.itl_mean_s * 1e3:,.1f} ms")
        return SloFleet(best=best, candidates=tuple(out), closest=None, message=msg)
    scored = [c for c in out if c.ttft_p99_s is not None]
    closest = min(scored, key=lambda c: _miss(c.ttft_p99_s, c.itl_mean_s, ttft_t, itl_t)) if scored else None
    msg = NO_DEPLOYMENT
    if closest is not None:
        msg += (f"; closest: {closest.name}, p99 TTFT "
                f"{closest.ttft_p99_s * 1e3:,.0f} ms vs {ttft_t * 1e3:,.0f} ms, mean ITL "
                f"{closest.itl_mean_s * 1e3:,.1f} ms vs {itl_t * 1e3:,.1f} ms")
    return SloFleet(best=None, candidates=tuple(out), closest=closest, message=msg)

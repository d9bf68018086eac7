"""Interview drills d1-d10: their inputs and answer functions, ten capacity-planning skills (§30.3-§30.10).

Each drill trains one skill and checks one quantity. Its inputs are named here (``D1`` ... ``D10``,
plus the drill-wide ``ASSUMPTIONS``) with the place they come from; where a drill reuses a figure
of the chapter it reads it from :mod:`costlib.teaching.chapter` (``S30_2``, ``S30_10``, ...). The solution
notebooks import the inputs by name. Every expected answer is computed with costlib from these
inputs, and so is every "likely mistake" the checker recognises. The texts (summaries, asks, hints,
slip messages, options) are data, ``costlib/data/questions_drills.yaml``; the tables at the end of
this module (``EXPECTED``, ``SLIPS``, ``TEXT_VALUES``, ``OPTION_PICKS``) fill the names it uses.

| drill | skill | checked quantity |
|---|---|---|
| d1 | capacity planning in reverse | users a 64-GPU FP8 fleet serves |
| d2 | FP8 migration on single GPUs | GPUs cut (before - after) |
| d3 | the KV-cache memory wall | concurrent 32k-token sequences on 8 GPUs |
| d4 | latency vs throughput | largest batch under a TPOT target |
| d5 | prefill vs decode cost | prefill share of GPU time for RAG |
| d6 | self-host vs API, input/output prices | monthly saving of self-hosting |
| d7 | which GPUs hold a model | multiple choice |
| d8 | autoscaled on-demand vs reserved | monthly saving of autoscaling |
| d9 | owned vs reserved | years of use to break even |
| d10 | break-even utilization vs an API | utilization (a fraction; > 1 = never) |
"""
from __future__ import annotations

import math

from costlib.catalog.deployment import deployment
from costlib.catalog.tables import get_api_price, get_gpu, get_model, gpu_ids, gpu_usd_per_hour
from costlib.common.units import HOURS_PER_YEAR, SECONDS_PER_DAY, SECONDS_PER_HOUR
from costlib.economics.capacity import capacity_plan, gpus_saved, users_supported
from costlib.economics.cost import (
    WORKLOADS,
    NotFeasible,
    owned_usd_per_gpu_hour,
    request_shape,
    workload_cost,
)
from costlib.economics.crossover import (
    DAYS_PER_MONTH,
    HOURS_PER_MONTH,
    api_monthly_usd,
    breakeven_utilization,
    replicas_needed,
    self_host_monthly_usd,
)
from costlib.economics.frontier import largest_batch_under_tpot
from costlib.estimate.predict import predict
from costlib.physics.memory import (
    fit,
    kv_bytes_per_token,
    usable_bytes,
    weight_bytes,
)
from costlib.physics.replica import device_memory_bytes
from costlib.physics.step import (
    DEFAULT_MBU,
    DEFAULT_MFU,
    MBU_RANGE,
    MFU_RANGE,
    decode_tokens_per_s,
)
from costlib.teaching.chapter import CONTEXT_TOKENS, S30_2, S30_3, S30_10
from costlib.teaching.chapter.inputs import Inputs
from costlib.teaching.kv_room import drill_profile

__all__ = ["ASSUMPTIONS", "D1", "D2", "D3", "D4", "D5", "D6", "D7", "D8", "D9", "D10",
           "drill_profile", "per_gpu_tokens_per_s", "replica_tokens_per_s", "years_to_break_even", "INPUTS",
           "EXPECTED", "SLIPS", "TEXT_VALUES", "OPTION_PICKS", "EDGE_REASONS"]

_H100 = "H100-SXM"
_70B = "llama-3.1-70b"

# ---------------------------------------------------------------- inputs

ASSUMPTIONS = Inputs(
    "drill assumptions (ours): sequences of 2,048 tokens unless a drill says otherwise; MBU/MFU at "
    "the middle of §30.4's ranges; memory = 95% of HBM - 1 GB per GPU (costlib's default); KV "
    "cache in bf16; each replica decodes at the largest batch its memory holds; H100 prices = the "
    "catalog's mid points (§30.1, §30.2); 30-day months",
    context=CONTEXT_TOKENS, mbu=DEFAULT_MBU, mfu=DEFAULT_MFU, kv="bf16",
    reserved_usd_per_gpu_hour=gpu_usd_per_hour(_H100, "reserved"),
    on_demand_usd_per_gpu_hour=gpu_usd_per_hour(_H100, "on_demand"),
    days_per_month=DAYS_PER_MONTH)

D1 = Inputs(
    "Drill 1 (§30.10, the rubric in reverse): traffic per user, peak factor and headroom from "
    "§30.10; the fleet (64 H100s, FP8 70B on TP=2 replicas) is ours",
    n_gpus=64, model=_70B, gpu=_H100, weights="fp8", tp=2,
    sessions_per_day=S30_10.sessions_per_day, tokens_per_session=S30_10.tokens_per_session,
    peak_factor=S30_10.peak_factor, headroom=S30_10.headroom)

D2 = Inputs(
    "Drill 2 (§30.5, §30.10: 'if we switch to FP8, how many GPUs can we cut?'): traffic from "
    "§30.10's rubric; the FP8 replicas may use one H100 (the chapter's §30.8 proposal) or keep "
    "two",
    users=S30_10.users, sessions_per_day=S30_10.sessions_per_day,
    tokens_per_session=S30_10.tokens_per_session, peak_factor=S30_10.peak_factor,
    headroom=S30_10.headroom, model=_70B, gpu=_H100,
    weights_before="bf16", tp_before=2, weights_after="fp8", tp_after_options=(1, 2))

D3 = Inputs("Drill 3 (§30.3, the KV-cache memory wall): one 8-GPU node, 32k-token contexts",
            model=_70B, gpu=_H100, tp=8, weights="bf16", context=32_768)

D4 = Inputs(
    "Drill 4 (§30.9, latency vs throughput): a 25 ms TPOT target = 40 tokens/s per user; MBU and "
    "MFU at the LOW end of §30.4's ranges (a cautious plan)",
    model=_70B, gpu=_H100, tp=4, weights="fp8", context=4096, tpot_target_s=0.025,
    mbu=MBU_RANGE[0], mfu=MFU_RANGE[0])

D5 = Inputs(
    "Drill 5 (§30.6, prefill vs decode cost): request shapes are costlib's WORKLOADS; 16 requests "
    "decode together",
    model=_70B, gpu=_H100, tp=2, weights="fp8", batch=16,
    usd_per_gpu_hour=ASSUMPTIONS.reserved_usd_per_gpu_hour,
    rag=WORKLOADS["rag"], reasoning=WORKLOADS["reasoning"])

_DEEPINFRA = "deepinfra-llama-3.3-70b"

D6 = Inputs(
    "Drill 6 (§30.7, self-host vs API with separate input and output prices): a document "
    "pipeline with flat traffic around the clock; API prices from the catalog (DeepInfra, the "
    "same Llama 70B weights)",
    tokens_per_month=40e9, prompt_tokens=1500, output_tokens=500, api=_DEEPINFRA,
    api_usd_per_million_input=get_api_price(_DEEPINFRA)["usd_per_million_input"],
    api_usd_per_million_output=get_api_price(_DEEPINFRA)["usd_per_million_output"],
    model=_70B, gpu=_H100, tp=2, weights="fp8",
    usd_per_gpu_hour=ASSUMPTIONS.reserved_usd_per_gpu_hour, peak_factor=1.0, headroom=0.3)

D7 = Inputs("Drill 7 (§30.8, which GPUs hold a model): Qwen2.5-72B in bf16, one 8k sequence",
            model="qwen2.5-72b", weights="bf16", context=8192, batch=1)

D8 = Inputs(
    "Drill 8 (§30.2, §30.7, bursty traffic): a daily profile of 6 busy hours and 18 quiet ones; "
    "reserved and on-demand H100 prices from the catalog; autoscaling in whole replicas, hour by "
    "hour, at least one replica always on",
    model=_70B, gpu=_H100, tp=4, weights="bf16", peak_hours_per_day=6,
    peak_tokens_per_hour=100e6, off_peak_tokens_per_hour=10e6, headroom=0.3,
    reserved_usd_per_gpu_hour=ASSUMPTIONS.reserved_usd_per_gpu_hour,
    on_demand_usd_per_gpu_hour=ASSUMPTIONS.on_demand_usd_per_gpu_hour)

D9 = Inputs(
    "Drill 9 (§30.2, owned vs reserved): purchase price = the middle of §30.2's $30-40k; power = "
    "the H100's TDP; PUE, electricity price and operations overhead = costlib's owned_cost "
    "defaults",
    purchase_usd=sum(S30_2.h100_purchase_usd) / 2, power_w=get_gpu(_H100).tdp_w, pue=1.3,
    usd_per_kwh=0.10, ops_overhead=0.15,
    reserved_usd_per_gpu_hour=ASSUMPTIONS.reserved_usd_per_gpu_hour)

D10 = Inputs(
    "Drill 10 (§30.7, break-even utilization): output tokens only; API price from the catalog "
    "(DeepInfra's output price for the same Llama 70B weights)",
    model=_70B, gpu=_H100, tp=2, weights="fp8",
    usd_per_gpu_hour=ASSUMPTIONS.reserved_usd_per_gpu_hour,
    api=_DEEPINFRA, api_usd_per_million=get_api_price(_DEEPINFRA)["usd_per_million_output"])


# ---------------------------------------------------------------- shared computations


def replica_tokens_per_s(model, gpu, weights, tp, context=ASSUMPTIONS.context, kv=None,
                         mbu=ASSUMPTIONS.mbu, mfu=ASSUMPTIONS.mfu) -> float:
    """Decode tokens/s of one replica at the largest batch of ``context``-token sequences that
    fits (physics first: raises NotFeasible if not even one sequence fits) (§30.3)."""
    dep = deployment(model, gpu, tp=tp, weights=weights, kv=kv)
    f = fit(dep, context=context)
    if f.max_batch < 1:
        raise NotFeasible(f)
    return decode_tokens_per_s(dep, f.max_batch, context, mbu, mfu)


def per_gpu_tokens_per_s(model, gpu, weights, tp, context=ASSUMPTIONS.context, kv=None,
                         mbu=ASSUMPTIONS.mbu, mfu=ASSUMPTIONS.mfu) -> float:
    """The replica's decode tokens/s divided by its TP GPUs (§30.10)."""
    return replica_tokens_per_s(model, gpu, weights, tp, context, kv, mbu, mfu) / tp


def years_to_break_even(target_usd_per_gpu_hour, **owned_kwargs) -> float:
    """Years of use after which an owned GPU's amortized $/hour falls to the target (bisection on
    owned_usd_per_gpu_hour; inf if it never does) (§30.2)."""
    def cost(years):
        return owned_usd_per_gpu_hour(years=years, **owned_kwargs)

    lo, hi = 1e-3, 1e3
    if cost(hi) > target_usd_per_gpu_hour:
        return math.inf
    for _ in range(200):  # cost falls as years grow: keep cost(lo) > target >= cost(hi)
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if cost(mid) > target_usd_per_gpu_hour else (lo, mid)
    return (lo + hi) / 2


def _and(names) -> str:
    names = list(names)
    if not names:
        return "none"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


# d1 ---------------------------------------------------------------

def _d1_users(tokens_per_s_per_gpu, gpus_per_replica=D1.tp, peak_factor=D1.peak_factor,
              headroom=D1.headroom):
    return users_supported(D1.n_gpus, tokens_per_s_per_gpu, D1.sessions_per_day,
                           D1.tokens_per_session, peak_factor, headroom, gpus_per_replica)


def _d1_rate(weights=D1.weights, tp=D1.tp):
    return per_gpu_tokens_per_s(D1.model, D1.gpu, weights, tp)


def _d1_expected():
    return _d1_users(_d1_rate())


# d2 ---------------------------------------------------------------

def _d2_rate(weights, tp, kv=None):
    return per_gpu_tokens_per_s(D2.model, D2.gpu, weights, tp, kv=kv)


def _d2_plan(tp_after, rate_before=None, rate_after=None, tp_before=D2.tp_before,
             peak_factor=D2.peak_factor, headroom=D2.headroom, kv_after=None) -> dict:
    """cl.gpus_saved for the bf16 fleet -> an FP8 fleet of TP=tp_after replicas."""
    rb = _d2_rate(D2.weights_before, D2.tp_before) if rate_before is None else rate_before
    ra = _d2_rate(D2.weights_after, tp_after, kv_after) if rate_after is None else rate_after
    return gpus_saved(D2.users, D2.sessions_per_day, D2.tokens_per_session, rb, ra, tp_before,
                      tp_after, peak_factor=peak_factor, headroom=headroom)


def _d2_best_tp(**kw) -> int:
    return max(D2.tp_after_options, key=lambda t: _d2_plan(t, **kw)["gpus_cut"])


def _d2_cut(**kw) -> float:
    """GPUs cut by the better FP8 layout."""
    return float(max(_d2_plan(t, **kw)["gpus_cut"] for t in D2.tp_after_options))


def _d2_fractional_cut() -> float:
    """The better layout's cut if neither fleet is rounded to whole replicas."""
    before = _d2_gpus_unrounded(_d2_rate(D2.weights_before, D2.tp_before))
    after = _d2_gpus_unrounded(_d2_rate(D2.weights_after, _d2_best_tp()))
    return before - after


def _d2_gpus_unrounded(tokens_per_s_per_gpu) -> float:
    plan = capacity_plan(D2.users, D2.sessions_per_day, D2.tokens_per_session,
                         tokens_per_s_per_gpu, D2.peak_factor, D2.headroom)
    return float(plan.gpus_at_peak * (1 + D2.headroom))


# d3 ---------------------------------------------------------------

def _d3_dep(**kw):
    return deployment(D3.model, D3.gpu, tp=D3.tp, weights=D3.weights, **kw)


def _d3_by_hand(kv_bytes=None, weights=D3.weights, context=D3.context, usable=None,
                whole=True):
    """Max batch written out from its parts, with one part swapped for a mistake."""
    m = get_model(D3.model)
    per_gpu = usable_bytes(D3.gpu) if usable is None else usable
    free = D3.tp * per_gpu - weight_bytes(m, weights)
    per_token = kv_bytes_per_token(m, "bf16") if kv_bytes is None else kv_bytes
    seqs = free / per_token / context
    return float(math.floor(seqs)) if whole else seqs


def _d3_attention_heads():
    m = get_model(D3.model)
    return _d3_by_hand(kv_bytes=kv_bytes_per_token(m, "bf16") * m.n_heads / m.n_kv_heads)


# d4 ---------------------------------------------------------------

def _d4_dep(weights=D4.weights):
    return deployment(D4.model, D4.gpu, tp=D4.tp, weights=weights)


def _d4_batch(target=D4.tpot_target_s, mbu=D4.mbu, mfu=D4.mfu, weights=D4.weights):
    dep = _d4_dep(weights)
    return float(largest_batch_under_tpot(dep, target, D4.context, profile=drill_profile(dep, mbu, mfu)))


def _d4_memory_batch() -> float:
    """The memory limit alone: sequences of D4.context tokens that fit (the rule predict admits by)."""
    dep = _d4_dep()
    return float(fit(dep, context=D4.context, limits=drill_profile(dep, D4.mbu, D4.mfu).limits).max_batch)


def _d4_edge(x: float) -> str:
    """Why a batch next to the answer fails the target, or is not the largest."""
    if not float(x).is_integer():
        return f"{x:g} is not a whole number of sequences"
    n = int(x)
    dep = _d4_dep()
    e = predict(dep, *request_shape(dep, D4.context), batch=n, profile=drill_profile(dep, D4.mbu, D4.mfu))
    if not e.fits:
        return f"{n:,} sequences do not fit in memory"
    tpot = e.tpot_s.mid
    if tpot > D4.tpot_target_s:
        return (f"at batch {n:,} the average decode step takes {tpot * 1e3:.2f} ms, over the "
                f"{D4.tpot_target_s * 1e3:g} ms target (a hard edge, checked exactly)")
    return (f"batch {n:,} meets the target, but larger batches do too: the question asks for the "
            "largest (a hard edge, checked exactly)")


# d5 ---------------------------------------------------------------

def _d5_cost(shape, batch=D5.batch, mfu=ASSUMPTIONS.mfu):
    dep = deployment(D5.model, D5.gpu, tp=D5.tp, weights=D5.weights)
    return workload_cost(dep, D5.usd_per_gpu_hour, shape[0], shape[1], batch,
                         profile=drill_profile(dep, mfu=mfu))


def _d5_share_prefill_scaled(prefill_scale: float) -> float:
    """The RAG prefill share with prefill's GPU time scaled (0.5: P instead of 2P FLOPs/token)."""
    w = _d5_cost(D5.rag)
    pre = w.prefill_gpu_s_per_request * prefill_scale
    return pre / (pre + w.decode_gpu_s_per_request)


# d6 ---------------------------------------------------------------

def _d6_dep():
    return deployment(D6.model, D6.gpu, tp=D6.tp, weights=D6.weights)


def _d6_replica_tokens_per_s():
    """Prompt + output tokens per second one replica processes for D6's request shape, at the largest
    batch of whole requests that fits by the rule its pricing admits by."""
    dep, prof = _d6_dep(), drill_profile(_d6_dep())
    batch = fit(dep, context=D6.prompt_tokens + D6.output_tokens, limits=prof.limits).max_batch
    w = workload_cost(dep, D6.usd_per_gpu_hour, D6.prompt_tokens, D6.output_tokens, batch, profile=prof)
    gpu_s = w.prefill_gpu_s_per_request + w.decode_gpu_s_per_request
    return (D6.prompt_tokens + D6.output_tokens) * dep.tp / gpu_s


def _d6_input_share():
    return D6.prompt_tokens / (D6.prompt_tokens + D6.output_tokens)


def _d6_api(p_in=D6.api_usd_per_million_input, p_out=D6.api_usd_per_million_output,
            share=None):
    return api_monthly_usd(D6.tokens_per_month, p_in, p_out,
                           _d6_input_share() if share is None else share)


def _d6_self(gpus_per_replica=D6.tp, peak_factor=D6.peak_factor, whole=True):
    rate = _d6_replica_tokens_per_s()
    if whole:
        return self_host_monthly_usd(D6.tokens_per_month, rate, D6.usd_per_gpu_hour,
                                     gpus_per_replica, peak_factor, D6.headroom)
    average_tokens_per_s = D6.tokens_per_month / (HOURS_PER_MONTH * SECONDS_PER_HOUR)
    replicas = average_tokens_per_s * peak_factor * (1 + D6.headroom) / rate
    return replicas * gpus_per_replica * D6.usd_per_gpu_hour * HOURS_PER_MONTH


def _d6_saving(api=None, self_host=None):
    return (_d6_api() if api is None else api) - (_d6_self() if self_host is None else self_host)


# d7 ---------------------------------------------------------------

def _d7_one_gpu(weights=D7.weights):
    """Catalog GPUs that hold the model plus one sequence's KV cache on a single device."""
    return [g for g in gpu_ids()
            if fit(deployment(D7.model, g, weights=weights), D7.context, D7.batch).fits]


def _d7_sets() -> dict:
    """The GPU lists of the four candidate answers: the right one and three shortcuts."""
    ok = _d7_one_gpu()
    chapter_gb = S30_3.model_bytes / 1e9  # the chapter's "70B in bf16 = 140 GB"
    name_gb = 72e9 * 2 / 1e9  # "72B" read off the model's name, x 2 bytes (bf16)
    return {"by_chapter": [g for g in gpu_ids() if get_gpu(g).hbm_gb >= chapter_gb],
            "by_name": [g for g in gpu_ids() if get_gpu(g).hbm_gb >= name_gb],
            "ok": ok, "none": [], "chapter_gb": chapter_gb, "name_gb": name_gb}


def _d7_values() -> dict:
    s = _d7_sets()
    ok = s["ok"]
    m = get_model(D7.model)
    h200 = get_gpu("H200-SXM")
    biggest = max(ok, key=lambda g: get_gpu(g).hbm_gb) if ok else None
    return {"by_chapter": _and(s["by_chapter"]), "by_name": _and(s["by_name"]), "ok": _and(ok),
            "chapter_gb": s["chapter_gb"], "name_gb": s["name_gb"],
            "n_params_b": m.n_params / 1e9, "w_gb": weight_bytes(m, D7.weights) / 1e9,
            "h200_id": h200.id, "h200_usable_gb": usable_bytes(h200) / 1e9,
            "short": _and([g for g in s["by_chapter"] if g not in ok]),
            "n_ok": len(ok), "n_gpus": len(gpu_ids()), "biggest": biggest,
            "biggest_usable_gb": usable_bytes(biggest) / 1e9 if biggest else None}


def _d7_picks() -> list[str]:
    """The candidate options to show, in order: a shortcut that gives an already listed set of
    GPUs is not a distinct option."""
    s = _d7_sets()
    seen, picks = [], []
    for name in ("by_chapter", "by_name", "ok", "none"):
        gpus = s[name]
        if name != "ok" and set(gpus) in [set(x) for x in seen]:
            continue
        seen.append(gpus)
        picks.append(name if name != "none" or s["ok"] else "none_fits_nothing")
    return picks


# d8 ---------------------------------------------------------------

def _d8_rate(weights=D8.weights):
    return replica_tokens_per_s(D8.model, D8.gpu, weights, D8.tp)


def _d8_replicas(tokens_per_hour, headroom=D8.headroom, whole=True):
    if whole:  # hours_per_month=1: the "month" is one hour of traffic
        return replicas_needed(tokens_per_hour, _d8_rate(), 1.0, headroom, min_replicas=1,
                               hours_per_month=1)
    return max(1.0, tokens_per_hour / SECONDS_PER_HOUR * (1 + headroom) / _d8_rate())


def _d8_bills(headroom=D8.headroom, whole=True, reserved_price=D8.reserved_usd_per_gpu_hour,
              on_demand_price=D8.on_demand_usd_per_gpu_hour, gpus_per_replica=D8.tp,
              reserved_tokens_per_hour=None):
    """(reserved bill, autoscaled bill) in $/month."""
    peak = _d8_replicas(D8.peak_tokens_per_hour, headroom, whole)
    off = _d8_replicas(D8.off_peak_tokens_per_hour, headroom, whole)
    sized = peak if reserved_tokens_per_hour is None else \
        _d8_replicas(reserved_tokens_per_hour, headroom, whole)
    reserved = sized * gpus_per_replica * reserved_price * HOURS_PER_MONTH
    replica_hours_per_day = peak * D8.peak_hours_per_day + off * (24 - D8.peak_hours_per_day)
    autoscaled = replica_hours_per_day * gpus_per_replica * on_demand_price * DAYS_PER_MONTH
    return reserved, autoscaled


def _d8_saving(**kw):
    reserved, autoscaled = _d8_bills(**kw)
    return reserved - autoscaled


def _d8_average_tokens_per_hour():
    h = D8.peak_hours_per_day
    return (D8.peak_tokens_per_hour * h + D8.off_peak_tokens_per_hour * (24 - h)) / 24


# d9 ---------------------------------------------------------------

def _d9_owned(**changes):
    kw = dict(purchase_usd=D9.purchase_usd, power_w=D9.power_w, pue=D9.pue,
              usd_per_kwh=D9.usd_per_kwh, ops_overhead=D9.ops_overhead)
    kw.update(changes)
    return kw


def _d9_years(target=D9.reserved_usd_per_gpu_hour, **changes):
    return years_to_break_even(target, **_d9_owned(**changes))


# d10 --------------------------------------------------------------

def _d10_tokens_per_s():
    return replica_tokens_per_s(D10.model, D10.gpu, D10.weights, D10.tp)


def _d10_u(api=D10.api_usd_per_million, usd_per_hour=None, tokens_per_s=None):
    p = D10.usd_per_gpu_hour * D10.tp if usd_per_hour is None else usd_per_hour
    r = _d10_tokens_per_s() if tokens_per_s is None else tokens_per_s
    return breakeven_utilization(api, p, r)


# ---------------------------------------------------------------- what the question data names

INPUTS = {"ASSUMPTIONS": ASSUMPTIONS, "D1": D1, "D2": D2, "D3": D3, "D4": D4, "D5": D5, "D6": D6,
          "D7": D7, "D8": D8, "D9": D9, "D10": D10, "S30_10": S30_10}

EXPECTED = {
    "d1": _d1_expected,
    "d2": _d2_cut,
    "d3": lambda: fit(_d3_dep(), context=D3.context).max_batch,
    "d4": _d4_batch,
    "d5": lambda: _d5_cost(D5.rag).prefill_share,
    "d6": lambda: _d6_saving(),
    "d8": lambda: _d8_saving(),
    "d9": lambda: _d9_years(),
    "d10": lambda: _d10_u(),
}

# slip name -> a function computing the answer with the slip applied to the drill's inputs
SLIPS = {
    "d1": {
        "average_not_peak": lambda: _d1_users(_d1_rate(), peak_factor=1.0),
        "no_headroom": lambda: _d1_users(_d1_rate(), headroom=0.0),
        "neither": lambda: _d1_users(_d1_rate(), peak_factor=1.0, headroom=0.0),
        "replica_rate_per_gpu": lambda: _d1_users(_d1_rate() * D1.tp),
        "tp1": lambda: _d1_users(_d1_rate(tp=1), gpus_per_replica=1),
        "chapter_1000_tps": lambda: _d1_users(S30_10.tokens_per_s_per_gpu),
        "bf16_rate": lambda: _d1_users(_d1_rate(weights="bf16")),
        "per_day_not_per_s": lambda: users_supported(
            D1.n_gpus, _d1_rate(), D1.sessions_per_day, D1.tokens_per_session * SECONDS_PER_DAY,
            D1.peak_factor, D1.headroom, D1.tp),
    },
    "d2": {
        "halves": lambda: _d2_plan(D2.tp_before)["gpus_before"] / 2,
        "tp1": lambda: float(_d2_plan(1)["gpus_cut"]),
        "tp1_fp8_kv": lambda: float(_d2_plan(1, kv_after="fp8")["gpus_cut"]),
        "per_gpu_before": lambda: float(_d2_plan(
            D2.tp_before,
            rate_before=D2.tp_before * _d2_rate(D2.weights_before, D2.tp_before))["gpus_cut"]),
        "per_gpu_after": lambda: float(_d2_plan(
            D2.tp_before,
            rate_after=D2.tp_before * _d2_rate(D2.weights_after, D2.tp_before))["gpus_cut"]),
        "chapter_1000_tps": lambda: _d2_cut(rate_before=S30_10.tokens_per_s_per_gpu),
        "average_not_peak": lambda: _d2_cut(peak_factor=1.0),
        "no_headroom": lambda: _d2_cut(headroom=0.0),
        "fractional": _d2_fractional_cut,
    },
    "d3": {
        "attention_heads": _d3_attention_heads,
        "kv_1_byte": lambda: _d3_by_hand(kv_bytes=kv_bytes_per_token(D3.model, "bf16") / 2),
        "kv_4_bytes": lambda: _d3_by_hand(kv_bytes=kv_bytes_per_token(D3.model, "bf16") * 2),
        "fp8_weights": lambda: _d3_by_hand(weights="fp8"),
        "all_80gb": lambda: _d3_by_hand(usable=device_memory_bytes(get_gpu(D3.gpu))),
        "not_rounded_down": lambda: _d3_by_hand(whole=False),
        "k32000": lambda: _d3_by_hand(context=32_000),
    },
    "d4": {
        "memory_only": _d4_memory_batch,
        "mid_mbu": lambda: _d4_batch(mbu=DEFAULT_MBU, mfu=DEFAULT_MFU),
        "high_mbu": lambda: _d4_batch(mbu=MBU_RANGE[1], mfu=MFU_RANGE[1]),
        "bf16": lambda: _d4_batch(weights="bf16"),
        "per_gpu": lambda: _d4_batch() / D4.tp,
    },
    "d5": {
        "token_share": lambda: D5.rag[0] / (D5.rag[0] + D5.rag[1]),
        "decode_share": lambda: 1 - _d5_cost(D5.rag).prefill_share,
        "reasoning": lambda: _d5_cost(D5.reasoning).prefill_share,
        "batch_1": lambda: _d5_cost(D5.rag, batch=1).prefill_share,
        "mfu_100": lambda: _d5_cost(D5.rag, mfu=1.0).prefill_share,
        "flops_p_not_2p": lambda: _d5_share_prefill_scaled(0.5),
    },
    "d6": {
        "all_output_price": lambda: _d6_saving(api=_d6_api(p_in=D6.api_usd_per_million_output)),
        "all_input_price": lambda: _d6_saving(api=_d6_api(p_out=D6.api_usd_per_million_input)),
        "shares_swapped": lambda: _d6_saving(api=_d6_api(share=1 - _d6_input_share())),
        "one_gpu_price": lambda: _d6_saving(self_host=_d6_self(gpus_per_replica=1)),
        "fractional_replicas": lambda: _d6_saving(self_host=_d6_self(whole=False)),
        "peak_factor": lambda: _d6_saving(self_host=_d6_self(peak_factor=S30_10.peak_factor)),
    },
    "d8": {
        "fractional_replicas": lambda: _d8_saving(whole=False),
        "reserved_at_on_demand": lambda: _d8_saving(
            reserved_price=D8.on_demand_usd_per_gpu_hour),
        "autoscaled_at_reserved": lambda: _d8_saving(
            on_demand_price=D8.reserved_usd_per_gpu_hour),
        "one_gpu_price": lambda: _d8_saving(gpus_per_replica=1),
        "reserved_for_average": lambda: _d8_saving(
            reserved_tokens_per_hour=_d8_average_tokens_per_hour()),
        "no_headroom": lambda: _d8_saving(headroom=0.0),
    },
    "d9": {
        "purchase_only": lambda: D9.purchase_usd / (HOURS_PER_YEAR * D9.reserved_usd_per_gpu_hour),
        "no_ops": lambda: _d9_years(ops_overhead=0.0),
        "no_power": lambda: _d9_years(power_w=0.0),
        "on_demand": lambda: _d9_years(target=ASSUMPTIONS.on_demand_usd_per_gpu_hour),
        "months": lambda: 12 * _d9_years(),
        "hours": lambda: HOURS_PER_YEAR * _d9_years(),
    },
    "d10": {
        "one_gpu_price": lambda: _d10_u(usd_per_hour=D10.usd_per_gpu_hour),
        "input_price": lambda: _d10_u(api=get_api_price(D10.api)["usd_per_million_input"]),
        "upside_down": lambda: 1 / _d10_u(),
        "on_demand": lambda: _d10_u(usd_per_hour=ASSUMPTIONS.on_demand_usd_per_gpu_hour
                                    * D10.tp),
        "chapter_1000_tps": lambda: _d10_u(tokens_per_s=S30_10.tokens_per_s_per_gpu * D10.tp),
    },
}

# values the question texts show that are not plain inputs
TEXT_VALUES = {
    "d2": lambda: {"d2_tp_after_list": " or TP=".join(map(str, D2.tp_after_options))},
    "d4": lambda: dict(zip(("d4_input_len", "d4_output_len"), request_shape(_d4_dep(), D4.context), strict=True),
                       d4_tpot_target_ms=D4.tpot_target_s * 1e3),
    "d6": lambda: {"d6_billion_tokens_per_month": D6.tokens_per_month / 1e9,
                   "d6_context": D6.prompt_tokens + D6.output_tokens,
                   "d6_tokens_per_request": D6.prompt_tokens + D6.output_tokens},
    "d7": _d7_values,
    "d8": lambda: {"d8_peak_million_tokens_per_hour": D8.peak_tokens_per_hour / 1e6,
                   "d8_off_peak_million_tokens_per_hour": D8.off_peak_tokens_per_hour / 1e6},
    "d9": lambda: {"hours_per_year": HOURS_PER_YEAR},
}

# hard-edge counts: why a nearby wrong count fails
EDGE_REASONS = {"d4": _d4_edge}

# multiple-choice questions whose options depend on the catalog: the candidates to show
OPTION_PICKS = {"d7": _d7_picks}

"""Interview drills d1-d10 as gradable questions: ten capacity-planning skills (§30.3-§30.10).

Each drill trains one skill and checks one quantity. Its inputs are named here (``D1`` ... ``D10``,
plus the drill-wide ``ASSUMPTIONS``) with the place they come from; where a drill reuses a figure
of the chapter it reads it from :mod:`costlib.teaching.chapter` (``S30_2``, ``S30_10``, ...). The solution
notebooks import the inputs by name. Every expected answer is computed with costlib from these
inputs, and so is every "likely mistake" the checker recognises.

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
from costlib.physics.memory import fit, kv_bytes_per_token, usable_bytes, weight_bytes
from costlib.physics.step import DEFAULT_MBU, DEFAULT_MFU, MBU_RANGE, MFU_RANGE, decode_tokens_per_s
from costlib.teaching.chapter import CONTEXT_TOKENS, S30_2, S30_3, S30_10
from costlib.teaching.grading import (
    MSG_BYTES,
    MSG_KV_HEADS,
    MSG_TP_PRICE,
    Inputs,
    Mistake,
    Option,
    Question,
    register,
)

__all__ = ["ASSUMPTIONS", "D1", "D2", "D3", "D4", "D5", "D6", "D7", "D8", "D9", "D10",
           "per_gpu_tokens_per_s", "replica_tokens_per_s", "years_to_break_even"]

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
    return float(largest_batch_under_tpot(_d4_dep(weights), target, D4.context, mbu, mfu))


# d5 ---------------------------------------------------------------

def _d5_cost(shape, batch=D5.batch, mfu=ASSUMPTIONS.mfu):
    dep = deployment(D5.model, D5.gpu, tp=D5.tp, weights=D5.weights)
    return workload_cost(dep, D5.usd_per_gpu_hour, shape[0], shape[1], batch, mfu=mfu)


# d6 ---------------------------------------------------------------

def _d6_dep():
    return deployment(D6.model, D6.gpu, tp=D6.tp, weights=D6.weights)


def _d6_replica_tokens_per_s():
    """Prompt + output tokens per second one replica processes for D6's request shape."""
    dep = _d6_dep()
    batch = fit(dep, context=D6.prompt_tokens + D6.output_tokens).max_batch
    w = workload_cost(dep, D6.usd_per_gpu_hour, D6.prompt_tokens, D6.output_tokens, batch)
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


def _d7_options():
    ok = _d7_one_gpu()
    m = get_model(D7.model)
    w_gb = weight_bytes(m, D7.weights) / 1e9
    bpv = 2  # bf16 bytes per parameter, for the two shortcuts below
    chapter_gb = S30_3.model_bytes / 1e9  # the chapter's "70B in bf16 = 140 GB"
    name_gb = 72e9 * bpv / 1e9  # "72B" read off the model's name
    by_chapter = [g for g in gpu_ids() if get_gpu(g).hbm_gb >= chapter_gb]
    by_name = [g for g in gpu_ids() if get_gpu(g).hbm_gb >= name_gb]
    h200 = get_gpu("H200-SXM")
    biggest = max(ok, key=lambda g: get_gpu(g).hbm_gb) if ok else None
    candidates = [
        (by_chapter,
         f"{_and(by_chapter)}: every catalog GPU with at least {chapter_gb:g} GB of HBM",
         False,
         f"{chapter_gb:g} GB is the chapter's size for a 70B model; Qwen2.5-72B has "
         f"{m.n_params / 1e9:.1f}B parameters, {w_gb:.1f} GB in bf16. And nominal HBM is not "
         f"usable memory: an engine gets about 95% of it minus ~1 GB, so an {h200.id} offers "
         f"{usable_bytes(h200) / 1e9:.0f} GB. {_and([g for g in by_chapter if g not in ok])} "
         "fall short."),
        (by_name, f"{_and(by_name)}: every catalog GPU with at least {name_gb:g} GB (72B x 2 "
         "bytes)", False,
         f"The name rounds down: the model has {m.n_params / 1e9:.1f}B parameters, {w_gb:.1f} GB "
         "in bf16, plus the KV cache. And only about 95% of HBM minus ~1 GB is usable: compare "
         "with cl.usable_bytes, not the datasheet's HBM."),
        (ok, f"{_and(ok)} ({len(ok)} of the catalog's {len(gpu_ids())} GPUs)", True,
         f"Weights {w_gb:.1f} GB plus one {D7.context:,}-token sequence of KV cache must fit in "
         "95% of HBM minus 1 GB: only these parts have that much on one device. Every other GPU "
         "needs tensor parallelism."),
        ([], "None: a 72B model in bf16 needs at least two GPUs on every catalog part", False,
         f"The largest single devices hold it: e.g. {biggest} offers "
         f"{usable_bytes(biggest) / 1e9:.0f} GB usable for {w_gb:.1f} GB of weights."
         if biggest else "Check each GPU with cl.fit: the correct list is another option."),
    ]
    seen, options = [], []
    for gpus, text, correct, why in candidates:
        if not correct and set(gpus) in [set(x) for x in seen]:
            continue  # a shortcut that happens to give a listed set is not a distinct option
        seen.append(gpus)
        options.append((text, correct, why))
    return tuple(Option("abcd"[i], t, c, w) for i, (t, c, w) in enumerate(options))


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


# ---------------------------------------------------------------- the drills

register(Question(
    id="d1", section="Drill 1 (§30.10)",
    summary=f"Rubric in reverse: users served by {D1.n_gpus} H100s running 70B FP8 on TP={D1.tp} "
            f"replicas ({D1.sessions_per_day} sessions x {D1.tokens_per_session} tokens a day, "
            f"peak {D1.peak_factor:g}x, {D1.headroom:.0%} headroom)",
    ask="the number of users the fleet supports (a whole number)",
    expected=_d1_expected, unit="users", rel_tol=0.01, integer=True,
    mistakes=(
        Mistake("that sizes the fleet for average traffic: users must still be served at the "
                f"peak, {D1.peak_factor:g}x the average", factor=D1.peak_factor),
        Mistake(f"that leaves no headroom: keep {D1.headroom:.0%} spare capacity for spikes and "
                "rolling deployments", factor=1 + D1.headroom),
        Mistake("that ignores both the peak factor and the headroom",
                factor=D1.peak_factor * (1 + D1.headroom)),
        Mistake(f"a replica's tokens/s is produced by its {D1.tp} GPUs together: divide it by "
                f"TP={D1.tp} for the per-GPU rate (or count replicas, not GPUs)", factor=D1.tp),
        Mistake("that is FP8 on single GPUs (TP=1), where only a handful of sequences fit beside "
                f"the weights; the fleet runs TP={D1.tp} replicas",
                value=lambda: _d1_users(_d1_rate(tp=1), gpus_per_replica=1)),
        Mistake(f"that uses the chapter's {S30_10.tokens_per_s_per_gpu:,.0f} tokens/s per GPU; "
                "derive this deployment's own rate from memory and bandwidth (costlib)",
                value=lambda: _d1_users(S30_10.tokens_per_s_per_gpu)),
        Mistake("that is the bf16 rate; the fleet serves FP8 weights (1 byte per parameter)",
                value=lambda: _d1_users(_d1_rate(weights="bf16"))),
        Mistake("a user's daily tokens are spread over 86,400 seconds: convert tokens per day to "
                "tokens per second once", factor=1 / SECONDS_PER_DAY),
    ),
    hints=("Run §30.10's rubric backwards: fleet capacity at peak -> per-user peak demand -> "
           "users.",
           f"Per-GPU rate: the TP={D1.tp} replica's decode tokens/s at the largest batch that fits "
           "(cl.fit(...).max_batch, cl.decode_tokens_per_s), divided by TP. One user needs "
           "sessions x tokens / 86,400 s x peak factor tokens/s at peak.",
           "cl.users_supported(gpus, tokens_per_s_per_gpu, sessions_per_day, tokens_per_session, "
           "peak_factor, headroom, gpus_per_replica) does the division, in whole replicas."),
    inputs=D1))

register(Question(
    id="d2", section="Drill 2 (§30.5, §30.10)",
    summary=f"FP8 migration: GPUs cut when a 70B bf16 fleet on TP={D2.tp_before} replicas moves to "
            f"FP8 weights on the better of TP={' or TP='.join(map(str, D2.tp_after_options))} "
            f"({D2.users:,} users, §30.10 traffic)",
    ask="the GPUs cut by the better FP8 layout, GPUs before minus GPUs after (a whole number)",
    expected=_d2_cut, unit="GPUs", rel_tol=0.0, abs_tol=0.1, integer=True,
    mistakes=(
        Mistake("that assumes FP8 halves the fleet (the chapter's '2x'). Check what each layout "
                "does with the memory FP8 frees: the batch it holds (cl.fit) sets its tokens/s",
                value=lambda: _d2_plan(D2.tp_before)["gpus_before"] / 2),
        Mistake("that is FP8 on single GPUs: per GPU, an FP8 replica on one H100 has the same "
                "memory for weights and KV cache as a bf16 replica on two, so it is no faster per "
                "GPU; compare with keeping two GPUs per replica",
                value=lambda: float(_d2_plan(1)["gpus_cut"])),
        Mistake("that is FP8 on single GPUs with the KV cache in FP8 too; the question keeps the "
                "KV cache in bf16 (and keeping two GPUs per replica cuts more)",
                value=lambda: float(_d2_plan(1, kv_after="fp8")["gpus_cut"])),
        Mistake("a replica's tokens/s is made by all its GPUs: divide it by TP for a per-GPU rate",
                value=lambda: float(_d2_plan(
                    D2.tp_before, rate_before=D2.tp_before * _d2_rate(D2.weights_before,
                                                                      D2.tp_before))["gpus_cut"])),
        Mistake("a replica's tokens/s is made by all its GPUs: divide it by TP for a per-GPU rate",
                value=lambda: float(_d2_plan(
                    D2.tp_before, rate_after=D2.tp_before * _d2_rate(D2.weights_after,
                                                                     D2.tp_before))["gpus_cut"])),
        Mistake(f"that uses the chapter's {S30_10.tokens_per_s_per_gpu:,.0f} tokens/s per H100 for "
                f"the bf16 fleet; at TP={D2.tp_before} only a handful of sequences fit beside bf16 "
                "weights - derive each layout's rate with costlib",
                value=lambda: _d2_cut(rate_before=S30_10.tokens_per_s_per_gpu)),
        Mistake(f"that sizes both fleets for average traffic; they must carry the peak "
                f"({D2.peak_factor:g}x average)", value=lambda: _d2_cut(peak_factor=1.0)),
        Mistake(f"that leaves out the {D2.headroom:.0%} headroom",
                value=lambda: _d2_cut(headroom=0.0)),
        Mistake("each fleet is a whole number of replicas: round each fleet up to whole "
                "replicas of TP GPUs before subtracting", value=_d2_fractional_cut, rel_tol=0.0002),
    ),
    hints=("Physics first: how many 2,048-token sequences fit beside the weights in each layout "
           "(cl.fit(dep, 2048).max_batch)? Per GPU, compare the memory left for KV cache.",
           "Per-GPU rate of each layout = the replica's cl.decode_tokens_per_s at that batch / TP. "
           "Size the bf16 fleet and each FP8 fleet with §30.10's rubric, in whole replicas.",
           "cl.gpus_saved(users, sessions, tokens, rate_before, rate_after, gpus_per_replica_before"
           "=2, gpus_per_replica_after=tp, peak_factor=3, headroom=0.3)['gpus_cut'] for tp = 1 "
           "and 2; keep the larger."),
    inputs=D2))

register(Question(
    id="d3", section="Drill 3 (§30.3)",
    summary=f"KV-cache wall: concurrent {D3.context:,}-token sequences of Llama 3.1 70B bf16 on "
            f"{D3.tp}xH100 (TP={D3.tp})",
    ask=f"the largest number of concurrent {D3.context:,}-token sequences (a whole number)",
    expected=lambda: fit(_d3_dep(), context=D3.context).max_batch, unit="sequences",
    rel_tol=0.0, abs_tol=0.5, integer=True,
    mistakes=(
        Mistake(MSG_KV_HEADS + " (Llama 3.1 70B: 64 attention heads but 8 KV heads, so 8x fewer "
                "bytes per token)", value=_d3_attention_heads),
        Mistake("a bf16 KV cache stores 2 bytes per value, for both K and V: that count is 2x "
                "too many (1 byte per value, or K without V)",
                value=lambda: _d3_by_hand(kv_bytes=kv_bytes_per_token(D3.model, "bf16") / 2)),
        Mistake("that counts 4 bytes per KV value (fp32); the cache is bf16 - " + MSG_BYTES,
                value=lambda: _d3_by_hand(kv_bytes=kv_bytes_per_token(D3.model, "bf16") * 2)),
        Mistake("that prices the weights at 1 byte per parameter (FP8); they are bf16 - "
                + MSG_BYTES, value=lambda: _d3_by_hand(weights="fp8")),
        Mistake("that uses all 80 GB of every GPU; a serving engine gets about 95% of HBM minus "
                "~1 GB for activations and the CUDA context (cl.usable_bytes)",
                value=lambda: _d3_by_hand(usable=get_gpu(D3.gpu).hbm_bytes)),
        Mistake("a batch holds whole sequences: round down",
                value=lambda: _d3_by_hand(whole=False), rel_tol=0.003),
        Mistake("32k tokens means 32,768 (2^15), not 32,000",
                value=lambda: _d3_by_hand(context=32_000), rel_tol=0.001),
    ),
    hints=("Memory left for KV cache = usable memory of all 8 GPUs - weight bytes.",
           "KV bytes per token = 2 (K and V) x layers x KV heads x head dim x bytes per value; "
           "Llama 3.1 70B: 80 layers, 8 KV heads, head dim 128.",
           "Sequences = floor(free bytes / (KV bytes per token x 32,768)); cl.fit(dep, "
           "context=32768).max_batch checks you."),
    inputs=D3))

register(Question(
    id="d4", section="Drill 4 (§30.9)",
    summary=f"Largest batch with TPOT <= {D4.tpot_target_s * 1e3:g} ms for 70B FP8 on "
            f"{D4.tp}xH100, {D4.context:,}-token contexts, MBU {D4.mbu:.2f} / MFU {D4.mfu:.2f}",
    ask=f"the largest number of concurrent sequences with TPOT <= {D4.tpot_target_s * 1e3:g} ms "
        "(a whole number; 0 if none)",
    expected=_d4_batch, unit="sequences", rel_tol=0.02, integer=True,
    mistakes=(
        Mistake("that is the memory limit alone; at that batch each decode step is slower than "
                "the target, so latency binds first (cl.tpot_s)",
                value=lambda: float(fit(_d4_dep(), context=D4.context).max_batch)),
        Mistake("that uses the middle of §30.4's MBU/MFU ranges; this plan states the low end",
                value=lambda: _d4_batch(mbu=DEFAULT_MBU, mfu=DEFAULT_MFU)),
        Mistake("that uses the high end of §30.4's MBU/MFU ranges; this plan states the low end",
                value=lambda: _d4_batch(mbu=MBU_RANGE[1], mfu=MFU_RANGE[1])),
        Mistake("that is bf16 weights; the deployment serves FP8 (1 byte per parameter)",
                value=lambda: _d4_batch(weights="bf16")),
        Mistake(f"that is per GPU; the batch belongs to the whole TP={D4.tp} replica",
                factor=1 / D4.tp),
    ),
    hints=("Two limits: the KV cache must fit, and one decode step (= TPOT) must take at most "
           "the target. Which binds first?",
           "Step time grows with the batch because each sequence's KV cache is read every step. "
           "Pass mbu and mfu explicitly: the low end of §30.4's ranges.",
           "cl.largest_batch_under_tpot(dep, tpot_target_s, context, mbu, mfu) searches both "
           "limits; cl.tpot_s(dep, batch, context, mbu, mfu) checks a batch."),
    inputs=D4))

register(Question(
    id="d5", section="Drill 5 (§30.6)",
    summary=f"Prefill vs decode: prefill share of GPU time for a RAG request "
            f"({D5.rag[0]:,} prompt + {D5.rag[1]:,} output tokens) on 70B FP8, TP={D5.tp}, "
            f"batch {D5.batch}",
    ask="the prefill share of the GPU time a RAG request uses (a fraction between 0 and 1)",
    expected=lambda: _d5_cost(D5.rag).prefill_share, unit="", rel_tol=0.02,
    mistakes=(
        Mistake("that is the share of TOKENS that are prompt tokens; GPU time is what costs money, "
                "and a prefill token is far cheaper than a decode token",
                value=lambda: D5.rag[0] / (D5.rag[0] + D5.rag[1])),
        Mistake("that is the decode share; the question asks for prefill's",
                value=lambda: 1 - _d5_cost(D5.rag).prefill_share),
        Mistake("that is the reasoning workload; the question asks about RAG",
                value=lambda: _d5_cost(D5.reasoning).prefill_share),
        Mistake(f"that decodes one request at a time; {D5.batch} requests share each decode step",
                value=lambda: _d5_cost(D5.rag, batch=1).prefill_share),
        Mistake("that prefills at 100% of peak FLOP/s; use the middle of §30.4's MFU range",
                value=lambda: _d5_cost(D5.rag, mfu=1.0).prefill_share),
    ),
    hints=("GPU-seconds per request = prompt tokens / prefill tokens/s + output tokens / decode "
           "tokens/s (times TP for GPU-seconds).",
           f"Prefill is compute-bound and runs one prompt at a time; decode is memory-bound and "
           f"shares each step among {D5.batch} requests.",
           "cl.workload_cost(dep, usd_per_gpu_hour, prompt_tokens, output_tokens, batch)"
           ".prefill_share."),
    inputs=D5))

register(Question(
    id="d6", section="Drill 6 (§30.7)",
    summary=f"Self-host 70B FP8 (TP={D6.tp}, reserved H100s) vs DeepInfra at "
            f"${D6.api_usd_per_million_input:.2f}/${D6.api_usd_per_million_output:.2f} per M "
            "in/out: "
            f"monthly saving at {D6.tokens_per_month / 1e9:g}B tokens/month",
    ask="the monthly saving of self-hosting, API bill minus self-host bill, in $ (negative if "
        "the API is cheaper)",
    expected=lambda: _d6_saving(), unit="$/month", rel_tol=0.02,
    mistakes=(
        Mistake("that prices every token at the output price; prompt tokens have their own, "
                "lower price",
                value=lambda: _d6_saving(api=_d6_api(p_in=D6.api_usd_per_million_output))),
        Mistake("that prices every token at the input price; output tokens cost more",
                value=lambda: _d6_saving(api=_d6_api(p_out=D6.api_usd_per_million_input))),
        Mistake("input and output shares are swapped: prompts are "
                f"{D6.prompt_tokens:,} of every {D6.prompt_tokens + D6.output_tokens:,} tokens",
                value=lambda: _d6_saving(api=_d6_api(share=1 - _d6_input_share()))),
        Mistake(MSG_TP_PRICE, value=lambda: _d6_saving(self_host=_d6_self(gpus_per_replica=1))),
        Mistake("replicas come whole: round the number of replicas up before pricing",
                value=lambda: _d6_saving(self_host=_d6_self(whole=False))),
        Mistake("the traffic is flat around the clock: no 3x peak factor here",
                value=lambda: _d6_saving(self_host=_d6_self(peak_factor=S30_10.peak_factor))),
    ),
    hints=("API bill = tokens/1e6 x (input share x input price + output share x output price).",
           "Self-host bill = whole replicas x GPUs per replica x $/GPU-hour x 720 h; replicas = "
           "ceil(average tokens/s x (1 + headroom) / tokens/s per replica).",
           "cl.api_monthly_usd(tokens, p_in, p_out, input_share) - cl.self_host_monthly_usd("
           "tokens, tokens_per_s_per_replica, usd_per_gpu_hour, gpus_per_replica, peak_factor, "
           "headroom)."),
    inputs=D6))

register(Question(
    id="d7", section="Drill 7 (§30.8)",
    summary=f"Which catalog GPUs hold Qwen2.5-72B in bf16 plus one {D7.context:,}-token sequence "
            "on a single device",
    ask=f"Which catalog GPUs can hold Qwen2.5-72B in bf16, plus the KV cache of one "
        f"{D7.context:,}-token sequence, on a single device?",
    options=_d7_options(),
    hints=("Weights in bf16 = parameters x 2 bytes. How many parameters does Qwen2.5-72B have "
           "(cl.get_model('qwen2.5-72b').n_params)?",
           "Compare weights + KV with USABLE memory (cl.usable_bytes), not the nominal HBM; or run "
           "cl.compare_hardware('qwen2.5-72b', 'bf16', context=8192) and read fits_one_gpu."),
    inputs=D7))

register(Question(
    id="d8", section="Drill 8 (§30.2, §30.7)",
    summary=f"Bursty traffic ({D8.peak_hours_per_day} h/day at {D8.peak_tokens_per_hour / 1e6:g}M "
            f"tokens/h, otherwise {D8.off_peak_tokens_per_hour / 1e6:g}M): reserved fleet for the "
            "peak vs autoscaled on-demand, monthly saving",
    ask="the monthly saving of autoscaling on demand, reserved bill minus autoscaled bill, in $ "
        "(negative if the reserved fleet is cheaper)",
    expected=lambda: _d8_saving(), unit="$/month", rel_tol=0.01,
    mistakes=(
        Mistake("replicas come whole, at peak and off-peak alike: round up before pricing",
                value=lambda: _d8_saving(whole=False)),
        Mistake("that prices the reserved fleet at the on-demand rate; reserving roughly halves "
                "the price", value=lambda: _d8_saving(
                    reserved_price=D8.on_demand_usd_per_gpu_hour)),
        Mistake("that prices autoscaled GPUs at the reserved rate; capacity you rent by the hour "
                "costs the on-demand price",
                value=lambda: _d8_saving(on_demand_price=D8.reserved_usd_per_gpu_hour)),
        Mistake(MSG_TP_PRICE + f" (TP={D8.tp})",
                value=lambda: _d8_saving(gpus_per_replica=1)),
        Mistake("that sizes the reserved fleet for the daily average; it must carry the busy "
                "hours", value=lambda: _d8_saving(
                    reserved_tokens_per_hour=_d8_average_tokens_per_hour())),
        Mistake(f"that leaves out the {D8.headroom:.0%} headroom",
                value=lambda: _d8_saving(headroom=0.0)),
    ),
    hints=("Replica rate first: a TP=4 bf16 replica's decode tokens/s at the largest batch that "
           "fits. Then replicas for each hour's traffic, with headroom, rounded up.",
           "Reserved: the peak's replicas x 4 GPUs x reserved $/h x 720 h. Autoscaled: replica-"
           "hours per day x 4 GPUs x on-demand $/h x 30 days.",
           "cl.replicas_needed(tokens_per_hour, tokens_per_s_per_replica, 1, headroom, "
           "hours_per_month=1) turns one hour's tokens into replicas; prices from "
           "cl.gpu_usd_per_hour('H100-SXM', tier)."),
    inputs=D8))

register(Question(
    id="d9", section="Drill 9 (§30.2)",
    summary=f"Owned H100 (${D9.purchase_usd:,.0f}, {D9.power_w:g} W) vs reserved at "
            f"${D9.reserved_usd_per_gpu_hour:.2f}/h: years of use to break even",
    ask="the years of use after which an owned GPU's amortized $/GPU-hour equals the reserved "
        "price (years)",
    expected=lambda: _d9_years(), unit="years", rel_tol=0.02,
    mistakes=(
        Mistake("that counts only the purchase price; an owned GPU also pays for electricity "
                "(x PUE for cooling) and operations",
                value=lambda: D9.purchase_usd / (HOURS_PER_YEAR * D9.reserved_usd_per_gpu_hour)),
        Mistake(f"that leaves out the {D9.ops_overhead:.0%} operations overhead (staff, space, "
                "networking)", value=lambda: _d9_years(ops_overhead=0.0)),
        Mistake("that leaves out electricity", value=lambda: _d9_years(power_w=0.0)),
        Mistake("that compares with the on-demand price; the question compares with reserved",
                value=lambda: _d9_years(target=ASSUMPTIONS.on_demand_usd_per_gpu_hour)),
        Mistake("that is in months; give years", factor=12),
        Mistake(f"that is in hours; give years ({HOURS_PER_YEAR:,} hours per year)",
                factor=HOURS_PER_YEAR),
    ),
    hints=("Owned $/GPU-hour = purchase / (years x 8,760 h) + power (kW x PUE x $/kWh), all "
           "times (1 + ops overhead). It falls as the years grow.",
           "Set it equal to the reserved price and solve for years (only the capex term depends "
           "on years).",
           "cl.owned_cost(purchase_usd, years, power_w, pue, usd_per_kwh, ops_overhead) gives the "
           "parts; bisection on cl.owned_usd_per_gpu_hour(years=...) also works."),
    inputs=D9))

register(Question(
    id="d10", section="Drill 10 (§30.7)",
    summary=f"Break-even utilization of 70B FP8 on {D10.tp}x reserved H100 vs "
            f"${D10.api_usd_per_million:.2f}/M output tokens (DeepInfra)",
    ask="the utilization at which self-hosting matches the API price (a fraction; above 1 means "
        "it never does)",
    expected=lambda: _d10_u(), unit="", rel_tol=0.02,
    mistakes=(
        Mistake(MSG_TP_PRICE + f" (TP={D10.tp})",
                value=lambda: _d10_u(usd_per_hour=D10.usd_per_gpu_hour)),
        Mistake("that uses the API's input price; self-hosted decode makes output tokens",
                value=lambda: _d10_u(api=get_api_price(D10.api)["usd_per_million_input"])),
        Mistake("upside down: break-even utilization = self-host $/M at full load / API $/M",
                value=lambda: 1 / _d10_u()),
        Mistake("that prices the GPUs on demand; the question uses the reserved price",
                value=lambda: _d10_u(usd_per_hour=ASSUMPTIONS.on_demand_usd_per_gpu_hour
                                     * D10.tp)),
        Mistake(f"that uses the chapter's {S30_10.tokens_per_s_per_gpu:,.0f} tokens/s per GPU; "
                "derive this replica's rate from memory and bandwidth (costlib)",
                value=lambda: _d10_u(tokens_per_s=S30_10.tokens_per_s_per_gpu * D10.tp)),
    ),
    hints=("At utilization u the replica makes u x tokens/s; its $/M is $/hour / (u x tokens/s x "
           "3,600 / 10^6). Set that equal to the API's $/M.",
           "tokens/s: the replica's decode rate at the largest batch of 2,048-token sequences "
           "that fits; $/hour: every GPU of the replica.",
           "cl.breakeven_utilization(api_usd_per_million, usd_per_hour_of_the_replica, "
           "tokens_per_s)."),
    inputs=D10))

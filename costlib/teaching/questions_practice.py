"""Chapter 30's practice problems (p1-p7) and concept checks (cq1-cq4): their inputs and answer functions.

Each problem's inputs are named here (``P1`` ... ``P7``, ``CQ1``, ``CQ4``, and the workbook's
``ASSUMPTIONS``) with the chapter place they come from; the solution notebooks import them by name.
Every expected answer is computed with costlib from those inputs. The texts (summaries, asks,
hints, slip messages, options) are data: ``costlib/data/questions_practice.yaml``, whose names
the tables at the end of this module fill (``EXPECTED``, ``SLIPS``, ``TEXT_VALUES``); the question
bank (:mod:`costlib.teaching.bank`) puts the two together.
"""
from __future__ import annotations

from costlib.catalog.deployment import deployment
from costlib.catalog.tables import get_gpu, get_model, gpu_usd_per_hour, tiers
from costlib.economics.cost import (
    SECONDS_PER_HOUR,
    cost_at_utilization,
    million_tokens_per_hour,
    usd_per_million_tokens,
)
from costlib.economics.crossover import HOURS_PER_MONTH
from costlib.estimate.predict import batch_for_tpot
from costlib.physics.memory import fit, kv_bytes_per_token, weight_bytes
from costlib.physics.step import (
    DEFAULT_ALLREDUCE_LATENCY_S,
    DEFAULT_MBU,
    DEFAULT_MFU,
    arithmetic_intensity,
    decode_ceiling_tokens_per_s,
    decode_step,
    decode_tokens_per_s,
)
from costlib.teaching import chapter as ch
from costlib.teaching.chapter.inputs import S30_8, Inputs
from costlib.teaching.fleets import (
    cheapest_fleet,
    fleet_options,
    floor_options,
    overnight_off_plan,
    peak_floor_usd_per_million,
)
from costlib.teaching.kv_room import (
    fixed_batch_tpot_s,
    kv_room,
    largest_batch_by_memory,
    largest_batch_by_tpot,
    reservation_tokens,
)

__all__ = ["VLLM_MEMORY_FRACTION", "ALTERNATIVES", "EDGE_REASONS", "ASSUMPTIONS", "P1", "P2", "P3", "P4", "P5", "P6", "P7", "CQ1", "CQ2", "CQ3", "CQ4",
           "fleet_options", "serving_tiers", "INPUTS", "EXPECTED", "SLIPS", "TEXT_VALUES"]

# ---------------------------------------------------------------- inputs
# The chapter's numbers come from costlib.chapter (ch.P1 ... ch.CQ4, ch.S30_*); what the chapter
# leaves open is stated here as ours, next to them.

ASSUMPTIONS = Inputs(
    "workbook assumptions: 2,048-token sequences; MBU/MFU at the middle of §30.4's ranges; "
    "peak = 3x average and 30% headroom as in §30.10's rubric; 30-day months",
    context=ch.CONTEXT_TOKENS, mbu=DEFAULT_MBU, mfu=DEFAULT_MFU,
    peak_factor=ch.S30_10.peak_factor, headroom=ch.S30_10.headroom,
    days_per_month=ch.S30_10.days_per_month)

P1 = Inputs("Practice 1 (§30.1)", model=ch.P1.model, gpu=ch.P1.gpu,
            tokens_per_s=ch.P1.tokens_per_s, usd_per_gpu_hour=ch.P1.usd_per_hour)

P2 = Inputs("Practice 2 (§30.1); the price and the rate are the whole 8-GPU node's",
            model=ch.P2.model, gpu=ch.P2.gpu, tp=ch.P2.tp, weights=ch.P2.weights,
            tokens_per_s=ch.P2.tokens_per_s, usd_per_hour=ch.P2.usd_per_hour)

P3 = Inputs("Practice 3 (§30.7); $/GPU-hour is the chapter's default (§30.7), 1,000 tokens/s per "
            "H100 its 'realistic' figure (§30.5); bf16, the peak sizing of §30.10's rubric and the "
            "engine's calibrated mid on 1,024+1,024-token requests are ours",
            tokens_per_day=ch.P3.tokens_per_day, api=ch.P3.api,
            api_usd_per_million=ch.P3.api_usd_per_million, model=ch.P3.model, gpu=ch.P3.gpu,
            weights=ch.S30_7.weights, usd_per_gpu_hour=ch.S30_7.usd_per_hour,
            chapter_tokens_per_s_per_gpu=ch.S30_5.tokens_per_s,
            peak_factor=ch.S30_10.peak_factor, headroom=ch.S30_10.headroom,
            input_tokens=ch.INPUT_TOKENS, output_tokens=ch.OUTPUT_TOKENS, profile="calibrated",
            point="mid")

P4 = Inputs("Practice 4 (§30.9); one TP=8 replica in bf16, requests of 1,024+1,024 tokens (sequences "
            "of 2,048) and the engine's calibrated profile are our reading", model=ch.P4.model,
            gpu=ch.P4.gpu, n_gpus=ch.P4.n_gpus, tp=ch.P4.n_gpus, weights="bf16",
            tpot_target_s=ch.P4.tpot_targets_s[0], tpot_target_relaxed_s=ch.P4.tpot_targets_s[1],
            input_tokens=ch.INPUT_TOKENS, output_tokens=ch.OUTPUT_TOKENS, profile="calibrated")

P5 = Inputs("Practice 5 (§30.5); TP=2 (70B bf16 needs two H100s) and batch 1 are ours; "
            "$/GPU-hour is the chapter's default (§30.2)", model=ch.P5.model, gpu=ch.P5.gpu,
            tp=2, batch=1, usd_per_gpu_hour=ch.S30_2.default_usd_per_hour)

P6 = Inputs("Practice 6 (§30.7); the model, 12 busy hours a day and Together's price (Practice 3) "
            "are our reading of 'peaks during the day, near zero overnight'",
            peak_tokens_per_hour=ch.P6.peak_tokens_per_hour, busy_hours_per_day=12,
            model=ch.S30_7.model, gpu=ch.S30_7.gpu, weights=ch.S30_7.weights,
            usd_per_gpu_hour=ch.S30_7.usd_per_hour, api=ch.P3.api,
            api_usd_per_million=ch.P3.api_usd_per_million)

P7 = Inputs("Practice 7 (§30.2, §30.5); the price catalog's tiers stand in for live quotes; the "
            "throughput is read as per GPU", model=ch.P7.model, gpu=ch.P7.gpu,
            tokens_per_s_per_gpu=ch.P7.tokens_per_s, point="mid", apis=ch.P7.hosted_apis)

CQ1 = Inputs("Concept check 1 (§30.1)", usd_per_hour=ch.CQ1.usd_per_hour,
             tokens_per_s=ch.CQ1.tokens_per_s)

CQ2 = Inputs("Concept check 2 illustration: the chapter's default $/GPU-hour (§30.2) and "
             "'realistic' tokens/s (§30.5)", usd_per_hour=ch.S30_2.default_usd_per_hour,
             tokens_per_s=ch.S30_5.tokens_per_s, utilizations=(1.0, 0.5, 0.25, 0.1))

CQ3 = Inputs("Concept check 3 illustration (§30.3): a model that fits one GPU",
             model="llama-3.1-8b", gpu=ch.CQ3.gpu, batches=(1, 16, 64),
             context=ch.CONTEXT_TOKENS)

CQ4 = Inputs("Concept check 4 (§30.8): the bandwidths the question states; the model only "
             "illustrates the ratio", new_gpu=ch.CQ4.gpus[0], old_gpu=ch.CQ4.gpus[1],
             new_hbm_bytes_per_s=ch.CQ4.h200_hbm_bytes_per_s,
             old_hbm_bytes_per_s=ch.CQ4.h100_hbm_bytes_per_s, model="llama-3.1-8b")


# ---------------------------------------------------------------- shared computations


def serving_tiers() -> list[str]:
    """Procurement tiers the catalog marks as suitable for serving (spot is not) (§30.2)."""
    t = tiers()
    return [str(x) for x in t.loc[t["suitable_for_serving"].astype(str).str.lower() == "true",
                                  "tier"]]


def _p3_month_tokens():
    return P3.tokens_per_day * ASSUMPTIONS.days_per_month


def _p3_floor(weights=P3.weights, kv=None, peak_factor=P3.peak_factor, headroom=P3.headroom,
              point=P3.point, profile=P3.profile):
    """The lowest effective $/M of a peak-sized fleet at any volume (fleets.peak_floor_usd_per_million)."""
    return peak_floor_usd_per_million(P3.model, P3.gpu, weights, P3.usd_per_gpu_hour, peak_factor,
                                      headroom, kv=kv, point=point, profile=profile)


def _p3_floors():
    return floor_options(P3.model, P3.gpu, P3.weights, P3.usd_per_gpu_hour, P3.peak_factor,
                         P3.headroom, point=P3.point, profile=P3.profile).set_index("tp")


def _p3_fleet():
    """The cheapest bf16 fleet for the question's 100M tokens/day, sized for the peak."""
    return cheapest_fleet(fleet_options(P3.model, P3.gpu, P3.weights, _p3_month_tokens(),
                                        P3.usd_per_gpu_hour, P3.peak_factor, P3.headroom,
                                        point=P3.point, profile=P3.profile))


def _p4_dep(**kw):
    return deployment(P4.model, P4.gpu, tp=P4.tp, weights=P4.weights, **kw)


def _p4_expected():
    return float(batch_for_tpot(_p4_dep(), P4.input_tokens, P4.output_tokens, P4.tpot_target_s, P4.profile))


def _p4_room(**swaps) -> dict:
    """The TP=8 replica's KV room on the engine (kv_room), with a slip's swaps."""
    return kv_room(_p4_dep(), P4.profile, **swaps)


def _p4_free_bytes() -> float:
    """KV-cache room of the 8 GPUs on the engine."""
    return _p4_room()["kv_bytes"]


def _p4_kv_bytes_per_sequence() -> float:
    return _p4_room()["kv_bytes_per_token"] * reservation_tokens(P4.input_tokens, P4.output_tokens, P4.profile)


def _p4_by_hand(**swaps):
    """The memory limit written out, with one term swapped for a slip."""
    return float(largest_batch_by_memory(_p4_room(**swaps), P4.input_tokens, P4.output_tokens, P4.profile))


def _p4_with_attention_heads():
    m = get_model(P4.model)
    return _p4_by_hand(kv_scale=m.n_heads / m.n_kv_heads)


def _p4_chapter(tpot_s):
    """The chapter's answer: every GPU at its 'realistic' tokens/s for one TPOT (§30.5, §30.9)."""
    return float(P4.n_gpus * P3.chapter_tokens_per_s_per_gpu * tpot_s)


def _p4_edge(x: float) -> str:
    """Why a count next to the answer fails: it does not fit, misses the target, or is not the
    largest."""
    if not float(x).is_integer():
        return f"{x:g} is not a whole number of sequences"
    n = int(x)
    if n > _p4_by_hand():  # more than the engine's KV room holds
        short = n * _p4_kv_bytes_per_sequence() - _p4_free_bytes()
        return (f"{n:,} sequences do not fit: their KV cache is {short / 1e9:.1f} GB more than "
                "the engine's KV room (the answer is a hard edge: check it exactly)")
    tpot = fixed_batch_tpot_s(_p4_dep(), n, P4.input_tokens, P4.output_tokens, P4.profile)
    if tpot > P4.tpot_target_s:
        return (f"at {n:,} sequences a decode step takes {tpot * 1e3:.0f} ms, over the "
                f"{P4.tpot_target_s * 1e3:g} ms target")
    return (f"{n:,} sequences fit and meet the target, but more do too: the question asks for the "
            "largest (a hard edge, checked exactly)")


def _p4_tpot_only():
    """Largest batch meeting the TPOT target if memory were unlimited (what ignoring fit gives)."""
    return float(largest_batch_by_tpot(_p4_dep(), P4.tpot_target_s, P4.input_tokens, P4.output_tokens,
                                       P4.profile))


def _p5_deps():
    bf16 = deployment(P5.model, P5.gpu, tp=P5.tp, weights="bf16")
    return bf16, bf16.with_(weights="fp8")


def _p5_expected():
    bf16, fp8 = _p5_deps()
    c = ASSUMPTIONS.context
    return decode_tokens_per_s(fp8, P5.batch, c) / decode_tokens_per_s(bf16, P5.batch, c)


def _p5_ceiling_ratio():
    bf16, fp8 = _p5_deps()
    bw = P5.tp * get_gpu(P5.gpu).hbm_bytes_per_s
    return (decode_ceiling_tokens_per_s(bw, weight_bytes(P5.model, "fp8"), P5.batch)
            / decode_ceiling_tokens_per_s(bw, weight_bytes(P5.model, "bf16"), P5.batch))


def _p5_ratio(fp8_weight_bytes=None, allreduce_latency_s=None):
    """fp8/bf16 tokens/s at batch 1 from the step's parts, with one part swapped for a slip."""
    bf16, fp8 = _p5_deps()
    c = ASSUMPTIONS.context
    kw = {} if allreduce_latency_s is None else {"allreduce_latency_s": allreduce_latency_s}
    sb, sf = decode_step(bf16, P5.batch, c, **kw), decode_step(fp8, P5.batch, c, **kw)
    mem = sf.memory_s
    if fp8_weight_bytes is not None:  # the same bandwidth, other bytes
        mem = mem * (1 - (weight_bytes(P5.model, "fp8") - fp8_weight_bytes)
                     / (weight_bytes(P5.model, "fp8") + P5.batch * c
                        * kv_bytes_per_token(P5.model, fp8.kv)))
    return sb.step_time_s / (max(mem, sf.compute_s) + sf.comm_s)


def _p5_at_max_batch():
    c = ASSUMPTIONS.context
    bf16, fp8 = _p5_deps()
    return (decode_tokens_per_s(fp8, fit(fp8, c).max_batch, c)
            / decode_tokens_per_s(bf16, fit(bf16, c).max_batch, c))


def _p6_month_tokens():
    return P6.peak_tokens_per_hour * P6.busy_hours_per_day * ASSUMPTIONS.days_per_month


def _p6_fleets(weights=P6.weights, kv=None):
    peak_factor = 24 / P6.busy_hours_per_day  # peak rate / 24-hour average rate
    return fleet_options(P6.model, P6.gpu, weights, _p6_month_tokens(), P6.usd_per_gpu_hour,
                         peak_factor, ASSUMPTIONS.headroom, kv=kv, point=P3.point, profile=P3.profile)


def _p6_monthly(weights=P6.weights, kv=None):
    return float(cheapest_fleet(_p6_fleets(weights, kv))["monthly_usd"])


def _p6_expected(weights=P6.weights, kv=None):
    return _p6_monthly(weights, kv) / (_p6_month_tokens() / 1e6)


def _p6_overnight_off():
    """The cheapest always-on fleet's GPUs, switched off outside the busy hours: rented on demand (fleets.overnight_off_plan)."""
    gpus = int(cheapest_fleet(_p6_fleets())["gpus"])
    return overnight_off_plan(gpus, P6.busy_hours_per_day, P6.gpu, days_per_month=ASSUMPTIONS.days_per_month)


def _p6_full_load():
    best = cheapest_fleet(_p6_fleets())
    return usd_per_million_tokens(P6.usd_per_gpu_hour * best["tp"],
                                  best["tokens_per_s_per_replica"])


def _p7_price(tier, point=P7.point):
    return usd_per_million_tokens(gpu_usd_per_hour(P7.gpu, tier, point), P7.tokens_per_s_per_gpu)


def _p7_expected():
    return min(_p7_price(t) for t in serving_tiers())


# ---------------------------------------------------------------- concept checks: option values

def _money(x: float) -> str:
    return f"${x:,.2f}" if x >= 0.01 else f"${x:.5f}"


def _cq1_values() -> dict:
    good = usd_per_million_tokens(CQ1.usd_per_hour, CQ1.tokens_per_s)
    mult = CQ1.usd_per_hour * million_tokens_per_hour(CQ1.tokens_per_s)
    minutes = CQ1.usd_per_hour / (CQ1.tokens_per_s * 60 / 1e6)
    per_k = CQ1.usd_per_hour / (CQ1.tokens_per_s * 3600 / 1e3)
    return {"money_mult": _money(mult), "money_good": _money(good),
            "money_minutes": _money(minutes), "money_per_k": _money(per_k),
            "mtok": million_tokens_per_hour(CQ1.tokens_per_s)}


def _cq3_values() -> dict:
    h100 = get_gpu(CQ3.gpu)
    dep = deployment(CQ3.model, CQ3.gpu)
    return {"ai": float(arithmetic_intensity(dep, CQ3.batches[0], CQ3.context)),
            "ridge": h100.flops_for("bf16") / h100.hbm_bytes_per_s}


def _cq4_ratio():
    return CQ4.new_hbm_bytes_per_s / CQ4.old_hbm_bytes_per_s


def _cq4_values() -> dict:
    new, old = get_gpu(CQ4.new_gpu), get_gpu(CQ4.old_gpu)
    r = _cq4_ratio()
    return {"ratio": r, "inverse": 1 / r,
            "bw_new": CQ4.new_hbm_bytes_per_s / 1e12, "bw_old": CQ4.old_hbm_bytes_per_s / 1e12,
            "new_tb_per_s": CQ4.new_hbm_bytes_per_s / 1e12,
            "old_tb_per_s": CQ4.old_hbm_bytes_per_s / 1e12,
            "cap": new.hbm_bytes / old.hbm_bytes, "new_hbm_gb": new.hbm_gb,
            "old_hbm_gb": old.hbm_gb, "same": new.flops_for("bf16") / old.flops_for("bf16")}


# ---------------------------------------------------------------- what the question data names

VLLM_MEMORY_FRACTION = 0.9  # vLLM's default gpu_memory_utilization (its engine arguments)

INPUTS = {"ASSUMPTIONS": ASSUMPTIONS, "P1": P1, "P2": P2, "P3": P3, "P4": P4, "P5": P5, "P6": P6,
          "P7": P7, "CQ1": CQ1, "CQ2": CQ2, "CQ3": CQ3, "CQ4": CQ4}

EXPECTED = {
    "p1": lambda: usd_per_million_tokens(P1.usd_per_gpu_hour, P1.tokens_per_s),
    "p2": lambda: usd_per_million_tokens(P2.usd_per_hour, P2.tokens_per_s),
    "p3": _p3_floor,
    "p4": _p4_expected,
    "p5": _p5_expected,
    "p6": _p6_expected,
    "p7": _p7_expected,
}

# slip name -> a function computing the answer with the slip applied to the question's inputs
SLIPS = {
    "p1": {
        "no_conversions": lambda: P1.usd_per_gpu_hour / P1.tokens_per_s,
        "per_token": lambda: P1.usd_per_gpu_hour / (P1.tokens_per_s * SECONDS_PER_HOUR),
        "no_hours": lambda: P1.usd_per_gpu_hour / (P1.tokens_per_s / 1e6),
    },
    "p2": {
        "node_price_times_8": lambda: usd_per_million_tokens(P2.usd_per_hour * P2.tp,
                                                             P2.tokens_per_s),
        "per_gpu_price": lambda: usd_per_million_tokens(P2.usd_per_hour / P2.tp, P2.tokens_per_s),
    },
    "p3": {
        "average_not_peak": lambda: _p3_floor(peak_factor=1.0, headroom=0.0),
        "peak_no_headroom": lambda: _p3_floor(headroom=0.0),
        "headroom_no_peak": lambda: _p3_floor(peak_factor=1.0),
        "smallest_tp": lambda: float(_p3_floors()["floor_usd_per_million"].iloc[0]),
        "tp8": lambda: float(_p3_floors().loc[8, "floor_usd_per_million"]),
        "ceiling": lambda: _p3_floor(point="ceiling"),
        "api_price": lambda: P3.api_usd_per_million,
        "monthly_bill": lambda: float(_p3_fleet()["monthly_usd"]),
        "at_this_volume": lambda: float(_p3_fleet()["monthly_usd"]) / (_p3_month_tokens() / 1e6),
    },
    "p4": {
        "all_80gb": lambda: _p4_by_hand(reserve_bytes_per_gpu=0.0, kv_fraction=1.0),
        "attention_heads": _p4_with_attention_heads,
        "kv_1_byte": lambda: _p4_by_hand(kv_scale=0.5),
        "kv_4_bytes": lambda: _p4_by_hand(kv_scale=2.0),
        "tpot_only": _p4_tpot_only,
        "chapter_tpot": lambda: _p4_chapter(P4.tpot_target_s),
        "chapter_tpot_relaxed": lambda: _p4_chapter(P4.tpot_target_relaxed_s),
    },
    "p5": {
        "weights_only_ceiling": _p5_ceiling_ratio,
        "upside_down": lambda: 1 / _p5_expected(),
        "own_max_batch": _p5_at_max_batch,
        "fp8_35gb": lambda: _p5_ratio(fp8_weight_bytes=S30_8.claimed_fp8_weights_gb * 1e9),
    },
    "p6": {
        "overnight_off": lambda: _p6_expected() * P6.busy_hours_per_day / 24,
        "overnight_on_demand": lambda: _p6_overnight_off()["monthly_usd"] / (_p6_month_tokens() / 1e6),
        "full_load": _p6_full_load,
        "api_price": lambda: P6.api_usd_per_million,
        "monthly_bill": _p6_monthly,
        "one_gpu_not_fit": lambda: P6.usd_per_gpu_hour * HOURS_PER_MONTH
        / (_p6_month_tokens() / 1e6),
    },
    "p7": {
        "spot": lambda: _p7_price("spot"),
        "on_demand": lambda: _p7_price("on_demand"),
        "low_price": lambda: min(_p7_price(t, "low") for t in serving_tiers()),
        "high_price": lambda: min(_p7_price(t, "high") for t in serving_tiers()),
        "replica_price": lambda: min(usd_per_million_tokens(
            2 * gpu_usd_per_hour(P7.gpu, t, P7.point), P7.tokens_per_s_per_gpu)
            for t in serving_tiers()),
    },
}

# answers under other defensible conventions: accepted with a note, or refused by name
ALTERNATIVES = {
    "p3": {
        "fp8_kv_fleet": lambda: _p3_floor(weights="fp8", kv="fp8"),
        "fp8_weights": lambda: _p3_floor(weights="fp8"),
        "chapter_profile": lambda: _p3_floor(profile="chapter"),
    },
    "p4": {
        "hbm_decimal_gb": lambda: _p4_by_hand(memory_bytes=P4.tp * get_gpu(P4.gpu).hbm_gb * 1e9),
        "vllm_fraction": lambda: _p4_by_hand(
            memory_bytes=P4.tp * get_gpu(P4.gpu).hbm_gb * 2**30 * VLLM_MEMORY_FRACTION,
            reserve_bytes_per_gpu=0.0, kv_fraction=1.0),
    },
    "p5": {"no_allreduce": lambda: _p5_ratio(allreduce_latency_s=0.0)},
    "p6": {"fp8_fleet": lambda: _p6_expected(weights="fp8"),
           "fp8_kv_fleet": lambda: _p6_expected(weights="fp8", kv="fp8")},
}

# hard-edge counts: why a nearby wrong count fails
EDGE_REASONS = {"p4": _p4_edge}


def _p3_values() -> dict:
    fleet = _p3_fleet()
    return {"p3_million_tokens_per_day": P3.tokens_per_day / 1e6,
            "p3_headroom_pct": P3.headroom * 100, "p3_headroom_factor": 1 + P3.headroom, "p3_sizing": P3.peak_factor * (1 + P3.headroom),
            "p3_fleet_gpus": int(fleet["gpus"]), "p3_fleet_tp": int(fleet["tp"]),
            "p3_fleet_usd": float(fleet["monthly_usd"]), "hours_per_month": HOURS_PER_MONTH}


def _p4_values() -> dict:
    kv_seq = _p4_kv_bytes_per_sequence()
    room = _p4_room()
    return {"p4_tpot_target_ms": P4.tpot_target_s * 1e3,
            "p4_kv_bytes_per_token": room["kv_bytes_per_token"],
            "p4_free_tb": room["kv_bytes"] / 1e12,
            "p4_kv_pct": room["kv_fraction"] * 100,
            "p4_reserve_gb": room["reserve_bytes"] / P4.tp / 1e9,
            "p4_gpu_gib": get_gpu(P4.gpu).hbm_gb,
            "p4_chapter_seqs": _p4_chapter(P4.tpot_target_s),
            "p4_chapter_kv_tb": _p4_chapter(P4.tpot_target_s) * kv_seq / 1e12,
            "p4_relaxed_seqs": _p4_chapter(P4.tpot_target_relaxed_s),
            "p4_relaxed_kv_tb": _p4_chapter(P4.tpot_target_relaxed_s) * kv_seq / 1e12,
            "p4_vllm_fraction": VLLM_MEMORY_FRACTION,
            "p4_hbm_gib_in_gb": get_gpu(P4.gpu).hbm_gb * 2**30 / 1e9}


# values the question texts show that are not plain inputs
TEXT_VALUES = {
    "p3": _p3_values,
    "p4": _p4_values,
    "p5": lambda: {"allreduce_us": DEFAULT_ALLREDUCE_LATENCY_S * 1e6,
                   "fp8_claimed_gb": S30_8.claimed_fp8_weights_gb},
    "p6": lambda: {"p6_million_tokens_per_hour": P6.peak_tokens_per_hour / 1e6,
                   "p6_on_demand_usd": _p6_overnight_off()["usd_per_gpu_hour"],
                   "p6_headroom_pct": ASSUMPTIONS.headroom * 100, "hours_per_month": HOURS_PER_MONTH},
    "cq1": _cq1_values,
    "cq2": lambda: {"half": cost_at_utilization(1.0, 0.5)},
    "cq3": _cq3_values,
    "cq4": _cq4_values,
}

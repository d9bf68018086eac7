"""Tests of the interview drills d1-d10 (costlib/teaching/questions_drills.py).

Expected answers are derived here by hand, with every formula written out, from the published
model architectures and datasheets and the chapter's figures; they never call the code under test.
Each hand value must pass cl.check; each drill's main diagnosis must fire on the mistake it names.
"""
from __future__ import annotations

import math
import re

import pytest

import costlib as cl
from costlib.teaching import grading

DRILLS = [f"d{i}" for i in range(1, 11)]

# ------------------------------------------------------------------ published inputs
# Llama 3.1 70B, written out by hand from its config.json (tests/reference.py)
from reference import HD, KVH, N70, D, F, H, L, V  # noqa: E402,F401
from reference import KV70_BF16 as KV  # noqa: E402

# Qwen2.5-72B config.json: 80 layers, hidden 8192, 64 heads, 8 KV heads, head dim 128,
# FFN 29568, vocab 152064, untied embeddings, bias on q, k and v.
QL, QD, QH, QKVH, QHD, QF, QV = 80, 8192, 64, 8, 128, 29568, 152064
NQWEN = (2 * QV * QD
         + QL * (QD * QH * QHD + 2 * QD * QKVH * QHD + QH * QHD * QD
                 + (QH + 2 * QKVH) * QHD                        # q, k, v biases
                 + 3 * QD * QF + 2 * QD)
         + QD)
QKV = 2 * QL * QKVH * QHD * 2
# NVIDIA H100 SXM datasheet: 80 GB, 3.35 TB/s, 989 dense bf16 TFLOP/s, 1979 dense FP8,
# NVLink 900 GB/s bidirectional = 450 GB/s per direction.
HBM, BW, BF16, FP8, LINK = 80 * 2**30, 3.35e12, 989e12, 1979e12, 450e9  # "80 GB" are 80 GiB
USABLE = 0.95 * HBM - 1e9                                       # 95% of HBM minus 1 GB
MBU, MFU = (0.60 + 0.85) / 2, (0.30 + 0.50) / 2                  # middle of §30.4's ranges
MBU_LOW, MFU_LOW = 0.60, 0.30                                   # low end of §30.4's ranges
CTX = 2048
# Prices: H100 reserved $1.50-2.00 (§30.1) -> mid $1.75; on demand $3.00-4.50 (§30.2) -> $3.75;
# DeepInfra Llama 3.3 70B: $0.23 per M input, $0.40 per M output (its pricing page, 2025-11).
RESERVED, ON_DEMAND = (1.50 + 2.00) / 2, (3.00 + 4.50) / 2
DI_IN, DI_OUT = 0.23, 0.40
# §30.10's traffic: 1M users x 10 sessions x 500 tokens a day, peak 3x average, 30% headroom.
USERS, SESSIONS, TOKENS, PEAK, HEADROOM = 1_000_000, 10, 500, 3.0, 0.3


# ------------------------------------------------------------------ hand roofline


BODY = N70 - 2 * V * D  # the transformer body: all but the input embedding and the output head


def engine_s(tp, new, pairs, kv_read, rows, bpp, mbu=MBU, mfu=MFU):
    """The master equation for Llama 3.1 70B on tp H100s (bpp bytes per body weight; FP8 -> FP8 peak):
    matmuls read the body and the 16-bit output head (not the input table) and run the body at its
    format's peak, the head at bf16; attention reads and writes the bf16 cache and runs at bf16; each
    is a roofline, their times add, plus two all-reduces per layer."""
    peak = FP8 if bpp == 1 else BF16
    bw = tp * BW * mbu
    mm = max((BODY * bpp + V * D * 2) / bw, (2 * BODY * new / peak + 2 * V * D * rows / BF16) / (tp * mfu))
    att = max((kv_read + new) * KV / bw, 4 * L * H * HD * pairs / (tp * BF16 * mfu))
    comm = 2 * L * (5e-6 + 2 * (tp - 1) / tp * new * D * 2 / LINK) if tp > 1 else 0.0
    return mm + att + comm


def step_s(tp, batch, ctx, bpp, mbu=MBU, mfu=MFU):
    """One decode step: batch new tokens attending to ctx cached ones each, batch rows of logits."""
    return engine_s(tp, batch, batch * ctx, batch * ctx, batch, bpp, mbu, mfu)


def max_batch(tp, bpp, ctx=CTX):
    resident = BODY * bpp + 2 * V * D * 2                     # both vocabulary tables stay in 16 bits
    return math.floor((tp * USABLE - resident) / KV / ctx)


def replica_tps(tp, bpp, ctx=CTX):
    """Decode tokens/s of a replica at the largest batch that fits."""
    b = max_batch(tp, bpp, ctx)
    return b / step_s(tp, b, ctx, bpp)


def prefill_s(tp, n, bpp):
    """Prefill of one n-token prompt: n new tokens, n (n + 1) / 2 causal pairs, nothing cached, one row."""
    return engine_s(tp, n, n * (n + 1) / 2, 0, 1, bpp)


def fleet_gpus(tokens_per_s_per_gpu, tp, users=USERS, peak=PEAK, headroom=HEADROOM):
    """§30.10's rubric: peak tokens/s x (1 + headroom) / per-GPU rate, in whole replicas."""
    peak_tps = users * SESSIONS * TOKENS / 86_400 * peak
    return math.ceil(peak_tps / tokens_per_s_per_gpu * (1 + headroom) / tp) * tp


# ------------------------------------------------------------------ hand answers


def hand_d1():
    per_gpu = replica_tps(2, 1) / 2
    capacity = 64 / (1 + HEADROOM) * per_gpu                  # 32 whole replicas of 2 GPUs
    per_user = SESSIONS * TOKENS / 86_400 * PEAK
    return math.floor(capacity / per_user)


def hand_d2():
    before = fleet_gpus(replica_tps(2, 2) / 2, 2)
    return max(before - fleet_gpus(replica_tps(tp, 1) / tp, tp) for tp in (1, 2))


def hand_d3(kv_per_token=KV):
    usable = 8 * USABLE                                       # 8 x (0.95 x 80 GiB - 1e9)
    weights = N70 * 2                                         # bf16
    return math.floor((usable - weights) / (kv_per_token * 32_768))


def fixed_batch_s(tp, batch, n_in, n_out, bpp, mbu=MBU, mfu=MFU):
    """Requests started together (static batching), memory by the drills' rule (no token budget):
    (prefill of all the prompts in one pass, the output_len - 1 decode steps one by one). The
    prefill runs batch x n_in new tokens, batch x n_in (n_in + 1) / 2 causal pairs, nothing cached,
    one row of logits per prompt; decode step k attends to n_in + k cached tokens per sequence."""
    pre = engine_s(tp, batch * n_in, batch * n_in * (n_in + 1) / 2, 0, batch, bpp, mbu, mfu)
    steps = [step_s(tp, batch, n_in + k, bpp, mbu, mfu) for k in range(1, n_out)]
    return pre, steps


def hand_d4(mbu=MBU_LOW, mfu=MFU_LOW):
    """Requests of 2,048 + 2,048 tokens started together; TPOT = their average decode step; the whole
    4,096 tokens of each must fit. The average step grows with the batch: bisect."""
    def tpot(b):
        steps = fixed_batch_s(4, b, 2048, 2048, 1, mbu, mfu)[1]
        return sum(steps) / len(steps)

    lo, hi = 0, max_batch(4, 1, 4096)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if tpot(mid) <= 0.025 else (lo, mid - 1)
    return lo


def hand_d5(prefill_scale=1.0):
    """16 RAG requests started together; prefill_scale=0.5 is the 'P FLOPs, not 2P' slip."""
    pre, steps = fixed_batch_s(2, 16, 8000, 300, 1)           # GPU time x TP on both sides: cancels
    pre *= prefill_scale
    return pre / (pre + sum(steps))


def hand_d6(api_in=DI_IN, api_out=DI_OUT, gpus_per_replica=2):
    n_in, n_out, tp, tokens = 1500, 500, 2, 40e9
    batch = max_batch(tp, 1, n_in + n_out)                    # whole requests in usable memory
    pre, steps = fixed_batch_s(tp, batch, n_in, n_out, 1)
    rate = (n_in + n_out) * batch / (pre + sum(steps))        # tokens/s per replica
    replicas = math.ceil(tokens / (720 * 3600) * (1 + HEADROOM) / rate)
    self_host = replicas * gpus_per_replica * RESERVED * 720
    api = tokens / 1e6 * (0.75 * api_in + 0.25 * api_out)
    return api - self_host


def hand_d8(whole=True):
    rate = replica_tps(4, 2)

    def replicas(tokens_per_hour):
        need = tokens_per_hour / 3600 * (1 + HEADROOM) / rate
        return max(1, math.ceil(need) if whole else need)

    busy, quiet = replicas(100e6), replicas(10e6)
    reserved = busy * 4 * RESERVED * 720
    autoscaled = (busy * 6 + quiet * 18) * 4 * ON_DEMAND * 30
    return reserved - autoscaled


def hand_d9():
    purchase, ops = (30_000 + 40_000) / 2, 0.15
    power_per_hour = 700 / 1000 * 1.3 * 0.10                  # kW x PUE x $/kWh
    return (1 + ops) * purchase / (8760 * (RESERVED - (1 + ops) * power_per_hour))


def hand_d10(usd_per_hour=2 * RESERVED):
    return usd_per_hour / (replica_tps(2, 1) * 3600 / 1e6 * DI_OUT)


HAND = {"d1": hand_d1(), "d2": hand_d2(), "d3": hand_d3(), "d4": hand_d4(), "d5": hand_d5(),
        "d6": hand_d6(), "d8": hand_d8(), "d9": hand_d9(), "d10": hand_d10()}


def _wrong(qid, value) -> str:
    res = cl.check(qid, value)
    assert not res.passed and res.status == "wrong", res.message
    return res.message


# ------------------------------------------------------------------ the hand derivations


def test_hand_parameter_counts_match_the_model_cards():
    assert N70 / 1e9 == pytest.approx(70.6, abs=0.05)        # Llama 3.1 70B card: 70.6B
    assert NQWEN / 1e9 == pytest.approx(72.7, abs=0.05)      # Qwen2.5-72B card: 72.7B


def test_d3_by_the_formula_of_the_brief():
    usable = 8 * (0.95 * 80 * 2**30 - 1e9)  # an H100's "80 GB" are 80 GiB
    weights = 70.55e9 * 2
    kv = 2 * 80 * 8 * 128 * 2
    assert math.floor((usable - weights) / (kv * 32768)) == HAND["d3"] == 46


@pytest.mark.parametrize("qid", sorted(HAND))
def test_hand_derived_answer_passes(qid):
    res = cl.check(qid, HAND[qid])
    assert res.passed, res.message


def test_hand_values_are_what_we_think():
    assert HAND["d2"] > 0 and HAND["d6"] > 0 and HAND["d8"] > 0
    assert 0 < HAND["d5"] < 8000 / 8300                       # a share, below the token share
    assert 0 < HAND["d10"] < 1                                # self-hosting can win here
    assert HAND["d9"] == pytest.approx(2.79, abs=0.01)
    assert HAND["d4"] < max_batch(4, 1, 4096)                 # latency binds, not memory


@pytest.mark.parametrize("qid", sorted(HAND))
def test_tolerance_boundaries(qid):
    q = grading.get_question(qid)
    x = HAND[qid]
    tol = max(q.rel_tol * abs(x), q.abs_tol)
    assert cl.check(qid, x + 0.9 * tol).passed
    assert cl.check(qid, x - 0.9 * tol).passed
    assert not cl.check(qid, x + 1.6 * tol).passed
    assert not cl.check(qid, x - 1.6 * tol).passed


def test_d7_correct_option_lists_the_gpus_that_hold_the_model_by_hand():
    need = NQWEN * 2 + 8192 * QKV
    hbm_gb = {"A100-SXM-40GB": 40, "A100-SXM-80GB": 80, "H100-SXM": 80, "H100-PCIe": 80,
              "H200-SXM": 141, "GH200": 96, "GH200-144GB": 144, "B200": 180, "GB200": 186,
              "L40S": 48, "MI300X": 192}                      # datasheets
    holds = {g for g, gb in hbm_gb.items() if 0.95 * gb * 1e9 - 1e9 >= need}
    assert holds == {"B200", "GB200", "MI300X"}
    q = grading.get_question("d7")

    def listed(text):
        return {g for g in hbm_gb if re.search(rf"(?<![\w-]){re.escape(g)}(?![\w-])", text)}

    right = [o.key for o in q.options if listed(o.text) == holds]
    assert len(right) == 1 and cl.check("d7", right[0]).passed
    for o in q.options:
        if o.key != right[0]:
            assert not cl.check("d7", o.key).passed


# ------------------------------------------------------------------ main diagnoses


def test_d1_sized_for_average():
    assert "peak" in _wrong("d1", HAND["d1"] * PEAK)


def test_d1_replica_rate_counted_per_gpu():
    assert "divide it by TP" in _wrong("d1", HAND["d1"] * 2)


def test_d2_halving_the_fleet():
    before = fleet_gpus(replica_tps(2, 2) / 2, 2)
    assert "halves the fleet" in _wrong("d2", before / 2)


def test_d2_fractional_fleets():
    peak_tps = USERS * SESSIONS * TOKENS / 86_400 * PEAK * (1 + HEADROOM)
    unrounded = peak_tps / (replica_tps(2, 2) / 2) - peak_tps / (replica_tps(2, 1) / 2)
    assert "whole number of replicas" in _wrong("d2", unrounded)


def test_d2_fp8_on_one_gpu_is_not_a_cut():
    one_gpu = fleet_gpus(replica_tps(2, 2) / 2, 2) - fleet_gpus(replica_tps(1, 1), 1)
    assert one_gpu < 0  # per GPU, fp8 TP=1 is no faster than bf16 TP=2
    msg = _wrong("d2", one_gpu)
    assert "single GPUs" in msg


def test_d3_attention_heads_instead_of_kv_heads():
    msg = _wrong("d3", hand_d3(kv_per_token=2 * L * H * HD * 2))
    assert "KV heads" in msg and "64 attention heads" in msg


def test_d3_one_byte_per_value_and_unrounded():
    assert "2 bytes" in _wrong("d3", hand_d3(kv_per_token=KV / 2))
    unrounded = (8 * USABLE - 2 * N70) / (KV * 32_768)
    assert "round down" in _wrong("d3", unrounded)


def test_d4_memory_limit_alone():
    assert "memory limit" in _wrong("d4", max_batch(4, 1, 4096))


def test_kv_room_takes_its_kv_tokens_from_the_engine_with_a_students_swaps():
    """p4's key and slips divide kv_room's KV tokens, which carry every swap, by 2,048 reserved tokens."""
    from costlib.teaching.kv_room import kv_room, largest_batch_by_memory

    dep = cl.deployment("llama-3.1-70b", "H100-SXM", tp=8)
    lim = cl.get_profile("calibrated").limits
    for swaps in ({}, {"kv_scale": 0.5}, {"memory_bytes": 8 * 80e9}, {"kv_fraction": 1.0, "reserve_bytes_per_gpu": 0.0}):
        # by hand: kv_fraction x (8 x 80 GiB - 8 reserves - bf16 weights) / (KV bytes per token x scale)
        memory = swaps.get("memory_bytes", 8 * 80 * 2**30)
        reserve = swaps.get("reserve_bytes_per_gpu", lim.reserve_bytes_per_gpu)
        tokens = (swaps.get("kv_fraction", lim.kv_fraction) * (memory - 8 * reserve - 2 * N70)
                  / (KV * swaps.get("kv_scale", 1.0)))
        room = kv_room(dep, **swaps)
        assert room["kv_capacity_tokens"] == pytest.approx(tokens, rel=1e-12), swaps
        assert largest_batch_by_memory(room, 1024, 1024) == int(tokens // 2048), swaps


def test_d4_mid_range_utilization():
    assert "low end" in _wrong("d4", hand_d4(MBU, MFU))


def test_d5_token_share_is_not_time_share():
    assert "TOKENS" in _wrong("d5", 8000 / 8300)


def test_d6_all_tokens_at_the_output_price():
    assert "output price" in _wrong("d6", hand_d6(api_in=DI_OUT))


def test_d6_replica_price_counts_every_gpu():
    assert "TP times" in _wrong("d6", hand_d6(gpus_per_replica=1))


def test_d7_nominal_hbm_option_explains_usable_memory():
    q = grading.get_question("d7")
    nominal = next(o for o in q.options if "140 GB" in o.text)
    res = cl.check("d7", nominal.key)
    assert not res.passed and "usable" in res.message and "H200-SXM" in res.message


def test_d8_whole_replicas():
    assert "whole" in _wrong("d8", hand_d8(whole=False))


def test_d9_capex_only_and_months():
    assert "purchase price" in _wrong("d9", 35_000 / (8760 * RESERVED))
    assert "months" in _wrong("d9", HAND["d9"] * 12)


def test_d10_one_gpu_price_and_upside_down():
    assert "TP times" in _wrong("d10", hand_d10(usd_per_hour=RESERVED))
    assert "upside down" in _wrong("d10", 1 / HAND["d10"])


def test_d10_on_demand_never_wins():
    u = hand_d10(usd_per_hour=2 * ON_DEMAND)
    assert u > 1  # above 1: self-hosting never matches DeepInfra at on-demand prices
    assert "on demand" in _wrong("d10", u)


# ------------------------------------------------------------------ every drill


@pytest.mark.parametrize("qid", DRILLS)
def test_drill_is_registered_with_inputs_and_hints(qid):
    q = grading.get_question(qid)
    assert q.section.startswith(f"Drill {qid[1:]} (§30.")
    assert q.inputs is not None and q.inputs.name.startswith(f"Drill {qid[1:]} (§30.")
    assert len(q.hints) >= 2
    assert not cl.check(qid, None).passed


@pytest.mark.parametrize("qid", [q for q in DRILLS if q != "d7"])
def test_every_diagnosis_is_reachable(qid):
    """Each Mistake's value gets its own message: none is shadowed or equal to the answer."""
    q = grading.get_question(qid)
    exp = grading.expected_value(qid)
    for m in q.mistakes:
        target = m.target(exp)
        res = cl.check(qid, target)
        assert not res.passed, f"{qid}: '{m.message[:40]}' is accepted as correct"
        # the question's own diagnoses are tried before the generic sign check, so even a
        # mistake with the opposite sign gets its own message
        assert m.message in res.message, f"{qid}: '{m.message[:40]}' is shadowed"


def test_d7_options_are_distinct_and_explained():
    q = grading.get_question("d7")
    assert len({o.text for o in q.options}) == len(q.options) >= 3
    assert sum(o.correct for o in q.options) == 1
    assert all(len(o.why) > 30 for o in q.options)

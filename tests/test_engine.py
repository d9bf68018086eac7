"""The one engine by hand: replica specs, the master step equation, engine limits, the three workloads (issue #13).

Every expected value is written out here from published figures: Llama 3.1 8B / 70B config.json
(layers, widths, vocabulary), the H100 SXM, B200 and GH200 datasheets, TensorRT-LLM's documented
engine defaults (KV share 0.95 of free memory, 64-token blocks, max batch 2048, 8,192 tokens per
step), and efficiencies chosen in the test (never a profile read back from costlib).
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import costlib as cl
from costlib.estimate.predict import fixed_batch_table, max_throughput_table, predict, prefill_table
from costlib.estimate.profiles import Profile, get_profile, load_profile
from costlib.physics.engine import (
    Efficiency,
    EngineLimits,
    allreduce_latency_s,
    kv_capacity_tokens,
    step_parts,
    step_time_s,
)
from costlib.physics.replica import kv_storage, replica_spec
from costlib.physics.step import DEFAULT_ALLREDUCE_LATENCY_S

# Llama 3.1 8B config.json: 32 layers, hidden 4096, 32 heads, 8 KV heads, head dim 128, MLP 14336, vocab 128256
L, D, H, KV, HD, F, V = 32, 4096, 32, 8, 128, 14336, 128256
BODY = L * (D * H * HD + 2 * D * KV * HD + H * HD * D + 3 * D * F + 2 * D) + D  # attention + MLP + norms
EMB = V * D  # one embedding table (input and output head are separate: untied)
# Llama 3.1 70B: 80 layers, hidden 8192, 64 heads, 8 KV heads, head dim 128, MLP 28672
L70, D70, H70, F70 = 80, 8192, 64, 28672
BODY70 = L70 * (D70 * H70 * HD + 2 * D70 * KV * HD + H70 * HD * D70 + 3 * D70 * F70 + 2 * D70) + D70
GIB = 2**30
H100_BW, H100_FP8, H100_BF16, H100_LINK = 3.35e12, 1979e12, 989e12, 450e9  # datasheet, dense

PLAIN = Efficiency(mbu=0.5, mfu=0.5)  # chosen here: half of the datasheet on both, nothing else


def dep(model="llama-3.1-8b", gpu="H100-SXM", tp=1, weights="fp8", kv="fp8"):
    return cl.deployment(model, gpu, tp, weights, kv)


# ---------------------------------------------------------------- the replica and its precision plan

def test_replica_spec_of_8b_fp8_on_one_h100():
    s = replica_spec(dep())
    assert s.resident_weight_bytes == pytest.approx(BODY * 1 + 2 * EMB * 2)  # body fp8, tables in 16 bits
    assert s.step_weight_bytes == pytest.approx(BODY * 1 + EMB * 2)  # the head is read, the input table not
    assert s.kv_bytes_per_token == 2 * L * KV * HD * 1
    assert s.memory_bytes == pytest.approx(80 * GIB)
    assert s.gemm_flops_per_s == H100_FP8 and s.head_flops_per_s == H100_BF16
    assert s.attention_flops_per_s == H100_FP8  # fp8 cache, fp8 attention
    assert s.body_flops_per_token == pytest.approx(2 * BODY)  # 2 FLOPs per body parameter (norms included)
    assert s.head_flops_per_token == 2 * EMB


def test_nvfp4_weights_carry_their_scales_and_an_fp4_cache_is_stored_as_fp8():
    s = replica_spec(dep("llama-3.1-70b", "B200", 1, "fp4", "fp4"))
    assert s.resident_weight_bytes == pytest.approx(BODY70 * (0.5 + 1 / 16) + 2 * V * D70 * 2)
    assert s.kv_bytes_per_token == 2 * L70 * KV * HD * 1  # one byte: FP8, not half a byte
    assert kv_storage("fp4").name == "fp8"
    assert s.gemm_flops_per_s == 9000e12  # HGX B200: 144 PFLOPS sparse FP4 / 8 GPUs / 2
    assert s.attention_flops_per_s == 4500e12  # attention at the FP8 rate


def test_the_ceiling_plan_is_looser_than_the_real_one():
    real, ideal = replica_spec(dep()), replica_spec(dep(), ideal=True)
    assert ideal.resident_weight_bytes == pytest.approx((BODY + 2 * EMB) * 1)
    assert ideal.resident_weight_bytes < real.resident_weight_bytes
    assert ideal.head_flops_per_s >= real.head_flops_per_s


def test_gh200_is_the_benchmarked_96gb_part_and_the_144gb_one_is_its_own_id():
    g, big = cl.get_gpu("GH200"), cl.get_gpu("GH200-144GB")
    assert (g.hbm_bytes, g.hbm_bytes_per_s) == (96e9, 4.0e12)  # GH200 datasheet, HBM3 variant
    assert (big.hbm_bytes, big.hbm_bytes_per_s) == (144e9, 4.9e12)  # HBM3e variant
    assert "TensorRT-LLM" in g.source and g.family == big.family == "Hopper"


# ---------------------------------------------------------------- the master equation

def test_one_decode_step_by_hand():
    b, c = 16, 1000
    p = step_parts(replica_spec(dep()), PLAIN, b, b * c, b * c, b)
    mm_mem = (BODY + EMB * 2) / (H100_BW * 0.5)
    mm_comp = (2 * (BODY - D) * b / H100_FP8 + 2 * EMB * b / H100_BF16) / 0.5
    at_mem = 2 * L * KV * HD * (b * c + b) / (H100_BW * 0.5)
    at_comp = 4 * L * H * HD * b * c / (H100_FP8 * 0.5)
    assert p.matmul_memory_s == pytest.approx(mm_mem)
    assert p.matmul_compute_s == pytest.approx(mm_comp)
    assert p.attention_memory_s == pytest.approx(at_mem)
    assert p.attention_compute_s == pytest.approx(at_comp)
    assert p.step_time_s == pytest.approx(max(mm_mem, mm_comp) + max(at_mem, at_comp))
    assert p.bound == "memory" and p.comm_s == 0


def test_tensor_parallel_adds_two_all_reduces_per_layer_and_overheads_add():
    eff = Efficiency(mbu=0.5, mfu=0.5, link_efficiency=0.5, allreduce_latency_s=10e-6, step_overhead_s=1e-3,
                     sequence_overhead_s=2e-6)
    t = 64
    p = step_parts(replica_spec(dep("llama-3.1-70b", tp=4)), eff, t, t * 500, t * 500, t)
    per = 10e-6 + 2 * 3 / 4 * t * D70 * 2 / (H100_LINK * 0.5)
    assert p.comm_s == pytest.approx(2 * L70 * per)
    assert p.overhead_s == pytest.approx(1e-3 + 2e-6 * t)


def test_the_all_reduce_latency_forms_grow_with_tp_as_written():
    # per all-reduce at TP 1, 2, 4, 8, by hand: a constant; 20 us x log2(TP) = 0, 20, 40, 60 us;
    # 5 us per ring hop x 2 (TP-1) hops = 0, 10, 30, 70 us; one GPU has no all-reduce at all
    forms = {Efficiency(allreduce_latency_s=60e-6): (0, 60e-6, 60e-6, 60e-6),
             Efficiency(allreduce_step_latency_s=20e-6): (0, 20e-6, 40e-6, 60e-6),
             Efficiency(allreduce_hop_latency_s=5e-6): (0, 10e-6, 30e-6, 70e-6)}
    tps = (1, 2, 4, 8)
    for eff, want in forms.items():
        assert [allreduce_latency_s(eff, tp) for tp in tps] == pytest.approx(want, abs=1e-15)
        assert allreduce_latency_s(eff, np.array(tps)) == pytest.approx(want, abs=1e-15)  # vectorised alike
    both = Efficiency(allreduce_latency_s=7e-6, allreduce_hop_latency_s=5e-6)
    assert allreduce_latency_s(both, 4) == pytest.approx(7e-6 + 30e-6)  # the terms add


def test_the_step_pays_its_all_reduce_latency_twice_per_layer_and_nothing_on_one_gpu():
    t = 64
    base = Efficiency(mbu=0.5, mfu=0.5, link_efficiency=0.5)
    stepped = Efficiency(mbu=0.5, mfu=0.5, link_efficiency=0.5, allreduce_step_latency_s=20e-6)
    for tp, per in ((2, 20e-6), (4, 40e-6), (8, 60e-6)):
        s = replica_spec(dep("llama-3.1-70b", tp=tp))
        extra = step_parts(s, stepped, t, t * 500, t * 500, t).comm_s - step_parts(s, base, t, t * 500, t * 500, t).comm_s
        assert extra == pytest.approx(2 * L70 * per)
    one = Efficiency(allreduce_latency_s=1e-4, allreduce_step_latency_s=1e-4, allreduce_hop_latency_s=1e-4)
    assert step_parts(replica_spec(dep()), one, t, t * 500, t * 500, t).comm_s == 0
    with pytest.raises(ValueError, match="allreduce_hop_latency_s"):
        Efficiency(allreduce_hop_latency_s=-1e-6)


def test_step_time_is_vectorised_and_grows_with_the_batch():
    b = np.arange(1, 1001, dtype=float)
    t = step_time_s(replica_spec(dep()), PLAIN, b, b * 2048, b * 2048, b)
    assert t.shape == (1000,) and np.all(np.diff(t) > 0)


def test_overlap_takes_the_larger_of_all_bytes_and_all_flops():
    s = replica_spec(dep())
    e = Efficiency(overlap=True)
    p = step_parts(s, e, 8, 8 * 100, 8 * 100, 8)
    assert p.step_time_s == pytest.approx(max(p.memory_s, p.compute_s))


def test_moe_reads_only_the_experts_a_step_touches():
    s = replica_spec(dep("mixtral-8x7b", tp=2))
    one, many = s.weights_read_bytes(1.0), s.weights_read_bytes(1e6)
    # Mixtral config: 8 experts, 2 per token, 32 layers of 3 x 4096 x 14336 each
    expert = 32 * 3 * 4096 * 14336 * 1.0
    assert many - one == pytest.approx(6 * expert, rel=1e-9)  # 2 touched by one token, all 8 by many
    t = 5.0
    assert s.weights_read_bytes(t) - one == pytest.approx((8 * (1 - (1 - 2 / 8) ** t) - 2) * expert)


# ---------------------------------------------------------------- engine limits and workloads

def test_kv_capacity_and_the_memory_limited_batch():
    lim = EngineLimits(reserve_bytes_per_gpu=2e9)
    s = replica_spec(dep())
    cap = (80 * GIB - 2e9 - (BODY + 2 * EMB * 2)) * 0.95 / (2 * L * KV * HD)
    assert kv_capacity_tokens(s, lim) == pytest.approx(cap)
    r = max_throughput_table(s, PLAIN, lim, 1000.0, 1000.0)
    assert r["batch"] == pytest.approx(min(cap / (32 * 64), 2048))  # 2,000 tokens take 32 blocks of 64


def test_steady_state_by_hand_and_the_step_budget():
    s, lim = replica_spec(dep()), EngineLimits(reserve_bytes_per_gpu=2e9)
    i, o = 500.0, 2000.0
    r = max_throughput_table(s, PLAIN, lim, i, o)
    b = r["batch"]
    new = b / o  # requests finishing (and starting) per step
    step = step_time_s(s, PLAIN, b + new * i, b * (i + o / 2) + new * i * (i + 1) / 2, b * (i + o / 2), b + new)
    assert r["step_time_s"] == pytest.approx(step) and r["tokens_per_s"] == pytest.approx(b / step)
    # a prompt-heavy shape: B + B I / O would exceed 8,192 tokens, so B shrinks to fill the budget exactly
    i, o = 20000.0, 100.0
    r = max_throughput_table(s, PLAIN, EngineLimits(reserve_bytes_per_gpu=2e9), i, o)
    assert r["batch"] * (1 + i / o) == pytest.approx(8192)


def test_a_fixed_batch_by_hand():
    s, lim = replica_spec(dep()), EngineLimits()
    b, i, o = 8, 100, 3
    pre = step_time_s(s, PLAIN, b * i, b * i * (i + 1) / 2, 0.0, b)  # 800 tokens: one chunk
    dec = sum(step_time_s(s, PLAIN, b, b * c, b * c, b) for c in (i + 1, i + 2))
    r = fixed_batch_table(s, PLAIN, lim, b, i, o)
    assert r["ttft_s"] == pytest.approx(pre)
    assert r["tokens_per_s"] == pytest.approx(b * o / (pre + dec))
    assert r["tpot_s"] == pytest.approx(dec / 2)


def test_bare_prefill_and_its_first_token_overhead():
    s = replica_spec(dep())
    t = prefill_table(s, PLAIN, EngineLimits(), 2048.0)
    assert t == pytest.approx(step_time_s(s, PLAIN, 2048.0, 2048 * 2049 / 2, 0.0, 1.0))
    prof = Profile("mine", mid=PLAIN, limits=EngineLimits(), ttft_overhead_s=0.004)
    assert cl.prefill_ttft_s(dep(), 2048, prof).mid == pytest.approx(t + 0.004)


# ---------------------------------------------------------------- profiles

def test_the_chapter_profile_is_the_chapters_ranges_without_overheads():
    p = get_profile("chapter")
    assert (p.low.mbu, p.mid.mbu, p.high.mbu) == pytest.approx((0.60, 0.725, 0.85))  # §30.4: MBU 60-85%
    assert (p.low.mfu, p.mid.mfu, p.high.mfu) == pytest.approx((0.30, 0.40, 0.50))  # MFU 30-50%
    assert p.mid.sequence_overhead_s == p.mid.step_overhead_s == 0
    # the chapter-era step's 5 us per all-reduce (a small all-reduce inside an NVLink node), shared
    assert p.mid.allreduce_latency_s == p.low.allreduce_latency_s == 5e-6 == DEFAULT_ALLREDUCE_LATENCY_S


def test_the_ceiling_is_above_every_profile():
    d = dep("llama-3.1-70b", tp=2)
    for name in ("calibrated", "chapter"):
        e = predict(d, 1000, 1000, profile=name)
        assert e.output_tokens_per_s.high <= e.output_tokens_per_s.ceiling
    c = predict(d, 1000, 1000, profile="ceiling").output_tokens_per_s
    assert c.low == c.mid == c.high == pytest.approx(c.ceiling)


def test_profiles_round_trip_through_json(tmp_path):
    p = get_profile("calibrated")
    p.save(tmp_path / "p.json")
    q = load_profile(tmp_path / "p.json")
    assert q == p
    assert get_profile(str(tmp_path / "p.json")) == p


def test_bad_profiles_and_limits_are_named():
    with pytest.raises(ValueError, match=r"profile .*calibratd.*Did you mean calibrated"):
        get_profile("calibratd")
    with pytest.raises(ValueError, match="profile file not found"):
        get_profile("nope.json")
    with pytest.raises(ValueError, match="mbu"):
        Efficiency(mbu=0.0)
    with pytest.raises(ValueError, match="max_batch"):
        EngineLimits(max_batch=0)
    with pytest.raises(ValueError, match="unknown profile key"):
        Profile.from_dict({"name": "x", "mid": {}, "limits": {}, "speed": 3})


# ---------------------------------------------------------------- predict(): the entry point

def test_predict_checks_memory_first_and_says_by_how_much():
    e = predict(dep("llama-3.1-70b", tp=1, weights="bf16", kv="bf16"), 1000, 1000)
    assert not e.fits and e.output_tokens_per_s is None
    assert "does not fit" in e.message and "short by" in e.message and "try TP=2" in e.message
    weights = (BODY70 + 2 * V * D70) * 2
    assert e.shortfall_bytes > weights - 80 * GIB


def test_predict_refuses_bad_input_by_name():
    d = dep()
    for kw, name in ((dict(input_len=0, output_len=10), "input_len"), (dict(input_len=10, output_len=-1), "output_len"),
                     (dict(input_len=10, output_len=10, n_gpus=0), "n_gpus"), (dict(input_len=10, output_len=10, batch=0), "batch")):
        with pytest.raises(ValueError, match=name):
            predict(d, **kw)
    with pytest.raises(ValueError, match="n_gpus must be a multiple of tp"):
        predict(dep("llama-3.1-70b", tp=2), 100, 100, n_gpus=3)
    with pytest.raises(ValueError, match="exceeds the 131,072-token context"):
        predict(d, 131_000, 1000)
    e = predict(d, 10, 10, batch=5000)  # 5,000 x one 64-token block fits in memory, not in the batch limit
    assert not e.fits and "max_batch of 2,048" in e.message


def test_replicas_multiply_tokens_and_bands_are_ordered():
    d = dep("llama-3.1-70b", tp=2)
    one, four = predict(d, 500, 500), predict(d, 500, 500, n_gpus=8)
    assert four.output_tokens_per_s.mid == pytest.approx(4 * one.output_tokens_per_s.mid)
    for band in (one.output_tokens_per_s, one.ttft_s, one.tpot_s):
        assert band.low <= band.mid <= band.high
    assert math.isfinite(one.ttft_s.mid) and one.batch >= 1

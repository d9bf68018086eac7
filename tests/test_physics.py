"""Memory, roofline and MoE physics, each checked against arithmetic written out by hand."""
from __future__ import annotations

import math

import numpy as np
import pytest

import costlib as cl

GB = 1e9
H100 = "H100-SXM"
USABLE_H100 = 0.95 * 80e9 - 1e9  # costlib's default: 95% of HBM minus a 1 GB reserve

# Parameter counts written out from each config.json (untied embeddings in and out, per layer
# q/k/v/o + gated MLP + two norms, final norm); the catalog tests compare them with published counts.
N8 = 2 * 128256 * 4096 + 32 * (4096 * 32 * 128 * 2 + 2 * 4096 * 8 * 128 + 3 * 4096 * 14336
                               + 2 * 4096) + 4096
from reference import N70  # noqa: E402  (Llama 3.1 70B, written out in tests/reference.py)

N405 = 2 * 128256 * 16384 + 126 * (16384 * 128 * 128 * 2 + 2 * 16384 * 8 * 128
                                   + 3 * 16384 * 53248 + 2 * 16384) + 16384
# Mixtral 8x7B: 32 layers, hidden 4096, 32 heads, 8 KV heads, 8 experts of ffn 14336, top-2,
# a router of 4096 x 8 per layer, vocab 32000
MIX_EXPERT = 3 * 4096 * 14336
MIX_SHARED = 2 * 32000 * 4096 + 32 * (4096 * 32 * 128 * 2 + 2 * 4096 * 8 * 128 + 2 * 4096
                                      + 4096 * 8) + 4096
MIX_TOTAL = MIX_SHARED + 32 * 8 * MIX_EXPERT
MIX_ACTIVE = MIX_SHARED + 32 * 2 * MIX_EXPERT

KV8 = 2 * 32 * 8 * 128 * 2  # llama-3.1-8b bf16 KV bytes per token
KV70 = 2 * 80 * 8 * 128 * 2  # llama-3.1-70b


def test_hand_counts_agree_with_the_catalog():
    assert cl.get_model("llama-3.1-8b").n_params == N8
    assert cl.get_model("llama-3.1-70b").n_params == N70
    assert cl.get_model("llama-3.1-405b").n_params == N405
    m = cl.get_model("mixtral-8x7b")
    assert (m.shared_params, m.expert_params) == (MIX_SHARED, MIX_EXPERT)
    assert (m.n_params, m.n_active_params) == (MIX_TOTAL, MIX_ACTIVE)


# ----------------------------------------------------------------- usable memory and KV

def test_usable_bytes_defaults_and_overrides():
    assert cl.usable_bytes(H100) == pytest.approx(USABLE_H100)
    assert cl.usable_bytes(H100, memory_fraction=0.9, reserve_bytes=2e9) == pytest.approx(
        0.9 * 80e9 - 2e9)
    assert cl.usable_bytes("A100-SXM-40GB") == pytest.approx(0.95 * 40e9 - 1e9)
    assert cl.usable_bytes(H100, memory_fraction=0.01, reserve_bytes=5e9) == 0.0  # never negative


def test_kv_capacity_of_llama_8b_on_one_h100():
    # (75 GB - 2 x 8.03e9) / 131,072 bytes per token
    dep = cl.deployment("llama-3.1-8b", H100)
    expected = int((USABLE_H100 - 2 * N8) // KV8)
    assert cl.kv_capacity_tokens(dep) == expected
    assert expected == pytest.approx(449_000, rel=0.01)
    assert cl.max_batch(dep, 2048) == expected // 2048


def test_kv_capacity_is_zero_when_weights_do_not_fit():
    assert cl.kv_capacity_tokens(cl.deployment("llama-3.1-70b", H100)) == 0
    assert cl.max_batch(cl.deployment("llama-3.1-70b", H100), 1) == 0


@pytest.mark.parametrize("model, gpu, tp, weights, kv, context", [
    ("llama-3.1-8b", H100, 1, "bf16", "bf16", 2048),
    ("llama-3.1-8b", "L40S", 1, "fp8", "fp8", 20000),
    ("llama-3.1-70b", H100, 2, "bf16", "bf16", 4096),
    ("llama-3.1-70b", H100, 1, "fp8", "bf16", 2048),
    ("llama-3.1-70b", "A100-SXM-80GB", 4, "bf16", "fp8", 1000),
    ("mixtral-8x7b", H100, 2, "bf16", "bf16", 8192),
    ("llama-3.1-405b", H100, 8, "fp8", "fp8", 2048),
    ("qwen2.5-72b", "H200-SXM", 2, "int4", "bf16", 32768),
])
def test_fit_and_max_batch_agree(model, gpu, tp, weights, kv, context):
    dep = cl.deployment(model, gpu, tp, weights, kv)
    mb = cl.max_batch(dep, context)
    assert mb >= 1
    assert cl.fit(dep, context=context, batch=mb).fits
    over = cl.fit(dep, context=context, batch=mb + 1)
    assert not over.fits
    assert over.shortfall_bytes > 0
    # and by hand: the largest B with weights + B x C x kv <= TP x usable
    m = cl.get_model(model)
    w = m.n_params * cl.get_precision(weights).bytes_per_value
    kv_tok = 2 * m.n_layers * m.n_kv_heads * m.head_dim * cl.get_precision(kv).bytes_per_value
    usable = tp * (0.95 * cl.get_gpu(gpu).hbm_bytes - 1e9)
    assert mb == math.floor((usable - w) / kv_tok) // context


def test_fit_result_reports_its_parts():
    dep = cl.deployment("llama-3.1-70b", H100, tp=2)
    f = cl.fit(dep, context=4096, batch=5)  # 141.1 + 6.7 GB of 150 GB
    assert f.weight_bytes == 2 * N70
    assert f.kv_bytes == 5 * 4096 * KV70
    assert f.needed_bytes == 2 * N70 + 5 * 4096 * KV70
    assert f.usable_bytes == pytest.approx(2 * USABLE_H100)
    assert f.headroom_bytes == pytest.approx(2 * USABLE_H100 - f.needed_bytes)
    assert f.shortfall_bytes == 0
    assert f.as_dict()["fits"] is True and "fits" in f.message


def test_kv_does_not_fit_message_names_both_parts():
    # weights fit (141.1 of 150 GB) but 100 x 4096 tokens of KV (134 GB) do not
    f = cl.fit(cl.deployment("llama-3.1-70b", H100, tp=2), context=4096, batch=100)
    assert not f.fits
    assert f.shortfall_bytes == pytest.approx(2 * N70 + 100 * 4096 * KV70 - 2 * USABLE_H100)
    assert "KV" in f.message and "short by" in f.message


# ----------------------------------------------------------------- smallest TP

@pytest.mark.parametrize("model, gpu, weights, expected, why", [
    ("llama-3.1-8b", H100, "bf16", 1, "16.1 GB < 75 GB"),
    ("llama-3.1-70b", H100, "bf16", 2, "141.8 GB > 75, < 150"),
    ("llama-3.1-70b", H100, "fp8", 1, "70.6 + 0.7 GB < 75"),
    ("llama-3.1-70b", "H200-SXM", "bf16", 2, "141.8 GB > 0.95 x 141 - 1 = 133"),
    ("llama-3.1-70b", "A100-SXM-40GB", "bf16", 4, "141.8 > 2 x 37 = 74, < 148"),
    ("llama-3.1-405b", H100, "bf16", None, "811.7 GB > 8 x 75 = 600"),
    ("llama-3.1-405b", H100, "fp8", 8, "405.9 GB > 4 x 75 = 300, < 600"),
    ("llama-3.1-405b", "H200-SXM", "fp8", 4, "405.9 > 2 x 133, < 4 x 133"),
    ("llama-3.1-405b", "H200-SXM", "bf16", 8, "811.7 > 4 x 133 = 532, < 1064"),
    ("mixtral-8x22b", H100, "bf16", 4, "281.3 + 0.5 GB > 150, < 300"),
    ("mixtral-8x7b", H100, "bf16", 2, "93.4 GB > 75, < 150"),
])
def test_min_tp(model, gpu, weights, expected, why):
    assert cl.min_tp(model, gpu, weights=weights) == expected, why


def test_min_tp_only_offers_divisors_of_the_kv_heads():
    # Llama 2 70B has 8 KV heads: TP 3, 5, 6, 7 are never offered
    assert cl.valid_tp("llama-3.1-70b") == [1, 2, 4, 8]
    assert cl.valid_tp("llama-2-7b") == [1, 2, 4, 8]  # 32 KV heads, capped at 8
    assert cl.valid_tp("llama-2-7b", max_tp=32) == [1, 2, 4, 8, 16, 32]


def test_405b_bf16_on_h100s_is_refused_with_a_reason():
    f = cl.fit(cl.deployment("llama-3.1-405b", H100, tp=8))
    assert not f.fits
    assert f.min_tp is None
    assert f.shortfall_bytes == pytest.approx(2 * N405 + 2048 * cl.kv_bytes_per_token(
        "llama-3.1-405b") - 8 * USABLE_H100)
    assert "no TP up to 8" in f.message


# ----------------------------------------------------------------- the roofline step

def test_ridge_batch_at_context_0_is_peak_over_bandwidth():
    # bf16: 2 FLOPs per parameter over 2 bytes per parameter, so the step turns compute-bound
    # when B = peak / bandwidth = 989e12 / 3.35e12 = 295.2
    dep = cl.deployment("llama-3.1-70b", H100, tp=2)
    r = cl.ridge_batch(dep, context=0, mbu=1.0, mfu=1.0)
    assert r == pytest.approx(989e12 / 3.35e12)
    assert r == pytest.approx(295.2, abs=0.05)
    # independent of the model and of TP for dense bf16
    assert cl.ridge_batch(cl.deployment("llama-3.1-8b", H100), 0, 1.0, 1.0) == pytest.approx(r)
    # with MBU 0.7, MFU 0.4: 295.2 x 0.4 / 0.7 = 168.7
    assert cl.ridge_batch(dep, 0, 0.7, 0.4) == pytest.approx(989 / 3.35 * 0.4 / 0.7)


def test_ridge_batch_for_other_precisions():
    # fp8 weights: 1 byte and the 1979 TFLOP/s fp8 rate -> 1979 / (2 x 3.35) = 295.4
    fp8 = cl.deployment("llama-3.1-70b", H100, weights="fp8")
    assert cl.ridge_batch(fp8, 0, 1.0, 1.0) == pytest.approx(1979e12 / (2 * 3.35e12))
    # int4 weight-only: 0.5 byte but bf16 matmuls -> 989 / (4 x 3.35) = 73.8
    int4 = cl.deployment("llama-3.1-70b", H100, weights="int4")
    assert cl.ridge_batch(int4, 0, 1.0, 1.0) == pytest.approx(989e12 / (4 * 3.35e12))


def test_ridge_batch_grows_with_context_then_never_arrives():
    # with context, each sequence adds C x kv bytes per step but only 4 L H d C FLOPs
    dep = cl.deployment("llama-3.1-70b", H100, tp=2)
    c = 512
    f_tok = 2 * N70 + 4 * 80 * c * 64 * 128
    expected = (2 * N70 / 3.35e12) / (f_tok / 989e12 - c * KV70 / 3.35e12)
    assert cl.ridge_batch(dep, c, 1.0, 1.0) == pytest.approx(expected)
    assert expected == pytest.approx(448.3, abs=0.1)  # vs 295.2 at context 0
    # past C* = (2N / peak) / (kv / bw - 4 L H d / peak) = 1,499 tokens a 70B decode step on
    # H100s is memory-bound at every batch, even at 100% MFU and MBU
    c_star = (2 * N70 / 989e12) / (KV70 / 3.35e12 - 4 * 80 * 64 * 128 / 989e12)
    assert c_star == pytest.approx(1499, abs=1)
    assert math.isfinite(cl.ridge_batch(dep, 1400, 1.0, 1.0))
    assert cl.ridge_batch(dep, 1600, 1.0, 1.0) == math.inf
    # Llama 2 7B has 32 KV heads (no GQA): the same threshold is only 87 tokens
    n7 = cl.get_model("llama-2-7b").n_params
    kv7 = 2 * 32 * 32 * 128 * 2
    c_star = (2 * n7 / 989e12) / (kv7 / 3.35e12 - 4 * 32 * 32 * 128 / 989e12)
    assert c_star == pytest.approx(87.3, abs=0.5)
    d7 = cl.deployment("llama-2-7b", H100)
    assert math.isfinite(cl.ridge_batch(d7, 64, 1.0, 1.0))
    assert cl.ridge_batch(d7, 4096, 1.0, 1.0) == math.inf


def test_step_time_components_by_hand():
    """70B bf16 on TP=2 H100s, B=64, C=2048, MBU 0.7, MFU 0.4, 5 us per all-reduce."""
    dep = cl.deployment("llama-3.1-70b", H100, tp=2)
    s = cl.decode_step(dep, batch=64, context=2048, mbu=0.7, mfu=0.4, allreduce_latency_s=5e-6)
    # memory: all weights + 64 x 2048 tokens of KV, over 2 GPUs at 70% of 3.35 TB/s
    mem = (2 * N70 + 64 * 2048 * KV70) / (2 * 3.35e12 * 0.7)
    # compute: 64 tokens x (2 x 70.55e9 + 4 x 80 layers x 2048 x 64 heads x 128), 2 GPUs at 40%
    comp = 64 * (2 * N70 + 4 * 80 * 2048 * 64 * 128) / (2 * 989e12 * 0.4)
    # two ring all-reduces per layer of 64 x 8192 bf16 activations: latency + 2 (tp-1)/tp x bytes
    comm = 2 * 80 * (5e-6 + 2 * (2 - 1) / 2 * 64 * 8192 * 2 / 450e9)
    assert s.memory_s == pytest.approx(mem)
    assert s.compute_s == pytest.approx(comp)
    assert s.comm_s == pytest.approx(comm)
    assert s.step_time_s == pytest.approx(max(mem, comp) + comm)
    assert s.tokens_per_s == pytest.approx(64 / (max(mem, comp) + comm))
    assert s.bound == "memory" and mem > comp
    assert mem == pytest.approx(0.0392, abs=1e-4)  # 184.1 GB / 4.69 TB/s
    assert cl.tpot_s(dep, 64, 2048, 0.7, 0.4) == pytest.approx(s.step_time_s)
    assert cl.step_time_s(dep, 64, 2048, 0.7, 0.4) == pytest.approx(s.step_time_s)


def test_comm_term_is_zero_on_one_gpu():
    dep = cl.deployment("llama-3.1-8b", H100)
    s = cl.decode_step(dep, 32, 1024, 0.7, 0.4, allreduce_latency_s=1e-3)
    assert s.comm_s == 0.0
    assert s.step_time_s == pytest.approx(max(s.memory_s, s.compute_s))
    assert s.memory_s == pytest.approx((2 * N8 + 32 * 1024 * KV8) / (3.35e12 * 0.7))


def test_compute_bound_at_large_batch_and_short_context():
    # 8B at B=1024, C=16: compute 1024 x 2 x 8.03e9 / (989e12 x 0.4) = 41.6 ms beats memory
    dep = cl.deployment("llama-3.1-8b", H100)
    s = cl.decode_step(dep, 1024, 16, 0.7, 0.4)
    comp = 1024 * (2 * N8 + 4 * 32 * 16 * 32 * 128) / (989e12 * 0.4)
    assert s.bound == "compute"
    assert s.compute_s == pytest.approx(comp)
    assert s.step_time_s == pytest.approx(comp)


def test_decode_step_broadcasts_arrays():
    dep = cl.deployment("llama-3.1-8b", H100)
    b = np.array([1, 8, 64])
    s = cl.decode_step(dep, b, 2048, 0.7, 0.4)
    mem = (2 * N8 + b * 2048 * KV8) / (3.35e12 * 0.7)
    np.testing.assert_allclose(s.memory_s, mem)
    assert list(s.bound) == ["memory"] * 3


def test_arithmetic_intensity_and_attainable_flops():
    # dense bf16 at context 0: B x 2N FLOPs over 2N bytes = B FLOP/byte
    dep = cl.deployment("llama-3.1-8b", H100)
    assert cl.arithmetic_intensity(dep, 64, 0) == pytest.approx(64)
    ai = cl.arithmetic_intensity(dep, 64, 2048)
    assert ai == pytest.approx(64 * (2 * N8 + 4 * 32 * 2048 * 32 * 128) / (2 * N8 + 64 * 2048 * KV8))
    assert cl.attainable_flops(989e12, 3.35e12, 64) == pytest.approx(64 * 3.35e12)
    assert cl.attainable_flops(989e12, 3.35e12, 1000) == 989e12


def test_prefill_is_compute_bound_by_hand():
    dep = cl.deployment("llama-3.1-8b", H100)
    n = 2000
    flops = 2 * N8 * n + 2 * 32 * 32 * 128 * n * n  # causal attention: half of 4 L H d n^2
    assert cl.prefill_time_s(dep, n, mfu=0.4) == pytest.approx(flops / (989e12 * 0.4))
    assert cl.prefill_tokens_per_s(dep, n, mfu=0.4) == pytest.approx(n / (flops / (989e12 * 0.4)))


def test_decode_estimate_brackets():
    dep = cl.deployment("llama-3.1-70b", H100, tp=2)
    e = cl.decode_estimate(dep, 64, 2048)
    assert e["low"] < e["mid"] < e["high"] < e["ceiling"]
    # memory-bound, so each is ~ MBU x the ceiling's memory rate (TP comm is small)
    assert e["low"] / e["high"] == pytest.approx(0.60 / 0.85, rel=0.02)


# ----------------------------------------------------------------- mixture of experts

def test_moe_batch_1_reads_shared_weights_and_two_of_eight_experts():
    dep = cl.deployment("mixtral-8x7b", H100, tp=2)
    assert cl.weight_bytes_read_per_step(dep, 1) == pytest.approx(2 * (MIX_SHARED
                                                                        + 32 * 2 * MIX_EXPERT))
    # batch 2: 8 x (1 - (6/8)^2) = 3.5 experts per layer expected (uniform routing)
    assert cl.weight_bytes_read_per_step(dep, 2) == pytest.approx(2 * (MIX_SHARED
                                                                        + 32 * 3.5 * MIX_EXPERT))


def test_moe_weight_reads_grow_with_batch_towards_the_total():
    dep = cl.deployment("mixtral-8x7b", H100, tp=2)
    batches = np.array([1, 2, 4, 8, 16, 32, 64, 128])
    read = cl.weight_bytes_read_per_step(dep, batches)
    assert np.all(np.diff(read) > 0)
    assert read[-1] <= 2 * MIX_TOTAL
    assert read[-1] == pytest.approx(2 * MIX_TOTAL, rel=1e-9)  # (3/4)^128 ~ 1e-16
    assert read[0] / (2 * MIX_TOTAL) == pytest.approx(MIX_ACTIVE / MIX_TOTAL)


def test_dense_weight_reads_do_not_depend_on_batch():
    dep = cl.deployment("llama-3.1-8b", H100)
    assert cl.weight_bytes_read_per_step(dep, 1) == cl.weight_bytes_read_per_step(dep, 256) == 2 * N8


def test_moe_flops_use_active_parameters():
    dep = cl.deployment("mixtral-8x7b", H100, tp=2)
    s = cl.decode_step(dep, 512, 0, mbu=0.7, mfu=0.4)
    assert s.compute_s == pytest.approx(512 * 2 * MIX_ACTIVE / (2 * 989e12 * 0.4))
    assert s.compute_s < 512 * 2 * MIX_TOTAL / (2 * 989e12 * 0.4) / 3


def test_moe_ridge_is_the_fixed_point_of_growing_weight_reads():
    # at the ridge B: B x 2 x active / peak = bytes_read(B) / bw (context 0, MBU = MFU = 1)
    dep = cl.deployment("mixtral-8x7b", H100, tp=2)
    r = cl.ridge_batch(dep, 0, 1.0, 1.0)
    touched = 8 * (1 - (1 - 2 / 8) ** r)
    read = 2 * (MIX_SHARED + 32 * touched * MIX_EXPERT)
    assert r * 2 * MIX_ACTIVE / 989e12 == pytest.approx(read / 3.35e12, rel=1e-6)
    # far above the dense 295 because each token only uses 12.9 of 46.7B parameters
    assert r > 989 / 3.35 * 2

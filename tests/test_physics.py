"""Memory, roofline and MoE physics, each checked against arithmetic written out by hand."""
from __future__ import annotations

import math

import numpy as np
import pytest

import costlib as cl

GB = 1e9
GIB = 2**30
H100 = "H100-SXM"
# costlib's default: 95% of HBM minus a 1 GB reserve; a datasheet's "80 GB" are 80 GiB (85.9e9 bytes)
USABLE_H100 = 0.95 * 80 * GIB - 1e9
BW, BF16, FP8, LINK = 3.35e12, 989e12, 1979e12, 450e9  # H100 SXM datasheet: HBM, dense peaks, NVLink per direction

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
# one vocabulary x hidden table: the input embedding is looked up, the output head is read every step
VD8, VD70, VDMIX = 128256 * 4096, 128256 * 8192, 32000 * 4096
# 4 x layers x heads x head_dim FLOPs per (query, key) pair: scores and weighted values
PAIR8, PAIR70 = 4 * 32 * 32 * 128, 4 * 80 * 64 * 128


def test_hand_counts_agree_with_the_catalog():
    assert cl.get_model("llama-3.1-8b").n_params == N8
    assert cl.get_model("llama-3.1-70b").n_params == N70
    assert cl.get_model("llama-3.1-405b").n_params == N405
    m = cl.get_model("mixtral-8x7b")
    assert (m.shared_params, m.expert_params) == (MIX_SHARED, MIX_EXPERT)
    assert (m.n_params, m.n_active_params) == (MIX_TOTAL, MIX_ACTIVE)


# ----------------------------------------------------------------- usable memory and KV
# One accounting (the engine's): the resident weights are the body in its format plus its block scales
# and both vocabulary tables in 16 bits; a token's KV is stored as written, except FP4 kept as FP8.

SCALE_BYTES = {"int4": 2 / 128, "fp4": 1 / 16}  # INT4 (AWQ/GPTQ): a 16-bit scale per 128; NVFP4: FP8 per 16


def resident_by_hand(model, weights):
    m = cl.get_model(model)
    tables = m.vocab_size * m.hidden_size * (1 if m.tied_embeddings else 2)
    body = m.n_params - tables
    return body * (cl.get_precision(weights).bytes_per_value + SCALE_BYTES.get(weights, 0.0)) + tables * 2


def test_usable_bytes_defaults_and_overrides():
    assert cl.usable_bytes(H100) == pytest.approx(USABLE_H100)
    assert cl.usable_bytes(H100, memory_fraction=0.9, reserve_bytes=2e9) == pytest.approx(
        0.9 * 80 * GIB - 2e9)
    assert cl.usable_bytes("A100-SXM-40GB") == pytest.approx(0.95 * 40 * GIB - 1e9)
    assert cl.usable_bytes(H100, memory_fraction=0.01, reserve_bytes=5e9) == 0.0  # never negative


def test_kv_capacity_of_llama_8b_on_one_h100():
    # (80.6 GB - 2 x 8.03e9 bf16 weights) / 131,072 bytes per token
    dep = cl.deployment("llama-3.1-8b", H100)
    expected = int((USABLE_H100 - 2 * N8) // KV8)
    assert cl.kv_capacity_tokens(dep) == expected
    assert expected == pytest.approx(492_430, abs=1)
    assert cl.max_batch(dep, 2048) == expected // 2048


def test_kv_capacity_is_zero_when_weights_do_not_fit():
    assert cl.kv_capacity_tokens(cl.deployment("llama-3.1-70b", H100)) == 0
    assert cl.max_batch(cl.deployment("llama-3.1-70b", H100), 1) == 0


def test_kv_bytes_per_token_are_as_stored():
    assert cl.kv_bytes_per_token("llama-3.1-70b") == KV70
    assert cl.kv_bytes_per_token("llama-3.1-70b", "fp8") == KV70 / 2
    assert cl.kv_bytes_per_token("llama-3.1-70b", "fp4") == KV70 / 2  # an FP4 cache is kept as FP8


@pytest.mark.parametrize("model, gpu, tp, weights, kv, context", [
    ("llama-3.1-8b", H100, 1, "bf16", "bf16", 2048),
    ("llama-3.1-8b", "L40S", 1, "fp8", "fp8", 20000),
    ("llama-3.1-70b", H100, 2, "bf16", "bf16", 4096),
    ("llama-3.1-70b", H100, 1, "fp8", "bf16", 2048),
    ("llama-3.1-70b", "A100-SXM-80GB", 4, "bf16", "fp8", 1000),
    ("mixtral-8x7b", H100, 2, "bf16", "bf16", 8192),
    ("llama-3.1-405b", H100, 8, "fp8", "fp8", 2048),
    ("qwen2.5-72b", "H200-SXM", 2, "int4", "bf16", 32768),
    ("llama-3.1-70b", "B200", 1, "fp4", "fp4", 8192),
])
def test_fit_and_max_batch_agree(model, gpu, tp, weights, kv, context):
    dep = cl.deployment(model, gpu, tp, weights, kv)
    mb = cl.max_batch(dep, context)
    assert mb >= 1
    assert cl.fit(dep, context=context, batch=mb).fits
    over = cl.fit(dep, context=context, batch=mb + 1)
    assert not over.fits
    assert over.shortfall_bytes > 0
    # and by hand: the largest B with resident weights + B x C x stored KV <= TP x usable
    m = cl.get_model(model)
    w = resident_by_hand(model, weights)
    kv_tok = 2 * m.n_layers * m.n_kv_heads * m.head_dim * {"bf16": 2, "fp8": 1, "fp4": 1}[kv]
    usable = tp * (0.95 * cl.get_gpu(gpu).hbm_bytes / 1e9 * GIB - 1e9)
    assert mb == math.floor((usable - w) / kv_tok) // context


def test_fit_result_reports_its_parts():
    dep = cl.deployment("llama-3.1-70b", H100, tp=2)
    f = cl.fit(dep, context=4096, batch=5)  # 141.1 + 6.7 GB of 161.2 GB
    assert f.weight_bytes == 2 * N70  # bf16: body and both tables at 2 bytes
    assert f.kv_bytes == 5 * 4096 * KV70
    assert f.needed_bytes == 2 * N70 + 5 * 4096 * KV70
    assert f.usable_bytes == pytest.approx(2 * USABLE_H100)
    assert f.headroom_bytes == pytest.approx(2 * USABLE_H100 - f.needed_bytes)
    assert f.shortfall_bytes == 0
    assert f.as_dict()["fits"] is True and "fits" in f.message


def test_fit_counts_the_resident_weights_not_params_times_bytes():
    # fp8 70B: the body at 1 byte, the two 128,256 x 8,192 tables at 2 bytes: 72.65 GB, not 70.55
    f = cl.fit(cl.deployment("llama-3.1-70b", H100, weights="fp8"), context=2048)
    assert f.weight_bytes == (N70 - 2 * VD70) * 1 + 2 * VD70 * 2
    assert f.weight_bytes > cl.weight_bytes("llama-3.1-70b", "fp8") == N70


def test_kv_does_not_fit_message_names_both_parts():
    # weights fit (141.1 of 161.2 GB) but 100 x 4096 tokens of KV (134 GB) do not
    f = cl.fit(cl.deployment("llama-3.1-70b", H100, tp=2), context=4096, batch=100)
    assert not f.fits
    assert f.shortfall_bytes == pytest.approx(2 * N70 + 100 * 4096 * KV70 - 2 * USABLE_H100)
    assert "KV" in f.message and "short by" in f.message and "GB" in f.message and "try TP=4" in f.message


def test_fit_with_a_profiles_limits_admits_what_predict_admits():
    # the calibrated profile: reserve R per GPU, KV gets 0.95 of the rest, whole requests in 64-token blocks
    from costlib.estimate.profiles import get_profile

    prof = get_profile("calibrated")
    lim = prof.limits
    dep = cl.deployment("llama-3.1-70b", H100, 2, "fp8", "fp8")
    per = 2048  # 1,000 + 1,000 tokens rounded up to 64-token blocks
    w = (N70 - 2 * VD70) + 2 * VD70 * 2
    free = 2 * 80 * GIB - 2 * lim.reserve_bytes_per_gpu - w
    cap = math.floor(free * lim.kv_fraction / (KV70 / 2))
    assert cl.kv_capacity_tokens(dep, lim) == cap
    b = cap // per
    assert cl.max_batch(dep, per, lim) == b
    for batch in (b, b + 1):
        f = cl.fit(dep, context=per, batch=batch, limits=lim)
        e = cl.predict(dep, 1000, 1000, batch=batch, profile=prof)
        assert f.fits == e.fits == (batch == b)
        assert f.shortfall_bytes == pytest.approx(e.shortfall_bytes)


# ----------------------------------------------------------------- smallest TP
# usable per GPU: 0.95 x GiB - 1 GB = 80.6 GB (H100), 142.8 GB (H200, 141 GB), 39.8 GB (A100 40 GB)

@pytest.mark.parametrize("model, gpu, weights, expected, why", [
    ("llama-3.1-8b", H100, "bf16", 1, "16.1 GB < 80.6 GB"),
    ("llama-3.1-70b", H100, "bf16", 2, "141.1 + 0.7 GB > 80.6, < 161.2"),
    ("llama-3.1-70b", H100, "fp8", 1, "72.7 + 0.7 GB < 80.6 (tables in 16 bits)"),
    ("llama-3.1-70b", "H200-SXM", "bf16", 1, "141.1 + 0.7 GB < 0.95 x 151.4 - 1 = 142.8"),
    ("llama-3.1-70b", "A100-SXM-40GB", "bf16", 4, "141.8 > 2 x 39.8 = 79.6, < 159.2"),
    ("llama-3.1-405b", H100, "bf16", None, "811.7 GB > 8 x 80.6 = 644.8"),
    ("llama-3.1-405b", H100, "fp8", 8, "410.1 GB > 4 x 80.6 = 322.4, < 644.8"),
    ("llama-3.1-405b", "H200-SXM", "fp8", 4, "410.1 + 1.1 > 2 x 142.8, < 4 x 142.8"),
    ("llama-3.1-405b", "H200-SXM", "bf16", 8, "811.7 > 4 x 142.8 = 571, < 1,142"),
    ("mixtral-8x22b", H100, "bf16", 4, "281.3 + 0.5 GB > 161.2, < 322.4"),
    ("mixtral-8x7b", H100, "bf16", 2, "93.4 GB > 80.6, < 161.2"),
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
    assert f.shortfall_bytes == pytest.approx(2 * N405 + 2048 * 2 * 126 * 8 * 128 * 2 - 8 * USABLE_H100)
    assert "no TP up to 8" in f.message


# ----------------------------------------------------------------- the roofline step
# The engine's master equation for a decode step at batch B, context C: matmuls read the weights
# (body + output head) and do B x (2 x body params + 2 x V x D) FLOPs; attention reads B x C tokens of
# KV, writes B, and does B x C x 4 L H d FLOPs; each kernel is its own roofline; TP adds all-reduces.

def test_ridge_batch_at_context_0_is_about_peak_over_bandwidth():
    # bf16 70B on 2 H100s, MBU = MFU = 1: the weights read W = 2 (N - V D) bytes take W / bw; each
    # sequence costs W / peak of arithmetic and writes its new token's KV, so B = (W/bw) / (W/peak - kv/bw)
    dep = cl.deployment("llama-3.1-70b", H100, tp=2)
    w = 2 * (N70 - VD70)
    r = cl.ridge_batch(dep, context=0, mbu=1.0, mfu=1.0)
    assert r == pytest.approx((w / (2 * BW)) / (w / (2 * BF16) - KV70 / (2 * BW)))
    assert r == pytest.approx(295.4, abs=0.05)  # ~ peak / bandwidth = 989 / 3.35 = 295.2
    # nearly independent of the model for dense bf16 (the KV write is a 2e-5 share of the bytes)
    assert cl.ridge_batch(cl.deployment("llama-3.1-8b", H100), 0, 1.0, 1.0) == pytest.approx(r, rel=2e-3)
    # with MBU 0.7, MFU 0.4
    assert cl.ridge_batch(dep, 0, 0.7, 0.4) == pytest.approx(
        (w / (2 * BW * 0.7)) / (w / (2 * BF16 * 0.4) - KV70 / (2 * BW * 0.7)))


def test_ridge_batch_for_other_precisions():
    # fp8 weights and cache: the body at 1 byte and the fp8 rate, the head at 2 bytes and the bf16 rate
    fp8 = cl.deployment("llama-3.1-70b", H100, weights="fp8", kv="fp8")
    w = (N70 - 2 * VD70) + VD70 * 2
    per_seq = 2 * (N70 - 2 * VD70) / FP8 + 2 * VD70 / BF16 - (KV70 / 2) / BW
    assert cl.ridge_batch(fp8, 0, 1.0, 1.0) == pytest.approx(w / BW / per_seq)
    # int4 weight-only: 0.5 byte + a 2-byte scale per 128, but bf16 matmuls -> ~ 989 / (4 x 3.35) = 73.8
    int4 = cl.deployment("llama-3.1-70b", H100, weights="int4")
    w4 = (N70 - 2 * VD70) * (0.5 + 2 / 128) + VD70 * 2
    r4 = cl.ridge_batch(int4, 0, 1.0, 1.0)
    assert r4 == pytest.approx(w4 / BW / (2 * (N70 - VD70) / BF16 - KV70 / BW))
    assert r4 == pytest.approx(79.5, abs=0.5)  # above 73.8: the scales and the 16-bit head add bytes


def test_ridge_batch_grows_with_context_then_never_arrives():
    # with context, each sequence adds (C + 1) x kv bytes per step but only C x 4 L H d FLOPs
    dep = cl.deployment("llama-3.1-70b", H100, tp=2)
    w, c = 2 * (N70 - VD70), 512
    expected = (w / (2 * BW)) / ((w + PAIR70 * c) / (2 * BF16) - KV70 * (c + 1) / (2 * BW))
    assert cl.ridge_batch(dep, c, 1.0, 1.0) == pytest.approx(expected)
    assert expected == pytest.approx(452.4, abs=0.1)  # vs 295.4 at context 0
    # past C* = (W / peak - kv / bw) / (kv / bw - 4 L H d / peak) = 1,476 tokens a 70B decode step on
    # H100s is memory-bound at every batch, even at 100% MFU and MBU
    c_star = (w / BF16 - KV70 / BW) / (KV70 / BW - PAIR70 / BF16)
    assert c_star == pytest.approx(1476, abs=1)
    assert math.isfinite(cl.ridge_batch(dep, 1400, 1.0, 1.0))
    assert cl.ridge_batch(dep, 1600, 1.0, 1.0) == math.inf
    # Llama 2 7B has 32 KV heads (no GQA): the same threshold is only ~85 tokens
    m7 = cl.get_model("llama-2-7b")
    w7 = 2 * (m7.n_params - 32000 * 4096)
    kv7 = 2 * 32 * 32 * 128 * 2
    c_star = (w7 / BF16 - kv7 / BW) / (kv7 / BW - 4 * 32 * 32 * 128 / BF16)
    assert c_star == pytest.approx(84.7, abs=0.5)
    d7 = cl.deployment("llama-2-7b", H100)
    assert math.isfinite(cl.ridge_batch(d7, 64, 1.0, 1.0))
    assert cl.ridge_batch(d7, 4096, 1.0, 1.0) == math.inf


def test_ridge_batch_is_where_decode_step_changes_its_bound():
    for dep, c in ((cl.deployment("llama-3.1-70b", H100, tp=2), 512),
                   (cl.deployment("mixtral-8x7b", H100, tp=2, weights="fp8"), 256)):
        r = cl.ridge_batch(dep, c, 0.7, 0.4)
        assert cl.decode_step(dep, math.floor(r), c, 0.7, 0.4).bound == "memory"
        assert cl.decode_step(dep, math.ceil(r) + 1, c, 0.7, 0.4).bound == "compute"


def test_step_time_components_by_hand():
    """70B bf16 on TP=2 H100s, B=64, C=2048, MBU 0.7, MFU 0.4, 5 us per all-reduce."""
    dep = cl.deployment("llama-3.1-70b", H100, tp=2)
    s = cl.decode_step(dep, batch=64, context=2048, mbu=0.7, mfu=0.4, allreduce_latency_s=5e-6)
    bw, peak = 2 * BW * 0.7, 2 * BF16 * 0.4
    # matmuls: the body and the output head (not the input table), 2 bytes each; 64 tokens x 2 FLOPs/param
    mm_mem = 2 * (N70 - VD70) / bw
    mm_comp = 64 * 2 * (N70 - VD70) / peak
    # attention: 64 x 2048 cached tokens read + 64 written; 64 x 2048 (query, key) pairs
    at_mem = (64 * 2048 + 64) * KV70 / bw
    at_comp = 64 * 2048 * PAIR70 / peak
    # two ring all-reduces per layer of 64 x 8192 bf16 activations: latency + 2 (tp-1)/tp x bytes
    comm = 2 * 80 * (5e-6 + 2 * (2 - 1) / 2 * 64 * 8192 * 2 / LINK)
    step = max(mm_mem, mm_comp) + max(at_mem, at_comp) + comm
    assert s.memory_s == pytest.approx(mm_mem + at_mem)
    assert s.compute_s == pytest.approx(mm_comp + at_comp)
    assert s.comm_s == pytest.approx(comm)
    assert s.step_time_s == pytest.approx(step)
    assert s.tokens_per_s == pytest.approx(64 / step)
    assert s.bound == "memory" and mm_mem + at_mem > mm_comp + at_comp
    assert mm_mem + at_mem == pytest.approx(0.0389, abs=1e-4)  # 182.1 GB / 4.69 TB/s
    assert cl.tpot_s(dep, 64, 2048, 0.7, 0.4) == pytest.approx(s.step_time_s)
    assert cl.step_time_s(dep, 64, 2048, 0.7, 0.4) == pytest.approx(s.step_time_s)


def test_comm_term_is_zero_on_one_gpu():
    dep = cl.deployment("llama-3.1-8b", H100)
    s = cl.decode_step(dep, 32, 1024, 0.7, 0.4, allreduce_latency_s=1e-3)
    assert s.comm_s == 0.0
    p = s.parts
    assert s.step_time_s == pytest.approx(max(p.matmul_memory_s, p.matmul_compute_s)
                                          + max(p.attention_memory_s, p.attention_compute_s))
    assert s.memory_s == pytest.approx((2 * (N8 - VD8) + (32 * 1024 + 32) * KV8) / (BW * 0.7))


def test_compute_bound_at_large_batch_and_short_context():
    # 8B at B=1024, C=16: matmuls 1024 x 2 x 7.0e9 / (989e12 x 0.4) = 35.5 ms beat their 6.4 ms of
    # weight reads; attention's 17,408 tokens of KV (1.0 ms) beat its 8.6 GFLOPs (0.02 ms)
    dep = cl.deployment("llama-3.1-8b", H100)
    s = cl.decode_step(dep, 1024, 16, 0.7, 0.4)
    mm_comp = 1024 * 2 * (N8 - VD8) / (BF16 * 0.4)
    at_mem = (1024 * 16 + 1024) * KV8 / (BW * 0.7)
    assert s.bound == "compute"
    assert s.compute_s == pytest.approx(mm_comp + 1024 * 16 * PAIR8 / (BF16 * 0.4))
    assert s.step_time_s == pytest.approx(mm_comp + at_mem)


def test_decode_step_broadcasts_arrays():
    dep = cl.deployment("llama-3.1-8b", H100)
    b = np.array([1, 8, 64])
    s = cl.decode_step(dep, b, 2048, 0.7, 0.4)
    mem = (2 * (N8 - VD8) + b * 2049 * KV8) / (BW * 0.7)
    np.testing.assert_allclose(s.memory_s, mem)
    assert list(s.bound) == ["memory"] * 3
    c = np.array([0.0, 512.0, 4096.0])  # and a context sweep at one batch
    s = cl.decode_step(dep, 8, c, 0.7, 0.4)
    assert np.shape(s.step_time_s) == np.shape(s.comm_s) == np.shape(s.memory_s) == (3,)


def test_decode_step_is_the_engines_step():
    from costlib.physics.engine import Efficiency, step_parts
    from costlib.physics.replica import replica_spec

    for dep in (cl.deployment("llama-3.1-70b", H100, 4, "fp8", "fp8"),
                cl.deployment("mixtral-8x7b", H100, 2, "bf16"), cl.deployment("llama-3.1-8b", "B200", 1, "fp4")):
        b, c = np.array([1.0, 16.0, 256.0]), 3000.0
        eff = Efficiency(mbu=0.7, mfu=0.45, allreduce_latency_s=7e-6)
        p = step_parts(replica_spec(dep), eff, b, b * c, b * c, b)
        s = cl.decode_step(dep, b, c, 0.7, 0.45, allreduce_latency_s=7e-6)
        np.testing.assert_allclose(s.step_time_s, p.step_time_s, rtol=1e-12)
        np.testing.assert_allclose(s.memory_s, p.memory_s, rtol=1e-12)
        np.testing.assert_allclose(s.compute_s, p.compute_s, rtol=1e-12)
        np.testing.assert_allclose(s.comm_s, p.comm_s, rtol=1e-12)
        assert list(s.bound) == list(p.bound)
        n = 1500.0  # prefill: n new tokens, n (n + 1) / 2 pairs, nothing cached, one row of logits
        assert cl.prefill_time_s(dep, n, 0.45, 0.7, allreduce_latency_s=7e-6) == pytest.approx(
            step_parts(replica_spec(dep), eff, n, n * (n + 1) / 2, 0.0, 1.0).step_time_s, rel=1e-12)


def test_predict_with_the_chapter_profile_is_decode_step_at_the_chapters_mid():
    # one engine, two doors: static batching of 1,000-token prompts and 200 output tokens
    dep = cl.deployment("llama-3.1-70b", H100, 4, "bf16")
    mbu, mfu = (0.60 + 0.85) / 2, (0.30 + 0.50) / 2  # §30.4's ranges, their middles
    i, o = 1000, 200
    ctx = i + np.arange(1, o)  # the o - 1 decode steps after the first token
    e = cl.predict(dep, i, o, batch=1, profile="chapter")
    t = cl.prefill_time_s(dep, i, mfu, mbu) + np.sum(cl.step_time_s(dep, 1, ctx, mbu, mfu))
    assert e.output_tokens_per_s.mid == pytest.approx(o / t, rel=1e-9)
    assert e.ttft_s.mid == pytest.approx(cl.prefill_time_s(dep, i, mfu, mbu), rel=1e-9)
    e64 = cl.predict(dep, i, o, batch=64, profile="chapter")
    assert e64.tpot_s.mid == pytest.approx(np.mean(cl.step_time_s(dep, 64, ctx, mbu, mfu)), rel=1e-9)
    assert cl.decode_tokens_per_s(dep, 64, i + o / 2) == pytest.approx(64 / e64.tpot_s.mid, rel=0.01)


def test_arithmetic_intensity_and_attainable_flops():
    # dense bf16 at context 0: B x 2 (N - V D) FLOPs over 2 (N - V D) bytes + B tokens of KV written
    dep = cl.deployment("llama-3.1-8b", H100)
    w = 2 * (N8 - VD8)
    assert cl.arithmetic_intensity(dep, 64, 0) == pytest.approx(64 * w / (w + 64 * KV8))
    assert cl.arithmetic_intensity(dep, 64, 0) == pytest.approx(64, rel=1e-3)
    ai = cl.arithmetic_intensity(dep, 64, 2048)
    assert ai == pytest.approx(64 * (w + 2048 * PAIR8) / (w + 64 * 2049 * KV8))
    assert cl.attainable_flops(989e12, 3.35e12, 64) == pytest.approx(64 * 3.35e12)
    assert cl.attainable_flops(989e12, 3.35e12, 1000) == 989e12


def test_prefill_is_compute_bound_by_hand():
    dep = cl.deployment("llama-3.1-8b", H100)
    n = 2000
    # matmuls: n tokens through the body, one row of logits; causal attention over n (n + 1) / 2 pairs
    mm = (2 * (N8 - 2 * VD8) * n + 2 * VD8) / (BF16 * 0.4)
    att = PAIR8 * n * (n + 1) / 2 / (BF16 * 0.4)
    assert 2 * (N8 - VD8) / (BW * 0.725) < mm and n * KV8 / (BW * 0.725) < att  # both compute-bound
    assert cl.prefill_time_s(dep, n, mfu=0.4) == pytest.approx(mm + att)
    assert cl.prefill_tokens_per_s(dep, n, mfu=0.4) == pytest.approx(n / (mm + att))
    flops = 2 * (N8 - 2 * VD8) * n + 2 * VD8 + PAIR8 * n * (n + 1) / 2
    assert cl.prefill_arithmetic_intensity(dep, n) == pytest.approx(flops / (2 * (N8 - VD8) + n * KV8))


def test_decode_estimate_brackets():
    dep = cl.deployment("llama-3.1-70b", H100, tp=2)
    e = cl.decode_estimate(dep, 64, 2048)
    assert e["low"] < e["mid"] < e["high"] < e["ceiling"]
    # memory-bound, so each is ~ MBU x the ceiling's memory rate (TP comm is small)
    assert e["low"] / e["high"] == pytest.approx(0.60 / 0.85, rel=0.02)
    # the ceiling: every byte at full bandwidth, all overlapped, no latency: 64 / (bytes / bw + comm)
    bytes_ = 2 * (N70 - VD70) + (64 * 2048 + 64) * KV70
    comm = 2 * 80 * (64 * 8192 * 2 / LINK)
    assert e["ceiling"] == pytest.approx(64 / (bytes_ / (2 * BW) + comm))


# ----------------------------------------------------------------- mixture of experts

def test_moe_batch_1_reads_shared_weights_and_two_of_eight_experts():
    dep = cl.deployment("mixtral-8x7b", H100, tp=2)
    # the shared body and the output head (not the input table), 2 bytes each, plus the experts touched
    assert cl.weight_bytes_read_per_step(dep, 1) == pytest.approx(2 * (MIX_SHARED - VDMIX
                                                                        + 32 * 2 * MIX_EXPERT))
    # batch 2: 8 x (1 - (6/8)^2) = 3.5 experts per layer expected (uniform routing)
    assert cl.weight_bytes_read_per_step(dep, 2) == pytest.approx(2 * (MIX_SHARED - VDMIX
                                                                        + 32 * 3.5 * MIX_EXPERT))


def test_moe_weight_reads_grow_with_batch_towards_the_total():
    dep = cl.deployment("mixtral-8x7b", H100, tp=2)
    batches = np.array([1, 2, 4, 8, 16, 32, 64, 128])
    read = cl.weight_bytes_read_per_step(dep, batches)
    assert np.all(np.diff(read) > 0)
    assert read[-1] <= 2 * (MIX_TOTAL - VDMIX)
    assert read[-1] == pytest.approx(2 * (MIX_TOTAL - VDMIX), rel=1e-9)  # (3/4)^128 ~ 1e-16
    assert read[0] / read[-1] == pytest.approx((MIX_ACTIVE - VDMIX) / (MIX_TOTAL - VDMIX))


def test_dense_weight_reads_do_not_depend_on_batch():
    dep = cl.deployment("llama-3.1-8b", H100)
    assert cl.weight_bytes_read_per_step(dep, 1) == cl.weight_bytes_read_per_step(dep, 256) == 2 * (N8 - VD8)
    np.testing.assert_allclose(cl.weight_bytes_read_per_step(dep, np.array([1.0, 9.0])), 2 * (N8 - VD8))


def test_moe_flops_use_active_parameters():
    dep = cl.deployment("mixtral-8x7b", H100, tp=2)
    s = cl.decode_step(dep, 512, 0, mbu=0.7, mfu=0.4)
    assert s.compute_s == pytest.approx(512 * 2 * (MIX_ACTIVE - VDMIX) / (2 * BF16 * 0.4))
    assert s.compute_s < 512 * 2 * MIX_TOTAL / (2 * BF16 * 0.4) / 3


def test_moe_ridge_is_the_fixed_point_of_growing_weight_reads():
    # at the ridge B (context 0, MBU = MFU = 1): B x 2 (active - V D) / peak = (bytes_read(B) + B kv) / bw
    dep = cl.deployment("mixtral-8x7b", H100, tp=2)
    r = cl.ridge_batch(dep, 0, 1.0, 1.0)
    touched = 8 * (1 - (1 - 2 / 8) ** r)
    read = 2 * (MIX_SHARED - VDMIX + 32 * touched * MIX_EXPERT)
    kv = 2 * 32 * 8 * 128 * 2
    assert r * 2 * (MIX_ACTIVE - VDMIX) / (2 * BF16) == pytest.approx((read + r * kv) / (2 * BW), rel=1e-6)
    # far above the dense 295 because each token only uses 12.9 of 46.7B parameters
    assert r > 989 / 3.35 * 2

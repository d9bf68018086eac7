"""Every worked number of chapter 30, reproduced with the chapter's own inputs.

Each test computes the figure with costlib and compares it with the chapter's formula written
out by hand. Where the chapter is wrong, the test name says so, the docstring gives the correct
value and why, and the assertions pin both the correct value and the size of the error.
"""
from __future__ import annotations

import math

import pytest

import costlib as cl

GB = 1e9
H100 = "H100-SXM"
L70 = "llama-3.1-70b"

# Llama 3.1 70B parameter count and KV bytes per token, written out in tests/reference.py
from reference import KV70_BF16 as KV70  # noqa: E402
from reference import N70  # noqa: E402

# Usable memory per H100 with costlib's defaults: 95% of 80 GB minus a 1 GB reserve, the datasheet's
# "80 GB" read as 80 GiB (85.9e9 bytes), as the engine reads it
GIB = 2**30
USABLE_H100 = 0.95 * 80 * GIB - 1e9
# The weights a replica holds: quantized checkpoints keep the 128,256 x 8,192 embedding table and
# output head in 16 bits, so 70B in FP8 holds 68.45e9 body parameters at 1 byte + 2 x 1.05e9 at 2
VD70 = 128256 * 8192
W70_FP8 = (N70 - 2 * VD70) * 1 + 2 * VD70 * 2


def test_the_hand_constants_agree_with_costlib():
    # 70,553,706,496 parameters; 327,680 bytes = 320 KiB of KV per token; 80.6 GB usable
    assert cl.get_model(L70).n_params == N70 == 70_553_706_496
    assert cl.kv_bytes_per_token(L70, "bf16") == KV70 == 320 * 1024
    assert cl.usable_bytes(H100) == pytest.approx(USABLE_H100) == pytest.approx(80.604e9, rel=1e-5)
    assert W70_FP8 / GB == pytest.approx(72.66, abs=0.01)


# ----------------------------------------------------------------- §30.1 the cost model

def test_s30_1_cost_per_million_at_3_usd_and_1000_tok_s():
    # $3/h / (1000 tok/s x 3600 s / 1e6) = 3 / 3.6 = $0.8333/M; also concept check 1
    assert cl.million_tokens_per_hour(1000) == pytest.approx(3.6)
    assert cl.usd_per_million_tokens(3.0, 1000) == pytest.approx(3 / 3.6)
    assert round(cl.usd_per_million_tokens(3.0, 1000), 2) == 0.83


def test_s30_1_figure_2_usd_per_hour_and_half_utilization():
    # figure in §30.1 (and §30.5): $2 / 3.6 = $0.556/M; at 50% utilization the cost doubles
    assert cl.usd_per_million_tokens(2.0, 1000) == pytest.approx(2 / 3.6)
    assert cl.usd_per_million_tokens(2.0, 1000, utilization=0.5) == pytest.approx(2 / 1.8)
    assert round(cl.usd_per_million_tokens(2.0, 1000, utilization=0.5), 2) == 1.11
    assert cl.cost_at_utilization(2 / 3.6, 0.5) == pytest.approx(2 / 1.8)


def test_s30_1_self_hosting_10_to_20x_cheaper_than_frontier_apis():
    # GPT-4o ~$10/M and Claude Sonnet ~$15/M output vs $0.83/M: 12x and 18x
    own = cl.usd_per_million_tokens(3.0, 1000)
    assert 10 / own == pytest.approx(12.0)
    assert 15 / own == pytest.approx(18.0)


def test_s30_1_70b_bf16_on_a_single_h100_is_impossible_it_misses_by_61_2_gb():
    """§30.1/30.3/30.4/30.5/30.10 price 70B bf16 on ONE H100: its weights alone are 141.1 GB.

    Needed at the default 2048-token context, batch 1: 2 x 70.55e9 + 2048 x 327,680 bytes =
    141.78 GB against 0.95 x 80 GiB - 1 GB = 80.60 GB usable: short by 61.17 GB.
    """
    f = cl.fit(cl.deployment(L70, H100))
    need = 2 * N70 + 2048 * KV70
    assert not f.fits
    assert f.weight_bytes == 2 * N70
    assert f.usable_bytes == pytest.approx(USABLE_H100)
    assert f.shortfall_bytes == pytest.approx(need - USABLE_H100)
    assert f.shortfall_bytes / GB == pytest.approx(61.17, abs=0.01)
    assert f.min_tp == 2
    assert "61.2 GB" in f.message and "TP=2" in f.message


@pytest.mark.parametrize("tp", [2, 4, 8])
def test_s30_1_70b_bf16_fits_from_tp_2(tp):
    f = cl.fit(cl.deployment(L70, H100, tp=tp))
    assert f.fits
    assert f.usable_bytes == pytest.approx(tp * USABLE_H100)
    assert f.headroom_bytes == pytest.approx(tp * USABLE_H100 - 2 * N70 - 2048 * KV70)


def test_s30_1_70b_bf16_pricing_refuses_a_single_h100():
    dep = cl.deployment(L70, H100)
    with pytest.raises(cl.NotFeasible, match=r"short by [\d.]+ GB; try TP=2") as refused:
        cl.decode_usd_per_million(dep, 2.0, batch=1, context=2048)
    # priced on the one prediction path: short by at least the weights beyond one GPU's 80 GiB of HBM
    assert refused.value.fit.shortfall_bytes >= 2 * N70 - 80 * 2**30


# ----------------------------------------------------------------- §30.3 the ceilings

def test_s30_3_decode_ceiling_with_chapter_inputs_3_tb_s_and_140_gb():
    # 3000 GB/s / 140 GB = 21.43 tokens/s per sequence; x100 = 2143; x256 = 5486 (~5,500)
    per_seq = cl.decode_ceiling_tokens_per_s(3e12, 140e9, 1)
    assert per_seq == pytest.approx(3e12 / 140e9)
    assert round(per_seq, 1) == 21.4
    assert cl.decode_ceiling_tokens_per_s(3e12, 140e9, 100) == pytest.approx(100 * 3e12 / 140e9)
    assert cl.decode_ceiling_tokens_per_s(3e12, 140e9, 256) == pytest.approx(256 * 3e12 / 140e9)
    assert cl.decode_ceiling_tokens_per_s(3e12, 140e9, 256) == pytest.approx(5486, abs=1)


def test_s30_3_decode_ceiling_with_datasheet_3_35_tb_s_and_real_141_1_gb():
    """With the datasheet 3.35 TB/s and the real 141.1 GB of weights: 23.7 tok/s, 6,078 at 256."""
    w = cl.weight_bytes(L70, "bf16")
    assert w == 2 * N70
    per_seq = cl.decode_ceiling_tokens_per_s(cl.get_gpu(H100).hbm_bytes_per_s, w, 1)
    assert per_seq == pytest.approx(3.35e12 / (2 * N70))
    assert per_seq == pytest.approx(23.74, abs=0.01)
    assert cl.decode_ceiling_tokens_per_s(3.35e12, w, 256) == pytest.approx(256 * 3.35e12 / (2 * N70))


def test_s30_3_chapter_bandwidth_override_reproduces_21_4():
    # the engine's step at batch 1, context 0, MBU = MFU = 1 is the chapter's formula with the bytes
    # a step really reads: the body and the output head, 2 x (70.55e9 - 1.05e9) = 139.0 GB (the input
    # embedding table is looked up, not read), plus the new token's 327,680 B of KV written. With the
    # chapter's 3 TB/s on one GPU: 3e12 / 139.0e9 = 21.58 tok/s, vs the chapter's 21.4 for 140 GB.
    # (bf16 70B needs TP=2; decode_step itself does not check capacity.)
    dep = cl.deployment(L70, H100, hbm_bytes_per_s=3e12)
    tps = cl.decode_tokens_per_s(dep, 1, 0, mbu=1.0, mfu=1.0, allreduce_latency_s=0)
    read = 2 * (N70 - VD70) + KV70
    assert tps == pytest.approx(3e12 / read)
    assert tps == pytest.approx(21.58, abs=0.01)
    # on TP=2 each GPU reads half the bytes, plus 2 all-reduces per layer of one 8192-wide
    # bf16 activation: 2 x 80 x 2 (tp-1)/tp x 8192 x 2 bytes / 450 GB/s
    dep2 = dep.with_(tp=2)
    step = read / (2 * 3e12) + 2 * 80 * (2 * (2 - 1) / 2 * 8192 * 2 / 450e9)
    assert cl.decode_tokens_per_s(dep2, 1, 0, mbu=1.0, mfu=1.0, allreduce_latency_s=0) == \
        pytest.approx(1 / step)


def test_s30_3_batch_256_at_2048_on_one_h100_is_impossible_even_in_fp8():
    """The ~5,500 tok/s at batch 256 needs 256 x 2048 tokens of KV cache.

    FP8 KV: 256 x 2048 x 163,840 B = 85.9 GB, more than the 80.6 GB usable before any weights;
    with the 72.7 GB of FP8 weights it needs 158.6 GB. bf16 KV would need 171.8 GB for KV alone.
    """
    kv_fp8 = 256 * 2048 * (KV70 // 2)
    assert kv_fp8 / GB == pytest.approx(85.9, abs=0.05)
    assert kv_fp8 > USABLE_H100
    for kv in ("fp8", "bf16"):
        f = cl.fit(cl.deployment(L70, H100, weights="fp8", kv=kv), context=2048, batch=256)
        assert not f.fits
    f = cl.fit(cl.deployment(L70, H100, weights="fp8", kv="fp8"), context=2048, batch=256)
    assert f.shortfall_bytes == pytest.approx(W70_FP8 + kv_fp8 - USABLE_H100)
    assert cl.max_batch(cl.deployment(L70, H100, weights="fp8", kv="fp8"), 2048) == \
        int((USABLE_H100 - W70_FP8) // (KV70 // 2)) // 2048 == 23


def test_s30_3_prefill_ceiling_7064_tok_s():
    # 989e12 / (2 x 70e9) = 7,064 tokens/s ("~7000")
    c = cl.prefill_ceiling_tokens_per_s(989e12, 70e9)
    assert c == pytest.approx(989e12 / 140e9)
    assert round(c) == 7064
    # with the real parameter count: 989e12 / (2 x 70.55e9) = 7,009
    assert cl.prefill_ceiling_tokens_per_s(989e12, N70) == pytest.approx(989e12 / (2 * N70))


def test_s30_3_prefill_at_30_to_40_percent_is_about_2500_tok_s_and_0_4_s_per_1000_tokens():
    # 30% -> 2,119; 40% -> 2,826; the chapter's 2,500 is 35%: 0.35 x 7,064 = 2,472
    lo = cl.prefill_ceiling_tokens_per_s(989e12, 70e9, mfu=0.30)
    hi = cl.prefill_ceiling_tokens_per_s(989e12, 70e9, mfu=0.40)
    assert lo == pytest.approx(0.30 * 989e12 / 140e9)
    assert hi == pytest.approx(0.40 * 989e12 / 140e9)
    assert lo < 2500 < hi
    assert cl.prefill_ceiling_tokens_per_s(989e12, 70e9, mfu=0.35) == pytest.approx(2472.5, abs=0.1)
    # 1000 tokens at 2,500 tok/s = 0.4 s; across the 30-40% range, 0.35-0.47 s
    assert 1000 / hi == pytest.approx(0.354, abs=1e-3)
    assert 1000 / lo == pytest.approx(0.472, abs=1e-3)


def test_s30_3_prefill_time_of_1000_tokens_with_full_model_is_near_0_4_s():
    # costlib's prefill time: 1000 tokens through the body (2 x 68.45e9 FLOPs each), one row of the
    # output head (2 x 1.05e9), causal attention over 1000 x 1001 / 2 pairs (4 L H d each), all
    # compute-bound on TP=2 (bf16 70B needs it); per GPU-second it should match the chapter's ~0.4 s.
    dep = cl.deployment(L70, H100, tp=2)
    t = cl.prefill_time_s(dep, 1000, mfu=0.35)
    matmuls = 2 * (N70 - 2 * VD70) * 1000 + 2 * VD70
    attention = 4 * 80 * 64 * 128 * 1000 * 1001 / 2
    assert t == pytest.approx((matmuls + attention) / (2 * 989e12 * 0.35)
                              + 2 * 80 * (5e-6 + 2 * 0.5 * 1000 * 8192 * 2 / 450e9))
    assert 2 * t == pytest.approx(0.4, rel=0.1)  # GPU-seconds


# ----------------------------------------------------------------- §30.4 / §30.5

def test_s30_5_cost_at_2_usd_and_1000_tok_s():
    assert cl.usd_per_million_tokens(2.0, 1000) == pytest.approx(0.5556, abs=1e-4)
    assert cl.usd_per_million_tokens(2.0, 1000, 0.5) == pytest.approx(1.1111, abs=1e-4)


def test_s30_5_1500_to_2000_tok_s_gives_about_0_30():
    # $2 / (2000 x 3600 / 1e6) = $0.278; at 1500: $0.370
    assert cl.usd_per_million_tokens(2.0, 2000) == pytest.approx(2 / 7.2)
    assert cl.usd_per_million_tokens(2.0, 1500) == pytest.approx(2 / 5.4)


def test_s30_5_table_utilization_rows_do_not_follow_from_its_own_0_56():
    """Table: 70B bf16 on one H100, '~$1.50 at 30%' and '~$0.50 at 80%' utilization.

    From the section's own $0.556/M at full load: $0.556/0.3 = $1.85 and $0.556/0.8 = $0.69.
    (And both rows are impossible: 70B bf16 does not fit one H100.)
    """
    full = 2 / 3.6
    assert cl.cost_at_utilization(full, 0.3) == pytest.approx(full / 0.3)
    assert cl.cost_at_utilization(full, 0.3) == pytest.approx(1.85, abs=0.01)
    assert cl.cost_at_utilization(full, 0.8) == pytest.approx(0.69, abs=0.01)
    assert abs(cl.cost_at_utilization(full, 0.3) - 1.50) > 0.3


def test_s30_4_70b_fp8_on_one_h100_has_room_for_only_11_sequences_of_2048_with_bf16_kv():
    """The '500-1500 tok/s at high concurrency' on one H100 needs FP8 weights, and then:

    free = 80.60 GB - 72.66 GB = 7.95 GB; bf16 KV for 2048 tokens = 2048 x 327,680 = 0.671 GB ->
    11 sequences; FP8 KV -> 23 sequences. Not 'high concurrency'.
    """
    free = USABLE_H100 - W70_FP8
    assert free / GB == pytest.approx(7.95, abs=0.01)
    dep = cl.deployment(L70, H100, weights="fp8")
    assert cl.max_batch(dep, 2048) == int(free // KV70) // 2048 == 11
    assert cl.max_batch(dep.with_(kv="fp8"), 2048) == int(free // (KV70 // 2)) // 2048 == 23


# ----------------------------------------------------------------- §30.6 prefill vs decode

def test_s30_6_prefill_is_10_2_million_tokens_per_hour_not_10_2_trillion():
    """'$2 / 10.2 trillion prefill tokens per hour' -- the hour holds 10.2 MILLION tokens.

    989e12 x 3600 x 0.4 / (2 x 70e9) = 1.017e7 tokens/hour (2,826 tok/s x 3600). The chapter's
    'trillion' is 10^6 too large (and a 'billion' reading would still be 10^3 too large).
    $2 / 1.017e7 tokens = $1.97e-7 per token = $0.197 per million: the chapter's $0.20/M is right.
    """
    tps = cl.prefill_ceiling_tokens_per_s(989e12, 70e9, mfu=0.4)
    per_hour = cl.million_tokens_per_hour(tps) * 1e6
    assert per_hour == pytest.approx(989e12 * 3600 * 0.4 / (2 * 70e9))
    assert per_hour == pytest.approx(1.0173e7, rel=1e-4)
    assert per_hour / 10.2e12 == pytest.approx(1e-6, rel=0.01)  # 'trillion' is 10^6 too big
    assert per_hour / 10.2e9 == pytest.approx(1e-3, rel=0.01)  # 'billion' is 10^3 too big
    usd_per_m = cl.usd_per_million_tokens(2.0, tps)
    assert usd_per_m == pytest.approx(2 / per_hour * 1e6)
    assert round(usd_per_m, 2) == 0.20


def test_s30_6_decode_is_6_9_million_tokens_per_hour_and_0_29_per_million():
    """3e12 x 3600 x 0.7 x 128 / 140e9 = 6.912e6 tokens/hour: the chapter's '6.9M' is right.

    (It is 1,920 tok/s x 3600.) $2 / 6.912e6 tokens = $2.89e-7 per token = $0.289 per million.
    """
    tps = cl.decode_ceiling_tokens_per_s(3e12, 140e9, 128) * 0.7
    assert tps == pytest.approx(3e12 / 140e9 * 128 * 0.7)
    assert tps == pytest.approx(1920, abs=0.5)
    per_hour = cl.million_tokens_per_hour(tps) * 1e6
    assert per_hour == pytest.approx(3e12 * 3600 * 0.7 * 128 / 140e9)
    assert per_hour == pytest.approx(6.912e6, rel=1e-4)
    usd_per_m = cl.usd_per_million_tokens(2.0, tps)
    assert usd_per_m == pytest.approx(2 / 6.912e6 * 1e6)
    assert round(usd_per_m, 2) == 0.29


def test_s30_6_utilization_form_of_the_decode_formula_agrees():
    # the same number through the utilization argument instead of scaling tokens/s
    tps = cl.decode_ceiling_tokens_per_s(3e12, 140e9, 128)
    assert cl.usd_per_million_tokens(2.0, tps, utilization=0.7) == pytest.approx(
        2 / (3e12 * 3600 * 0.7 * 128 / 140e9) * 1e6)


def test_s30_6_input_tokens_2_to_4x_cheaper_does_not_follow_from_the_math_above():
    """The section's own numbers give prefill $0.197/M vs decode $0.289/M: 1.47x, not 2-4x."""
    pre = cl.usd_per_million_tokens(2.0, cl.prefill_ceiling_tokens_per_s(989e12, 70e9, 0.4))
    dec = cl.usd_per_million_tokens(2.0, cl.decode_ceiling_tokens_per_s(3e12, 140e9, 128) * 0.7)
    ratio = dec / pre
    assert ratio == pytest.approx((2 / 6.912e6) / (2 / 1.0173e7), rel=1e-3)
    assert ratio == pytest.approx(1.47, abs=0.01)
    assert ratio < 2


def test_s30_6_batch_128_at_70b_does_not_fit_in_one_h100_either():
    # decode at batch 128 on one H100 also needs 128 x C tokens of KV: even at C = 512 and FP8
    # everything, 72.66 GB + 128 x 512 x 163,840 B = 83.4 GB > 80.6 GB
    need = W70_FP8 + 128 * 512 * (KV70 // 2)
    assert need > USABLE_H100
    f = cl.fit(cl.deployment(L70, H100, weights="fp8", kv="fp8"), context=512, batch=128)
    assert not f.fits and f.needed_bytes == pytest.approx(need)


# ----------------------------------------------------------------- §30.7 self-host vs API

def test_s30_7_one_h100_month_is_1440_usd():
    # $2/h x 24 x 30 = $1,440 ("~$1,500/month")
    assert cl.HOURS_PER_MONTH == 24 * 30
    assert cl.self_host_monthly_usd(1e6, 1000, 2.0) == 2 * 720 == 1440


def test_s30_7_crossover_is_1_64_billion_tokens_not_100_to_500_million():
    """The chapter puts the crossover at 100-500M tokens/month against an API at $0.88/M.

    Its own numbers: $1,440 / $0.88 per million = 1.636e9 tokens/month for one H100 (which
    only holds 70B in FP8), 3.27e9 for the two H100s that bf16 needs. At 500M tokens the API
    bill is $440, a third of one GPU's month.
    """
    one = cl.crossover_tokens_per_month(0.88, 2.0, gpus=1)
    two = cl.crossover_tokens_per_month(0.88, 2.0, gpus=2)
    assert one == pytest.approx(1440 / 0.88 * 1e6)
    assert one == pytest.approx(1.636e9, rel=1e-3)
    assert two == pytest.approx(2 * 1440 / 0.88 * 1e6)
    assert one > 3 * 500e6
    assert cl.api_monthly_usd(500e6, 0.88) == pytest.approx(500 * 0.88) == 440
    assert cl.api_monthly_usd(one, 0.88) == pytest.approx(1440)
    # the crossover sits where one H100 runs at 631 tok/s around the clock
    assert one / (720 * 3600) == pytest.approx(631.3, abs=0.1)


def test_s30_7_below_50m_tokens_the_api_is_cheaper():
    assert cl.api_monthly_usd(50e6, 0.88) == pytest.approx(44.0)
    assert cl.api_monthly_usd(50e6, 0.88) < cl.self_host_monthly_usd(50e6, 1000, 2.0)


def test_practice_3_100m_tokens_per_day():
    # 100M/day x 30 = 3e9 tokens/month: API $2,640; one H100 at 1000 tok/s carries 2.59e9 per
    # month at full load, so it takes 2 GPUs (2 x 1440 = $2,880) -- the API still wins
    tokens = 100e6 * 30
    assert cl.api_monthly_usd(tokens, 0.88) == pytest.approx(3000 * 0.88)
    assert cl.monthly_capacity_tokens(1000) == 1000 * 720 * 3600
    assert cl.replicas_needed(tokens, 1000) == math.ceil(tokens / (1000 * 720 * 3600)) == 2
    assert cl.self_host_monthly_usd(tokens, 1000, 2.0) == 2 * 1440


# ----------------------------------------------------------------- §30.8 hardware

def test_s30_8_70b_in_fp8_is_70_6_gb_not_35():
    """'A 70B model in FP8 fits on a single H100 (35 GB)': FP8 is 1 byte/param -> 70.55 GB.

    35 GB is the INT4 size (0.5 byte/param: 35.3 GB; 36.4 GB with 2-byte scales per 128).
    """
    assert cl.weight_bytes(L70, "fp8") == N70
    assert cl.weight_bytes(L70, "fp8") / GB == pytest.approx(70.55, abs=0.01)
    assert cl.weight_bytes(L70, "int4") / GB == pytest.approx(35.28, abs=0.01)
    assert cl.weight_bytes(L70, cl.get_precision("int4", group_size=128)) == pytest.approx(
        N70 * (0.5 + 2 / 128))
    assert cl.fit(cl.deployment(L70, H100, weights="fp8")).fits  # it does fit, barely


def test_s30_8_h200_over_h100_bandwidth_is_1_43_not_1_6():
    """Concept check 4 (4.8 / 3.35 = 1.43x) vs §30.8's '60% more bandwidth' (4.8 / 3 = 1.6)."""
    h100, h200 = cl.get_gpu(H100), cl.get_gpu("H200-SXM")
    assert h200.hbm_bytes_per_s / h100.hbm_bytes_per_s == pytest.approx(4.8 / 3.35)
    assert h200.hbm_bytes_per_s / h100.hbm_bytes_per_s == pytest.approx(1.43, abs=0.005)
    assert 4.8e12 / cl.get_gpu(H100, hbm_bytes_per_s=3e12).hbm_bytes_per_s == pytest.approx(1.6)
    # and the decode ceilings of one model scale by exactly that ratio
    w = cl.weight_bytes(L70, "fp8")
    assert cl.decode_ceiling_tokens_per_s(h200.hbm_bytes_per_s, w) / \
        cl.decode_ceiling_tokens_per_s(h100.hbm_bytes_per_s, w) == pytest.approx(4.8 / 3.35)


def test_s30_8_b200_bandwidth_is_2_4x_h100_not_2x():
    # table: 8 TB/s vs the datasheet 3.35 -> 2.39x ("twice"); vs the chapter's 3 TB/s -> 2.67x
    assert cl.get_gpu("B200").hbm_bytes_per_s / cl.get_gpu(H100).hbm_bytes_per_s == \
        pytest.approx(8 / 3.35)
    assert cl.get_gpu("B200").hbm_bytes_per_s / 3e12 == pytest.approx(2.67, abs=0.005)


def test_s30_8_70b_bf16_just_fits_one_h200():
    """'For 70B in bf16 you need H200 or H100x2': 141.1 GB of weights in an H200's 141 GB.

    The datasheet's 141 GB are 141 GiB (the driver reports more than 141e9 bytes), as the engine
    reads them: 0.95 x 141 GiB - 1 GB = 142.83 GB usable holds 141.1 GB of weights plus 1.7 GB of
    KV: 2 sequences of 2,048 tokens. (Read as decimal GB, 133 GB usable, it would not fit.)
    """
    assert 2 * N70 > 141e9
    usable = 0.95 * 141 * GIB - 1e9
    f = cl.fit(cl.deployment(L70, "H200-SXM"))
    assert f.fits and f.min_tp == 1
    assert f.headroom_bytes == pytest.approx(usable - 2 * N70 - 2048 * KV70)
    assert f.max_batch == int((usable - 2 * N70) // KV70) // 2048 == 2


def test_s30_8_table_mixes_price_bases():
    # the table's A100 price ($2.50) is the §30.2 on-demand figure, its H100 price ($2.00) the
    # reserved one: on the same on-demand basis the H100 costs $3.00-$4.50
    assert cl.gpu_usd_per_hour("A100-SXM-80GB", "on_demand") == 2.50
    assert cl.gpu_usd_per_hour(H100, "reserved", "high") == 2.00
    assert cl.gpu_usd_per_hour(H100, "on_demand", "low") == 3.00


# ----------------------------------------------------------------- §30.10 capacity rubric

@pytest.fixture(scope="module")
def rubric():
    return cl.capacity_plan(users=1e6, sessions_per_day=10, tokens_per_session=500,
                            tokens_per_s_per_gpu=1000, peak_factor=3, headroom=0.3,
                            usd_per_gpu_hour=2.0)


def test_s30_10_step_1_tokens_per_day(rubric):
    assert rubric.tokens_per_day == 1e6 * 10 * 500 == 5e9


def test_s30_10_step_2_average_rate(rubric):
    # 5e9 / 86,400 = 57,870 tok/s ("~58k")
    assert rubric.avg_tokens_per_s == pytest.approx(5e9 / 86400)
    assert round(rubric.avg_tokens_per_s) == 57870


def test_s30_10_step_3_peak_rate(rubric):
    # x3 = 173,611 tok/s (the chapter rounds to 175k before dividing)
    assert rubric.peak_tokens_per_s == pytest.approx(3 * 5e9 / 86400)
    assert round(rubric.peak_tokens_per_s) == 173611


def test_s30_10_step_5_gpus_at_peak(rubric):
    # 173,611 / 1000 = 173.6 GPUs (chapter: 175 from the rounded 175k)
    assert rubric.gpus_at_peak == pytest.approx(3 * 5e9 / 86400 / 1000)
    assert round(rubric.gpus_at_peak, 1) == 173.6


def test_s30_10_step_6_headroom_gives_226_gpus_not_225(rubric):
    """173.61 x 1.3 = 225.69 GPUs, and a fleet is whole GPUs: 226. The chapter's '~225' rounds
    down, which leaves less than the 30% headroom it asked for."""
    assert 3 * 5e9 / 86400 / 1000 * 1.3 == pytest.approx(225.69, abs=0.01)
    assert rubric.gpus == math.ceil(3 * 5e9 / 86400 / 1000 * 1.3) == 226
    assert rubric.replicas == 226


def test_s30_10_step_7_monthly_cost_325_440_not_324k(rubric):
    # 226 x $2 x 24 x 30 = $325,440 (the chapter's 225 GPUs give $324,000)
    assert rubric.monthly_usd == 226 * 2 * 24 * 30 == 325_440
    assert rubric.monthly_usd - 324_000 == 2 * 720  # one GPU-month more than the chapter


def test_s30_10_cost_per_million_2_17_not_2_16(rubric):
    # $325,440 / (5e9 x 30 / 1e6) = $2.1696/M (the chapter's $324k gives $2.16)
    assert rubric.usd_per_million_tokens == pytest.approx(325_440 / (5e9 * 30 / 1e6))
    assert round(rubric.usd_per_million_tokens, 2) == 2.17


def test_s30_10_its_cost_is_the_s30_5_cost_over_fleet_utilization(rubric):
    # average/capacity = 57,870 / (226 x 1000) = 25.6%; $0.556 / 0.256 = $2.17 -- the chapter's
    # explanation ('sized for peak') holds exactly
    util = (5e9 / 86400) / (226 * 1000)
    assert util == pytest.approx(0.256, abs=0.001)
    assert rubric.usd_per_million_tokens == pytest.approx(cl.usd_per_million_tokens(2.0, 1000, util))


def test_s30_10_result_is_dearer_than_the_s30_7_api_price(rubric):
    # $2.17/M self-hosted vs $0.88/M at Together (the chapter's own §30.7 figure): 2.5x
    assert rubric.usd_per_million_tokens / 0.88 == pytest.approx(2.47, abs=0.01)


def test_s30_10_rubric_reversed_users_supported():
    # 226 GPUs x 1000 tok/s / 1.3 headroom = 173,846 tok/s at peak; one user at peak needs
    # 10 x 500 / 86,400 x 3 = 0.17361 tok/s -> 1,001,353 users
    expected = math.floor(226 * 1000 / 1.3 / (10 * 500 / 86400 * 3))
    assert cl.users_supported(226, 1000, 10, 500) == expected
    assert expected >= 1_000_000


def test_s30_10_fleet_needs_tp2_replicas_for_bf16():
    # 70B bf16 needs TP=2, so the fleet is whole pairs: 225.69 / 2 -> 113 replicas = 226 GPUs
    p = cl.capacity_plan(1e6, 10, 500, 1000, gpus_per_replica=2)
    assert p.replicas == math.ceil(3 * 5e9 / 86400 / 1000 * 1.3 / 2) == 113
    assert p.gpus == 226


# ----------------------------------------------------------------- practice problems 1-2

def test_practice_1_llama_3_8b_at_5000_tok_s():
    # $2 / (5000 x 3600 / 1e6) = $0.111/M
    assert cl.usd_per_million_tokens(2.0, 5000) == pytest.approx(2 / 18)


def test_practice_2_405b_fp8_on_8_h100():
    # $16 / (800 x 3600 / 1e6) = $5.56/M; and 405B FP8 (410.1 GB with 16-bit tables) fits 8 x 80.6 GB
    assert cl.usd_per_million_tokens(16.0, 800) == pytest.approx(16 / 2.88)
    f = cl.fit(cl.deployment("llama-3.1-405b", H100, tp=8, weights="fp8"))
    assert f.fits
    assert f.usable_bytes == pytest.approx(8 * USABLE_H100)

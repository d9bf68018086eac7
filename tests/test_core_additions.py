"""prefill_arithmetic_intensity (§30.3) and step_crossover_tokens_per_month (§30.7), checked by hand."""
from __future__ import annotations

import math

import numpy as np
import pytest

# Llama 3.1 70B, written out by hand from its config.json (tests/reference.py)
from reference import KV70_BF16, N70  # noqa: E402

import costlib as cl

# Mixtral 8x7B: 32 layers, hidden 4096, 32 heads, 8 KV heads, 8 experts (ffn 14336), top-2
MIX_EXPERT = 3 * 4096 * 14336
MIX_SHARED = 2 * 32000 * 4096 + 32 * (4096 * 32 * 128 * 2 + 2 * 4096 * 8 * 128 + 2 * 4096
                                      + 4096 * 8) + 4096
MIX_ACTIVE = MIX_SHARED + 32 * 2 * MIX_EXPERT
KV_MIX_BF16 = 2 * 32 * 8 * 128 * 2
HOURS = 24 * 30  # the chapter's month


VD70, VD_MIX = 128256 * 8192, 32000 * 4096  # one vocabulary x hidden table (input and head are separate)


def prefill_ai_by_hand(body_params, vd, weight_bytes, layers, heads, head_dim, kv_per_token, n):
    """The engine's prefill of one n-token prompt: n tokens through the body, one row of logits, causal
    attention over n (n + 1) / 2 pairs (4 L H d FLOPs each); the weights read once + the prompt's KV written."""
    flops = 2 * body_params * n + 2 * vd + 4 * layers * heads * head_dim * n * (n + 1) / 2
    return flops / (weight_bytes + n * kv_per_token)


# bf16 70B: body 2 bytes, the output head 2 bytes (the input table is looked up, not read)
W70_BF16 = 2 * (N70 - 2 * VD70) + 2 * VD70


# ---------------------------------------------------------------- prefill_arithmetic_intensity

@pytest.mark.parametrize("n", [1, 1000, 8192])
def test_prefill_intensity_70b_bf16_by_hand(n):
    want = prefill_ai_by_hand(N70 - 2 * VD70, VD70, W70_BF16, 80, 64, 128, KV70_BF16, n)
    dep = cl.deployment("llama-3.1-70b", "H100-SXM", 2, "bf16")
    assert cl.prefill_arithmetic_intensity(dep, n) == pytest.approx(want, rel=1e-12)
    assert cl.prefill_arithmetic_intensity("llama-3.1-70b", n) == pytest.approx(want, rel=1e-12)


def test_prefill_intensity_1000_tokens_is_about_the_prompt_length_in_bf16():
    # 2 x 68.45e9 x 1000 body FLOPs + 2.1e9 for the head + 2.62e6 x 500,500 = 1.31e12 for attention,
    # over 139.0 GB of weights + 1000 x 327,680 B of KV written: 1.382e14 / 1.393e11 = 992
    n = 1000
    flops = 2 * (N70 - 2 * VD70) * n + 2 * VD70 + 4 * 80 * 64 * 128 * n * (n + 1) / 2
    bytes_ = W70_BF16 + n * KV70_BF16
    ai = cl.prefill_arithmetic_intensity("llama-3.1-70b", n)
    assert ai == pytest.approx(flops / bytes_, rel=1e-12)
    assert 990 < ai < 995  # the chapter's "≈ 700" (§30.3) is not this


def test_prefill_intensity_fp8_weights_and_kv_double_it_roughly():
    n = 2048
    w = 1 * (N70 - 2 * VD70) + 2 * VD70  # fp8 body, 16-bit head
    want = prefill_ai_by_hand(N70 - 2 * VD70, VD70, w, 80, 64, 128, KV70_BF16 / 2, n)
    dep = cl.deployment("llama-3.1-70b", "H100-SXM", 1, "fp8", "fp8")
    assert cl.prefill_arithmetic_intensity(dep, n) == pytest.approx(want, rel=1e-12)
    assert cl.prefill_arithmetic_intensity("llama-3.1-70b", n, weights="fp8", kv="fp8") == pytest.approx(want)
    bf16 = cl.prefill_arithmetic_intensity("llama-3.1-70b", n)
    assert 1.8 < want / bf16 < 2.0  # the 16-bit head keeps it under 2x


def test_prefill_intensity_moe_reads_only_the_experts_touched():
    n = 4  # 4 tokens, top-2 of 8: E (1 - (1 - k/E)^n) = 8 (1 - 0.75^4) experts per layer on average
    touched = 8 * (1 - 0.75 ** 4)
    weights = (MIX_SHARED - VD_MIX + 32 * touched * MIX_EXPERT) * 2
    want = prefill_ai_by_hand(MIX_ACTIVE - 2 * VD_MIX, VD_MIX, weights, 32, 32, 128, KV_MIX_BF16, n)
    assert cl.prefill_arithmetic_intensity("mixtral-8x7b", n) == pytest.approx(want, rel=1e-12)


def test_prefill_intensity_accepts_an_array_of_prompt_lengths():
    n = np.array([16, 512, 4096])
    got = cl.prefill_arithmetic_intensity("llama-3.1-70b", n)
    want = [prefill_ai_by_hand(N70 - 2 * VD70, VD70, W70_BF16, 80, 64, 128, KV70_BF16, int(x)) for x in n]
    np.testing.assert_allclose(got, want, rtol=1e-12)


# Wrong types, NaN, zero, strings for prompt_tokens and dep_or_model: tests/test_bad_input.py.

def test_prefill_intensity_typo_and_conflicting_precisions():
    with pytest.raises(ValueError, match="llama-3.1-70b"):  # closest catalog name suggested
        cl.prefill_arithmetic_intensity("llama-3.1-70", 1000)
    with pytest.raises(ValueError, match="bf16"):
        cl.prefill_arithmetic_intensity("llama-3.1-70b", 1000, weights="bf61")
    dep = cl.deployment("llama-3.1-70b", "H100-SXM", 2, "bf16")
    with pytest.raises(ValueError, match="weights"):
        cl.prefill_arithmetic_intensity(dep, 1000, weights="fp8")


# ---------------------------------------------------------------- step_crossover_tokens_per_month

def test_step_crossover_chapter_numbers():
    # one H100 at $2/h x 720 h = $1,440/month; the $0.88/M API reaches it at 1440 / 0.88 M tokens,
    # and one replica at 1000 tokens/s carries 1000 x 3600 x 720 = 2.592B tokens/month > 1.64B
    assert cl.step_crossover_tokens_per_month(0.88, 1000, 2.0) == pytest.approx(2.0 * HOURS / 0.88 * 1e6)


def test_step_crossover_never_when_a_full_replica_is_cheaper_at_the_api():
    # a replica's full month (2.592B tokens) costs 2,592 x $0.40 = $1,037 at the API < $1,440
    assert cl.step_crossover_tokens_per_month(0.40, 1000, 2.0) == math.inf
    # peak factor 3 leaves 100 x 3600 x 720 / 3 = 86.4M tokens per replica: $864 at $10/M < $1,440
    assert cl.step_crossover_tokens_per_month(10.0, 100, 2.0, peak_factor=3.0) == math.inf


def test_step_crossover_inside_the_first_replica_and_with_tp_and_headroom():
    # capacity 100 tok/s = 259.2M/month; $10/M API: crossover 1440 / 10 = 144M, inside replica 1
    assert cl.step_crossover_tokens_per_month(10.0, 100, 2.0) == pytest.approx(144e6)
    # TP=2 replicas, 30% headroom: replica $2,880/month carries 2000 x 3600 x 720 / 1.3 = 3.99B tokens;
    # at $1/M the API bill reaches $2,880 at 2.88B tokens, inside the first replica
    got = cl.step_crossover_tokens_per_month(1.0, 2000, 2.0, gpus_per_replica=2, headroom=0.3)
    assert got == pytest.approx(2 * 2.0 * HOURS / 1.0 * 1e6)


def test_step_crossover_with_a_floor_of_replicas():
    # at least 3 replicas of 1 GPU: $4,320/month; at $0.88/M the API reaches it at 4.909B tokens,
    # which 3 replicas (7.776B tokens/month) carry
    got = cl.step_crossover_tokens_per_month(0.88, 1000, 2.0, min_replicas=3)
    assert got == pytest.approx(3 * 2.0 * HOURS / 0.88 * 1e6)


def test_step_crossover_exactly_at_a_full_replica():
    # API price at which one full replica's month costs exactly the replica: 1440 / 2,592 M tokens
    a = 2.0 * HOURS / (1000 * 3600 * HOURS / 1e6)
    assert cl.step_crossover_tokens_per_month(a, 1000, 2.0) == pytest.approx(1000 * 3600 * HOURS)


# Bad input for every parameter of step_crossover_tokens_per_month: tests/test_bad_input.py.

"""The serving simulation (costlib.serving) and its validation figures (costlib.serving_validation).

Expected values are derived by hand here: with a toy step model whose cost is a known linear
function, every step of a small scenario can be written down; the roofline stand-in is checked
against catalog numbers worked through in the test.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

import costlib as cl
from costlib.serving import (
    DEFAULT_STEP_PARAMS,
    SchedulerConfig,
    StandInStep,
    StepParams,
    max_rate_under_ttft_p99,
    prefill_pairs,
    rate_sweep,
    saturation_requests_per_s,
    serve,
    simulate,
    step_for,
    weighted_quantile,
)
from costlib.serving_validation import (
    TARGETS,
    loaded_mask,
    online_figures,
    online_rows,
    validate_online,
)


@dataclass(frozen=True)
class LinearStep:
    """A step that costs base + per token x T + per pair x pairs + per KV read x reads."""

    base_s: float = 0.010
    per_token_s: float = 1e-5
    per_pair_s: float = 1e-8
    per_kv_s: float = 0.0
    kv_capacity_tokens: int = 10_000_000
    frontend_s: float = 0.005

    def step_time_s(self, new_tokens, attention_pairs, kv_read_tokens):
        return (self.base_s + self.per_token_s * np.asarray(new_tokens, dtype=float)
                + self.per_pair_s * np.asarray(attention_pairs, dtype=float)
                + self.per_kv_s * np.asarray(kv_read_tokens, dtype=float))


TOY = LinearStep()


# ---------------------------------------------------------------- one request alone

def test_single_request_alone_ttft_is_its_prefill_step_plus_frontend():
    r = simulate(TOY, 100, 5, rate=1.0, requests=1, arrivals="fixed")
    # prefill: 100 tokens attending to 1..100 previous positions: 100 x 101 / 2 = 5050 pairs
    prefill = 0.010 + 1e-5 * 100 + 1e-8 * 5050
    assert r.ttft_mean_s == pytest.approx(prefill + 0.005, rel=1e-12)
    assert r.ttft_p99_s == pytest.approx(prefill + 0.005, rel=1e-12)
    # 4 decode steps, one token each, at contexts 101..104
    decode = [0.010 + 1e-5 + 1e-8 * c for c in (101, 102, 103, 104)]
    assert r.itl_mean_s == pytest.approx(sum(decode) / 4, rel=1e-12)
    assert r.itl_p99_s == pytest.approx(max(decode), rel=1e-12)
    latency = prefill + sum(decode) + 0.005
    assert r.mean_latency_s == pytest.approx(latency, rel=1e-12)
    assert r.output_tokens_per_s == pytest.approx(5 / latency, rel=1e-12)
    assert r.achieved_requests_per_s == pytest.approx(1 / latency, rel=1e-12)
    assert r.mean_batch == pytest.approx(1.0)
    assert r.mean_queue_s == 0.0


def test_itl_of_a_lone_request_is_one_decode_step_of_the_stand_in():
    # Llama 3.1 8B on one H100 SXM, bf16, decode at batch 1: memory-bound, so one step reads the
    # weights (2 bytes x n_params) plus the KV cache; worked out from the catalog by hand.
    p = StepParams(mbu=0.8, mfu=0.5, step_overhead_s=1e-3, layer_overhead_s=1e-5, frontend_s=0.0)
    step = StandInStep("llama-3.1-8b", "H100-SXM", 1, "bf16", params=p)
    m = cl.get_model("llama-3.1-8b")
    kv_per_token = 2 * 32 * 8 * 128 * 2  # K and V x layers x KV heads x head dim x bf16 bytes
    i, o = 1000, 3
    contexts = [i + 1, i + 2]  # the two decode steps after the prefill
    per_step = [(2 * m.n_params + kv_per_token * c) / (3.35e12 * 0.8) + 1e-3 + 32 * 1e-5 for c in contexts]
    # the stand-in is memory-bound here: flops of one token at 1,000 context, far below the ridge
    flops = 2 * m.n_active_params + 4 * 32 * 32 * 128 * contexts[-1]
    assert flops / (989e12 * 0.5) < per_step[-1] / 10
    r = simulate(step, i, o, rate=1.0, requests=1, arrivals="fixed")
    assert r.itl_mean_s == pytest.approx(sum(per_step) / 2, rel=1e-9)


def test_prompt_longer_than_the_budget_is_prefilled_in_chunks():
    sched = SchedulerConfig(max_num_tokens=4096)
    r = simulate(TOY, 10_000, 1, rate=1.0, requests=1, scheduler=sched)
    chunks = [(4096, 0), (4096, 4096), (1808, 8192)]  # (tokens, offset)
    pairs = [n * p + n * (n + 1) / 2 for n, p in chunks]
    expected = sum(0.010 + 1e-5 * n + 1e-8 * q for (n, _), q in zip(chunks, pairs, strict=True)) + 0.005
    assert r.ttft_mean_s == pytest.approx(expected, rel=1e-12)
    assert prefill_pairs(4096, 4096) == pairs[1]


def test_two_requests_at_once_share_the_prefill_step_and_the_decode_steps():
    r = simulate(TOY, 100, 3, rate="inf", requests=2)
    prefill = 0.010 + 1e-5 * 200 + 1e-8 * 2 * 5050
    assert r.ttft_p50_s == pytest.approx(prefill + 0.005, rel=1e-12)
    steps = [0.010 + 1e-5 * 2 + 1e-8 * 2 * c for c in (101, 102)]
    assert r.itl_mean_s == pytest.approx(sum(steps) / 2, rel=1e-12)
    assert r.mean_batch == pytest.approx(2.0)
    assert r.arrivals == "all_at_once" and r.rate_per_s == math.inf


def test_decode_tokens_come_first_in_the_step_budget():
    # budget 150, three 100-token prompts at once. Step 1: prompt 1 whole + 50 of prompt 2.
    # Step 2: request 1's decode token, the last 50 of prompt 2, then 99 of prompt 3 (not 100:
    # the decode token took one place). Step 3: two decode tokens and prompt 3's last token.
    sched = SchedulerConfig(max_num_tokens=150)
    r = simulate(TOY, 100, 3, rate="inf", requests=3, scheduler=sched)
    tr = r.trace
    s1 = 0.010 + 1e-5 * 150 + 1e-8 * (5050 + 50 * 51 / 2)
    s2 = 0.010 + 1e-5 * 150 + 1e-8 * (101 + 50 * 50 + 50 * 51 / 2 + 99 * 100 / 2)
    s3 = 0.010 + 1e-5 * 3 + 1e-8 * (102 + 101 + 99 + 1)
    assert tr.first_token_s == pytest.approx([s1, s1 + s2, s1 + s2 + s3])
    assert tr.done_s[0] == pytest.approx(s1 + s2 + s3)


# ---------------------------------------------------------------- queueing and Little's law

def test_littles_law_holds_on_the_simulations_own_numbers():
    step = StandInStep("llama-3.1-8b", "H100-SXM", 1, "bf16")
    r = simulate(step, 467, 256, rate=20.0, requests=400, arrivals="poisson", seed=3)
    tr = r.trace
    span = tr.done_s.max() - tr.arrival_s.min()
    arrival_rate = len(tr.done_s) / span
    time_in_batch = np.mean(tr.done_s - tr.admit_s)
    # mean_batch is integrated over the engine's steps; the right side uses per-request times
    assert r.mean_batch == pytest.approx(arrival_rate * time_in_batch, rel=1e-9)
    assert r.mean_batch > 10


def test_kv_limit_makes_requests_wait_for_a_reservation():
    # room for 3 requests of 100 + 28 tokens (2 blocks of 64 each) -> the other 3 wait
    toy = LinearStep(kv_capacity_tokens=6 * 64)
    r = simulate(toy, 100, 28, rate="inf", requests=6)
    tr = r.trace
    assert r.max_batch == 3
    assert np.all(tr.admit_s[:3] == 0)
    assert np.all(tr.admit_s[3:] == pytest.approx(tr.done_s[0]))
    assert r.mean_queue_s == pytest.approx(tr.done_s[0] / 2)


def test_max_batch_size_caps_requests_in_flight():
    r = simulate(TOY, 50, 10, rate="inf", requests=10, scheduler=SchedulerConfig(max_batch_size=4))
    assert r.trace.step_batch.max() == 4
    assert np.sum(r.trace.admit_s == 0) == 4


def test_closed_loop_keeps_n_requests_in_the_system():
    r = simulate(TOY, 100, 20, concurrency=4, requests=40)
    tr = r.trace
    assert np.sum(tr.arrival_s == 0) == 4
    # every later request is sent when an earlier one finishes
    assert set(np.round(tr.arrival_s[4:], 12)) <= set(np.round(tr.done_s, 12))
    # with fixed lengths the 4 users move in lockstep: always 4 in flight until the end
    assert np.all(tr.step_batch == 4)
    assert r.arrivals == "closed" and r.concurrency == 4


def test_one_user_sends_requests_back_to_back():
    one = simulate(TOY, 100, 5, rate=1.0, requests=1)
    r = simulate(TOY, 100, 5, concurrency=1, requests=3)
    engine = one.mean_latency_s - 0.005
    assert r.achieved_requests_per_s == pytest.approx(3 / (3 * engine + 0.005), rel=1e-12)


def test_fixed_arrivals_are_evenly_spaced_and_poisson_are_bursty():
    step = StandInStep("llama-3.1-70b", "H100-SXM", 4, "bf16")
    sat = saturation_requests_per_s(step, 467, 256)
    fixed = simulate(step, 467, 256, rate=0.8 * sat, requests=500, arrivals="fixed")
    assert np.allclose(np.diff(fixed.trace.arrival_s), 1 / (0.8 * sat))
    pois = simulate(step, 467, 256, rate=0.8 * sat, requests=500, arrivals="poisson", seed=1)
    gaps = np.diff(pois.trace.arrival_s)
    assert gaps.mean() == pytest.approx(1 / (0.8 * sat), rel=0.15)
    assert gaps.std() / gaps.mean() == pytest.approx(1.0, abs=0.15)  # exponential gaps: CV 1
    # bursts queue up: the Poisson tail is worse than the evenly spaced one at the same mean rate
    assert pois.ttft_p99_s > fixed.ttft_p99_s
    again = simulate(step, 467, 256, rate=0.8 * sat, requests=500, arrivals="poisson", seed=1)
    assert again.ttft_p99_s == pois.ttft_p99_s
    other = simulate(step, 467, 256, rate=0.8 * sat, requests=500, arrivals="poisson", seed=2)
    assert other.ttft_p99_s != pois.ttft_p99_s


def test_default_arrivals_are_poisson():
    r = simulate(TOY, 10, 2, rate=5.0, requests=50)
    assert r.arrivals == "poisson"
    assert np.diff(r.trace.arrival_s).std() > 0


def test_length_distributions_keep_their_means():
    n = 4000
    u = simulate(TOY, 200, 100, rate="inf", requests=n, length_dist="uniform", length_spread=0.5)
    assert u.trace.input_len.min() >= 100 and u.trace.input_len.max() <= 300
    assert u.trace.output_len.mean() == pytest.approx(100, rel=0.03)
    e = simulate(TOY, 200, 100, rate="inf", requests=n, length_dist="exponential")
    assert e.trace.output_len.min() >= 1
    assert e.trace.output_len.mean() == pytest.approx(100, rel=0.06)
    assert e.trace.output_len.std() == pytest.approx(100, rel=0.1)  # geometric: sd ~ mean


def test_ttft_knee_as_the_rate_passes_saturation():
    step = StandInStep("llama-3.1-8b", "H100-SXM", 1, "bf16")
    sat = saturation_requests_per_s(step, 467, 256)
    low = simulate(step, 467, 256, rate=0.3 * sat, arrivals="fixed")
    high = simulate(step, 467, 256, rate=2 * sat, arrivals="fixed")
    assert high.ttft_mean_s > 10 * low.ttft_mean_s
    assert low.output_tokens_per_s == pytest.approx(0.3 * sat * 256, rel=0.05)


# ---------------------------------------------------------------- saturation

def test_saturation_by_hand_with_the_toy_step():
    toy = LinearStep(kv_capacity_tokens=64 * 100)  # 100 blocks
    i, o = 100, 28  # 128 tokens = 2 blocks -> 50 requests at once
    budget = 8192
    prefill_per_token = (0.010 + 1e-5 * budget + 1e-8 * budget * (i + 1) / 2) / budget
    ctx = i + o / 2
    decode_step = 0.010 + 1e-5 * 50 + 1e-8 * 50 * ctx
    expected = 1 / (i * prefill_per_token + (o - 1) * decode_step / 50)
    assert saturation_requests_per_s(toy, i, o) == pytest.approx(expected, rel=1e-12)
    # no room for even one request
    assert saturation_requests_per_s(LinearStep(kv_capacity_tokens=64), i, o) == 0.0


@pytest.mark.parametrize("model, tp, i, o, max_batch", [
    ("llama-3.1-8b", 1, 467, 256, 2048),
    ("llama-3.1-70b", 4, 467, 256, 2048),
    ("llama-3.1-70b", 4, 2000, 300, 2048),
    ("llama-3.1-8b", 1, 467, 16, 2048),
    ("llama-3.1-8b", 1, 202, 214, 64),
    ("llama-3.1-8b", 1, 1000, 1000, 2048),
])
def test_saturation_analytic_agrees_with_the_simulated_steady_state(model, tp, i, o, max_batch):
    step = StandInStep(model, "H100-SXM", tp, "bf16")
    sched = SchedulerConfig(max_batch_size=max_batch)
    analytic = saturation_requests_per_s(step, i, o, sched)
    r = simulate(step, i, o, rate="inf", requests=3000, scheduler=sched)
    done = np.sort(r.trace.done_s)
    a, b = len(done) // 4, 3 * len(done) // 4  # the middle half: no start-up, no drain
    steady = (b - a) / (done[b] - done[a])
    assert analytic == pytest.approx(steady, rel=0.10)
    assert r.saturation_requests_per_s == analytic


def test_rates_below_saturation_are_sustained_and_above_are_not():
    step = StandInStep("llama-3.1-70b", "H100-SXM", 4, "bf16")
    sat = saturation_requests_per_s(step, 2000, 300)
    below = simulate(step, 2000, 300, rate=0.7 * sat, requests=1500, arrivals="fixed")
    above = simulate(step, 2000, 300, rate=1.5 * sat, requests=1500, arrivals="fixed")
    assert below.mean_queue_s < 0.1
    assert above.ttft_mean_s > 20 * below.ttft_mean_s
    assert above.achieved_requests_per_s < 1.1 * sat


# ---------------------------------------------------------------- the stand-in step

def test_stand_in_prefill_step_is_compute_bound_by_hand():
    p = StepParams(mbu=0.8, mfu=0.5, step_overhead_s=0.0, layer_overhead_s=0.0, frontend_s=0.0)
    step = StandInStep("llama-3.1-8b", "H100-SXM", 1, "bf16", params=p)
    m = cl.get_model("llama-3.1-8b")
    t = 4096
    pairs = t * (t + 1) / 2
    flops = 2 * m.n_active_params * t + 4 * 32 * 32 * 128 * pairs
    assert step.step_time_s(t, pairs, 0) == pytest.approx(flops / (989e12 * 0.5), rel=1e-12)


def test_stand_in_tp_adds_all_reduces():
    p = StepParams(mbu=0.8, mfu=0.5, step_overhead_s=0.0, layer_overhead_s=0.0, allreduce_latency_s=2e-5,
                   link_efficiency=0.5)
    step = StandInStep("llama-3.1-70b", "H100-SXM", 4, "bf16", params=p)
    # batch-1 decode of 70B bf16 on 4 GPUs: weights / (4 x 3.35 TB/s x 0.8), plus
    # 2 x 80 all-reduces of 20 us + 2 x 3/4 x 8192 x 2 bytes over 450 GB/s x 0.5
    m = cl.get_model("llama-3.1-70b")
    kv = 2 * 80 * 8 * 128 * 2
    mem = (2 * m.n_params + kv * (10 + 1)) / (4 * 3.35e12 * 0.8)
    comm = 2 * 80 * (2e-5 + 2 * 3 / 4 * 8192 * 2 / (450e9 * 0.5))
    assert step.step_time_s(1, 11, 10) == pytest.approx(mem + comm, rel=1e-12)


def test_stand_in_moe_reads_only_the_touched_experts():
    step = StandInStep("mixtral-8x7b", "H100-SXM", 1, "bf16")
    m = cl.get_model("mixtral-8x7b")
    one = step.weight_bytes_read(1)
    assert one == pytest.approx((m.shared_params + 32 * 2 * m.expert_params) * 2)
    assert step.weight_bytes_read(10_000) == pytest.approx(m.n_params * 2, rel=1e-6)


def test_stand_in_is_vectorised():
    step = StandInStep("llama-3.1-8b", "H100-SXM")
    t = np.array([1, 10, 100, 1000])
    out = step.step_time_s(t, t * 500, t * 499)
    assert out.shape == (4,)
    assert np.all(np.diff(out) > 0)
    assert out[1] == step.step_time_s(10, 5000, 4990)


def test_stand_in_kv_capacity_by_hand():
    p = StepParams(kv_memory_fraction=0.9, reserve_bytes_per_gpu=3e9)
    step = StandInStep("llama-3.1-70b", "H100-SXM", 4, "bf16", params=p)
    m = cl.get_model("llama-3.1-70b")
    free = 4 * (80 * 2**30 - 3e9) - 2 * m.n_params  # 80 GB of HBM read as GiB
    assert step.kv_capacity_tokens == int(0.9 * free // (2 * 80 * 8 * 128 * 2))


# ---------------------------------------------------------------- results and bad input

def test_result_dict_has_the_cli_keys_and_units():
    d = simulate(TOY, 10, 3, rate=2.0, requests=5).as_dict()
    for key in ("ttft_mean_s", "ttft_p50_s", "ttft_p90_s", "ttft_p99_s", "itl_mean_s", "itl_p99_s",
                "output_tokens_per_s", "achieved_requests_per_s", "saturation_requests_per_s", "mean_batch"):
        assert isinstance(d[key], float), key
    assert "trace" not in d


def test_weighted_quantile_by_hand():
    assert weighted_quantile([1, 2, 3], [1, 1, 98], 0.5) == 3
    assert weighted_quantile([1, 2, 3], [98, 1, 1], 0.99) == 2
    assert weighted_quantile([5, 1], [1, 0], 1.0) == 5
    assert math.isnan(weighted_quantile([1.0], [0], 0.5))


@pytest.mark.parametrize("kwargs, name", [
    ({"rate": 0}, "rate"),
    ({"rate": -2}, "rate"),
    ({"rate": "fast"}, "rate"),
    ({"rate": float("nan")}, "rate"),
    ({"concurrency": 0}, "concurrency"),
    ({"concurrency": 2.5}, "concurrency"),
    ({"rate": 1, "requests": 0}, "requests"),
    ({"rate": 1, "concurrency": 2}, "exactly one"),
    ({}, "exactly one"),
    ({"rate": 1, "arrivals": "gaussian"}, "arrivals"),
    ({"rate": 1, "length_dist": "normal"}, "length_dist"),
    ({"rate": 1, "length_spread": 1.5}, "length_spread"),
    ({"rate": 1, "seed": -1}, "seed"),
    ({"rate": 1, "scheduler": {"max_num_tokens": 10}}, "scheduler"),
])
def test_bad_input_names_the_parameter(kwargs, name):
    with pytest.raises(ValueError, match=name):
        simulate(TOY, 100, 10, **kwargs)


def test_bad_lengths_and_step_models():
    with pytest.raises(ValueError, match="input_len"):
        simulate(TOY, 0, 10, rate=1)
    with pytest.raises(ValueError, match="output_len"):
        simulate(TOY, 10, -5, rate=1)
    with pytest.raises(ValueError, match="step"):
        simulate("llama-3.1-8b", 10, 10, rate=1)
    with pytest.raises(ValueError, match="KV cache"):
        simulate(LinearStep(kv_capacity_tokens=100), 100, 28, rate=1)
    with pytest.raises(ValueError, match="max_num_tokens"):
        SchedulerConfig(max_num_tokens=0)
    with pytest.raises(ValueError, match="mfu"):
        StepParams(mfu=1.5)
    with pytest.raises(ValueError, match="tp"):
        StandInStep("llama-3.1-8b", "H100-SXM", 3)
    with pytest.raises(ValueError, match="gpu"):
        StandInStep("llama-3.1-8b", "H100-SXN")
    with pytest.raises(ValueError, match="frontend_s"):
        StepParams().with_(frontend_s=-1)
    with pytest.raises(ValueError, match="unknown StepParams"):
        StepParams().with_(mfu_typo=0.5)


# ---------------------------------------------------------------- thin wrappers

def test_serve_is_step_for_plus_simulate():
    r = serve("llama-3.1-8b", "h100-sxm", 1, "bf16", input_len=467, output_len=256, rate=4.0, requests=50)
    step = step_for("llama-3.1-8b", "H100-SXM", 1, "bf16", params=DEFAULT_STEP_PARAMS)
    same = simulate(step, 467, 256, rate=4.0, requests=50)
    assert r.as_dict() == same.as_dict()
    with pytest.raises(ValueError, match="model"):
        serve("llama-9", "H100-SXM", input_len=10, output_len=10, rate=1)


def test_weights_that_fill_the_memory_leave_no_kv_cache():
    with pytest.raises(ValueError, match="no room for KV cache"):
        serve("llama-3.1-70b", "H100-SXM", 1, "bf16", input_len=100, output_len=10, rate=1)


def test_rate_sweep_has_one_row_per_rate():
    df = rate_sweep(TOY, 100, 10, [1.0, 2.0, "inf"], requests=20, arrivals="fixed")
    assert list(df["rate_per_s"]) == [1.0, 2.0, math.inf]
    assert df["ttft_mean_s"].is_monotonic_increasing
    with pytest.raises(ValueError, match="rates"):
        rate_sweep(TOY, 100, 10, [])


def test_max_rate_under_ttft_p99_brackets_the_target():
    step = StandInStep("llama-3.1-8b", "H100-SXM", 1, "bf16")
    sat = saturation_requests_per_s(step, 467, 256)
    target = 0.07  # 0.05 s idle (prefill + front end); the tail passes 0.07 s well below saturation
    r = max_rate_under_ttft_p99(step, 467, 256, target, requests=300)
    assert 0 < r < sat

    def p99(rate):
        return simulate(step, 467, 256, rate=rate, requests=300).ttft_p99_s

    assert p99(r) <= target < p99(1.1 * r)
    # an idle replica already needs more than 1 ms for the first token
    assert max_rate_under_ttft_p99(step, 467, 256, 0.001, requests=300) == 0.0
    with pytest.raises(ValueError, match="ttft_p99_s"):
        max_rate_under_ttft_p99(step, 467, 256, 0)
    with pytest.raises(ValueError, match="searches the rate"):
        max_rate_under_ttft_p99(step, 467, 256, 1.0, rate=3)


# ---------------------------------------------------------------- validation figures

def _table(rows):
    cols = ["request_rate_per_s", "concurrency", "output_tokens_per_s", "pred_output_tokens_per_s", "itl_mean_ms",
            "pred_itl_mean_ms", "ttft_mean_ms", "pred_ttft_mean_ms", "achieved_requests_per_s",
            "pred_achieved_requests_per_s"]
    return pd.DataFrame(rows, columns=cols)


def test_validation_figures_on_a_hand_made_table():
    nan = float("nan")
    t = _table([
        # rate, users, tok, pred tok, itl, pred itl, ttft, pred ttft, ach, pred ach
        [2.0, nan, 100, 130, 10, 11, 50, 60, 2, 2],  # light: tokens +30%, itl +10%, ttft +20%
        [16.0, nan, 100, 95, 10, 8, 200, 150, 10, 10],  # loaded: -5%, -20%, -25%
        ["inf", nan, 100, 110, 20, 20, 3000, 5000, 30, 36],  # loaded, knee (x1.67), saturation +20%
        ["inf", nan, 100, 80, 20, 30, 2000, 900, 20, 19],  # loaded, knee (x0.45: outside 2x), sat -5%
        [nan, 30, 100, 102, 10, 10, 400, 700, 5, 5],  # 30 users: loaded; false knee (0.4 s -> 0.7 s)
        [8.0, nan, 100, 100, 10, 12, 300, 490, 8, 8],  # light; 0.49 s is not a false knee
    ])
    assert list(loaded_mask(t)) == [False, True, True, True, True, False]
    f = online_figures(t)
    # loaded token errors: 5%, 10%, 20%, 2% -> median (5 + 10)/2 = 7.5%
    assert f.tokens_loaded_median_abs_error == pytest.approx(0.075)
    # all: 30, 5, 10, 20, 2, 0 -> median (5 + 10)/2
    assert f.tokens_all_median_abs_error == pytest.approx(0.075)
    # itl: 10, 20, 0, 50, 0, 20 -> sorted 0 0 10 20 20 50 -> 15%
    assert f.itl_median_abs_error == pytest.approx(0.15)
    # ttft below 1 s: rows 1, 2, 5, 6: 20, 25, 75, 63.3 -> (25 + 63.3)/2
    assert f.ttft_below_1s_median_abs_error == pytest.approx((0.25 + 190 / 300) / 2)
    assert f.n_knee == 2 and f.knee_within_2x_share == 0.5
    assert f.false_knees == 1
    assert f.n_saturation == 2 and f.saturation_median_abs_error == pytest.approx((0.2 + 0.05) / 2)
    meets = f.meets
    assert meets["tokens_loaded_median_abs_error"] and not meets["knee_within_2x_share"]
    assert not meets["false_knees"] and not f.all_met
    assert list(f.to_frame()["figure"]) == list(TARGETS)


def test_bundled_online_rows_keep_their_source():
    df = online_rows()
    assert len(df) == 36
    assert df["source"].str.contains("TensorRT-LLM").all()
    assert set(df["model"]) == {"llama-3.1-8b", "llama-3.1-70b"}


@pytest.fixture(scope="module")
def published():
    return validate_online()


def test_stand_in_meets_the_issue_targets_on_the_published_runs(published):
    f, table = published
    assert f.n_rows == 36 and f.n_loaded == 18 and f.n_saturation == 6
    assert len(table) == 36 and table["pred_ttft_mean_ms"].gt(0).all()
    assert f.all_met, f.to_frame().to_string()
    # the same step model at half the compute efficiency misses the loaded rows and the knee
    slow = validate_online(params=StepParams().with_(mfu=0.275))[0]
    assert not slow.all_met


def test_readme_reports_the_computed_figures(published):
    from pathlib import Path

    f = published[0]
    text = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = text[text.index("### Serving under load: the online runs"):]
    rows = [line for line in section.splitlines() if line.startswith("| ")][1:8]
    obtained = [line.rstrip(" |").rsplit("| ", 1)[1].strip() for line in rows]
    pct = lambda x: f"{100 * x:.1f}%"  # noqa: E731
    expected = [pct(f.tokens_loaded_median_abs_error), pct(f.tokens_all_median_abs_error),
                pct(f.itl_median_abs_error), pct(f.ttft_below_1s_median_abs_error),
                f"{100 * f.knee_within_2x_share:.0f}%", "none" if f.false_knees == 0 else str(f.false_knees),
                pct(f.saturation_median_abs_error)]
    assert obtained == expected

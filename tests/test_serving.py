"""The serving simulation (costlib.estimate.serving) on the one engine, and its validation figures (costlib.evidence.online).

Expected values are derived by hand here: with a toy step model whose cost is a known linear
function, every step of a small scenario can be written down; the engine step is checked against
the master equation worked through from catalog numbers in the test.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pytest

import costlib as cl
from costlib.catalog.deployment import deployment
from costlib.estimate.predict import predict
from costlib.estimate.profiles import get_profile
from costlib.estimate.serving import (
    EngineStep,
    engine_step,
    max_rate_under_ttft_p99,
    prefill_pairs,
    rate_sweep,
    saturation_requests_per_s,
    serve,
    simulate,
    weighted_quantile,
)
from costlib.evidence.online import (
    TARGETS,
    loaded_mask,
    online_figures,
    online_rows,
    predict_online,
    validate_online,
)
from costlib.physics import engine
from costlib.physics.engine import Efficiency, EngineLimits
from costlib.physics.replica import replica_spec


@dataclass(frozen=True)
class LinearStep:
    """A step that costs base + per token x T + per pair x pairs + per KV read x reads + per logit row x rows."""

    base_s: float = 0.010
    per_token_s: float = 1e-5
    per_pair_s: float = 1e-8
    per_kv_s: float = 0.0
    per_row_s: float = 0.0
    kv_capacity_tokens: int = 10_000_000
    ttft_overhead_s: float = 0.005
    limits: EngineLimits = field(default_factory=EngineLimits)

    def step_time_s(self, new_tokens, attention_pairs, kv_read_tokens, logit_rows):
        return (self.base_s + self.per_token_s * np.asarray(new_tokens, dtype=float)
                + self.per_pair_s * np.asarray(attention_pairs, dtype=float)
                + self.per_kv_s * np.asarray(kv_read_tokens, dtype=float)
                + self.per_row_s * np.asarray(logit_rows, dtype=float))


TOY = LinearStep()
H100_8B = deployment("llama-3.1-8b", "H100-SXM", 1, "bf16")
H100_70B = deployment("llama-3.1-70b", "H100-SXM", 4, "bf16")


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


def test_itl_of_a_lone_request_is_one_decode_step_of_the_master_equation():
    # Llama 3.1 8B on one H100 SXM, bf16, decode at batch 1: memory-bound, so one step reads the
    # body weights and the 16-bit output head (2 bytes each) plus the KV cache; worked out by hand.
    eff = Efficiency(mbu=0.8, mfu=0.5, sequence_overhead_s=2e-6)
    step = EngineStep(replica_spec(H100_8B), eff, EngineLimits(), 0.0)
    m = cl.get_model("llama-3.1-8b")
    kv_per_token = 2 * 32 * 8 * 128 * 2  # K and V x layers x KV heads x head dim x bf16 bytes
    weights_read = 2 * (m.n_params - m.embedding_params) + 2 * m.vocab_size * m.hidden_size
    i, o = 1000, 3
    contexts = [i + 1, i + 2]  # the two decode steps after the prefill: cached + the new token
    per_step = [(weights_read + kv_per_token * c) / (3.35e12 * 0.8) + 2e-6 for c in contexts]
    # memory-bound here: flops of one token at 1,000 context, far below the ridge
    flops = 2 * m.n_active_params + 4 * 32 * 32 * 128 * contexts[-1]
    assert flops / (989e12 * 0.5) < per_step[-1] / 10
    r = simulate(step, i, o, rate=1.0, requests=1, arrivals="fixed")
    assert r.itl_mean_s == pytest.approx(sum(per_step) / 2, rel=1e-9)


def test_the_step_is_the_engines_master_equation_with_the_profiles_values():
    prof = get_profile("calibrated")
    step = engine_step(H100_70B)
    assert step.efficiency == prof.mid and step.limits == prof.limits
    assert step.ttft_overhead_s == prof.ttft_overhead_s
    spec = replica_spec(H100_70B)
    args = (np.array([1.0, 64, 4096]), np.array([500.0, 64 * 900, 4096 * 2048]), np.array([499.0, 64 * 899, 0]),
            np.array([1.0, 64, 1]))
    assert np.array_equal(step.step_time_s(*args), engine.step_time_s(spec, prof.mid, *args))
    assert step.kv_capacity_tokens == int(engine.kv_capacity_tokens(spec, prof.limits))
    low = engine_step(H100_70B, point="low")
    assert low.efficiency == prof.efficiency("low")


def test_prefill_finishing_a_prompt_counts_one_logit_row():
    # the step that finishes a prompt samples its first token: per_row_s is paid once for it
    toy = LinearStep(per_row_s=1e-3)
    r = simulate(toy, 100, 2, rate=1.0, requests=1)
    prefill = 0.010 + 1e-5 * 100 + 1e-8 * 5050 + 1e-3
    assert r.ttft_mean_s == pytest.approx(prefill + 0.005, rel=1e-12)
    # three prompts over a 150-token budget: step 1 finishes one prompt (1 row), step 2 has one decode
    # token and finishes prompt 2 only (2 rows), step 3 two decoders + prompt 3 (3 rows)
    lim = EngineLimits(max_tokens=150)
    r3 = simulate(LinearStep(per_row_s=1e-3, limits=lim), 100, 3, rate="inf", requests=3)
    plain = simulate(LinearStep(limits=lim), 100, 3, rate="inf", requests=3)
    extra = r3.trace.first_token_s - plain.trace.first_token_s
    assert extra == pytest.approx([1e-3, 3e-3, 6e-3])


def test_prompt_longer_than_the_budget_is_prefilled_in_chunks():
    toy = LinearStep(limits=EngineLimits(max_tokens=4096))
    r = simulate(toy, 10_000, 1, rate=1.0, requests=1)
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
    toy = LinearStep(limits=EngineLimits(max_tokens=150))
    r = simulate(toy, 100, 3, rate="inf", requests=3)
    tr = r.trace
    s1 = 0.010 + 1e-5 * 150 + 1e-8 * (5050 + 50 * 51 / 2)
    s2 = 0.010 + 1e-5 * 150 + 1e-8 * (101 + 50 * 50 + 50 * 51 / 2 + 99 * 100 / 2)
    s3 = 0.010 + 1e-5 * 3 + 1e-8 * (102 + 101 + 99 + 1)
    assert tr.first_token_s == pytest.approx([s1, s1 + s2, s1 + s2 + s3])
    assert tr.done_s[0] == pytest.approx(s1 + s2 + s3)


# ---------------------------------------------------------------- queueing and Little's law

def test_littles_law_holds_on_the_simulations_own_numbers():
    step = engine_step(H100_8B)
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
    r = simulate(LinearStep(limits=EngineLimits(max_batch=4)), 50, 10, rate="inf", requests=10)
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
    step = engine_step(H100_70B)
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
    step = engine_step(H100_8B)
    sat = saturation_requests_per_s(step, 467, 256)
    # 2,000 requests: the 500 of a published run all fit in this replica's KV cache at once
    low = simulate(step, 467, 256, rate=0.3 * sat, arrivals="fixed", requests=2000)
    high = simulate(step, 467, 256, rate=2 * sat, arrivals="fixed", requests=2000)
    assert high.ttft_mean_s > 10 * low.ttft_mean_s
    assert low.output_tokens_per_s == pytest.approx(0.3 * sat * 256, rel=0.05)


# ---------------------------------------------------------------- saturation

def test_saturation_is_the_max_throughput_steady_state_per_output_length():
    # one engine: the saturated replica is the max-throughput workload of predict()
    for dep, i, o in ((H100_8B, 467, 256), (H100_70B, 2000, 300)):
        est = predict(dep, i, o)
        assert saturation_requests_per_s(engine_step(dep), i, o) == pytest.approx(
            est.output_tokens_per_s.mid / o, rel=1e-12)


def test_saturation_is_zero_when_one_request_does_not_fit():
    step = engine_step(H100_8B)
    assert saturation_requests_per_s(step, step.kv_capacity_tokens, 1) == 0.0


@pytest.mark.parametrize("model, tp, i, o, max_batch", [
    ("llama-3.1-8b", 1, 467, 256, 2048),
    ("llama-3.1-70b", 4, 467, 256, 2048),
    ("llama-3.1-70b", 4, 2000, 300, 2048),
    ("llama-3.1-8b", 1, 467, 16, 2048),
    ("llama-3.1-8b", 1, 1000, 1000, 2048),
    ("llama-3.1-70b", 2, 1000, 1000, 2048),  # FP8 on 2 GPUs: the KV cache, not max_batch, limits
])
def test_saturation_analytic_agrees_with_the_simulated_steady_state(model, tp, i, o, max_batch):
    prof = get_profile("calibrated")
    prof = prof.with_(limits=dataclasses.replace(prof.limits, max_batch=max_batch))
    prec = "fp8" if tp == 2 else "bf16"
    step = engine_step(deployment(model, "H100-SXM", tp, prec, prec), prof)
    analytic = saturation_requests_per_s(step, i, o)
    r = simulate(step, i, o, rate="inf", requests=3000)
    done = np.sort(r.trace.done_s)
    a, b = len(done) // 4, 3 * len(done) // 4  # the middle half: no start-up, no drain
    steady = (b - a) / (done[b] - done[a])
    assert analytic == pytest.approx(steady, rel=0.10)
    assert r.saturation_requests_per_s == analytic


def test_lockstep_cohorts_make_the_simulation_slower_than_the_steady_state():
    # Fixed lengths, all at once, a small KV cache: requests start and finish together, so each cohort's
    # prompts are prefilled while no one decodes. The analytic steady state spreads them out: it is
    # an upper bound here, within 25% (a known limit of fixed-length simulations; real lengths vary).
    step = engine_step(deployment("llama-3.1-8b", "L40S", 1, "bf16"))
    analytic = saturation_requests_per_s(step, 2000, 500)
    r = simulate(step, 2000, 500, rate="inf", requests=3000)
    done = np.sort(r.trace.done_s)
    steady = 1500 / (done[2250] - done[750])
    assert steady < analytic < 1.25 * steady


def test_rates_below_saturation_are_sustained_and_above_are_not():
    step = engine_step(H100_70B)
    sat = saturation_requests_per_s(step, 2000, 300)
    below = simulate(step, 2000, 300, rate=0.7 * sat, requests=1500, arrivals="fixed")
    above = simulate(step, 2000, 300, rate=1.5 * sat, requests=1500, arrivals="fixed")
    assert below.mean_queue_s < 0.1
    assert above.ttft_mean_s > 20 * below.ttft_mean_s
    assert above.achieved_requests_per_s < 1.1 * sat


def test_kv_capacity_by_hand():
    prof = get_profile("calibrated")
    step = engine_step(H100_70B)
    m = cl.get_model("llama-3.1-70b")
    free = 4 * (80 * 2**30 - prof.limits.reserve_bytes_per_gpu) - 2 * m.n_params  # 80 GB read as GiB
    assert step.kv_capacity_tokens == int(prof.limits.kv_fraction * free / (2 * 80 * 8 * 128 * 2))


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
    with pytest.raises(ValueError, match="limits"):
        simulate(LinearStep(limits={"max_tokens": 10}), 10, 10, rate=1)
    with pytest.raises(ValueError, match="efficiency"):
        EngineStep(replica_spec(H100_8B), "fast", EngineLimits())
    with pytest.raises(ValueError, match="ttft_overhead_s"):
        EngineStep(replica_spec(H100_8B), Efficiency(), EngineLimits(), -1.0)
    with pytest.raises(ValueError, match="tp"):
        serve("llama-3.1-8b", "H100-SXM", 3, input_len=10, output_len=10, rate=1)
    with pytest.raises(ValueError, match="gpu"):
        serve("llama-3.1-8b", "H100-SXN", input_len=10, output_len=10, rate=1)
    with pytest.raises(ValueError, match="profile"):
        serve("llama-3.1-8b", "H100-SXM", input_len=10, output_len=10, rate=1, profile="fastest")


# ---------------------------------------------------------------- thin wrappers

def test_serve_is_engine_step_plus_simulate():
    r = serve("llama-3.1-8b", "h100-sxm", 1, "bf16", input_len=467, output_len=256, rate=4.0, requests=50)
    step = engine_step(H100_8B)
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
    step = engine_step(H100_8B)
    sat = saturation_requests_per_s(step, 467, 256)
    target = 0.05  # ~0.02 s idle (prefill + front end); the tail passes 0.05 s below saturation
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


def test_calibrated_profile_on_the_published_online_runs(published):
    f, table = published
    assert f.n_rows == 36 and f.n_loaded == 18 and f.n_saturation == 6
    assert len(table) == 36 and table["pred_ttft_mean_ms"].gt(0).all()
    met = f.meets
    # the profile never saw these rows; all but the loaded-rows token figure meet the targets
    assert all(ok for name, ok in met.items() if name != "tokens_loaded_median_abs_error"), f.to_frame()
    # the same engine at half the calibrated compute efficiency misses the knee and the saturation rate
    prof = get_profile("calibrated")
    slow = validate_online(prof.with_(mid=dataclasses.replace(prof.mid, mfu=prof.mid.mfu / 2)))[0]
    assert not slow.meets["saturation_median_abs_error"]


def test_docs_report_the_computed_figures(published):
    from pathlib import Path

    f = published[0]
    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert f"{100 * f.tokens_loaded_median_abs_error:.1f}% median error on loaded rows" in readme
    text = (root / "docs" / "serving.md").read_text(encoding="utf-8")
    section = text[text.index("### Serving under load: the online runs"):]
    rows = [line for line in section.splitlines() if line.startswith("| ")][1:8]
    obtained = [line.rstrip(" |").rsplit("| ", 1)[1].strip() for line in rows]
    pct = lambda x: f"{100 * x:.1f}%"  # noqa: E731
    expected = [pct(f.tokens_loaded_median_abs_error), pct(f.tokens_all_median_abs_error),
                pct(f.itl_median_abs_error), pct(f.ttft_below_1s_median_abs_error),
                f"{100 * f.knee_within_2x_share:.0f}%", "none" if f.false_knees == 0 else str(f.false_knees),
                pct(f.saturation_median_abs_error)]
    assert obtained == expected


def test_give_up_stops_only_runs_whose_p99_ttft_must_miss():
    # a search only needs to know that a point misses: the run may stop once more requests than the
    # p99 allows (n - floor(0.99 (n - 1)) of them) have waited longer than the cap for their first token
    step = engine_step(deployment("llama-3.1-70b", "H100-SXM", 4, "fp8", "fp8"))
    for rate in (0.5, 3.0, 7.0):
        whole = simulate(step, 2000, 300, rate=rate, requests=200, keep_trace=False)
        for cap in (0.5 * whole.ttft_p99_s, 2.0 * whole.ttft_p99_s):
            cut = simulate(step, 2000, 300, rate=rate, requests=200, keep_trace=False, give_up_ttft_p99_s=cap)
            if whole.ttft_p99_s > cap:
                assert cut is None
            else:  # a run that meets the cap is simulated whole, the same as without one
                assert cut == whole
    with pytest.raises(ValueError, match="give_up_ttft_p99_s"):
        simulate(step, 2000, 300, rate=1.0, give_up_ttft_p99_s=0)


def test_predict_online_builds_each_step_with_make_step():
    # the hook a what-if run uses (benchmarks/online_what_if.py): the default is engine_step itself,
    # and a step twice as slow halves the tokens/s of a row past saturation
    rows = online_rows()
    rows = rows[(rows["model"] == "llama-3.1-8b") & (rows["output_len"] == 16)
                & rows["request_rate_per_s"].astype(str).isin(["2.0", "inf"])]
    base = predict_online(rows)
    same = predict_online(rows, make_step=engine_step)
    assert base["pred_output_tokens_per_s"].tolist() == same["pred_output_tokens_per_s"].tolist()

    @dataclasses.dataclass(frozen=True)
    class Slow(EngineStep):
        def step_time_s(self, *args):
            return 2 * super().step_time_s(*args)

    def slow(dep, profile):
        s = engine_step(dep, profile)
        return Slow(s.spec, s.efficiency, s.limits, s.ttft_overhead_s, s.label)

    slower = predict_online(rows, make_step=slow)
    sat = rows["request_rate_per_s"].astype(str).eq("inf").to_numpy()
    ratio = slower["pred_output_tokens_per_s"].to_numpy() / base["pred_output_tokens_per_s"].to_numpy()
    assert ratio[sat][0] == pytest.approx(0.5, rel=0.02)
    assert ratio[~sat][0] > 0.95  # at 2 requests/s the rate, not the step, sets tokens/s


def test_docs_report_the_held_out_h200_figures():
    # benchmarks/data/online_serving_h200.csv: the same published page's H200 runs, held out; docs/serving.md
    # quotes their figures as computed now
    from pathlib import Path

    from costlib.evidence.online import validate_online

    root = Path(__file__).resolve().parents[1]
    f, _ = validate_online(rows=pd.read_csv(root / "benchmarks" / "data" / "online_serving_h200.csv"))
    text = " ".join((root / "docs" / "serving.md").read_text(encoding="utf-8").split())
    pct = lambda x: f"{100 * x:.1f}%"  # noqa: E731
    assert (f"loaded tokens/s {pct(f.tokens_loaded_median_abs_error)}, all {pct(f.tokens_all_median_abs_error)}, "
            f"ITL {pct(f.itl_median_abs_error)}, TTFT < 1 s {pct(f.ttft_below_1s_median_abs_error)}") in text
    assert f"saturation {pct(f.saturation_median_abs_error)}" in text
    assert f.all_met == ("they meet all 7 targets" in text)


def test_online_rows_without_a_needed_column_are_refused_by_name():
    from costlib.evidence.online import online_rows, predict_online

    with pytest.raises(ValueError, match=r"missing column\(s\) \['itl_mean_ms'\]"):
        predict_online(online_rows().drop(columns=["itl_mean_ms"]))
    assert isinstance(online_rows(), pd.DataFrame)

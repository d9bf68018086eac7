"""Levers beyond the chapter by hand: prefix caching, the billing grammar, speculative decoding, energy (issue #16).

Expected values are written out here: the step equation itself is checked by hand in test_engine.py, so
these tests compose it the way each lever says (which tokens are computed, which are read, which are
billed) with efficiencies chosen here; prices come from the providers' published pages (see
``api_prices.csv``), TDP from the H100 SXM datasheet (700 W).
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import costlib as cl
from costlib.economics.billing import api_billing, api_usd_per_million_input, api_usd_per_request
from costlib.economics.quote import quote
from costlib.estimate.energy import J_PER_KWH, board_power_w, energy_use
from costlib.estimate.predict import fixed_batch_table, max_throughput_table, predict, prefill_table
from costlib.estimate.profiles import Profile
from costlib.estimate.speculative import (
    crossover_batch,
    expected_tokens_per_step,
    speculative_speedup,
)
from costlib.physics.engine import Efficiency, EngineLimits, kv_capacity_tokens, step_time_s
from costlib.physics.replica import replica_spec

PLAIN = Efficiency(mbu=0.5, mfu=0.5)  # chosen here
LIM = EngineLimits(reserve_bytes_per_gpu=2e9)
MINE = Profile("mine", mid=PLAIN, limits=LIM)
H100_TDP_W = 700.0  # NVIDIA H100 SXM datasheet


def dep(model="llama-3.1-8b", gpu="H100-SXM", tp=1, weights="fp8", kv="fp8"):
    return cl.deployment(model, gpu, tp, weights, kv)


# ---------------------------------------------------------------- prefix caching, self-hosted

def test_a_prefix_hit_computes_only_the_fresh_tokens_in_the_steady_state():
    s = replica_spec(dep())
    i, o, h = 2000.0, 500.0, 0.75
    r = max_throughput_table(s, PLAIN, LIM, i, o, prefix_hit_rate=h, prefill_share=True)
    b = r["batch"]
    new = b / o
    fresh, cached = 500.0, 1500.0  # 2,000 x (1 - 0.75) computed, 1,500 read from the cache
    ctx = i + o / 2
    step = step_time_s(s, PLAIN, b + new * fresh, b * ctx + new * (fresh * cached + fresh * (fresh + 1) / 2),
                       b * ctx + new * cached, b + new)
    assert r["step_time_s"] == pytest.approx(step)
    decode = step_time_s(s, PLAIN, b, b * ctx, b * ctx, b)
    assert r["prefill_share"] == pytest.approx((step - decode) / step)
    # h = 0 is the chapter's steady state, unchanged
    r0 = max_throughput_table(s, PLAIN, LIM, i, o)
    step0 = step_time_s(s, PLAIN, b + new * i, b * ctx + new * i * (i + 1) / 2, b * ctx, b + new)
    assert r0["step_time_s"] == pytest.approx(step0) and r0["step_time_s"] > r["step_time_s"]


def test_a_full_hit_still_computes_the_last_token_and_ttft_falls_with_h():
    s = replica_spec(dep())
    t = prefill_table(s, PLAIN, LIM, 1000.0, 1.0)
    assert t == pytest.approx(step_time_s(s, PLAIN, 1.0, 999.0 + 1.0, 999.0, 1.0))
    t5 = prefill_table(s, PLAIN, LIM, 1000.0, 0.5)
    assert t5 == pytest.approx(step_time_s(s, PLAIN, 500.0, 500 * 500 + 500 * 501 / 2, 500.0, 1.0))
    ttft = [cl.prefill_ttft_s(dep(), 4000, MINE, prefix_hit_rate=h).mid for h in (0.0, 0.5, 0.9)]
    assert ttft[0] > ttft[1] > ttft[2]


def test_a_shared_prefix_is_stored_once_so_more_sequences_fit():
    s = replica_spec(dep())
    cap = kv_capacity_tokens(s, LIM)
    i, o, shared = 3000.0, 200.0, 2048.0
    # the shared prefix is also a cache hit (else B (1 + 3000 / 200) would hit the 8,192-token budget first)
    r = max_throughput_table(s, PLAIN, LIM, i, o, shared_prefix_len=shared, prefix_hit_rate=shared / i)
    per = math.ceil((i - shared + o) / 64) * 64  # 1,152 tokens -> 18 blocks of 64
    assert per == 1152
    assert r["batch"] == pytest.approx(min((cap - shared) / per, 2048))
    plain = max_throughput_table(s, PLAIN, LIM, i, o)
    assert plain["batch"] == pytest.approx(cap / 3200)  # 3,200 tokens: exactly 50 blocks of 64
    assert plain["batch"] < r["batch"]
    e = predict(dep(), 3000, 200, profile=MINE, shared_prefix_len=2048, prefix_hit_rate=2048 / 3000)
    assert e.batch == math.floor(min((cap - shared) / per, 2048))


def test_a_fixed_batch_prefills_only_the_fresh_tokens():
    s = replica_spec(dep())
    b, i, o = 4, 1000, 3
    r = fixed_batch_table(s, PLAIN, EngineLimits(), b, i, o, 0.9)
    pre = step_time_s(s, PLAIN, b * 100, b * (100 * 900 + 100 * 101 / 2), b * 900, b)
    assert r["ttft_s"] == pytest.approx(pre)


def test_the_prompts_price_is_their_share_of_the_gpu_time_and_falls_with_h():
    d = dep("llama-3.1-70b", tp=2)
    qs = [quote("llama-3.1-70b", "H100-SXM", 2, "fp8", "fp8", input_len=4000, output_len=500,
                usd_per_gpu_hour=2.0, profile=MINE, prefix_hit_rate=h) for h in (0.0, 0.5, 0.9)]
    e = predict(d, 4000, 500, profile=MINE, prefix_hit_rate=0.5)
    q = qs[1]
    usd_per_s = 2.0 * 2 / 3600
    by_hand = usd_per_s * e.prefill_share.mid / (e.output_tokens_per_s.mid * 4000 / 500) * 1e6
    assert q.usd_per_million_input.mid == pytest.approx(by_hand)
    mids = [x.usd_per_million_input.mid for x in qs]
    assert mids[0] > mids[1] > mids[2] > 0
    assert qs[0].usd_per_million.mid > qs[2].usd_per_million.mid  # the saved prefill speeds the decode too


@pytest.mark.parametrize("kw,needle", [
    (dict(prefix_hit_rate=-0.1), "prefix_hit_rate"), (dict(prefix_hit_rate=1.5), "prefix_hit_rate"),
    (dict(prefix_hit_rate=float("nan")), "prefix_hit_rate"), (dict(shared_prefix_len=1001), "shared_prefix_len"),
    (dict(shared_prefix_len=-1), "shared_prefix_len"),
])
def test_bad_prefix_options_are_named(kw, needle):
    with pytest.raises(ValueError, match=needle):
        predict(dep(), 1000, 100, **kw)
    with pytest.raises(ValueError, match=needle):
        quote("llama-3.1-8b", "H100-SXM", 1, "fp8", "fp8", input_len=1000, output_len=100, **kw)


# ---------------------------------------------------------------- the billing grammar

def test_cached_input_is_cheaper_but_still_billed():
    # Anthropic's page: Sonnet $3 input, cache writes 1.25x = $3.75, cache hits 0.1x = $0.30, batch 50% off
    b = api_billing("claude-sonnet")
    assert (b.usd_per_million_cached_input, b.usd_per_million_cache_write, b.batch_discount) == (0.30, 3.75, 0.5)
    blended = 0.4 * 3.0 + 0.5 * 0.30 + 0.1 * 3.75
    assert api_usd_per_million_input("claude-sonnet", 0.5, 0.1) == pytest.approx(blended)
    assert api_usd_per_million_input("claude-sonnet", 0.5, 0.1, batch=True) == pytest.approx(blended / 2)
    assert api_usd_per_million_input("claude-sonnet", 1.0) == pytest.approx(0.30) != 0
    # one request: 10,000 prompt tokens, 9,000 of them cached, 500 output tokens
    usd = (1000 * 3.0 + 9000 * 0.30 + 500 * 15.0) / 1e6
    assert api_usd_per_request("claude-sonnet", 10_000, 500, cached_share=0.9) == pytest.approx(usd)
    # OpenAI: gpt-4o $2.50 input, $1.25 cached
    assert api_usd_per_million_input("gpt-4o", 0.8) == pytest.approx(0.2 * 2.50 + 0.8 * 1.25)


def test_a_provider_without_a_published_cache_price_gets_no_discount():
    b = api_billing("together-llama-3.3-70b")
    assert b.usd_per_million_cached_input is None and b.batch_discount is None
    assert api_usd_per_million_input(b, 0.9) == pytest.approx(0.88)
    with pytest.raises(ValueError, match="batch"):
        api_usd_per_million_input(b, 0.5, batch=True)


@pytest.mark.parametrize("kw,needle", [
    (dict(cached_share=1.2), "cached_share"), (dict(cached_share=-0.1), "cached_share"),
    (dict(write_share=2.0), "write_share"), (dict(cached_share=0.7, write_share=0.5), "at most 1"),
    (dict(batch="yes"), "batch"),
])
def test_bad_billing_input_is_named(kw, needle):
    with pytest.raises(ValueError, match=needle):
        api_usd_per_million_input("gpt-4o", **kw)


def test_bad_api_id_gets_a_suggestion():
    with pytest.raises(ValueError, match="gpt-4o"):
        api_billing("gpt4o")


# ---------------------------------------------------------------- speculative decoding

def test_expected_tokens_per_verification_step_by_hand():
    assert expected_tokens_per_step(0.7, 4) == pytest.approx(1 + 0.7 + 0.49 + 0.343 + 0.2401)
    assert expected_tokens_per_step(0.0, 4) == 1.0
    assert expected_tokens_per_step(0.5, 1) == pytest.approx(1.5)


@pytest.mark.parametrize("alpha,k", [(0.7, 4), (0.5, 2), (0.9, 6)])
def test_the_formula_matches_a_seeded_simulation(alpha, k):
    rng = np.random.default_rng(16)
    steps = 200_000
    accepted = rng.random((steps, k)) < alpha
    # the run of accepted drafts stops at the first rejection; the target adds one token of its own
    run = np.where(accepted.all(axis=1), k, np.argmin(accepted, axis=1))
    mean = float(np.mean(run + 1))
    sem = float(np.std(run + 1)) / math.sqrt(steps)
    assert abs(mean - expected_tokens_per_step(alpha, k)) < 5 * sem


def test_speedup_by_hand_and_the_batch_where_it_stops_paying():
    d = dep("llama-3.1-70b", tp=2)
    s = replica_spec(d)
    alpha, k, c, i, o = 0.7, 4, 0.05, 1000, 1000
    ctx = i + o / 2
    e = (1 - alpha ** 5) / (1 - alpha)
    for b in (1, 64):
        plain = step_time_s(s, PLAIN, b, b * ctx, b * ctx, b)
        verify = step_time_s(s, PLAIN, 5 * b, b * (5 * ctx + 4 * 5 / 2), b * ctx, 5 * b)
        assert speculative_speedup(d, b, i, o, alpha, k, c, MINE) == pytest.approx(e * plain / (verify + 4 * c * plain))
    # memory-bound at batch 1: verifying 5 tokens costs about one step, so the speedup is near E / (1 + k c)
    assert 0.8 * e / 1.2 < speculative_speedup(d, 1, i, o, alpha, k, c, MINE) <= e / 1.2
    x = crossover_batch(d, i, o, alpha, k, c, MINE)
    assert x is not None and x > 1
    assert speculative_speedup(d, x, i, o, alpha, k, c, MINE) <= 1 < speculative_speedup(d, x - 1, i, o, alpha, k, c,
                                                                                       MINE)
    sp = speculative_speedup(d, np.array([1, 16, 256, 1024]), i, o, alpha, k, c, MINE)
    assert np.all(np.diff(sp) < 0)


@pytest.mark.parametrize("args,needle", [
    ((1.0, 4, 0.1), "alpha"), ((-0.1, 4, 0.1), "alpha"), ((1.2, 4, 0.1), "alpha"), ((0.7, 0, 0.1), "k"),
    ((0.7, 2.5, 0.1), "k"), ((0.7, 4, -0.1), "draft_cost"),
])
def test_bad_speculation_is_named(args, needle):
    with pytest.raises(ValueError, match=needle):
        speculative_speedup(dep(), 1, 100, 100, *args)
    with pytest.raises(ValueError, match=needle):
        quote("llama-3.1-8b", "H100-SXM", 1, "fp8", "fp8", input_len=100, output_len=100, speculative=args)


def test_quote_applies_the_speedup_at_its_batch():
    kw = dict(input_len=1000, output_len=200, batch=4, usd_per_gpu_hour=2.0, profile=MINE)
    plain = quote("llama-3.1-8b", "H100-SXM", 1, "fp8", "fp8", **kw)
    spec = quote("llama-3.1-8b", "H100-SXM", 1, "fp8", "fp8", speculative=(0.7, 4, 0.05), **kw)
    x = speculative_speedup(dep(), 4, 1000, 200, 0.7, 4, 0.05, MINE)
    assert spec.speedup == pytest.approx(x) and x > 1
    assert spec.usd_per_million.mid == pytest.approx(plain.usd_per_million.mid / x)
    assert spec.tpot_s.mid == pytest.approx(plain.tpot_s.mid / x)
    assert "speedup" in spec.as_dict() and "speedup" not in plain.as_dict()


# ---------------------------------------------------------------- energy

def test_board_power_by_hand():
    assert board_power_w(700, 0.5, 0.1) == pytest.approx(700 * (0.1 + 0.9 * 0.5))
    assert board_power_w(700, 1.0, 0.1) == pytest.approx(700)
    assert board_power_w(700, 0.0, 0.1) == pytest.approx(70)


def test_joules_and_kwh_per_token_by_hand():
    e = predict(dep("llama-3.1-70b", tp=2), 1000, 1000, profile=MINE)
    u = energy_use(e, H100_TDP_W, pue=1.2, usd_per_kwh=0.10, idle_fraction=0.1)
    watts = 700 * (0.1 + 0.9 * e.busy_fraction)
    j = watts * 2 * 1.2 / e.output_tokens_per_s.mid
    assert u.joules_per_output_token.mid == pytest.approx(j)
    assert u.kwh_per_million_output_tokens == pytest.approx(j * 1e6 / 3.6e6)  # J, not Wh: 1 kWh = 3.6 MJ
    assert J_PER_KWH == 3.6e6
    assert u.electricity_usd_per_million_output_tokens == pytest.approx(j / 3.6 * 0.10)
    assert u.joules_per_output_token.low <= u.joules_per_output_token.mid <= u.joules_per_output_token.high


def test_a_long_answer_at_batch_one_costs_many_chat_answers_of_energy():
    d = dep()
    reasoning = energy_use(predict(d, 500, 8000, batch=1, profile=MINE), H100_TDP_W, pue=1.2, idle_fraction=0.1)
    chat = energy_use(predict(d, 500, 300, profile=MINE), H100_TDP_W, pue=1.2, idle_fraction=0.1)
    per_token = reasoning.joules_per_output_token.mid / chat.joules_per_output_token.mid
    per_response = reasoning.joules_per_response(8000) / chat.joules_per_response(300)
    assert per_token > 10 and per_response == pytest.approx(per_token * 8000 / 300)


@pytest.mark.parametrize("kw,needle", [(dict(pue=0.9), "pue"), (dict(usd_per_kwh=-0.1), "usd_per_kwh"),
                                       (dict(idle_fraction=1.5), "idle_fraction"), (dict(pue=float("inf")), "pue")])
def test_bad_energy_input_is_named(kw, needle):
    e = predict(dep(), 100, 100, profile=MINE)
    with pytest.raises(ValueError, match=needle):
        energy_use(e, H100_TDP_W, **kw)


def test_quote_rejects_a_negative_price_of_electricity():
    with pytest.raises(ValueError, match="usd_per_kwh"):
        quote("llama-3.1-8b", "H100-SXM", 1, "fp8", "fp8", input_len=100, output_len=100, usd_per_kwh=-1)


# ---------------------------------------------------------------- the command line and the tornado

QUOTE = ["quote", "--model", "llama-3.1-70b", "--gpu", "H100-SXM", "--tp", "2", "--weights", "fp8", "--kv", "fp8",
         "--input-len", "1000", "--output-len", "1000"]


def test_cli_quote_takes_the_levers_and_adds_keys_only_when_asked(cli):
    import json

    _, out, _ = cli(*QUOTE, "--json")
    plain = json.loads(out)
    assert "speedup" not in plain and "electricity_usd_per_million_output_tokens" not in plain
    code, out, err = cli(*QUOTE, "--prefix-hit-rate", "0.5", "--speculative", "0.7,4,0.05", "--usd-per-kwh", "0.1",
                         "--json")
    d = json.loads(out)
    assert code == 0 and err == ""
    q = quote("llama-3.1-70b", "H100-SXM", 2, "fp8", "fp8", input_len=1000, output_len=1000, prefix_hit_rate=0.5,
              speculative=(0.7, 4, 0.05), usd_per_kwh=0.1)
    assert d["speedup"] == pytest.approx(q.speedup)
    assert d["usd_per_million_input_tokens"]["mid"] == pytest.approx(q.usd_per_million_input.mid)
    assert d["usd_per_million_input_tokens"]["mid"] < plain["usd_per_million_input_tokens"]["mid"]
    assert d["kwh_per_million_output_tokens"] == pytest.approx(d["joules_per_output_token"]["mid"] / 3.6)
    assert d["electricity_usd_per_million_output_tokens"] == pytest.approx(d["kwh_per_million_output_tokens"] * 0.1)


@pytest.mark.parametrize("extra,needle", [
    (["--prefix-hit-rate", "1.5"], "--prefix-hit-rate"), (["--prefix-hit-rate", "-0.1"], "--prefix-hit-rate"),
    (["--speculative", "1,4,0.1"], "alpha"), (["--speculative", "0.7,0,0.1"], "k must"),
    (["--speculative", "0.7,4,-1"], "draft_cost"), (["--speculative", "0.7,4"], "ALPHA,K,DRAFT_COST"),
    (["--usd-per-kwh", "-0.1"], "--usd-per-kwh"),
])
def test_cli_bad_levers_exit_2_naming_the_argument(cli, extra, needle):
    code, out, err = cli(*QUOTE, *extra)
    assert code == 2 and out == "" and needle in err and err.count("\n") == 1


def test_quote_sensitivity_and_the_tornado_title_name_the_deployment_as_people_do(cli):
    name = "Llama 3.1 70B FP8 on 2x H100 SXM"  # the model card's and the datasheet's names
    for sub in ("quote", "sensitivity"):
        code, out, err = cli(sub, *QUOTE[1:])
        assert code == 0 and err == "" and f": {name}, " in out, out
        assert "llama-3.1-70b" not in out and "H100-SXM" not in out, out
    from costlib.economics.sensitivity import sensitivity
    from costlib.ui.lever_plots import tornado

    ax = tornado(sensitivity("llama-3.1-70b", "H100-SXM", 2, "fp8", "fp8", input_len=1000, output_len=1000))
    assert ax.get_title().startswith(f"What moves $/M most: {name}, base"), ax.get_title()


def test_tornado_rows_are_sorted_by_swing_and_priced_on_the_quote_path(cli):
    import json

    from costlib.economics.sensitivity import sensitivity, sensitivity_ranges

    t = sensitivity("llama-3.1-70b", "H100-SXM", 2, "fp8", "fp8", input_len=1000, output_len=1000)
    swings = [r.swing for r in t.rows]
    assert swings == sorted(swings, reverse=True)
    assert {r.input for r in t.rows} == set(sensitivity_ranges()["input"])
    assert all(sensitivity_ranges()["source"].str.len() > 20)
    hit = next(r for r in t.rows if r.input == "prefix_hit_rate")
    q9 = quote("llama-3.1-70b", "H100-SXM", 2, "fp8", "fp8", input_len=1000, output_len=1000, prefix_hit_rate=0.9)
    assert hit.usd_per_million_at_high == pytest.approx(q9.usd_per_million.mid)
    assert hit.usd_per_million_at_low == pytest.approx(t.base_usd_per_million)
    util = next(r for r in t.rows if r.input == "utilization")  # $/M scales as 1 / utilization
    assert util.usd_per_million_at_low == pytest.approx(t.base_usd_per_million / 0.33)
    code, out, _ = cli("sensitivity", *QUOTE[1:], "--json")
    rows = json.loads(out)["rows"]
    assert code == 0 and [r["input"] for r in rows] == [r.input for r in t.rows]
    assert list(rows[0]) == ["input", "low_value", "high_value", "usd_per_million_at_low", "usd_per_million_at_high",
                             "swing"]


# ---------------------------------------------------------------- self-hosting vs an API as h grows

def test_the_flip_hit_rate_is_where_the_cheaper_side_changes():
    from costlib.economics.prefix import selfhost_vs_api

    h = [0.0, 0.25, 0.5, 0.75, 1.0]
    c = selfhost_vs_api("llama-3.1-70b", "H100-SXM", 2, "fp8", "fp8", "deepinfra-llama-3.3-70b", input_len=8000,
                        output_len=300, hit_rates=h, utilization=0.5)
    # DeepInfra publishes no cached price: $0.23/M in and $0.40/M out at every h
    assert c.api_usd_per_request == pytest.approx([(8000 * 0.23 + 300 * 0.40) / 1e6] * 5)
    for x, own in zip(h, c.selfhost_usd_per_request, strict=True):
        q = quote("llama-3.1-70b", "H100-SXM", 2, "fp8", "fp8", input_len=8000, output_len=300, utilization=0.5,
                  prefix_hit_rate=x)
        assert own == pytest.approx(q.usd_per_million.mid * 300 / 1e6)
    cheaper = c.selfhost_cheaper
    assert not cheaper[0] and cheaper[-1]  # the API wins without reuse, self-hosting with a warm cache
    first = h[list(cheaper).index(True)]
    assert c.flip_hit_rate == first


# ---------------------------------------------------------------- explorers, figures and the app

def test_lever_explorers_show_the_libraries_numbers():
    from costlib.ui import lever_widgets as lw

    ex = lw.speculative_lever()
    d = dep("llama-3.1-70b", tp=2)
    assert ex.ok and f"x{speculative_speedup(d, 1, 1000, 1000, 0.7, 4, 0.05):.2f} at batch 1" in ex.message
    assert f"from batch {crossover_batch(d, 1000, 1000, 0.7, 4, 0.05):,}" in ex.message
    ex.set(alpha=0.9, k=6)
    assert f"{expected_tokens_per_step(0.9, 6):.2f} tokens" in ex.message
    for build in (lw.prefix_lever, lw.energy_lever, lw.tornado_lever):
        e = build()
        assert e.ok and "internal error" not in e.message
    e = lw.energy_lever()
    e.set(weights="bf16", tp=1)  # 70B in bf16 does not fit one H100: said, not drawn
    assert not e.ok and "does not fit" in e.message


def test_the_app_can_show_the_tornado_without_changing_its_text():
    from costlib.ui import app

    ex = app.calculator_app()
    text = ex.message
    ex.controls["figure"].value = app.TORNADO
    assert ex.ok and ex.message == text
    assert ex.ax.get_title().startswith("What moves $/M most")


def test_a_tornado_needs_a_base_case_with_a_price(cli):
    from costlib.economics.sensitivity import sensitivity

    with pytest.raises(ValueError, match="base case has no price: does not fit"):
        sensitivity("llama-3.1-70b", "H100-SXM", 1, "bf16", "bf16", input_len=1000, output_len=1000)
    code, out, err = cli("sensitivity", "--model", "llama-3.1-70b", "--gpu", "H100-SXM", "--tp", "1", "--weights",
                         "bf16", "--kv", "bf16", "--input-len", "1000", "--output-len", "1000")
    assert code == 2 and out == "" and "does not fit" in err
    code, out, _ = cli("sensitivity", *QUOTE[1:])
    assert code == 0 and "swing" in out and "sensitivity_ranges.csv" in out


# ---------------------------------------------------------------- the drills d15-d17

def test_d15_blended_prompt_price_by_hand():
    # Sonnet: $3/M input, $0.30/M cache hits, $3.75/M cache writes (Anthropic's page);
    # 12,000-token prompts, a 10,000-token prefix read by 9 requests in 10 and written by the tenth
    plain, hits, writes = 2000 / 12000, 0.9 * 10000 / 12000, 0.1 * 10000 / 12000
    by_hand = plain * 3.0 + hits * 0.30 + writes * 3.75
    assert by_hand == pytest.approx(1.0375)
    assert cl.check("d15", by_hand).passed
    assert "not free" in cl.check("d15", plain * 3.0 + writes * 3.75).message
    # the whole prompt taken as cacheable: 90% of it at the hit price, 10% at the write price
    assert "share of requests" in cl.check("d15", 0.9 * 0.30 + 0.1 * 3.75).message


def test_d16_the_paper_answer_passes_and_k_is_diagnosed():
    e = (1 - 0.7 ** 5) / (1 - 0.7)  # 2.7731
    paper = e / (1 + 4 * 0.05)  # verification ~ one step at batch 1
    assert cl.check("d16", paper).passed
    assert "counts k tokens" in cl.check("d16", 4 / (1 + 4 * 0.05)).message
    assert "draft" in cl.check("d16", e).message


def test_d17_kwh_by_hand_and_the_w_wh_slip():
    e = predict(dep("llama-3.1-70b", tp=2), 1000, 1000)
    watts = 700 * (0.1 + 0.9 * e.busy_fraction)  # H100 SXM datasheet TDP, idle 10%
    j = watts * 2 * 1.2 / e.output_tokens_per_s.mid
    assert cl.check("d17", j / 3.6).passed  # J/token x 1e6 / 3.6e6 = kWh per million
    assert "3.6 million joules" in cl.check("d17", j * 1e3).message  # J x 1e6 / 1e3: W taken for Wh
    assert "PUE" in cl.check("d17", j / 1.2 / 3.6).message

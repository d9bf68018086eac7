"""Properties that must hold everywhere, not just at the chapter's points (hypothesis)."""
from __future__ import annotations

import math

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import costlib as cl

# Modest example counts, no deadline (a 2-core machine shared with other jobs), no example
# database written into the work tree.
PROPS = settings(max_examples=100, deadline=None, database=None,
                 suppress_health_check=[HealthCheck.too_slow])

MODELS = ["llama-3.1-8b", "llama-3.1-70b", "llama-3.1-405b", "mistral-7b", "mixtral-8x7b",
          "mixtral-8x22b", "qwen2.5-72b", "llama-2-7b", "llama-2-70b"]
GPUS = ["H100-SXM", "H200-SXM", "A100-SXM-80GB", "A100-SXM-40GB", "L40S", "B200", "MI300X"]
WEIGHTS = ["bf16", "fp8", "int4", "int8"]
KVS = ["bf16", "fp8"]

usd = st.floats(min_value=0.01, max_value=100.0)
rate = st.floats(min_value=1.0, max_value=1e6)
frac = st.floats(min_value=0.01, max_value=1.0)
factor = st.floats(min_value=1.01, max_value=10.0)


@st.composite
def deployments(draw):
    model = draw(st.sampled_from(MODELS))
    tp = draw(st.sampled_from(cl.valid_tp(model)))
    return cl.deployment(model, draw(st.sampled_from(GPUS)), tp=tp,
                         weights=draw(st.sampled_from(WEIGHTS)), kv=draw(st.sampled_from(KVS)))


@st.composite
def fitting(draw):
    """A deployment, a context its model supports, and a batch that fits (max_batch >= 1)."""
    dep = draw(deployments())
    context = draw(st.integers(min_value=1, max_value=min(dep.model.max_context, 32768)))
    mb = cl.max_batch(dep, context)
    assume(mb >= 1)
    batch = draw(st.integers(min_value=1, max_value=min(mb, 4096)))
    return dep, context, batch, mb


# ----------------------------------------------------------------- cost

@PROPS
@given(usd, rate, factor, frac)
def test_cost_falls_as_throughput_rises(p, tps, k, u):
    assert cl.usd_per_million_tokens(p, tps * k, u) < cl.usd_per_million_tokens(p, tps, u)
    # and exactly in inverse proportion
    assert math.isclose(cl.usd_per_million_tokens(p, tps * k, u) * k,
                        cl.usd_per_million_tokens(p, tps, u), rel_tol=1e-9)


@PROPS
@given(usd, rate, factor, frac)
def test_cost_rises_with_price_and_falls_with_utilization(p, tps, k, u):
    assert cl.usd_per_million_tokens(p * k, tps, u) > cl.usd_per_million_tokens(p, tps, u)
    if u * k <= 1:
        assert cl.usd_per_million_tokens(p, tps, u * k) < cl.usd_per_million_tokens(p, tps, u)


@PROPS
@given(usd, rate, frac)
def test_breakeven_and_required_rate_invert_the_cost(p, tps, u):
    c = cl.usd_per_million_tokens(p, tps, u)
    assert math.isclose(cl.breakeven_usd_per_hour(c, tps, u), p, rel_tol=1e-9)
    assert math.isclose(cl.required_tokens_per_s(p, c, u), tps, rel_tol=1e-9)


# ----------------------------------------------------------------- memory and decode

@PROPS
@given(fitting())
def test_max_batch_is_where_memory_runs_out(case):
    dep, context, _, mb = case
    assert cl.fit(dep, context=context, batch=mb).fits
    assert not cl.fit(dep, context=context, batch=mb + 1).fits


@PROPS
@given(deployments(), st.integers(min_value=1, max_value=8192), st.integers(1, 2048))
def test_fit_check_agrees_with_max_batch(dep, context, batch):
    assume(context <= dep.model.max_context)
    assert cl.fit(dep, context=context, batch=batch).fits == (batch <= cl.max_batch(dep, context))


@PROPS
@given(fitting(), st.integers(min_value=1, max_value=4096))
def test_decode_tokens_per_s_rises_with_batch(case, extra):
    dep, context, batch, mb = case
    bigger = min(mb, batch + extra)
    assume(bigger > batch)
    lo = cl.decode_tokens_per_s(dep, batch, context)
    hi = cl.decode_tokens_per_s(dep, bigger, context)
    assert hi >= lo * (1 - 1e-12)
    # while the per-step time (TPOT) never falls
    assert cl.tpot_s(dep, bigger, context) >= cl.tpot_s(dep, batch, context) * (1 - 1e-12)


@PROPS
@given(deployments(), st.integers(1, 512), st.integers(0, 65536), st.integers(1, 65536))
def test_step_time_rises_with_context(dep, batch, context, extra):
    assert cl.step_time_s(dep, batch, context + extra) > cl.step_time_s(dep, batch, context)


@PROPS
@given(fitting())
def test_ceiling_is_never_below_the_realistic_estimate(case):
    dep, context, batch, _ = case
    e = cl.decode_estimate(dep, batch, context)
    assert e["low"] <= e["mid"] <= e["high"] <= e["ceiling"]
    # the ceiling (all overlapped, the loosest precision plan, no latency) is above 100% MBU and MFU too
    assert e["ceiling"] >= cl.decode_tokens_per_s(dep, batch, context, 1.0, 1.0) * (1 - 1e-12)


@PROPS
@given(fitting(), st.floats(0.05, 1.0), st.floats(0.05, 1.0))
def test_mbu_and_mfu_never_slow_a_step_down(case, mbu, mfu):
    dep, context, batch, _ = case
    base = cl.step_time_s(dep, batch, context, mbu, mfu)
    assert cl.step_time_s(dep, batch, context, 1.0, 1.0) <= base * (1 + 1e-12)


@PROPS
@given(deployments())
def test_more_tp_never_holds_less(dep):
    tps = cl.valid_tp(dep.model)
    caps = [cl.kv_capacity_tokens(dep.with_(tp=t)) for t in tps]
    assert caps == sorted(caps)


@PROPS
@given(fitting(), st.integers(1, 4096))
def test_min_tp_is_the_smallest_that_fits(case, batch):
    dep, context, _, _ = case
    t = cl.min_tp(dep.model, dep.gpu, dep.weights, dep.kv, context=context, batch=batch)
    fits = [cl.fit(dep.with_(tp=k), context=context, batch=batch).fits for k in cl.valid_tp(dep.model)]
    if t is None:
        assert not any(fits)
    else:
        assert fits[cl.valid_tp(dep.model).index(t)]
        assert not any(fits[:cl.valid_tp(dep.model).index(t)])


# ----------------------------------------------------------------- planning and crossover

@PROPS
@given(st.floats(1, 1e8), st.floats(1, 1e8), st.floats(0.1, 50), st.floats(1, 1e5),
       st.floats(1, 1e5))
def test_capacity_plan_gpus_monotone_in_users(u1, u2, sessions, tokens, tps):
    lo, hi = sorted((u1, u2))
    a = cl.capacity_plan(lo, sessions, tokens, tps)
    b = cl.capacity_plan(hi, sessions, tokens, tps)
    assert a.gpus <= b.gpus
    assert a.monthly_usd <= b.monthly_usd
    assert b.gpus >= b.gpus_at_peak * 1.3 - 1e-6  # the headroom is really there
    assert b.gpus - 1 < b.gpus_at_peak * 1.3 + 1e-6  # and no more than one GPU of rounding


@PROPS
@given(st.floats(0.01, 100), usd, st.integers(1, 1024))
def test_crossover_scales_linearly_with_gpus(api, p, n):
    one = cl.crossover_tokens_per_month(api, p, gpus=1)
    assert math.isclose(cl.crossover_tokens_per_month(api, p, gpus=n), n * one, rel_tol=1e-12)
    # at the crossover the two monthly bills are equal
    assert math.isclose(cl.api_monthly_usd(one, api), p * cl.HOURS_PER_MONTH, rel_tol=1e-9)


@PROPS
@given(st.floats(0.01, 100), usd, st.floats(0.0, 200))
def test_crossover_is_infinite_when_the_api_is_never_dearer(api, p, extra):
    assert cl.crossover_tokens_per_month(api, p, self_host_usd_per_million=api + extra) == math.inf


@PROPS
@given(st.one_of(st.just(0.0), st.floats(1e-3, 1e12)), st.one_of(st.just(0.0), st.floats(1e-3, 1e12)),
       rate, factor)
def test_self_host_bill_is_a_monotone_step_function(t1, t2, tps, peak):
    lo, hi = sorted((t1, t2))
    a = cl.self_host_monthly_usd(lo, tps, 2.0, peak_factor=peak)
    b = cl.self_host_monthly_usd(hi, tps, 2.0, peak_factor=peak)
    assert a <= b
    assert a / (2.0 * cl.HOURS_PER_MONTH) == int(a / (2.0 * cl.HOURS_PER_MONTH) + 0.5)  # whole GPUs


@PROPS
@given(st.integers(1, 2000), st.floats(1, 1e5), st.floats(0.1, 50), st.floats(1, 1e5))
def test_users_supported_inverts_the_plan(gpus, tps, sessions, tokens):
    users = cl.users_supported(gpus, tps, sessions, tokens)
    assume(users >= 1)
    # that many users fit in the fleet, and a few more do not (the plan forgives 1e-9 of
    # float noise when rounding GPUs up, so "one more" out of 10^8 users can still fit)
    assert cl.capacity_plan(users, sessions, tokens, tps).gpus <= gpus
    more = math.ceil(users * (1 + 1e-8)) + 1
    assert cl.capacity_plan(more, sessions, tokens, tps).gpus > gpus

"""The SLO fleet (costlib.economics.slo) and the serve / slo command lines.

Expected values are derived here from the pieces the fleet is built of: the catalog price, the
saturation rate and the simulation of one replica, never copied from a run.
"""
from __future__ import annotations

import json

import pytest

import costlib as cl
from costlib.catalog.deployment import deployment
from costlib.economics.slo import NO_DEPLOYMENT, slo_fleet
from costlib.estimate.serving import engine_step, saturation_requests_per_s, simulate
from costlib.ui.cli_engine import SERVE_KEYS

MODEL, IN_LEN, OUT_LEN = "llama-3.1-70b", 2000, 300


@pytest.fixture(scope="module")
def fleet():
    return slo_fleet(MODEL, IN_LEN, OUT_LEN, 12.0, 1.0, 0.05, gpus=["H100-SXM", "L40S"])


def test_best_meets_the_slo_and_one_replica_fewer_does_not(fleet):
    b = fleet.best
    assert b is not None and b.meets_slo
    assert b.ttft_p99_s <= 1.0 and b.itl_mean_s <= 0.05
    step = engine_step(deployment(MODEL, b.gpu, b.tp, b.weights, b.kv))
    r = simulate(step, IN_LEN, OUT_LEN, rate=12.0 / b.replicas, requests=500, arrivals="poisson", seed=0)
    assert (r.ttft_p99_s, r.itl_mean_s) == (b.ttft_p99_s, b.itl_mean_s)
    fewer = b.replicas - 1
    sat = saturation_requests_per_s(step, IN_LEN, OUT_LEN)
    if fewer >= 1 and 12.0 / fewer < sat:  # below saturation: the simulation must miss a target
        r = simulate(step, IN_LEN, OUT_LEN, rate=12.0 / fewer, requests=500, arrivals="poisson", seed=0)
        assert r.ttft_p99_s > 1.0 or r.itl_mean_s > 0.05
    else:  # fewer replicas would run at or past saturation
        assert fewer < 1 or 12.0 / fewer >= sat


def test_best_is_priced_from_the_catalog_by_hand(fleet):
    b = fleet.best
    usd = b.replicas * b.tp * cl.gpu_usd_per_hour(b.gpu, "on_demand")
    assert b.usd_per_hour == pytest.approx(usd, rel=1e-12)
    # the whole bill per million tokens of each kind served: rate x length x 3,600 s per hour
    assert b.usd_per_million_input_tokens == pytest.approx(usd / (12.0 * IN_LEN * 3600 / 1e6), rel=1e-12)
    assert b.usd_per_million_output_tokens == pytest.approx(usd / (12.0 * OUT_LEN * 3600 / 1e6), rel=1e-12)


def test_no_candidate_that_meets_is_cheaper_and_rejections_say_why(fleet):
    b = fleet.best
    for c in fleet.candidates:
        assert c.reason
        if c.meets_slo:
            assert c.usd_per_hour >= b.usd_per_hour
        if c.meets_slo is None:  # never simulated: its least possible fleet is not cheaper
            assert c.usd_per_hour >= b.usd_per_hour and "not simulated" in c.reason
    # physics first: 70B bf16 on one 48 GB L40S does not hold its 141 GB of weights
    l40s = [c for c in fleet.candidates if c.gpu == "L40S" and c.tp == 1 and c.weights == "bf16"]
    assert l40s and l40s[0].reason.startswith("does not fit") and l40s[0].replicas is None
    keys = {"gpu", "tp", "weights", "kv", "replicas", "usd_per_hour", "usd_per_million_input_tokens",
            "usd_per_million_output_tokens", "ttft_p99_s", "itl_mean_s", "meets_slo", "reason"}
    assert set(fleet.candidates[0].as_dict()) == keys


def test_replicas_start_above_saturation():
    # at 100 requests/s no replica of one H100 can run at its saturation rate or beyond
    f = slo_fleet("llama-3.1-8b", 500, 200, 100.0, 2.0, 0.1, gpus=["H100-SXM"])
    b = f.best
    sat = saturation_requests_per_s(engine_step(deployment("llama-3.1-8b", b.gpu, b.tp, b.weights, b.kv)), 500, 200)
    assert 100.0 / b.replicas < sat


def test_no_candidate_is_simulated_at_a_fleet_dearer_than_the_best():
    # a tight p99 TTFT makes the first guesses of the one- and two-GPU plans large (many replicas to
    # avoid prefill collisions); once a cheaper fleet is met, no plan is simulated at more replicas
    # than the best's $/hour buys (each such point could not change the answer)
    f = slo_fleet(MODEL, IN_LEN, OUT_LEN, 5.0, 0.3, 0.03, gpus=["H100-SXM", "H200-SXM"])
    b = f.best
    assert b is not None and b.meets_slo and b.ttft_p99_s <= 0.3
    for c in f.candidates:
        if c.meets_slo is not None and c.replicas is not None:  # simulated
            price = cl.gpu_usd_per_hour(c.gpu, "on_demand")
            assert c.replicas * c.tp * price <= b.usd_per_hour + 1e-9, c

def test_no_deployment_meets_an_impossible_slo_and_names_the_closest():
    f = slo_fleet(MODEL, IN_LEN, OUT_LEN, 5.0, 0.001, 0.001, gpus=["H100-SXM"])
    assert f.best is None and f.message.startswith(NO_DEPLOYMENT)
    assert f.closest is not None and "closest" in f.message
    assert all(c.meets_slo is False for c in f.candidates)
    assert f.as_dict()["best"] is None


@pytest.mark.parametrize("kwargs, name", [
    ({"rate_per_s": 0}, "rate_per_s"),
    ({"rate_per_s": -3}, "rate_per_s"),
    ({"ttft_p99_s": 0}, "ttft_p99_s"),
    ({"itl_mean_s": -0.01}, "itl_mean_s"),
    ({"input_len": 0}, "input_len"),
    ({"gpus": ["H100-SXN"]}, "H100"),
    ({"gpus": []}, "gpus"),
    ({"tier": "cheap"}, "tier"),
    ({"requests": 0}, "requests"),
])
def test_bad_input_names_the_parameter(kwargs, name):
    args = {"model": MODEL, "input_len": IN_LEN, "output_len": OUT_LEN, "rate_per_s": 1.0, "ttft_p99_s": 1.0,
            "itl_mean_s": 0.05, "gpus": ["H100-SXM"], **kwargs}
    with pytest.raises(ValueError, match=name):
        slo_fleet(**args)


# ---------------------------------------------------------------- command lines

SERVE = ["serve", "--model", MODEL, "--gpu", "H100-SXM", "--tp", 4, "--weights", "fp8", "--kv", "fp8",
         "--input-len", IN_LEN, "--output-len", OUT_LEN]


def test_serve_json_has_exactly_the_issues_keys_and_the_simulations_numbers(cli):
    code, out, _ = cli(*SERVE, "--rate", 3, "--requests", 200, "--arrivals", "fixed", "--json")
    assert code == 0
    d = json.loads(out)
    assert tuple(d) == SERVE_KEYS
    r = simulate(engine_step(deployment(MODEL, "H100-SXM", 4, "fp8", "fp8")), IN_LEN, OUT_LEN, rate=3, requests=200,
                 arrivals="fixed")
    assert d == {k: getattr(r, k) for k in SERVE_KEYS}


def test_serve_takes_inf_and_concurrency(cli):
    code, out, _ = cli(*SERVE, "--rate", "inf", "--requests", 50, "--json")
    assert code == 0 and json.loads(out)["ttft_p99_s"] > 0
    code, out, _ = cli(*SERVE, "--concurrency", 8, "--requests", 40)
    assert code == 0 and "8 users" in out
    assert out.startswith("Serve: Llama 3.1 70B FP8 on 4x H100 SXM, ") and "H100-SXM" not in out, out


@pytest.mark.parametrize("extra, name", [
    (["--rate", 0], "--rate"),
    (["--rate", -1], "--rate"),
    (["--concurrency", 0], "--concurrency"),
    (["--rate", 1, "--requests", 0], "--requests"),
    (["--rate", 1, "--concurrency", 2], "--concurrency"),
    (["--rate", 1, "--arrivals", "bursty"], "--arrivals"),
])
def test_serve_bad_arguments_exit_2_naming_them(cli, extra, name):
    code, out, err = cli(*SERVE, *extra)
    assert code == 2 and name in err and out == ""


def test_slo_json_has_best_and_candidates(cli):
    code, out, _ = cli("slo", "--model", MODEL, "--input-len", IN_LEN, "--output-len", OUT_LEN, "--rate", 12,
                       "--ttft-p99-ms", 1000, "--itl-ms", 50, "--gpus", "H100-SXM", "L40S", "--json")
    assert code == 0
    d = json.loads(out)
    assert set(d) == {"best", "candidates"}
    f = slo_fleet(MODEL, IN_LEN, OUT_LEN, 12.0, 1.0, 0.05, gpus=["H100-SXM", "L40S"])
    assert d["best"]["usd_per_hour"] == f.best.usd_per_hour and len(d["candidates"]) == len(f.candidates)
    assert set(d["best"]) == {"gpu", "tp", "weights", "kv", "replicas", "usd_per_hour",
                              "usd_per_million_input_tokens", "usd_per_million_output_tokens", "ttft_p99_s",
                              "itl_mean_s"}


def test_slo_that_nothing_meets_is_an_answer(cli):
    code, out, _ = cli("slo", "--model", MODEL, "--input-len", IN_LEN, "--output-len", OUT_LEN, "--rate", 5,
                       "--ttft-p99-ms", 1, "--itl-ms", 1, "--gpus", "H100-SXM")
    assert code == 0 and NO_DEPLOYMENT in out and "closest" in out
    # names as people say them, in the prose and the candidate lines: "4x H100 SXM (FP8 weights, FP8 KV)"
    assert out.startswith("SLO: Llama 3.1 70B, ") and "x H100 SXM (FP8 weights, " in out, out
    assert "llama-3.1-70b" not in out and "H100-SXM" not in out, out


@pytest.mark.parametrize("extra, name", [
    (["--ttft-p99-ms", 0, "--itl-ms", 50], "--ttft-p99-ms"),
    (["--ttft-p99-ms", 100, "--itl-ms", -5], "--itl-ms"),
    (["--ttft-p99-ms", 100, "--itl-ms", 50, "--gpus", "H100-SXN"], "--gpus"),
    (["--ttft-p99-ms", 100, "--itl-ms", 50, "--tier", "cheap"], "tier"),
])
def test_slo_bad_arguments_exit_2_naming_them(cli, extra, name):
    code, out, err = cli("slo", "--model", MODEL, "--input-len", IN_LEN, "--output-len", OUT_LEN, "--rate", 5, *extra)
    assert code == 2 and name in err and out == ""


def test_replicas_for_one_deployment_is_the_fleets_search(fleet):
    from costlib.economics.slo import replicas_for_slo

    b = fleet.best
    dep = deployment(MODEL, b.gpu, b.tp, b.weights, b.kv)
    assert replicas_for_slo(dep, IN_LEN, OUT_LEN, 12.0, 1.0, 0.05) == b.replicas
    # a lone request already misses a 1 ms first token: no count of replicas meets it
    assert replicas_for_slo(dep, IN_LEN, OUT_LEN, 12.0, 0.001, 0.05) == 0
    with pytest.raises(ValueError, match="rate_per_s"):
        replicas_for_slo(dep, IN_LEN, OUT_LEN, 0.0, 1.0, 0.05)

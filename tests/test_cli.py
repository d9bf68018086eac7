"""The command line `python -m costlib ...`: worked answers, JSON keys and types, clear bad-argument errors.

Expected values are derived by hand below (architecture formulas, published configs and the chapter's
arithmetic), never by calling the code under test. Most cases run in-process through ``main(argv)``;
two run the real ``python -m costlib`` in subprocesses.
"""
from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

from costlib.ui.cli import main

# ---------------------------------------------------------------- hand-derived facts

# Llama 3.1 configs (meta-llama/Llama-3.1-8B and -70B config.json):
# (layers, hidden, heads, kv_heads, head_dim, ffn, vocab)
LLAMA_8B = (32, 4096, 32, 8, 128, 14336, 128256)
LLAMA_70B = (80, 8192, 64, 8, 128, 28672, 128256)
H100_HBM, H100_BW, H100_BF16 = 80e9, 3.35e12, 989e12  # NVIDIA H100 SXM datasheet (dense bf16)
# the workbook's convention: 95% of HBM minus 1 GB reserve, the datasheet's "80 GB" read as 80 GiB
USABLE_PER_GPU = 0.95 * 80 * 2**30 - 1e9


def dense_params(layers, hidden, heads, kv_heads, head_dim, ffn, vocab):
    """Untied embeddings + per layer (Q, K, V, O, gated MLP, two norms) + final norm."""
    attn = hidden * heads * head_dim + 2 * hidden * kv_heads * head_dim + heads * head_dim * hidden
    return 2 * vocab * hidden + layers * (attn + 3 * hidden * ffn + 2 * hidden) + hidden


def kv_per_token(layers, hidden, heads, kv_heads, head_dim, ffn, vocab, nbytes=2):
    return 2 * layers * kv_heads * head_dim * nbytes  # K and V, every layer


N70 = dense_params(*LLAMA_70B)
N8 = dense_params(*LLAMA_8B)
VD70, VD8 = 128256 * 8192, 128256 * 4096  # one vocabulary table (input embedding or output head)
W70_FP8 = (N70 - 2 * VD70) * 1 + 2 * VD70 * 2  # fp8 body; the two tables stay in 16 bits


def test_hand_parameter_counts_match_published_figures():
    # Meta's model cards: 70.6B and 8.03B parameters
    assert N70 == pytest.approx(70.6e9, rel=0.002)
    assert N8 == pytest.approx(8.03e9, rel=0.002)


# ---------------------------------------------------------------- harness

@pytest.fixture
def cli_json(cli):
    def run(*argv):
        code, out, err = cli(*argv, "--json")
        assert code == 0, err
        assert err == ""
        assert out.count("\n") == 1 and out.endswith("\n"), "exactly one JSON line on stdout"
        assert "Infinity" not in out and "NaN" not in out
        return json.loads(out)
    return run


def assert_types(obj: dict, spec: dict):
    for key, typ in spec.items():
        assert key in obj, f"missing JSON key {key!r}"
        val = obj[key]
        if typ is int:
            assert type(val) is int, f"{key}={val!r} should be an int"
        elif typ is float:
            assert type(val) in (int, float) and math.isfinite(val), f"{key}={val!r} should be a number"
        elif typ is None:
            assert val is None, f"{key}={val!r} should be null"
        else:
            assert isinstance(val, typ), f"{key}={val!r} should be {typ}"


FIT_70B_BF16_1GPU = ["fit", "--model", "llama-3.1-70b", "--gpu", "H100-SXM", "--tp", 1, "--weights", "bf16"]


# ---------------------------------------------------------------- cost

def test_cost_json(cli_json):
    d = cli_json("cost", "--usd-per-hour", 3, "--tokens-per-s", 1000)
    assert_types(d, {"usd_per_million_tokens": float, "million_tokens_per_hour": float,
                     "usd_per_hour": float, "tokens_per_s": float, "utilization": float})
    assert d["million_tokens_per_hour"] == pytest.approx(1000 * 3600 / 1e6)
    assert d["usd_per_million_tokens"] == pytest.approx(3 / (1000 * 3600 / 1e6))  # 0.8333
    assert d["utilization"] == 1


def test_cost_utilization_raises_the_price(cli_json):
    d = cli_json("cost", "--usd-per-hour", 3, "--tokens-per-s", 1000, "--utilization", 0.5)
    assert d["usd_per_million_tokens"] == pytest.approx(3 / (1000 * 0.5 * 3600 / 1e6))  # 1.667


def test_cost_human_shows_the_worked_formula(cli):
    code, out, err = cli("cost", "--usd-per-hour", 3, "--tokens-per-s", 1000)
    assert code == 0 and err == ""
    assert "3,600" in out and "3.6 M tokens/h" in out and "$0.8333" in out
    assert not out.lstrip().startswith("{")


# ---------------------------------------------------------------- fit

def test_fit_70b_bf16_on_one_h100_does_not_fit(cli_json):
    d = cli_json(*FIT_70B_BF16_1GPU)
    assert_types(d, {"fits": bool, "weight_bytes": float, "usable_bytes": float, "shortfall_bytes": float,
                     "kv_capacity_tokens": int, "max_batch": int, "min_tp": int, "message": str})
    assert d["fits"] is False
    assert d["weight_bytes"] == pytest.approx(N70 * 2)  # 141.1 GB
    assert d["usable_bytes"] == pytest.approx(USABLE_PER_GPU)  # 80.6 GB
    kv = 1 * 2048 * kv_per_token(*LLAMA_70B)
    assert d["shortfall_bytes"] == pytest.approx(N70 * 2 + kv - USABLE_PER_GPU)
    assert 61.1e9 <= d["shortfall_bytes"] <= 61.3e9
    assert d["kv_capacity_tokens"] == 0 and d["max_batch"] == 0
    assert d["min_tp"] == 2  # 2 x 80.6 GB = 161.2 GB > 141.8 GB
    assert "does not fit" in d["message"] and "short by 61.2 GB" in d["message"]


def test_fit_70b_fp8_fits_with_little_kv_room(cli_json):
    d = cli_json(*FIT_70B_BF16_1GPU, "--weights", "fp8")
    assert d["fits"] is True and d["shortfall_bytes"] == 0 and d["min_tp"] == 1
    assert d["weight_bytes"] == pytest.approx(W70_FP8)
    tokens = math.floor((USABLE_PER_GPU - W70_FP8) / kv_per_token(*LLAMA_70B))  # ~24.3k tokens
    assert d["kv_capacity_tokens"] == tokens
    assert d["max_batch"] == tokens // 2048 == 11


def test_fit_batch_and_context_and_tp(cli_json):
    d = cli_json(*FIT_70B_BF16_1GPU, "--tp", 2, "--context", 4096, "--batch", 3)
    free = 2 * USABLE_PER_GPU - 2 * N70
    assert d["usable_bytes"] == pytest.approx(2 * USABLE_PER_GPU)
    assert d["max_batch"] == math.floor(free / kv_per_token(*LLAMA_70B)) // 4096  # 14
    assert d["fits"] is (3 <= d["max_batch"])
    assert d["context"] == 4096 and d["batch"] == 3


def test_fit_no_tp_up_to_8_gives_null_min_tp(cli_json):
    d = cli_json(*FIT_70B_BF16_1GPU, "--model", "llama-3.1-405b")
    assert d["fits"] is False and d["min_tp"] is None  # 811.7 GB > 8 x 80.6 GB
    assert d["shortfall_bytes"] > 700e9


def test_fit_human_shows_steps_and_the_verdict(cli):
    code, out, err = cli(*FIT_70B_BF16_1GPU)
    assert code == 0 and err == ""
    assert "70.55B params resident" in out and "= 141.1 GB" in out  # bf16: every table at 2 bytes too
    assert "80 GB read as GiB x 0.95 - 1 GB" in out and "80.6 GB" in out  # 80 x 2^30 x 0.95 - 1e9
    assert "does not fit" in out and "short by 61.2 GB" in out and "TP=2" in out


def test_worked_steps_name_the_deployment_as_people_do_and_json_keeps_the_ids(cli, cli_json):
    # the model card's and the datasheet's names, as the catalogs write them (issue #17 item 4)
    name = "Llama 3.1 70B BF16 on 1x H100 SXM"
    decode = ["decode", "--model", "llama-3.1-70b", "--gpu", "H100-SXM", "--tp", 1, "--weights", "bf16", "--batch", 1,
              "--context", 2048]
    for argv in (FIT_70B_BF16_1GPU, decode):
        code, out, err = cli(*argv)
        assert code == 0 and err == ""
        assert f": {name}, " in out and f"does not fit: {name}: " in out, out
        assert "llama-3.1-70b" not in out and "H100-SXM" not in out, out
    d = cli_json(*FIT_70B_BF16_1GPU)
    assert (d["model"], d["gpu"], d["label"]) == ("llama-3.1-70b", "H100-SXM", "llama-3.1-70b bf16 on 1xH100-SXM")
    assert "name" not in d  # the JSON's keys are an API: unchanged


def test_ids_are_case_insensitive(cli_json):
    d = cli_json("fit", "--model", "LLAMA-3.1-70B", "--gpu", "h100-sxm", "--tp", 2, "--weights", "BF16")
    assert (d["model"], d["gpu"], d["weights"]) == ("llama-3.1-70b", "H100-SXM", "bf16")


def test_json_flag_before_the_subcommand(capsys):
    assert main(["--json", "cost", "--usd-per-hour", "2", "--tokens-per-s", "500"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["usd_per_million_tokens"] == pytest.approx(2 / (500 * 3600 / 1e6))


# ---------------------------------------------------------------- decode

DECODE_8B = ["decode", "--model", "llama-3.1-8b", "--gpu", "H100-SXM", "--tp", 1, "--weights", "bf16"]
TIMING = ("step_time_s", "tokens_per_s", "memory_s", "compute_s", "comm_s", "tpot_s")


def _roofline_8b(batch, context, mbu, mfu, bw=H100_BW):
    """(memory, compute, step) of the engine's decode step: matmuls read the body and the output head
    (not the input table) and do 2 FLOPs per parameter per token; attention reads batch x context
    tokens of KV, writes batch, and does 4 L H d FLOPs per pair; each kernel is its own roofline."""
    layers, _, heads, _, head_dim, _, _ = LLAMA_8B
    mm_mem = 2 * (N8 - VD8) / (bw * mbu)
    mm_comp = batch * 2 * (N8 - VD8) / (H100_BF16 * mfu)
    at_mem = batch * (context + 1) * kv_per_token(*LLAMA_8B) / (bw * mbu)
    at_comp = batch * context * 4 * layers * heads * head_dim / (H100_BF16 * mfu)
    return mm_mem + at_mem, mm_comp + at_comp, max(mm_mem, mm_comp) + max(at_mem, at_comp)


def test_decode_memory_bound_single_sequence(cli_json):
    d = cli_json(*DECODE_8B, "--batch", 1, "--context", 1024, "--mbu", 1, "--mfu", 1)
    assert_types(d, {"step_time_s": float, "tokens_per_s": float, "bound": str, "fits": bool,
                     "memory_s": float, "compute_s": float, "comm_s": float, "tpot_s": float,
                     "message": str})
    mem, comp, step = _roofline_8b(1, 1024, 1, 1)
    assert d["fits"] is True and d["bound"] == "memory"
    assert d["memory_s"] == pytest.approx(mem) and d["compute_s"] == pytest.approx(comp)
    assert d["comm_s"] == 0  # TP=1: no all-reduce
    assert step == mem  # both kernels memory-bound
    assert d["step_time_s"] == pytest.approx(mem)  # ~4.5 ms: 15.1 GB / 3.35 TB/s
    assert d["tpot_s"] == d["step_time_s"]
    assert d["tokens_per_s"] == pytest.approx(1 / mem)


def test_decode_compute_bound_at_large_batch(cli_json):
    d = cli_json(*DECODE_8B, "--batch", 512, "--context", 128, "--mbu", 1, "--mfu", 0.3)
    mem, comp, step = _roofline_8b(512, 128, 1, 0.3)
    assert comp > mem and d["bound"] == "compute"
    assert d["step_time_s"] == pytest.approx(step)
    assert d["tokens_per_s"] == pytest.approx(512 / step)


def test_decode_bandwidth_override_and_price(cli_json):
    d = cli_json(*DECODE_8B, "--batch", 1, "--context", 1024, "--mbu", 1, "--mfu", 1,
                 "--hbm-tb-per-s", 3, "--usd-per-gpu-hour", 2)
    mem, _, _ = _roofline_8b(1, 1024, 1, 1, bw=3e12)
    assert d["step_time_s"] == pytest.approx(mem)
    assert d["usd_per_million_tokens"] == pytest.approx(2 / (1 / mem * 3600 / 1e6))


def test_decode_tp_adds_communication(cli_json):
    d = cli_json(*DECODE_8B, "--tp", 2, "--batch", 8, "--context", 1024)
    assert d["comm_s"] > 0
    assert d["step_time_s"] == pytest.approx(max(d["memory_s"], d["compute_s"]) + d["comm_s"])


def test_decode_that_does_not_fit_gives_no_timing(cli_json, cli):
    args = ["decode", "--model", "llama-3.1-70b", "--gpu", "H100-SXM", "--tp", 1, "--weights", "bf16",
            "--batch", 1, "--context", 2048, "--usd-per-gpu-hour", 2]
    d = cli_json(*args)
    assert d["fits"] is False
    assert_types(d, {k: None for k in TIMING + ("bound", "usd_per_million_tokens")})
    assert "does not fit" in d["message"] and "short by" in d["message"]
    code, out, err = cli(*args)
    assert code == 0 and err == ""  # not fitting is an answer, not an error
    assert "does not fit" in out and "short by 61.2 GB" in out and " ms" not in out


def test_decode_fp8_70b_batch_256_is_impossible(cli_json):
    d = cli_json("decode", "--model", "llama-3.1-70b", "--gpu", "H100-SXM", "--tp", 1, "--weights", "fp8",
                 "--batch", 256, "--context", 2048)
    kv = 256 * 2048 * kv_per_token(*LLAMA_70B)
    assert d["fits"] is False and d["step_time_s"] is None
    assert d["shortfall_bytes"] == pytest.approx(W70_FP8 + kv - USABLE_PER_GPU)  # ~164 GB


# ---------------------------------------------------------------- plan

PLAN = ["plan", "--users", "1e6", "--sessions-per-day", 10, "--tokens-per-session", 500,
        "--tokens-per-s-per-gpu", 1000]


def test_plan_the_chapters_example(cli_json):
    d = cli_json(*PLAN)
    assert_types(d, {"tokens_per_day": float, "avg_tokens_per_s": float, "peak_tokens_per_s": float,
                     "gpus": int, "monthly_usd": float, "usd_per_million_tokens": float,
                     "gpus_at_peak": float, "replicas": int, "steps": list})
    assert d["tokens_per_day"] == 1e6 * 10 * 500 == 5e9
    assert d["avg_tokens_per_s"] == pytest.approx(5e9 / 86400)
    assert d["peak_tokens_per_s"] == pytest.approx(5e9 / 86400 * 3)
    assert d["gpus_at_peak"] == pytest.approx(5e9 / 86400 * 3 / 1000)
    assert d["gpus"] == math.ceil(5e9 / 86400 * 3 / 1000 * 1.3) == 226
    assert d["replicas"] == 226
    assert d["monthly_usd"] == pytest.approx(226 * 2 * 720)  # $325,440
    assert d["usd_per_million_tokens"] == pytest.approx(226 * 2 * 720 / (5e9 * 30 / 1e6))  # $2.17


def test_plan_whole_replicas_and_prefill(cli_json):
    d = cli_json(*PLAN, "--gpus-per-replica", 4)
    assert d["replicas"] == math.ceil(5e9 / 86400 * 3 / 1000 * 1.3 / 4) == 57
    assert d["gpus"] == 57 * 4
    d = cli_json(*PLAN, "--prompt-tokens-per-session", 1000, "--prefill-tokens-per-s-per-gpu", 10000)
    decode_gpus = 5e9 / 86400 * 3 / 1000
    prefill_gpus = 1e6 * 10 * 1000 / 86400 * 3 / 10000
    assert d["gpus_at_peak"] == pytest.approx(decode_gpus + prefill_gpus)
    assert d["gpus"] == math.ceil((decode_gpus + prefill_gpus) * 1.3)  # 271


def test_plan_human_is_numbered_steps(cli):
    code, out, err = cli(*PLAN)
    assert code == 0 and err == ""
    numbered = [ln for ln in out.splitlines() if ln[:1].isdigit()]
    assert [ln.split(".")[0] for ln in numbered] == [str(i) for i in range(1, 8)]
    assert "226 GPUs" in out and "$325,440" in out and "$2.17" in out


# ---------------------------------------------------------------- crossover

def test_crossover_chapter_numbers(cli_json):
    d = cli_json("crossover", "--api-usd-per-million", 0.88, "--usd-per-gpu-hour", 2, "--gpus", 1)
    assert_types(d, {"crossover_tokens_per_month": float, "fleet_monthly_usd": float})
    assert d["crossover_tokens_per_month"] == pytest.approx(1 * 2 * 720 / 0.88 * 1e6)  # 1.64B, not 100-500M
    assert d["fleet_monthly_usd"] == pytest.approx(1440)


def test_crossover_reachability_needs_capacity(cli_json):
    base = ["crossover", "--api-usd-per-million", 0.88, "--usd-per-gpu-hour", 2, "--gpus", 1]
    d = cli_json(*base, "--tokens-per-s-per-gpu", 500)
    assert d["fleet_capacity_tokens_per_month"] == pytest.approx(500 * 720 * 3600)  # 1.30B < 1.64B
    assert d["reachable"] is False
    assert cli_json(*base, "--tokens-per-s-per-gpu", 1000)["reachable"] is True  # 2.59B


def test_crossover_never_is_null_with_explanation(cli_json, cli):
    args = ["crossover", "--api-usd-per-million", 0.88, "--usd-per-gpu-hour", 2, "--gpus", 1,
            "--self-host-usd-per-million", 1]
    d = cli_json(*args)
    assert d["crossover_tokens_per_month"] is None
    assert isinstance(d["explanation"], str) and "never" in d["explanation"]
    code, out, _ = cli(*args)
    assert code == 0 and "never" in out and "inf" not in out.lower()


# ---------------------------------------------------------------- catalog

@pytest.mark.parametrize("kind, member", [("gpus", "H100-SXM"), ("models", "llama-3.1-70b"),
                                          ("apis", "together-llama-3.3-70b"), ("precisions", "fp8")])
def test_catalog_lists_ids(cli_json, cli, kind, member):
    d = cli_json("catalog", kind)
    assert member in d["ids"] and len(d["items"]) == len(d["ids"])
    code, out, _ = cli("catalog", kind)
    assert code == 0 and member in out


# ---------------------------------------------------------------- bad arguments

COST = ["cost", "--usd-per-hour", 3, "--tokens-per-s", 1000]
FIT = FIT_70B_BF16_1GPU
DECODE = [*DECODE_8B, "--batch", 8, "--context", 1024]
CROSS = ["crossover", "--api-usd-per-million", 0.88, "--usd-per-gpu-hour", 2, "--gpus", 1]

BAD = [
    # (argv, text the one-line error must contain)
    (COST + ["--usd-per-hour", "nan"], "--usd-per-hour"),
    (COST + ["--usd-per-hour", "abc"], "--usd-per-hour"),
    (COST + ["--usd-per-hour=-1"], "--usd-per-hour"),
    (COST + ["--tokens-per-s", "inf"], "--tokens-per-s"),
    (COST + ["--tokens-per-s", 0], "--tokens-per-s"),
    (COST + ["--utilization", 1.5], "--utilization"),
    (COST + ["--utilization", 0], "--utilization"),
    (COST + ["--utilization", "nan"], "--utilization"),
    (COST[:3], "--tokens-per-s"),  # missing
    (FIT + ["--gpu", "H100"], "H100-SXM"),
    (FIT + ["--gpu", "H100"], "--gpu"),
    (FIT + ["--tp", 3], "--tp"),
    (FIT + ["--tp", 0], "--tp"),
    (FIT + ["--model", "llama70b"], "--model"),
    (FIT + ["--weights", "bf61"], "bf16"),
    (FIT + ["--kv", "fp7"], "--kv"),
    (FIT + ["--batch", 0], "--batch"),
    (FIT + ["--context", 1.5], "--context"),
    (FIT + ["--context", "inf"], "--context"),
    (FIT + ["--model", "llama-2-7b", "--context", 8192], "--context"),  # beyond its 4,096 tokens
    (FIT + ["--memory-fraction", 1.5], "--memory-fraction"),
    (DECODE + ["--batch=-1"], "--batch"),
    (DECODE + ["--batch", 2.5], "--batch"),
    (DECODE + ["--context", "abc"], "--context"),
    (DECODE + ["--mbu", 1.5], "--mbu"),
    (DECODE + ["--mfu", 0], "--mfu"),
    (DECODE + ["--mfu", "nan"], "--mfu"),
    (DECODE + ["--hbm-tb-per-s", 0], "--hbm-tb-per-s"),
    (DECODE + ["--usd-per-gpu-hour", "inf"], "--usd-per-gpu-hour"),
    (DECODE + ["--tp", 16], "--tp"),
    (DECODE[:9] + ["--context", 10], "--batch"),  # missing
    (PLAN + ["--users", 0], "--users"),
    (PLAN + ["--sessions-per-day", "nan"], "--sessions-per-day"),
    (PLAN + ["--tokens-per-session=-5"], "--tokens-per-session"),
    (PLAN + ["--tokens-per-s-per-gpu", "inf"], "--tokens-per-s-per-gpu"),
    (PLAN + ["--peak-factor", 0.5], "--peak-factor"),
    (PLAN + ["--headroom=-0.1"], "--headroom"),
    (PLAN + ["--usd-per-gpu-hour", "abc"], "--usd-per-gpu-hour"),
    (PLAN + ["--gpus-per-replica", 1.5], "--gpus-per-replica"),
    (PLAN + ["--prompt-tokens-per-session", 100], "--prefill-tokens-per-s-per-gpu"),
    (CROSS + ["--api-usd-per-million", 0], "--api-usd-per-million"),
    (CROSS + ["--api-usd-per-million", "nan"], "--api-usd-per-million"),
    (CROSS + ["--usd-per-gpu-hour=-1"], "--usd-per-gpu-hour"),
    (CROSS + ["--gpus", 0], "--gpus"),
    (CROSS + ["--gpus", 2.5], "--gpus"),
    (CROSS + ["--self-host-usd-per-million=-1"], "--self-host-usd-per-million"),
    (CROSS + ["--tokens-per-s-per-gpu", 0], "--tokens-per-s-per-gpu"),
    (["catalog", "gpu"], "kind"),
    (["price"], "price"),
    (COST + ["--bogus", 1], "--bogus"),
]


@pytest.mark.parametrize("json_flag", [False, True], ids=["human", "json"])
@pytest.mark.parametrize("argv, mention", BAD, ids=[" ".join(map(str, a[-2:])) for a, _ in BAD])
def test_bad_arguments_exit_2_with_one_line(cli, argv, mention, json_flag):
    code, out, err = cli(*argv, *(["--json"] if json_flag else []))
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert err.startswith("costlib") and "error:" in err
    assert mention in err
    assert "Traceback" not in err


def test_overflowing_inputs_are_an_error_not_a_traceback(cli):
    code, out, err = cli("plan", "--users", "1e300", "--sessions-per-day", "1e300", "--tokens-per-session",
                         1, "--tokens-per-s-per-gpu", 1, "--json")
    assert code == 2 and out == "" and err.count("\n") == 1 and "too large" in err


def test_help_documents_exit_status(cli):
    code, out, _ = cli("decode", "--help")
    assert code == 0 and "Exit status" in out and "does not fit" in out


# ---------------------------------------------------------------- the real `python -m costlib`

ROOT = Path(__file__).resolve().parents[1]
ENTRY_POINT_RUNS = {
    "json": [*FIT_70B_BF16_1GPU, "--json"],
    "bad_gpu": [*FIT, "--gpu", "H100"],
}


@pytest.fixture(scope="module")
def runs():
    """Start the `python -m costlib` processes together (each pays the ~1 s import), then collect."""
    # cwd=ROOT: `python -m` finds this checkout's costlib even before `pip install -e .`
    procs = {k: subprocess.Popen([sys.executable, "-m", "costlib", *map(str, argv)], cwd=ROOT, text=True,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for k, argv in ENTRY_POINT_RUNS.items()}
    out = {}
    for k, p in procs.items():
        stdout, stderr = p.communicate(timeout=120)
        out[k] = subprocess.CompletedProcess(p.args, p.returncode, stdout, stderr)
    return out


def test_module_entry_point_json(runs):
    p = runs["json"]
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    assert d["fits"] is False and d["min_tp"] == 2


def test_module_entry_point_bad_gpu(runs):
    p = runs["bad_gpu"]
    assert p.returncode == 2 and p.stdout == ""
    assert len(p.stderr.splitlines()) == 1 and "H100-SXM" in p.stderr and "Traceback" not in p.stderr



def test_decode_explains_the_engines_step_and_adds_up(cli):
    """The printed parts are the master equation's: matmuls and attention each a roofline, plus comm."""
    code, out, _ = cli("decode", "--model", "llama-3.1-70b", "--gpu", "H100-SXM", "--tp", 4, "--weights", "bf16",
                       "--batch", 64, "--context", 2048)
    assert code == 0 and "step      = matmuls + attention + comm" in out
    ms = {k: [float(x) for x in re.findall(r"= ([\d.]+) ms", line)]
          for k, line in ((ln.split("=")[0].strip(), ln) for ln in out.splitlines()) if k in
          ("matmuls", "attention", "comm", "step")}
    total = max(ms["matmuls"]) + max(ms["attention"]) + ms["comm"][0]
    assert ms["step"][0] == pytest.approx(total, rel=2e-3)

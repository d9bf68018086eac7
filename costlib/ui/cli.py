"""Command line: ``python -m costlib SUBCOMMAND ... [--json]``; parse, call costlib, format (§30.1-§30.10).

Each subcommand prints a few worked steps (formula, numbers, units, result) or, with ``--json``, exactly
one JSON object on stdout. Bad arguments exit with status 2 and one line on stderr naming the argument.
"""
from __future__ import annotations

import argparse
import json
import math
import sys

import numpy as np
import pandas as pd

import costlib as cl
from costlib.common import fmt
from costlib.estimate.speculative import check_speculation as cl_speculation
from costlib.evidence.measurements import REQUIRED_COLUMNS
from costlib.physics.engine import step_work
from costlib.physics.replica import replica_spec
from costlib.ui.cli_engine import (
    CLIError,
    quote_cmd,
    sensitivity_cmd,
    serve_cmd,
    slo_cmd,
    validate_cmd,
)

__all__ = ["main", "build_parser"]

EPILOG = ("Exit status: 0 with an answer (a configuration that does not fit in memory IS an answer: "
          "fits=false, the shortfall, and no timing or price), 2 for bad arguments (one line on stderr). "
          "Ids are case-insensitive. --json prints exactly one JSON object (null where there is no value; "
          "never NaN or Infinity).")


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, no usage block, no traceback
        name = self.prog.replace("python -m ", "")
        self.exit(2, f"{name}: error: {_one_line(message)} (see --help)\n")


def _one_line(text) -> str:
    return " ".join(str(text).split())


# ---------------------------------------------------------------- argument types

def _number(low=0.0, low_inclusive=False, high=math.inf, integer=False):
    """An argparse type: a finite number in the range, as float (or int if ``integer``)."""
    if integer:
        desc = f"a whole number >= {low:g}"
    elif math.isinf(high):
        desc = f"a number {'>=' if low_inclusive else '>'} {low:g}"
    else:
        desc = f"in {'[' if low_inclusive else '('}{low:g}, {high:g}]"

    def parse(text):
        try:
            x = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        ok = math.isfinite(x) and (x >= low if low_inclusive or integer else x > low) and x <= high
        if not ok or (integer and x != int(x)):
            raise argparse.ArgumentTypeError(f"must be {desc}, got {text!r}")
        return int(x) if integer else x

    return parse


POSITIVE = _number()
NON_NEGATIVE = _number(low_inclusive=True)
FRACTION = _number(high=1.0)
COUNT = _number(low=1, integer=True)


def _rate(text):
    """An argparse type: requests per second > 0, or inf (all at once)."""
    if text.strip().lower() in ("inf", "infinity"):
        return math.inf
    return POSITIVE(text)


def _catalog(lookup):
    """An argparse type that resolves a catalog id (case-insensitive), keeping costlib's did-you-mean."""
    def parse(text):
        try:
            return lookup(text)
        except ValueError as e:
            raise argparse.ArgumentTypeError(_one_line(e)) from None
    return parse


def _speculative(text):
    """An argparse type: ALPHA,K,DRAFT_COST, each checked by costlib (names the bad one)."""
    parts = text.split(",")
    if len(parts) != 3:
        raise argparse.ArgumentTypeError(f"expected ALPHA,K,DRAFT_COST (e.g. 0.7,4,0.05), got {text!r}")
    try:
        a, k, c = (float(x) for x in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected three numbers ALPHA,K,DRAFT_COST, got {text!r}") from None
    try:
        return cl_speculation(a, k, c)
    except ValueError as e:
        raise argparse.ArgumentTypeError(_one_line(e)) from None


# ---------------------------------------------------------------- parser

def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m costlib", allow_abbrev=False, epilog=EPILOG,
                description="Inference cost workbook calculator: $/M tokens, memory fit, decode speed, "
                            "fleet plan, API crossover, validation against measured runs.")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of worked steps")
    sub = p.add_subparsers(dest="command", metavar="SUBCOMMAND", parser_class=_Parser, required=True)

    def add(name, help_):
        sp = sub.add_parser(name, help=help_, description=help_, epilog=EPILOG, allow_abbrev=False)
        sp.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                        help="print one JSON object instead of worked steps")
        return sp

    def replica_args(sp):
        sp.add_argument("--model", required=True, type=_catalog(cl.get_model), metavar="ID",
                        help="model id or alias (python -m costlib catalog models)")
        sp.add_argument("--gpu", required=True, type=_catalog(cl.get_gpu), metavar="ID",
                        help="GPU id, e.g. H100-SXM (python -m costlib catalog gpus)")
        sp.add_argument("--tp", required=True, type=COUNT, metavar="N",
                        help="tensor-parallel GPUs per replica; must divide the model's KV heads")
        sp.add_argument("--weights", required=True, type=_catalog(cl.get_precision), metavar="DTYPE",
                        help="weight precision: bf16, fp16, fp8, int8, int4, fp4")

    def replica_workload_args(sp):
        replica_args(sp)
        sp.add_argument("--kv", required=True, type=_catalog(cl.get_precision), metavar="DTYPE",
                        help="KV-cache precision: bf16, fp16, fp8 (fp4 is stored as fp8)")
        lengths_args(sp)

    def lengths_args(sp):
        sp.add_argument("--input-len", required=True, type=COUNT, metavar="N", help="prompt tokens per request")
        sp.add_argument("--output-len", required=True, type=COUNT, metavar="N", help="output tokens per request")

    def deployment_args(sp):
        replica_args(sp)
        sp.add_argument("--kv", default=cl.get_precision("bf16"), type=_catalog(cl.get_precision),
                        metavar="DTYPE", help="KV-cache precision (default bf16)")
        sp.add_argument("--memory-fraction", type=FRACTION, default=0.95, metavar="F",
                        help="share of HBM the engine may use (default 0.95)")
        sp.add_argument("--reserve-gb", type=NON_NEGATIVE, default=1.0, metavar="GB",
                        help="GB per GPU kept for activations and workspaces (default 1)")

    sp = add("cost", "$/million tokens from a $/hour price and a token rate (§30.1)")
    sp.add_argument("--usd-per-hour", required=True, type=POSITIVE, help="$/hour of the hardware")
    sp.add_argument("--tokens-per-s", required=True, type=POSITIVE, help="tokens/s it produces at full load")
    sp.add_argument("--utilization", type=FRACTION, default=1.0,
                    help="share of paid hours doing useful work, in (0, 1] (default 1)")

    sp = add("fit", "does the model fit: weights + KV cache vs usable memory, KV room, min TP (§30.3)")
    deployment_args(sp)
    sp.add_argument("--context", type=COUNT, default=2048, metavar="C",
                    help="tokens per sequence, up to the model's maximum context (default 2048)")
    sp.add_argument("--batch", type=COUNT, default=1, metavar="B", help="concurrent sequences (default 1)")

    sp = add("decode", "roofline time of one decode step, tokens/s, memory- or compute-bound (§30.3, §30.4)")
    deployment_args(sp)
    sp.add_argument("--batch", required=True, type=COUNT, metavar="B", help="concurrent sequences")
    sp.add_argument("--context", required=True, type=COUNT, metavar="C",
                    help="tokens per sequence, up to the model's maximum context")
    sp.add_argument("--mbu", type=FRACTION, default=cl.DEFAULT_MBU,
                    help=f"memory-bandwidth utilization in (0, 1] (default {cl.DEFAULT_MBU:g})")
    sp.add_argument("--mfu", type=FRACTION, default=cl.DEFAULT_MFU,
                    help=f"model-FLOP utilization in (0, 1] (default {cl.DEFAULT_MFU:g})")
    sp.add_argument("--hbm-tb-per-s", type=POSITIVE, default=None,
                    help="override HBM bandwidth, e.g. 3 for the chapter's rounded H100 figure")
    sp.add_argument("--usd-per-gpu-hour", type=POSITIVE, default=None,
                    help="also price the output tokens at this $/GPU-hour")

    def quote_args(sp):
        replica_workload_args(sp)
        sp.add_argument("--n-gpus", type=COUNT, default=None, metavar="N",
                        help="GPUs in all, a multiple of --tp (default: one replica, --tp GPUs)")
        sp.add_argument("--batch", type=COUNT, default=None, metavar="N",
                        help="requests started together (default: the memory-limited batch of a "
                             "max-throughput run, as validate uses)")
        sp.add_argument("--profile", default="calibrated", metavar="NAME|FILE.json",
                        help="calibrated (default), chapter, ceiling, or a profile saved by "
                             "'validate FILE --calibrate --save FILE.json'")
        price = sp.add_mutually_exclusive_group()
        price.add_argument("--tier", default="on_demand", metavar="T",
                           help="price tier from the catalog: on_demand (default), reserved, spot, bare_metal, owned")
        price.add_argument("--usd-per-gpu-hour", type=POSITIVE, default=None, metavar="X",
                           help="your own $/GPU-hour instead of the catalog's tier price")
        sp.add_argument("--utilization", type=FRACTION, default=1.0, metavar="U",
                        help="share of paid hours doing useful work, in (0, 1] (default 1)")
        sp.add_argument("--prefix-hit-rate", type=_number(low_inclusive=True, high=1.0), default=0.0, metavar="H",
                        help="share of prompt tokens served from the prefix cache, in [0, 1] (default 0)")
        sp.add_argument("--speculative", type=_speculative, default=None, metavar="ALPHA,K,DRAFT_COST",
                        help="speculative decoding: acceptance rate in [0, 1), draft length >= 1, and the "
                             "draft's cost per token relative to a target step, >= 0 (e.g. 0.7,4,0.05)")
        sp.add_argument("--usd-per-kwh", type=NON_NEGATIVE, default=None, metavar="X",
                        help="electricity price: adds the electricity $/M output tokens")

    sp = add("quote", "one deployment on the one engine: tokens/s, TTFT, TPOT, $/M output tokens, fit (§30.1-§30.7)")
    quote_args(sp)
    sp = add("sensitivity", "which input moves $/M most: each over its sourced range, sorted by swing (tornado)")
    quote_args(sp)

    sp = add("plan", "size a fleet: users -> tokens/day -> peak tokens/s -> GPUs -> $/month (§30.10)")
    sp.add_argument("--users", required=True, type=POSITIVE)
    sp.add_argument("--sessions-per-day", required=True, type=POSITIVE, help="sessions per user per day")
    sp.add_argument("--tokens-per-session", required=True, type=POSITIVE, help="output tokens per session")
    sp.add_argument("--tokens-per-s-per-gpu", required=True, type=POSITIVE,
                    help="decode tokens/s one GPU sustains")
    sp.add_argument("--peak-factor", type=_number(low=1, low_inclusive=True), default=3.0,
                    help="peak / average traffic, >= 1 (default 3)")
    sp.add_argument("--headroom", type=_number(low_inclusive=True, high=10), default=0.3,
                    help="spare capacity on top of peak, in [0, 10] (default 0.3)")
    sp.add_argument("--usd-per-gpu-hour", type=POSITIVE, default=2.0, help="$/GPU-hour (default 2)")
    sp.add_argument("--gpus-per-replica", type=COUNT, default=1, help="GPUs per replica (default 1)")
    sp.add_argument("--prompt-tokens-per-session", type=NON_NEGATIVE, default=None,
                    help="also size prefill for this many prompt tokens per session")
    sp.add_argument("--prefill-tokens-per-s-per-gpu", type=POSITIVE, default=None,
                    help="prompt tokens/s one GPU prefills (needed with --prompt-tokens-per-session)")

    sp = add("crossover", "tokens/month where a fixed GPU fleet costs the same as an API (§30.7)")
    sp.add_argument("--api-usd-per-million", required=True, type=POSITIVE, help="API $/million tokens")
    sp.add_argument("--usd-per-gpu-hour", required=True, type=POSITIVE)
    sp.add_argument("--gpus", required=True, type=COUNT, help="GPUs in the always-on fleet")
    sp.add_argument("--self-host-usd-per-million", type=NON_NEGATIVE, default=0.0,
                    help="per-token self-hosting cost on top of the GPU bill (default 0)")
    sp.add_argument("--tokens-per-s-per-gpu", type=POSITIVE, default=None,
                    help="check the fleet can actually produce the crossover volume")

    sp = add("validate", "predict every run of a measurement CSV: ceiling and low/mid/high vs measured (§30.4)")
    sp.add_argument("file", metavar="FILE.csv",
                    help="CSV with columns " + ", ".join(REQUIRED_COLUMNS)
                    + " (as costlib/data/measured.csv); bad rows are skipped with a reason")
    sp.add_argument("--calibrate", action="store_true",
                    help="first calibrate the efficiencies on FILE itself (in-sample) instead of using "
                         "costlib's calibrated profile")
    sp.add_argument("--profile", default="calibrated", metavar="NAME|FILE.json",
                    help="calibrated (default), chapter, ceiling, or a saved profile (ignored with --calibrate)")
    sp.add_argument("--save", default=None, metavar="FILE.json",
                    help="with --calibrate: write the fitted profile here (use it with quote --profile)")

    sp = add("serve", "one replica under load on the one engine: TTFT, ITL, tokens/s vs request rate (§30.4)")
    replica_workload_args(sp)
    load = sp.add_mutually_exclusive_group(required=True)
    load.add_argument("--rate", type=_rate, metavar="R|inf",
                      help="requests per second (> 0), or inf: all requests at once")
    load.add_argument("--concurrency", type=COUNT, metavar="N",
                      help="closed loop: N users, each sending its next request when the last one ends")
    sp.add_argument("--requests", type=COUNT, default=500, metavar="N", help="requests simulated (default 500)")
    sp.add_argument("--arrivals", choices=["fixed", "poisson"], default="poisson",
                    help="poisson (default; seeded) or fixed (evenly spaced, as published benchmarks)")
    sp.add_argument("--profile", default="calibrated", metavar="NAME|FILE.json",
                    help="calibrated (default), chapter, ceiling, or a saved profile")

    sp = add("slo", "cheapest GPU x TP x precision x replicas meeting p99 TTFT and mean ITL at a rate (§30.4, §30.9)")
    sp.add_argument("--model", required=True, type=_catalog(cl.get_model), metavar="ID",
                    help="model id, e.g. llama-3.1-70b (see: catalog models)")
    lengths_args(sp)
    sp.add_argument("--rate", required=True, type=POSITIVE, metavar="R", help="requests per second, fleet-wide")
    sp.add_argument("--ttft-p99-ms", required=True, type=POSITIVE, metavar="T",
                    help="target p99 time to first token, ms")
    sp.add_argument("--itl-ms", required=True, type=POSITIVE, metavar="I", help="target mean inter-token latency, ms")
    sp.add_argument("--gpus", nargs="+", type=_catalog(cl.get_gpu), default=None, metavar="ID",
                    help="GPUs to try (default: every catalog GPU with a price in the tier)")
    sp.add_argument("--tier", default="on_demand", metavar="T",
                    help="price tier: on_demand (default), reserved, spot, bare_metal")

    sp = add("catalog", "list catalog ids: gpus, models, apis or precisions")
    sp.add_argument("kind", choices=["gpus", "models", "apis", "precisions"])
    return p


# ---------------------------------------------------------------- helpers

def _n(x) -> str:
    """A number for people: thousands separators from 10,000, else 4 significant digits."""
    return fmt.count(float(x), (), whole_from=1e4, rest=",.4g")


def _plural(n, word) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _deployment(a, **gpu_overrides):
    if a.model.n_kv_heads % a.tp:  # checked here so the message names --tp
        valid = ", ".join(map(str, cl.valid_tp(a.model, a.model.n_kv_heads)))
        raise CLIError(f"argument --tp: {a.tp} does not divide the {a.model.n_kv_heads} KV heads of "
                       f"{a.model.name}; valid: {valid}")
    if a.context > a.model.max_context:
        raise CLIError(f"argument --context: {a.context:,} exceeds the {a.model.max_context:,}-token "
                       f"maximum context of {a.model.name}")
    return cl.deployment(a.model, a.gpu, a.tp, a.weights, a.kv, memory_fraction=a.memory_fraction,
                         reserve_bytes=a.reserve_gb * 1e9, **gpu_overrides)


def _dep_inputs(a, dep) -> dict:
    return {"model": dep.model.id, "gpu": dep.gpu.id, "tp": dep.tp, "weights": dep.weights.name,
            "kv": dep.kv.name, "memory_fraction": dep.memory_fraction, "reserve_bytes": dep.reserve_bytes,
            "context": a.context, "batch": a.batch}


def _fit_lines(dep, f) -> list[str]:
    m, per_gpu = dep.model, cl.usable_bytes(dep.gpu, dep.memory_fraction, dep.reserve_bytes)
    kvt = replica_spec(dep).kv_bytes_per_token
    return [
        f"Memory fit: {dep.name}, {_plural(f.batch, 'sequence')} x {f.context:,} tokens",
        f"  weights  = {m.n_params / 1e9:.2f}B params resident ({dep.weights.name} body; embedding and output"
        f" head in 16 bits) = {fmt.gigabytes(f.weight_bytes)}",
        f"  KV cache = {f.batch:,} x {f.context:,} tokens x {kvt:,.0f} bytes/token = {fmt.gigabytes(f.kv_bytes)}",
        f"  usable   = {_plural(dep.tp, 'GPU')} x ({dep.gpu.hbm_gb:g} GB read as GiB x {dep.memory_fraction:g}"
        f" - {dep.reserve_bytes / 1e9:g} GB) = {fmt.gigabytes(f.usable_bytes)}"
        f" (per GPU {fmt.gigabytes(per_gpu)})",
        f"  needed   = {fmt.gigabytes(f.weight_bytes)} + {fmt.gigabytes(f.kv_bytes)} = {fmt.gigabytes(f.needed_bytes)}",
        f"  KV room  = {f.kv_capacity_tokens:,} tokens -> at most {f.max_batch:,} sequences of"
        f" {f.context:,} tokens",
    ]


# ---------------------------------------------------------------- subcommands
# Each returns (result dict for --json, lines for people).

def _cost(a):
    mtph = cl.million_tokens_per_hour(a.tokens_per_s, a.utilization)
    usd = cl.usd_per_million_tokens(a.usd_per_hour, a.tokens_per_s, a.utilization)
    out = {"usd_per_hour": a.usd_per_hour, "tokens_per_s": a.tokens_per_s, "utilization": a.utilization,
           "million_tokens_per_hour": mtph, "usd_per_million_tokens": usd}
    lines = [
        "$/million tokens = $/hour / (tokens/s x utilization x 3,600 s/h / 1,000,000)",
        f"  million tokens/hour = {_n(a.tokens_per_s)} tokens/s x {a.utilization:g} x 3,600 s / 1,000,000"
        f" = {_n(mtph)} M tokens/h",
        f"  $/million tokens    = ${_n(a.usd_per_hour)}/h / {_n(mtph)} M tokens/h"
        f" = ${_n(usd)} per million tokens",
    ]
    return out, lines


def _fit(a):
    dep = _deployment(a)
    f = cl.fit(dep, a.context, a.batch)
    out = {**_dep_inputs(a, dep), **f.as_dict()}
    return out, _fit_lines(dep, f) + [f.message]


def _decode(a):
    over = {} if a.hbm_tb_per_s is None else {"hbm_bytes_per_s": a.hbm_tb_per_s * 1e12}
    dep = _deployment(a, **over)
    f = cl.fit(dep, a.context, a.batch)
    out = {**_dep_inputs(a, dep), "mbu": a.mbu, "mfu": a.mfu, "hbm_bytes_per_s": dep.gpu.hbm_bytes_per_s,
           "usd_per_gpu_hour": a.usd_per_gpu_hour, "fits": f.fits, "shortfall_bytes": f.shortfall_bytes,
           "max_batch": f.max_batch, "min_tp": f.min_tp, "message": f.message}
    timing = ("memory_s", "compute_s", "comm_s", "step_time_s", "tpot_s", "tokens_per_s", "bound",
              "usd_per_million_tokens")
    if not f.fits:  # physics first: no speed and no price for a configuration that cannot run
        out.update(dict.fromkeys(timing))
        return out, _fit_lines(dep, f) + [f.message, "No step time or price: it cannot run as configured."]
    s = cl.decode_step(dep, a.batch, a.context, a.mbu, a.mfu)
    out.update(memory_s=s.memory_s, compute_s=s.compute_s, comm_s=s.comm_s, step_time_s=s.step_time_s,
               tpot_s=s.tpot_s, tokens_per_s=s.tokens_per_s, bound=s.bound, usd_per_million_tokens=None)
    g, tp, p = dep.gpu, dep.tp, s.parts
    w = step_work(replica_spec(dep), a.batch, a.batch * a.context, a.batch * a.context, a.batch)
    bw = f"{tp} x {g.hbm_tb_per_s:g} TB/s x {a.mbu:g}"
    lines = [
        f"Decode step: {dep.name}, batch {a.batch:,}, context {a.context:,} (MBU {a.mbu:g}, MFU {a.mfu:g})",
        f"  {f.message}",
        f"  matmuls   = max(weights {fmt.gigabytes(w.weight_bytes)} / ({bw}) = {fmt.milliseconds(p.matmul_memory_s)},"
        f" {(w.body_flops + w.head_flops) / 1e12:,.2f} TFLOP / ({tp} GPUs x peak x {a.mfu:g})"
        f" = {fmt.milliseconds(p.matmul_compute_s)})",
        f"  attention = max(KV {fmt.gigabytes(w.kv_bytes)} / ({bw}) = {fmt.milliseconds(p.attention_memory_s)},"
        f" {w.attention_flops / 1e12:,.2f} TFLOP / ({tp} GPUs x peak x {a.mfu:g})"
        f" = {fmt.milliseconds(p.attention_compute_s)})",
        f"  comm      = TP all-reduces ({'none at TP=1' if tp == 1 else f'2 per layer, TP={tp}'})"
        f" = {fmt.milliseconds(s.comm_s)}",
        f"  step      = matmuls + attention + comm = {fmt.milliseconds(s.step_time_s)} ({s.bound}-bound) = TPOT",
        f"  tokens/s  = {a.batch:,} / {s.step_time_s:.4g} s = {_n(s.tokens_per_s)} tokens/s per replica",
    ]
    if a.usd_per_gpu_hour is not None:
        usd = cl.usd_per_million_tokens(tp * a.usd_per_gpu_hour, s.tokens_per_s)  # the step shown above, priced
        out["usd_per_million_tokens"] = usd
        lines.append(f"  $/M     = {tp} x ${a.usd_per_gpu_hour:g}/h / ({_n(s.tokens_per_s)} tokens/s x"
                     f" 3,600 / 1M) = ${_n(usd)} per million output tokens (at 100% utilization)")
    return out, lines


def _plan(a):
    if a.prompt_tokens_per_session and a.prefill_tokens_per_s_per_gpu is None:
        raise CLIError("argument --prefill-tokens-per-s-per-gpu: required when "
                       "--prompt-tokens-per-session > 0")
    if a.prefill_tokens_per_s_per_gpu is not None and a.prompt_tokens_per_session is None:
        raise CLIError("argument --prefill-tokens-per-s-per-gpu: has no effect without "
                       "--prompt-tokens-per-session")
    p = cl.capacity_plan(a.users, a.sessions_per_day, a.tokens_per_session, a.tokens_per_s_per_gpu,
                         peak_factor=a.peak_factor, headroom=a.headroom, usd_per_gpu_hour=a.usd_per_gpu_hour,
                         gpus_per_replica=a.gpus_per_replica,
                         prompt_tokens_per_session=a.prompt_tokens_per_session or 0.0,
                         prefill_tokens_per_s_per_gpu=a.prefill_tokens_per_s_per_gpu)
    inputs = {k: getattr(a, k) for k in (
        "users", "sessions_per_day", "tokens_per_session", "tokens_per_s_per_gpu", "peak_factor",
        "headroom", "usd_per_gpu_hour", "gpus_per_replica", "prompt_tokens_per_session",
        "prefill_tokens_per_s_per_gpu")}
    steps = [{"step": r.step, "formula": r.formula, "value": r.value} for r in p.steps.itertuples()]
    out = {**inputs, **p.as_dict(), "steps": steps}
    lines = ["Capacity plan (§30.10):"] + [f"{i}. {r.step}: {r.formula} = {r.display}"
                                          for i, r in enumerate(p.steps.itertuples(), 1)]
    return out, lines


def _crossover(a):
    x = cl.crossover_tokens_per_month(a.api_usd_per_million, a.usd_per_gpu_hour, a.gpus,
                                      self_host_usd_per_million=a.self_host_usd_per_million)
    fleet = a.gpus * a.usd_per_gpu_hour * cl.HOURS_PER_MONTH
    margin = a.api_usd_per_million - a.self_host_usd_per_million
    out = {"api_usd_per_million": a.api_usd_per_million, "usd_per_gpu_hour": a.usd_per_gpu_hour,
           "gpus": a.gpus, "self_host_usd_per_million": a.self_host_usd_per_million,
           "hours_per_month": cl.HOURS_PER_MONTH, "fleet_monthly_usd": fleet,
           "crossover_tokens_per_month": None, "crossover_avg_tokens_per_s": None, "explanation": None,
           "tokens_per_s_per_gpu": a.tokens_per_s_per_gpu, "fleet_capacity_tokens_per_month": None,
           "reachable": None}
    lines = [f"  fleet bill = {_plural(a.gpus, 'GPU')} x ${a.usd_per_gpu_hour:g}/h x {cl.HOURS_PER_MONTH}"
             f" h/month = ${fleet:,.0f}/month"]
    if math.isinf(x):
        out["explanation"] = (f"no crossover: the API's ${a.api_usd_per_million:g}/M is not above the "
                              f"self-host per-token cost ${a.self_host_usd_per_million:g}/M, so the API is "
                              f"never dearer at any volume")
        return out, ["Crossover: tokens/month where the fixed fleet bill = the API bill (§30.7)"] + lines + [
            f"  {out['explanation']}"]
    out["crossover_tokens_per_month"] = x
    out["crossover_avg_tokens_per_s"] = x / (cl.HOURS_PER_MONTH * 3600)
    lines += [f"  crossover  = ${fleet:,.0f} / ${margin:g} per M tokens x 1,000,000 = {_n(x)} tokens/month"
              f" ({x / 1e9:,.3g}B; average {_n(out['crossover_avg_tokens_per_s'])} tokens/s)",
              "  above it self-hosting is cheaper, below it the API is."]
    if a.tokens_per_s_per_gpu is not None:
        cap = cl.monthly_capacity_tokens(a.tokens_per_s_per_gpu * a.gpus)
        out["fleet_capacity_tokens_per_month"], out["reachable"] = cap, bool(cap >= x)
        verdict = "reachable" if cap >= x else "NOT reachable: the fleet cannot produce that many tokens"
        lines.append(f"  capacity   = {a.gpus} x {_n(a.tokens_per_s_per_gpu)} tokens/s x"
                     f" {cl.HOURS_PER_MONTH} h x 3,600 s = {_n(cap)} tokens/month -> {verdict}")
    return out, ["Crossover: tokens/month where the fixed fleet bill = the API bill (§30.7)"] + lines


def _catalog_cmd(a):
    if a.kind == "gpus":
        df = cl.gpus()[["id", "name", "hbm_gb", "hbm_tb_per_s", "bf16_tflops", "fp8_tflops", "link_gb_per_s"]]
    elif a.kind == "models":
        df = cl.models()
        df["valid_tp"] = [" ".join(map(str, cl.valid_tp(i))) for i in df["id"]]
        df = df[["id", "name", "params_b", "active_params_b", "n_layers", "n_kv_heads", "max_context",
                 "valid_tp"]].round({"params_b": 2, "active_params_b": 2})
    elif a.kind == "apis":
        df = cl.api_prices()[["id", "provider", "model", "usd_per_million_input", "usd_per_million_output"]]
    else:
        df = pd.DataFrame([{"id": p.name, "bytes_per_value": p.bytes_per_value, "bits": p.bits}
                           for p in cl.PRECISIONS.values()])
    records = df.astype(object).where(df.notna(), None).to_dict("records")
    out = {"kind": a.kind, "ids": list(df["id"]), "items": records}
    return out, df.astype(object).fillna("-").to_string(index=False).splitlines()


COMMANDS = {"cost": _cost, "fit": _fit, "decode": _decode, "plan": _plan, "crossover": _crossover,
            "validate": validate_cmd, "quote": quote_cmd, "sensitivity": sensitivity_cmd, "serve": serve_cmd,
            "slo": slo_cmd, "catalog": _catalog_cmd}


# ---------------------------------------------------------------- output

def _jsonable(x, key="result"):
    if isinstance(x, dict):
        return {k: _jsonable(v, k) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v, key) for v in x]
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        raise CLIError(f"{key} came out as {x} (inputs too large?)")
    return x


def main(argv=None) -> int:
    """Run the command line; returns the exit status (0 answer, 2 bad arguments)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse already printed its one line (or --help)
        return int(e.code or 0)
    try:
        out, lines = COMMANDS[args.command](args)
        out = _jsonable(out)
    except OverflowError:
        print(f"costlib {args.command}: error: inputs too large: a result overflowed", file=sys.stderr)
        return 2
    except (CLIError, ValueError) as e:  # costlib's ValueErrors name the parameter
        print(f"costlib {args.command}: error: {_one_line(e)}", file=sys.stderr)
        return 2
    if args.json:
        # validate, quote, serve and slo print exactly the issues' keys (no "command" key)
        head = {} if args.command in ("validate", "quote", "serve", "slo") else {"command": args.command}
        print(json.dumps({**head, **out}, allow_nan=False))
    else:
        print("\n".join(lines))
    return 0

"""Calibration against published measurements: our ceilings must never be below a real run.

Data: costlib/data/measured.csv, the rows of shared/data/measured/public.csv (its ``date``
column renamed ``as_of`` like every catalog) --
NVIDIA TensorRT-LLM performance overview (v0.17, January 2025), max-throughput runs of
``trtllm-bench`` (every request exactly input_len prompt + output_len generated tokens; about 95%
of free GPU memory given to the KV cache). Public figures, bundled with their source column so the
suite is self-contained.

For every row we build the deployment (model, GPU, TP, weight and KV precision) and check:
(a) it fits -- the run happened, so our memory model must not call it impossible;
(b) the physical decode ceiling (all of HBM for weights and KV, MBU = MFU = 1, no all-reduce
    latency, the largest batch whose KV fits at the average context input + output/2, times
    n_gpus / tp replicas) is >= the measurement;
(c) a realistic mid estimate (prefill + decode time per request at costlib's mid MBU/MFU) is
    within a broad factor of the measurement (reported, loosely asserted).
"""
from __future__ import annotations

import csv
import math
import statistics
from pathlib import Path

import pytest

import costlib as cl

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "costlib" / "data" / "measured.csv"
SHARED = HERE.parents[1] / "shared" / "data" / "measured" / "public.csv"


def load_rows() -> list[dict]:
    with open(DATA, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        for k in ("n_gpus", "tp", "input_len", "output_len"):
            r[k] = int(r[k])
        r["output_tokens_per_s"] = float(r["output_tokens_per_s"])
    return rows


ROWS = load_rows()


def row_id(r: dict) -> str:
    return (f"{r['model']}-{r['weight_dtype']}-{r['n_gpus']}x{r['gpu']}-tp{r['tp']}-"
            f"{r['input_len']}in-{r['output_len']}out")


def build(r: dict, physical: bool = False, **gpu_overrides) -> cl.Deployment:
    # physical: every byte of HBM may hold weights and KV (a ceiling); otherwise costlib's
    # realistic default (95% of HBM minus 1 GB per GPU)
    mem = {"memory_fraction": 1.0, "reserve_bytes": 0.0} if physical else {}
    return cl.deployment(r["model"], r["gpu"], tp=r["tp"], weights=r["weight_dtype"],
                         kv=r["kv_dtype"], **mem, **gpu_overrides)


def avg_context(r: dict) -> int:
    # a sequence's context grows from input_len to input_len + output_len while it decodes
    return math.ceil(r["input_len"] + r["output_len"] / 2)


def ceiling_tokens_per_s(r: dict, **gpu_overrides) -> float:
    dep = build(r, physical=True, **gpu_overrides)
    c = avg_context(r)
    b = cl.max_batch(dep, c)
    assert b >= 1, f"{row_id(r)}: no sequence of {c} tokens fits"
    per_replica = cl.decode_tokens_per_s(dep, b, c, mbu=1.0, mfu=1.0, allreduce_latency_s=0.0)
    return per_replica * r["n_gpus"] / r["tp"]


def mid_estimate_tokens_per_s(r: dict) -> float:
    """Output tok/s of the whole run at costlib's mid MBU/MFU, counting each request's prefill."""
    dep = build(r)
    c = avg_context(r)
    b = cl.max_batch(dep, c)
    decode = cl.decode_tokens_per_s(dep, b, c)  # per replica, mid MBU/MFU
    # a replica spends prefill_time per request plus output_len / decode-rate of batch time
    per_request_s = cl.prefill_time_s(dep, r["input_len"]) + r["output_len"] / decode
    return r["output_len"] / per_request_s * r["n_gpus"] / r["tp"]


# ----------------------------------------------------------------- the data itself

def test_bundled_copy_is_complete_and_sourced():
    assert len(ROWS) == 230
    for r in ROWS:
        assert r["source"].strip() and r["as_of"].strip()
        assert r["n_gpus"] % r["tp"] == 0
        assert r["output_tokens_per_s"] > 0


def test_bundled_copy_matches_shared_data():
    if not SHARED.exists():
        pytest.skip("shared/ is not beside the repository")
    with open(SHARED, newline="", encoding="utf-8") as fh:
        shared = list(csv.reader(fh))
    with open(DATA, newline="", encoding="utf-8") as fh:
        ours = list(csv.reader(fh))
    assert ours[0] == ["as_of" if c == "date" else c for c in shared[0]]
    assert ours[1:] == shared[1:]


def test_every_row_names_catalog_ids():
    for r in ROWS:
        cl.get_gpu(r["gpu"])
        cl.get_model(r["model"])
        cl.get_precision(r["weight_dtype"])
        cl.get_precision(r["kv_dtype"])


# ----------------------------------------------------------------- (a) every run fits

def test_every_measured_config_fits():
    """Every run happened, so costlib's memory model (default usable memory) must let it fit."""
    refused = []
    for r in ROWS:
        f = cl.fit(build(r), context=r["input_len"] + r["output_len"], batch=1)
        if not f.fits:
            refused.append(f"{row_id(r)}: {f.message}")
    assert not refused, "\n".join(refused)


# ----------------------------------------------------------------- (b) ceilings hold

# HBM capacities as the driver reports them (nvidia-smi "Total" memory): H100 SXM 81,559 MiB,
# A100 SXM 80GB 81,920 MiB. The L40S keeps its catalog 48 GB.
HBM_AS_REPORTED = {"H100-SXM": 81_559 * 2**20, "A100-SXM-80GB": 81_920 * 2**20}


def test_with_hbm_as_the_driver_reports_it_every_ceiling_holds():
    """With the HBM size the driver reports (80 GiB, not the datasheet's decimal 80 GB) every
    measurement sits below the ceiling with a clear margin."""
    ratios = []
    for r in ROWS:
        over = {"hbm_bytes": HBM_AS_REPORTED[r["gpu"]]} if r["gpu"] in HBM_AS_REPORTED else {}
        ratios.append(r["output_tokens_per_s"] / ceiling_tokens_per_s(r, **over))
    assert max(ratios) < 0.8


def test_no_run_beats_its_ceiling_and_most_reach_a_third_of_it():
    """Measured <= the physical decode ceiling on every row (each offender is listed), and most
    runs reach about a third of it."""
    ratios = [r["output_tokens_per_s"] / ceiling_tokens_per_s(r) for r in ROWS]
    over = [f"{row_id(r)}: measured {r['output_tokens_per_s']:,.0f} tok/s > ceiling by x{x:.3f}"
            for r, x in zip(ROWS, ratios, strict=True) if x > 1.0]
    assert not over, "\n".join(over)
    assert 0.15 < statistics.median(ratios) < 0.6
    assert min(ratios) > 0.01


# ----------------------------------------------------------------- (c) the realistic estimate

def test_mid_estimate_is_within_a_broad_factor_of_measurements():
    """Loose on purpose: costlib's mid MBU/MFU with prefill counted lands within 4x of every
    run and its median ratio is near 1."""
    ratios = [r["output_tokens_per_s"] / mid_estimate_tokens_per_s(r) for r in ROWS]
    assert all(0.25 < x < 4 for x in ratios), sorted(ratios)[:3] + sorted(ratios)[-3:]
    assert 0.5 < statistics.median(ratios) < 2

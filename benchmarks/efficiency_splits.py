"""Does one efficiency fit every precision and interconnect? Engine variants fitted on the max-throughput runs (on demand; not a test).

The calibrated profile has one ``mfu`` for every matmul and one ``link_efficiency`` for every
all-reduce. The online runs (H100, BF16) are predicted too slow for 70B at TP=4; the 230
max-throughput runs the profile is fitted on are FP8 on H100 and L40S and FP16 on A100. Each variant
below adds one physical mechanism; its values are fitted with the others on the max-throughput runs
only (``default_profile``), never on the online rows:

* ``mfu_16bit``: the share of its 16-bit peak a 16-bit matmul reaches (the body matmuls of a
  BF16/FP16 deployment, the output head always, attention over a 16-bit KV cache); ``mfu`` stays
  for 8-bit matmuls. Only the A100 FP16 runs identify it. Also held at values that would lift the
  70B rows, to show what the max-throughput runs say about them;
* ``pcie_link_efficiency``: the link efficiency of all-reduces over PCIe (L40S), ``link_efficiency``
  staying for NVLink;
* ``mfu_half_tokens``: a matmul of T tokens reaches mfu x T / (T + this), small steps less;
* in-switch reduction (no fitted value): on NVLink 4 systems (H100 SXM) the NVSwitch reduces the
  all-reduce data (NCCL's NVLS), so each GPU sends and receives the message once instead of the
  ring's 2 (TP-1) / TP times; alone and with ``pcie_link_efficiency``.

The engine is not changed for this. A variant is the engine's own step on a spec with scaled rates:
a 16-bit matmul at ``mfu_16bit`` of its peak takes as long as one at ``mfu`` of a peak scaled by
``mfu_16bit / mfu`` (a kernel is 16-bit when its rate is the spec's 16-bit head rate), and likewise
for the links (a link of at most 64 GB/s per direction is PCIe, one of 450 GB/s or more NVLink 4;
A100's NVLink 3 carries 300). When a leave-one-family-out fold has no row that identifies a value
(no 16-bit body matmuls without Ampere; no PCIe all-reduce without Ada), the fold ties it to the
pooled value it fits (``mfu`` or ``link_efficiency``).

Every variant is scored like ``bench_fidelity.py`` (in sample, held out by family, band, bare
prefill, fixed batch) and on the 7 online figures. The first table is the shipped profile's step of
the online deployments at max throughput, taken apart.

    .venv/bin/python benchmarks/efficiency_splits.py [--json]
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import contextlib  # noqa: E402
import dataclasses  # noqa: E402
import functools  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from allreduce_forms import online  # noqa: E402
from bench_fidelity import DATA, figures  # noqa: E402

import costlib.estimate.predict as predict_mod  # noqa: E402
import costlib.physics.engine as engine_mod  # noqa: E402
import costlib.physics.step as step_mod  # noqa: E402
from costlib.catalog.deployment import deployment  # noqa: E402
from costlib.estimate.profiles import get_profile  # noqa: E402
from costlib.evidence import calibrate as C  # noqa: E402
from costlib.physics.engine import Efficiency  # noqa: E402
from costlib.physics.replica import replica_spec  # noqa: E402

PCIE_MAX_LINK_BYTES_PER_S = 64e9  # PCIe Gen5 x16 per direction; NVLink 3 and 4 carry 300 and 450 GB/s
NVLINK4_BYTES_PER_S = 450e9  # H100/H200 SXM per direction; their NVSwitch reduces all-reduce data in the switch (NVLS)
SPLITS = {"mfu_16bit": (0.05, 1.0), "pcie_link_efficiency": (0.05, 1.0), "mfu_half_tokens": (0.0, 5000.0)}  # bounds
BASE = C.FITTED_PARAMETERS
_ENGINE_STEP_PARTS = engine_mod.step_parts
_CALIBRATE = C.calibrate
_FIT = C._fit


@dataclasses.dataclass(frozen=True)
class SplitEfficiency(Efficiency):
    """The engine's Efficiency plus the mechanisms tried here; a split value of None is tied to its pooled value."""

    mfu_16bit: float | None = None
    pcie_link_efficiency: float | None = None
    mfu_half_tokens: float = 0.0  # body matmuls of T tokens reach mfu x T / (T + this): 0 = any T reaches mfu
    switch_reduction: bool = False  # NVLink 4+ switches reduce in the network: each GPU sends and receives T x hidden x 2 B once


def _scalar(x):
    return float(x) if np.ndim(x) == 0 else x


def split_spec(spec, eff: SplitEfficiency):
    """The spec whose rates make the one-mfu, one-link-efficiency engine time the split efficiencies."""
    wide = 1.0 if eff.mfu_16bit is None else eff.mfu_16bit / eff.mfu
    pcie = 1.0 if eff.pcie_link_efficiency is None else eff.pcie_link_efficiency / eff.link_efficiency
    sixteen = spec.head_flops_per_s  # the real plan runs the head at the 16-bit rate

    def by_width(rate):
        return _scalar(rate * np.where(np.asarray(rate) <= sixteen, wide, 1.0))

    link = spec.link_bytes_per_s * np.where(np.asarray(spec.link_bytes_per_s) <= PCIE_MAX_LINK_BYTES_PER_S, pcie, 1.0)
    return dataclasses.replace(spec, gemm_flops_per_s=by_width(spec.gemm_flops_per_s),
                               head_flops_per_s=_scalar(spec.head_flops_per_s * wide),
                               attention_flops_per_s=by_width(spec.attention_flops_per_s), link_bytes_per_s=_scalar(link))


def split_step_parts(spec, eff, new_tokens, *args, **kw):
    """The engine's step_parts; with a SplitEfficiency, on the spec scaled by :func:`split_spec`."""
    if isinstance(eff, SplitEfficiency) and not eff.overlap:
        spec = split_spec(spec, eff)
        if eff.switch_reduction:
            tp = np.asarray(spec.tp, dtype=float)
            nvls = (np.asarray(spec.link_bytes_per_s) >= NVLINK4_BYTES_PER_S) & (tp > 1)
            ring = 2 * (tp - 1) / np.maximum(tp, 1)
            spec = dataclasses.replace(spec, link_bytes_per_s=_scalar(spec.link_bytes_per_s * np.where(nvls, ring, 1.0)))
        if eff.mfu_half_tokens:
            t = np.asarray(new_tokens, dtype=float)
            spec = dataclasses.replace(spec, gemm_flops_per_s=_scalar(spec.gemm_flops_per_s * t
                                                                      / (t + eff.mfu_half_tokens)))
    return _ENGINE_STEP_PARTS(spec, eff, new_tokens, *args, **kw)


def fit_identified(ms, y, names, start):
    """calibrate's fit, with each split value the rows cannot identify tied to its pooled value."""
    spec = ms.stacked(ideal=start.ideal)["spec"]
    multi = np.asarray(spec.tp) > 1
    pcie = np.asarray(spec.link_bytes_per_s) <= PCIE_MAX_LINK_BYTES_PER_S
    unknown = {"mfu_16bit": not np.any(np.asarray(spec.gemm_flops_per_s) <= np.asarray(spec.head_flops_per_s)),
               "pcie_link_efficiency": not (np.any(multi & pcie) and np.any(multi & ~pcie))}
    drop = [n for n in names if unknown.get(n)]
    if drop:
        names = tuple(n for n in names if n not in drop)
        start = start.with_(mid=dataclasses.replace(start.mid, **dict.fromkeys(drop)))
    return _FIT(ms, y, names, start)


@contextlib.contextmanager
def splits_enabled(fit):
    """Route the engine's step through :func:`split_step_parts` and fit ``fit`` (restored on exit)."""
    saved = dict(C._PARAMS), C.FITTED_PARAMETERS
    C._PARAMS.update({n: ("eff", lo, hi) for n, (lo, hi) in SPLITS.items()})
    C.FITTED_PARAMETERS = BASE + tuple(SPLITS)
    mods = (engine_mod, predict_mod, step_mod)
    for m in mods:
        m.step_parts = split_step_parts
    C.calibrate, C._fit = functools.partial(_CALIBRATE, fit=fit), fit_identified
    try:
        yield
    finally:
        for m in mods:
            m.step_parts = _ENGINE_STEP_PARTS
        C._PARAMS.clear()
        C._PARAMS.update(saved[0])
        C.FITTED_PARAMETERS, C.calibrate, C._fit = saved[1], _CALIBRATE, _FIT


def candidates():
    """(name, split values in START, fitted names): the shipped profile first."""
    return [("shipped (one mfu, one link efficiency)", {}, BASE),
            ("mfu_16bit fitted", {"mfu_16bit": 0.5}, BASE + ("mfu_16bit",)),
            ("pcie_link_efficiency fitted", {"pcie_link_efficiency": 0.5}, BASE + ("pcie_link_efficiency",)),
            ("both fitted", {"mfu_16bit": 0.5, "pcie_link_efficiency": 0.5}, BASE + ("mfu_16bit", "pcie_link_efficiency")),
            *[(f"mfu_16bit held at {v:g}", {"mfu_16bit": v}, BASE) for v in (0.62, 0.65, 0.70)],
            ("mfu_half_tokens fitted", {"mfu_half_tokens": 200.0}, BASE + ("mfu_half_tokens",)),
            ("in-switch reduction on NVLink 4", {"switch_reduction": True}, BASE),
            ("in-switch reduction + pcie_link_efficiency fitted", {"switch_reduction": True, "pcie_link_efficiency": 0.5},
             BASE + ("pcie_link_efficiency",))]


def score(name, values, fit) -> dict:
    """bench_fidelity's figures and the 7 online figures of one candidate, refitted on the max-throughput runs."""
    start = C.START.with_(mid=SplitEfficiency(**dataclasses.asdict(C.START.mid), **values))
    with splits_enabled(fit):
        f = figures(start)
        refit = C.default_profile(start)
        folds = C.cross_validate(DATA / "measured.csv", by="family", start=start)
        o = online(start)
    split = lambda p: {k: getattr(p.mid, k) for k in ("mfu", *SPLITS, "link_efficiency")}  # noqa: E731
    a = f["all"]
    return {"candidate": name, "fitted": split(refit), "folds": {g: split(p) for g, p in folds.profiles.items()},
            "in_sample": a["median_abs_error"], "held_out": a["held_out_median_abs_error"],
            "families": {r["family"]: (r["held_out_median_abs_error"], r["held_out_bias"]) for r in f["families"]},
            "held_out_within_15": a["held_out_within_15"], "in_band": a["in_band"], "band_width": a["band_width"],
            "prefill": f["static"]["prefill_bs1"]["median_abs_error"],
            "fixed_batch": f["static"]["static_batch"]["median_abs_error"], "online": o}


def step_table() -> list[dict]:
    """The shipped profile's max-throughput step of the online deployments and shapes, part by part."""
    prof = get_profile("calibrated")
    rows = []
    for model, tp in (("llama-3.1-70b", 4), ("llama-3.1-8b", 1)):
        for i, o in ((467, 256), (467, 16)):
            t = predict_mod.max_throughput_table(replica_spec(deployment(model, "H100-SXM", tp, "bf16", "bf16")),
                                                 prof.mid, prof.limits, i, o)
            p = t["parts"]
            rows.append({"deployment": f"{model} TP{tp} bf16", "shape": f"{i}/{o}", "batch": float(t["batch"]),
                         "tokens": float(t["new_tokens"]),
                         **{k: 1e3 * float(getattr(p, k)) for k in ("matmul_memory_s", "matmul_compute_s",
                                                                    "attention_memory_s", "attention_compute_s",
                                                                    "comm_s", "overhead_s", "step_time_s")}})
    return rows


def markdown(steps, rows) -> str:
    pct = lambda x: f"{100 * x:.1f}%"  # noqa: E731
    out = ["| deployment | shape | batch | tokens | matmul memory / compute ms | attention memory / compute ms "
           "| all-reduces ms | overheads ms | step ms |", "|---|---|---:|---:|---|---|---:|---:|---:|"]
    for s in steps:
        out.append(f"| {s['deployment']} | {s['shape']} | {s['batch']:.0f} | {s['tokens']:.0f} "
                   f"| {s['matmul_memory_s']:.1f} / {s['matmul_compute_s']:.1f} "
                   f"| {s['attention_memory_s']:.1f} / {s['attention_compute_s']:.1f} | {s['comm_s']:.1f} "
                   f"| {s['overhead_s']:.1f} | {s['step_time_s']:.1f} |")
    out += ["", "| candidate | mfu / mfu_16bit / link / PCIe link / half tokens | in sample | held out | Ada / Ampere / Hopper held out "
                "(bias) | held out within 15% | in band | width | bare prefill | fixed batch |",
            "|---|---|---:|---:|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        v = r["fitted"]
        vals = " / ".join("tied" if v[k] is None else f"{v[k]:.3g}"
                          for k in ("mfu", "mfu_16bit", "link_efficiency", "pcie_link_efficiency", "mfu_half_tokens"))
        fam = " / ".join(f"{pct(e)} ({100 * b:+.1f}%)" for e, b in r["families"].values())
        out.append(f"| {r['candidate']} | {vals} | {pct(r['in_sample'])} | {pct(r['held_out'])} | {fam} "
                   f"| {pct(r['held_out_within_15'])} | {pct(r['in_band'])} | {r['band_width']:.3f} "
                   f"| {pct(r['prefill'])} | {pct(r['fixed_batch'])} |")
    out += ["", "| candidate | loaded tokens/s | all tokens/s | ITL | TTFT < 1 s | knee 2x | false knees "
                "| saturation | targets met |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        o = r["online"]
        out.append(f"| {r['candidate']} | {pct(o['tokens_loaded_median_abs_error'])} "
                   f"| {pct(o['tokens_all_median_abs_error'])} | {pct(o['itl_median_abs_error'])} "
                   f"| {pct(o['ttft_below_1s_median_abs_error'])} | {o['knee_within_2x_share']:.0%} "
                   f"| {o['false_knees']:.0f} | {pct(o['saturation_median_abs_error'])} | {o['met']} of 7 |")
    out += ["", "Values each leave-one-family-out fold fitted (mfu / mfu_16bit / link / PCIe link; tied = the pooled value):"]
    for r in rows:
        out.append(f"- {r['candidate']}: " + "; ".join(
            f"{g} out: " + " / ".join("tied" if x is None else f"{x:.3f}"
                                      for x in (p["mfu"], p["mfu_16bit"], p["link_efficiency"], p["pcie_link_efficiency"]))
            for g, p in r["folds"].items()))
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="one JSON object instead of the tables")
    a = ap.parse_args(argv)
    steps = step_table()
    rows = [score(*c) for c in candidates()]
    print(json.dumps({"steps": steps, "candidates": rows}) if a.json else markdown(steps, rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Which form of the all-reduce latency in TP? Each form's coefficient chosen on held-out max-throughput error (on demand; not a test).

The engine's fixed cost of one all-reduce (:func:`costlib.physics.engine.allreduce_latency_s`) has
three one-coefficient forms, each a field of ``Efficiency``:

* constant: ``allreduce_latency_s``, the same at TP 2, 4 and 8 (the shipped profile, 60 us);
* log2(TP) steps: ``allreduce_step_latency_s`` x log2(TP) (a tree, or recursive halving-doubling);
* ring hops: ``allreduce_hop_latency_s`` x 2 (TP-1) (a ring's sequential hops; a one-shot kernel's
  TP-1 peer reads have the same shape).

For each form, every coefficient of a grid is held in ``START`` (the other two forms at 0), the
other global values are refitted, and the leave-one-GPU-family-out median |error| on the 230
max-throughput runs is computed (``cross_validate(by="family", band=False)``, as the 60 us was
chosen). The coefficient with the lowest held-out error is the form's choice; the online rows play
no part in it. Then, for the shipped value and each form's choice, the profile is refitted with
``default_profile(start)`` and scored on everything: the max-throughput figures of
``bench_fidelity.py`` and the 7 online figures of ``costlib.evidence.online``. Last, every grid value
whose held-out error is within ``--tie`` points of its form's best (values the max-throughput runs
cannot tell apart) is scored on the online rows, to show how much the choice depends on the grid.

    .venv/bin/python benchmarks/allreduce_forms.py [--tie 0.3] [--json]
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_fidelity import DATA, figures  # noqa: E402

from costlib.evidence import calibrate as C  # noqa: E402
from costlib.evidence.online import validate_online  # noqa: E402

# form -> (Efficiency field, grid in microseconds, what TP 2 / 4 / 8 pay per all-reduce, in units of the coefficient)
FORMS = {
    "constant": ("allreduce_latency_s", np.arange(20, 101, 5), (1, 1, 1)),
    "log2(TP) steps": ("allreduce_step_latency_s", np.arange(10, 41, 1), (1, 2, 3)),
    "ring hops 2(TP-1)": ("allreduce_hop_latency_s", np.arange(2, 20.01, 0.5), (2, 6, 14)),
}
SHIPPED_US = C.START.mid.allreduce_latency_s * 1e6
ONLINE = ("tokens_loaded_median_abs_error", "tokens_all_median_abs_error", "itl_median_abs_error",
          "ttft_below_1s_median_abs_error", "knee_within_2x_share", "false_knees", "saturation_median_abs_error")


def start_for(field: str, us: float):
    """START with one all-reduce form at ``us`` microseconds and the other two at 0."""
    zero = {"allreduce_latency_s": 0.0, "allreduce_step_latency_s": 0.0, "allreduce_hop_latency_s": 0.0}
    return C.START.with_(mid=dataclasses.replace(C.START.mid, **{**zero, field: float(us) * 1e-6}))


def held_out(field: str, us: float) -> tuple[float, float]:
    """Leave-one-GPU-family-out median |error| and the worst family's, with the form held at ``us``."""
    cv = C.cross_validate(DATA / "measured.csv", by="family", start=start_for(field, us), band=False)
    return cv.median_abs_error, float(cv.by_group()["median_abs_error"].max())


def online(start) -> dict:
    """The 7 online figures of the profile refitted from ``start``, and how many targets they meet."""
    f, _ = validate_online(C.default_profile(start))
    return {**{k: float(getattr(f, k)) for k in ONLINE}, "met": int(sum(f.meets.values()))}


def score(form: str, us: float) -> dict:
    """Every max-throughput and online figure of one form at one coefficient (profile refitted)."""
    field, _, units = FORMS[form]
    start = start_for(field, us)
    f = figures(start)
    a = f["all"]
    return {"form": form, "us": float(us), "per_allreduce_us": [float(us) * u for u in units],
            "in_sample": a["median_abs_error"], "held_out": a["held_out_median_abs_error"],
            "worst_family": max(r["held_out_median_abs_error"] for r in f["families"]),
            "held_out_within_15": a["held_out_within_15"], "in_band": a["in_band"], "band_width": a["band_width"],
            "under_ceiling": a["under_ceiling"], "prefill": f["static"]["prefill_bs1"]["median_abs_error"],
            "fixed_batch": f["static"]["static_batch"]["median_abs_error"], "online": online(start)}


def run(tie: float) -> dict:
    sweeps, chosen, ties = {}, [score("constant", SHIPPED_US)], []
    for form, (field, grid, _) in FORMS.items():
        pts = [(float(us), *held_out(field, us)) for us in grid]
        sweeps[form] = pts
        best = min(pts, key=lambda p: p[1])
        if not (form == "constant" and best[0] == SHIPPED_US):
            chosen.append(score(form, best[0]))
        for us, err, _worst in pts:
            if err <= best[1] + tie / 100:
                ties.append({"form": form, "us": us, "held_out": err, **online(start_for(field, us))})
    return {"sweeps": sweeps, "chosen": chosen, "ties": ties, "tie_points": tie}


def markdown(r: dict) -> str:
    pct = lambda x: f"{100 * x:.1f}%"  # noqa: E731
    out = ["Held-out (leave one GPU family out) median |error| on the 230 max-throughput runs, by coefficient:", ""]
    for form, pts in r["sweeps"].items():
        out.append(f"- {form}: " + ", ".join(f"{us:g} us {pct(e)}" for us, e, _ in pts))
    out += ["", "| form | coefficient | TP 2 / 4 / 8 per all-reduce | in sample | held out (worst family) "
                "| held out within 15% | in band | width | bare prefill | fixed batch |",
            "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
    for c in r["chosen"]:
        out.append(f"| {c['form']} | {c['us']:g} us | {' / '.join(f'{x:g}' for x in c['per_allreduce_us'])} us "
                   f"| {pct(c['in_sample'])} | {pct(c['held_out'])} ({pct(c['worst_family'])}) "
                   f"| {pct(c['held_out_within_15'])} | {pct(c['in_band'])} | {c['band_width']:.3f} "
                   f"| {pct(c['prefill'])} | {pct(c['fixed_batch'])} |")
    out += ["", "| form | coefficient | loaded tokens/s | all tokens/s | ITL | TTFT < 1 s | knee 2x | false knees "
                "| saturation | targets met |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    rows = [(c["form"], c["us"], c["online"]) for c in r["chosen"]]
    rows += [("near tie: " + t["form"], t["us"], t) for t in r["ties"]]
    for form, us, o in rows:
        out.append(f"| {form} | {us:g} us | {pct(o['tokens_loaded_median_abs_error'])} "
                   f"| {pct(o['tokens_all_median_abs_error'])} | {pct(o['itl_median_abs_error'])} "
                   f"| {pct(o['ttft_below_1s_median_abs_error'])} | {o['knee_within_2x_share']:.0%} "
                   f"| {o['false_knees']:.0f} | {pct(o['saturation_median_abs_error'])} | {o['met']} of 7 |")
    out.append(f"\n(near ties: grid values within {r['tie_points']:g} points of their form's best held-out error)")
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tie", type=float, default=0.3, help="points of held-out error counted as a near tie")
    ap.add_argument("--json", action="store_true", help="one JSON object instead of the tables")
    a = ap.parse_args(argv)
    r = run(a.tie)
    print(json.dumps(r) if a.json else markdown(r))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

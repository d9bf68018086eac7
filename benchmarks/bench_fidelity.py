"""How right is the one engine? Fidelity on the bundled published runs, by GPU family (run on demand: `make bench`).

Prints a markdown table for the README: for each GPU family, the calibrated profile's in-sample
figures and the held-out figures when the whole family is left out of the fit (what a reader
should expect on a GPU the data has never seen), then the fixed-batch and bare-prefill runs, and
the calibration time. Accuracy is reported here, never enforced in a timed test.

    .venv/bin/python benchmarks/bench_fidelity.py [--json]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

try:
    import costlib as cl
except ModuleNotFoundError:  # running from a checkout without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import costlib as cl

from costlib.evidence.calibrate import cross_validate, default_profile

DATA = Path(cl.__file__).parent / "data"


def figures(start=None) -> dict:
    """Every figure of the README's fidelity table, computed now: for the shipped profile, or refitted from ``start``."""
    t0 = time.perf_counter()
    refit = default_profile(start)
    calibrate_s = time.perf_counter() - t0
    profile = "calibrated" if start is None else refit
    report = cl.validate(DATA / "measured.csv", profile)
    t0 = time.perf_counter()
    cv = cross_validate(DATA / "measured.csv", by="family", start=start)
    cv_s = time.perf_counter() - t0
    fam = report.summary("family")
    held = cv.by_group()
    static = cl.validate(DATA / "static_batch.csv", profile).to_frame()
    rows = [{"family": f, "runs": int(fam.loc[f, "rows"]),
             "median_abs_error": float(fam.loc[f, "median_abs_error"]),
             "within_15": float(fam.loc[f, "within_15"]), "in_band": float(fam.loc[f, "in_band"]),
             "band_width": float(fam.loc[f, "band_width"]),
             "held_out_median_abs_error": float(held.loc[f, "median_abs_error"]),
             "held_out_bias": float(held.loc[f, "median_error"])} for f in fam.index]
    kinds = {k: {"runs": int(len(d)), "median_abs_error": float(d["error"].abs().median())}
             for k, d in static.groupby("kind")}
    return {"families": rows,
            "all": {"runs": report.predicted, "median_abs_error": report.median_abs_error,
                    "in_band": report.in_band, "band_width": report.band_width,
                    "under_ceiling": report.under_ceiling, "held_out_median_abs_error": cv.median_abs_error,
                    "held_out_within_15": cv.within_15},
            "static": kinds, "calibrate_s": calibrate_s, "cross_validate_s": cv_s}


def table(f: dict) -> str:
    pct = lambda x: f"{100 * x:.1f}%"  # noqa: E731
    lines = ["| GPU family | runs | median abs. error | within 15% | in band | band high/low "
             "| held out: median abs. error (bias) |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for r in f["families"]:
        lines.append(f"| {r['family']} | {r['runs']} | {pct(r['median_abs_error'])} | {pct(r['within_15'])} "
                     f"| {pct(r['in_band'])} | {r['band_width']:.2f} | {pct(r['held_out_median_abs_error'])} "
                     f"({100 * r['held_out_bias']:+.1f}%) |")
    a = f["all"]
    lines.append(f"| **all** | {a['runs']} | {pct(a['median_abs_error'])} | | {pct(a['in_band'])} "
                 f"| {a['band_width']:.2f} | {pct(a['held_out_median_abs_error'])} |")
    lines.append("")
    lines.append(f"Measured <= ceiling on {pct(a['under_ceiling'])} of runs; held out, "
                 f"{pct(a['held_out_within_15'])} of runs within 15%. "
                 + "; ".join(f"{k}: {v['runs']} runs, median abs. error {pct(v['median_abs_error'])}"
                             for k, v in f["static"].items())
                 + f". Calibration {f['calibrate_s']:.1f} s, cross-validation by family {f['cross_validate_s']:.1f} s.")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="one JSON object instead of the markdown table")
    a = ap.parse_args(argv)
    f = figures()
    print(json.dumps(f) if a.json else table(f))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

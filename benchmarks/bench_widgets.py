"""Time each explorer from a control change to new numbers and a redrawn figure (run on demand; not a test).

One change = setting a control's value (no event loop runs here, so each change redraws at once),
which runs costlib, rebuilds the plot with matplotlib's public API (``painter.empty_axes``, the plot function),
paints it with Agg (only the content over the kept frame when the axes' frame did not change, see
costlib/ui/widgets/painter.py; constrained layout only when the margins changed) and encodes the PNG
the notebook shows with Pillow. The PNG has 1 pixel per CSS pixel, as an explorer draws it for a
standard screen (the browser benchmark's 1440x900 page); ``--density 2`` draws as for a HiDPI screen.
Each explorer gets >= 20 changes of one control (after 2 warm-up changes); the table reports the
median and 90th percentile of wall time, the median CPU time of this process (less sensitive to other
work on the machine), how much of the wall time is painting plus PNG encoding, how many changes drew
the whole figure (the others only the content), and pass/fail against a 50 ms median target. A
calibration row times the smallest labelled matplotlib figure with stock Agg at the same density on the same
machine: what one full draw of a plain figure costs here.

``--alternate`` moves the control back and forth by one slider step from where the browser benchmark
starts it, as its arrow-key presses do (values seen before: text layouts that matplotlib caches).

    .venv/bin/python benchmarks/bench_widgets.py [--changes 21] [--density 1] [--alternate] [--only cost_explorer] [--json]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time

import _bench  # noqa: F401  (first: one thread for numpy, costlib from this checkout)
import matplotlib

matplotlib.use("Agg")

import ipywidgets as w  # noqa: E402
import numpy as np  # noqa: E402

from costlib.ui import plots, widgets  # noqa: E402

TARGET_MS = 50.0

# explorer -> (control moved, function of i giving its i-th value); values stay in the slider's range
CHANGES = {
    "tour": ("usd_per_gpu_hour", lambda i: 1.0 + 0.05 * i),
    "cost_explorer": ("utilization", lambda i: 0.30 + 0.03 * i),
    "procurement_explorer": ("on_demand_usd_per_hour", lambda i: 2.0 + 0.1 * i),
    "throughput_explorer": ("batch", lambda i: 1 + i % 13),
    "roofline_explorer": ("batch", lambda i: 1 + i % 13),
    "utilization_explorer": ("duty_cycle", lambda i: 0.30 + 0.03 * i),
    "prefill_decode_explorer": ("prompt_tokens", lambda i: 500 + 50 * i),
    "self_host_explorer": ("tokens_per_month", lambda i: 10 ** (8 + 0.1 * i)),
    "hardware_explorer": ("context", lambda i: 1024 + 128 * i),
    "latency_explorer": ("tpot_target_ms", lambda i: 15.0 + i),
    "capacity_explorer": ("headroom", lambda i: 0.05 * (i % 20)),
    "validation_explorer": ("input_len", lambda i: 256 + 64 * i),
}

# builder arguments where an explorer's default does not react to its timed control (the browser benchmark
# starts there too): the tour opens on a deployment that does not fit (70B bf16 on one H100), where the
# price changes nothing, and the cost explorer at 100% utilization, its slider's maximum
START = {"tour": {"tp": 2}, "cost_explorer": {"utilization": 0.5}}


def time_changes(name: str, n: int, density: int, alternate: bool = False) -> dict:
    ex = widgets.EXPLORERS[name](**(START.get(name, {}) if alternate else {}))
    ex.pixel_ratio.ratio = float(density)  # as a page on a screen of that pixel ratio reports it
    key, value = CHANGES[name]
    c = ex.controls[key]
    if alternate:  # one slider step up, back, up, ...: ArrowRight, ArrowLeft, ...
        start = c.value
        # a log slider's step is in its exponent: one arrow press multiplies the value by base ** step
        up = start * c.base ** c.step if isinstance(c, w.FloatLogSlider) else start + c.step

        def value(i):
            return up if i % 2 == 0 else start
    wall, cpu, render, full = [], [], [], 0
    spent = {"render": 0.0}
    png = ex._png

    def timed(fn):
        def run(*a, **k):
            t0 = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                spent["render"] += time.perf_counter() - t0
        return run

    ex._png = timed(png)  # this instance only: how much is painting + PNG (+ layout when needed)
    i = 0
    while len(wall) < n:
        v = value(i)
        v = int(round(v)) if isinstance(c.value, int) else float(v)
        i += 1
        if v == c.value:  # no change, no event: not a measurement
            continue
        spent["render"] = 0.0
        draws = ex.painter.full_draws
        w0, c0 = time.perf_counter(), time.process_time()
        c.value = v  # recompute + repaint + PNG, synchronously
        w1, c1 = time.perf_counter(), time.process_time()
        assert ex.ok or ex.message, f"{name}: nothing shown"
        if i > 2:  # warm-up: first layout, caches
            wall.append((w1 - w0) * 1e3)
            cpu.append((c1 - c0) * 1e3)
            render.append(spent["render"] * 1e3)
            full += ex.painter.full_draws - draws
    med = statistics.median(wall)
    return {"explorer": name, "control": key, "changes": len(wall), "median_ms": med,
            "p90_ms": float(np.percentile(wall, 90)), "cpu_median_ms": statistics.median(cpu),
            "render_median_ms": statistics.median(render), "full_draws": full, "target_ms": TARGET_MS,
            "pass": med <= TARGET_MS}


def calibration(n: int, density: int) -> dict:
    """The floor: new data on one line under a title and two axis labels, redrawn with Agg."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.5, 4.3), dpi=widgets.DPI * density)  # the explorers' pixel density
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    (line,) = ax.plot([0, 1, 2], [0, 1, 2])
    ax.set_title("calibration")
    ax.set_xlabel("x (unit)")
    ax.set_ylabel("y (unit)")
    wall, cpu = [], []
    for i in range(n + 2):
        w0, c0 = time.perf_counter(), time.process_time()
        line.set_ydata([0, i + 1, 2 * i + 2])
        ax.relim()
        ax.autoscale_view()
        with plots.style():  # the explorers' text settings, for a like-for-like floor
            fig.canvas.draw()
        if i >= 2:
            wall.append((time.perf_counter() - w0) * 1e3)
            cpu.append((time.process_time() - c0) * 1e3)
    return {"explorer": "(calibration: minimal figure)", "control": "-", "changes": n,
            "median_ms": statistics.median(wall), "p90_ms": float(np.percentile(wall, 90)),
            "cpu_median_ms": statistics.median(cpu), "render_median_ms": statistics.median(wall),
            "full_draws": n, "target_ms": None, "pass": None}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--changes", type=int, default=21, help="timed changes per explorer (>= 20)")
    ap.add_argument("--only", action="append", choices=sorted(CHANGES), help="time only these explorers")
    ap.add_argument("--density", type=int, choices=(1, 2), default=1,
                    help="PNG pixels per CSS pixel: 1 as on a standard screen (the browser benchmark's 1440x900 "
                         "page), 2 as on a HiDPI one")
    ap.add_argument("--alternate", action="store_true",
                    help="one slider step up and back, again and again, as the browser benchmark's key presses")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = ap.parse_args(argv)
    if args.changes < 20:
        ap.error("--changes must be >= 20")
    names = args.only or list(CHANGES)
    rows = [time_changes(name, args.changes, args.density, args.alternate) for name in names] + [calibration(args.changes, args.density)]
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    env = {"python": platform.python_version(), "matplotlib": matplotlib.__version__,
           "cpus": os.cpu_count(), "load_avg_1min": round(load[0], 2), "machine": platform.machine(),
           "density": args.density, "alternate": args.alternate}
    if args.json:
        print(json.dumps({"env": env, "rows": rows}))
        return 0
    moves = "one step up and back, again and again" if args.alternate else "new values"
    print(f"Explorer redraw after one control change ({moves}) at {args.density} PNG pixel(s) per CSS pixel (Python "
          f"{env['python']}, matplotlib {env['matplotlib']}, {env['cpus']} CPUs, load average {env['load_avg_1min']})\n")
    print("| explorer | control | changes | median ms | p90 ms | CPU median ms | of which paint + PNG ms "
          "| full draws | target ms | result |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        target = "" if r["target_ms"] is None else f"{r['target_ms']:.0f}"
        result = "" if r["pass"] is None else ("pass" if r["pass"] else "FAIL")
        print(f"| {r['explorer']} | {r['control']} | {r['changes']} | {r['median_ms']:.1f} | {r['p90_ms']:.1f} "
              f"| {r['cpu_median_ms']:.1f} | {r['render_median_ms']:.1f} | {r['full_draws']} | {target} | {result} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

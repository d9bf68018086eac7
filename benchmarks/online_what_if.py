"""What-if runs on the published online rows: which one global value of the serving path moves the figures (on demand; not a test).

Each candidate is one value applied to the step of every row, around the one engine's step time
(:func:`costlib.physics.engine.step_time_s` with the calibrated profile), never a value per row:

* step overhead: seconds added to every engine step (the serving stack's scheduler and runtime);
* layer overhead: seconds per layer per step (kernel launches);
* row overhead: seconds per logit row per step (one streamed response per token and request);
* all-reduce latency: the engine's ``allreduce_latency_s`` replaced on these rows only. It is a
  value of the shared engine, not of the serving path, so it is measured here as evidence only;
* small-message all-reduce: a lower latency only for all-reduces of at most a message size
  (tokens x hidden x 2 bytes), as a one-shot kernel would have; also an engine mechanism.

Every value of a candidate's grid (plus the shipped value) predicts all 36 rows; the value with the
lowest score (the sum over the five continuous figures of figure / target) is chosen on the rows in
sample, then again on each fold leaving one model out and leaving one request shape out. The
held-out predictions of the folds, pooled into one table of 36 rows, give the held-out figures.
Rows are simulated one by one, so a fold's choice reuses the predictions of the full table.

    .venv/bin/python benchmarks/online_what_if.py [--json]
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
import pandas as pd  # noqa: E402

try:
    import costlib  # noqa: F401
except ModuleNotFoundError:  # running from a checkout without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from costlib.estimate.serving import EngineStep, engine_step  # noqa: E402
from costlib.evidence.online import TARGETS, online_figures, predict_online  # noqa: E402
from costlib.physics.engine import ACTIVATION_BYTES  # noqa: E402

SCORED = ("tokens_loaded_median_abs_error", "tokens_all_median_abs_error", "itl_median_abs_error",
          "ttft_below_1s_median_abs_error", "saturation_median_abs_error")
MIB = 2 ** 20


@dataclasses.dataclass(frozen=True)
class WhatIfStep(EngineStep):
    """The engine's step plus one experimental global value (this script only; not a product path)."""

    step_s: float = 0.0
    layer_s: float = 0.0
    row_s: float = 0.0
    small_allreduce_s: float | None = None  # latency of all-reduces of at most small_message_bytes
    small_message_bytes: float = 0.0

    def step_time_s(self, new_tokens, attention_pairs, kv_read_tokens, logit_rows):
        t = super().step_time_s(new_tokens, attention_pairs, kv_read_tokens, logit_rows)
        t = t + self.step_s + self.layer_s * self.spec.n_layers + self.row_s * np.asarray(logit_rows, dtype=float)
        if self.small_allreduce_s is not None and self.spec.tp > 1:
            small = np.asarray(new_tokens, dtype=float) * self.spec.hidden_size * ACTIVATION_BYTES \
                <= self.small_message_bytes
            saved = 2 * self.spec.n_layers * (self.efficiency.allreduce_latency_s - self.small_allreduce_s)
            t = t - saved * small
        return float(t) if np.ndim(t) == 0 else t


def maker(allreduce_latency_s=None, **extra):
    """A make_step for predict_online: the engine's step with one experimental value."""
    def make(dep, profile):
        base = engine_step(dep, profile)
        eff = base.efficiency if allreduce_latency_s is None else dataclasses.replace(
            base.efficiency, allreduce_latency_s=allreduce_latency_s)
        return WhatIfStep(base.spec, eff, base.limits, base.ttft_overhead_s, base.label, **extra)
    return make


def candidates():
    """(name, [(value label, make_step kwargs)]): the shipped value first in every grid."""
    return [
        ("step overhead (serving)", [("0", {})] + [(f"{v * 1e3:g} ms", {"step_s": v}) for v in (2.5e-4, 5e-4, 1e-3)]),
        ("layer overhead (serving)", [("0", {})] + [(f"{v * 1e6:g} us", {"layer_s": v}) for v in (2.5e-6, 5e-6, 1e-5)]),
        ("row overhead (serving)", [("0", {})] + [(f"{v * 1e6:g} us", {"row_s": v}) for v in (2e-6, 5e-6, 1e-5)]),
        ("all-reduce latency (engine value)", [("60 us", {})] + [
            (f"{v * 1e6:g} us", {"allreduce_latency_s": v}) for v in (2e-5, 3e-5, 4e-5, 5e-5)]),
        ("small-message all-reduce (engine mechanism)", [("none", {})] + [
            (f"{s * 1e6:g} us up to {b / MIB:g} MiB", {"small_allreduce_s": s, "small_message_bytes": b})
            for s in (2e-5, 3e-5) for b in (1 * MIB, 8 * MIB)]),
    ]


def score(table: pd.DataFrame) -> float:
    """Sum over the continuous figures of figure / target (lower is better)."""
    f = online_figures(table)
    return float(sum(getattr(f, k) / TARGETS[k][1] for k in SCORED if getattr(f, k) == getattr(f, k)))


def choose(tables: dict, keep: np.ndarray) -> tuple[str, bool]:
    """The grid value with the lowest score on the rows ``keep``, and whether the rows tell the values apart."""
    scores = {k: score(t[keep]) for k, t in tables.items()}
    best = min(scores, key=scores.get)
    return best, max(scores.values()) - min(scores.values()) > 1e-9


def held_out(tables: dict, groups: pd.Series):
    """Pooled held-out predictions: each group predicted with the value chosen on the other groups."""
    pieces, chosen = [], []
    for g in sorted(groups.unique()):
        out = (groups == g).to_numpy()
        best, identified = choose(tables, ~out)
        chosen.append(f"{g}: {best}" + ("" if identified else " (not identified)"))
        pieces.append(tables[best][out])
    return online_figures(pd.concat(pieces)), chosen


def _row(name, how, chosen, f):
    return {"candidate": name, "evaluated": how, "chosen": chosen,
            **{k: getattr(f, k) for k in TARGETS}, "met": sum(f.meets.values())}


def run() -> list[dict]:
    rows = []
    for name, grid in candidates():
        tables = {label: predict_online(make_step=maker(**kw)) for label, kw in grid}
        base = next(iter(tables.values()))
        shipped = grid[0][0]
        rows.append(_row(name, "shipped value", shipped, online_figures(tables[shipped])))
        best, _ = choose(tables, np.ones(len(base), dtype=bool))
        rows.append(_row(name, "in sample", best, online_figures(tables[best])))
        shape = base["input_len"].astype(str) + "/" + base["output_len"].astype(str)
        for how, groups in (("leave one model out", base["model"]), ("leave one shape out", shape)):
            f, chosen = held_out(tables, groups)
            rows.append(_row(name, how, "; ".join(chosen), f))
    return rows


def markdown(rows: list[dict]) -> str:
    head = ("| candidate | evaluated | value chosen | tokens/s loaded | all | ITL | TTFT < 1 s | knee 2x | "
            "false knees | saturation | met |")
    lines = [head, "|" + "---|" * 11]
    for r in rows:
        lines.append(f"| {r['candidate']} | {r['evaluated']} | {r['chosen']} | "
                     f"{r['tokens_loaded_median_abs_error']:.1%} | {r['tokens_all_median_abs_error']:.1%} | "
                     f"{r['itl_median_abs_error']:.1%} | {r['ttft_below_1s_median_abs_error']:.1%} | "
                     f"{r['knee_within_2x_share']:.0%} | {r['false_knees']} | "
                     f"{r['saturation_median_abs_error']:.1%} | {r['met']} of 7 |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="print a JSON list instead of a table")
    args = ap.parse_args(argv)
    rows = run()
    print(json.dumps(rows, indent=2) if args.json else markdown(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

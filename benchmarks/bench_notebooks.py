"""Time each teaching notebook and solution, run top to bottom in a fresh kernel (target: <= 10 s).

Usage: python benchmarks/bench_notebooks.py [--folder notebooks|solutions|all]

Kernel start-up is included: it is what a reader waits for after "Restart and run all".
Prints a markdown table for the README. Nothing is written to the notebooks.
"""
from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import jupytext
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 10.0


def run(path: Path) -> float:
    nb = jupytext.read(path)
    t0 = time.perf_counter()
    NotebookClient(nb, timeout=300, kernel_name="python3", record_timing=False,
                   resources={"metadata": {"path": str(path.parent.parent)}}).execute()  # the notebook's folder
    return time.perf_counter() - t0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--folder", default="notebooks", choices=["notebooks", "solutions", "all"])
    args = ap.parse_args(argv)
    folders = ["notebooks", "solutions"] if args.folder == "all" else [args.folder]
    paths = sorted(p for f in folders for p in (ROOT / f / "py").glob("*.py"))
    print("| notebook | seconds | target | result |\n|---|---:|---:|---|")
    worst = 0.0
    for p in paths:
        s = run(p)
        worst = max(worst, s)
        print(f"| {p.parent.parent.name}/{p.stem} | {s:.1f} | <= {TARGET_S:g} s | "
              f"{'pass' if s <= TARGET_S else 'FAIL'} |", flush=True)
    print(f"\nslowest {worst:.1f} s; fresh kernel each, kernel start included; Python "
          f"{platform.python_version()}, {platform.machine()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""What one calculator-app kernel costs to start: CPU seconds and peak memory (run on demand; not a test).

Two measurements, each the median of ``--repeats`` fresh processes:

1. **A real kernel**, as Voilà starts one per visitor (or per pool slot in ``make room``): an
   ipykernel started with jupyter_client runs the code cells of ``app/calculator.ipynb`` (its
   import and ``calculator_app()``, which checks the fit, runs one quote and draws the figure),
   then reports its own CPU time (user + system since the process started) and peak RSS
   (``resource.getrusage``).
2. **The same steps in a plain Python process**, one step more each time, to see what each costs:
   the kernel's own imports, the notebook's import line, ``calculator_app()`` built. A last row
   is the engine alone: ``import costlib`` and one ``cl.quote()`` (what ``python -m costlib quote``
   pays).

Each row lists the heavy third-party packages the process holds (pandas, scipy, matplotlib) and the
costlib layers loaded. ``--root`` measures another checkout's costlib with this environment (the
processes run there, so its ``costlib/`` comes first on ``sys.path``), e.g. the tree before a change:

    git worktree add /tmp/before <commit>   # or: git archive <commit> | tar -x -C /tmp/before
    .venv/bin/python benchmarks/bench_app_kernel.py [--repeats 5] [--root /tmp/before] [--json]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MB = 1e6

# What a process holds: third-party heavyweights, costlib's layers, and where costlib came from.
_REPORT = """
import json as _json, resource as _resource, sys as _sys
_u = _resource.getrusage(_resource.RUSAGE_SELF)
_heavy = [m for m in ("pandas", "scipy", "matplotlib", "ipywidgets") if m in _sys.modules]
_layers = sorted({m.split(".")[1] for m in _sys.modules if m.startswith("costlib.") and m.count(".") >= 1})
print("@@" + _json.dumps({"cpu_s": _u.ru_utime + _u.ru_stime, "peak_rss_bytes": _u.ru_maxrss * 1024,
                          "heavy": _heavy, "layers": _layers,
                          "costlib": getattr(_sys.modules.get("costlib"), "__file__", None)}))
"""


def app_import_line(root: Path) -> str:
    """The app notebook's own import of the calculator (its reviewed twin, app/py/calculator.py)."""
    text = (root / "app" / "py" / "calculator.py").read_text(encoding="utf-8")
    return next(line for line in text.splitlines() if line.startswith("from costlib") and "calculator_app" in line)


def notebook_code(root: Path) -> str:
    """The code cells of app/calculator.ipynb, joined: what Voilà runs in the kernel."""
    nb = json.loads((root / "app" / "calculator.ipynb").read_text(encoding="utf-8"))
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")


def plain_steps(root: Path) -> dict[str, str]:
    """Step label -> the code a fresh Python runs for it (each step includes the ones before)."""
    base = "import ipykernel.kernelapp, ipywidgets"
    inline = "import matplotlib\nmatplotlib.use('module://matplotlib_inline.backend_inline')"
    line = app_import_line(root)
    return {
        "python + ipykernel + ipywidgets imported": base,
        f"  + {line}": f"{base}\n{line}",
        "  + calculator_app() built (one quote, figure drawn)": f"{base}\n{line}\n{inline}\ncalculator_app()",
        "engine only: import costlib; one cl.quote()":
            "import costlib as cl\ncl.quote('llama-3.1-70b', 'H100-SXM', 2, 'fp8', 'bf16', batch=64)",
    }


def _parse(stdout: str) -> dict:
    return json.loads(next(x for x in stdout.splitlines() if x.startswith("@@"))[2:])


def _env() -> dict:
    # the kernel picks its own (inline) backend, as under Voilà
    return {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}


def plain_run(root: Path, code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", f"{code}\n{_REPORT}"], capture_output=True, text=True,
                         env=_env(), cwd=root, timeout=300, check=True).stdout
    return _parse(out)


def kernel_run(root: Path, code: str, timeout_s: float = 300.0) -> dict:
    """Start an ipykernel in ``root``, run ``code`` then the report in it, shut it down."""
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3", cwd=str(root), env=_env(), startup_timeout=timeout_s)
    try:
        lines = []

        def collect(msg):
            if msg["msg_type"] == "stream" and msg["content"]["name"] == "stdout":
                lines.append(msg["content"]["text"])
            elif msg["msg_type"] == "error":
                raise RuntimeError("\n".join(msg["content"]["traceback"]))

        for cell in (code, _REPORT):
            reply = kc.execute_interactive(cell, timeout=timeout_s, output_hook=collect)
            if reply["content"]["status"] != "ok":
                raise RuntimeError(f"the kernel failed: {reply['content'].get('ename')}")
        return _parse("".join(lines))
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def _median(runs: list[dict]) -> dict:
    return {"cpu_s": statistics.median(r["cpu_s"] for r in runs),
            "peak_rss_bytes": statistics.median(r["peak_rss_bytes"] for r in runs),
            "heavy": runs[-1]["heavy"], "layers": runs[-1]["layers"], "costlib": runs[-1]["costlib"]}


def measure(root: Path, repeats: int) -> dict:
    kernel = _median([kernel_run(root, notebook_code(root)) for _ in range(repeats)])
    steps = {label: _median([plain_run(root, code) for _ in range(repeats)])
             for label, code in plain_steps(root).items()}
    return {"root": str(root), "repeats": repeats, "kernel": kernel, "steps": steps,
            "load_average": os.getloadavg(), "python": platform.python_version(), "cpus": os.cpu_count()}


def _row(label: str, r: dict) -> str:
    held = ",".join(r["heavy"]) or "-"
    return (f"  {label:<58} {r['cpu_s']:5.2f} CPU-s {r['peak_rss_bytes'] / MB:6.0f} MB  "
            f"[{held}; costlib: {'+'.join(r['layers']) or '-'}]")


def report(res: dict) -> None:
    print(f"costlib from {res['kernel']['costlib']} (median of {res['repeats']}; Python {res['python']}, "
          f"{res['cpus']} CPUs, load average {' '.join(f'{x:.1f}' for x in res['load_average'])} at the end)")
    print("a real app kernel (ipykernel, the notebook's code cells run):")
    print(_row("start + app/calculator.ipynb run", res["kernel"]))
    print("the same steps in a plain Python process:")
    for label, r in res["steps"].items():
        print(_row(label, r))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5, help="fresh processes per row (median; 1..50)")
    ap.add_argument("--root", default=str(ROOT), help="the checkout whose costlib and app to measure")
    ap.add_argument("--json", action="store_true", help="print the results as JSON too")
    a = ap.parse_args(argv)
    if not 1 <= a.repeats <= 50:
        raise ValueError(f"repeats must be 1 to 50, got {a.repeats!r}")
    res = measure(Path(a.root).resolve(), a.repeats)
    report(res)
    if a.json:
        print(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

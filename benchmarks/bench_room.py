"""A workshop room on this machine: 1, 10 and 30 visitors open the calculator app at the same moment.

Starts the app with tools/serve.py in room mode (``--mode room``, a pool of preheated kernels) or
as plain ``make app`` (``--mode app``, one kernel started per visitor), always on 127.0.0.1 with a
token: every request of this script goes to 127.0.0.1 only. For each group size it releases that
many visitor threads together; each one fetches the page over plain HTTP until the last byte
(Voilà streams the page while the notebook runs, so the last byte is the page complete on the
server side). The visitors stay on the page until the server is quiet again (room mode: the pool
has refilled behind them), then all leave: like the page does when its tab closes, each posts the
shutdown request for its kernel with the ``_xsrf`` cookie the page got. It reports the time until
every page is complete, the kernels' memory (RSS of the server's ipykernel processes) with every
visitor on the page, and once they have left and the server has settled (kernel count back to the
pool, CPU quiet), against the idle pool. The server is then stopped by its PID (SIGTERM, SIGKILL to its
process group if it does not exit). Targets on a 2-core machine: 30 visitors complete within
TARGET_COMPLETE_S, memory back within TARGET_MEMORY_RATIO of the idle pool.

A second part measures the start-up of one app kernel with ``bench_app_kernel.py`` (a real
kernel running the notebook, then the same steps in a plain Python process).

    .venv/bin/python benchmarks/bench_room.py [--mode room|app] [--visitors 1,10,30] [--pool 30]
                                              [--serve tools/serve.py] [--json]

``--serve /path/to/other/checkout/tools/serve.py --mode app`` measures another checkout's
``make app`` (e.g. the one before room mode existed) with this environment's Voilà.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import http.cookiejar
import json
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import bench_app_kernel  # benchmarks/, beside this script
import psutil

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
TARGET_COMPLETE_S = 10.0
TARGET_MEMORY_RATIO = 0.10
PAGE_TIMEOUT_S = 300.0  # one visitor's page (bounded: the bench never waits longer for a page)
SETTLE_TIMEOUT_S = 420.0  # pool warm-up or refill after a group left
QUIET_CPU_CORES = 0.15  # "settled": server + kernels use less than this many cores over a second
MB = 1e6


def _load_serve(path: Path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_room_serve", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


SERVE = _load_serve(ROOT / "tools" / "serve.py")  # this checkout's helpers (kernel_processes, free_port)


def kernels(server: psutil.Process) -> list[psutil.Process]:
    return SERVE.kernel_processes(server.pid)


def rss_bytes(procs) -> int:
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


def cpu_s(procs) -> float:
    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


def settle(server: psutil.Process, want_kernels: int | None, timeout_s: float = SETTLE_TIMEOUT_S) -> float:
    """Wait until the server has ``want_kernels`` kernels (if given) and it and they are quiet; seconds."""
    t0 = time.monotonic()
    quiet = 0
    while time.monotonic() - t0 < timeout_s:
        procs = [server, *kernels(server)]
        c0 = cpu_s(procs)
        time.sleep(1.0)
        busy_cores = cpu_s(procs) - c0
        count_ok = want_kernels is None or len(kernels(server)) == want_kernels
        quiet = quiet + 1 if (busy_cores < QUIET_CPU_CORES and count_ok) else 0
        if quiet >= 2:
            return time.monotonic() - t0
    raise TimeoutError(f"server not settled after {timeout_s:.0f} s ({len(kernels(server))} kernels, "
                       f"wanted {want_kernels})")


def start(serve_path: Path, mode: str, pool: int, workdir: Path) -> tuple[subprocess.Popen, str, str]:
    port, token = SERVE.free_port(), secrets.token_hex(16)
    root = serve_path.resolve().parents[1]
    cmd = [sys.executable, str(serve_path), mode, "--root", str(root), "--port", str(port), "--token", token,
           "--no-browser", "--isolate", str(workdir / "jupyter")]
    if mode == "room":
        cmd += ["--ip", HOST, "--pool", str(pool)]
    log = open(workdir / "server.log", "w")  # noqa: SIM115 - closed in stop()
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=str(root),
                            start_new_session=True)
    proc._log = log  # type: ignore[attr-defined]
    base = f"http://{HOST}:{port}"
    t0 = time.monotonic()
    while True:  # the login form answers without starting a kernel
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: {(workdir / 'server.log').read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{base}/login", timeout=5) as r:
                if r.status == 200:
                    break
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() - t0 > 120:
            stop(proc)
            raise RuntimeError("server did not answer within 120 s")
        time.sleep(0.2)
    return proc, base, token


def stop(proc: subprocess.Popen) -> None:
    """Stop the server by its PID; its kernels live in its process group, which goes too if it hangs."""
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # kernels Voilà did not stop, if any
    except ProcessLookupError:
        pass
    proc._log.close()  # type: ignore[attr-defined]


class Visitor:
    """One learner: opens the page (cookies kept, like a browser) and later closes it."""

    def __init__(self, base: str, token: str):
        self.base, self.token = base, token
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.complete_s = None
        self.kernel_id = None
        self.error = None

    def open(self, barrier: threading.Barrier, t0_holder: list) -> None:
        try:
            barrier.wait(timeout=60)
            with self.opener.open(f"{self.base}/?token={self.token}", timeout=PAGE_TIMEOUT_S) as r:
                html = r.read().decode()
            self.complete_s = time.monotonic() - t0_holder[0]
            m = re.search(r'"kernelId":\s*"([0-9a-f-]+)"', html)
            self.kernel_id = m.group(1) if m else None
            if "voila_finish" not in html:
                self.error = "page incomplete"
            elif not m:
                title = re.search(r"<title>(.*?)</title>", html, re.S)
                self.error = f"no kernel in the page (title {title.group(1).strip() if title else None!r})"
        except Exception as e:  # reported, never hidden
            self.error = f"{type(e).__name__}: {e}"

    def close(self) -> int | str | None:
        """Post the shutdown request the page sends on beforeunload; the HTTP status."""
        if not self.kernel_id:
            return None
        xsrf = next((c.value for c in self.jar if c.name == "_xsrf"), "")
        data = urllib.parse.urlencode({"_xsrf": xsrf}).encode()
        req = urllib.request.Request(f"{self.base}/voila/api/shutdown/{self.kernel_id}", data=data, method="POST")
        try:
            with self.opener.open(req, timeout=PAGE_TIMEOUT_S) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code
        except (urllib.error.URLError, TimeoutError, ConnectionError) as e:
            return f"no answer ({type(e).__name__})"


class PeakSampler(threading.Thread):
    """Samples the kernels' count and RSS twice a second and keeps the peaks."""

    def __init__(self, server: psutil.Process):
        super().__init__(daemon=True)
        self.server, self.peak_rss, self.peak_kernels = server, 0, 0
        self.done = threading.Event()

    def run(self):
        while not self.done.is_set():
            ks = kernels(self.server)
            self.peak_rss = max(self.peak_rss, rss_bytes(ks))
            self.peak_kernels = max(self.peak_kernels, len(ks))
            self.done.wait(0.5)


def visit(server: psutil.Process, base: str, token: str, n: int, idle_rss: int, pool: int) -> dict:
    kernels_before = len(kernels(server))  # the idle pool (room), or kernels earlier groups left behind
    sampler = PeakSampler(server)
    sampler.start()
    visitors = [Visitor(base, token) for _ in range(n)]
    barrier = threading.Barrier(n + 1)
    t0_holder = [0.0]
    threads = [threading.Thread(target=v.open, args=(barrier, t0_holder), daemon=True) for v in visitors]
    for t in threads:
        t.start()
    t0_holder[0] = time.monotonic()
    barrier.wait(timeout=60)
    for t in threads:
        t.join(PAGE_TIMEOUT_S + 60)
    times = [v.complete_s for v in visitors if v.complete_s is not None]
    # Learners stay on the page: wait until the pool has refilled behind them, then measure.
    stay_s = settle(server, kernels_before + sum(v.kernel_id is not None for v in visitors))
    on_page_rss = rss_bytes(kernels(server))
    on_page_kernels = len(kernels(server))
    with concurrent.futures.ThreadPoolExecutor(max_workers=n) as pool_:  # they all leave together
        statuses = list(pool_.map(Visitor.close, visitors))
    left_s = settle(server, pool if pool else None)
    sampler.done.set()
    sampler.join()
    after = kernels(server)
    after_rss = rss_bytes(after)
    return {
        "visitors": n,
        "complete_s_max": max(times) if times else None,
        "complete_s_median": statistics.median(times) if times else None,
        "errors": [v.error for v in visitors if v.error],
        "kernels_on_page": on_page_kernels,
        "kernel_rss_on_page_bytes": on_page_rss,
        "settle_on_page_s": stay_s,
        "peak_kernels": sampler.peak_kernels,
        "peak_kernel_rss_bytes": sampler.peak_rss,
        "shutdown_status": {str(s): statuses.count(s) for s in set(statuses)},
        "settle_after_leave_s": left_s,
        "kernels_after_leave": len(after),
        "kernel_rss_after_leave_bytes": after_rss,
        "after_vs_idle": (after_rss - idle_rss) / idle_rss if idle_rss else None,
        # without a pool (make app) the idle state is no kernel at all
        "within_targets": (bool(times) and len(times) == n and max(times) <= TARGET_COMPLETE_S
                           and (abs(after_rss - idle_rss) <= TARGET_MEMORY_RATIO * idle_rss if idle_rss
                                else not after)),
    }


def room(serve_path: Path, mode: str, pool: int, groups: list[int]) -> dict:
    pool = pool if mode == "room" else 0
    with tempfile.TemporaryDirectory(prefix="bench_room_") as tmp:
        t0 = time.monotonic()
        proc, base, token = start(serve_path, mode, pool, Path(tmp))
        try:
            server = psutil.Process(proc.pid)
            warm_s = settle(server, pool if pool else 0) + (time.monotonic() - t0)
            idle = kernels(server)
            idle_rss = rss_bytes(idle)
            per_kernel_cpu = [cpu_s([k]) for k in idle]
            per_kernel_rss = statistics.median(rss_bytes([k]) for k in idle) if idle else None
            rows = [visit(server, base, token, n, idle_rss, pool) for n in groups]
            log_tail = (Path(tmp) / "server.log").read_text()[-1500:]
        finally:
            stop(proc)
    return {"mode": mode, "serve": str(serve_path), "pool": pool, "warm_s": warm_s, "load_average_end": os.getloadavg(),
            "idle_kernels": len(idle), "idle_kernel_rss_bytes": idle_rss,
            "pool_kernel_cpu_s_median": statistics.median(per_kernel_cpu) if per_kernel_cpu else None,
            "pool_kernel_rss_median_bytes": per_kernel_rss,
            "groups": rows, "log_tail": log_tail}


def _fmt_s(x):
    return "-" if x is None else f"{x:.1f} s"


def report(res: dict, startup: dict | None) -> None:
    idle_gb = res["idle_kernel_rss_bytes"] / 1e9
    print(f"mode {res['mode']} ({res['serve']}), pool {res['pool']}: ready and quiet after "
          f"{res['warm_s']:.0f} s; idle: {res['idle_kernels']} kernels, {idle_gb:.2f} GB RSS"
          + (f"; per pool kernel (median): {res['pool_kernel_cpu_s_median']:.1f} CPU-s to start and run "
             f"the notebook, {res['pool_kernel_rss_median_bytes'] / MB:.0f} MB RSS"
             if res["pool_kernel_cpu_s_median"] is not None else ""))
    print(f"{'visitors':>8} | {'all complete':>12} | {'median':>7} | {'kernels':>7} | {'RSS on page':>11} | "
          f"{'peak (kernels)':>16} | {'after leave':>11} | {'vs idle':>7} | shutdowns | targets")
    for g in res["groups"]:
        vs = "-" if g["after_vs_idle"] is None else f"{g['after_vs_idle']:+.0%}"
        print(f"{g['visitors']:>8} | {_fmt_s(g['complete_s_max']):>12} | {_fmt_s(g['complete_s_median']):>7} | "
              f"{g['kernels_on_page']:>7} | {g['kernel_rss_on_page_bytes'] / 1e9:>8.2f} GB | "
              f"{g['peak_kernel_rss_bytes'] / 1e9:>6.2f} GB ({g['peak_kernels']:>3}) | "
              f"{g['kernel_rss_after_leave_bytes'] / 1e9:>8.2f} GB | {vs:>7} | "
              f"{' '.join(f'{k}x{v}' for k, v in sorted(g['shutdown_status'].items()))} | "
              f"{'met' if g['within_targets'] else 'missed'}")
        if g["errors"]:
            print(f"         errors: {sorted(set(g['errors']))}")
    print(f"targets: every page complete within {TARGET_COMPLETE_S:.0f} s, kernel memory after the visitors "
          f"leave within {TARGET_MEMORY_RATIO:.0%} of the idle pool ({os.cpu_count()} CPU cores here; load "
          f"average {' '.join(f'{x:.1f}' for x in res['load_average_end'])} at the end)")
    if startup:
        print("\none app kernel's start-up (benchmarks/bench_app_kernel.py):")
        bench_app_kernel.report(startup)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mode", choices=["room", "app"], default="room")
    ap.add_argument("--visitors", default="1,10,30", help="comma-separated group sizes (each 1..60)")
    ap.add_argument("--pool", type=int, default=SERVE.ROOM_POOL)
    ap.add_argument("--serve", default=str(ROOT / "tools" / "serve.py"), help="the serve.py to start")
    ap.add_argument("--no-startup", action="store_true", help="skip the kernel start-up part")
    ap.add_argument("--json", action="store_true", help="print the results as JSON too")
    a = ap.parse_args(argv)
    groups = [int(x) for x in a.visitors.split(",") if x.strip()]
    if not groups or any(not 1 <= n <= 60 for n in groups):
        raise ValueError(f"visitors must be group sizes from 1 to 60, got {a.visitors!r}")
    if not 1 <= a.pool <= 60:
        raise ValueError(f"pool must be 1 to 60 kernels, got {a.pool!r}")
    startup = None if a.no_startup else bench_app_kernel.measure(ROOT, repeats=3)
    res = room(Path(a.serve), a.mode, a.pool, groups)
    report(res, startup)
    if a.json:
        print(json.dumps({**res, "kernel_startup": startup}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

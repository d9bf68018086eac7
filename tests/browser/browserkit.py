"""Shared helpers of the real-browser tests: the skip/fail policy, servers, Playwright, screenshots.

The servers are started with tools/serve.py, the script ``make lab`` and ``make app`` run, so the
tests exercise the reader's command line. Every request to a host other than 127.0.0.1/localhost
fails in the browser (it is sent to a closed port) and is recorded: the workbook and the app must
work offline. No request is intercepted by Playwright, which would add a round trip through Python
to each one and switch the browser's cache off.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[2]
SERVE = ROOT / "tools" / "serve.py"
ARTIFACTS = Path(os.environ.get("COSTLIB_ARTIFACTS_DIR", ROOT / "artifacts" / "browser"))
SELFTEST = "zz_selftest"  # the folder (under the served root) of notebooks that check the checks themselves
# `make screenshots` sets this: chosen screenshots are copied there (docs/img) for the README.
SCREENSHOTS_DIR = os.environ.get("COSTLIB_SCREENSHOTS_DIR")
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
# Offline: every request to another host goes through a "proxy" on a local port where nothing listens
# (9, the discard service's), so it fails at once, whether it names a host or an IP address; Chromium
# never sends loopback requests to a proxy.
OFFLINE_PROXY = "http://127.0.0.1:9"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-dev-shm-usage", f"--proxy-server={OFFLINE_PROXY}"]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
TIMING: dict = {}  # what took how long (seconds), printed at the end of the session
COUNTS: dict = {}  # how many of something the session saw (e.g. the book's pages), printed with TIMING


def _load_serve():
    """tools/serve.py as a module (tools/ is not a package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("costlib_tools_serve", SERVE)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


serve = _load_serve()


def truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


# Screenshots are taken for `make screenshots`, or with COSTLIB_BROWSER_SCREENSHOTS=1 (to look at
# what a run showed); a plain `make test` takes none: each costs Chromium a frame and a PNG, and no
# test reads them.
SCREENSHOTS = bool(SCREENSHOTS_DIR) or truthy(os.environ.get("COSTLIB_BROWSER_SCREENSHOTS"))


def chromium_path(env=None) -> str | None:
    """The Chromium to drive: $CHROMIUM if set (and only that one), else Debian's /usr/bin/chromium."""
    env = os.environ if env is None else env
    cands = [env["CHROMIUM"]] if env.get("CHROMIUM") else list(CHROMIUM_CANDIDATES)
    for cand in cands:
        if Path(cand).is_file() and os.access(cand, os.X_OK):
            return cand
    return None


def missing_reason(env=None, have_playwright=None) -> str | None:
    """Why the browser tests cannot run here (None if they can)."""
    if have_playwright is None:
        try:
            import playwright.sync_api  # noqa: F401

            have_playwright = True
        except ImportError:
            have_playwright = False
    env = os.environ if env is None else env
    missing = []
    if not have_playwright:
        missing.append("the Python package playwright (pip install -e '.[test]')")
    if chromium_path(env) is None:
        where = env.get("CHROMIUM") or "/usr/bin/chromium"
        missing.append(f"Chromium at {where} (apt-get install chromium, or set $CHROMIUM)")
    if not missing:
        return None
    return "real-browser tests need " + " and ".join(missing)


def policy(env=None, have_playwright=None) -> tuple[str, str | None]:
    """("run", None); ("skip", reason) outside CI; ("fail", reason) with CI=true (or COSTLIB_REQUIRE_BROWSER=1,
    which `make screenshots` sets): there the browser tests must run, never skip."""
    env = os.environ if env is None else env
    reason = missing_reason(env, have_playwright)
    if reason is None:
        return "run", None
    for var in ("CI", "COSTLIB_REQUIRE_BROWSER"):
        if truthy(env.get(var)):
            return "fail", f"{var}={env[var]} but {reason}: here the browser tests must run, not skip"
    return "skip", reason


def wait_http(url: str, proc: subprocess.Popen, log: Path, timeout_s: float = 90.0) -> None:
    """Poll ``url`` until it answers 200; fail with the server log if the process dies or time runs out."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout_s:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"no answer from {url} after {timeout_s:.0f} s:\n{log.read_text()[-3000:]}")


def start_server(what: str, root: Path, workdir: Path, port: int, token: str,
                 serve_args=()) -> tuple[subprocess.Popen, Path]:
    """Run tools/serve.py (what ``make lab``/``make app`` run) in the background, isolated in ``workdir``."""
    log = workdir / f"{what}.log"
    cmd = [sys.executable, str(SERVE), what, "--root", str(root), "--port", str(port), "--token", token,
           "--no-browser", "--isolate", str(workdir / "jupyter"), *serve_args]
    if what == "lab":  # window.jupyterapp, so a test can open documents without reloading the page
        cmd += ["--", "--LabApp.expose_app_in_browser=True"]
    fh = open(log, "w")  # noqa: SIM115 - closed by stop_server
    proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            cwd=str(root), start_new_session=True)
    proc._log_handle = fh  # type: ignore[attr-defined]
    return proc, log


def stop_server(proc: subprocess.Popen) -> None:
    """Stop the server we started (and its kernels, in its own process group) by its id."""
    import signal

    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    proc._log_handle.close()  # type: ignore[attr-defined]


# what `make book` runs (Makefile, target book), given another output folder
BOOK_ARGV = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-c", "book"]


def start_book_build(out: Path, doctrees: Path) -> subprocess.Popen:
    """Start building the book into ``out`` in the background (sphinx's output goes to a log beside it)."""
    log = open(out.parent / "sphinx.log", "w")  # noqa: SIM115 - closed by finish_book_build
    proc = subprocess.Popen([*BOOK_ARGV, "-d", str(doctrees), ".", str(out)], cwd=ROOT, stdout=log,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    proc.started_s = time.perf_counter()  # type: ignore[attr-defined]
    proc._log_handle = log  # type: ignore[attr-defined]
    return proc


def finish_book_build(proc: subprocess.Popen, timeout_s: float = 900) -> float:
    """Wait for a build of start_book_build; the seconds since it started (fails with sphinx's output)."""
    try:
        code = proc.wait(timeout=timeout_s)
    finally:
        proc._log_handle.close()  # type: ignore[attr-defined]
    took = time.perf_counter() - proc.started_s  # type: ignore[attr-defined]
    output = Path(proc._log_handle.name).read_text()  # type: ignore[attr-defined]
    assert code == 0, f"the book did not build:\n{output[-3000:]}"
    return took


def copy_tree_for_serving(dest: Path) -> Path:
    """Copy what ``make lab`` serves (notebooks, exercises, solutions, app) so running cells never touches the repo."""
    dest.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__")
    for folder in ("notebooks", "exercises", "solutions", "app"):
        if (ROOT / folder).is_dir():
            shutil.copytree(ROOT / folder, dest / folder, ignore=ignore)
    return dest


class RequestLog:
    """Records the requests of a browser context that leave this machine (they fail in the browser,
    see CHROMIUM_ARGS) and the local requests that failed."""

    def __init__(self, ctx=None):
        self.blocked: list[str] = []
        self.failed: list[str] = []
        if ctx is not None:
            ctx.on("request", self.on_request)
            ctx.on("requestfailed", self.on_failed)

    @staticmethod
    def is_local(url: str) -> bool:
        return url.startswith(("data:", "blob:", "about:")) or (urlparse(url).hostname or "") in LOCAL_HOSTS

    def on_request(self, request):
        if not self.is_local(request.url):
            self.blocked.append(request.url)

    def on_failed(self, request):
        if self.is_local(request.url):
            self.failed.append(f"{request.url} ({request.failure})")


def save_screenshot(target, name: str, readme_name: str | None = None, **kwargs) -> Path | None:
    """Screenshot a page or element into artifacts/ (git-ignored) when SCREENSHOTS; `make screenshots`
    also copies it to docs/img."""
    if not SCREENSHOTS:
        return None
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    target.screenshot(path=str(path), **kwargs)
    if SCREENSHOTS_DIR and readme_name:
        out = Path(SCREENSHOTS_DIR)
        out.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, out / readme_name)
    return path


# Typeset math that holds prose: MathJax draws "$3/hour against $10" as the identifiers h, o, u, r,
# a, g, ... side by side. Real formulas in the workbook have at most three single-letter identifiers
# in a row (U S T in the rubric); a run of four or more is a word. Reads the assistive MathML
# that MathJax 3 adds to every formula. Returns [{text, run}] for the offending formulas.
MATH_WORDS_JS = r"""(root) => {
  const scope = root ? document.querySelector(root) : document;
  if (!scope) return [];
  const bad = [];
  for (const m of scope.querySelectorAll('mjx-container')) {
    const mml = m.querySelector('mjx-assistive-mml') || m;
    let worst = 0;
    for (const el of [mml, ...mml.querySelectorAll('*')]) {
      let run = 0;
      for (const c of el.children) {
        const isLetter = c.tagName.toLowerCase() === 'mi' && /^\p{L}$/u.test(c.textContent.trim());
        run = isLetter ? run + 1 : 0;
        worst = Math.max(worst, run);
      }
    }
    if (worst >= 4) bad.push({text: mml.textContent.trim().slice(0, 120), run: worst});
  }
  return bad;
}"""

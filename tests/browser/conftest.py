"""Fixtures of the real-browser tests: one Chromium, one JupyterLab and one Voilà server per session.

Outside CI a missing Chromium or playwright skips these tests with the reason; with CI=true it fails
them (see browserkit.policy).
"""
from __future__ import annotations

import secrets
import time

import browserkit as bk
import pytest


def _require_browser():
    action, reason = bk.policy()
    if action == "fail":
        pytest.fail(reason, pytrace=False)
    if action == "skip":
        pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    _require_browser()
    from playwright.sync_api import sync_playwright

    t0 = time.perf_counter()
    pw = sync_playwright().start()
    b = pw.chromium.launch(executable_path=bk.chromium_path(), args=bk.CHROMIUM_ARGS)
    bk.TIMING["chromium start"] = time.perf_counter() - t0
    yield b
    b.close()
    pw.stop()


@pytest.fixture(scope="session")
def served_root(tmp_path_factory):
    """A copy of the folders `make lab` serves: running cells and autosave never touch the repository."""
    return bk.copy_tree_for_serving(tmp_path_factory.mktemp("served"))


def _server(what, served_root, tmp_path_factory, ready_path):
    work = tmp_path_factory.mktemp(f"{what}-server")
    port, token = bk.serve.free_port(), secrets.token_hex(16)
    t0 = time.perf_counter()
    proc, log = bk.start_server(what, served_root, work, port, token)
    base = f"http://127.0.0.1:{port}"
    try:
        bk.wait_http(f"{base}{ready_path}?token={token}", proc, log)
    except Exception:
        bk.stop_server(proc)
        raise
    bk.TIMING[f"{what} server start"] = time.perf_counter() - t0
    return proc, {"base": base, "token": token, "log": log}


@pytest.fixture(scope="session")
def lab(browser, served_root, tmp_path_factory):
    proc, info = _server("lab", served_root, tmp_path_factory, "/api/status")
    yield info
    bk.stop_server(proc)


@pytest.fixture(scope="session")
def app(browser, served_root, tmp_path_factory):
    proc, info = _server("app", served_root, tmp_path_factory, "/")
    yield info
    bk.stop_server(proc)


@pytest.fixture
def page(browser, request):
    """A fresh page whose requests to other hosts are aborted; reports what was blocked."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    requests = bk.RequestLog()
    ctx.route("**/*", requests.route)
    pg = ctx.new_page()
    pg.on("requestfailed", requests.on_failed)
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.requests = requests
    pg.js_errors = errors
    t0 = time.perf_counter()
    yield pg
    bk.TIMING[f"test {request.node.name}"] = time.perf_counter() - t0
    external = sorted(set(requests.blocked))
    bk.TIMING.setdefault("_external", []).extend(external)  # type: ignore[union-attr]
    ctx.close()


def pytest_terminal_summary(terminalreporter):
    if not bk.TIMING:
        return
    tr = terminalreporter
    tr.section("browser tests")
    for k, val in bk.TIMING.items():
        if k != "_external":
            tr.write_line(f"{k}: {val:.1f} s")
    ext = sorted(set(bk.TIMING.get("_external", [])))
    tr.write_line(f"external requests attempted and blocked: {len(ext)}"
                  + "".join(f"\n  {u}" for u in ext))
    tr.write_line(f"screenshots: {bk.ARTIFACTS}")

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


@pytest.fixture(scope="session", autouse=True)
def book_build(request, tmp_path_factory):
    """(process, output folder) of the book's build, started in the background at the session's first
    test when the session will run tests/browser/test_book.py (None otherwise): the build then
    overlaps the tests before the book's, which mostly wait for kernels and Chromium."""
    if bk.policy()[0] != "run" or not any(item.path.name == "test_book.py" for item in request.session.items):
        yield None
        return
    work = tmp_path_factory.mktemp("book")
    proc = bk.start_book_build(work / "book", work / "doctrees")
    yield proc, work / "book"
    if proc.poll() is None:  # the book's tests did not wait for it (e.g. they failed before)
        proc.kill()
        proc.wait()


@pytest.fixture(scope="session")
def served_root(tmp_path_factory):
    """A copy of the folders `make lab` serves: running cells and autosave never touch the repository."""
    return bk.copy_tree_for_serving(tmp_path_factory.mktemp("served"))


def _start_server(what, served_root, tmp_path_factory):
    work = tmp_path_factory.mktemp(f"{what}-server")
    port, token = bk.serve.free_port(), secrets.token_hex(16)
    proc, log = bk.start_server(what, served_root, work, port, token)
    return proc, {"base": f"http://127.0.0.1:{port}", "token": token, "log": log}


@pytest.fixture(scope="session", autouse=True)
def servers(request, tmp_path_factory):
    """{what: (process, info)}: the JupyterLab and Voilà servers that the session's tests use (the
    fixtures lab and app), all started at the session's first test, so that they start while the
    tests before theirs run; lab and app wait until theirs answers."""
    used = set()
    if bk.policy()[0] == "run":
        used = {what for item in request.session.items for what in ("lab", "app") if what in item.fixturenames}
    started = {what: _start_server(what, request.getfixturevalue("served_root"), tmp_path_factory)
               for what in sorted(used)}
    yield started
    for proc, _ in started.values():
        bk.stop_server(proc)


def _server(what, servers, served_root, tmp_path_factory, ready_path):
    if what not in servers:  # a test the session did not plan for (e.g. requested dynamically)
        servers[what] = _start_server(what, served_root, tmp_path_factory)
    proc, info = servers[what]
    t0 = time.perf_counter()
    bk.wait_http(f"{info['base']}{ready_path}?token={info['token']}", proc, info["log"])
    bk.TIMING[f"{what} server: waited for its start"] = time.perf_counter() - t0
    return info


@pytest.fixture(scope="session")
def lab(browser, servers, served_root, tmp_path_factory):
    return _server("lab", servers, served_root, tmp_path_factory, "/api/status")


@pytest.fixture(scope="session")
def app(browser, servers, served_root, tmp_path_factory):
    return _server("app", servers, served_root, tmp_path_factory, "/")


@pytest.fixture
def page(browser, request):
    """A fresh page whose requests to other hosts fail (see browserkit.CHROMIUM_ARGS); reports them."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    requests = bk.RequestLog(ctx)
    pg = ctx.new_page()
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
    if not bk.TIMING and not bk.COUNTS:
        return
    tr = terminalreporter
    tr.section("browser tests")
    for k, val in bk.TIMING.items():
        if k != "_external":
            tr.write_line(f"{k}: {val:.1f} s")
    for k, n in bk.COUNTS.items():
        tr.write_line(f"{k}: {n}")
    ext = sorted(set(bk.TIMING.get("_external", [])))
    tr.write_line(f"external requests attempted and blocked: {len(ext)}"
                  + "".join(f"\n  {u}" for u in ext))
    tr.write_line(f"screenshots: {bk.ARTIFACTS}" if bk.SCREENSHOTS else
                  "screenshots: none taken (make screenshots, or COSTLIB_BROWSER_SCREENSHOTS=1)")

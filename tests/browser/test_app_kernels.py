"""The calculator app leaks no kernel: reloading and closing its page, in Chromium, with a fresh server.

Each Voilà page starts a kernel (about 140 MB). A page that reloads or closes posts a shutdown
request for its kernel, carrying the page's _xsrf token (app/server/page_xsrf.py makes the server
set that cookie); culling every tools/serve.py CULL_INTERVAL_S seconds is the safety net. The
kernels are counted as the server's child processes, so the count does not depend on Voilà's API.
"""
from __future__ import annotations

import secrets
import time

import browserkit as bk
import pytest
import widgetkit as wk

pytestmark = pytest.mark.browser

TITLE = "What does my deployment cost?"
RELOADS = 10


@pytest.fixture
def own_app(browser, served_root, tmp_path):
    """An app server of its own: no other test's pages or kernels in the count."""
    port, token = bk.serve.free_port(), secrets.token_hex(16)
    proc, log = bk.start_server("app", served_root, tmp_path, port, token)
    base = f"http://127.0.0.1:{port}"
    try:
        bk.wait_http(f"{base}/login", proc, log)  # the login form: ready, and no kernel started
        yield proc, f"{base}/?token={token}", log
    finally:
        bk.stop_server(proc)


def kernel_count(proc) -> int:
    return len(bk.serve.kernel_processes(proc.pid))


def wait_for_count(proc, expected: int, within_s: float) -> tuple[int, float]:
    """Poll the kernel count until it equals ``expected`` or ``within_s`` runs out; (count, seconds)."""
    t0 = time.monotonic()
    while True:
        n = kernel_count(proc)
        waited = time.monotonic() - t0
        if n == expected or waited > within_s:
            return n, waited
        time.sleep(0.5)


def test_reloads_and_close_leave_no_kernel_behind(browser, own_app):
    proc, url, log = own_app
    assert kernel_count(proc) == 0
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    requests = bk.RequestLog()
    ctx.route("**/*", requests.route)
    page = ctx.new_page()
    page.goto(url)
    wk.explorer(page, TITLE)
    for _ in range(RELOADS):
        page.reload()
        wk.explorer(page, TITLE)  # the page is back and talks to its new kernel
    n, waited = wait_for_count(proc, 1, bk.serve.CULL_INTERVAL_S)
    assert n == 1, (f"one open page, but {n} kernels of its {RELOADS + 1} loads are running "
                    f"after {waited:.0f} s:\n{log.read_text()[-2000:]}")
    page.close(run_before_unload=True)  # a user closing the tab: the browser fires beforeunload
    n, waited = wait_for_count(proc, 0, bk.serve.CULL_INTERVAL_S)
    ctx.close()
    assert n == 0, f"the page is closed but {n} of its kernels still run after {waited:.0f} s"
    assert "403" not in log.read_text(), "a shutdown request was refused"
    assert not requests.blocked, f"requests to other hosts: {requests.blocked}"

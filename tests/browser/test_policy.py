"""The skip/fail policy of the browser tests: skip with a reason outside CI, fail with CI=true.

Cheap: no browser is started. The last test runs pytest on a browser test with a Chromium path
that does not exist, once without and once with CI=true, to check the fixtures apply the policy.
"""
from __future__ import annotations

import os
import subprocess
import sys

import browserkit as bk
import pytest

NOWHERE = "/nonexistent/chromium"


def test_runs_when_everything_is_there(tmp_path):
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    assert bk.policy({"CHROMIUM": str(fake)}, have_playwright=True) == ("run", None)
    assert bk.policy({"CHROMIUM": str(fake), "CI": "true"}, have_playwright=True) == ("run", None)


@pytest.mark.parametrize("ci", [None, "", "false", "0"])
def test_missing_browser_skips_outside_ci_with_the_reason(ci):
    env = {"CHROMIUM": NOWHERE} if ci is None else {"CHROMIUM": NOWHERE, "CI": ci}
    action, reason = bk.policy(env, have_playwright=True)
    assert action == "skip"
    assert NOWHERE in reason and "apt-get install chromium" in reason


@pytest.mark.parametrize("var, value", [("CI", "true"), ("CI", "1"), ("COSTLIB_REQUIRE_BROWSER", "1")])
def test_missing_browser_or_playwright_fails_in_ci(var, value):
    action, reason = bk.policy({"CHROMIUM": NOWHERE, var: value}, have_playwright=True)
    assert action == "fail" and "must run, not skip" in reason
    action, reason = bk.policy({var: value, "CHROMIUM": NOWHERE}, have_playwright=False)
    assert action == "fail" and "playwright" in reason and "Chromium" in reason


def test_the_fixtures_apply_the_policy():
    """A real pytest run of the app test without a browser: skipped normally, failed with CI=true."""
    base = {k: val for k, val in os.environ.items() if k not in ("CI", "COSTLIB_REQUIRE_BROWSER")}
    base["CHROMIUM"] = NOWHERE
    # the plugins the browser lane does not use are left out, as `make browser` leaves nbval out:
    # they are most of each run's start-up (nbval 2 s, hypothesis 1.3 s of 6 s here)
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:nbval", "-p", "no:hypothesispytest",
           "-rs", "--no-header", str(bk.ROOT / "tests" / "browser" / "test_app.py")]
    # both runs at once: each spends most of its time starting Python and pytest
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              cwd=bk.ROOT) for env in (base, {**base, "CI": "true"})]
    (plain, plain_code), (ci, ci_code) = [(p.communicate(timeout=300)[0], p.returncode) for p in procs]
    assert plain_code == 0, plain[-2000:]
    assert "1 skipped" in plain and NOWHERE in plain
    assert ci_code == 1, ci[-2000:]
    assert "CI=true but" in ci and "1 error" in ci

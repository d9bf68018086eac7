"""Fixtures shared by several test files."""
from __future__ import annotations

import sys

import pytest

# nbformat validates notebooks with jsonschema, whose format checkers import rfc3987_syntax when
# it is installed; that module compiles an Earley parser at import, about 2 CPU-s in every
# pytest process (each xdist worker too). No schema checked here uses its "iri" formats, so the
# test processes go without it: a None in sys.modules makes the import fail, and jsonschema
# skips those two format checkers. Servers and kernels the tests start are not affected.
if "jsonschema" not in sys.modules:
    sys.modules.setdefault("rfc3987_syntax", None)


# make unit runs the tests in 2 xdist workers with --dist loadfile: each file's tests stay on one
# worker, so its module-scoped fixtures (e.g. the one kernel of the blank-exercise run) start once,
# except in these files whose tests share no module fixture: they are spread test by test, so that
# the workers finish together. (The scheduler below does this. It replaces marking files with
# xdist_group for --dist loadgroup, which pytest 9.2 silently ignores: xdist 3.8 writes the group
# into a node id attribute that pytest no longer reads, pytest-xdist issue #1386, so every test was
# scheduled alone and module fixtures were built once per worker.)
SPREAD_FILES = {"test_widgets.py", "test_explorer_redraw.py", "test_calculator.py"}


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_make_scheduler(config, log):
    """--dist loadfile, with the tests of SPREAD_FILES sent to the workers one by one."""
    if config.getoption("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class SpreadSomeFiles(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return nodeid if path.rsplit("/", 1)[-1] in SPREAD_FILES else path

    return SpreadSomeFiles(config, log)


# Explorers draw their PNG at PIXEL_DENSITY pixels per CSS pixel (2 on the page, for HiDPI screens).
# Tests that read numbers, messages, drawn data and pixel equality do not depend on it, so they draw at 1
# (about 15% less CPU per redraw: text and tick layout, not pixels, dominate). Tests marked hidpi keep the
# page's density: the PNG's size, the chapter labels' geometry, and the benchmark slider's repaints
# compared pixel for pixel in test_explorer_redraw.py.
@pytest.fixture(scope="session", autouse=True)
def _page_pixel_density(request):
    """The page's PIXEL_DENSITY; explorers built in this session draw at 1 meanwhile (not in the
    browser lane, whose explorers live in server kernels)."""
    if all("browser" in item.path.parts for item in request.session.items):
        yield None
        return
    from costlib.ui.widgets import explorer

    page = explorer.PIXEL_DENSITY
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(explorer, "PIXEL_DENSITY", 1)
        yield page


@pytest.fixture(autouse=True)
def _hidpi(request, _page_pixel_density):
    """Tests marked hidpi draw explorers at the page's pixel density."""
    if _page_pixel_density is not None and request.node.get_closest_marker("hidpi"):
        from costlib.ui.widgets import explorer

        request.getfixturevalue("monkeypatch").setattr(explorer, "PIXEL_DENSITY", _page_pixel_density)


@pytest.fixture
def cli(capsys):
    """Run ``python -m costlib`` in-process: ``cli(*argv)`` returns (exit status, stdout, stderr)."""
    # imported here, not at the top: every pytest process loads this file (the xdist controller, the
    # browser lane and its policy test's runs), and the CLI's import costs about 0.5 CPU-s (pandas)
    from costlib.ui.cli import main

    def run(*argv):
        code = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return code, out, err
    return run

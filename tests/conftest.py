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

from costlib.ui.cli import main

# make unit runs the tests in 2 xdist workers with --dist loadgroup: each file's tests stay on one
# worker (its module-scoped fixtures, e.g. the one kernel of the blank-exercise run, start once),
# except in these large files whose tests share no module fixture: they are spread test by test,
# so that the workers finish together.
SPREAD_FILES = {"test_widgets.py", "test_retained.py"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.name not in SPREAD_FILES:
            item.add_marker(pytest.mark.xdist_group(item.path.name))


@pytest.fixture
def cli(capsys):
    """Run ``python -m costlib`` in-process: ``cli(*argv)`` returns (exit status, stdout, stderr)."""
    def run(*argv):
        code = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return code, out, err
    return run

"""Fixtures shared by several test files."""
from __future__ import annotations

import pytest

from costlib.ui.cli import main


@pytest.fixture
def cli(capsys):
    """Run ``python -m costlib`` in-process: ``cli(*argv)`` returns (exit status, stdout, stderr)."""
    def run(*argv):
        code = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return code, out, err
    return run

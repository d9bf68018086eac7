"""``python -m costlib``: the command line (see costlib/ui/cli.py)."""
import sys

from costlib.ui.cli import main

if __name__ == "__main__":
    sys.exit(main())

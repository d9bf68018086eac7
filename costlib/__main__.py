"""``python -m costlib``: the command line (see costlib/cli.py)."""
import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())

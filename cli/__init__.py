"""The command line: ``main`` is the console script (``salesflow``)."""

from __future__ import annotations

import sys


def main() -> None:
    """Run ``salesflow``: Ctrl-C at any moment, even while it starts, exits
    130 quietly, as command-line tools do."""
    try:
        from cli.main import main as run

        run()
    except KeyboardInterrupt:
        sys.exit(130)

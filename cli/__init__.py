"""The command line: ``main`` is the console script (``salesflow``)."""

from __future__ import annotations

import signal
import sys
from types import FrameType


class Terminated(BaseException):
    """SIGTERM arrived: raised where the program is, so that an open
    transaction is rolled back as the stack unwinds (a write is recorded
    whole or not at all), then said in one line (exit 143)."""


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise Terminated


def main() -> None:
    """Run ``salesflow``: Ctrl-C at any moment, even while it starts, exits
    130 quietly, and SIGTERM 143 with a message, as command-line tools do."""
    signal.signal(signal.SIGTERM, _terminate)
    try:
        from cli.main import main as run

        run()
    except KeyboardInterrupt:
        sys.exit(130)
    except Terminated:
        print(
            "salesflow: stopped (SIGTERM); a write is recorded whole or not at all"
            " ('audit KEY' shows which)",
            file=sys.stderr,
        )
        sys.exit(143)

"""The command line: ``main`` is the console script (``salesflow``)."""

from __future__ import annotations

import _signal  # type: ignore[import-not-found]  # built in, loaded already: found at once
import sys

if sys.argv and (sys.argv[0] == "-m" or sys.argv[0].endswith("salesflow")):
    # Started as the program (``python -m cli`` or ``salesflow``): until main()
    # runs, Ctrl-C ends it by the signal itself, quietly, not with a traceback
    # from the middle of an import.
    _signal.signal(_signal.SIGINT, _signal.SIG_DFL)

import signal
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
        signal.signal(signal.SIGINT, signal.default_int_handler)
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

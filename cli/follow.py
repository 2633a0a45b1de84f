"""``salesflow projections run``: follow the event log live, through a lost
store: reconnect with backoff, say so on stderr, go on from the tracked
position; stop on SIGTERM (exit 0) or SIGINT (130), or when the store stays
gone past ``--give-up`` seconds (exit 1)."""

from __future__ import annotations

import signal
import sys
import threading
import time
from types import FrameType

import click

from cli.context import Salesflow, pass_flow
from cli.output import say
from cli.reads import projections
from cli.types import NUMBER

#: The longest wait between two tries to reach a lost store, in seconds.
MOST_BACKOFF = 30.0


def _lost(exc: Exception) -> bool:
    """Whether ``exc`` says the store is out of reach (not a fault of the data)."""
    from domain.errors import StoreError

    kinds: tuple[type[BaseException], ...] = (StoreError, ConnectionError)
    for module, name in (
        ("psycopg", "OperationalError"),
        ("psycopg", "InterfaceError"),
        ("sqlite3", "OperationalError"),
        ("eventsourcing.persistence", "OperationalError"),
        ("eventsourcing.persistence", "InterfaceError"),
    ):
        found = sys.modules.get(module)
        if found is not None:
            kinds += (getattr(found, name),)
    return isinstance(exc, kinds)


@projections.command()
@click.option("--interval", type=NUMBER, default=0.1, help="Seconds between polls.")
@click.option("--once", is_flag=True, help="Catch up once and stop.")
@click.option(
    "--give-up",
    type=NUMBER,
    default=300.0,
    help="Seconds the store may stay out of reach before run exits 1 (default 300).",
)
@pass_flow
def run(flow: Salesflow, interval: float, once: bool, give_up: float) -> None:
    """Follow the event log live, keeping the read models current.

    A lost store (a restarted database, a dropped connection) is retried with
    growing waits, said on stderr; SIGTERM stops it (exit 0), Ctrl-C too (130)."""
    flow.reading()
    if once:
        projector = flow.projector()
        say(f"{projector.name}: {projector.catch_up()} events applied")
        return
    stop = threading.Event()

    def terminate(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, terminate)
    click.echo(f"following the event log every {interval}s; Ctrl-C to stop", err=True)
    gone_since: float | None = None
    backoff = 0.5
    while not stop.is_set():
        try:
            applied = flow.projector().catch_up()
        except Exception as exc:
            if not _lost(exc):
                raise
            now = time.monotonic()
            gone_since = gone_since if gone_since is not None else now
            if now - gone_since > give_up:
                from domain.errors import StoreError

                raise StoreError(
                    f"the store stayed out of reach for more than {give_up:g} s: {exc}"
                ) from exc
            click.echo(f"lost the store ({exc}); trying again in {backoff:g} s", err=True)
            _drop(flow)
            stop.wait(backoff)
            backoff = min(backoff * 2, MOST_BACKOFF)
            continue
        if gone_since is not None:
            click.echo("the store is back; following again", err=True)
            gone_since, backoff = None, 0.5
        if applied == 0:
            stop.wait(interval)
    click.echo("stopped (SIGTERM)", err=True)


def _drop(flow: Salesflow) -> None:
    """Let go of the connections (broken ones too): the next try opens new ones."""
    try:
        flow.close()
    except Exception:  # a broken connection may fail to close; it is dropped anyway
        flow._process = None
        flow._read = None

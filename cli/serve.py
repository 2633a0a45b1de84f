"""``salesflow serve`` (the HTTP API) and ``salesflow users`` (its users and
tokens, managed locally, never over HTTP)."""

from __future__ import annotations

import json
import os
import signal
import threading
from typing import TYPE_CHECKING

import click

from cli.context import Salesflow, pass_flow
from cli.output import emit_json, emit_table, say
from cli.types import WHOLE

if TYPE_CHECKING:
    from adapters.stores import Store

ROLES = ("rep", "manager", "coach", "analyst")


@click.command()
@click.option(
    "--host",
    envvar="SALESFLOW_HOST",
    default="127.0.0.1",
    show_default=True,
    help="The address to listen on (SALESFLOW_HOST).",
)
@click.option(
    "--port",
    envvar="SALESFLOW_PORT",
    type=WHOLE,
    default=8000,
    show_default=True,
    help="The port to listen on (SALESFLOW_PORT).",
)
@click.option(
    "--workers",
    envvar="SALESFLOW_WORKERS",
    type=WHOLE,
    default=1,
    show_default=True,
    help="Worker processes, 1 to 64 (SALESFLOW_WORKERS).",
)
@click.option(
    "--follow/--no-follow",
    default=None,
    help="Keep the read models caught up in the background (default; SALESFLOW_FOLLOW)."
    " --no-follow when another process does: reads still catch up when asked.",
)
@click.option(
    "--checkpoint-every",
    "every",
    envvar="SALESFLOW_CHECKPOINT_EVERY",
    type=WHOLE,
    default=3600,
    show_default=True,
    metavar="SECONDS",
    help="Record a checkpoint of the log this often; 0: never (SALESFLOW_CHECKPOINT_EVERY).",
)
@click.pass_context
def serve(
    ctx: click.Context, host: str, port: int, workers: int, follow: bool | None, every: int
) -> None:
    """Serve the HTTP API (shared/api.md) until SIGTERM or Ctrl-C.

    The read models are kept caught up by the server itself. Every worker
    opens the store from the same settings: on PostgreSQL, several hosts may
    serve one store at once."""
    import uvicorn

    if not 1 <= port <= 65535:
        raise click.BadParameter(f"{port} is not a port (1-65535)", param_hint="--port")
    if not 1 <= workers <= 64:
        raise click.BadParameter(f"{workers} is not in 1..64", param_hint="--workers")
    if every < 0:
        raise click.BadParameter(
            f"{every} is not 0 or more seconds", param_hint="--checkpoint-every"
        )
    flow = ctx.find_object(Salesflow)
    assert flow is not None
    flow.settings  # noqa: B018 - a bad --store or --config is refused here, not in a worker
    flow.process  # noqa: B018 - and so is a store that cannot be reached
    root = ctx.find_root().params
    # The workers build their settings as this process did: from the environment.
    for name, value in (
        ("SALESFLOW_STORE", root.get("store")),
        ("SALESFLOW_CONFIG", root.get("config")),
    ):
        if value is not None:
            os.environ[name] = value
    if follow is not None:
        os.environ["SALESFLOW_FOLLOW"] = "1" if follow else "0"
    flow.close()
    # uvicorn stops gracefully on SIGTERM, then raises it again: by then a
    # stop is a clean one (exit 0), not the CLI's interrupted command (143).
    signal.signal(signal.SIGTERM, _stopped)
    if every:
        _checkpoints(flow.settings.store, every)
    say(
        f"salesflow serving {flow.settings.store.url} on http://{host}:{port} ({workers} worker(s))"
    )
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,  # ours: one JSON line per request, with the user
        log_level="warning",
        timeout_graceful_shutdown=30,
    )
    say("salesflow: stopped")


def _checkpoints(store: Store, every: float) -> threading.Event:
    """Record a checkpoint every ``every`` seconds, in this process (one per
    server, whatever its workers), until it stops (or the event is set)."""

    def run() -> None:
        from adapters.integrity import take_checkpoint

        while not stop.wait(every):
            try:
                cp = take_checkpoint(store)
                say(f"salesflow: checkpoint {json.dumps(cp.document())}")
            except Exception as exc:  # the store away for a while: next time
                say(f"salesflow: no checkpoint this time ({exc})")

    stop = threading.Event()
    threading.Thread(target=run, name="salesflow-checkpoints", daemon=True).start()
    return stop


def _stopped(signum: int, frame: object) -> None:
    say("salesflow: stopped")
    raise SystemExit(0)


@click.group()
def users() -> None:
    """The API's users and their tokens (run on the server, not over HTTP)."""


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True, help="What the user may do.")
@pass_flow
def add(flow: Salesflow, name: str, role: str) -> None:
    """Add a user; prints their token, this once."""
    from adapters.users import Users

    flow.process  # noqa: B018 - the store's schema first
    token = Users(flow.settings.store).add(name, role)
    say(f"user {name} ({role}) added; their token (shown this once, keep it safe):")
    click.echo(token)


@users.command("token")
@click.argument("name")
@pass_flow
def token(flow: Salesflow, name: str) -> None:
    """Issue a new token for NAME; the old one stops working."""
    from adapters.users import Users

    flow.process  # noqa: B018
    new = Users(flow.settings.store).token(name)
    say(f"a new token for {name} (the old one no longer works; shown this once):")
    click.echo(new)


@users.command("revoke")
@click.argument("name")
@pass_flow
def revoke(flow: Salesflow, name: str) -> None:
    """Revoke NAME's token (within 10 s on every running server)."""
    from adapters.users import Users

    flow.process  # noqa: B018
    Users(flow.settings.store).revoke(name)
    say(f"{name}'s token is revoked; 'users token {name}' issues a new one")


@users.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_flow
def list_(flow: Salesflow, as_json: bool) -> None:
    """Every user: name, role, created, last used, revoked (never tokens)."""
    from datetime import datetime

    from adapters.users import Users

    flow.reading()
    flow.process  # noqa: B018
    tz = flow.settings.config.tz
    rows = [
        {
            **u,
            "created": datetime.fromtimestamp(u["created"], tz).isoformat(timespec="seconds"),
            "last_used": datetime.fromtimestamp(u["last_used"], tz).isoformat(timespec="seconds")
            if u["last_used"]
            else None,
        }
        for u in Users(flow.settings.store).list()
    ]
    if as_json:
        emit_json(rows)
    elif rows:
        emit_table(rows, ("name", "role", "created", "last_used", "revoked"), f"times in {tz.key}")
    else:
        click.echo("(none)")


COMMANDS = (serve, users)

"""``salesflow``: the command line over the write side and the read models.

Importing this module reads no settings and imports neither the event store
nor pydantic nor a database driver: ``salesflow --help`` answers at once, and
each command imports what it needs when it runs.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from cli.context import Salesflow
from cli.types import explain
from domain.errors import InputError, NotYet, SalesProcessError, UnknownDeal
from projections.errors import ProjectionError


class Refused(click.ClickException):
    """A clear message on stderr and a chosen exit code, never a traceback."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code

    @property
    def exit_code(self) -> int:  # type: ignore[override]
        return self.code


def _loaded(module: str, name: str) -> tuple[type[BaseException], ...]:
    """An exception class of a module, if the run imported it (none otherwise:
    a module never imported raised nothing)."""
    found = sys.modules.get(module)
    return (getattr(found, name),) if found is not None else ()


def _closest(ctx: click.Context, exc: UnknownDeal) -> str:
    """The keys of the store closest to a key that is none of them."""
    flow = ctx.obj
    if isinstance(exc, NotYet) or not isinstance(flow, Salesflow):
        return ""
    import difflib

    from projections.schema import PIPELINE

    try:
        read = flow.read
        keys = [r["key"] for r in read.query(f"SELECT key FROM {read.table(PIPELINE)}")]
    except Exception:  # a hint only: the refusal stands without it
        return ""
    near = difflib.get_close_matches(exc.key, keys, n=3, cutoff=0.6)
    return f"; did you mean {' or '.join(near)}?" if near else ""


class SalesflowGroup(click.Group):
    """Turns our errors into exit codes: 2 before the domain, 1 from it or the store."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise click.exceptions.Exit(130) from None
        except BrokenPipeError:
            _quiet_stdout()  # the reader stopped reading (| head): nothing more to say
            raise click.exceptions.Exit(0) from None
        except InputError as exc:
            raise Refused(str(exc), 2) from exc
        except UnknownDeal as exc:
            raise Refused(str(exc) + _closest(ctx, exc), 1) from exc
        except (SalesProcessError, ProjectionError) as exc:
            raise Refused(str(exc), 1) from exc
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort):
            raise  # click's own: help, usage errors, exits
        except Exception as exc:
            if isinstance(exc, _loaded("pydantic", "ValidationError")):
                raise Refused(explain(exc), 2) from exc
            if isinstance(exc, _loaded("psycopg", "Error") + _loaded("sqlite3", "Error")):
                raise Refused(f"the store failed: {exc}".strip(), 1) from exc
            if os.environ.get("SALESFLOW_DEBUG"):
                raise
            # A fault of salesflow's, not the user's: said in one line, not a traceback.
            raise Refused(
                f"salesflow could not do that ({type(exc).__name__}: {exc}); this is a fault"
                " of salesflow's, please report it (SALESFLOW_DEBUG=1 shows where it happened)",
                1,
            ) from exc


@click.group(cls=SalesflowGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="salesflow", prog_name="salesflow")
@click.option(
    "--store",
    envvar="SALESFLOW_STORE",
    default=None,
    metavar="URL",
    help="sqlite:///PATH or postgresql://USER[:PASSWORD]@HOST[:PORT]/DB"
    " (default: salesflow.db here).",
)
@click.option(
    "--config",
    envvar="SALESFLOW_CONFIG",
    default=None,
    metavar="PATH",
    help="A TOML file overriding the built-in process defaults.",
)
@click.pass_context
def cli(ctx: click.Context, store: str | None, config: str | None) -> None:
    """salesflow: the key-account sales process, event-sourced."""
    if ctx.obj is None:

        def settings() -> Any:
            from adapters.settings import Settings

            return Settings.build(store=store, config=config)

        ctx.obj = Salesflow(settings)
        ctx.call_on_close(ctx.obj.close)


def _register() -> None:
    # These add their commands to their groups (deal, projections) as imported.
    import cli.deal_moves as moves
    import cli.follow as follow
    import cli.show as show
    from cli.coach import COMMANDS as COACH
    from cli.deal import deal
    from cli.demo import demo
    from cli.imports import COMMANDS as IMPORTS
    from cli.reads import COMMANDS as READS
    from cli.replay import replay
    from cli.report import COMMANDS as REPORT
    from cli.serve import COMMANDS as SERVICE
    from cli.verify import COMMANDS as INTEGRITY

    del moves, follow, show
    for command in (deal, demo, replay, *READS, *REPORT, *IMPORTS, *COACH, *SERVICE, *INTEGRITY):
        cli.add_command(command)


_register()


def _quiet_stdout() -> None:
    """Send what is left for stdout nowhere: its reader has gone."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def main() -> None:
    """The console script. Piped into a reader that stops early (``| head``),
    it exits 0 quietly, as command-line tools do."""
    code: Any = 0
    try:
        cli(prog_name="salesflow")
    except SystemExit as done:
        code = done.code
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _quiet_stdout()
        code = 0
    sys.exit(code)

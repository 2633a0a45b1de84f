"""The read commands: pipeline, audit, losses, export and the projections."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import click

from cli.context import Salesflow, pass_flow
from cli.output import emit_csv, emit_json, emit_table, say
from cli.types import KEY, UNTIL, WHOLE
from domain.errors import InputError
from domain.vocabulary import Outcome, Stage
from projections.cells import plain
from projections.schema import PROJECTION

PIPELINE_SHORT = (
    "key",
    "customer",
    "stage",
    "outcome",
    "grade",
    "alignment",
    "value",
    "win_probability",
    "days_in_stage",
    "missing_milestones",
)


def _filter_options(f: Any) -> Any:
    """--owner, --stage and --outcome, each narrowing the rows to one value."""
    f = click.option("--outcome", type=_choice(Outcome), help="Only deals with this outcome.")(f)
    f = click.option("--stage", type=_choice(Stage), help="Only deals in this stage.")(f)
    return click.option("--owner", default=None, help="Only this salesperson's deals.")(f)


def _choice(enum: Any) -> click.Choice[str]:
    return click.Choice([e.value for e in enum])


def _format_options(f: Any) -> Any:
    f = click.option("--csv", "as_csv", is_flag=True, help="CSV on stdout.")(f)
    return click.option("--json", "as_json", is_flag=True, help="JSON on stdout.")(f)


def _emit(
    rows: list[dict[str, Any]],
    columns: tuple[str, ...],
    as_json: bool,
    as_csv: bool,
    short: tuple[str, ...] | None = None,
    caption: str | None = None,
) -> None:
    if as_json and as_csv:
        raise InputError("choose one of --json and --csv")
    if as_json:
        emit_json([{c: plain(r[c]) for c in columns} for r in rows])
    elif as_csv:
        emit_csv(rows, columns)
    elif rows:
        emit_table(rows, short or columns, caption)
    else:
        click.echo("(none)")


def _zone(flow: Salesflow) -> str:
    """The header of a human table: the time zone its times and days are in."""
    return f"times in {flow.settings.config.tz.key}"


@click.command()
@click.option("--as-of", type=UNTIL, default=None, help="The pipeline as it stood then.")
@click.option("--known-at", type=UNTIL, default=None, help="Only what was recorded by then.")
@_filter_options
@_format_options
@pass_flow
def pipeline(
    flow: Salesflow,
    as_of: datetime | None,
    known_at: datetime | None,
    owner: str | None,
    stage: str | None,
    outcome: str | None,
    as_json: bool,
    as_csv: bool,
) -> None:
    """Every deal, one row each, ordered by key (as it stood --as-of, as known --known-at)."""
    from domain.times import now
    from projections import documents as d

    rows = d.pipeline(
        flow.fresh(),
        flow.settings.config,
        now(),
        as_of,
        known_at,
        owner=owner,
        stage=stage,
        outcome=outcome,
    )
    _emit(rows, d.PIPELINE_COLUMNS, as_json, as_csv, PIPELINE_SHORT, _zone(flow))


@click.command()
@click.argument("key", type=KEY)
@_format_options
@pass_flow
def audit(flow: Salesflow, key: str, as_json: bool, as_csv: bool) -> None:
    """The deal's history, one row per entry, in seq order."""
    from projections import documents as d

    rows = d.audit(flow.fresh(), flow.settings.config, key)
    for r in rows:
        if not as_json and not as_csv:
            r["retracted"] = "RETRACTED" if r["retracted"] else ""
    short = (
        "seq",
        "event",
        "occurred_at",
        "recorded_at",
        "actor",
        "stage",
        "summary",
        "note",
        "retracted",
        "source",
    )
    _emit(rows, d.AUDIT_COLUMNS, as_json, as_csv, short, _zone(flow))


@click.command()
@_filter_options
@_format_options
@pass_flow
def losses(
    flow: Salesflow,
    owner: str | None,
    stage: str | None,
    outcome: str | None,
    as_json: bool,
    as_csv: bool,
) -> None:
    """Lost, withdrawn and abandoned deals, with what explains them."""
    from projections import documents as d

    rows = d.losses(flow.fresh(), flow.settings.config, owner, stage=stage, outcome=outcome)
    if as_json or as_csv:
        _emit(rows, d.LOSS_COLUMNS, as_json, as_csv)
        return
    if not rows:
        click.echo("(none)")
    for r in rows:
        say(f"{r['key']}  {r['explanation']}")


@click.command()
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "parquet"]), required=True)
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path))
@pass_flow
def export(flow: Salesflow, fmt: str, out: Path) -> None:
    """Write every read model to files in OUT (parquet needs salesflow[parquet])."""
    if fmt == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise InputError(
                "--format parquet needs pyarrow: pip install 'salesflow[parquet]'"
            ) from None
    from domain.errors import CannotWrite
    from projections import queries

    read = flow.fresh()
    try:
        written = queries.export(read, flow.settings.config.tz, fmt, out)
    except OSError as exc:
        raise CannotWrite(f"cannot write the export to {out}: {exc.strerror or exc}") from exc
    for path in written:
        click.echo(str(path))


@click.group()
def projections() -> None:
    """The read models: position and lag, rebuild, follow live."""


@projections.command()
@click.option("--json", "as_json", is_flag=True)
@pass_flow
def status(flow: Salesflow, as_json: bool) -> None:
    """Each projection's position, the head of the log, the lag, and the deals
    it could not project (each with the entry that failed and why)."""
    from projections.documents import status as status_of

    flow.reading()
    s = flow.projector().status()
    doc = status_of(flow.read, s.name, s.position, s.head)
    held = doc[0]["quarantined"]
    if as_json:
        emit_json(doc)
        return
    emit_table(doc, ("name", "position", "head", "lag"))
    if held:
        say(f"\n{len(held)} deal(s) not projected (their rows are left out of the read models):")
        for q in held:
            say(f"  {q['key'] or q['deal_id']}: entry {q['seq']} ({q['event']}): {q['reason']}")


@projections.command()
@click.argument("name", required=False, default=PROJECTION)
@click.option(
    "--workers",
    type=WHOLE,
    help="processes to split the deals among, 1 to 16"
    " (default: SALESFLOW_REBUILD_WORKERS, else one per CPU)",
)
@pass_flow
def rebuild(flow: Salesflow, name: str, workers: int | None) -> None:
    """Rebuild the read models from the first event, then swap them in.

    Readers keep the old tables until the new ones are complete."""
    from adapters.settings import MAX_WORKERS

    if name != PROJECTION:
        raise InputError(f"unknown projection {name!r} (known: {PROJECTION})")
    if workers is not None and not 1 <= workers <= MAX_WORKERS:
        raise click.BadParameter(f"{workers} is not in 1..{MAX_WORKERS}", param_hint="--workers")
    from projections.rebuild import rebuild as rebuild_all

    flow.reading()
    projector = flow.projector(workers)
    total = projector.head()
    with click.progressbar(length=total, label=f"rebuilding {name}", file=None) as bar:
        applied = rebuild_all(projector, bar.update)
    say(f"{name}: {applied} events applied")


COMMANDS = (pipeline, audit, losses, export, projections)

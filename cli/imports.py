"""``salesflow import salesforce|hubspot``: a CRM's history in (shared/import.md)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from cli.context import Salesflow, pass_flow
from cli.output import emit_json, say

if TYPE_CHECKING:
    from crm.load import Summary

_FILE = click.Path(dir_okay=False, path_type=Path)


@click.group("import")
def import_group() -> None:
    """Bring a CRM's deal history in: each stage change, closing and amount an
    entry, kept with its source row (a second import writes nothing new)."""


def _options(command: Callable[..., None]) -> Callable[..., None]:
    for option in reversed(
        (
            click.option(
                "--map",
                "map_path",
                type=_FILE,
                default=None,
                help="A TOML stage map over the shipped one (see README).",
            ),
            click.option("--dry-run", is_flag=True, help="Read and check all; write nothing."),
            click.option("--json", "as_json", is_flag=True, help="The summary as JSON on stdout."),
            click.option("--batch", type=click.IntRange(1, 10_000), default=None, hidden=True),
        )
    ):
        command = option(command)
    return command


@contextmanager
def _progress(total: int) -> Iterator[Callable[[int], None]]:
    """A progress bar on a terminal; nothing otherwise."""
    if not sys.stderr.isatty():
        yield lambda n: None
        return
    with click.progressbar(length=total, label="importing deals", file=sys.stderr) as bar:
        yield bar.update


def _finish(summary: Summary, as_json: bool) -> None:
    if as_json:
        emit_json(summary.as_dict())
    else:
        for key, n in summary.would_write:
            say(f"would write {key}: {n} entries")
        verb = "would import" if summary.dry_run else "imported"
        say(
            f"{verb} {summary.deals} deals, {summary.entries} entries;"
            f" skipped {summary.skipped} rows; refused {summary.refused} deals"
        )
    for bad in summary.bad_rows:
        click.echo(f"bad row: {bad}", err=True)
    if summary.exit_code:
        sys.exit(summary.exit_code)


@import_group.command("salesforce")
@click.option("--opportunities", required=True, type=_FILE, help="Opportunity.csv")
@click.option("--history", required=True, type=_FILE, help="OpportunityHistory.csv")
@_options
@pass_flow
def salesforce(
    flow: Salesflow,
    opportunities: Path,
    history: Path,
    map_path: Path | None,
    dry_run: bool,
    as_json: bool,
    batch: int | None,
) -> None:
    """Import a Salesforce export: Opportunity.csv and OpportunityHistory.csv."""
    from crm.load import BATCH
    from crm.run import import_salesforce

    summary = import_salesforce(
        flow.process,
        opportunities,
        history,
        map_path,
        flow.settings.config.tz,
        dry_run=dry_run,
        progress=_progress,
        batch=batch or BATCH,
    )
    _finish(summary, as_json)


@import_group.command("hubspot")
@click.option("--deals", required=True, type=_FILE, help="deals.json")
@click.option("--pipelines", required=True, type=_FILE, help="pipelines.json")
@_options
@pass_flow
def hubspot(
    flow: Salesflow,
    deals: Path,
    pipelines: Path,
    map_path: Path | None,
    dry_run: bool,
    as_json: bool,
    batch: int | None,
) -> None:
    """Import a HubSpot export: deals.json and pipelines.json."""
    from crm.load import BATCH
    from crm.run import import_hubspot

    summary = import_hubspot(
        flow.process,
        deals,
        pipelines,
        map_path,
        flow.settings.config.tz,
        dry_run=dry_run,
        progress=_progress,
        batch=batch or BATCH,
    )
    _finish(summary, as_json)


COMMANDS = (import_group,)

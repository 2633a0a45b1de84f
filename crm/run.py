"""An import from end to end: read the export whole (a file that cannot be
read, or whose header lacks a column, stops it before anything is written),
then write its deals in batches and sum up what was written."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from zoneinfo import ZoneInfo

from crm.hubspot import HubSpotExport
from crm.load import BATCH, Summary, write
from crm.maps import load_map
from crm.salesforce import SalesforceExport
from crm.staging import staging_db
from domain.application import SalesProcess

#: Makes the progress shown while writing: given the number of deals, a
#: context manager yielding a function told how many more were written.
Progress = Callable[[int], AbstractContextManager[Callable[[int], None]]]


def _no_progress(total: int) -> AbstractContextManager[Callable[[int], None]]:
    return nullcontext(lambda n: None)


def _run(
    process: SalesProcess,
    export: SalesforceExport | HubSpotExport,
    dry_run: bool,
    progress: Progress,
    batch: int,
) -> Summary:
    summary = Summary(dry_run=dry_run)
    orphans = export.orphans()
    summary.bad_rows.extend(orphans)
    summary.refused += len(orphans)
    with progress(export.deals) as advance:
        write(process, export.plans(), summary, batch=batch, progress=advance)
    return summary


def import_salesforce(
    process: SalesProcess,
    opportunities: Path,
    history: Path,
    map_path: Path | None,
    tz: ZoneInfo,
    *,
    dry_run: bool = False,
    progress: Progress = _no_progress,
    batch: int = BATCH,
) -> Summary:
    """Import a Salesforce export (shared/import.md)."""
    stage_map = load_map("salesforce", map_path)
    with staging_db() as conn:
        export = SalesforceExport(conn, opportunities, history, stage_map, tz)
        return _run(process, export, dry_run, progress, batch)


def import_hubspot(
    process: SalesProcess,
    deals: Path,
    pipelines: Path,
    map_path: Path | None,
    tz: ZoneInfo,
    *,
    dry_run: bool = False,
    progress: Progress = _no_progress,
    batch: int = BATCH,
) -> Summary:
    """Import a HubSpot export (shared/import.md)."""
    stage_map = load_map("hubspot", map_path)
    export = HubSpotExport(deals, pipelines, stage_map, tz)
    return _run(process, export, dry_run, progress, batch)

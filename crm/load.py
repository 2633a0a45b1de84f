"""Writing an export's deal plans: each deal's new rows become its entries,
many deals to a transaction, every source row recorded once.

Once is the store's to guarantee, not a check's: a deal's id is fixed by its
key and its entries are numbered, and the store keeps (deal, number) unique.
Two imports that read the same deal and write its next entries cannot both
succeed: the one that saves second is refused, reads the deal again, finds
the rows recorded by the first and writes only what is still new. A batch is
one transaction and holds every new entry of each of its deals, so a deal is
never half written, whatever stops the import.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.persistence import IntegrityError, PersistenceError

from crm.plan import BadRow, Change, DealPlan
from domain import errors
from domain.application import SalesProcess
from domain.opportunity import Opportunity
from domain.vocabulary import Outcome, Stage

#: Deals per transaction: large enough that a commit is a small part of a
#: deal's cost, small enough that a conflict with another import re-reads little.
BATCH = 100
MAX_ATTEMPTS = 50
_WON_IN = Stage.negotiation


@dataclass
class Summary:
    """What an import wrote (or, dry, would write)."""

    dry_run: bool = False
    #: Deals given new entries (opened, or added to).
    deals: int = 0
    #: Entries written.
    entries: int = 0
    #: Rows left out: deleted, changing nothing, already recorded, or an
    #: amount after the deal closed (a closed deal takes no estimate).
    skipped: int = 0
    #: Deals refused for a bad row: none of their rows are written.
    refused: int = 0
    bad_rows: list[BadRow] = field(default_factory=list)
    #: Per deal written (dry run only): its key and the entries it would get.
    would_write: list[tuple[str, int]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "deals": self.deals,
            "entries": self.entries,
            "skipped": self.skipped,
            "refused": self.refused,
            "bad_rows": [b.as_dict() for b in self.bad_rows],
        }

    @property
    def exit_code(self) -> int:
        """0 when every deal was imported, 1 when some were refused."""
        return 1 if self.refused else 0


class _Refused(Exception):
    def __init__(self, bad: BadRow) -> None:
        super().__init__(bad.reason)
        self.bad = bad


def _batches(plans: Iterable[DealPlan], size: int) -> Iterator[list[DealPlan]]:
    batch: list[DealPlan] = []
    for plan in plans:
        batch.append(plan)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def write(
    process: SalesProcess,
    plans: Iterable[DealPlan],
    summary: Summary,
    *,
    batch: int = BATCH,
    progress: Callable[[int], None] | None = None,
) -> Summary:
    """Write every plan's new rows (none when ``summary.dry_run``)."""
    for group in _batches(plans, batch):
        _write_batch(process, group, summary)
        if progress is not None:
            progress(len(group))
    return summary


def _write_batch(process: SalesProcess, plans: list[DealPlan], summary: Summary) -> None:
    """One transaction of many deals; read again and retried when another
    writer saved one of them first."""
    for attempt in range(1, MAX_ATTEMPTS + 1):
        deals: list[tuple[Opportunity, int]] = []
        skipped = 0
        refused: list[BadRow] = []
        for plan in plans:
            if plan.bad is not None:
                refused.append(plan.bad)
                continue
            try:
                deal, written, left_out = _apply(plan, _stored(process, plan.key))
            except _Refused as exc:
                refused.append(exc.bad)
                continue
            skipped += plan.skipped + left_out
            if written:
                deals.append((deal, written))
        if deals and not summary.dry_run:
            try:
                process.save(*(d for d, _ in deals))
            except IntegrityError:
                time.sleep(random.uniform(0, min(0.5, 0.002 * 2**attempt)))
                continue
            except PersistenceError as exc:
                raise errors.StoreError(f"the store failed: {exc}") from exc
        summary.deals += len(deals)
        summary.entries += sum(n for _, n in deals)
        summary.skipped += skipped
        summary.refused += len(refused)
        summary.bad_rows.extend(refused)
        if summary.dry_run:
            summary.would_write.extend((d.key, n) for d, n in deals)
        return
    raise errors.ConcurrentUpdate(plans[0].key, MAX_ATTEMPTS)


def _stored(process: SalesProcess, key: str) -> Opportunity | None:
    try:
        return process.deal(key)
    except errors.UnknownDeal:
        return None


def _apply(plan: DealPlan, deal: Opportunity | None) -> tuple[Opportunity, int, int]:
    """The plan's rows not yet recorded, as the deal's new entries; returns
    the deal, how many entries it got and how many rows it left out."""
    before = deal.version if deal is not None else 0
    skipped = 0
    where = plan.where
    try:
        if deal is None:
            deal = Opportunity.open(
                plan.key,
                plan.customer,
                plan.title,
                plan.owner,
                None,
                plan.opened_at,
                plan.opened_by,
                source=(plan.source, plan.source_id),
            )
        for change in plan.changes:
            where = change.where
            if deal.has_source_row(change.source_id):
                skipped += 1
                continue
            if not _change(deal, plan, change):
                skipped += 1
    except (errors.SalesProcessError, errors.InputError) as exc:
        raise _Refused(BadRow(where, str(exc), plan.key)) from None
    return deal, deal.version - before, skipped


def _change(deal: Opportunity, plan: DealPlan, change: Change) -> bool:
    """Record one row's change; False when it records nothing."""
    src, sid, at, by = plan.source, change.source_id, change.at, change.by
    recorded = False
    outcome = deal.state.outcome
    if change.value is not None and outcome in (Outcome.open, Outcome.nurture):
        deal.import_value(change.value, at, by, src, sid)
        recorded = True
    target = change.target
    if isinstance(target, Stage):
        if outcome is not Outcome.open:
            raise _Refused(
                BadRow(
                    change.where,
                    f"the stage changes to {target.value} after the deal was {outcome.value};"
                    " salesflow does not reopen a closed deal",
                    plan.key,
                )
            )
        recorded = deal.import_stage(target, at, by, src, sid) or recorded
    elif isinstance(target, Outcome):
        if outcome is target:
            return recorded
        if outcome is not Outcome.open:
            raise _Refused(
                BadRow(
                    change.where,
                    f"the deal closes {target.value} after it was {outcome.value}",
                    plan.key,
                )
            )
        if target is Outcome.won and deal.state.stage.number < _WON_IN.number:
            deal.import_stage(_WON_IN, at, by, src, sid)
        deal.import_outcome(target, change.reason, at, by, src, sid)
        recorded = True
    return recorded

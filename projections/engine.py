"""The projection engine: keeps the read models in step with the event log.

It pulls the application's notification log in pages. Each page is one
transaction on the read store: lock the tracking row, read the events after
the tracked position, recompute the touched deals' rows from their full
history, write them, and compare-and-set the new position. A crash anywhere
loses nothing and applies nothing twice; a failing event stops the projection
with its position just before that event.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from eventsourcing.persistence import Notification

from domain.application import SalesProcess
from domain.entries import Entry
from domain.opportunity import Opportunity, entry_of
from projections.rows import DealRows, deal_rows
from projections.schema import PROJECTION
from projections.store import ProjectionError, ReadStore

PAGE_SIZE = 1000
REBUILD_PAGE_SIZE = 5000


@dataclass(frozen=True)
class Status:
    """Where a projection stands against the head of the log."""

    name: str
    position: int
    head: int

    @property
    def lag(self) -> int:
        return max(self.head - self.position, 0)


class _EventFailed(Exception):
    def __init__(self, notification: Notification, deal: str, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.notification, self.deal, self.cause = notification, deal, cause


class Projector:
    """Applies the event log to the read models, page by page, exactly once."""

    def __init__(
        self,
        process: SalesProcess,
        read: ReadStore,
        name: str = PROJECTION,
        page_size: int = PAGE_SIZE,
        rows_of: Callable[..., DealRows] = deal_rows,
    ) -> None:
        self.process, self.read, self.name = process, read, name
        self.page_size, self.rows_of = page_size, rows_of

    def head(self) -> int:
        """The last notification id in the event log."""
        return int(self.process.recorder.max_notification_id() or 0)

    def status(self) -> Status:
        return Status(self.name, self.read.position(self.name), self.head())

    def catch_up(
        self, progress: Callable[[int], None] | None = None, page_size: int | None = None
    ) -> int:
        """Apply every event after the tracked position; returns how many."""
        applied = 0
        while True:
            n = self._page(page_size or self.page_size)
            if n == 0:
                return applied
            applied += n
            if progress is not None:
                progress(n)

    def rebuild(self, progress: Callable[[int], None] | None = None) -> int:
        """Empty the read models and apply the whole log again."""
        self.read.reset(self.name)
        return self.catch_up(progress, REBUILD_PAGE_SIZE)

    def follow(self, stop: threading.Event, interval: float = 0.1) -> None:
        """Keep catching up until ``stop`` is set (short polling, both stores)."""
        while not stop.is_set():
            if self.catch_up() == 0:
                stop.wait(interval)

    # -- one page -----------------------------------------------------------
    def _page(self, limit: int, stop: int | None = None) -> int:
        try:
            with self.read.page(self.name) as page:
                notes = self.process.recorder.select_notifications(page.start + 1, limit, stop=stop)
                if not notes:
                    return 0
                new = self._decode(notes)
                old = page.load_entries(list(new))
                rows = [self._rows(deal, old.get(deal, []), got) for deal, got in new.items()]
                page.replace(list(new), rows)
                page.advance(notes[-1].id)
                return len(notes)
        except _EventFailed as failed:
            bad = failed.notification
            # Apply what came before the failing event, then stop at it.
            if stop is None and bad.id > 1:
                self._page(limit, stop=bad.id - 1)
            raise ProjectionError(
                f"projection {self.name} stopped at event {bad.id}"
                f" ({bad.topic.rsplit('.', 1)[-1]} v{bad.originator_version}"
                f" of deal {failed.deal}): {failed.cause!r}"
            ) from failed.cause

    def _decode(self, notes: Sequence[Notification]) -> dict[str, list[tuple[Notification, Entry]]]:
        new: dict[str, list[tuple[Notification, Entry]]] = {}
        for note in notes:
            deal = str(note.originator_id)
            try:
                event = self.process.mapper.to_domain_event(note)
                if not isinstance(event, Opportunity.Event):
                    raise TypeError(f"unexpected event {type(event).__qualname__}")
                new.setdefault(deal, []).append((note, entry_of(event)))
            except Exception as exc:
                raise _EventFailed(note, deal, exc) from exc
        return new

    def _rows(self, deal: str, old: list[Entry], got: list[tuple[Notification, Entry]]) -> DealRows:
        fresh = {e.seq for _, e in got}
        entries = [e for e in old if e.seq not in fresh] + [e for _, e in got]
        try:
            return self.rows_of(deal, entries, self.process.config)
        except Exception as exc:
            raise _EventFailed(got[0][0], deal, exc) from exc

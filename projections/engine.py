"""The projection engine: keeps the read models in step with the event log.

It pulls the application's notification log in pages. Each page is one
transaction on the read store: lock the tracking row, read the events after
the tracked position, recompute the touched deals' rows from their full
history, write them, and compare-and-set the new position. A crash anywhere
loses nothing and applies nothing twice; a failing event stops the projection
with its position just before that event. A rebuild builds on this engine
(``projections.rebuild``); the engine knows nothing of it.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from eventsourcing.persistence import Notification

from domain.application import SalesProcess
from domain.entries import Entry, entry_of
from domain.events import DealEvent
from projections.errors import ProjectionError, TrackingConflict
from projections.partitions import read_page
from projections.rows import DealRows, deal_rows
from projections.schema import PROJECTION
from projections.store import ReadStore

if TYPE_CHECKING:
    from adapters.settings import Settings

PAGE_SIZE = 1000


@dataclass(frozen=True)
class Status:
    """Where a projection stands against the head of the log."""

    name: str
    position: int
    head: int

    @property
    def lag(self) -> int:
        return max(self.head - self.position, 0)


@contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector for one page.

    A page holds thousands of young objects (events, entries, rows) until it
    commits; the collector would scan them again and again, about a sixth of a
    rebuild's time, and find nothing: they are acyclic and freed by reference
    counting when the page ends. The collector runs again as usual after it.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class _EventFailed(Exception):
    def __init__(self, notification: Notification, deal: str, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.notification, self.deal, self.cause = notification, deal, cause


_Got = list[tuple[Notification, Entry[DealEvent]]]


@dataclass(frozen=True)
class Slice:
    """What a projector applies: the events of partition ``part`` of
    ``parts`` (all of them by default) up to ``stop``, tracked by the row
    ``tracking``, into the tables of ``suffix`` (the live ones by default)."""

    tracking: str
    suffix: str = ""
    part: int = 0
    parts: int = 1
    stop: int | None = None


class Projector:
    """Applies the event log to the read models, page by page, exactly once."""

    def __init__(
        self,
        process: SalesProcess,
        read: ReadStore,
        name: str = PROJECTION,
        page_size: int = PAGE_SIZE,
        rows_of: Callable[..., DealRows] = deal_rows,
        settings: Settings | None = None,
        workers: int = 1,
    ) -> None:
        self.process, self.read, self.name = process, read, name
        self.page_size, self.rows_of = page_size, rows_of
        self.settings, self.workers = settings, workers
        self.slice = Slice(name)

    def head(self) -> int:
        """The last notification id in the event log."""
        return int(self.process.recorder.max_notification_id() or 0)

    def status(self) -> Status:
        return Status(self.name, self.read.position(self.name), self.head())

    def catch_up(
        self,
        progress: Callable[[int], None] | None = None,
        page_size: int | None = None,
        until: Callable[[], bool] | None = None,
    ) -> int:
        """Apply every event after the tracked position (or stop between
        pages once ``until()`` is true); returns how many."""
        applied = 0
        while until is None or not until():
            try:
                n = self._page(page_size or self.page_size)
            except TrackingConflict:
                continue  # another follower applied this page first: go on from there
            if n is None:
                return applied
            applied += n
            if progress is not None and n:
                progress(n)
        return applied

    def on_slice(self, part: Slice) -> Projector:
        """This projector, applying ``part`` instead."""
        other = Projector(self.process, self.read, self.name, self.page_size, self.rows_of)
        other.slice = part
        return other

    def follow(self, stop: threading.Event, interval: float = 0.1) -> None:
        """Keep catching up until ``stop`` is set (short polling, both stores)."""
        while not stop.is_set():
            if self.catch_up() == 0:
                stop.wait(interval)

    # -- one page -----------------------------------------------------------
    def _page(self, limit: int, stop: int | None = None) -> int | None:
        """Apply the next page; how many events it held (``None``: none left)."""
        part = self.slice
        if stop is None:
            stop = part.stop
        try:
            with _cycle_collector_paused(), self.read.page(part.tracking, part.suffix) as page:
                notes, last = read_page(
                    self.process.recorder, page.start + 1, limit, stop, part.part, part.parts
                )
                if last is None:
                    return None
                if notes:
                    new = self._decode(notes)
                    # A deal opened in this page had no event in an earlier one,
                    # so it has no rows yet: nothing to load, nothing to delete.
                    known = [d for d, got in new.items() if all(e.seq != 1 for _, e in got)]
                    old = page.load_entries(known) if known else {}
                    page.replace(
                        known, (self._rows(d, old.get(d, []), got) for d, got in new.items())
                    )
                page.advance(last)
                return len(notes)
        except _EventFailed as failed:
            bad = failed.notification
            # Apply what came before the failing event, then stop at it.
            if bad.id > 1 and (stop is None or bad.id <= stop):
                self._page(limit, stop=bad.id - 1)
            raise ProjectionError(
                f"projection {self.name} stopped at event {bad.id}"
                f" ({bad.topic.rsplit('.', 1)[-1]} v{bad.originator_version}"
                f" of deal {failed.deal}): {failed.cause!r}"
            ) from failed.cause

    def _decode(self, notes: Sequence[Notification]) -> dict[str, _Got]:
        """Each deal's new entries, deals in order of their first event here."""
        new: dict[str, _Got] = {}
        to_domain_event = self.process.mapper.to_domain_event
        last_id: object = None
        deal, got = "", []
        for note in notes:
            if note.originator_id != last_id:  # a deal's events mostly come together
                last_id, deal = note.originator_id, str(note.originator_id)
                got = new.setdefault(deal, [])
            try:
                event = to_domain_event(note)
                if not isinstance(event, DealEvent):
                    raise TypeError(f"unexpected event {type(event).__qualname__}")
                got.append((note, entry_of(event)))
            except Exception as exc:
                raise _EventFailed(note, deal, exc) from exc
        return new

    def _rows(self, deal: str, old: list[Entry[DealEvent]], got: _Got) -> DealRows:
        if old:
            fresh = {e.seq for _, e in got}
            entries = [e for e in old if e.seq not in fresh] + [e for _, e in got]
        else:
            entries = [e for _, e in got]
        try:
            return self.rows_of(deal, entries, self.process.config)
        except Exception as exc:
            raise _EventFailed(got[0][0], deal, exc) from exc

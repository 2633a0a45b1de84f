"""The projection engine: keeps the read models in step with the event log.

It pulls the application's notification log in pages. Each page is one
transaction on the read store: lock the tracking row, read the events after
the tracked position, recompute the touched deals' rows from their full
history, write them, and compare-and-set the new position. A crash anywhere
loses nothing and applies nothing twice. A deal with an entry that cannot be
read or projected is put in quarantine (``projections status`` lists it) and
every other deal goes on; the deal is tried again at its next entry, and at
every rebuild. A rebuild builds on this engine (``projections.rebuild``); the
engine knows nothing of it.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC
from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.persistence import Notification

from domain.application import SalesProcess
from domain.entries import Entry, entry_of
from domain.events import DealEvent, Opened
from projections.errors import TrackingConflict
from projections.partitions import read_page
from projections.rows import DealRows, deal_rows
from projections.schema import PROJECTION
from projections.store import Page, Quarantined, ReadStore

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
        """Apply the next page; how many events it held (``None``: none left).

        A deal whose entry cannot be read or projected is put in quarantine
        (its rows taken out, the entry and the reason recorded) and the page
        goes on with every other deal: no one stored event stops the read side."""
        part = self.slice
        if stop is None:
            stop = part.stop
        with _cycle_collector_paused(), self.read.page(part.tracking, part.suffix) as page:
            notes, last = read_page(
                self.process.recorder, page.start + 1, limit, stop, part.part, part.parts
            )
            if last is None:
                return None
            if notes:
                self._apply(page, notes)
            page.advance(last)
            return len(notes)

    def _apply(self, page: Page, notes: Sequence[Notification]) -> None:
        new, found = self._decode(notes)
        held = page.quarantined()
        # A deal opened in this page had no event in an earlier one, so it has
        # no rows yet: nothing to load, nothing to delete.
        opened = {d for d, got in new.items() if any(e.seq == 1 for _, e in got)}
        known = [d for d in (*new, *found) if d not in opened]
        old = page.load_entries([d for d in known if d not in held and d not in found])
        released: list[str] = []

        def rows() -> Iterator[DealRows]:
            for deal, got in new.items():
                if deal in found:
                    continue
                try:
                    history = self._history(deal) if deal in held else old.get(deal, [])
                    made = self._rows(deal, history, got)
                except Exception as exc:
                    if deal not in held:  # one held stays as it was first recorded
                        found[deal] = _quarantined(deal, got, exc)
                    continue
                if deal in held:
                    released.append(deal)
                yield made

        page.replace(known, rows())
        if found or released:
            page.set_quarantine(list(found.values()), released)

    def _decode(
        self, notes: Sequence[Notification]
    ) -> tuple[dict[str, _Got], dict[str, Quarantined]]:
        """Each deal's new entries, deals in order of their first event here;
        and the deals with an entry that cannot be read."""
        new: dict[str, _Got] = {}
        found: dict[str, Quarantined] = {}
        to_domain_event = self.process.mapper.to_domain_event
        last_id: object = None
        deal, got = "", []
        for note in notes:
            if note.originator_id != last_id:  # a deal's events mostly come together
                last_id, deal = note.originator_id, str(note.originator_id)
                got = new.setdefault(deal, [])
            if deal in found:
                continue
            try:
                event = to_domain_event(note)
                if not isinstance(event, DealEvent):
                    raise TypeError(f"unexpected event {type(event).__qualname__}")
                entry = entry_of(event)
                _check_storable(note, entry)
                got.append((note, entry))
            except Exception as exc:
                found[deal] = Quarantined(
                    deal,
                    _key(got),
                    note.originator_version,
                    note.topic.rsplit(".", 1)[-1],
                    f"cannot read it: {exc!r}",
                )
        return new, found

    def _history(self, deal: str) -> list[Entry[DealEvent]]:
        """A deal's whole history from the event store (a deal in quarantine
        has no rows to read it back from)."""
        return list(self.process.entries_by_id(UUID(deal)))

    def _rows(self, deal: str, old: list[Entry[DealEvent]], got: _Got) -> DealRows:
        if old:
            fresh = {e.seq for _, e in got}
            entries = [e for e in old if e.seq not in fresh] + [e for _, e in got]
        else:
            entries = [e for _, e in got]
        return self.rows_of(deal, entries, self.process.config)


def _check_storable(note: Notification, entry: Entry[DealEvent]) -> None:
    """Refuse what a read model cannot hold: a time that has no UTC (year 1
    east of UTC), a NUL character (PostgreSQL text holds none)."""
    entry.occurred_at.astimezone(UTC)
    entry.recorded_at.astimezone(UTC)
    if b"\\u0000" in note.state and _holds_nul(entry.data):
        raise ValueError("a NUL character in its text")


def _holds_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(v) for v in value.values())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


def _key(got: _Got) -> str | None:
    for _, e in got:
        if isinstance(e.fact, Opened):
            return e.fact.key
    return None


def _quarantined(deal: str, got: _Got, exc: Exception) -> Quarantined:
    last = got[-1][1] if got else None
    return Quarantined(
        deal,
        _key(got),
        last.seq if last else None,
        last.event if last else None,
        f"cannot project it: {exc!r}",
    )

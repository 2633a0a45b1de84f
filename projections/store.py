"""Where the read models live: the same database as the events.

Two dialects behind small interfaces (``sqlite_store``, ``postgres_store``,
opened by ``projections.connect``):
``ReadStore`` for reading and for the projection's pages, ``ShadowTables``
for a rebuild. A page of the projection is one transaction that first locks
the projection's tracking row, so two followers never apply the same events,
and ends with a compare-and-set of the position.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.entries import Entry, restore
from domain.events import DealEvent
from projections.schema import QUARANTINE_TABLE, SHADOW, Table

if TYPE_CHECKING:
    from projections.rows import DealRows


#: How long a rebuild waits for an earlier one's helpers to go, in seconds.
HELPERS_PATIENCE = 30.0


def part_tracking(name: str, part: int) -> str:
    """The tracking row of one part of a rebuild of projection ``name``."""
    return f"{name}{SHADOW}/{part}"


#: The audit-trail columns an entry is read back from, in this order.
ENTRY_COLUMNS = "deal_id, seq, event, occurred_at, recorded_at, actor, note, data"


def as_moment(value: Any) -> datetime:
    """A time column's value (datetime on PostgreSQL, ISO text on SQLite)."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def as_param(dialect: str, moment: datetime) -> Any:
    """A moment as a dialect compares it with a time column (SQLite keeps UTC ISO text)."""
    return moment if dialect == "postgresql" else moment.astimezone(UTC).isoformat()


def as_json(value: Any) -> Any:
    """A JSON column's value (parsed on PostgreSQL, text on SQLite)."""
    return json.loads(value) if isinstance(value, str) else value


def entries_by_deal(rows: Iterable[Sequence[Any]]) -> dict[str, list[Entry[DealEvent]]]:
    """Entries read back from audit-trail rows of ``ENTRY_COLUMNS``, by deal."""
    found: dict[str, list[Entry[DealEvent]]] = {}
    ids: dict[str, UUID] = {}
    for deal, seq, event, occurred, recorded, actor, note, data in rows:
        uid = ids.get(deal) or ids.setdefault(deal, UUID(deal))
        found.setdefault(deal, []).append(
            restore(
                uid,
                seq,
                event,
                as_moment(occurred),
                as_moment(recorded),
                actor,
                note,
                as_json(data),
            )
        )
    return found


def quarantine_swap(
    table: str, name: str, begin: bool = False
) -> list[tuple[str, tuple[Any, ...]]]:
    """Statements for the quarantine at a rebuild: at its beginning, its parts'
    rows cleared; at its swap, the projection's rows replaced by its parts'."""
    prefix = part_tracking(name, 0)[:-1]
    parts = (f"DELETE FROM {table} WHERE substr(name, 1, %s) = %s", (len(prefix), prefix))
    if begin:
        return [parts]
    return [
        (f"DELETE FROM {table} WHERE name = %s", (name,)),
        (
            f"UPDATE {table} SET name = %s WHERE substr(name, 1, %s) = %s",
            (name, len(prefix), prefix),
        ),
    ]


def refill_sql(table: Table, live: str, shadow: str, empty: str) -> list[str]:
    """Statements that empty a live table (``empty``: the dialect's way) and
    fill it from its shadow, keeping the table itself."""
    columns = ", ".join(table.column_names)
    return [
        f"{empty} {live}",
        f"INSERT INTO {live} ({columns}) SELECT {columns} FROM {shadow}",
        f"DROP TABLE {shadow}",
    ]


@dataclass(frozen=True)
class Quarantined:
    """A deal the projection could not project: the entry that failed and why.

    Its rows are taken out of the read models (none is better than wrong
    ones); the projection goes on with every other deal, tries the deal
    again whenever it has a new entry, and a rebuild tries it again."""

    deal_id: str
    key: str | None
    seq: int | None
    event: str | None
    reason: str


class Page(ABC):
    """One page of the projection: the position it starts from, its writes
    and its new position, committed together."""

    start: int
    name: str
    store: ReadStore

    @abstractmethod
    def execute(self, sql: str, params: Sequence[Any] = (), write: bool = False) -> list[Any]:
        """A statement in the page's transaction (``%s`` placeholders)."""

    def quarantined(self) -> set[str]:
        """The deals this projection holds in quarantine."""
        table = self.store.qualified(QUARANTINE_TABLE)
        return {
            r[0] for r in self.execute(f"SELECT deal_id FROM {table} WHERE name = %s", (self.name,))
        }

    def set_quarantine(self, found: Sequence[Quarantined], released: Sequence[str]) -> None:
        """Put ``found`` deals in quarantine and take ``released`` ones out."""
        table = self.store.qualified(QUARANTINE_TABLE)
        for deal in [*released, *(q.deal_id for q in found)]:
            self.execute(
                f"DELETE FROM {table} WHERE name = %s AND deal_id = %s", (self.name, deal), True
            )
        for q in found:
            self.execute(
                f"INSERT INTO {table} (name, deal_id, key, seq, event, reason)"
                " VALUES (%s, %s, %s, %s, %s, %s)",
                (self.name, q.deal_id, q.key, q.seq, q.event, q.reason),
                True,
            )

    @abstractmethod
    def load_entries(self, deal_ids: Sequence[str]) -> dict[str, list[Entry[DealEvent]]]:
        """The entries already projected for these deals (from ``audit_trail``)."""

    @abstractmethod
    def replace(self, deal_ids: Sequence[str], rows: Iterable[DealRows]) -> None:
        """Delete the rows of ``deal_ids`` in every table, then write ``rows``.

        ``rows`` may also hold deals that have no rows yet (opened in this
        page), which need no delete; it is consumed once, in order, and an
        error it raises aborts the page.
        """

    @abstractmethod
    def advance(self, position: int) -> None:
        """Move the tracked position from ``start`` to ``position`` (compare-and-set)."""


class ShadowTables(ABC):
    """What a rebuild does to the read models: fresh shadow tables, filled
    by one or more parts, then put in the live tables' place at once."""

    @abstractmethod
    def rebuild_lock(self, name: str) -> AbstractContextManager[None]:
        """Held for the whole of a rebuild: a second one at once is refused."""

    @abstractmethod
    def hold_as_helper(self, name: str) -> AbstractContextManager[None]:
        """Held by each helper of a rebuild for its whole life (shared)."""

    @abstractmethod
    def wait_for_helpers(self, name: str) -> None:
        """Wait until no helper of an earlier rebuild is left (one killed with
        its rebuild may still be writing); refused after ``HELPERS_PATIENCE``."""

    @abstractmethod
    def begin_rebuild(self, name: str, parts: int) -> None:
        """Fresh, empty shadow tables and a tracking row at 0 for each part."""

    @abstractmethod
    def start_parts(self, name: str, parts: int, position: int) -> None:
        """Move every part's tracking row to ``position`` (where one process
        applied the log alone so far)."""

    @abstractmethod
    def finish_rebuild(self, name: str, parts: int, position: int) -> None:
        """Put the shadow tables' rows in the live tables and move the
        projection to ``position``, in one transaction; readers see the old
        rows or the new ones, never a mix.

        A live table that carries anything of its users (a view over it, a
        grant, an index, a trigger, a policy, a comment) keeps its identity:
        it is emptied and filled from its shadow. Any other is swapped for
        its shadow, which is much faster.
        """


class ReadStore(ABC):
    """The read models' database."""

    dialect: str

    @abstractmethod
    def ensure_schema(self) -> None:
        """Create the schema, the tables and the tracking row if missing."""

    @abstractmethod
    def position(self, name: str) -> int:
        """The last notification id applied by projection ``name``."""

    @abstractmethod
    def page(self, name: str, suffix: str = "") -> AbstractContextManager[Page]:
        """One atomic page of projection ``name``, writing the tables of ``suffix``."""

    @abstractmethod
    def shadow_tables(self) -> ShadowTables:
        """The rebuild's side of this store."""

    @abstractmethod
    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Rows of a read query, as dicts (times as aware datetimes)."""

    @abstractmethod
    def table(self, table: Table, suffix: str = "") -> str:
        """The qualified name of a read-model table (or of its shadow)."""

    @abstractmethod
    def qualified(self, name: str) -> str:
        """The qualified name of one of salesflow's own tables."""

    def quarantine(self, name: str) -> list[dict[str, Any]]:
        """The deals projection ``name`` could not project, by key."""
        table = self.qualified(QUARANTINE_TABLE)
        return self.query(
            f"SELECT deal_id, key, seq, event, reason FROM {table} WHERE name = %s ORDER BY key",
            (name,),
        )

    @abstractmethod
    def close(self) -> None:
        """Close the connection."""

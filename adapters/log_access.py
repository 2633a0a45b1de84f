"""Reading the whole event log for ``verify`` and ``checkpoint``, as one
consistent snapshot of either store, and recording checkpoints.

Rows come streamed (a million events never sit in memory at once): deal by
deal in version order for the chains, then in notification order for the log.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from adapters import ledger
from adapters.stores import Store


@dataclass(frozen=True)
class EventRow:
    """One stored event as verify reads it (``state`` empty where not asked for)."""

    id: int
    deal: UUID
    version: int
    topic: str
    state: bytes
    chain: bytes | None


@dataclass(frozen=True)
class Checkpoint:
    """A Merkle tree hash of the log up to ``position`` (``size`` events)."""

    position: int
    root: str
    at: str
    size: int | None = None

    def document(self) -> dict[str, Any]:
        out: dict[str, Any] = {"position": self.position, "root": self.root, "at": self.at}
        if self.size is not None:
            out["size"] = self.size
        return out


class LogSnapshot(Protocol):
    def by_deal(self) -> Iterator[EventRow]: ...

    def by_id(self) -> Iterator[EventRow]:
        """Every event in notification order; ``state`` only where not chained."""

    def high_water(self) -> int: ...

    def checkpoints(self) -> list[Checkpoint]: ...


_COLUMNS = "originator_id, originator_version, topic"


def _bytes(value: Any) -> bytes:
    """A stored value as bytes, whatever a hand in the store left it as."""
    if value is None:
        return b""
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape")
    return bytes(value)


def _chain(value: Any) -> bytes | None:
    return None if value is None else _bytes(value)


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


class _Snapshot:
    """The log read in one transaction of either store: ``stream`` runs a
    query and iterates its rows, ``prefix`` qualifies our tables and ``id``
    names the events' notification id column."""

    def __init__(
        self, stream: Callable[[str], Iterable[Sequence[Any]]], events: str, prefix: str, id: str
    ) -> None:
        self.stream, self.events, self.prefix, self.id = stream, events, prefix, id

    def _rows(self, sql: str) -> Iterator[EventRow]:
        for i, oid, v, topic, state, chain in self.stream(sql):
            yield EventRow(i, _uuid(oid), v, str(topic), _bytes(state), _chain(chain))

    def by_deal(self) -> Iterator[EventRow]:
        return self._rows(
            f"SELECT {self.id}, {_COLUMNS}, state, chain FROM {self.events}"
            " ORDER BY originator_id, originator_version"
        )

    def by_id(self) -> Iterator[EventRow]:
        return self._rows(
            f"SELECT {self.id}, {_COLUMNS}, CASE WHEN chain IS NULL THEN state END, chain"
            f" FROM {self.events} ORDER BY {self.id}"
        )

    def high_water(self) -> int:
        rows = list(
            self.stream(f"SELECT last_id FROM {self.prefix}{ledger.LOG_TABLE} WHERE id = 1")
        )
        return int(rows[0][0]) if rows else 0

    def checkpoints(self) -> list[Checkpoint]:
        rows = self.stream(
            f"SELECT position, root, at, size FROM {self.prefix}{ledger.CHECKPOINTS_TABLE}"
            " ORDER BY position, at"
        )
        return [Checkpoint(*r) for r in rows]


def events_table(store: Store) -> str:
    """The event table's name, as the library names it for our application."""
    return "stored_events" if store.kind == "sqlite" else "sales_events"


def snapshot(store: Store) -> AbstractContextManager[LogSnapshot]:
    """The log as it stands, every read in one transaction."""
    return _sqlite(store) if store.kind == "sqlite" else _postgres(store)


@contextmanager
def _sqlite(store: Store) -> Iterator[LogSnapshot]:
    conn = sqlite3.connect(store.path, isolation_level=None, timeout=30)
    try:
        conn.execute("BEGIN")  # a read transaction: one snapshot in WAL mode
        yield _Snapshot(conn.execute, events_table(store), "", "rowid")
        conn.execute("COMMIT")
    finally:
        conn.close()


@contextmanager
def _postgres(store: Store) -> Iterator[LogSnapshot]:
    import psycopg

    with psycopg.connect(store.conninfo()) as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        schema = f'"{store.events_schema or "public"}".'

        def stream(sql: str) -> Iterator[Sequence[Any]]:
            with conn.cursor(name="salesflow_verify") as curs:  # server-side: streamed
                curs.itersize = 2000
                curs.execute(sql)
                yield from curs

        yield _Snapshot(stream, f"{schema}{events_table(store)}", schema, "notification_id")


def record_checkpoint(store: Store, checkpoint: Checkpoint) -> None:
    """Keep a checkpoint in the store beside the log (a copy kept elsewhere is what proves)."""
    values = (checkpoint.position, checkpoint.size, checkpoint.root, checkpoint.at)
    columns = "(position, size, root, at) VALUES"
    if store.kind == "sqlite":
        with sqlite3.connect(store.path, timeout=30) as conn:
            conn.execute(f"INSERT INTO {ledger.CHECKPOINTS_TABLE} {columns} (?, ?, ?, ?)", values)
        return
    import psycopg

    schema = store.events_schema or "public"
    with psycopg.connect(store.conninfo()) as conn:
        conn.execute(
            f'INSERT INTO "{schema}".{ledger.CHECKPOINTS_TABLE} {columns} (%s, %s, %s, %s)',
            values,
        )

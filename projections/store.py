"""Where the read models live: the same database as the events.

Two dialects behind one small interface. A page of the projection is one
transaction that first locks the projection's tracking row, so two followers
never apply the same events, and ends with a compare-and-set of the position.
"""

from __future__ import annotations

import json
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from typing import Any

import psycopg

from domain.entries import Entry
from domain.settings import Store
from projections.rows import DealRows, Row
from projections.schema import AUDIT_TRAIL, TABLES, TRACKING_TABLE, Table, create_table_sql


class ProjectionError(Exception):
    """Raised when the projection cannot apply an event; its position stays before it."""


class TrackingConflict(ProjectionError):
    """Raised when another follower moved the position under this page."""


_ENTRY_COLUMNS = "deal_id, seq, event, occurred_at, recorded_at, actor, note, data"


class Page(ABC):
    """One transaction of the projection: locked position, writes, new position."""

    start: int

    @abstractmethod
    def load_entries(self, deal_ids: Sequence[str]) -> dict[str, list[Entry]]:
        """The entries already projected for these deals (from ``audit_trail``)."""

    @abstractmethod
    def replace(self, deal_ids: Sequence[str], rows: Iterable[DealRows]) -> None:
        """Delete these deals' rows in every table and write the new ones."""

    @abstractmethod
    def advance(self, position: int) -> None:
        """Move the tracked position from ``start`` to ``position`` (compare-and-set)."""


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
    def page(self, name: str) -> AbstractContextManager[Page]:
        """One locked, atomic page of projection ``name``."""

    @abstractmethod
    def reset(self, name: str) -> None:
        """Empty every read model and move the position back to 0, atomically."""

    @abstractmethod
    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Rows of a read query, as dicts (times as aware datetimes)."""

    @abstractmethod
    def table(self, table: Table) -> str:
        """The qualified name of a read-model table."""

    @abstractmethod
    def close(self) -> None:
        """Close the connection."""


def _utc_text(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


class SQLiteReadStore(ReadStore):
    """Read models in the SQLite file of the events."""

    dialect = "sqlite"

    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None, timeout=60, check_same_thread=False)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA journal_mode=WAL")

    def table(self, table: Table) -> str:
        return table.name

    def ensure_schema(self) -> None:
        for t in TABLES:
            for sql in create_table_sql(t, "sqlite"):
                self.conn.execute(sql)
        self.conn.execute(
            f"CREATE TABLE IF NOT EXISTS {TRACKING_TABLE}"
            " (name TEXT PRIMARY KEY, position INTEGER NOT NULL)"
        )

    def position(self, name: str) -> int:
        row = self.conn.execute(
            f"SELECT position FROM {TRACKING_TABLE} WHERE name = ?", (name,)
        ).fetchone()
        return int(row[0]) if row else 0

    @contextmanager
    def page(self, name: str) -> Iterator[Page]:
        self.conn.execute("BEGIN IMMEDIATE")  # the write lock, before reading the position
        try:
            self.conn.execute(
                f"INSERT OR IGNORE INTO {TRACKING_TABLE} (name, position) VALUES (?, 0)",
                (name,),
            )
            yield _SQLitePage(self, name, self.position(name))
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def reset(self, name: str) -> None:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            for t in TABLES:
                self.conn.execute(f"DELETE FROM {t.name}")
            self.conn.execute(
                f"INSERT OR REPLACE INTO {TRACKING_TABLE} (name, position) VALUES (?, 0)",
                (name,),
            )
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return [dict(r) for r in self.conn.execute(sql.replace("%s", "?"), tuple(params))]

    def close(self) -> None:
        self.conn.close()


class _SQLitePage(Page):
    def __init__(self, store: SQLiteReadStore, name: str, start: int) -> None:
        self.store, self.name, self.start = store, name, start

    def load_entries(self, deal_ids: Sequence[str]) -> dict[str, list[Entry]]:
        found: dict[str, list[Entry]] = {}
        marks = ",".join("?" * len(deal_ids))
        for r in self.store.conn.execute(
            f"SELECT {_ENTRY_COLUMNS} FROM audit_trail WHERE deal_id IN ({marks})",
            tuple(deal_ids),
        ):
            found.setdefault(r[0], []).append(
                Entry(
                    seq=r[1],
                    event=r[2],
                    occurred_at=datetime.fromisoformat(r[3]),
                    recorded_at=datetime.fromisoformat(r[4]),
                    actor=r[5],
                    note=r[6],
                    data=json.loads(r[7]),
                )
            )
        return found

    def replace(self, deal_ids: Sequence[str], rows: Iterable[DealRows]) -> None:
        conn = self.store.conn
        marks = ",".join("?" * len(deal_ids))
        for t in TABLES:
            conn.execute(f"DELETE FROM {t.name} WHERE deal_id IN ({marks})", tuple(deal_ids))
        batches: dict[str, list[Row]] = {t.name: [] for t in TABLES}
        for deal in rows:
            for name, table_rows in deal.by_table().items():
                batches[name].extend(table_rows)
        for t in TABLES:
            if batches[t.name]:
                cols = t.column_names
                conn.executemany(
                    f"INSERT INTO {t.name} ({', '.join(cols)})"
                    f" VALUES ({', '.join('?' * len(cols))})",
                    [tuple(_utc_text(v) for v in row) for row in batches[t.name]],
                )

    def advance(self, position: int) -> None:
        cur = self.store.conn.execute(
            f"UPDATE {TRACKING_TABLE} SET position = ? WHERE name = ? AND position = ?",
            (position, self.name, self.start),
        )
        if cur.rowcount != 1:
            raise TrackingConflict(f"projection {self.name} moved from {self.start} meanwhile")


class PostgresReadStore(ReadStore):
    """Read models in their own schema of the events' PostgreSQL database."""

    dialect = "postgresql"

    def __init__(self, store: Store) -> None:
        self.schema = store.reporting_schema
        self.conn = psycopg.connect(store.conninfo(), autocommit=True)

    def table(self, table: Table) -> str:
        return f"{self.schema}.{table.name}"

    @property
    def _tracking(self) -> str:
        return f"{self.schema}.{TRACKING_TABLE}"

    def ensure_schema(self) -> None:
        with self.conn.transaction():
            # Serialise first use: two processes creating tables at once would collide.
            self.conn.execute("SELECT pg_advisory_xact_lock(7261002)")
            self.conn.execute(f"CREATE SCHEMA IF NOT EXISTS {self.schema}")
            for t in TABLES:
                for sql in create_table_sql(t, "postgresql", f"{self.schema}."):
                    self.conn.execute(sql)
            self.conn.execute(
                f"CREATE TABLE IF NOT EXISTS {self._tracking}"
                " (name text PRIMARY KEY, position bigint NOT NULL)"
            )

    def position(self, name: str) -> int:
        row = self.conn.execute(
            f"SELECT position FROM {self._tracking} WHERE name = %s",
            (name,),
        ).fetchone()
        return int(row[0]) if row else 0

    @contextmanager
    def page(self, name: str) -> Iterator[Page]:
        with self.conn.transaction():
            self.conn.execute(
                f"INSERT INTO {self._tracking} (name, position)"
                " VALUES (%s, 0) ON CONFLICT (name) DO NOTHING",
                (name,),
            )
            row = self.conn.execute(
                f"SELECT position FROM {self._tracking} WHERE name = %s FOR UPDATE",
                (name,),
            ).fetchone()
            assert row is not None
            yield _PostgresPage(self, name, int(row[0]))

    def reset(self, name: str) -> None:
        with self.conn.transaction():
            self.conn.execute(
                f"SELECT position FROM {self._tracking} WHERE name = %s FOR UPDATE",
                (name,),
            )
            for t in TABLES:
                self.conn.execute(f"TRUNCATE {self.table(t)}")
            self.conn.execute(
                f"INSERT INTO {self._tracking} (name, position)"
                " VALUES (%s, 0) ON CONFLICT (name) DO UPDATE SET position = 0",
                (name,),
            )

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        with self.conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
            cur.execute(sql, tuple(params))
            return list(cur.fetchall())

    def close(self) -> None:
        self.conn.close()


class _PostgresPage(Page):
    def __init__(self, store: PostgresReadStore, name: str, start: int) -> None:
        self.store, self.name, self.start = store, name, start

    def load_entries(self, deal_ids: Sequence[str]) -> dict[str, list[Entry]]:
        found: dict[str, list[Entry]] = {}
        audit = self.store.table(AUDIT_TRAIL)
        cur = self.store.conn.execute(
            f"SELECT {_ENTRY_COLUMNS} FROM {audit} WHERE deal_id = ANY(%s)",
            (list(deal_ids),),
        )
        for r in cur:
            found.setdefault(r[0], []).append(
                Entry(
                    seq=r[1],
                    event=r[2],
                    occurred_at=r[3],
                    recorded_at=r[4],
                    actor=r[5],
                    note=r[6],
                    data=r[7],
                )
            )
        return found

    def replace(self, deal_ids: Sequence[str], rows: Iterable[DealRows]) -> None:
        conn = self.store.conn
        ids = list(deal_ids)
        for t in TABLES:
            conn.execute(
                f"DELETE FROM {self.store.table(t)} WHERE deal_id = ANY(%s)",
                (ids,),
            )
        batches: dict[str, list[Row]] = {t.name: [] for t in TABLES}
        for deal in rows:
            for name, table_rows in deal.by_table().items():
                batches[name].extend(table_rows)
        with conn.cursor() as cur:
            for t in TABLES:
                if not batches[t.name]:
                    continue
                cols = ", ".join(t.column_names)
                with cur.copy(f"COPY {self.store.table(t)} ({cols}) FROM STDIN") as copy:
                    for row in batches[t.name]:
                        copy.write_row(row)

    def advance(self, position: int) -> None:
        cur = self.store.conn.execute(
            f"UPDATE {self.store._tracking} SET position = %s WHERE name = %s AND position = %s",
            (position, self.name, self.start),
        )
        if cur.rowcount != 1:
            raise TrackingConflict(f"projection {self.name} moved from {self.start} meanwhile")


def open_read_store(store: Store) -> ReadStore:
    """The read store for the configured store, with its tables created."""
    read: ReadStore
    read = SQLiteReadStore(store.path) if store.kind == "sqlite" else PostgresReadStore(store)
    read.ensure_schema()
    return read

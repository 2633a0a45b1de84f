"""The read models in the SQLite file of the events."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from domain.entries import Entry
from domain.events import DealEvent
from projections.errors import TrackingConflict
from projections.rows import DealRows
from projections.schema import (
    AUDIT_TRAIL,
    PROJECTION,
    QUARANTINE_SQL,
    QUARANTINE_TABLE,
    RETIRED,
    TABLES,
    TRACKING_TABLE,
    VERSION,
    VERSION_TABLE,
    Table,
    create_table_sql,
    sql_type,
)
from projections.store import (
    ENTRY_COLUMNS,
    Page,
    ReadStore,
    ShadowTables,
    entries_by_deal,
    part_tracking,
)

#: Rows per INSERT statement on SQLite (at most 16 columns: 1,024 parameters).
#: Only two statement texts per table, the chunk's and a single row's, so the
#: connection's statement cache stays small.
_SQLITE_CHUNK = 64


@cache
def _sqlite_insert(table: Table, rows: int, suffix: str = "") -> str:
    """INSERT of ``rows`` rows into ``table`` (or its shadow)."""
    one = f"({', '.join('?' * len(table.columns))})"
    columns = ", ".join(table.column_names)
    return f"INSERT INTO {table.name}{suffix} ({columns}) VALUES " + ", ".join([one] * rows)


def _time_columns(table: Table) -> tuple[int, ...]:
    """Positions of the table's time columns: the only values converted on
    the way out (on SQLite, booleans bind as 0 and 1 by themselves)."""
    return tuple(i for i, (_, kind) in enumerate(table.columns) if kind == "ts")


_TIME_COLUMNS = tuple(_time_columns(t) for t in TABLES)
# Amounts bind as their text; the column's NUMERIC affinity stores the number.
sqlite3.register_adapter(Decimal, str)


def _utc_text(moment: datetime) -> str:
    """ISO 8601 in UTC, so that text order is time order."""
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return moment.isoformat()


class SQLiteReadStore(ReadStore):
    """Read models in the SQLite file of the events."""

    dialect = "sqlite"

    def __init__(self, path: str) -> None:
        self.path = path
        self.conn = sqlite3.connect(path, isolation_level=None, timeout=60, check_same_thread=False)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA journal_mode=WAL")
        # Builds that default to secure_delete rewrite every freed page: a
        # rebuild's swap then writes the whole old read model to the WAL (ten
        # times slower). FAST still clears what it writes anyway; every row
        # deleted here stays in the events.
        self.conn.execute("PRAGMA secure_delete=FAST")

    def table(self, table: Table, suffix: str = "") -> str:
        return f"{table.name}{suffix}"

    def qualified(self, name: str) -> str:
        return name

    def ensure_schema(self) -> None:
        with self.write():
            self.conn.execute(
                f"CREATE TABLE IF NOT EXISTS {TRACKING_TABLE}"
                " (name TEXT PRIMARY KEY, position INTEGER NOT NULL)"
            )
            self.conn.execute(
                f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE}"
                " (name TEXT PRIMARY KEY, version INTEGER NOT NULL)"
            )
            self.conn.execute(QUARANTINE_SQL.format(table=QUARANTINE_TABLE))
            row = self.conn.execute(
                f"SELECT version FROM {VERSION_TABLE} WHERE name = ?", (PROJECTION,)
            ).fetchone()
            if row is not None and row[0] == VERSION:
                return
            self._upgrade()
            for t in TABLES:
                for sql in create_table_sql(t, "sqlite"):
                    self.conn.execute(sql)
            self.make_views()
            self.conn.execute(
                f"INSERT OR REPLACE INTO {VERSION_TABLE} (name, version) VALUES (?, ?)",
                (PROJECTION, VERSION),
            )

    def make_views(self) -> None:
        """The report views, made again."""
        from projections.report_views import create_views_sql

        for sql in create_views_sql(self.table, self.qualified):
            self.conn.execute(sql)

    def _upgrade(self) -> None:
        """Read models of another version: the tables kept (what users hung on
        them too), their missing columns added, emptied, and the projection
        sent back to the first event; our views dropped (made again after), and
        the tables of earlier versions that are no more."""
        from projections.report_views import drop_views_sql

        for sql in drop_views_sql(self.qualified):
            self.conn.execute(sql)
        for retired in RETIRED:
            self.conn.execute(f"DROP TABLE IF EXISTS {retired}")
        for t in TABLES:
            have = [r[1] for r in self.conn.execute(f"PRAGMA table_info({t.name})")]
            if not have:
                continue
            for name, kind in t.columns:
                if name not in have:
                    sql_kind = sql_type(kind, "sqlite")
                    self.conn.execute(f"ALTER TABLE {t.name} ADD COLUMN {name} {sql_kind}")
            self.conn.execute(f"DELETE FROM {t.name}")
        prefix = part_tracking(PROJECTION, 0)[:-1]
        self.conn.execute(
            f"DELETE FROM {TRACKING_TABLE} WHERE name = ? OR substr(name, 1, ?) = ?",
            (PROJECTION, len(prefix), prefix),
        )

    def position(self, name: str) -> int:
        row = self._position(name)
        return row if row is not None else 0

    def _position(self, name: str) -> int | None:
        row = self.conn.execute(
            f"SELECT position FROM {TRACKING_TABLE} WHERE name = ?", (name,)
        ).fetchone()
        return int(row[0]) if row else None

    @contextmanager
    def page(self, name: str, suffix: str = "") -> Iterator[Page]:
        # SQLite has one write lock for the whole file. Holding it while the
        # page is read and its rows computed would make rebuild workers take
        # turns; so the page starts from the position as read, and the write
        # lock is taken only to write (``_SQLitePage.lock``), where the
        # position is checked again, and moved by compare-and-set.
        start = self._position(name)
        if start is None:
            self.conn.execute(
                f"INSERT OR IGNORE INTO {TRACKING_TABLE} (name, position) VALUES (?, 0)",
                (name,),
            )
            start = self.position(name)
        try:
            yield _SQLitePage(self, name, suffix, start)
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        if self.conn.in_transaction:
            self.conn.execute("COMMIT")

    @contextmanager
    def write(self) -> Iterator[None]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def shadow_tables(self) -> ShadowTables:
        from projections.sqlite_shadow import SQLiteShadowTables

        return SQLiteShadowTables(self)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return [dict(r) for r in self.conn.execute(sql.replace("%s", "?"), tuple(params))]

    def close(self) -> None:
        self.conn.close()


class _SQLitePage(Page):
    store: SQLiteReadStore

    def __init__(self, store: SQLiteReadStore, name: str, suffix: str, start: int) -> None:
        self.store, self.name, self.suffix, self.start = store, name, suffix, start

    def load_entries(self, deal_ids: Sequence[str]) -> dict[str, list[Entry[DealEvent]]]:
        marks = ",".join("?" * len(deal_ids))
        return entries_by_deal(
            self.store.conn.execute(
                f"SELECT {ENTRY_COLUMNS} FROM {AUDIT_TRAIL.name}{self.suffix}"
                f" WHERE deal_id IN ({marks})",
                tuple(deal_ids),
            )
        )

    def execute(self, sql: str, params: Sequence[Any] = (), write: bool = False) -> list[Any]:
        if write:
            self.lock()
        return list(self.store.conn.execute(sql.replace("%s", "?"), tuple(params)))

    def lock(self) -> None:
        """Take the write lock; the position must still be where the page started."""
        conn = self.store.conn
        if conn.in_transaction:
            return
        conn.execute("BEGIN IMMEDIATE")
        if self.store.position(self.name) != self.start:
            raise TrackingConflict(f"projection {self.name} moved from {self.start} meanwhile")

    def replace(self, deal_ids: Sequence[str], rows: Iterable[DealRows]) -> None:
        # Each table's rows as one flat parameter list, times as UTC text:
        # computed before the write lock is taken.
        params: list[list[Any]] = [[] for _ in TABLES]
        for deal in rows:
            for flat, times, table_rows in zip(
                params, _TIME_COLUMNS, deal.in_table_order(), strict=True
            ):
                for row in table_rows:
                    base = len(flat)
                    flat.extend(row)
                    for i in times:
                        if (moment := flat[base + i]) is not None:
                            flat[base + i] = _utc_text(moment)
        self.lock()
        conn = self.store.conn
        if deal_ids:
            marks = ",".join("?" * len(deal_ids))
            for t in TABLES:
                conn.execute(
                    f"DELETE FROM {t.name}{self.suffix} WHERE deal_id IN ({marks})",
                    tuple(deal_ids),
                )
        for t, flat in zip(TABLES, params, strict=True):
            self._insert(t, flat)

    def _insert(self, table: Table, flat: list[Any]) -> None:
        """Insert the rows in ``flat``: whole chunks of rows, then row by row."""
        conn, width = self.store.conn, len(table.columns)
        step = _SQLITE_CHUNK * width
        whole = len(flat) - len(flat) % step
        for start in range(0, whole, step):
            conn.execute(
                _sqlite_insert(table, _SQLITE_CHUNK, self.suffix), flat[start : start + step]
            )
        if whole < len(flat):
            rest = range(whole, len(flat), width)
            conn.executemany(
                _sqlite_insert(table, 1, self.suffix), (flat[i : i + width] for i in rest)
            )

    def advance(self, position: int) -> None:
        self.lock()
        cur = self.store.conn.execute(
            f"UPDATE {TRACKING_TABLE} SET position = ? WHERE name = ? AND position = ?",
            (position, self.name, self.start),
        )
        if cur.rowcount != 1:
            raise TrackingConflict(f"projection {self.name} moved from {self.start} meanwhile")

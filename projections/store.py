"""Where the read models live: the same database as the events.

Two dialects behind one small interface. A page of the projection is one
transaction that first locks the projection's tracking row, so two followers
never apply the same events, and ends with a compare-and-set of the position.
"""

from __future__ import annotations

import json
import re
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from functools import cache
from typing import Any
from uuid import UUID

import psycopg
from psycopg import postgres, pq
from psycopg.adapt import Dumper

from adapters.stores import Store
from domain.entries import Entry, restore
from domain.events import DealEvent
from projections.rows import DealRows, Row
from projections.schema import (
    AUDIT_TRAIL,
    SHADOW,
    TABLES,
    TRACKING_TABLE,
    Table,
    create_table_sql,
    key_index_sql,
)


class ProjectionError(Exception):
    """Raised when the projection cannot apply an event; its position stays before it."""


class TrackingConflict(ProjectionError):
    """Raised when another follower moved the position under this page."""


def part_tracking(name: str, part: int) -> str:
    """The tracking row of one part of a rebuild of projection ``name``."""
    return f"{name}{SHADOW}/{part}"


#: The audit-trail columns an entry is read back from, in this order.
ENTRY_COLUMNS = "deal_id, seq, event, occurred_at, recorded_at, actor, note, data"


def as_moment(value: Any) -> datetime:
    """A time column's value (datetime on PostgreSQL, ISO text on SQLite)."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


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


class Page(ABC):
    """One page of the projection: the position it starts from, its writes
    and its new position, committed together."""

    start: int

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
    def rebuild_lock(self, name: str) -> AbstractContextManager[None]:
        """Held for the whole of a rebuild: a second one at once is refused."""

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

    @abstractmethod
    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Rows of a read query, as dicts (times as aware datetimes)."""

    @abstractmethod
    def table(self, table: Table, suffix: str = "") -> str:
        """The qualified name of a read-model table (or of its shadow)."""

    @abstractmethod
    def close(self) -> None:
        """Close the connection."""


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


def _refill(table: Table, live: str, shadow: str, empty: str) -> list[str]:
    """Statements that empty a live table (``empty``: the dialect's way) and
    fill it from its shadow, keeping the table itself."""
    columns = ", ".join(table.column_names)
    return [
        f"{empty} {live}",
        f"INSERT INTO {live} ({columns}) SELECT {columns} FROM {shadow}",
        f"DROP TABLE {shadow}",
    ]


def _time_columns(table: Table) -> tuple[int, ...]:
    """Positions of the table's time columns: the only values converted on
    the way out (on SQLite, booleans bind as 0 and 1 by themselves)."""
    return tuple(i for i, (_, kind) in enumerate(table.columns) if kind == "ts")


_TIME_COLUMNS = tuple(_time_columns(t) for t in TABLES)


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

    def ensure_schema(self) -> None:
        for t in TABLES:
            for sql in create_table_sql(t, "sqlite"):
                self.conn.execute(sql)
        self.conn.execute(
            f"CREATE TABLE IF NOT EXISTS {TRACKING_TABLE}"
            " (name TEXT PRIMARY KEY, position INTEGER NOT NULL)"
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
    def rebuild_lock(self, name: str) -> Iterator[None]:
        import fcntl

        with open(f"{self.path}.{name}.rebuild-lock", "w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise ProjectionError(f"a rebuild of {name} is already running") from None
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def begin_rebuild(self, name: str, parts: int) -> None:
        with self._write():
            for t in TABLES:
                self.conn.execute(f"DROP TABLE IF EXISTS {t.name}{SHADOW}")
                # The key index comes at the swap: built once, sorted, faster
                # than kept up row by row.
                for sql in create_table_sql(t, "sqlite", suffix=SHADOW, key_index=False):
                    self.conn.execute(sql)
            self._drop_parts(name)
            self.conn.executemany(
                f"INSERT INTO {TRACKING_TABLE} (name, position) VALUES (?, 0)",
                [(part_tracking(name, i),) for i in range(parts)],
            )

    def start_parts(self, name: str, parts: int, position: int) -> None:
        with self._write():
            self.conn.executemany(
                f"UPDATE {TRACKING_TABLE} SET position = ? WHERE name = ?",
                [(position, part_tracking(name, i)) for i in range(parts)],
            )

    def finish_rebuild(self, name: str, parts: int, position: int) -> None:
        with self._write():
            for t in TABLES:
                shadow = f"{t.name}{SHADOW}"
                if self._customised(t):
                    for sql in _refill(t, t.name, shadow, "DELETE FROM"):
                        self.conn.execute(sql)
                    continue
                self.conn.execute(f"DROP TABLE IF EXISTS {t.name}")
                self.conn.execute(f"ALTER TABLE {shadow} RENAME TO {t.name}")
                if t.by_key:
                    self.conn.execute(key_index_sql(t))
            self._drop_parts(name)
            self.conn.execute(
                f"INSERT OR REPLACE INTO {TRACKING_TABLE} (name, position) VALUES (?, ?)",
                (name, position),
            )

    def _customised(self, table: Table) -> bool:
        """Whether a view or trigger names the live table, or it has an index
        of its users' (a view is found by its text: a false alarm only costs
        the slower way)."""
        ours = (f"{table.name}_key_idx",)
        for kind, name, sql in self.conn.execute(
            "SELECT type, name, sql FROM sqlite_master"
            " WHERE type IN ('view', 'trigger') OR (type = 'index' AND tbl_name = ?)",
            (table.name,),
        ):
            if kind == "index" and not (name in ours or name.startswith("sqlite_autoindex_")):
                return True
            if kind != "index" and re.search(rf"\b{table.name}\b", sql or "", re.IGNORECASE):
                return True
        return False

    def _drop_parts(self, name: str) -> None:
        prefix = part_tracking(name, 0)[:-1]
        self.conn.execute(
            f"DELETE FROM {TRACKING_TABLE} WHERE substr(name, 1, ?) = ?", (len(prefix), prefix)
        )

    @contextmanager
    def _write(self) -> Iterator[None]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return [dict(r) for r in self.conn.execute(sql.replace("%s", "?"), tuple(params))]

    def close(self) -> None:
        self.conn.close()


class _SQLitePage(Page):
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


class PostgresReadStore(ReadStore):
    """Read models in their own schema of the events' PostgreSQL database."""

    dialect = "postgresql"

    def __init__(self, store: Store) -> None:
        self.schema = store.reporting_schema
        self.conn = psycopg.connect(store.conninfo(), autocommit=True)
        # A crash may lose the last pages committed, never split a page from
        # its position (they commit together): the projection resumes from
        # what survived. Only this connection's commits stop waiting for the
        # WAL flush; the events' writes keep the server's setting.
        self.conn.execute("SET synchronous_commit = off")
        # Registered by oid: COPY's jsonb columns take JSON text as it is.
        self.conn.adapters.register_dumper(_JsonText, _JsonTextDumper)

    def table(self, table: Table, suffix: str = "") -> str:
        return f"{self.schema}.{table.name}{suffix}"

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
    def page(self, name: str, suffix: str = "") -> Iterator[Page]:
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
            yield _PostgresPage(self, name, suffix, int(row[0]))

    @contextmanager
    def rebuild_lock(self, name: str) -> Iterator[None]:
        key = f"{self.schema}.{name}"
        row = self.conn.execute("SELECT pg_try_advisory_lock(hashtext(%s))", (key,)).fetchone()
        if not (row and row[0]):
            raise ProjectionError(f"a rebuild of {name} is already running")
        try:
            yield
        finally:
            self.conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (key,))

    def begin_rebuild(self, name: str, parts: int) -> None:
        with self.conn.transaction():
            for t in TABLES:
                self.conn.execute(f"DROP TABLE IF EXISTS {self.table(t, SHADOW)}")
                # The key index comes at the swap: built once, sorted, faster
                # than kept up row by row.
                for sql in create_table_sql(
                    t, "postgresql", f"{self.schema}.", SHADOW, key_index=False
                ):
                    self.conn.execute(sql)
            self._drop_parts(name)
            with self.conn.cursor() as cur:
                cur.executemany(
                    f"INSERT INTO {self._tracking} (name, position) VALUES (%s, 0)",
                    [(part_tracking(name, i),) for i in range(parts)],
                )

    def start_parts(self, name: str, parts: int, position: int) -> None:
        with self.conn.transaction(), self.conn.cursor() as cur:
            cur.executemany(
                f"UPDATE {self._tracking} SET position = %s WHERE name = %s",
                [(position, part_tracking(name, i)) for i in range(parts)],
            )

    def finish_rebuild(self, name: str, parts: int, position: int) -> None:
        with self.conn.transaction():
            self.conn.execute(
                f"SELECT position FROM {self._tracking} WHERE name = %s FOR UPDATE", (name,)
            )
            for t in TABLES:
                live, shadow = self.table(t), self.table(t, SHADOW)
                if self._customised(t):
                    for sql in _refill(t, live, shadow, "TRUNCATE"):
                        self.conn.execute(sql)
                    continue
                self.conn.execute(f"DROP TABLE IF EXISTS {live}")
                self.conn.execute(f"ALTER TABLE {shadow} RENAME TO {t.name}")
                self.conn.execute(
                    f"ALTER INDEX {self.schema}.{t.name}{SHADOW}_pkey RENAME TO {t.name}_pkey"
                )
                if t.by_key:
                    self.conn.execute(key_index_sql(t, f"{self.schema}."))
            self._drop_parts(name)
            self.conn.execute(
                f"INSERT INTO {self._tracking} (name, position) VALUES (%s, %s)"
                " ON CONFLICT (name) DO UPDATE SET position = excluded.position",
                (name, position),
            )

    def _customised(self, table: Table) -> bool:
        """Whether anything of its users' hangs on the live table: a view or
        rule over it, a grant, an index, a trigger, a policy, a foreign key to
        it, a comment."""
        row = self.conn.execute(
            _CUSTOMISED,
            {
                "table": self.table(table),
                "ours": [f"{table.name}_pkey", f"{table.name}_key_idx"],
            },
        ).fetchone()
        return bool(row and row[0])

    def _drop_parts(self, name: str) -> None:
        prefix = part_tracking(name, 0)[:-1]
        self.conn.execute(
            f"DELETE FROM {self._tracking} WHERE left(name, %s) = %s", (len(prefix), prefix)
        )

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        with self.conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
            cur.execute(sql, tuple(params))
            return list(cur.fetchall())

    def close(self) -> None:
        self.conn.close()


class _PostgresPage(Page):
    def __init__(self, store: PostgresReadStore, name: str, suffix: str, start: int) -> None:
        self.store, self.name, self.suffix, self.start = store, name, suffix, start

    def load_entries(self, deal_ids: Sequence[str]) -> dict[str, list[Entry[DealEvent]]]:
        audit = self.store.table(AUDIT_TRAIL, self.suffix)
        return entries_by_deal(
            self.store.conn.execute(
                f"SELECT {ENTRY_COLUMNS} FROM {audit} WHERE deal_id = ANY(%s)",
                (list(deal_ids),),
            )
        )

    def replace(self, deal_ids: Sequence[str], rows: Iterable[DealRows]) -> None:
        conn = self.store.conn
        if deal_ids:
            ids = list(deal_ids)
            for t in TABLES:
                conn.execute(
                    f"DELETE FROM {self.store.table(t, self.suffix)} WHERE deal_id = ANY(%s)",
                    (ids,),
                )
        # The audit trail (most of the rows) streams to the server while the
        # rows are still being computed, so the server stores it meanwhile;
        # the other tables follow.
        audit = TABLES.index(AUDIT_TRAIL)
        later: list[list[Row]] = [[] for _ in TABLES]
        with conn.cursor() as cur:
            with self._copy(cur, AUDIT_TRAIL) as copy:
                write = copy.write_row
                for deal in rows:
                    for i, table_rows in enumerate(deal.in_table_order()):
                        if i == audit:
                            for row in table_rows:
                                write(row)
                        else:
                            later[i].extend(table_rows)
            for t, batch in zip(TABLES, later, strict=True):
                if batch:
                    with self._copy(cur, t) as copy:
                        for row in batch:
                            copy.write_row(row)

    @contextmanager
    def _copy(self, cur: psycopg.Cursor[Any], table: Table) -> Iterator[psycopg.Copy]:
        """A binary COPY into the table: no text to format for the client,
        none to parse for the server (times, above all, cost in both)."""
        columns = ", ".join(table.column_names)
        sql = f"COPY {self.store.table(table, self.suffix)} ({columns}) FROM STDIN (FORMAT BINARY)"
        with cur.copy(sql) as copy:
            copy.set_types(_COPY_TYPES[table.name])
            yield copy

    def advance(self, position: int) -> None:
        cur = self.store.conn.execute(
            f"UPDATE {self.store._tracking} SET position = %s WHERE name = %s AND position = %s",
            (position, self.name, self.start),
        )
        if cur.rowcount != 1:
            raise TrackingConflict(f"projection {self.name} moved from {self.start} meanwhile")


#: Whether anything of its users' hangs on a table (PostgreSQL's catalogs).
_CUSTOMISED = """
SELECT c.oid IS NOT NULL AND (
    c.relacl IS NOT NULL
    OR EXISTS (SELECT 1 FROM pg_depend d JOIN pg_rewrite r
               ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
               WHERE d.refobjid = c.oid AND r.ev_class <> c.oid)
    OR EXISTS (SELECT 1 FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
               WHERE i.indrelid = c.oid AND ic.relname <> ALL(%(ours)s))
    OR EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = c.oid AND NOT tgisinternal)
    OR EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = c.oid)
    OR EXISTS (SELECT 1 FROM pg_constraint WHERE confrelid = c.oid)
    OR EXISTS (SELECT 1 FROM pg_description
               WHERE classoid = 'pg_class'::regclass AND objoid = c.oid)
)
FROM (SELECT to_regclass(%(table)s) AS oid) t
LEFT JOIN pg_class c ON c.oid = t.oid
"""

#: Each table's column types, as COPY sends them.
_COPY_TYPES = {
    t.name: [
        {
            "text": "text",
            "int": "int8",
            "real": "float8",
            "bool": "bool",
            "ts": "timestamptz",
            "json": "jsonb",
        }[kind]
        for _, kind in t.columns
    ]
    for t in TABLES
}


class _JsonText(str):
    """JSON text: only names the class our jsonb dumper is registered for."""


class _JsonTextDumper(Dumper):
    """JSON text as binary ``jsonb``: a version byte, then the text itself.

    The rows hold their JSON already serialised; psycopg's own jsonb dumper
    would serialise that text again, into a JSON string.
    """

    format = pq.Format.BINARY
    oid = postgres.types["jsonb"].oid

    def dump(self, obj: Any) -> bytes:
        return b"\x01" + str(obj).encode()


def open_read_store(store: Store) -> ReadStore:
    """The read store for the configured store, with its tables created."""
    read: ReadStore
    read = SQLiteReadStore(store.path) if store.kind == "sqlite" else PostgresReadStore(store)
    read.ensure_schema()
    return read

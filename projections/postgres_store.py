"""The read models in their own schema of the events' PostgreSQL database."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import postgres, pq
from psycopg.adapt import Dumper

from domain.entries import Entry
from domain.events import DealEvent
from projections.errors import TrackingConflict
from projections.rows import DealRows, Row
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
    comment_sql,
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

if TYPE_CHECKING:
    from adapters.stores import Store


class PostgresReadStore(ReadStore):
    """Read models in their own schema of the events' PostgreSQL database."""

    dialect = "postgresql"

    def __init__(self, store: Store) -> None:
        self.schema = store.reporting_schema
        #: The schema as SQL names it: quoted, so that no schema name (even
        #: ``select``) is read as a keyword.
        self.schema_sql = f'"{self.schema}"'
        self.conn = psycopg.connect(store.conninfo(), autocommit=True)
        # A crash may lose the last pages committed, never split a page from
        # its position (they commit together): the projection resumes from
        # what survived. Only this connection's commits stop waiting for the
        # WAL flush; the events' writes keep the server's setting.
        self.conn.execute("SET synchronous_commit = off")
        # Registered by oid: COPY's jsonb columns take JSON text as it is.
        self.conn.adapters.register_dumper(_JsonText, _JsonTextDumper)

    def table(self, table: Table, suffix: str = "") -> str:
        return f"{self.schema_sql}.{table.name}{suffix}"

    def qualified(self, name: str) -> str:
        return f"{self.schema_sql}.{name}"

    @property
    def tracking(self) -> str:
        """The qualified name of the tracking table."""
        return f"{self.schema_sql}.{TRACKING_TABLE}"

    def ensure_schema(self) -> None:
        with self.conn.transaction():
            # Serialise first use: two processes creating tables at once would collide.
            self.conn.execute("SELECT pg_advisory_xact_lock(7261002)")
            self.conn.execute(f"CREATE SCHEMA IF NOT EXISTS {self.schema_sql}")
            self.conn.execute(
                f"CREATE TABLE IF NOT EXISTS {self.tracking}"
                " (name text PRIMARY KEY, position bigint NOT NULL)"
            )
            self.conn.execute(QUARANTINE_SQL.format(table=self.qualified(QUARANTINE_TABLE)))
            versions = f"{self.schema_sql}.{VERSION_TABLE}"
            self.conn.execute(
                f"CREATE TABLE IF NOT EXISTS {versions}"
                " (name text PRIMARY KEY, version integer NOT NULL)"
            )
            row = self.conn.execute(
                f"SELECT version FROM {versions} WHERE name = %s", (PROJECTION,)
            ).fetchone()
            if row is not None and row[0] == VERSION:
                return
            self._upgrade()
            for t in TABLES:
                for sql in create_table_sql(t, "postgresql", f"{self.schema_sql}."):
                    self.conn.execute(sql)
                self.comment(t)
            self.make_views()
            self.conn.execute(
                f"INSERT INTO {versions} (name, version) VALUES (%s, %s)"
                " ON CONFLICT (name) DO UPDATE SET version = excluded.version",
                (PROJECTION, VERSION),
            )

    def make_views(self) -> None:
        """The report views, made again (with what they mean, for BI tools)."""
        from psycopg.sql import SQL, Literal

        from projections.report_views import VIEWS, create_views_sql

        for sql in create_views_sql(self.table, self.qualified):
            self.conn.execute(sql)
        for v in VIEWS:
            about = SQL("COMMENT ON VIEW {} IS {}").format(
                SQL(self.qualified(v.name)), Literal(v.about)
            )
            self.conn.execute(about)

    def comment(self, table: Table, suffix: str = "") -> None:
        """What the table and each of its columns mean, for BI tools and psql's \\d+."""
        from psycopg.sql import SQL, Literal

        # COMMENT takes no parameters: the text goes in as a quoted literal.
        for statement, text in comment_sql(table, self.table(table, suffix)):
            self.conn.execute(SQL(statement.replace("%s", "{}")).format(Literal(text)))

    def _upgrade(self) -> None:
        """Read models of another version: the tables kept (with what users hung
        on them), their missing columns added, emptied, and the projection sent
        back to the first event; our views dropped (made again after), and the
        tables of earlier versions that are no more."""
        from projections.report_views import drop_views_sql

        for sql in drop_views_sql(self.qualified):
            self.conn.execute(sql)
        for retired in RETIRED:
            self.conn.execute(f"DROP TABLE IF EXISTS {self.qualified(retired)}")
        for t in TABLES:
            if self.conn.execute("SELECT to_regclass(%s)", (self.table(t),)).fetchone() == (None,):
                continue
            for name, kind in t.columns:
                self.conn.execute(
                    f"ALTER TABLE {self.table(t)} ADD COLUMN IF NOT EXISTS {name}"
                    f" {sql_type(kind, 'postgresql')}"
                )
            self.conn.execute(f"TRUNCATE {self.table(t)}")
        prefix = part_tracking(PROJECTION, 0)[:-1]
        self.conn.execute(
            f"DELETE FROM {self.tracking} WHERE name = %s OR left(name, %s) = %s",
            (PROJECTION, len(prefix), prefix),
        )

    def position(self, name: str) -> int:
        row = self.conn.execute(
            f"SELECT position FROM {self.tracking} WHERE name = %s",
            (name,),
        ).fetchone()
        return int(row[0]) if row else 0

    @contextmanager
    def page(self, name: str, suffix: str = "") -> Iterator[Page]:
        with self.conn.transaction():
            self.conn.execute(
                f"INSERT INTO {self.tracking} (name, position)"
                " VALUES (%s, 0) ON CONFLICT (name) DO NOTHING",
                (name,),
            )
            row = self.conn.execute(
                f"SELECT position FROM {self.tracking} WHERE name = %s FOR UPDATE",
                (name,),
            ).fetchone()
            assert row is not None
            yield _PostgresPage(self, name, suffix, int(row[0]))

    def shadow_tables(self) -> ShadowTables:
        from projections.postgres_shadow import PostgresShadowTables

        return PostgresShadowTables(self)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        with self.conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
            cur.execute(sql, tuple(params))
            return list(cur.fetchall())

    def close(self) -> None:
        self.conn.close()


class _PostgresPage(Page):
    store: PostgresReadStore

    def __init__(self, store: PostgresReadStore, name: str, suffix: str, start: int) -> None:
        self.store, self.name, self.suffix, self.start = store, name, suffix, start

    def execute(self, sql: str, params: Sequence[Any] = (), write: bool = False) -> list[Any]:
        cur = self.store.conn.execute(sql, tuple(params))
        return list(cur.fetchall()) if cur.description else []

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
            f"UPDATE {self.store.tracking} SET position = %s WHERE name = %s AND position = %s",
            (position, self.name, self.start),
        )
        if cur.rowcount != 1:
            raise TrackingConflict(f"projection {self.name} moved from {self.start} meanwhile")


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
            "money": "numeric",
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

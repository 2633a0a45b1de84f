"""A rebuild's shadow tables in the reporting schema: made fresh, filled
by the rebuild's parts, then put in the live tables' place at once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from projections.errors import ProjectionError
from projections.report_views import drop_views_sql
from projections.schema import (
    QUARANTINE_TABLE,
    SHADOW,
    TABLES,
    Table,
    comment_sql,
    create_table_sql,
    key_index_sql,
)
from projections.store import (
    HELPERS_PATIENCE,
    ShadowTables,
    part_tracking,
    quarantine_swap,
    refill_sql,
)

if TYPE_CHECKING:
    from projections.postgres_store import PostgresReadStore


class PostgresShadowTables(ShadowTables):
    """A rebuild's shadow tables in the reporting schema."""

    def __init__(self, store: PostgresReadStore) -> None:
        self.store = store

    @contextmanager
    def rebuild_lock(self, name: str) -> Iterator[None]:
        key = f"{self.store.schema}.{name}"
        row = self.store.conn.execute(
            "SELECT pg_try_advisory_lock(hashtext(%s))", (key,)
        ).fetchone()
        if not (row and row[0]):
            raise ProjectionError(f"a rebuild of {name} is already running")
        try:
            yield
        finally:
            self.store.conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (key,))

    def _helpers_key(self, name: str) -> str:
        return f"{self.store.schema}.{name}.helpers"

    @contextmanager
    def hold_as_helper(self, name: str) -> Iterator[None]:
        key = self._helpers_key(name)
        self.store.conn.execute("SELECT pg_advisory_lock_shared(hashtext(%s))", (key,))
        try:
            yield
        finally:
            self.store.conn.execute("SELECT pg_advisory_unlock_shared(hashtext(%s))", (key,))

    def wait_for_helpers(self, name: str) -> None:
        key, deadline = self._helpers_key(name), time.monotonic() + HELPERS_PATIENCE
        while True:
            row = self.store.conn.execute(
                "SELECT pg_try_advisory_lock(hashtext(%s))", (key,)
            ).fetchone()
            if row and row[0]:
                self.store.conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (key,))
                return
            if time.monotonic() > deadline:
                raise ProjectionError(f"helpers of an earlier rebuild of {name} are still running")
            time.sleep(0.05)

    def begin_rebuild(self, name: str, parts: int) -> None:
        with self.store.conn.transaction():
            for t in TABLES:
                self.store.conn.execute(f"DROP TABLE IF EXISTS {self.store.table(t, SHADOW)}")
                # The key index comes at the swap: built once, sorted, faster
                # than kept up row by row.
                for sql in create_table_sql(
                    t, "postgresql", f"{self.store.schema_sql}.", SHADOW, key_index=False
                ):
                    self.store.conn.execute(sql)
                self.store.comment(t, SHADOW)
            table = self.store.qualified(QUARANTINE_TABLE)
            for sql, params in quarantine_swap(table, name, begin=True):
                self.store.conn.execute(sql, params)
            self._drop_parts(name)
            with self.store.conn.cursor() as cur:
                cur.executemany(
                    f"INSERT INTO {self.store.tracking} (name, position) VALUES (%s, 0)",
                    [(part_tracking(name, i),) for i in range(parts)],
                )

    def start_parts(self, name: str, parts: int, position: int) -> None:
        with self.store.conn.transaction(), self.store.conn.cursor() as cur:
            cur.executemany(
                f"UPDATE {self.store.tracking} SET position = %s WHERE name = %s",
                [(position, part_tracking(name, i)) for i in range(parts)],
            )

    def finish_rebuild(self, name: str, parts: int, position: int) -> None:
        with self.store.conn.transaction():
            self.store.conn.execute(
                f"SELECT position FROM {self.store.tracking} WHERE name = %s FOR UPDATE", (name,)
            )
            ours = self._drop_views()
            for t in TABLES:
                live, shadow = self.store.table(t), self.store.table(t, SHADOW)
                if self._customised(t):
                    for sql in refill_sql(t, live, shadow, "TRUNCATE"):
                        self.store.conn.execute(sql)
                    continue
                self.store.conn.execute(f"DROP TABLE IF EXISTS {live}")
                self.store.conn.execute(f"ALTER TABLE {shadow} RENAME TO {t.name}")
                self.store.conn.execute(
                    f"ALTER INDEX {self.store.schema_sql}.{t.name}{SHADOW}_pkey"
                    f" RENAME TO {t.name}_pkey"
                )
                if t.by_key:
                    self.store.conn.execute(key_index_sql(t, f"{self.store.schema_sql}."))
            if ours:
                self.store.make_views()
            self._drop_parts(name)
            for sql, params in quarantine_swap(self.store.qualified(QUARANTINE_TABLE), name):
                self.store.conn.execute(sql, params)
            self.store.conn.execute(
                f"INSERT INTO {self.store.tracking} (name, position) VALUES (%s, %s)"
                " ON CONFLICT (name) DO UPDATE SET position = excluded.position",
                (name, position),
            )
        # Tables swapped in have no statistics yet: without them the planner
        # reads a whole table where an index would find a few rows.
        for t in TABLES:
            self.store.conn.execute(f"ANALYZE {self.store.table(t)}")

    def _drop_views(self) -> bool:
        """Drop the report views, so that they do not pin the tables to the
        slower refill; False (and the views kept) if a view of the users'
        is built on them."""
        import psycopg

        try:
            with self.store.conn.transaction():
                for sql in drop_views_sql(self.store.qualified):
                    self.store.conn.execute(sql)
        except psycopg.errors.DependentObjectsStillExist:
            return False
        return True

    def _customised(self, table: Table) -> bool:
        """Whether anything of its users' hangs on the live table: a view or
        rule over it, a grant, an index, a trigger, a policy, a foreign key to
        it, a comment."""
        row = self.store.conn.execute(
            _CUSTOMISED,
            {
                "table": self.store.table(table),
                "ours": [f"{table.name}_pkey", f"{table.name}_key_idx"],
                "comments": [text for _, text in comment_sql(table, table.name)],
            },
        ).fetchone()
        return bool(row and row[0])

    def _drop_parts(self, name: str) -> None:
        prefix = part_tracking(name, 0)[:-1]
        self.store.conn.execute(
            f"DELETE FROM {self.store.tracking} WHERE left(name, %s) = %s", (len(prefix), prefix)
        )


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
               WHERE classoid = 'pg_class'::regclass AND objoid = c.oid
               AND description <> ALL(%(comments)s))
)
FROM (SELECT to_regclass(%(table)s) AS oid) t
LEFT JOIN pg_class c ON c.oid = t.oid
"""

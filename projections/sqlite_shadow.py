"""A rebuild's shadow tables in the SQLite file: made fresh, filled
by the rebuild's parts, then put in the live tables' place at once."""

from __future__ import annotations

import re
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
    TRACKING_TABLE,
    Table,
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
    from projections.sqlite_store import SQLiteReadStore


class SQLiteShadowTables(ShadowTables):
    """A rebuild's shadow tables in the SQLite file."""

    def __init__(self, store: SQLiteReadStore) -> None:
        self.store = store

    @contextmanager
    def rebuild_lock(self, name: str) -> Iterator[None]:
        import fcntl

        with open(f"{self.store.path}.{name}.rebuild-lock", "w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise ProjectionError(f"a rebuild of {name} is already running") from None
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    @contextmanager
    def hold_as_helper(self, name: str) -> Iterator[None]:
        import fcntl

        with open(f"{self.store.path}.{name}.helpers-lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_SH)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def wait_for_helpers(self, name: str) -> None:
        import fcntl

        deadline = time.monotonic() + HELPERS_PATIENCE
        with open(f"{self.store.path}.{name}.helpers-lock", "a") as lock:
            while True:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise ProjectionError(
                            f"helpers of an earlier rebuild of {name} are still running"
                        ) from None
                    time.sleep(0.05)
            fcntl.flock(lock, fcntl.LOCK_UN)

    def begin_rebuild(self, name: str, parts: int) -> None:
        with self.store.write():
            for t in TABLES:
                self.store.conn.execute(f"DROP TABLE IF EXISTS {t.name}{SHADOW}")
                # The key index comes at the swap: built once, sorted, faster
                # than kept up row by row.
                for sql in create_table_sql(t, "sqlite", suffix=SHADOW, key_index=False):
                    self.store.conn.execute(sql)
            for sql, params in quarantine_swap(QUARANTINE_TABLE, name, begin=True):
                self.store.conn.execute(sql.replace("%s", "?"), params)
            self._drop_parts(name)
            self.store.conn.executemany(
                f"INSERT INTO {TRACKING_TABLE} (name, position) VALUES (?, 0)",
                [(part_tracking(name, i),) for i in range(parts)],
            )

    def start_parts(self, name: str, parts: int, position: int) -> None:
        with self.store.write():
            self.store.conn.executemany(
                f"UPDATE {TRACKING_TABLE} SET position = ? WHERE name = ?",
                [(position, part_tracking(name, i)) for i in range(parts)],
            )

    def finish_rebuild(self, name: str, parts: int, position: int) -> None:
        with self.store.write():
            # Our views would pin the tables to the slower refill: made again after.
            for sql in drop_views_sql(self.store.qualified):
                self.store.conn.execute(sql)
            for t in TABLES:
                shadow = f"{t.name}{SHADOW}"
                if self._customised(t):
                    for sql in refill_sql(t, t.name, shadow, "DELETE FROM"):
                        self.store.conn.execute(sql)
                    continue
                self.store.conn.execute(f"DROP TABLE IF EXISTS {t.name}")
                self.store.conn.execute(f"ALTER TABLE {shadow} RENAME TO {t.name}")
                if t.by_key:
                    self.store.conn.execute(key_index_sql(t))
            self.store.make_views()
            self._drop_parts(name)
            for sql, params in quarantine_swap(QUARANTINE_TABLE, name):
                self.store.conn.execute(sql.replace("%s", "?"), params)
            self.store.conn.execute(
                f"INSERT OR REPLACE INTO {TRACKING_TABLE} (name, position) VALUES (?, ?)",
                (name, position),
            )

    def _customised(self, table: Table) -> bool:
        """Whether a view or trigger names the live table, or it has an index
        of its users' (a view is found by its text: a false alarm only costs
        the slower way)."""
        ours = (f"{table.name}_key_idx",)
        for kind, name, sql in self.store.conn.execute(
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
        self.store.conn.execute(
            f"DELETE FROM {TRACKING_TABLE} WHERE substr(name, 1, ?) = ?", (len(prefix), prefix)
        )

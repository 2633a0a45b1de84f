"""Opening the read models of the configured store."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from adapters.stores import Store
    from projections.store import ReadStore


def open_read_store(store: Store) -> ReadStore:
    """The read store for the configured store, with its tables created
    (each dialect's module, and its driver, imported only when used)."""
    read: ReadStore
    if store.kind == "sqlite":
        from projections.sqlite_store import SQLiteReadStore

        read = SQLiteReadStore(store.path)
    else:
        from projections.postgres_store import PostgresReadStore

        read = PostgresReadStore(store)
    read.ensure_schema()
    return read

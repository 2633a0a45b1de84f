"""The raw baseline of bench/commands.py: one INSERT of one event row per
transaction into a table of the events table's shape, with the store's
durability (SQLite as the library opens it; PostgreSQL autocommit)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Protocol
from uuid import UUID

import psycopg

from adapters.stores import Store


class RawTable(Protocol):
    def insert(self, oid: UUID, version: int) -> None: ...

    def close(self) -> None: ...


class SqliteRaw:
    """A table of the events table's shape in its own file, opened as the library
    opens its store: autocommit, WAL, the default synchronous."""

    def __init__(self, path: Path, topic: str, state: bytes, chain: bytes) -> None:
        self.row = (topic, state, chain)
        self.conn = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False, cached_statements=True
        )
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute(
            "CREATE TABLE raw_events (originator_id TEXT, originator_version INTEGER,"
            " topic TEXT, state BLOB, chain BLOB,"
            " PRIMARY KEY(originator_id, originator_version))"
        )

    def insert(self, oid: UUID, version: int) -> None:
        self.conn.execute("BEGIN")
        self.conn.execute(
            "INSERT INTO raw_events (originator_id, originator_version, topic, state, chain)"
            " VALUES (?, ?, ?, ?, ?)",
            (oid.hex, version, *self.row),
        )
        self.conn.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()


class PostgresRaw:
    """A table of the events table's shape in its own schema, one prepared
    autocommit INSERT a row."""

    def __init__(self, url: str, schema: str, topic: str, state: bytes, chain: bytes) -> None:
        self.row = (topic, state, chain)
        self.table = f"{schema}.raw_events"
        self.conn = psycopg.connect(Store.parse(url).conninfo(), autocommit=True)
        self.conn.execute(f"CREATE SCHEMA {schema}")
        self.conn.execute(
            f"CREATE TABLE {self.table} (originator_id uuid, originator_version bigint,"
            " topic text, state bytea, chain bytea, notification_id bigserial,"
            " PRIMARY KEY(originator_id, originator_version))"
        )
        self.conn.execute(f"CREATE UNIQUE INDEX ON {self.table} (notification_id)")
        self.sql = (
            f"INSERT INTO {self.table} (originator_id, originator_version, topic, state, chain)"
            " VALUES (%s, %s, %s, %s, %s)"
        )

    def insert(self, oid: UUID, version: int) -> None:
        self.conn.execute(self.sql, (oid, version, *self.row), prepare=True)

    def close(self) -> None:
        self.conn.close()

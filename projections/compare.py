"""``verify --read-models``: rebuild the read models aside, from the events
alone, and report every row that differs from the live ones (a row edited,
deleted or added in a read model, or a projection that went wrong).

The rebuild goes to a temporary SQLite file beside nothing (SQLite) or a
schema of its own, dropped afterwards (PostgreSQL); the live read models are
first brought up to the head of the log, so both saw the same events.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from projections.engine import Projector
from projections.schema import TABLES, Table

if TYPE_CHECKING:
    from cli.context import Salesflow

#: At most this many differing rows are listed per table and side.
SHOWN = 50


def compare_read_models(flow: Salesflow) -> list[dict[str, Any]]:
    """Each row that differs: its table, ``what`` (``only live``: edited or
    added there; ``only rebuilt``: edited or deleted there) and the row."""
    flow.fresh()
    store = flow.settings.store
    if store.kind == "sqlite":
        return _sqlite(flow, store.path)
    return _postgres(flow)


def _differences(
    table: Table, rows: list[tuple[str, list[tuple[Any, ...]]]]
) -> list[dict[str, Any]]:
    names = table.column_names
    return [
        {"table": table.name, "what": what, "row": dict(zip(names, r, strict=True))}
        for what, found in rows
        for r in found
    ]


def _compared(
    execute: Callable[..., Any], live: Callable[[str], str], built: Callable[[str], str]
) -> list[dict[str, Any]]:
    """Every table's rows found on one side only (``EXCEPT`` both ways)."""
    out: list[dict[str, Any]] = []
    for table in TABLES:
        cols = ", ".join(f'"{c}"' for c in table.column_names)
        a_, b_ = live(table.name), built(table.name)
        sides = [
            (
                what,
                execute(
                    f"SELECT {cols} FROM {a} EXCEPT SELECT {cols} FROM {b} LIMIT {SHOWN}"
                ).fetchall(),
            )
            for what, a, b in (("only live", a_, b_), ("only rebuilt", b_, a_))
        ]
        out.extend(_differences(table, sides))
    return out


def _sqlite(flow: Salesflow, path: str) -> list[dict[str, Any]]:
    from projections.sqlite_store import SQLiteReadStore

    out: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="salesflow-verify-") as tmp:
        aside = str(Path(tmp) / "rebuilt.db")
        shadow = SQLiteReadStore(aside)
        try:
            shadow.ensure_schema()
            Projector(flow.process, shadow, settings=flow.settings).catch_up()
        finally:
            shadow.close()
        conn = sqlite3.connect(path, timeout=30)
        try:
            conn.execute("ATTACH DATABASE ? AS rebuilt", (aside,))
            out.extend(_compared(conn.execute, lambda t: f"main.{t}", lambda t: f"rebuilt.{t}"))
        finally:
            conn.close()
    return out


def _postgres(flow: Salesflow) -> list[dict[str, Any]]:
    import os

    import psycopg

    from projections.postgres_store import PostgresReadStore

    store = flow.settings.store
    aside = f"salesflow_verify_{os.getpid()}"
    shadow = PostgresReadStore(store.model_copy(update={"reporting_schema": aside}))
    out: list[dict[str, Any]] = []
    try:
        shadow.ensure_schema()
        Projector(flow.process, shadow, settings=flow.settings).catch_up()
        with psycopg.connect(store.conninfo()) as conn:
            out.extend(
                _compared(
                    conn.execute,
                    lambda t: f'"{store.reporting_schema}".{t}',
                    lambda t: f'"{aside}".{t}',
                )
            )
    finally:
        shadow.close()
        with psycopg.connect(store.conninfo(), autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{aside}" CASCADE')
    return out

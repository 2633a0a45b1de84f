"""Read queries over the read models, shaped for the CLI and for export."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from domain.entries import Entry
from domain.events import DealEvent
from domain.opportunity import deal_id
from projections.cells import csv_cell, money, plain, spreadsheet_cell
from projections.schema import AUDIT_TRAIL, LOSSES, PIPELINE, TABLES, Table
from projections.store import ENTRY_COLUMNS, ReadStore, as_json, as_moment, entries_by_deal

_LIST_COLUMNS = {"missing_milestones", "skipped_milestones"}
_JSON_COLUMNS = {"data", "forced_advances"}


def typed(table: Table, row: dict[str, Any], tz: ZoneInfo) -> dict[str, Any]:
    """Uniform Python values from either dialect: aware datetimes in ``tz``,
    booleans, lists for id lists, parsed JSON."""
    kinds = dict(table.columns)
    out: dict[str, Any] = {}
    for name, value in row.items():
        kind = kinds.get(name)
        if kind == "ts":
            value = as_moment(value).astimezone(tz) if value is not None else None
        elif kind == "bool" and value is not None:
            value = bool(value)
        elif kind == "money":
            value = money(value)
        elif name in _LIST_COLUMNS:
            value = [v for v in str(value or "").split(";") if v]
        elif name in _JSON_COLUMNS:
            value = as_json(value)
        out[name] = value
    return out


def days_between(start: datetime, end: datetime, tz: ZoneInfo) -> int:
    """Calendar days between two moments' dates in ``tz``."""
    return (end.astimezone(tz).date() - start.astimezone(tz).date()).days


def pipeline(
    read: ReadStore,
    tz: ZoneInfo,
    as_of: datetime,
    after: str | None = None,
    limit: int | None = None,
    **wanted: str | None,
) -> list[dict[str, Any]]:
    """Every deal, one row each, ordered by key; ``days_in_stage`` at ``as_of``.
    Only the deals after the key ``after``, at most ``limit``, whose columns
    hold the ``wanted`` values (None: any), chosen by the database."""
    where, params = ["TRUE"], []
    if after is not None:
        where.append("key > %s")
        params.append(after)
    for column, value in wanted.items():
        if value is not None:
            assert column in PIPELINE.column_names, column
            where.append(f"{column} = %s")
            params.append(value)
    sql = f"SELECT * FROM {read.table(PIPELINE)} WHERE {' AND '.join(where)} ORDER BY key"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return [pipeline_row(raw, tz, as_of) for raw in read.query(sql, params)]


def pipeline_row(raw: dict[str, Any], tz: ZoneInfo, as_of: datetime) -> dict[str, Any]:
    """A pipeline row as read, typed, with its ``days_in_stage`` at ``as_of``."""
    row = typed(PIPELINE, raw, tz)
    row["days_in_stage"] = days_between(row["stage_entered_at"], row["closed_at"] or as_of, tz)
    return row


def audit(read: ReadStore, tz: ZoneInfo, key: str) -> list[dict[str, Any]]:
    """The deal's history, one row per entry, in seq order."""
    rows = read.query(
        f"SELECT * FROM {read.table(AUDIT_TRAIL)} WHERE deal_id = %s AND key = %s ORDER BY seq",
        (str(deal_id(key)), key),
    )
    return [typed(AUDIT_TRAIL, r, tz) for r in rows]


def losses(read: ReadStore, tz: ZoneInfo) -> list[dict[str, Any]]:
    """Lost, withdrawn and abandoned deals, ordered by key."""
    rows = read.query(f"SELECT * FROM {read.table(LOSSES)} ORDER BY key")
    return [typed(LOSSES, r, tz) for r in rows]


def owners(read: ReadStore) -> list[dict[str, Any]]:
    """Each deal's id and owner (to narrow other read models by owner)."""
    return read.query(f"SELECT deal_id, owner FROM {read.table(PIPELINE)}")


def entries(read: ReadStore, key: str | None = None) -> dict[str, list[Entry[DealEvent]]]:
    """Deals' histories as projected into the audit trail (one deal, or all)."""
    where, params = (
        ("WHERE deal_id = %s AND key = %s", (str(deal_id(key)), key))
        if key is not None
        else ("", ())
    )
    rows = read.query(
        f"SELECT {ENTRY_COLUMNS} FROM {read.table(AUDIT_TRAIL)} {where} ORDER BY deal_id, seq",
        params,
    )
    return entries_by_deal(tuple(r.values()) for r in rows)


def histories(read: ReadStore, keys: list[str]) -> dict[str, list[Entry[DealEvent]]]:
    """Several deals' histories from the audit trail in one query, by key."""
    if not keys:
        return {}
    ids = {str(deal_id(k)): k for k in keys}
    marks = ", ".join("%s" for _ in ids)
    rows = read.query(
        f"SELECT {ENTRY_COLUMNS} FROM {read.table(AUDIT_TRAIL)}"
        f" WHERE deal_id IN ({marks}) ORDER BY deal_id, seq",
        list(ids),
    )
    found = entries_by_deal(tuple(r.values()) for r in rows)
    return {ids[d]: found.get(d, []) for d in ids}


def table_rows(read: ReadStore, table: Table, tz: ZoneInfo) -> list[dict[str, Any]]:
    """A whole read model, ordered by its key."""
    order = ", ".join(("key", *table.key[1:]))
    rows = read.query(f"SELECT * FROM {read.table(table)} ORDER BY {order}")
    return [typed(table, r, tz) for r in rows]


def export(read: ReadStore, tz: ZoneInfo, fmt: str, out: Path) -> list[Path]:
    """Write every read model to ``out`` as csv, json or parquet files."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for table in TABLES:
        rows = table_rows(read, table, tz)
        path = out / f"{table.name}.{fmt}"
        if fmt == "json":
            doc = [{k: plain(v) for k, v in r.items()} for r in rows]
            path.write_text(json.dumps(doc, ensure_ascii=False, indent=1), "utf-8")
        elif fmt == "csv":
            with path.open("w", newline="", encoding="utf-8") as f:
                w = csv.writer(f)
                w.writerow(table.column_names)
                for r in rows:
                    w.writerow([spreadsheet_cell(r[c]) for c in table.column_names])
        else:
            _parquet(table, rows, path)
        written.append(path)
    return written


def _parquet_cell(value: Any, kind: str) -> Any:
    if isinstance(value, list | dict):
        return csv_cell(value)
    if kind == "money" and value is not None:
        return Decimal(value)
    return value


def _parquet(table: Table, rows: list[dict[str, Any]], path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    # The schema comes from the table, not from the data: a column that holds
    # only nulls keeps its declared type, and every export has the same shape.
    types = {
        "text": pa.string(),
        "int": pa.int64(),
        "real": pa.float64(),
        "bool": pa.bool_(),
        "ts": pa.timestamp("us", tz="UTC"),
        "json": pa.string(),
        "money": pa.decimal128(20, 2),
    }
    schema = pa.schema([(name, types[kind]) for name, kind in table.columns])
    kinds = dict(table.columns)
    columns = {c: [_parquet_cell(r[c], kinds[c]) for r in rows] for c in table.column_names}
    pq.write_table(pa.table(columns, schema=schema), path)

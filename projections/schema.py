"""The read models' tables: one column list serves both SQL dialects.

Times are ``timestamptz`` on PostgreSQL and ISO 8601 text in UTC on SQLite
(so that text order is time order); lists of ids are ``;``-joined text.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

PROJECTION = "reporting"
TRACKING_TABLE = "salesflow_tracking"
#: A rebuild writes into tables of this suffix, then swaps them in at once.
SHADOW = "__rebuild"


@dataclass(frozen=True)
class Table:
    """A read-model table: its name, its columns (name, type) and its key.

    ``by_key``: also indexed on the business key. The one-row-per-deal tables
    are; the per-event and per-stay ones are found by ``deal_id`` (the id of
    a key is fixed: ``domain.opportunity.deal_id``), which spares the largest
    tables a second index to keep up.
    """

    name: str
    columns: tuple[tuple[str, str], ...]
    key: tuple[str, ...]
    by_key: bool = True
    #: Makes one row from its columns by name: ``PIPELINE.row(deal_id=..., ...)``
    #: (a named tuple, so a misspelt, missing or extra column is refused).
    row: Callable[..., tuple[Any, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "row", _row_maker(self.name, self.column_names))

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c for c, _ in self.columns)


def _row_maker(name: str, columns: tuple[str, ...]) -> Callable[..., tuple[Any, ...]]:
    """A function taking every column by keyword and returning the row as a
    named tuple in column order. Written out (as ``namedtuple`` writes its
    own) because a rebuild makes a row per event: binding keywords to a plain
    function costs a third of calling the named tuple's class with them."""
    if not all(c.isidentifier() for c in columns):
        raise ValueError(f"table {name}: column names must be identifiers")
    cls = namedtuple(f"{name}_row", columns)  # type: ignore[misc]
    args = ", ".join(columns)
    namespace: dict[str, Any] = {"_new": tuple.__new__, "_cls": cls}
    exec(f"def row(*, {args}):\n    return _new(_cls, ({args},))", namespace)
    maker: Callable[..., tuple[Any, ...]] = namespace["row"]
    maker.__qualname__ = maker.__name__ = f"{name}_row"
    return maker


_SQL_TYPES = {
    "postgresql": {
        "text": "text",
        "int": "bigint",
        "real": "double precision",
        "bool": "boolean",
        "ts": "timestamptz",
        "json": "jsonb",
    },
    "sqlite": {
        "text": "TEXT",
        "int": "INTEGER",
        "real": "REAL",
        "bool": "INTEGER",
        "ts": "TEXT",
        "json": "TEXT",
    },
}

PIPELINE = Table(
    "pipeline",
    (
        ("deal_id", "text"),
        ("key", "text"),
        ("customer", "text"),
        ("title", "text"),
        ("owner", "text"),
        ("stage", "text"),
        ("outcome", "text"),
        ("grade", "text"),
        ("engagement", "text"),
        ("customer_step", "text"),
        ("expected_stage", "text"),
        ("alignment", "text"),
        ("missing_milestones", "text"),
        ("forced_count", "int"),
        ("win_probability", "real"),
        ("win_probability_explained", "text"),
        ("stage_entered_at", "ts"),
        ("stage_entered_recorded_at", "ts"),
        ("tender_expected", "text"),
        ("last_activity_at", "ts"),
        ("opened_at", "ts"),
        ("closed_at", "ts"),
        ("version", "int"),
        ("updated_recorded_at", "ts"),
    ),
    ("deal_id",),
)

STAGE_HISTORY = Table(
    "stage_history",
    (
        ("deal_id", "text"),
        ("key", "text"),
        ("stay", "int"),
        ("stage", "text"),
        ("entered_at", "ts"),
        ("entered_recorded_at", "ts"),
        ("entered_seq", "int"),
        ("left_at", "ts"),
        ("left_recorded_at", "ts"),
        ("left_seq", "int"),
        ("left_how", "text"),
        ("skipped_milestones", "text"),
        ("duration_days", "real"),
    ),
    ("deal_id", "stay"),
    by_key=False,
)

AUDIT_TRAIL = Table(
    "audit_trail",
    (
        ("deal_id", "text"),
        ("key", "text"),
        ("seq", "int"),
        ("event", "text"),
        ("occurred_at", "ts"),
        ("recorded_at", "ts"),
        ("actor", "text"),
        ("stage", "text"),
        ("summary", "text"),
        ("data", "json"),
        ("note", "text"),
        ("retracted", "bool"),
        ("retracted_recorded_at", "ts"),
        ("retracted_by_seq", "int"),
    ),
    ("deal_id", "seq"),
    by_key=False,
)

MILESTONES = Table(
    "milestones",
    (
        ("deal_id", "text"),
        ("key", "text"),
        ("milestone", "text"),
        ("milestone_stage", "text"),
        ("period", "int"),
        ("met", "bool"),
        ("met_from", "ts"),
        ("met_from_recorded_at", "ts"),
        ("met_by_seq", "int"),
        ("met_until", "ts"),
        ("met_until_recorded_at", "ts"),
        ("ended_by_seq", "int"),
        ("ended_how", "text"),
        ("forced_past", "bool"),
    ),
    ("deal_id", "milestone", "period"),
    by_key=False,
)

LOSSES = Table(
    "losses",
    (
        ("deal_id", "text"),
        ("key", "text"),
        ("customer", "text"),
        ("outcome", "text"),
        ("stage", "text"),
        ("reason", "text"),
        ("competitor", "text"),
        ("missing_milestones", "text"),
        ("forced_advances", "json"),
        ("forced_count", "int"),
        ("price_fight", "bool"),
        ("opened_at", "ts"),
        ("closed_at", "ts"),
        ("closed_recorded_at", "ts"),
        ("days_in_pipeline", "int"),
        ("explanation", "text"),
    ),
    ("deal_id",),
)

TABLES: tuple[Table, ...] = (PIPELINE, STAGE_HISTORY, AUDIT_TRAIL, MILESTONES, LOSSES)


def create_table_sql(
    table: Table, dialect: str, prefix: str = "", suffix: str = "", key_index: bool = True
) -> list[str]:
    """CREATE TABLE (named ``prefix + name + suffix``) and, unless told not
    to, an index on the business key, for a dialect.

    The primary key is named after the table, so that a rebuilt table swapped
    in under the live name can take the live key's name too (PostgreSQL).
    """
    types = _SQL_TYPES[dialect]
    cols = ", ".join(f"{name} {types[kind]}" for name, kind in table.columns)
    name = f"{prefix}{table.name}{suffix}"
    key = f"PRIMARY KEY ({', '.join(table.key)})"
    if dialect == "postgresql":
        key = f"CONSTRAINT {table.name}{suffix}_pkey {key}"
    sql = [f"CREATE TABLE IF NOT EXISTS {name} ({cols}, {key})"]
    if key_index and table.by_key:
        sql.append(key_index_sql(table, prefix, suffix))
    return sql


def key_index_sql(table: Table, prefix: str = "", suffix: str = "") -> str:
    """The index on the business key (``key``) of a table."""
    return (
        f"CREATE INDEX IF NOT EXISTS {table.name}{suffix}_key_idx"
        f" ON {prefix}{table.name}{suffix} (key)"
    )

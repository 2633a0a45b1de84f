"""The read models' tables: one column list serves both SQL dialects.

Times are ``timestamptz`` on PostgreSQL and ISO 8601 text in UTC on SQLite
(so that text order is time order); lists of ids are ``;``-joined text.
"""

from __future__ import annotations

from dataclasses import dataclass

PROJECTION = "reporting"
TRACKING_TABLE = "salesflow_tracking"


@dataclass(frozen=True)
class Table:
    """A read-model table: its name, its columns (name, type) and its key."""

    name: str
    columns: tuple[tuple[str, str], ...]
    key: tuple[str, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c for c, _ in self.columns)


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


def create_table_sql(table: Table, dialect: str, prefix: str = "") -> list[str]:
    """CREATE TABLE and an index on the business key, for a dialect."""
    types = _SQL_TYPES[dialect]
    cols = ", ".join(f"{name} {types[kind]}" for name, kind in table.columns)
    name = f"{prefix}{table.name}"
    sql = [f"CREATE TABLE IF NOT EXISTS {name} ({cols}, PRIMARY KEY ({', '.join(table.key)}))"]
    sql.append(f"CREATE INDEX IF NOT EXISTS {table.name}_key_idx ON {name} (key)")
    return sql

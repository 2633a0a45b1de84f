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
#: The read models' version: raised whenever a table's columns or the way its
#: rows are made changes. A store whose read models are of another version has
#: them dropped and rebuilt from the first event on first use.
VERSION = 8
#: Where each projection's version is kept.
VERSION_TABLE = "salesflow_schema"
#: The deals a projection could not project: each with the entry that failed and why.
QUARANTINE_TABLE = "salesflow_quarantine"
QUARANTINE_SQL = (
    "CREATE TABLE IF NOT EXISTS {table} (name TEXT NOT NULL, deal_id TEXT NOT NULL,"
    " key TEXT, seq INTEGER, event TEXT, reason TEXT NOT NULL, PRIMARY KEY (name, deal_id))"
)
TRACKING_TABLE = "salesflow_tracking"
#: A rebuild writes into tables of this suffix, then swaps them in at once.
SHADOW = "__rebuild"
#: Tables of earlier versions that are no more: dropped at the upgrade.
RETIRED = ("milestone_exits",)


@dataclass(frozen=True)
class Table:
    """A read-model table: its name, its columns (name, type) and its key.

    ``by_key``: also indexed on the business key. The one-row-per-deal tables
    are; the per-event and per-stay ones are found by ``deal_id`` (the id of
    a key is fixed: ``domain.opportunity.deal_id``), which spares the largest
    tables a second index to keep up.
    """

    name: str
    #: What a row is, for people (and PostgreSQL's COMMENT ON TABLE).
    about: str
    #: Each column: its name, its type and its meaning (COMMENT ON COLUMN).
    spec: tuple[tuple[str, str, str], ...]
    key: tuple[str, ...]
    by_key: bool = True
    #: Makes one row from its columns by name: ``PIPELINE.row(deal_id=..., ...)``
    #: (a named tuple, so a misspelt, missing or extra column is refused).
    row: Callable[..., tuple[Any, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "row", _row_maker(self.name, self.column_names))

    @property
    def columns(self) -> tuple[tuple[str, str], ...]:
        """Each column's name and type."""
        return tuple((name, kind) for name, kind, _ in self.spec)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(name for name, _, _ in self.spec)

    @property
    def meanings(self) -> dict[str, str]:
        """Each column's meaning, by name."""
        return {name: meaning for name, _, meaning in self.spec}


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
        "money": "numeric(20, 2)",
    },
    "sqlite": {
        "text": "TEXT",
        "int": "INTEGER",
        "real": "REAL",
        "bool": "INTEGER",
        "ts": "TEXT",
        "json": "TEXT",
        "money": "NUMERIC",
    },
}

PIPELINE = Table(
    "pipeline",
    "One row per deal: where it stands now.",
    (
        ("deal_id", "text", "The deal's id (a uuid5 of its key: fixed for a key)."),
        ("key", "text", "The deal's business key."),
        ("customer", "text", "The customer (as corrected, if it was)."),
        ("title", "text", "What the deal is for."),
        ("owner", "text", "The salesperson."),
        ("stage", "text", "Our sales stage (development .. implementation)."),
        ("outcome", "text", "open, won, lost, withdrawn, abandoned or nurture."),
        ("grade", "text", "The customer grade A-D; null until graded."),
        ("engagement", "text", "The effort the grade deserves (pursue .. deprioritize)."),
        ("customer_step", "text", "The customer's procurement step last observed; null if none."),
        ("expected_stage", "text", "The stage that mirrors the customer's step."),
        ("alignment", "text", "unknown, behind, ahead or aligned."),
        (
            "missing_milestones",
            "text",
            "Unmet milestones up to max(stage, expected stage), ';'-joined.",
        ),
        ("forced_count", "int", "How many forced advances the deal had."),
        (
            "value",
            "money",
            "What the deal is worth, in the configured currency: the contract's value"
            " if signed with one, else the latest estimate or bid price; null if none.",
        ),
        ("win_probability", "real", "base(stage) x 0.5^(milestones forced past, still unmet)."),
        ("win_probability_explained", "text", "How the win probability was made."),
        ("stage_entered_at", "ts", "When the deal entered its stage (business time)."),
        ("stage_entered_recorded_at", "ts", "When that was recorded."),
        ("tender_expected", "text", "The expected tender date, YYYY-MM-DD."),
        ("last_activity_at", "ts", "The latest activity (business time); null if none."),
        ("opened_at", "ts", "When the deal was opened (business time)."),
        ("closed_at", "ts", "When it was lost, withdrawn or abandoned; else null."),
        ("version", "int", "The deal's version: the seq of its latest entry."),
        ("updated_recorded_at", "ts", "When its latest entry was recorded."),
    ),
    ("deal_id",),
)

STAGE_HISTORY = Table(
    "stage_history",
    "One row per stay of a deal in a stage (a retracted stage move leaves no stay).",
    (
        ("deal_id", "text", "The deal's id."),
        ("key", "text", "The deal's business key."),
        ("stay", "int", "1 for the first stay, then 2, 3, ..."),
        ("stage", "text", "The stage of the stay."),
        ("entered_at", "ts", "When the deal entered the stage (business time)."),
        ("entered_recorded_at", "ts", "When that was recorded."),
        ("entered_seq", "int", "The entry that moved it in (1: Opened)."),
        ("left_at", "ts", "When it left the stage; null while it is there."),
        ("left_recorded_at", "ts", "When that was recorded."),
        ("left_seq", "int", "The entry that moved it out or closed it."),
        (
            "left_how",
            "text",
            "advanced, forced, imported (a CRM's stage change), lost, withdrawn or abandoned;"
            " null while in it.",
        ),
        ("skipped_milestones", "text", "The milestones a forced advance skipped, ';'-joined."),
        ("duration_days", "real", "Days from entering to leaving; null while in it."),
    ),
    ("deal_id", "stay"),
    by_key=False,
)

AUDIT_TRAIL = Table(
    "audit_trail",
    "One row per entry of a deal's history, retracted ones marked, both clocks.",
    (
        ("deal_id", "text", "The deal's id."),
        ("key", "text", "The deal's business key."),
        ("seq", "int", "The entry's number in the deal's history (1 is Opened)."),
        ("event", "text", "The event class, such as InsiderFound or StageForced."),
        ("occurred_at", "ts", "When it happened in the world (business time)."),
        ("recorded_at", "ts", "When it was recorded."),
        ("actor", "text", "Who recorded it."),
        ("stage", "text", "The deal's stage at occurred_at."),
        ("summary", "text", "A one-line summary."),
        ("data", "json", "The event's own fields."),
        ("note", "text", "The note given with it; null if none."),
        (
            "source",
            "text",
            "The CRM an imported entry came from (salesforce, hubspot); null if recorded here.",
        ),
        ("retracted", "bool", "Whether a later entry retracted it."),
        ("retracted_recorded_at", "ts", "When the retraction was recorded."),
        ("retracted_by_seq", "int", "The retraction's seq."),
    ),
    ("deal_id", "seq"),
    by_key=False,
)

MILESTONES = Table(
    "milestones",
    "One row per deal, milestone and period in which it was met (or forced past, never met).",
    (
        ("deal_id", "text", "The deal's id."),
        ("key", "text", "The deal's business key."),
        ("milestone", "text", "The milestone's id."),
        ("milestone_stage", "text", "The stage the milestone belongs to."),
        ("period", "int", "1 for the first period, then 2, 3, ..."),
        ("met", "bool", "True for a period in which it was met."),
        ("met_from", "ts", "When the period began (business time)."),
        ("met_from_recorded_at", "ts", "When that was recorded."),
        ("met_by_seq", "int", "The entry that met it."),
        ("met_until", "ts", "When the period ended; null while it lasts."),
        ("met_until_recorded_at", "ts", "When that was recorded."),
        ("ended_by_seq", "int", "The entry that ended it."),
        (
            "ended_how",
            "text",
            "stakeholder left, assessment failed, retracted, forced past or imported past"
            " (never met), or null.",
        ),
        ("forced_past", "bool", "Whether a forced advance skipped the milestone."),
        (
            "verified",
            "bool",
            "False for a milestone an imported history moved past with no evidence (met"
            " false, until its evidence is recorded): reports leave such rows out.",
        ),
        (
            "retracted",
            "bool",
            "True when the fact that met it was retracted: count met periods with retracted false.",
        ),
    ),
    ("deal_id", "milestone", "period"),
    by_key=False,
)

LOSSES = Table(
    "losses",
    "One row per lost, withdrawn or abandoned deal, with what explains it.",
    (
        ("deal_id", "text", "The deal's id."),
        ("key", "text", "The deal's business key."),
        ("customer", "text", "The customer."),
        ("outcome", "text", "lost, withdrawn or abandoned."),
        ("stage", "text", "The stage at which it closed."),
        ("reason", "text", "A loss reason for a lost deal; free text otherwise."),
        ("competitor", "text", "Who won a lost deal; null if not known."),
        ("missing_milestones", "text", "Unmet milestones up to its stage, ';'-joined."),
        (
            "forced_advances",
            "json",
            "Each forced advance: from, to, missing, reason, approver, at.",
        ),
        ("forced_count", "int", "How many forced advances it had."),
        ("value", "money", "What it was worth when it closed (as pipeline.value); null if none."),
        (
            "price_fight",
            "bool",
            "Lost at bidding or negotiation with the standard never influenced.",
        ),
        ("opened_at", "ts", "When it was opened (business time)."),
        ("closed_at", "ts", "When it closed (business time)."),
        ("closed_recorded_at", "ts", "When the closing was recorded."),
        ("days_in_pipeline", "int", "Calendar days from opening to closing."),
        ("explanation", "text", "Why it ended, naming the milestone ids it rests on."),
    ),
    ("deal_id",),
)

SEGMENTS = Table(
    "deal_segments",
    "One row per stretch of business time in which a deal's standing (outcome, stage,"
    " value, grade, customer step, milestones) stayed the same: the pipeline at any"
    " moment, for the reports and pipeline --as-of.",
    (
        ("deal_id", "text", "The deal's id."),
        ("key", "text", "The deal's business key."),
        ("segment", "int", "1 for the first stretch (from the opening), then 2, 3, ..."),
        ("since", "ts", "When the stretch began (business time)."),
        ("until", "ts", "When it ended; null for the deal's current one."),
        ("outcome", "text", "The outcome throughout the stretch."),
        ("stage", "text", "The stage throughout the stretch."),
        ("value", "money", "The deal's value throughout the stretch; null if none yet."),
        ("grade", "text", "The grade throughout the stretch; null if not graded."),
        (
            "stint",
            "int",
            "While the outcome is open: which stay in the open pipeline this is (1, then 2"
            " after a reopening, ...); null otherwise.",
        ),
        ("came_from", "text", "The outcome of the stretch before; null for the first."),
        ("went_to", "text", "The outcome of the stretch after; null for the current one."),
        (
            "customer_step",
            "text",
            "The customer's procurement step observed by then; null if none.",
        ),
        ("met_milestones", "text", "The milestones met throughout the stretch, ';'-joined."),
        ("forced_past", "text", "The milestones forced past by then, ';'-joined."),
        ("forced_count", "int", "How many forced advances the deal had by then."),
        ("stage_entered_at", "ts", "When the deal entered the stretch's stage."),
        ("closed_at", "ts", "When it was lost, withdrawn or abandoned, if it was by then."),
    ),
    ("deal_id", "segment"),
    by_key=False,
)

CLOSINGS = Table(
    "deal_closings",
    "One row per deal that is won, lost, withdrawn or abandoned: how and when it closed.",
    (
        ("deal_id", "text", "The deal's id."),
        ("key", "text", "The deal's business key."),
        ("owner", "text", "The salesperson."),
        ("outcome", "text", "won, lost, withdrawn or abandoned."),
        ("stage", "text", "The stage it closed in."),
        ("opened_at", "ts", "When it was opened (business time)."),
        ("closed_at", "ts", "When it was signed, lost, withdrawn or abandoned (business time)."),
        ("grade", "text", "Its grade at closing; null if it was never graded."),
        ("value", "money", "Its value at closing (as pipeline.value); null if none."),
        ("cycle_days", "real", "Days from opening to closing."),
    ),
    ("deal_id",),
)

TABLES: tuple[Table, ...] = (
    PIPELINE,
    STAGE_HISTORY,
    AUDIT_TRAIL,
    MILESTONES,
    LOSSES,
    SEGMENTS,
    CLOSINGS,
)


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


def comment_sql(table: Table, name: str) -> list[tuple[str, str]]:
    """PostgreSQL's COMMENT statements (each with its text) for a table named
    ``name``: the table's meaning and each column's."""
    out = [(f"COMMENT ON TABLE {name} IS %s", table.about)]
    out += [(f"COMMENT ON COLUMN {name}.{c} IS %s", m) for c, _, m in table.spec]
    return out


def sql_type(kind: str, dialect: str) -> str:
    """The SQL type of a column type in a dialect."""
    return _SQL_TYPES[dialect][kind]


def key_index_sql(table: Table, prefix: str = "", suffix: str = "") -> str:
    """The index on the business key (``key``) of a table."""
    return (
        f"CREATE INDEX IF NOT EXISTS {table.name}{suffix}_key_idx"
        f" ON {prefix}{table.name}{suffix} (key)"
    )

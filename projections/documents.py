"""The documents every reader gets, the command line's ``--json`` and the HTTP
API's bodies alike: one definition of each, so the two can never differ.

The deal documents (``deal show``, ``diagnose``, ``replay``, a write's new
entry) are folded from the deal's own events; the table documents
(``pipeline``, ``audit``, ``losses``) read the read models.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from domain.config import ProcessConfig
from domain.entries import Entry
from domain.errors import NotProjected, NotYet, UnknownDeal
from domain.events import DealEvent
from domain.fold import fold
from domain.opportunity import deal_id
from domain.state import DealState
from projections import queries
from projections.schema import AUDIT_TRAIL, PROJECTION
from projections.store import ReadStore
from projections.views import deal_document, recent_entries

PIPELINE_COLUMNS = (
    "key",
    "customer",
    "title",
    "owner",
    "stage",
    "outcome",
    "grade",
    "engagement",
    "customer_step",
    "expected_stage",
    "alignment",
    "missing_milestones",
    "forced_count",
    "value",
    "win_probability",
    "days_in_stage",
    "stage_entered_at",
    "tender_expected",
    "last_activity_at",
)
AUDIT_COLUMNS = (
    "seq",
    "event",
    "occurred_at",
    "recorded_at",
    "actor",
    "stage",
    "summary",
    "data",
    "retracted",
    "note",
    "source",
)
LOSS_COLUMNS = (
    "key",
    "outcome",
    "stage",
    "reason",
    "competitor",
    "missing_milestones",
    "forced_advances",
    "value",
    "explanation",
)
#: What ``replay --json`` gives of each step (cli.md fixes the first five).
STEP_KEYS = (
    "seq",
    "event",
    "occurred_at",
    "stage",
    "diagnosis",
    "retracted",
    "outcome",
    "milestones_met",
    "actor",
    "summary",
    "note",
)


def state_of(
    key: str,
    entries: Sequence[Entry[DealEvent]],
    as_of: datetime | None,
    known_at: datetime | None,
) -> DealState:
    """The deal as of ``as_of``, known at ``known_at``; a deal opened after
    ``as_of``, or recorded after ``known_at``, is refused saying so."""
    state = fold(entries, as_of=as_of, known_at=known_at)
    if state.opened_at is not None:
        return state
    opened = entries[0]
    if known_at is not None and opened.recorded_at > known_at:
        raise NotYet(
            key, f"was first recorded at {opened.recorded_at.isoformat()}, after --known-at"
        )
    raise NotYet(key, f"was opened at {opened.occurred_at.isoformat()}, after --as-of")


def deal_show(
    key: str,
    entries: Sequence[Entry[DealEvent]],
    config: ProcessConfig,
    as_of: datetime | None = None,
    known_at: datetime | None = None,
) -> dict[str, Any]:
    """The ``deal show --json`` document."""
    state = state_of(key, entries, as_of, known_at)
    return {
        **deal_document(state, config),
        "time_zone": config.tz.key,
        "recent_entries": recent_entries(entries, as_of, known_at, config.tz),
    }


def entry_row(
    entries: Sequence[Entry[DealEvent]], config: ProcessConfig, seq: int
) -> dict[str, Any]:
    """Entry ``seq`` as a row of ``audit --json`` (folded from the entries, so a
    write can answer with it before the read models have it)."""
    from projections.rows import Deal, audit_rows

    ordered = sorted(entries, key=lambda e: e.seq)
    state = fold(ordered)
    deal = Deal(str(deal_id(state.key)), ordered, state, config)
    raw = dict(zip(AUDIT_TRAIL.column_names, audit_rows(deal)[seq - 1], strict=True))
    row = queries.typed(AUDIT_TRAIL, raw, config.tz)
    return {c: row[c] for c in AUDIT_COLUMNS}


def audit(read: ReadStore, config: ProcessConfig, key: str) -> list[dict[str, Any]]:
    """The ``audit`` rows of a deal; a deal held in quarantine is refused saying why."""
    rows = queries.audit(read, config.tz, key)
    if rows:
        return [{c: r[c] for c in AUDIT_COLUMNS} for r in rows]
    held = [q for q in read.quarantine(PROJECTION) if q["deal_id"] == str(deal_id(key))]
    if held:
        q = held[0]
        raise NotProjected(key, f"entry {q['seq']} ({q['event']}) {q['reason']}")
    raise UnknownDeal(key)


def pipeline(
    read: ReadStore,
    config: ProcessConfig,
    now: datetime,
    as_of: datetime | None = None,
    known_at: datetime | None = None,
    after: str | None = None,
    limit: int | None = None,
    **wanted: str | None,
) -> list[dict[str, Any]]:
    """The ``pipeline`` rows in key order, narrowed to the ``wanted`` column
    values, after the key ``after``, at most ``limit``."""
    if as_of is None and known_at is None:
        rows = queries.pipeline(read, config.tz, now, after, limit, **wanted)
    else:
        from projections.asof import pipeline_as_of

        rows = only(pipeline_as_of(read, config, as_of or now, known_at), **wanted)
        rows = [r for r in rows if after is None or r["key"] > after][:limit]
    return [{c: r[c] for c in PIPELINE_COLUMNS} for r in rows]


def losses(
    read: ReadStore, config: ProcessConfig, owner: str | None = None, **wanted: str | None
) -> list[dict[str, Any]]:
    """The ``losses`` rows, narrowed to an owner and the ``wanted`` column values."""
    rows = queries.losses(read, config.tz)
    if owner is not None:
        owners = {r["deal_id"]: r["owner"] for r in queries.owners(read)}
        rows = [r for r in rows if owners.get(r["deal_id"]) == owner]
    return [{c: r[c] for c in LOSS_COLUMNS} for r in only(rows, **wanted)]


def only(rows: list[dict[str, Any]], **wanted: str | None) -> list[dict[str, Any]]:
    """The rows whose columns hold the wanted values (None: any)."""
    return [r for r in rows if all(v is None or r.get(k) == v for k, v in wanted.items())]


def status(read: ReadStore, name: str, position: int, head: int) -> list[dict[str, Any]]:
    """The ``projections status --json`` document."""
    held = read.quarantine(name)
    return [
        {
            "name": name,
            "position": position,
            "head": head,
            "lag": max(head - position, 0),
            "quarantined": [{**q, "key": q["key"] or q["deal_id"]} for q in held],
        }
    ]

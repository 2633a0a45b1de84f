"""A Salesforce export (``Opportunity.csv`` and ``OpportunityHistory.csv``,
as Data Loader and report exports write them) read into deal plans.

Each history row is the opportunity as it stood after a change; the change
is found by comparing it with the previous row of the same opportunity in
``CreatedDate`` order (ties by ``Id``). Rows with ``IsDeleted`` true are left out.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from crm.fields import (
    AmountField,
    Flag,
    Label,
    Moment,
    Name,
    OptionalMoment,
    RowId,
    SourceRow,
    problem,
)
from crm.maps import StageMap
from crm.plan import BadRow, Change, DealPlan
from crm.staging import CHUNK, csv_rows
from domain.times import now
from domain.vocabulary import KEY_PATTERN, Outcome, Stage

SOURCE = "salesforce"
OPPORTUNITY_COLUMNS = (
    ("Id",),
    ("Name",),
    ("AccountId", "Account.Name"),
    ("StageName",),
    ("Amount",),
    ("CloseDate",),
    ("CreatedDate",),
    ("OwnerId", "Owner.Name"),
    ("IsClosed",),
    ("IsWon",),
)
HISTORY_COLUMNS = tuple(
    (c,)
    for c in (
        "Id",
        "OpportunityId",
        "StageName",
        "Amount",
        "Probability",
        "CloseDate",
        "CreatedDate",
        "CreatedById",
        "IsDeleted",
    )
)


class Opportunity(SourceRow):
    id: RowId
    key: RowId | None
    name: Name
    account: Name
    stage: Label
    amount: AmountField
    close_date: OptionalMoment
    created: Moment
    owner: Name
    is_closed: Flag
    is_won: Flag
    loss_reason: str | None


class History(SourceRow):
    id: RowId
    opportunity: RowId
    stage: Label
    amount: AmountField
    created: Moment
    by: Name
    deleted: Flag


def _iso(at: datetime) -> str:
    """UTC text that sorts as time does."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _cells(header: list[str], row: list[str]) -> dict[str, str]:
    if len(row) != len(header):
        raise ValueError(f"has {len(row)} fields, the header {len(header)}")
    return dict(zip(header, row, strict=True))


def _stage_opportunities(
    conn: sqlite3.Connection, path: Path, m: StageMap, context: dict[str, Any]
) -> None:
    conn.execute(
        "CREATE TABLE opp (id TEXT, line INTEGER, key TEXT, name TEXT, account TEXT,"
        " stage TEXT, amount TEXT, close TEXT, created TEXT, owner TEXT, closed INTEGER,"
        " reason TEXT, bad TEXT)"
    )
    header, rows = csv_rows(path, OPPORTUNITY_COLUMNS)
    key_col, reason_col = m.columns.key, m.columns.loss_reason
    chunk: list[tuple[Any, ...]] = []
    for line, row in rows:
        try:
            c = _cells(header, row)
            o = Opportunity.model_validate(
                {
                    "id": c["Id"],
                    "key": c.get(key_col) or None if key_col else None,
                    "name": c["Name"],
                    "account": c.get("Account.Name") or c.get("AccountId"),
                    "stage": c["StageName"],
                    "amount": c["Amount"],
                    "close_date": c["CloseDate"],
                    "created": c["CreatedDate"],
                    "owner": c.get("Owner.Name") or c.get("OwnerId"),
                    "is_closed": c["IsClosed"],
                    "is_won": c["IsWon"],
                    "loss_reason": (c.get(reason_col) or None) if reason_col else None,
                },
                context=context,
            )
        except (ValidationError, ValueError) as exc:
            reason = problem(exc) if isinstance(exc, ValidationError) else str(exc)
            rid = (row[header.index("Id")] if len(row) == len(header) else "").strip()
            chunk.append((rid, line, *([None] * 10), reason))
        else:
            chunk.append(
                (
                    o.id,
                    line,
                    o.key,
                    o.name,
                    o.account,
                    o.stage,
                    str(o.amount) if o.amount is not None else None,
                    _iso(o.close_date) if o.close_date else None,
                    _iso(o.created),
                    o.owner,
                    int(o.is_closed),
                    o.loss_reason,
                    None,
                )
            )
        if len(chunk) >= CHUNK:
            conn.executemany(f"INSERT INTO opp VALUES ({', '.join('?' * 13)})", chunk)
            chunk = []
    conn.executemany(f"INSERT INTO opp VALUES ({', '.join('?' * 13)})", chunk)
    conn.execute("CREATE INDEX opp_order ON opp (id, line)")


def _stage_history(conn: sqlite3.Connection, path: Path, context: dict[str, Any]) -> None:
    conn.execute(
        "CREATE TABLE hist (opp TEXT, at TEXT, id TEXT, line INTEGER, stage TEXT,"
        " amount TEXT, by TEXT, deleted INTEGER, bad TEXT)"
    )
    header, rows = csv_rows(path, HISTORY_COLUMNS)
    chunk: list[tuple[Any, ...]] = []
    for line, row in rows:
        try:
            c = _cells(header, row)
            h = History.model_validate(
                {
                    "id": c["Id"],
                    "opportunity": c["OpportunityId"],
                    "stage": c["StageName"],
                    "amount": c["Amount"],
                    "created": c["CreatedDate"],
                    "by": c["CreatedById"],
                    "deleted": c["IsDeleted"],
                },
                context=context,
            )
        except (ValidationError, ValueError) as exc:
            reason = problem(exc) if isinstance(exc, ValidationError) else str(exc)
            opp = row[header.index("OpportunityId")].strip() if len(row) == len(header) else ""
            chunk.append((opp, "", "", line, None, None, None, 0, reason))
        else:
            chunk.append(
                (
                    h.opportunity,
                    _iso(h.created),
                    h.id,
                    line,
                    h.stage,
                    str(h.amount) if h.amount is not None else None,
                    h.by,
                    int(h.deleted),
                    None,
                )
            )
        if len(chunk) >= CHUNK:
            conn.executemany(f"INSERT INTO hist VALUES ({', '.join('?' * 9)})", chunk)
            chunk = []
    conn.executemany(f"INSERT INTO hist VALUES ({', '.join('?' * 9)})", chunk)
    conn.execute("CREATE INDEX hist_order ON hist (opp, at, id)")


class SalesforceExport:
    """An export staged: its deal plans, and the rows that belong to no deal."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        opportunities: Path,
        history: Path,
        m: StageMap,
        tz: Any,
    ) -> None:
        self.conn, self.map = conn, m
        self.opp_file, self.hist_file = opportunities.name, history.name
        context = {"tz": tz}
        _stage_opportunities(conn, opportunities, m, context)
        _stage_history(conn, history, context)

    @property
    def deals(self) -> int:
        """How many deals the export holds (the progress bar's length)."""
        return int(self.conn.execute("SELECT count(DISTINCT id) FROM opp").fetchone()[0])

    def orphans(self) -> list[BadRow]:
        """History rows of no opportunity in the opportunities file: one per opportunity."""
        rows = self.conn.execute(
            "SELECT opp, min(line) FROM hist WHERE opp NOT IN (SELECT id FROM opp)"
            " GROUP BY opp ORDER BY min(line)"
        ).fetchall()
        return [
            BadRow(
                f"{self.hist_file}:{line}",
                f"OpportunityId {opp!r} is not in {self.opp_file}"
                if opp
                else "OpportunityId is missing",
            )
            for opp, line in rows
        ]

    def plans(self) -> Iterator[DealPlan]:
        """Each opportunity's plan, in Id order."""
        history = self.conn.execute(
            "SELECT opp, at, id, line, stage, amount, by, deleted, bad FROM hist"
            " WHERE opp IN (SELECT id FROM opp) ORDER BY opp, at, id"
        )
        pending = history.fetchone()
        # Both cursors stream in Id order (nothing is held but one deal's
        # rows): a repeated Id is the row just before.
        before: tuple[Any, ...] | None = None
        for o in self.conn.cursor().execute("SELECT * FROM opp ORDER BY id, line"):
            rows = []
            while pending is not None and pending[0] == o[0]:
                rows.append(pending)
                pending = history.fetchone()
            if before is not None and before[0] == o[0]:
                yield self._refused(o, f"Id {o[0]!r} is also on line {before[1]}")
                continue
            before = o
            yield self._plan(o, rows)

    def _refused(self, o: tuple[Any, ...], reason: str) -> DealPlan:
        where = f"{self.opp_file}:{o[1]}"
        key = o[2] or f"SF-{o[0]}"
        moment = datetime(1970, 1, 1, tzinfo=UTC)
        plan = DealPlan(key, SOURCE, o[0], where, "", "", "", moment, "")
        plan.bad = BadRow(where, reason, key if _is_key(key) else None)
        return plan

    def _plan(self, o: tuple[Any, ...], rows: list[tuple[Any, ...]]) -> DealPlan:
        (oid, line, key, name, account, stage, amount, close, created, owner, _closed) = o[:11]
        reason_text, bad = o[11], o[12]
        if bad is not None:
            return self._refused(o, bad)
        key = key or f"SF-{oid}"
        if not _is_key(key):
            return self._refused(o, f"the key {key!r} is not a deal key (letters, digits, . _ -)")
        live = [r for r in rows if not r[7]]
        opened = min([_at(created), *(_at(r[1]) for r in live if not r[8])])
        plan = DealPlan(
            key, SOURCE, oid, f"{self.opp_file}:{line}", account, name, owner, opened, owner
        )
        plan.skipped = len(rows) - len(live)
        if not live:  # no history kept: the opportunity as it stands
            target = self.map.target(stage)
            at = _at(created)
            if isinstance(target, Outcome) and close is not None:
                at = max(at, min(_at(close), now()))
            live = [(oid, _iso(at), f"{oid}:current", line, stage, amount, owner, 0, None)]
            where_of = self.opp_file
        else:
            where_of = self.hist_file
        # A deal opens in development: a first row there changes no stage.
        previous: Stage | Outcome = Stage.development
        previous_amount: str | None = None
        for r in live:
            _, at_text, rid, rline, label, value, by, _, row_bad = r
            where = f"{where_of}:{rline}"
            if row_bad is not None:
                plan.bad = BadRow(where, row_bad, key)
                return plan
            target = self.map.target(label)
            if target is None:
                plan.bad = BadRow(where, f"the stage {label!r} is not in the stage map", key)
                return plan
            changed_value = value if value is not None and value != previous_amount else None
            changed_stage = target if target is not previous else None
            previous, previous_amount = target, value if value is not None else previous_amount
            if changed_value is None and changed_stage is None:
                plan.skipped += 1
                continue
            plan.changes.append(
                Change(
                    rid,
                    _at(at_text),
                    by,
                    where,
                    Decimal(changed_value) if changed_value is not None else None,
                    changed_stage,
                    self.map.loss_reason(reason_text) if changed_stage is Outcome.lost else None,
                )
            )
        return plan


def _is_key(key: str) -> bool:
    return _KEY.fullmatch(key) is not None


_KEY = re.compile(KEY_PATTERN)

"""The pipeline board of the web app: a column per stage with its count and
value, and a page of cards, each an open deal with its risks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.config import ProcessConfig
from domain.diagnosis import diagnose
from domain.entries import Entry
from domain.events import DealEvent
from domain.fold import fold
from domain.vocabulary import STAGES, Outcome
from projections import queries
from projections.cells import money
from projections.schema import PIPELINE
from projections.store import ReadStore

#: Cards on one page of the board.
PAGE = 60
#: The outcomes on the board unless closed deals are asked for.
WORKING = (Outcome.open.value, Outcome.nurture.value)


@dataclass(frozen=True)
class BoardFilter:
    owner: str | None = None
    grade: str | None = None
    outcome: str | None = None
    closed: bool = False

    def where(self) -> tuple[str, list[Any]]:
        """The SQL condition on the pipeline table, and its parameters."""
        where, params = ["TRUE"], []
        for column in ("owner", "grade", "outcome"):
            value = getattr(self, column)
            if value is not None:
                where.append(f"{column} = %s")
                params.append(value)
        if self.outcome is None and not self.closed:
            where.append(f"outcome IN ({', '.join('%s' for _ in WORKING)})")
            params.extend(WORKING)
        return " AND ".join(where), params


def columns(read: ReadStore, chosen: BoardFilter) -> list[dict[str, Any]]:
    """Each stage in process order: how many deals of the board are in it,
    and what they are worth (nulls as 0)."""
    where, params = chosen.where()
    found = {
        r["stage"]: r
        for r in read.query(
            f"SELECT stage, count(*) AS deals, sum(value) AS value FROM {read.table(PIPELINE)}"
            f" WHERE {where} GROUP BY stage",
            params,
        )
    }
    return [
        {
            "stage": s.value,
            "deals": int(found[s.value]["deals"]) if s.value in found else 0,
            "value": money(found[s.value]["value"] or 0) if s.value in found else money(0),
        }
        for s in STAGES
    ]


def cards(
    read: ReadStore,
    config: ProcessConfig,
    chosen: BoardFilter,
    entries_of: Callable[[list[str]], dict[str, list[Entry[DealEvent]]]],
    now: datetime,
    after: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the board's deals in key order, each with its risks; and the
    key to start the next page after (None on the last)."""
    where, params = chosen.where()
    if after is not None:
        where += " AND key > %s"
        params.append(after)
    rows = read.query(
        f"SELECT * FROM {read.table(PIPELINE)} WHERE {where} ORDER BY key LIMIT {PAGE + 1}",
        params,
    )
    more = len(rows) > PAGE
    histories = entries_of([r["key"] for r in rows[:PAGE]])
    out = []
    for raw in rows[:PAGE]:
        row = queries.pipeline_row(raw, config.tz, now)
        state = fold(histories[row["key"]])
        out.append({**row, "risks": diagnose(state, config, now)["risks"]})
    return out, (out[-1]["key"] if more else None)

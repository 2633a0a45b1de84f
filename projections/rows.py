"""A deal's rows in every read model, computed from its entries by the fold.

A deal's rows are always recomputed whole from its full history: a
back-dated entry or a retraction can change rows written long before. Each
table's rows are made by one function of ``MAKERS``, by column name (the
table's named row), so a table's columns and its rows cannot drift apart.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any

import orjson

from domain.config import ProcessConfig
from domain.diagnosis import is_price_fight, loss_explanation
from domain.entries import Entry
from domain.events import DealEvent, EntryRetracted
from domain.fold import fold, retracted_seq
from domain.process import stage_of
from domain.state import DealState, MilestonePeriod
from domain.vocabulary import MILESTONES, Milestone, Outcome
from projections.cells import cents
from projections.report_rows import closing_rows, days, segment_rows
from projections.schema import (
    AUDIT_TRAIL,
    CLOSINGS,
    LOSSES,
    PIPELINE,
    SEGMENTS,
    STAGE_HISTORY,
    TABLES,
    Table,
)
from projections.schema import MILESTONES as MILESTONE_TABLE
from projections.views import standing

Row = tuple[Any, ...]


@dataclass(frozen=True)
class Deal:
    """What every maker of rows reads: the deal's id, entries and state."""

    deal_id: str
    entries: Sequence[Entry[DealEvent]]
    state: DealState
    config: ProcessConfig


Maker = Callable[[Deal], list[Row]]


class DealRows:
    """Every read-model row of one deal, table by table."""

    __slots__ = ("_rows",)

    def __init__(self, rows: Sequence[list[Row]]) -> None:
        self._rows = tuple(rows)

    def of(self, table: Table) -> list[Row]:
        """The deal's rows in ``table``."""
        return self._rows[TABLES.index(table)]

    def in_table_order(self) -> tuple[list[Row], ...]:
        """The rows of each table, in the order of ``schema.TABLES``."""
        return self._rows


def deal_rows(deal_id: str, entries: Sequence[Entry[DealEvent]], config: ProcessConfig) -> DealRows:
    """Compute the deal's rows in every read model."""
    ordered = sorted(entries, key=lambda e: e.seq)
    deal = Deal(deal_id, ordered, fold(ordered), config)
    return DealRows([make(deal) for make in _IN_TABLE_ORDER])


def _ids(items: Sequence[Any]) -> str:
    return ";".join(str(getattr(i, "value", i)) for i in items)


def pipeline_rows(deal: Deal) -> list[Row]:
    """One row per deal: where it stands."""
    state, config = deal.state, deal.config
    shared = standing(state, config)
    stay = state.stays[-1]
    return [
        PIPELINE.row(
            deal_id=deal.deal_id,
            key=state.key,
            customer=state.customer,
            title=state.title,
            owner=state.owner,
            stage=shared["stage"],
            outcome=shared["outcome"],
            grade=shared["grade"],
            engagement=shared["engagement"],
            customer_step=shared["customer_step"],
            expected_stage=shared["expected_stage"],
            alignment=shared["alignment"],
            missing_milestones=";".join(shared["missing_milestones"]),
            forced_count=len(state.forced_advances),
            value=cents(state.value),
            win_probability=shared["win_probability"],
            win_probability_explained=shared["win_probability_explained"],
            stage_entered_at=stay.entered_at,
            stage_entered_recorded_at=stay.entered_recorded,
            tender_expected=state.tender_expected,
            last_activity_at=state.last_activity_at,
            opened_at=state.opened_at,
            closed_at=state.outcome_at if state.outcome.is_closed else None,
            version=state.version,
            updated_recorded_at=max(e.recorded_at for e in deal.entries),
        )
    ]


def stay_rows(deal: Deal) -> list[Row]:
    """One row per stay in a stage."""
    state = deal.state
    return [
        STAGE_HISTORY.row(
            deal_id=deal.deal_id,
            key=state.key,
            stay=n,
            stage=stay.stage.value,
            entered_at=stay.entered_at,
            entered_recorded_at=stay.entered_recorded,
            entered_seq=stay.entered_seq,
            left_at=stay.left_at,
            left_recorded_at=stay.left_recorded,
            left_seq=stay.left_seq,
            left_how=stay.left_how,
            skipped_milestones=_ids(stay.skipped),
            duration_days=days(stay.entered_at, stay.left_at) if stay.left_at else None,
        )
        for n, stay in enumerate(state.stays, 1)
    ]


def _stage_at(state: DealState) -> Callable[[datetime], str]:
    """The stage the deal was in at a business time: that of the last stay
    entered by then (the first stay's, before any)."""
    entered = [stay.entered_at for stay in state.stays]
    stages = [stay.stage.value for stay in state.stays]
    if all(a <= b for a, b in pairwise(entered)):  # as the fold makes them
        return lambda moment: stages[max(bisect_right(entered, moment) - 1, 0)]

    def scan(moment: datetime) -> str:
        stage = stages[0]
        for at, entered_stage in zip(entered, stages, strict=True):
            if at <= moment:
                stage = entered_stage
        return stage

    return scan


def _data_json(data: dict[str, Any]) -> str:
    """An entry's data as JSON text, keys sorted (event data is plain JSON values)."""
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS).decode()


def audit_rows(deal: Deal) -> list[Row]:
    """One row per entry, retracted ones marked."""
    entries = deal.entries
    retractions = {e.fact.seq: e for e in entries if type(e.fact) is EntryRetracted}
    stage_at, key, row = _stage_at(deal.state), deal.state.key, AUDIT_TRAIL.row
    rows: list[Row] = []
    for e in entries:
        by = retractions.get(e.seq)
        rows.append(
            row(
                deal_id=deal.deal_id,
                key=key,
                seq=e.seq,
                event=e.event,
                occurred_at=e.occurred_at,
                recorded_at=e.recorded_at,
                actor=e.actor,
                stage=stage_at(e.occurred_at),
                summary=e.fact.summary(),
                data=_data_json(e.data),
                note=e.note,
                source=e.data.get("source"),
                retracted=by is not None,
                retracted_recorded_at=by.recorded_at if by else None,
                retracted_by_seq=by.seq if by else None,
            )
        )
    return rows


def _period_row(deal: Deal, n: int, p: MilestonePeriod, forced: bool, retracted: bool) -> Row:
    """A period in which a milestone was met."""
    m = p.milestone
    return MILESTONE_TABLE.row(
        deal_id=deal.deal_id,
        key=deal.state.key,
        milestone=m.value,
        milestone_stage=_STAGE_OF[m],
        period=n,
        met=True,
        met_from=p.met_from,
        met_from_recorded_at=p.met_from_recorded,
        met_by_seq=p.met_by_seq,
        met_until=p.met_until,
        met_until_recorded_at=p.met_until_recorded,
        ended_by_seq=p.ended_by_seq,
        ended_how=p.ended_how,
        forced_past=forced,
        verified=True,
        retracted=retracted,
    )


def _never_met_row(deal: Deal, n: int, m: Milestone, forced: bool = True) -> Row:
    """A milestone forced past, or imported past unverified, and never met."""
    return MILESTONE_TABLE.row(
        deal_id=deal.deal_id,
        key=deal.state.key,
        milestone=m.value,
        milestone_stage=_STAGE_OF[m],
        period=n,
        met=False,
        met_from=None,
        met_from_recorded_at=None,
        met_by_seq=None,
        met_until=None,
        met_until_recorded_at=None,
        ended_by_seq=None,
        ended_how="forced past, never met" if forced else "imported past, unverified",
        forced_past=forced,
        verified=forced,
        retracted=False,
    )


_STAGE_OF = {m: stage_of(m).value for m in MILESTONES}


def milestone_rows(deal: Deal) -> list[Row]:
    """One row per milestone and period in which it was met; a period met
    only through an entry later retracted shows as ended by the retraction."""
    state, entries = deal.state, deal.entries
    retracted_periods: list[tuple[MilestonePeriod, Entry[DealEvent]]] = []
    if state.retracted:
        retraction = {seq: e for e in entries if (seq := retracted_seq(e)) is not None}
        as_recorded = fold([e for e in entries if retracted_seq(e) is None])
        for p in as_recorded.periods:
            if p.met_by_seq in retraction:
                retracted_periods.append((p, retraction[p.met_by_seq]))
    rows: list[Row] = []
    by_milestone: dict[Milestone, list[MilestonePeriod]] = {}
    for p in state.periods:
        by_milestone.setdefault(p.milestone, []).append(p)
    for m in MILESTONES:
        forced = state.milestones[m].forced_past
        mine = by_milestone.get(m, [])
        gone = [
            MilestonePeriod(
                p.milestone,
                p.met_from,
                p.met_from_recorded,
                p.met_by_seq,
                None,
                r.recorded_at,
                r.seq,
                "retracted",
            )
            for p, r in retracted_periods
            if p.milestone is m
        ]
        rows.extend(_period_row(deal, n, p, forced, False) for n, p in enumerate(mine, 1))
        first = len(mine) + 1
        rows.extend(_period_row(deal, n, p, forced, True) for n, p in enumerate(gone, first))
        periods = [*mine, *gone]
        if forced and not mine:
            rows.append(_never_met_row(deal, len(periods) + 1, m))
        elif state.milestones[m].unverified:
            rows.append(_never_met_row(deal, len(periods) + 1, m, forced=False))
    return rows


def loss_rows(deal: Deal) -> list[Row]:
    """One row per lost, withdrawn or abandoned deal, with what explains it."""
    state, config = deal.state, deal.config
    if not state.outcome.is_closed:
        return []
    assert state.opened_at is not None and state.outcome_at is not None
    closing = next(e for e in state.applied if e.seq == state.outcome_seq)
    opened, closed = (t.astimezone(config.tz).date() for t in (state.opened_at, state.outcome_at))
    return [
        LOSSES.row(
            deal_id=deal.deal_id,
            key=state.key,
            customer=state.customer,
            outcome=state.outcome.value,
            stage=state.stage.value,
            reason=state.outcome_reason,
            competitor=state.competitor if state.outcome is Outcome.lost else None,
            missing_milestones=_ids(state.missing_milestones),
            forced_advances=json.dumps(
                [f.as_dict() for f in state.forced_advances], ensure_ascii=False
            ),
            forced_count=len(state.forced_advances),
            value=cents(state.value),
            price_fight=is_price_fight(state),
            opened_at=state.opened_at,
            closed_at=state.outcome_at,
            closed_recorded_at=closing.recorded_at,
            days_in_pipeline=(closed - opened).days,
            explanation=loss_explanation(state),
        )
    ]


#: How each read model's rows are made: one maker per table of ``TABLES``.
MAKERS: dict[Table, Maker] = {
    PIPELINE: pipeline_rows,
    STAGE_HISTORY: stay_rows,
    AUDIT_TRAIL: audit_rows,
    MILESTONE_TABLE: milestone_rows,
    LOSSES: loss_rows,
    SEGMENTS: segment_rows,
    CLOSINGS: closing_rows,
}
if set(MAKERS) != set(TABLES):
    raise TypeError("every table of schema.TABLES needs its maker of rows in MAKERS")
_IN_TABLE_ORDER = tuple(MAKERS[t] for t in TABLES)

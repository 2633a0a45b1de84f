"""A deal's rows in every read model, computed from its entries by the fold.

A deal's rows are always recomputed whole from its full history: a
back-dated entry or a retraction can change rows written long before.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from typing import Any

import orjson

from domain.config import ProcessConfig
from domain.diagnosis import is_price_fight, loss_explanation
from domain.entries import Entry
from domain.events import DealEvent
from domain.process import stage_of
from domain.state import DealState, MilestonePeriod, fold, retracted_seq
from domain.vocabulary import MILESTONES, Outcome
from projections.schema import TABLES
from projections.views import standing

Row = tuple[Any, ...]


@dataclass
class DealRows:
    """Every read-model row of one deal."""

    pipeline: list[Row] = field(default_factory=list)
    stage_history: list[Row] = field(default_factory=list)
    audit_trail: list[Row] = field(default_factory=list)
    milestones: list[Row] = field(default_factory=list)
    losses: list[Row] = field(default_factory=list)

    def by_table(self) -> dict[str, list[Row]]:
        return dict(zip(_TABLE_NAMES, self.in_table_order(), strict=True))

    def in_table_order(self) -> tuple[list[Row], ...]:
        """The rows of each table, in the order of ``schema.TABLES``."""
        return tuple(getattr(self, name) for name in _TABLE_NAMES)


_TABLE_NAMES = tuple(t.name for t in TABLES)


def _ids(items: Sequence[Any]) -> str:
    return ";".join(str(getattr(i, "value", i)) for i in items)


def _days(start: datetime, end: datetime) -> float:
    return round((end - start).total_seconds() / 86400, 4)


def deal_rows(deal_id: str, entries: Sequence[Entry[DealEvent]], config: ProcessConfig) -> DealRows:
    """Compute the deal's rows in all five read models."""
    ordered = sorted(entries, key=lambda e: e.seq)
    state = fold(ordered)
    rows = DealRows()
    key = state.key
    rows.pipeline.append(_pipeline_row(deal_id, state, ordered, config))
    for n, stay in enumerate(state.stays, 1):
        rows.stage_history.append(
            (
                deal_id,
                key,
                n,
                stay.stage.value,
                stay.entered_at,
                stay.entered_recorded,
                stay.entered_seq,
                stay.left_at,
                stay.left_recorded,
                stay.left_seq,
                stay.left_how,
                _ids(stay.skipped),
                _days(stay.entered_at, stay.left_at) if stay.left_at else None,
            )
        )
    rows.audit_trail.extend(_audit_rows(deal_id, state, ordered))
    rows.milestones.extend(_milestone_rows(deal_id, state, ordered))
    if state.outcome.is_closed:
        rows.losses.append(_loss_row(deal_id, state, config))
    return rows


def _pipeline_row(
    deal_id: str, state: DealState, entries: Sequence[Entry[DealEvent]], config: ProcessConfig
) -> Row:
    shared = standing(state, config)
    stay = state.stays[-1]
    return (
        deal_id,
        state.key,
        state.customer,
        state.title,
        state.owner,
        shared["stage"],
        shared["outcome"],
        shared["grade"],
        shared["engagement"],
        shared["customer_step"],
        shared["expected_stage"],
        shared["alignment"],
        ";".join(shared["missing_milestones"]),
        len(state.forced_advances),
        shared["win_probability"],
        state.win_probability(config)[1],
        stay.entered_at,
        stay.entered_recorded,
        state.tender_expected,
        state.last_activity_at,
        state.opened_at,
        state.outcome_at if state.outcome.is_closed else None,
        state.version,
        max(e.recorded_at for e in entries),
    )


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


def _audit_rows(deal_id: str, state: DealState, entries: Sequence[Entry[DealEvent]]) -> list[Row]:
    retractions = {seq: e for e in entries if (seq := retracted_seq(e)) is not None}
    stage_at, key = _stage_at(state), state.key
    rows: list[Row] = []
    for e in entries:
        by = retractions.get(e.seq)
        rows.append(
            (
                deal_id,
                key,
                e.seq,
                e.event,
                e.occurred_at,
                e.recorded_at,
                e.actor,
                stage_at(e.occurred_at),
                e.fact.summary(),
                _data_json(e.data),
                e.note,
                by is not None,
                by.recorded_at if by else None,
                by.seq if by else None,
            )
        )
    return rows


def _period_row(deal_id: str, key: str, n: int, p: MilestonePeriod, forced: bool) -> Row:
    return (
        deal_id,
        key,
        p.milestone.value,
        stage_of(p.milestone).value,
        n,
        True,
        p.met_from,
        p.met_from_recorded,
        p.met_by_seq,
        p.met_until,
        p.met_until_recorded,
        p.ended_by_seq,
        p.ended_how,
        forced,
    )


def _milestone_rows(
    deal_id: str, state: DealState, entries: Sequence[Entry[DealEvent]]
) -> list[Row]:
    periods = list(state.periods)
    retracted_periods: list[tuple[MilestonePeriod, Entry[DealEvent]]] = []
    if state.retracted:
        # Periods that only existed through an entry later retracted: shown as
        # ended by the retraction, at the time it was recorded.
        retraction = {seq: e for e in entries if (seq := retracted_seq(e)) is not None}
        as_recorded = fold([e for e in entries if retracted_seq(e) is None])
        for p in as_recorded.periods:
            if p.met_by_seq in retraction:
                retracted_periods.append((p, retraction[p.met_by_seq]))
    rows: list[Row] = []
    for m in MILESTONES:
        forced = state.milestones[m].forced_past
        mine = [p for p in periods if p.milestone is m]
        gone = [(p, r) for p, r in retracted_periods if p.milestone is m]
        n = 0
        for p in mine:
            n += 1
            rows.append(_period_row(deal_id, state.key, n, p, forced))
        for p, r in gone:
            n += 1
            ended = MilestonePeriod(
                p.milestone,
                p.met_from,
                p.met_from_recorded,
                p.met_by_seq,
                None,
                r.recorded_at,
                r.seq,
                "retracted",
            )
            rows.append(_period_row(deal_id, state.key, n, ended, forced))
        if forced and not mine:
            n += 1
            rows.append(
                (
                    deal_id,
                    state.key,
                    m.value,
                    stage_of(m).value,
                    n,
                    False,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    "forced past, never met",
                    True,
                )
            )
    return rows


def _loss_row(deal_id: str, state: DealState, config: ProcessConfig) -> Row:
    assert state.opened_at is not None and state.outcome_at is not None
    closing = next(e for e in state.applied if e.seq == state.outcome_seq)
    opened, closed = (t.astimezone(config.tz).date() for t in (state.opened_at, state.outcome_at))
    return (
        deal_id,
        state.key,
        state.customer,
        state.outcome.value,
        state.stage.value,
        state.outcome_reason,
        state.competitor if state.outcome is Outcome.lost else None,
        _ids(state.missing_milestones),
        json.dumps([f.as_dict() for f in state.forced_advances], ensure_ascii=False),
        len(state.forced_advances),
        is_price_fight(state),
        state.opened_at,
        state.outcome_at,
        closing.recorded_at,
        (closed - opened).days,
        loss_explanation(state),
    )

"""The rows of the read models the reports read (shared/reports.md): a deal's
stretches of business time and its closing. Made from the fold like every
other read model."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from domain.state import DealState, Segment
from domain.vocabulary import MILESTONES, Milestone, Outcome
from projections.cells import cents
from projections.schema import CLOSINGS, SEGMENTS

if TYPE_CHECKING:
    from projections.rows import Deal

Row = tuple[Any, ...]

#: The outcomes a closing row is made for.
_CLOSED = (Outcome.won, Outcome.lost, Outcome.withdrawn, Outcome.abandoned)


def days(start: datetime, end: datetime) -> float:
    """Days from one moment to another, to four decimals (every read model's durations)."""
    return round((end - start).total_seconds() / 86400, 4)


def segment_rows(deal: Deal) -> list[Row]:
    """One row per stretch of business time with the same standing; each
    open stretch numbered by its stint in the open pipeline, and every
    stretch with the outcomes before and after it."""
    state, row = deal.state, SEGMENTS.row
    standings = [s.standing for s in state.segments]
    rows, stint, before = [], 0, None
    for n, (segment, s) in enumerate(zip(state.segments, standings, strict=True)):
        after = standings[n + 1].outcome.value if n + 1 < len(standings) else None
        is_open = s.outcome is Outcome.open
        if is_open and before != "open":
            stint += 1
        rows.append(
            row(
                deal_id=deal.deal_id,
                key=state.key,
                segment=n + 1,
                since=segment.since,
                until=segment.until,
                outcome=s.outcome.value,
                stage=s.stage.value,
                value=cents(s.value),
                grade=s.grade.value if s.grade else None,
                stint=stint if is_open else None,
                came_from=before,
                went_to=after,
                customer_step=s.customer_step.value if s.customer_step else None,
                met_milestones=_ids(s.met),
                forced_past=_ids(s.forced_past),
                forced_count=s.forced_count,
                stage_entered_at=s.stage_entered_at,
                closed_at=s.closed_at,
            )
        )
        before = s.outcome.value
    return rows


@cache
def _ids(milestones: frozenset[Milestone]) -> str:
    """Milestone ids in the process's order, ';'-joined."""
    return ";".join(m.value for m in MILESTONES if m in milestones)


def segment_at(state: DealState, moment: datetime) -> Segment:
    """The stretch in effect at a business time (the first, before any)."""
    found = state.segments[0]
    for s in state.segments:
        if s.since <= moment:
            found = s
    return found


def closing_rows(deal: Deal) -> list[Row]:
    """One row for a deal won, lost, withdrawn or abandoned."""
    state = deal.state
    if state.outcome not in _CLOSED:
        return []
    assert state.opened_at is not None and state.outcome_at is not None
    then = segment_at(state, state.outcome_at).standing
    return [
        CLOSINGS.row(
            deal_id=deal.deal_id,
            key=state.key,
            owner=state.owner,
            outcome=state.outcome.value,
            stage=then.stage.value,
            opened_at=state.opened_at,
            closed_at=state.outcome_at,
            grade=then.grade.value if then.grade else None,
            value=cents(then.value),
            cycle_days=days(state.opened_at, state.outcome_at),
        )
    ]

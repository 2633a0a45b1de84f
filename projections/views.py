"""How a deal reads: where it stands, in the ids every view shares, and the
``deal show`` document."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from domain.config import ProcessConfig
from domain.entries import Entry
from domain.events import DealEvent
from domain.fold import retracted_seq, visible
from domain.state import DealState
from domain.vocabulary import MILESTONES
from projections.cells import money


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 with an offset, or None."""
    return moment.isoformat() if moment is not None else None


def standing(state: DealState, config: ProcessConfig) -> dict[str, Any]:
    """Where the deal stands, in the ids that every view shares."""
    probability, explained = state.win_probability(config)
    return {
        "stage": state.stage.value,
        "outcome": state.outcome.value,
        "grade": state.grade.value if state.grade else None,
        "engagement": state.engagement.value if state.engagement else None,
        "customer_step": state.customer_step.value if state.customer_step else None,
        "expected_stage": state.expected_stage.value if state.expected_stage else None,
        "alignment": state.alignment.value,
        "missing_milestones": [m.value for m in state.missing_milestones],
        "win_probability": probability,
        "win_probability_explained": explained,
    }


def deal_document(state: DealState, config: ProcessConfig) -> dict[str, Any]:
    """The ``deal show --json`` document (keys fixed by shared/cli.md)."""
    return {
        "key": state.key,
        "customer": state.customer,
        "title": state.title,
        "owner": state.owner,
        **standing(state, config),
        "milestones": {
            m.value: {
                "met": state.milestones[m].met,
                "at": iso(state.milestones[m].at),
                "forced_past": state.milestones[m].forced_past,
                "verified": state.milestones[m].verified,
            }
            for m in MILESTONES
        },
        "value": money(state.value),
        "currency": config.currency,
        "forced_advances": [f.as_dict() for f in state.forced_advances],
        "stakeholders": [s.as_dict() for s in state.stakeholders.values()],
        "tender_expected": state.tender_expected,
        "stage_entered_at": iso(state.stage_entered_at),
        "opened_at": iso(state.opened_at),
        "version": state.version,
    }


def recent_entries(
    entries: Sequence[Entry[DealEvent]],
    as_of: datetime | None,
    known_at: datetime | None,
    tz: ZoneInfo,
    most: int = 5,
) -> list[dict[str, Any]]:
    """The deal's latest entries in business time (as of ``as_of``, known at
    ``known_at``), oldest first, with their notes; retracted ones marked."""
    seen = visible(entries, known_at)
    retracted = {seq for e in seen if (seq := retracted_seq(e)) is not None}
    shown = sorted(
        (e for e in seen if as_of is None or e.occurred_at <= as_of),
        key=lambda e: (e.occurred_at, e.seq),
    )[-most:]
    return [
        {
            "seq": e.seq,
            "event": e.event,
            "occurred_at": e.occurred_at.astimezone(tz).isoformat(),
            "recorded_at": e.recorded_at.astimezone(tz).isoformat(),
            "actor": e.actor,
            "summary": e.fact.summary(),
            "note": e.note,
            "retracted": e.seq in retracted,
        }
        for e in shown
    ]

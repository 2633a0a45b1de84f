"""Pipeline movement between two moments, deal by deal and totalled.

Transitions (new, reopened, won, lost, withdrawn, abandoned, nurtured) count
each non-retracted entry inside the window; advanced, forced, unchanged and
stalled count deals. Open means outcome ``open``, so the totals balance:
open_at_end = open_at_start + new + reopened - won - lost - withdrawn
- abandoned - nurtured.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from domain.config import ProcessConfig
from domain.diagnosis import is_stalled
from domain.entries import Entry
from domain.events import DealEvent, EntryRetracted
from domain.fold import fold
from domain.process import OUTCOME_MEMBER, OUTCOME_OF, STEPS, Kind, outcome_of
from domain.state import DealState
from domain.vocabulary import Outcome

#: Transitions: the opening and the outcome changes, by event, as the process
#: table names them.
TRANSITIONS: dict[type[DealEvent], str] = {
    s.event: s.counted_as
    for s in STEPS
    if s.counted_as and s.kind in (Kind.opening, Kind.outcome) and s.event not in OUTCOME_MEMBER
}
#: Stage moves, by event.
MOVES: dict[type[DealEvent], str] = {
    s.event: s.counted_as for s in STEPS if s.counted_as and s.kind is Kind.move
}
_BY_OUTCOME = {o: TRANSITIONS[e] for e, o in OUTCOME_OF.items()}
#: The totals, in the order shown: new, then the transitions in the order of
#: the outcomes they lead to, the moves, and the two that count deals.
TOTALS: tuple[str, ...] = (
    *(TRANSITIONS[s.event] for s in STEPS if s.kind is Kind.opening),
    *(_BY_OUTCOME[o] for o in Outcome if o in _BY_OUTCOME),
    *MOVES.values(),
    "unchanged",
    "stalled",
)
_JUST_BEFORE = timedelta(microseconds=1)
#: Every event that counts as a transition: an imported outcome counts as the
#: transition to the outcome it names (an imported win is a win).
_CHANGES = (*TRANSITIONS, *OUTCOME_MEMBER)


def _transition(fact: DealEvent) -> str:
    if type(fact) in TRANSITIONS:
        return TRANSITIONS[type(fact)]
    outcome = outcome_of(fact)
    assert outcome is not None
    return _BY_OUTCOME[outcome]


def movement(
    deals: Iterable[Sequence[Entry[DealEvent]]],
    config: ProcessConfig,
    start: datetime,
    end: datetime,
) -> dict[str, Any]:
    """The movement document of ``movement --json`` for the window [start, end]."""
    totals = dict.fromkeys(TOTALS, 0)
    open_at_start = open_at_end = 0
    rows = []
    for entries in deals:
        row = _deal(entries, config, start, end)
        if row is None:
            continue
        open_at_start += row.pop("_open_at_start")
        open_at_end += row.pop("_open_at_end")
        for name in row["movements"]:
            totals[name] += 1
        if row.pop("_listed"):
            rows.append(row)
    return {
        "from": start,
        "to": end,
        "open_at_start": open_at_start,
        "open_at_end": open_at_end,
        "totals": totals,
        "deals": sorted(rows, key=lambda r: r["key"]),
    }


def _deal(
    entries: Sequence[Entry[DealEvent]], config: ProcessConfig, start: datetime, end: datetime
) -> dict[str, Any] | None:
    at_end = fold(entries, as_of=end)
    if at_end.opened_at is None:
        return None  # opened after the window
    at_start: DealState | None = fold(entries, as_of=start - _JUST_BEFORE)
    if at_start is not None and at_start.opened_at is None:
        at_start = None
    retracted = set(at_end.retracted)
    inside = [
        e
        for e in entries
        if start <= e.occurred_at <= end
        and e.seq not in retracted
        and not isinstance(e.fact, EntryRetracted)
    ]
    inside.sort(key=lambda e: (e.occurred_at, e.seq))
    moves = [_transition(e.fact) for e in inside if type(e.fact) in _CHANGES]
    moves += sorted({MOVES[type(e.fact)] for e in inside if type(e.fact) in MOVES})
    was_open = at_start is not None and at_start.outcome is Outcome.open
    is_open = at_end.outcome is Outcome.open
    if was_open and is_open and not moves:
        moves.append("unchanged")
    if is_stalled(at_end, config, end):
        moves.append("stalled")
    return {
        "key": at_end.key,
        "movements": moves,
        "stage_at_start": at_start.stage.value if at_start else None,
        "stage_at_end": at_end.stage.value,
        "outcome_at_start": at_start.outcome.value if at_start else None,
        "outcome_at_end": at_end.outcome.value,
        "_open_at_start": int(was_open),
        "_open_at_end": int(is_open),
        "_listed": bool(inside) or was_open or is_open,
    }

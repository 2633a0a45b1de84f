"""The guard: whether the process table accepts a command on a deal as it
stands now, and the named refusal when it does not."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from domain import errors
from domain.entries import Entry
from domain.events import DealEvent
from domain.process import (
    MOVES,
    NEEDS_STAGE,
    NOT_FORCEABLE,
    OUTCOME_EVENTS,
    STEP_OF,
    UNRETRACTABLE,
    Kind,
    Step,
    milestones_of,
)
from domain.state import DealState
from domain.times import check_business_time
from domain.vocabulary import Milestone


def not_future(at: datetime) -> None:
    """Business times are aware, from 1900 on, and never in the future."""
    check_business_time(at)


#: Unicode's control characters (category Cc) but a newline and a tab.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def check_text(data: Mapping[str, Any]) -> None:
    """No text of a fact holds a control character but a newline or a tab
    (a NUL would stop the PostgreSQL projection; an escape would reach a
    terminal). The command models refuse them first; this guards the Python API."""
    for name, value in data.items():
        texts = value if isinstance(value, list) else [value]
        if isinstance(value, dict):
            texts = list(value.values())
        for text in texts:
            if isinstance(text, str) and _CONTROL.search(text):
                raise errors.InputError(f"{name}: control characters are not allowed")


def check(s: DealState, step: Step, at: datetime) -> None:
    """Refuse ``step`` at business time ``at`` unless the table accepts the
    deal's stage, outcome and milestones, in this order: once only, the
    outcome, after opening, the stage (and after entering it), the milestones
    it needs, after the last stage move or outcome."""
    not_future(at)
    command = step.command
    if step.once and step.meets is not None and s.is_met(step.meets):
        raise errors.AlreadyMet(s.key, command, step.meets.value)
    if s.outcome not in step.outcomes:
        if s.outcome.is_closed:
            raise errors.DealClosed(s.key, command, s.outcome.value)
        needed = [o.value for o in step.outcomes]
        raise errors.WrongOutcome(s.key, command, needed, s.outcome.value)
    assert s.opened_at is not None
    if at < s.opened_at:
        _out_of_order(s, command, at, "the deal was opened", s.opened_at)
    if s.stage not in step.stages:
        if step.kind is Kind.move:
            raise errors.LastStage(s.key)
        stages = " or ".join(st.value for st in step.stages)
        raise errors.WrongStage(s.key, command, stages, s.stage.value)
    if step.stage_bound and step.kind is not Kind.move and at < s.entered[s.stage]:
        _out_of_order(s, command, at, f"the deal entered {s.stage.value}", s.entered[s.stage])
    unmet = [m.value for m in step.needs if not s.is_met(m)]
    if unmet:
        raise errors.MilestoneNeeded(s.key, command, unmet)
    _after_met(s, command, at, step.needs)
    if step.after_last_move and s.last_move_at is not None and at < s.last_move_at:
        _out_of_order(s, command, at, "the deal's last stage move or outcome", s.last_move_at)


def _out_of_order(s: DealState, command: str, at: datetime, what: str, then: datetime) -> None:
    raise errors.OutOfTimeOrder(
        f"deal {s.key!r}: '{command}' dated {at.isoformat()} is before {what} ({then.isoformat()})"
    )


def _after_met(s: DealState, command: str, at: datetime, milestones: Sequence[Milestone]) -> None:
    """A command that relies on met milestones is dated no earlier than they were met."""
    for m in milestones:
        met_at = s.milestones[m].at
        if met_at is not None and at < met_at:
            _out_of_order(s, command, at, f"{m.value} was met", met_at)


def check_gate(s: DealState, at: datetime) -> None:
    """``advance`` looks only at the current stage's milestones: all met, and
    met by the time of the move."""
    unmet = s.unmet_of(s.stage)
    if unmet:
        raise errors.MilestonesUnmet(s.key, s.stage.value, [m.value for m in unmet])
    _after_met(s, "advance", at, milestones_of(s.stage))


def check_force(s: DealState, at: datetime) -> tuple[Milestone, ...]:
    """``force`` skips the current stage's unmet milestones, none of them one
    that no force may skip, and is dated no earlier than the met ones it
    relies on were met; returns the skipped ones."""
    unmet = s.unmet_of(s.stage)
    unforceable = [m.value for m in NOT_FORCEABLE.get(s.stage, ()) if m in unmet]
    if unforceable:
        raise errors.WinCannotBeForced(s.key, s.stage.value, unforceable)
    if not unmet:
        raise errors.NothingToForce(s.key, s.stage.value)
    _after_met(s, "force", at, [m for m in milestones_of(s.stage) if m not in unmet])
    return unmet


def retractable(s: DealState, entries: Sequence[Entry[DealEvent]], seq: int) -> Entry[DealEvent]:
    """The entry ``seq`` if it may be retracted: it exists, it is not the
    opening, a stage move or a retraction, not retracted yet, and an outcome
    only while it is the deal's latest (and in the stages its command needs),
    a stage move only while it is the latest and nothing later needs its stage."""
    target = next((e for e in entries if e.seq == seq), None)
    if target is None:
        raise errors.CannotRetract(f"deal {s.key!r} has no entry {seq}")
    fact = type(target.fact)
    if fact in UNRETRACTABLE:
        raise errors.CannotRetract(
            f"deal {s.key!r}: entry {seq} ({target.event}) cannot be retracted"
            " (Opened and retractions stand)"
        )
    if seq in s.retracted:
        raise errors.CannotRetract(f"deal {s.key!r}: entry {seq} is already retracted")
    if fact in MOVES:
        _move_retractable(s, target)
    if fact in OUTCOME_EVENTS:
        if s.outcome_seq != seq:
            raise errors.CannotRetract(
                f"deal {s.key!r}: only the latest outcome entry ({s.outcome_seq}) may be retracted"
            )
        step = STEP_OF[fact]
        if step.stage_bound and s.stage not in step.stages:
            raise errors.CannotRetract(
                f"deal {s.key!r}: {target.event} can be retracted only while the deal"
                f" is in {' or '.join(st.value for st in step.stages)}; it is in {s.stage.value}"
            )
    return target


def _move_retractable(s: DealState, move: Entry[DealEvent]) -> None:
    """A stage move may be taken back while it is the deal's latest and no
    entry dated after it needs the stage it moved to."""
    stay = s.stays[-1]
    if stay.entered_seq != move.seq:
        raise errors.CannotRetract(
            f"deal {s.key!r}: entry {move.seq} ({move.event}) is not the deal's latest"
            f" stage move (entry {stay.entered_seq} is): only the latest may be retracted"
        )
    needing = [
        e
        for e in s.applied
        if e.occurred_at >= move.occurred_at and stay.stage in NEEDS_STAGE.get(type(e.fact), ())
    ]
    if needing:
        later = ", ".join(f"{e.seq} ({e.event})" for e in needing)
        raise errors.CannotRetract(
            f"deal {s.key!r}: entry {move.seq} ({move.event}) stands: later entries need"
            f" {stay.stage.value} ({later}); retract them first"
        )

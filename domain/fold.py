"""The fold: a deal's state as of a business time, known at a recorded time.

Every view of a deal (the aggregate's rule checks, ``deal show``, the read
models, replay, as-of and known-at) is this one function over the deal's
entries, so they cannot disagree. What each event does comes from the
process table (``domain.process``); an event class adds only what it records
of its own (``_records``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar, cast

from domain import events as ev
from domain import unverified
from domain.entries import Entry
from domain.process import STEPS, TIMELESS, WHILE_PRESENT, Kind, Meets, Person, Step
from domain.state import (
    DealState,
    ForcedAdvance,
    MilestonePeriod,
    Segment,
    StageStay,
    Stakeholder,
    Standing,
)
from domain.vocabulary import CustomerStep, Grade, Milestone, Outcome, Role, Stage


def retracted_seq(entry: Entry[ev.DealEvent]) -> int | None:
    """The seq a retraction takes back (None for any other entry)."""
    fact = entry.fact
    return fact.seq if isinstance(fact, ev.EntryRetracted) else None


def visible(
    entries: Iterable[Entry[ev.DealEvent]], known_at: datetime | None
) -> list[Entry[ev.DealEvent]]:
    """Entries recorded by ``known_at`` (all when it is None)."""
    if known_at is None:
        return list(entries)
    return [e for e in entries if e.recorded_at <= known_at]


def fold(
    entries: Sequence[Entry[ev.DealEvent]],
    as_of: datetime | None = None,
    known_at: datetime | None = None,
) -> DealState:
    """The deal as it stood in the world at ``as_of``, from what was recorded
    by ``known_at``: entries applied in ``occurred_at`` order, ties by seq,
    retracted ones left out (from the moment the retraction was recorded)."""
    seen = visible(entries, known_at)
    state = DealState()
    retractions = {e.fact.seq: e for e in seen if type(e.fact) is ev.EntryRetracted}
    by_seq = {e.seq: e for e in seen}
    state.retracted = {s: by_seq[s] for s in retractions if s in by_seq}
    state.version = max((e.seq for e in seen), default=0)
    live = sorted(
        (
            e
            for e in seen
            if type(e.fact) not in TIMELESS
            and e.seq not in retractions
            and (as_of is None or e.occurred_at <= as_of)
        ),
        key=lambda e: (e.occurred_at, e.seq),
    )
    for e in live:
        apply_entry(state, e)
    if state.opened_at is not None:
        for e in seen:
            if type(e.fact) is ev.DetailsCorrected and e.seq not in retractions:
                correct(state, e.fact)
    return state


def correct(state: DealState, fact: ev.DetailsCorrected) -> None:
    """Put the deal's details right (in every view: the details were wrong
    from the start, not from the correction's business time)."""
    for name, value in fact.corrected().items():
        setattr(state, name, value)


def apply_entry(state: DealState, entry: Entry[ev.DealEvent]) -> None:
    """Apply one more entry, later in business time than every applied one.

    ``fold`` is this, entry after entry; the aggregate also calls it directly
    for a new entry that sorts last, instead of folding the history again.
    """
    for apply in _PLAN[type(entry.fact)]:
        apply(state, entry)
    state.applied.append(entry)
    state.version = max(state.version, entry.seq)
    _segment(state, entry.occurred_at)


def _segment(state: DealState, at: datetime) -> None:
    """End the deal's current segment at ``at`` if its standing changed (a
    change at the very moment the segment began replaces it)."""
    stays = state.stays
    key = Standing(
        state.outcome,
        state.stage,
        state.value,
        state.grade,
        state.customer_step,
        state.met_set,
        state.forced_set,
        len(state.forced_advances),
        stays[-1].entered_at if stays else state.opened_at,
        state.outcome_at if state.outcome.is_closed else None,
    )
    segments = state.segments
    if segments and segments[-1].standing == key:
        return
    if segments and segments[-1].since == at:
        segments.pop()
        if segments and segments[-1].standing == key:
            segments[-1].until = None
            return
    if segments:
        segments[-1].until = at
    segments.append(Segment(at, key))


# -- what each event records of its own ----------------------------------------

E = TypeVar("E", bound=ev.DealEvent)
_Apply = Callable[[DealState, Any], None]
_RECORDS: dict[type[ev.DealEvent], _Apply] = {}


def _records(
    cls: type[E],
) -> Callable[[Callable[[DealState, Entry[E]], None]], Callable[[DealState, Entry[E]], None]]:
    """Register what an event class records beyond what the process table says."""

    def register(
        apply: Callable[[DealState, Entry[E]], None],
    ) -> Callable[[DealState, Entry[E]], None]:
        _RECORDS[cls] = apply
        return apply

    return register


@_records(ev.Opened)
def _opened(state: DealState, e: Entry[ev.Opened]) -> None:
    f = e.fact
    state.key, state.customer, state.title = f.key, f.customer, f.title
    state.owner, state.tender_expected = f.owner, f.tender_expected
    state.opened_at = e.occurred_at
    _enter(state, Stage.development, e)


@_records(ev.CustomerStepObserved)
def _step(state: DealState, e: Entry[ev.CustomerStepObserved]) -> None:
    state.customer_step = CustomerStep(e.fact.step)


@_records(ev.AssessmentElementCollected)
def _collected(state: DealState, e: Entry[ev.AssessmentElementCollected]) -> None:
    state.elements[e.fact.element] = e.fact.text


@_records(ev.Assessed)
def _assessed(state: DealState, e: Entry[ev.Assessed]) -> None:
    state.assessment = {**e.data, "at": e.occurred_at, "seq": e.seq}


@_records(ev.Graded)
def _graded(state: DealState, e: Entry[ev.Graded]) -> None:
    state.grade, state.graded_at = Grade(e.fact.grade), e.occurred_at


@_records(ev.StakeholderIdentified)
def _identified(state: DealState, e: Entry[ev.StakeholderIdentified]) -> None:
    p = _person(state, e.fact.name)
    p.role, p.weight = Role(e.fact.role or "other"), e.fact.weight


@_records(ev.ActivityHeld)
def _activity(state: DealState, e: Entry[ev.ActivityHeld]) -> None:
    state.activities.append((e.occurred_at, e.fact.kind))


@_records(ev.ShortListed)
def _shortlisted(state: DealState, e: Entry[ev.ShortListed]) -> None:
    state.shortlisted = True


@_records(ev.StandardInfluenced)
def _influenced(state: DealState, e: Entry[ev.StandardInfluenced]) -> None:
    state.criteria.extend(e.fact.criteria)


@_records(ev.TenderReceived)
def _tender(state: DealState, e: Entry[ev.TenderReceived]) -> None:
    state.tender_due = e.fact.due


@_records(ev.StageForced)
def _forced(state: DealState, e: Entry[ev.StageForced]) -> None:
    f = e.fact
    missing = tuple(Milestone(m) for m in f.missing)
    for m in missing:
        state.milestones[m].forced_past = True
        state.milestones[m].unverified = False  # forced past it here: the exception stands
    state.forced_set = state.forced_set.union(missing)
    state.forced_advances.append(
        ForcedAdvance(
            Stage(f.from_stage),
            Stage(f.to_stage),
            missing,
            f.reason,
            f.approved_by,
            e.occurred_at,
            e.seq,
        )
    )


@_records(ev.StageImported)
def _stage_imported(state: DealState, e: Entry[ev.StageImported]) -> None:
    unverified.passed(state, e.fact.unverified)
    unverified.moved_back(state, Stage(e.fact.from_stage), Stage(e.fact.to_stage))


@_records(ev.OutcomeImported)
def _outcome_imported(state: DealState, e: Entry[ev.OutcomeImported]) -> None:
    unverified.passed(state, e.fact.unverified)


# -- what the process table says each event does -----------------------------------


def _met(state: DealState, m: Milestone, e: Entry[Any], met: bool, how: str = "") -> None:
    status = state.milestones[m]
    if met and not status.met:
        status.met, status.at, status.seq = True, e.occurred_at, e.seq
        status.unverified = False  # its evidence: verified
        state.met_set = state.met_set | {m}
        state.periods.append(MilestonePeriod(m, e.occurred_at, e.recorded_at, e.seq))
    elif not met and status.met:
        status.met, status.at, status.seq = False, None, None
        state.met_set = state.met_set - {m}
        period = next(p for p in reversed(state.periods) if p.milestone is m)
        period.met_until, period.met_until_recorded = e.occurred_at, e.recorded_at
        period.ended_by_seq, period.ended_how = e.seq, how


def _enter(state: DealState, stage: Stage, e: Entry[Any]) -> None:
    state.stage, state.stage_entered_at = stage, e.occurred_at
    state.entered[stage] = e.occurred_at
    state.stays.append(StageStay(stage, e.occurred_at, e.recorded_at, e.seq))


def _leave(state: DealState, e: Entry[Any], how: str, skipped: tuple[Milestone, ...] = ()) -> None:
    stay = state.stays[-1]
    stay.left_at, stay.left_recorded, stay.left_seq = e.occurred_at, e.recorded_at, e.seq
    stay.left_how, stay.skipped = how, skipped


def _person(state: DealState, name: str) -> Stakeholder:
    return state.stakeholders.setdefault(name, Stakeholder(name))


#: The milestones met while someone remains, in the order they are judged.
_PRESENT = tuple(dict.fromkeys(WHILE_PRESENT.values()))


def _presence(state: DealState, e: Entry[Any], how: str) -> list[Milestone]:
    """Judge again each milestone met while someone remains; returns those
    that lapsed."""
    lapsed = []
    for m in _PRESENT:
        was = state.milestones[m].met
        now = any(m in p.brings for p in state.stakeholders.values() if not p.left)
        _met(state, m, e, now, how)
        if was and not now:
            lapsed.append(m)
    return lapsed


def _person_effect(step: Step) -> _Apply:
    brings = step.meets if step.how is Meets.while_present else None
    if step.person is Person.joins:

        def joins(state: DealState, e: Entry[Any]) -> None:
            p = _person(state, cast(ev.PersonEvent, e.fact).name)
            p.left = False
            if brings is not None:
                p.brings.add(brings)
            _presence(state, e, "")
            if brings is not None:
                state.lapsed.pop(brings, None)

        return joins
    how = step.unmet_as

    def leaves(state: DealState, e: Entry[Any]) -> None:
        _person(state, cast(ev.PersonEvent, e.fact).name).left = True
        for m in _presence(state, e, how):
            state.lapsed[m] = e.occurred_at

    return leaves


def _milestone_effect(step: Step) -> _Apply:
    m, how = step.meets, step.unmet_as
    assert m is not None
    if step.how is Meets.verdict:

        def verdict(state: DealState, e: Entry[Any]) -> None:
            _met(state, m, e, cast(ev.Verdict, e.fact).passed, how)

        return verdict

    def met(state: DealState, e: Entry[Any]) -> None:
        _met(state, m, e, True)

    return met


def _move_effect(step: Step) -> _Apply:
    how = step.counted_as or step.command

    def move(state: DealState, e: Entry[Any]) -> None:
        fact = cast(ev.StageMoved, e.fact)
        _leave(state, e, how, tuple(Milestone(m) for m in fact.skipped))
        _enter(state, Stage(fact.to_stage), e)
        state.last_move_at = e.occurred_at

    return move


def _outcome_effect(fixed: Outcome | None, member: str | None) -> _Apply:
    def decide(state: DealState, e: Entry[Any]) -> None:
        fact = e.fact
        outcome = fixed if member is None else Outcome(getattr(fact, member))
        assert outcome is not None
        state.outcome, state.outcome_at, state.outcome_seq = outcome, e.occurred_at, e.seq
        state.outcome_reason = getattr(fact, "reason", None)
        state.competitor = fact.competitor if isinstance(fact, ev.Lost) else None
        state.last_move_at = e.occurred_at
        if outcome.is_closed:
            _leave(state, e, outcome.value)

    return decide


def _value_effect(step: Step) -> _Apply:
    member = step.value
    assert member is not None
    contract = step.outcome is Outcome.won

    def value(state: DealState, e: Entry[Any]) -> None:
        amount = getattr(e.fact, member)
        if amount is None:
            return
        if contract:
            state.contract_value = Decimal(amount)
        else:  # applied in business-time order: the latest stands
            state.estimated_value = Decimal(amount)

    return value


def _plan(step: Step) -> tuple[_Apply, ...]:
    """Everything an event does to the state, in order: what it records of
    its own, the person it names, its milestone, its value, the stage, the
    outcome."""
    plan: list[_Apply] = []
    if step.event in _RECORDS:
        plan.append(_RECORDS[step.event])
    if step.value is not None:
        plan.append(_value_effect(step))
    if step.person is not None:
        plan.append(_person_effect(step))
    if step.meets is not None and step.how is not Meets.while_present:
        plan.append(_milestone_effect(step))
    if step.kind is Kind.move:
        plan.append(_move_effect(step))
    if step.outcome is not None or step.outcome_from is not None:
        plan.append(_outcome_effect(step.outcome, step.outcome_from))
    return tuple(plan)


#: What applying each event class does; a retraction and a correction of the
#: details are never applied in business-time order (the fold leaves out what
#: a retraction retracts, and puts the details right in every view).
_PLAN: dict[type[ev.DealEvent], tuple[_Apply, ...]] = {
    s.event: _plan(s) for s in STEPS if s.event not in TIMELESS
}

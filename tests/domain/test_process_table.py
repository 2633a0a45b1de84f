"""The process table and the aggregate can never disagree: for every command,
in every stage and outcome, with the stage's milestones met or not, the
aggregate accepts exactly what the table (and the gate over its milestones)
says, refuses the rest with the error the table implies, and a refusal writes
nothing (shared/domain.md, "What each stage accepts")."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any

import pytest

from domain import errors
from domain import events as ev
from domain.config import ProcessConfig, load_config
from domain.opportunity import Opportunity
from domain.process import (
    COMMAND,
    NOT_FORCEABLE,
    STAGE_MILESTONES,
    STEPS,
    Kind,
    Meets,
    Step,
    milestones_of,
)
from domain.state import DealState
from domain.vocabulary import (
    STAGES,
    ActivityKind,
    AssessmentElement,
    AssessmentFactor,
    CustomerStep,
    Grade,
    LossReason,
    Milestone,
    Outcome,
    Role,
    Stage,
)

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
AT = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)  # after every fact of a fixture
BY = "li.wei"
CONFIG = load_config()

#: Valid data of each event class, to put a deal in a state without its rules.
SAMPLE: dict[type[ev.DealEvent], dict[str, Any]] = {
    ev.CustomerStepObserved: {"step": "need_initiation"},
    ev.AssessmentElementCollected: {"element": "needs", "text": "noted"},
    ev.Assessed: {
        "scores": {},
        "weights": {},
        "weighted_mean": 4.0,
        "pass_mean": 3.0,
        "passed": True,
        "knocked_out": [],
    },
    ev.Graded: {
        "grade": "A",
        "method": "manual",
        "likelihood": None,
        "close_by": None,
        "days": None,
        "reason": "strategic",
    },
    ev.StakeholderIdentified: {"name": "Ma", "role": "other", "weight": None},
    ev.StakeholderLeft: {"name": "Ma", "reason": None},
    ev.InsiderFound: {"name": "Wang"},
    ev.KeyPersonEngaged: {"name": "Zhao"},
    ev.ActivityHeld: {"kind": "visit", "with_whom": None, "result": None},
    ev.ShortListed: {},
    ev.StandardInfluenced: {"criteria": ["drain interval"]},
    ev.TenderReceived: {"due": None},
    ev.ValueEstimated: {"value": "250000"},
    ev.BidSubmitted: {"price": "100", "margin": None, "negotiated": False},
    ev.ContractApproved: {},
    ev.ContractSigned: {"value": None},
    ev.TrialEvaluated: {"result": "ok"},
    ev.OilAnalysisFollowedUp: {"result": "ok"},
    ev.Lost: {"reason": "price", "competitor": None},
    ev.Withdrawn: {"reason": "standard against us"},
    ev.Abandoned: {"reason": "too small"},
    ev.Nurtured: {"reason": "later"},
    ev.Reopened: {"reason": "budget found"},
    ev.OutcomeImported: {
        "outcome": "lost",
        "reason": "price",
        "unverified": [],
        "source": "salesforce",
        "source_id": "00k1",
    },
}

#: Each command of the table, given valid input at ``AT``.
CALLS: dict[str, Callable[[Opportunity, ProcessConfig], Any]] = {
    "customer-step": lambda d, c: d.observe_customer_step(CustomerStep.need_initiation, AT, BY),
    "collect": lambda d, c: d.collect(AssessmentElement.needs, "noted", AT, BY),
    "assess": lambda d, c: d.assess({f: 4 for f in AssessmentFactor}, c, AT, BY),
    "grade": lambda d, c: d.grade_by_hand(Grade.B, "a hunch", AT, BY),
    "stakeholder": lambda d, c: d.identify_stakeholder("Li", Role.user, None, AT, BY),
    "stakeholder-left": lambda d, c: d.stakeholder_left("Ma", None, AT, BY),
    "insider": lambda d, c: d.find_insider("Sun", AT, BY),
    "engage": lambda d, c: d.engage_key_person("Qian", AT, BY),
    "activity": lambda d, c: d.hold_activity(ActivityKind.call, None, None, AT, BY),
    "shortlist": lambda d, c: d.shortlist(AT, BY),
    "influence": lambda d, c: d.influence_standard(["viscosity"], AT, BY),
    "tender": lambda d, c: d.receive_tender(None, AT, BY),
    "estimate": lambda d, c: d.estimate_value(Decimal("250000"), AT, BY),
    "bid": lambda d, c: d.submit_bid(Decimal("90"), None, False, AT, BY),
    "approve-contract": lambda d, c: d.approve_contract(AT, BY),
    "sign": lambda d, c: d.sign(None, AT, BY),
    "trial": lambda d, c: d.evaluate_trial("ok", AT, BY),
    "oil-analysis": lambda d, c: d.follow_up_oil_analysis("ok", AT, BY),
    "advance": lambda d, c: d.advance(AT, BY),
    "force": lambda d, c: d.force("customer moved fast", "director", AT, BY),
    "lose": lambda d, c: d.lose(LossReason.price, None, AT, BY),
    "withdraw": lambda d, c: d.withdraw("standard against us", AT, BY),
    "abandon": lambda d, c: d.abandon("too small", AT, BY),
    "nurture": lambda d, c: d.nurture("later", AT, BY),
    "reopen": lambda d, c: d.reopen("budget found", AT, BY),
    "import-stage": lambda d, c: d.import_stage(
        Stage.entry if d.state.stage is Stage.development else Stage.development,
        AT,
        BY,
        "salesforce",
        "00k2",
    ),
    "import-outcome": lambda d, c: d.import_outcome(
        Outcome.lost, LossReason.price, AT, BY, "salesforce", "00k3"
    ),
    "correct": lambda d, c: d.correct_details("typo", AT, BY, customer="Ningxia Coal"),
    "retract": lambda d, c: d.retract(ACTIVITY_SEQ, "wrong deal", AT, BY),
}
ACTIVITY_SEQ = 3  # the fixtures' activity, the one entry any deal may retract
OUTCOME_EVENT = {
    Outcome.won: ev.ContractSigned,
    Outcome.lost: ev.Lost,
    Outcome.withdrawn: ev.Withdrawn,
    Outcome.abandoned: ev.Abandoned,
    Outcome.nurture: ev.Nurtured,
}


def _given(deal: Opportunity, event: type[ev.DealEvent], at: datetime, **data: Any) -> None:
    """A fact applied as given: the fixture's way past the rules."""
    deal.trigger_event(event, occurred_at=at, actor=BY, note=None, **data)


def _evidence(milestone: Milestone) -> type[ev.DealEvent]:
    """The event the table says meets ``milestone``."""
    return next(s.event for s in STEPS if s.meets is milestone)


def deal_in(stage: Stage, outcome: Outcome, met: int) -> Opportunity:
    """A deal in ``stage`` with ``outcome``, the first ``met`` of its stage's
    milestones met, a present stakeholder and an activity (seq 3) it may
    retract."""
    deal = Opportunity.open("TBL-1", "Ningxia plant", "Gear oils", BY, None, T0, BY)
    clock = iter(T0 + timedelta(days=n) for n in range(1, 100))
    _given(deal, ev.StakeholderIdentified, next(clock), **SAMPLE[ev.StakeholderIdentified])
    _given(deal, ev.ActivityHeld, next(clock), **SAMPLE[ev.ActivityHeld])
    for before, after in pairwise(STAGES):
        if before is stage:
            break
        _given(deal, ev.StageAdvanced, next(clock), from_stage=before.value, to_stage=after.value)
    for m in milestones_of(stage)[:met]:
        _given(deal, _evidence(m), next(clock), **SAMPLE[_evidence(m)])
    if outcome is not Outcome.open and deal.state.outcome is not outcome:
        _given(deal, OUTCOME_EVENT[outcome], next(clock), **SAMPLE[OUTCOME_EVENT[outcome]])
    return deal


def expected(step: Step, s: DealState) -> type[Exception] | None:
    """What the table (and the gate over its milestones) says of ``step`` on a
    deal in state ``s``: the error it is refused with, or None."""
    if step.once and step.meets is not None and s.is_met(step.meets):
        return errors.AlreadyMet
    if s.outcome not in step.outcomes:
        return errors.DealClosed if s.outcome.is_closed else errors.WrongOutcome
    if s.stage not in step.stages:
        return errors.LastStage if step.kind is Kind.move else errors.WrongStage
    if not all(s.is_met(m) for m in step.needs):
        return errors.MilestoneNeeded
    unmet = {m for m in STAGE_MILESTONES[s.stage] if not s.is_met(m)}
    if step.command == "advance" and unmet:
        return errors.MilestonesUnmet
    if step.command == "force":
        if unmet & set(NOT_FORCEABLE.get(s.stage, ())):
            return errors.WinCannotBeForced
        if not unmet:
            return errors.NothingToForce
    return None


def _states() -> Iterator[tuple[Stage, Outcome, int]]:
    """Every stage and outcome, with none, some and all of the stage's milestones met."""
    most = max(len(ms) for ms in STAGE_MILESTONES.values())
    for stage in Stage:
        for outcome in Outcome:
            for met in range(most + 1):
                yield stage, outcome, met


def test_every_command_of_the_table_has_a_call_and_every_event_a_sample() -> None:
    assert set(CALLS) == {s.command for s in STEPS if s.kind is not Kind.opening}
    recorded = {s.event for s in STEPS if s.kind not in (Kind.opening, Kind.move)}
    assert recorded - {ev.EntryRetracted, ev.DetailsCorrected} <= set(SAMPLE)


def test_the_fixtures_reach_every_stage_and_every_outcome() -> None:
    reached = {(d.state.stage, d.state.outcome) for d in (deal_in(*s) for s in _states())}
    assert {stage for stage, _ in reached} == set(Stage)
    assert {outcome for _, outcome in reached} == set(Outcome)
    assert len(reached) == len(Stage) * len(Outcome)


@pytest.mark.parametrize("command", sorted(CALLS))
def test_the_aggregate_accepts_exactly_what_the_table_says(command: str) -> None:
    step = COMMAND[command]
    accepted = refused = 0
    for stage, outcome, met in _states():
        deal = deal_in(stage, outcome, met)
        before = deal.version
        wanted = expected(step, deal.state)
        where = (
            f"{command} in {deal.state.stage}, {deal.state.outcome}, {met} of its milestones met"
        )
        if wanted is None:
            CALLS[command](deal, CONFIG)
            assert deal.version == before + 1, where
            assert type(deal.entries[-1].fact) is step.event, where
            accepted += 1
        else:
            with pytest.raises(wanted) as refusal:
                CALLS[command](deal, CONFIG)
            assert type(refusal.value) is wanted, where
            assert deal.version == before, where
            refused += 1
    assert accepted, f"{command} is accepted somewhere"
    assert refused or step.outcomes == tuple(Outcome), f"{command} is refused somewhere"


def test_each_milestone_is_met_by_the_event_the_table_names() -> None:
    for m in Milestone:
        step = next(s for s in STEPS if s.meets is m)
        deal = Opportunity.open("TBL-2", "c", "t", BY, None, T0, BY)
        _given(deal, step.event, T0 + timedelta(days=1), **SAMPLE[step.event])
        assert deal.state.is_met(m), m
        if step.how is Meets.verdict:
            failed = {**SAMPLE[step.event], "passed": False}
            _given(deal, step.event, T0 + timedelta(days=2), **failed)
            assert not deal.state.is_met(m), m

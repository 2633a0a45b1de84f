"""What each stage accepts and signing (shared/domain.md, "What each stage
accepts" and "Signing")."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal

import pytest

from domain.config import ProcessConfig
from domain.errors import (
    AlreadyMet,
    MilestoneNeeded,
    WrongStage,
)
from domain.opportunity import Opportunity
from domain.vocabulary import (
    ActivityKind,
    AssessmentElement,
    CustomerStep,
    Grade,
    Milestone,
    Outcome,
    Role,
    Stage,
)

from .conftest import SELLER, day, meet_stage, scores, walk_to

Command = Callable[[Opportunity, ProcessConfig, datetime], object]

OPEN_STAGES = (Stage.development, Stage.entry, Stage.proposal, Stage.bidding, Stage.negotiation)

ANY_STAGE_EVENTS = (
    "CustomerStepObserved",
    "AssessmentElementCollected",
    "Assessed",
    "Graded",
    "StakeholderIdentified",
    "StakeholderLeft",
    *("ActivityHeld" for _ in ActivityKind),
    "ShortListed",
    "TenderReceived",
    "InsiderFound",
    "KeyPersonEngaged",
    "StandardInfluenced",
)


def give_every_any_stage_command(deal: Opportunity, config: ProcessConfig, at: datetime) -> None:
    """customer-step, collect, assess, grade, stakeholder, stakeholder-left,
    activity (every kind), shortlist, tender, insider, engage, influence."""
    deal.observe_customer_step(CustomerStep.criteria_definition, at, SELLER)
    deal.collect(AssessmentElement.budget, "CNY 3 million in the 2027 plan", at, SELLER)
    deal.assess(scores(), config, at, SELLER)
    deal.grade_by_hand(Grade.B, "slow budget cycle", at, SELLER)
    deal.identify_stakeholder("Sun (plant manager)", Role.decision_maker, 0.4, at, SELLER)
    deal.stakeholder_left("Sun (plant manager)", "moved to head office", at, SELLER)
    for kind in ActivityKind:
        deal.hold_activity(kind, "Sun", "fine", at, SELLER)
    deal.shortlist(at, SELLER)
    deal.receive_tender(date(2026, 12, 20), at, SELLER)
    deal.find_insider("Qian (stores)", at, SELLER)
    deal.engage_key_person("Zhou (maintenance lead)", at, SELLER)
    deal.influence_standard(["FZG stage 12"], at, SELLER)


def recorded_since(deal: Opportunity, seq: int) -> tuple[str, ...]:
    return tuple(e.event for e in deal.entries if e.seq > seq)


# -- the any-stage commands ----------------------------------------------------


@pytest.mark.parametrize("stage", OPEN_STAGES)
def test_every_stage_accepts_the_any_stage_commands_while_open(
    deal: Opportunity, config: ProcessConfig, stage: Stage
) -> None:
    walk_to(deal, stage, config)
    before = deal.state.version

    give_every_any_stage_command(deal, config, day(20))

    assert recorded_since(deal, before) == ANY_STAGE_EVENTS
    assert deal.state.stage is stage


@pytest.mark.parametrize("stage", (Stage.negotiation, Stage.implementation))
def test_a_won_deal_accepts_the_any_stage_commands(
    deal: Opportunity, config: ProcessConfig, stage: Stage
) -> None:
    walk_to(deal, stage, config)
    if stage is Stage.negotiation:
        meet_stage(deal, config, day(15))
    before = deal.state.version

    give_every_any_stage_command(deal, config, day(20))

    assert deal.state.outcome is Outcome.won
    assert recorded_since(deal, before) == ANY_STAGE_EVENTS


def test_a_nurtured_deal_accepts_the_any_stage_commands(
    deal: Opportunity, config: ProcessConfig
) -> None:
    walk_to(deal, Stage.proposal, config)
    deal.nurture("project postponed a year", day(15), SELLER)
    before = deal.state.version

    give_every_any_stage_command(deal, config, day(20))

    assert deal.state.outcome is Outcome.nurture
    assert recorded_since(deal, before) == ANY_STAGE_EVENTS


def test_no_order_inside_a_stage_assess_grade_and_bid_need_nothing_before_them(
    deal: Opportunity, config: ProcessConfig
) -> None:
    deal.assess(scores(), config, day(1), SELLER)
    deal.grade_by_hand(Grade.A, "known plant", day(1), SELLER)
    walk_to(deal, Stage.bidding, config)

    deal.submit_bid(Decimal("980000.00"), None, True, day(20), SELLER)

    assert deal.state.elements == {}
    assert deal.state.tender_due is None
    assert deal.state.is_met(Milestone.bid_submitted)


# -- stage-bound commands ------------------------------------------------------


@pytest.mark.parametrize("stage", [s for s in OPEN_STAGES if s is not Stage.bidding])
def test_a_bid_is_accepted_only_in_bidding(
    deal: Opportunity, config: ProcessConfig, stage: Stage
) -> None:
    walk_to(deal, stage, config)
    before = deal.state.version

    with pytest.raises(WrongStage, match="bidding"):
        deal.submit_bid(Decimal("1000000.00"), 0.2, False, day(20), SELLER)

    assert deal.state.version == before


@pytest.mark.parametrize("stage", OPEN_STAGES[:-1])
def test_the_contract_is_approved_only_in_negotiation(
    deal: Opportunity, config: ProcessConfig, stage: Stage
) -> None:
    walk_to(deal, stage, config)

    with pytest.raises(WrongStage, match="negotiation"):
        deal.approve_contract(day(20), SELLER)


@pytest.mark.parametrize("stage", OPEN_STAGES[:-1])
def test_the_contract_is_signed_only_in_negotiation(
    deal: Opportunity, config: ProcessConfig, stage: Stage
) -> None:
    walk_to(deal, stage, config)

    with pytest.raises(WrongStage, match="negotiation"):
        deal.sign(Decimal("1000000.00"), day(20), SELLER)

    assert deal.state.outcome is Outcome.open


@pytest.mark.parametrize("stage", OPEN_STAGES)
def test_trial_and_oil_analysis_are_accepted_only_in_implementation(
    deal: Opportunity, config: ProcessConfig, stage: Stage
) -> None:
    walk_to(deal, stage, config)

    with pytest.raises(WrongStage, match="implementation"):
        deal.evaluate_trial("good", day(20), SELLER)
    with pytest.raises(WrongStage, match="implementation"):
        deal.follow_up_oil_analysis("good", day(20), SELLER)


def test_implementation_records_the_trial_and_the_oil_analysis(
    deal: Opportunity, config: ProcessConfig
) -> None:
    walk_to(deal, Stage.implementation, config)

    deal.evaluate_trial("wear down 30%", day(20), SELLER)
    deal.follow_up_oil_analysis("iron ppm stable", day(21), SELLER)

    assert deal.state.unmet_of(Stage.implementation) == ()


def test_a_contract_cannot_be_signed_before_it_is_approved(
    deal: Opportunity, config: ProcessConfig
) -> None:
    walk_to(deal, Stage.negotiation, config)

    with pytest.raises(MilestoneNeeded):
        deal.sign(Decimal("1000000.00"), day(20), SELLER)

    assert deal.state.outcome is Outcome.open


def test_a_contract_is_signed_only_once(deal: Opportunity, config: ProcessConfig) -> None:
    walk_to(deal, Stage.negotiation, config)
    meet_stage(deal, config, day(20))

    with pytest.raises(AlreadyMet):
        deal.sign(Decimal("1000000.00"), day(22), SELLER)

    assert [e.event for e in deal.entries].count("ContractSigned") == 1


# -- signing -------------------------------------------------------------------


def test_signing_wins_the_deal_but_leaves_it_in_negotiation(
    deal: Opportunity, config: ProcessConfig
) -> None:
    walk_to(deal, Stage.negotiation, config)
    deal.approve_contract(day(20), SELLER)

    deal.sign(Decimal("1250000.00"), day(21), SELLER)

    assert deal.state.outcome is Outcome.won
    assert deal.state.stage is Stage.negotiation
    assert deal.state.is_met(Milestone.contract_signed)
    assert deal.entries[-1].event == "ContractSigned"


def test_advance_moves_a_signed_deal_into_implementation_and_it_stays_won(
    deal: Opportunity, config: ProcessConfig
) -> None:
    walk_to(deal, Stage.negotiation, config)
    meet_stage(deal, config, day(20))

    deal.advance(day(25), SELLER)

    assert deal.state.stage is Stage.implementation
    assert deal.state.outcome is Outcome.won


def test_a_won_deal_in_negotiation_accepts_a_contract_approval_recorded_again(
    deal: Opportunity, config: ProcessConfig
) -> None:
    walk_to(deal, Stage.negotiation, config)
    meet_stage(deal, config, day(20))
    approval = next(e.seq for e in deal.entries if e.event == "ContractApproved")
    deal.retract(approval, "wrong board minutes", day(22), SELLER)

    deal.approve_contract(day(23), SELLER)
    deal.advance(day(24), SELLER)

    assert deal.state.stage is Stage.implementation
    assert deal.state.outcome is Outcome.won

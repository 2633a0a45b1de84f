"""Closing, nurture and reopen, and the price fight (shared/domain.md, "Rules"
and "Outcomes")."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

import pytest

from domain.config import ProcessConfig
from domain.diagnosis import loss_explanation
from domain.errors import (
    DealClosed,
    SalesProcessError,
    WrongOutcome,
)
from domain.opportunity import Opportunity
from domain.vocabulary import (
    ActivityKind,
    AssessmentElement,
    CustomerStep,
    Grade,
    LossReason,
    Milestone,
    Outcome,
    Role,
    Stage,
)

from .conftest import APPROVER, SELLER, day, meet, meet_stage, scores, walk_to

Command = Callable[[Opportunity, ProcessConfig, datetime], object]


# -- closing -------------------------------------------------------------------

CLOSERS: dict[str, Command] = {
    "lose": lambda d, c, at: d.lose(LossReason.price, "Rival Lubes", at, SELLER),
    "withdraw": lambda d, c, at: d.withdraw("standard written for a rival", at, SELLER),
    "abandon": lambda d, c, at: d.abandon("project too small", at, SELLER),
}

WRITE_COMMANDS: dict[str, Command] = {
    "customer-step": lambda d, c, at: d.observe_customer_step(
        CustomerStep.tender_evaluation, at, SELLER
    ),
    "collect": lambda d, c, at: d.collect(AssessmentElement.needs, "gear oil", at, SELLER),
    "assess": lambda d, c, at: d.assess(scores(), c, at, SELLER),
    "grade": lambda d, c, at: d.grade_by_hand(Grade.A, "sure", at, SELLER),
    "stakeholder": lambda d, c, at: d.identify_stakeholder("Wu", Role.user, None, at, SELLER),
    "activity": lambda d, c, at: d.hold_activity(ActivityKind.visit, None, None, at, SELLER),
    "shortlist": lambda d, c, at: d.shortlist(at, SELLER),
    "tender": lambda d, c, at: d.receive_tender(None, at, SELLER),
    "estimate": lambda d, c, at: d.estimate_value(Decimal("9.50"), at, SELLER),
    "insider": lambda d, c, at: d.find_insider("Wu", at, SELLER),
    "engage": lambda d, c, at: d.engage_key_person("Wu", at, SELLER),
    "influence": lambda d, c, at: d.influence_standard(["VG 320"], at, SELLER),
    "bid": lambda d, c, at: d.submit_bid(Decimal("1.00"), None, False, at, SELLER),
    "advance": lambda d, c, at: d.advance(at, SELLER),
    "force": lambda d, c, at: d.force("push", APPROVER, at, SELLER),
    "lose": CLOSERS["lose"],
    "withdraw": CLOSERS["withdraw"],
    "abandon": CLOSERS["abandon"],
    "nurture": lambda d, c, at: d.nurture("later", at, SELLER),
    "reopen": lambda d, c, at: d.reopen("back", at, SELLER),
}


@pytest.mark.parametrize("closer", CLOSERS)
@pytest.mark.parametrize("command", WRITE_COMMANDS)
def test_a_closed_deal_refuses_every_write_command(
    deal: Opportunity, config: ProcessConfig, closer: str, command: str
) -> None:
    walk_to(deal, Stage.bidding, config)
    CLOSERS[closer](deal, config, day(20))
    before = deal.state.version

    with pytest.raises(DealClosed, match="retract"):
        WRITE_COMMANDS[command](deal, config, day(21))

    assert deal.state.version == before


@pytest.mark.parametrize("closer", CLOSERS)
def test_a_closed_deal_still_accepts_a_retraction(
    deal: Opportunity, config: ProcessConfig, closer: str
) -> None:
    deal.collect(AssessmentElement.needs, "wrong plant", day(1), SELLER)
    CLOSERS[closer](deal, config, day(2))

    deal.retract(2, "it was another plant", day(3), SELLER)

    assert deal.state.elements == {}
    assert deal.state.outcome.is_closed


@pytest.mark.parametrize(
    ("closer", "outcome"),
    [("lose", Outcome.lost), ("withdraw", Outcome.withdrawn), ("abandon", Outcome.abandoned)],
)
def test_closing_keeps_the_stage_at_which_the_deal_closed(
    deal: Opportunity, config: ProcessConfig, closer: str, outcome: Outcome
) -> None:
    walk_to(deal, Stage.bidding, config)

    CLOSERS[closer](deal, config, day(20))

    assert deal.state.outcome is outcome
    assert deal.state.stage is Stage.bidding
    assert deal.state.outcome_at == day(20)


def test_a_lost_deal_records_the_reason_and_the_competitor(
    deal: Opportunity, config: ProcessConfig
) -> None:
    walk_to(deal, Stage.negotiation, config)

    deal.lose(LossReason.incumbent, "Old Supplier Co", day(20), SELLER)

    assert deal.state.outcome_reason == "incumbent"
    assert deal.state.competitor == "Old Supplier Co"


@pytest.mark.parametrize("command", ["lose", "withdraw", "abandon", "nurture"])
def test_a_won_deal_refuses_to_be_lost_withdrawn_abandoned_or_nurtured(
    deal: Opportunity, config: ProcessConfig, command: str
) -> None:
    walk_to(deal, Stage.negotiation, config)
    meet_stage(deal, config, day(20))

    with pytest.raises(WrongOutcome, match="open") as refused:
        WRITE_COMMANDS[command](deal, config, day(22))

    assert not isinstance(refused.value, DealClosed)
    assert deal.state.outcome is Outcome.won


def test_a_failed_opportunity_may_be_abandoned_after_assessment(
    deal: Opportunity, config: ProcessConfig
) -> None:
    deal.assess(scores(technical_fit=1), config, day(1), SELLER)

    deal.abandon("our oils cannot meet the food-grade requirement", day(2), SELLER)

    assert deal.state.outcome is Outcome.abandoned
    assert deal.state.outcome_reason == "our oils cannot meet the food-grade requirement"


# -- nurture and reopen ----------------------------------------------------------


@pytest.mark.parametrize("command", ["advance", "force", "lose", "withdraw", "abandon", "nurture"])
def test_a_nurtured_deal_refuses_moves_and_outcomes_until_reopened(
    deal: Opportunity, config: ProcessConfig, command: str
) -> None:
    meet(deal, Milestone.opportunity_assessed, config, day(1))
    deal.nurture("contact level lowered", day(2), SELLER)

    with pytest.raises(WrongOutcome, match="open"):
        WRITE_COMMANDS[command](deal, config, day(3))

    assert deal.state.outcome is Outcome.nurture
    assert deal.state.stage is Stage.development


def test_a_nurtured_deal_in_bidding_refuses_a_bid(deal: Opportunity, config: ProcessConfig) -> None:
    walk_to(deal, Stage.bidding, config)
    deal.nurture("tender postponed", day(20), SELLER)

    with pytest.raises(WrongOutcome, match="open"):
        deal.submit_bid(Decimal("1000000.00"), None, False, day(21), SELLER)


def test_a_nurtured_deal_in_negotiation_refuses_the_contract_commands(
    deal: Opportunity, config: ProcessConfig
) -> None:
    walk_to(deal, Stage.negotiation, config)
    deal.approve_contract(day(20), SELLER)
    deal.nurture("budget frozen", day(21), SELLER)

    with pytest.raises(WrongOutcome, match="open"):
        deal.approve_contract(day(22), SELLER)
    with pytest.raises(WrongOutcome, match="open"):
        deal.sign(Decimal("1000000.00"), day(22), SELLER)


def test_reopen_makes_a_nurtured_deal_open_and_movable_again(
    deal: Opportunity, config: ProcessConfig
) -> None:
    meet_stage(deal, config, day(1))
    deal.nurture("project postponed", day(3), SELLER)

    deal.reopen("project back in the budget", day(4), SELLER)
    deal.advance(day(5), SELLER)

    assert deal.state.outcome is Outcome.open
    assert deal.state.stage is Stage.entry


def test_reopen_is_refused_for_an_open_deal(deal: Opportunity) -> None:
    with pytest.raises(WrongOutcome, match="nurture"):
        deal.reopen("nothing to reopen", day(1), SELLER)


def test_reopen_is_refused_for_a_won_deal(deal: Opportunity, config: ProcessConfig) -> None:
    walk_to(deal, Stage.negotiation, config)
    meet_stage(deal, config, day(20))

    with pytest.raises(WrongOutcome, match="nurture"):
        deal.reopen("nothing to reopen", day(22), SELLER)


def test_refusals_are_sales_process_errors(deal: Opportunity) -> None:
    with pytest.raises(SalesProcessError):
        deal.approve_contract(day(1), SELLER)


# -- the price fight -------------------------------------------------------------


@pytest.mark.parametrize("stage", [Stage.bidding, Stage.negotiation])
def test_a_lost_deal_without_an_influenced_standard_is_explained_as_a_price_fight(
    deal: Opportunity, config: ProcessConfig, stage: Stage
) -> None:
    walk_to(deal, Stage.proposal, config)
    deal.force("tender already out", APPROVER, day(20), SELLER)
    if stage is Stage.negotiation:
        meet_stage(deal, config, day(21))
        deal.advance(day(22), SELLER)

    deal.lose(LossReason.price, "Cheap Oil Ltd", day(25), SELLER)

    assert "Price fight" in loss_explanation(deal.state)


def test_a_deal_lost_with_its_standard_influenced_is_no_price_fight(
    deal: Opportunity, config: ProcessConfig
) -> None:
    walk_to(deal, Stage.bidding, config)

    deal.lose(LossReason.price, "Cheap Oil Ltd", day(20), SELLER)

    assert "Price fight" not in loss_explanation(deal.state)


def test_a_deal_lost_before_bidding_is_no_price_fight(deal: Opportunity) -> None:
    deal.lose(LossReason.project_cancelled, None, day(1), SELLER)

    assert "Price fight" not in loss_explanation(deal.state)

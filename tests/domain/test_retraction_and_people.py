"""Corrections (retract) and changes in the buying organisation
(shared/domain.md, "Corrections and changes" and "Buying organisation")."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from domain.config import ProcessConfig
from domain.errors import CannotRetract, MilestonesUnmet, SalesProcessError
from domain.fold import fold
from domain.opportunity import Opportunity
from domain.vocabulary import AssessmentElement, LossReason, Milestone, Outcome, Role, Stage

from .conftest import APPROVER, INSIDER, KEY_PERSON, SELLER, day, meet_stage, scores, walk_to


def seq_of(deal: Opportunity, event: str) -> int:
    """The seq of the deal's latest entry of this event class."""
    return [e.seq for e in deal.entries if e.event == event][-1]


# -- retracting evidence -------------------------------------------------------


def test_a_retracted_insider_no_longer_counts(deal: Opportunity, config: ProcessConfig) -> None:
    walk_to(deal, Stage.entry, config)
    meet_stage(deal, config, day(20))

    deal.retract(seq_of(deal, "InsiderFound"), "he is a competitor's agent", day(22), SELLER)

    assert not deal.state.is_met(Milestone.insider_found)
    with pytest.raises(MilestonesUnmet) as refused:
        deal.advance(day(23), SELLER)
    assert refused.value.unmet == ("insider_found",)


def test_retracting_a_milestone_never_moves_the_stage(
    deal: Opportunity, config: ProcessConfig
) -> None:
    walk_to(deal, Stage.bidding, config)

    deal.retract(seq_of(deal, "StandardInfluenced"), "the criteria were a rival's", day(20), SELLER)

    assert deal.state.stage is Stage.bidding
    assert not deal.state.is_met(Milestone.standard_influenced)
    assert deal.state.missing_milestones == (
        Milestone.standard_influenced,
        Milestone.bid_submitted,
    )


def test_a_retracted_entry_counts_as_of_no_business_time(
    deal: Opportunity, config: ProcessConfig
) -> None:
    deal.assess(scores(), config, day(1), SELLER)

    deal.retract(2, "scored the wrong project", day(10), SELLER)

    assert not fold(deal.entries, as_of=day(5)).is_met(Milestone.opportunity_assessed)
    assert fold(deal.entries, as_of=day(5)).assessment is None


def test_replay_still_lists_a_retracted_entry_marked(deal: Opportunity) -> None:
    deal.collect(AssessmentElement.budget, "CNY 30 million", day(1), SELLER)

    retracted = deal.retract(2, "it was CNY 3 million", day(2), SELLER)

    assert retracted == "AssessmentElementCollected"
    assert [e.event for e in deal.entries] == [
        "Opened",
        "AssessmentElementCollected",
        "EntryRetracted",
    ]
    assert set(deal.state.retracted) == {2}
    assert deal.state.elements == {}


# -- retracting outcomes -------------------------------------------------------


def test_retracting_a_loss_reopens_the_deal(deal: Opportunity, config: ProcessConfig) -> None:
    walk_to(deal, Stage.bidding, config)
    deal.lose(LossReason.price, "Rival Lubes", day(20), SELLER)

    deal.retract(seq_of(deal, "Lost"), "the tender was cancelled, not lost", day(21), SELLER)

    assert deal.state.outcome is Outcome.open
    assert deal.state.stage is Stage.bidding
    deal.submit_bid(Decimal("1000000.00"), None, False, day(22), SELLER)
    assert deal.state.is_met(Milestone.bid_submitted)


@pytest.mark.parametrize("event", ["Withdrawn", "Abandoned", "Nurtured"])
def test_retracting_the_only_outcome_restores_open(deal: Opportunity, event: str) -> None:
    {
        "Withdrawn": lambda: deal.withdraw("unfavourable standard", day(1), SELLER),
        "Abandoned": lambda: deal.abandon("too small", day(1), SELLER),
        "Nurtured": lambda: deal.nurture("later", day(1), SELLER),
    }[event]()

    deal.retract(seq_of(deal, event), "recorded on the wrong deal", day(2), SELLER)

    assert deal.state.outcome is Outcome.open


def test_retracting_a_reopen_restores_nurture(deal: Opportunity) -> None:
    deal.nurture("budget frozen", day(1), SELLER)
    deal.reopen("budget released", day(2), SELLER)

    deal.retract(seq_of(deal, "Reopened"), "the budget is still frozen", day(3), SELLER)

    assert deal.state.outcome is Outcome.nurture


def test_retracting_a_loss_after_a_reopen_restores_open_not_nurture(deal: Opportunity) -> None:
    deal.nurture("budget frozen", day(1), SELLER)
    deal.reopen("budget released", day(2), SELLER)
    deal.lose(LossReason.timing, None, day(3), SELLER)

    deal.retract(seq_of(deal, "Lost"), "not lost yet", day(4), SELLER)

    assert deal.state.outcome is Outcome.open


def test_only_the_latest_outcome_entry_may_be_retracted(deal: Opportunity) -> None:
    deal.nurture("budget frozen", day(1), SELLER)
    deal.reopen("budget released", day(2), SELLER)

    with pytest.raises(CannotRetract, match="latest outcome"):
        deal.retract(seq_of(deal, "Nurtured"), "never nurtured", day(3), SELLER)

    assert deal.state.outcome is Outcome.open
    assert deal.state.retracted == {}


def test_a_signature_may_be_retracted_while_the_deal_is_in_negotiation(
    deal: Opportunity, config: ProcessConfig
) -> None:
    walk_to(deal, Stage.negotiation, config)
    meet_stage(deal, config, day(20))

    deal.retract(
        seq_of(deal, "ContractSigned"), "signed by an unauthorised person", day(22), SELLER
    )

    assert deal.state.outcome is Outcome.open
    assert not deal.state.is_met(Milestone.contract_signed)
    assert deal.state.is_met(Milestone.contract_approved)
    assert deal.state.stage is Stage.negotiation


def test_a_signature_cannot_be_retracted_once_in_implementation(
    deal: Opportunity, config: ProcessConfig
) -> None:
    walk_to(deal, Stage.implementation, config)

    with pytest.raises(CannotRetract, match="negotiation"):
        deal.retract(seq_of(deal, "ContractSigned"), "too late", day(20), SELLER)

    assert deal.state.outcome is Outcome.won


# -- what cannot be retracted --------------------------------------------------


def test_opened_cannot_be_retracted(deal: Opportunity) -> None:
    with pytest.raises(CannotRetract, match="Opened"):
        deal.retract(1, "wrong key", day(1), SELLER)


# -- a mistaken stage move -------------------------------------------------------


def test_the_latest_advance_can_be_retracted_and_the_deal_is_back_in_the_stage_before(
    deal: Opportunity, config: ProcessConfig
) -> None:
    walk_to(deal, Stage.proposal, config)
    advance = seq_of(deal, "StageAdvanced")

    deal.retract(advance, "advanced the wrong deal", day(20), SELLER)

    assert deal.state.stage is Stage.entry
    assert [stay.stage for stay in deal.state.stays] == [Stage.development, Stage.entry]
    assert deal.state.stays[-1].left_at is None


def test_a_retracted_force_no_longer_counts_its_milestones_as_forced_past(
    deal: Opportunity, config: ProcessConfig
) -> None:
    deal.force("tender close", APPROVER, day(1), SELLER)
    assert deal.state.win_probability(config)[0] < 0.1

    deal.retract(2, "regret", day(2), SELLER)

    assert deal.state.stage is Stage.development
    assert deal.state.forced_advances == []
    assert not deal.state.milestones[Milestone.opportunity_assessed].forced_past
    assert deal.state.win_probability(config)[0] == 0.1


def test_only_the_latest_stage_move_can_be_retracted(
    deal: Opportunity, config: ProcessConfig
) -> None:
    walk_to(deal, Stage.proposal, config)
    first = next(e.seq for e in deal.entries if e.event == "StageAdvanced")

    with pytest.raises(CannotRetract, match="latest"):
        deal.retract(first, "too early", day(20), SELLER)

    assert deal.state.stage is Stage.proposal


def test_a_stage_move_stands_while_a_later_entry_needs_its_stage(
    deal: Opportunity, config: ProcessConfig
) -> None:
    at = walk_to(deal, Stage.bidding, config)
    deal.submit_bid(Decimal("100"), None, False, at + timedelta(days=1), SELLER)

    with pytest.raises(CannotRetract, match="BidSubmitted"):
        deal.retract(seq_of(deal, "StageAdvanced"), "too early", day(20), SELLER)

    deal.retract(seq_of(deal, "BidSubmitted"), "bid on the wrong tender", day(20), SELLER)
    deal.retract(seq_of(deal, "StageAdvanced"), "too early", day(20), SELLER)
    assert deal.state.stage is Stage.proposal


def test_a_retraction_cannot_be_retracted(deal: Opportunity) -> None:
    deal.collect(AssessmentElement.needs, "gear oil", day(1), SELLER)
    deal.retract(2, "wrong", day(2), SELLER)

    with pytest.raises(CannotRetract, match="EntryRetracted"):
        deal.retract(3, "it was right after all", day(3), SELLER)

    assert deal.state.elements == {}


def test_an_unknown_entry_cannot_be_retracted(deal: Opportunity) -> None:
    with pytest.raises(CannotRetract, match="no entry 7"):
        deal.retract(7, "typo", day(1), SELLER)


def test_an_entry_cannot_be_retracted_twice(deal: Opportunity) -> None:
    deal.collect(AssessmentElement.needs, "gear oil", day(1), SELLER)
    deal.retract(2, "wrong", day(2), SELLER)

    with pytest.raises(CannotRetract, match="already retracted"):
        deal.retract(2, "still wrong", day(3), SELLER)

    assert [e.event for e in deal.entries].count("EntryRetracted") == 1


# -- the buying organisation ---------------------------------------------------


def test_a_person_named_as_insider_or_key_person_becomes_a_stakeholder(
    deal: Opportunity,
) -> None:
    deal.find_insider(INSIDER, day(1), SELLER)
    deal.engage_key_person(KEY_PERSON, day(2), SELLER)

    people = deal.state.stakeholders
    assert people[INSIDER].insider and people[INSIDER].role is Role.other
    assert people[KEY_PERSON].key_person and not people[KEY_PERSON].insider


def test_a_stakeholder_keeps_role_and_weight_when_later_found_to_be_an_insider(
    deal: Opportunity,
) -> None:
    deal.identify_stakeholder("Ma", Role.designer, 0.3, day(1), SELLER)

    deal.find_insider("Ma", day(2), SELLER)

    ma = deal.state.stakeholders["Ma"]
    assert (ma.role, ma.weight, ma.insider) == (Role.designer, 0.3, True)
    assert deal.state.is_met(Milestone.insider_found)


def test_when_the_last_insider_leaves_insider_found_is_unmet_from_that_time_on(
    deal: Opportunity,
) -> None:
    deal.find_insider(INSIDER, day(1), SELLER)

    deal.stakeholder_left(INSIDER, "retired", day(5), SELLER)

    assert not deal.state.is_met(Milestone.insider_found)
    assert deal.state.insider_left_at == day(5)
    assert fold(deal.entries, as_of=day(4)).is_met(Milestone.insider_found)
    assert not fold(deal.entries, as_of=day(5)).is_met(Milestone.insider_found)


def test_insider_found_stays_met_while_another_insider_remains(deal: Opportunity) -> None:
    deal.find_insider(INSIDER, day(1), SELLER)
    deal.find_insider("Ma (design institute)", day(2), SELLER)

    deal.stakeholder_left(INSIDER, "retired", day(5), SELLER)

    assert deal.state.is_met(Milestone.insider_found)
    assert deal.state.insider_left_at is None


def test_when_the_last_key_person_turns_against_us_key_person_engaged_is_unmet(
    deal: Opportunity,
) -> None:
    deal.engage_key_person(KEY_PERSON, day(1), SELLER)

    deal.stakeholder_left(KEY_PERSON, "turned to a rival", day(3), SELLER)

    assert not deal.state.is_met(Milestone.key_person_engaged)
    assert fold(deal.entries, as_of=day(2)).is_met(Milestone.key_person_engaged)


def test_a_deal_in_entry_cannot_leave_once_its_only_insider_has_left(
    deal: Opportunity, config: ProcessConfig
) -> None:
    walk_to(deal, Stage.entry, config)
    meet_stage(deal, config, day(20))

    deal.stakeholder_left(INSIDER, "moved to head office", day(22), SELLER)

    with pytest.raises(MilestonesUnmet) as refused:
        deal.advance(day(23), SELLER)
    assert refused.value.unmet == ("insider_found",)


def test_a_leaving_insider_does_not_move_a_deal_that_already_left_entry(
    deal: Opportunity, config: ProcessConfig
) -> None:
    walk_to(deal, Stage.proposal, config)

    deal.stakeholder_left(INSIDER, "moved to head office", day(20), SELLER)

    assert deal.state.stage is Stage.proposal
    assert Milestone.insider_found in deal.state.missing_milestones


def test_a_new_insider_makes_insider_found_met_again(deal: Opportunity) -> None:
    deal.find_insider(INSIDER, day(1), SELLER)
    deal.stakeholder_left(INSIDER, "retired", day(2), SELLER)

    deal.find_insider("Ma (design institute)", day(3), SELLER)

    assert deal.state.is_met(Milestone.insider_found)
    assert deal.state.milestones[Milestone.insider_found].at == day(3)


def test_someone_who_is_not_a_present_stakeholder_cannot_leave(deal: Opportunity) -> None:
    deal.find_insider(INSIDER, day(1), SELLER)
    deal.stakeholder_left(INSIDER, "retired", day(2), SELLER)

    with pytest.raises(SalesProcessError, match="not a present stakeholder"):
        deal.stakeholder_left(INSIDER, "retired again", day(3), SELLER)
    with pytest.raises(SalesProcessError, match="not a present stakeholder"):
        deal.stakeholder_left("Nobody", None, day(3), SELLER)


def test_a_person_leaving_is_a_new_fact_and_can_itself_be_retracted(deal: Opportunity) -> None:
    deal.find_insider(INSIDER, day(1), SELLER)
    deal.stakeholder_left(INSIDER, "rumour", day(2), SELLER)

    deal.retract(3, "he did not leave", day(3), SELLER)

    assert deal.state.is_met(Milestone.insider_found)
    assert not deal.state.stakeholders[INSIDER].left

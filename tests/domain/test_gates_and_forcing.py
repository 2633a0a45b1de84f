"""The gate, forcing, and early evidence (shared/domain.md, "Rules")."""

from __future__ import annotations

import pytest

from domain.config import ProcessConfig
from domain.errors import LastStage, MilestonesUnmet, NothingToForce, WinCannotBeForced
from domain.opportunity import Opportunity
from domain.vocabulary import STAGES, CustomerStep, Grade, Milestone, Outcome, Stage

from .conftest import (
    APPROVER,
    INSIDER,
    KEY_PERSON,
    SELLER,
    day,
    meet,
    meet_stage,
    scores,
    walk_to,
)

# -- the gate ------------------------------------------------------------------


def test_a_new_deal_opens_in_development_and_open_with_no_milestone_met(
    deal: Opportunity,
) -> None:
    state = deal.state

    assert state.stage is Stage.development
    assert state.outcome is Outcome.open
    assert not any(status.met for status in state.milestones.values())


def test_cannot_leave_development_without_an_assessment_and_a_grade(deal: Opportunity) -> None:
    with pytest.raises(MilestonesUnmet) as refused:
        deal.advance(day(1), SELLER)

    assert refused.value.unmet == ("opportunity_assessed", "customer_graded")
    assert deal.state.stage is Stage.development


def test_advance_names_only_the_milestones_still_unmet(
    deal: Opportunity, config: ProcessConfig
) -> None:
    deal.assess(scores(), config, day(1), SELLER)

    with pytest.raises(MilestonesUnmet) as refused:
        deal.advance(day(2), SELLER)

    assert refused.value.unmet == ("customer_graded",)
    assert "customer_graded" in str(refused.value)


def test_cannot_leave_entry_without_an_insider(deal: Opportunity, config: ProcessConfig) -> None:
    walk_to(deal, Stage.entry, config)
    deal.engage_key_person(KEY_PERSON, day(20), SELLER)

    with pytest.raises(MilestonesUnmet) as refused:
        deal.advance(day(21), SELLER)

    assert refused.value.unmet == ("insider_found",)
    assert deal.state.stage is Stage.entry


def test_cannot_leave_entry_without_an_engaged_key_person(
    deal: Opportunity, config: ProcessConfig
) -> None:
    walk_to(deal, Stage.entry, config)
    deal.find_insider(INSIDER, day(20), SELLER)

    with pytest.raises(MilestonesUnmet) as refused:
        deal.advance(day(21), SELLER)

    assert refused.value.unmet == ("key_person_engaged",)


def test_cannot_leave_proposal_without_an_influenced_standard(
    deal: Opportunity, config: ProcessConfig
) -> None:
    walk_to(deal, Stage.proposal, config)

    with pytest.raises(MilestonesUnmet) as refused:
        deal.advance(day(20), SELLER)

    assert refused.value.unmet == ("standard_influenced",)


def test_cannot_leave_bidding_without_a_submitted_bid(
    deal: Opportunity, config: ProcessConfig
) -> None:
    walk_to(deal, Stage.bidding, config)

    with pytest.raises(MilestonesUnmet) as refused:
        deal.advance(day(20), SELLER)

    assert refused.value.unmet == ("bid_submitted",)


def test_cannot_leave_negotiation_with_an_approved_but_unsigned_contract(
    deal: Opportunity, config: ProcessConfig
) -> None:
    walk_to(deal, Stage.negotiation, config)
    deal.approve_contract(day(20), SELLER)

    with pytest.raises(MilestonesUnmet) as refused:
        deal.advance(day(21), SELLER)

    assert refused.value.unmet == ("contract_signed",)
    assert deal.state.stage is Stage.negotiation


@pytest.mark.parametrize("stage", STAGES[:-1])
def test_advance_moves_to_the_next_stage_once_the_stage_milestones_are_met(
    deal: Opportunity, config: ProcessConfig, stage: Stage
) -> None:
    walk_to(deal, stage, config)
    meet_stage(deal, config, day(20))

    moved_to = deal.advance(day(25), SELLER)

    assert moved_to is stage.next()
    assert deal.state.stage is stage.next()
    assert deal.state.stage_entered_at == day(25)


def test_the_gate_ignores_unmet_milestones_of_earlier_stages(
    deal: Opportunity, config: ProcessConfig
) -> None:
    deal.force("tender is close", APPROVER, day(1), SELLER)
    deal.find_insider(INSIDER, day(2), SELLER)
    deal.engage_key_person(KEY_PERSON, day(3), SELLER)

    deal.advance(day(4), SELLER)

    assert deal.state.stage is Stage.proposal
    assert deal.state.unmet_of(Stage.development) == (
        Milestone.opportunity_assessed,
        Milestone.customer_graded,
    )


def test_the_gate_ignores_a_customer_far_ahead(deal: Opportunity) -> None:
    deal.observe_customer_step(CustomerStep.tender_evaluation, day(1), SELLER)

    with pytest.raises(MilestonesUnmet) as refused:
        deal.advance(day(2), SELLER)

    assert refused.value.unmet == ("opportunity_assessed", "customer_graded")


def test_the_gate_ignores_a_customer_still_at_need_initiation(
    deal: Opportunity, config: ProcessConfig
) -> None:
    deal.observe_customer_step(CustomerStep.need_initiation, day(1), SELLER)
    walk_to(deal, Stage.entry, config)
    meet_stage(deal, config, day(20))

    deal.advance(day(21), SELLER)

    assert deal.state.stage is Stage.proposal
    assert deal.state.customer_step is CustomerStep.need_initiation


def test_advance_is_refused_in_implementation_the_last_stage(
    deal: Opportunity, config: ProcessConfig
) -> None:
    walk_to(deal, Stage.implementation, config)
    meet_stage(deal, config, day(20))

    with pytest.raises(LastStage):
        deal.advance(day(22), SELLER)

    assert deal.state.stage is Stage.implementation


def test_force_is_refused_in_implementation_the_last_stage(
    deal: Opportunity, config: ProcessConfig
) -> None:
    walk_to(deal, Stage.implementation, config)

    with pytest.raises(LastStage):
        deal.force("customer wants more", APPROVER, day(20), SELLER)

    assert deal.state.forced_advances == []


# -- forcing -------------------------------------------------------------------


def test_forcing_records_the_reason_the_approver_and_the_skipped_milestones(
    deal: Opportunity,
) -> None:
    skipped = deal.force("tender comes in November", APPROVER, day(1), SELLER)

    assert skipped == (Milestone.opportunity_assessed, Milestone.customer_graded)
    assert deal.state.stage is Stage.entry
    (forced,) = deal.state.forced_advances
    assert forced.from_stage is Stage.development
    assert forced.to_stage is Stage.entry
    assert forced.missing == skipped
    assert forced.reason == "tender comes in November"
    assert forced.approved_by == APPROVER
    assert forced.at == day(1)
    assert deal.entries[-1].event == "StageForced"


def test_forcing_skips_only_the_milestones_still_unmet(
    deal: Opportunity, config: ProcessConfig
) -> None:
    deal.assess(scores(), config, day(1), SELLER)

    skipped = deal.force("grade after the site visit", APPROVER, day(2), SELLER)

    assert skipped == (Milestone.customer_graded,)
    assert deal.state.milestones[Milestone.customer_graded].forced_past
    assert not deal.state.milestones[Milestone.opportunity_assessed].forced_past


def test_force_is_refused_when_nothing_is_missing(deal: Opportunity, config: ProcessConfig) -> None:
    meet_stage(deal, config, day(1))

    with pytest.raises(NothingToForce, match="advance"):
        deal.force("hurry", APPROVER, day(3), SELLER)

    assert deal.state.stage is Stage.development
    assert deal.state.forced_advances == []


def test_a_win_cannot_be_forced_out_of_negotiation(
    deal: Opportunity, config: ProcessConfig
) -> None:
    walk_to(deal, Stage.negotiation, config)
    deal.approve_contract(day(20), SELLER)

    with pytest.raises(WinCannotBeForced):
        deal.force("the customer promised to sign", APPROVER, day(21), SELLER)

    assert deal.state.stage is Stage.negotiation
    assert deal.state.outcome is Outcome.open


def test_a_win_cannot_be_forced_out_of_negotiation_with_nothing_done(
    deal: Opportunity, config: ProcessConfig
) -> None:
    walk_to(deal, Stage.negotiation, config)

    with pytest.raises(WinCannotBeForced):
        deal.force("the customer promised to sign", APPROVER, day(20), SELLER)


def test_a_signed_deal_whose_approval_was_retracted_may_be_forced_into_implementation(
    deal: Opportunity, config: ProcessConfig
) -> None:
    walk_to(deal, Stage.negotiation, config)
    meet_stage(deal, config, day(20))
    approval = next(e.seq for e in deal.entries if e.event == "ContractApproved")
    deal.retract(approval, "approved by the wrong board", day(22), SELLER)

    skipped = deal.force("signed; approval paperwork follows", APPROVER, day(23), SELLER)

    assert skipped == (Milestone.contract_approved,)
    assert deal.state.stage is Stage.implementation
    assert deal.state.outcome is Outcome.won


def test_a_skipped_milestone_stays_forced_past_even_when_met_later(
    deal: Opportunity, config: ProcessConfig
) -> None:
    deal.force("tender is close", APPROVER, day(1), SELLER)

    deal.assess(scores(), config, day(2), SELLER)
    deal.grade_by_hand(Grade.B, "late but done", day(3), SELLER)

    for milestone in (Milestone.opportunity_assessed, Milestone.customer_graded):
        assert deal.state.milestones[milestone].met
        assert deal.state.milestones[milestone].forced_past


def test_milestones_met_before_advancing_are_never_forced_past(
    deal: Opportunity, config: ProcessConfig
) -> None:
    walk_to(deal, Stage.implementation, config)

    assert not any(status.forced_past for status in deal.state.milestones.values())


# -- early evidence ------------------------------------------------------------


def test_an_insider_found_in_development_counts_when_the_deal_reaches_entry(
    deal: Opportunity, config: ProcessConfig
) -> None:
    deal.find_insider(INSIDER, day(1), SELLER)
    deal.engage_key_person(KEY_PERSON, day(2), SELLER)
    walk_to(deal, Stage.entry, config)

    deal.advance(day(20), SELLER)

    assert deal.state.stage is Stage.proposal


def test_a_standard_influenced_during_entry_counts_in_proposal(
    deal: Opportunity, config: ProcessConfig
) -> None:
    walk_to(deal, Stage.entry, config)
    deal.influence_standard(["synthetic base oil required"], day(20), SELLER)
    meet_stage(deal, config, day(21))
    deal.advance(day(23), SELLER)

    deal.advance(day(24), SELLER)

    assert deal.state.stage is Stage.bidding


def test_early_evidence_cannot_move_the_deal_by_itself(
    deal: Opportunity, config: ProcessConfig
) -> None:
    for milestone in (
        Milestone.opportunity_assessed,
        Milestone.customer_graded,
        Milestone.insider_found,
        Milestone.key_person_engaged,
        Milestone.standard_influenced,
    ):
        meet(deal, milestone, config, day(1))

    assert deal.state.stage is Stage.development
    assert deal.state.missing_milestones == ()

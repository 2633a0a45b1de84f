"""An imported history (shared/import.md, "What an imported fact is"): a
CRM's stage change passes no gate, the milestones it moves past without
evidence are unverified (neither met nor forced past), evidence recorded
later verifies them, and an imported closing is won or lost."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain import errors
from domain import events as ev
from domain.config import ProcessConfig
from domain.diagnosis import risks
from domain.fold import fold
from domain.opportunity import Opportunity
from domain.vocabulary import LossReason, Milestone, Outcome, Stage

from .conftest import APPROVER, SELLER, day, meet

SF = "salesforce"
CRM_USER = "0055g00000USR01"


def _unverified(deal: Opportunity) -> set[Milestone]:
    return set(deal.state.unverified)


def test_an_imported_move_passes_no_gate_and_leaves_the_passed_milestones_unverified(
    deal: Opportunity,
) -> None:
    assert deal.import_stage(Stage.proposal, day(1), CRM_USER, SF, "h1") is True

    s = deal.state
    fact = deal.entries[-1].fact
    assert isinstance(fact, ev.StageImported)
    assert (s.stage, fact.from_stage, fact.to_stage) == (Stage.proposal, "development", "proposal")
    assert _unverified(deal) == {
        Milestone.opportunity_assessed,
        Milestone.customer_graded,
        Milestone.insider_found,
        Milestone.key_person_engaged,
    }
    status = s.milestones[Milestone.insider_found]
    assert (status.met, status.forced_past, status.verified) == (False, False, False)
    assert s.milestones[Milestone.standard_influenced].verified  # the stage it is in
    assert deal.entries[-1].actor == CRM_USER


def test_an_unverified_milestone_does_not_cut_the_win_probability(
    deal: Opportunity, config: ProcessConfig
) -> None:
    deal.import_stage(Stage.bidding, day(1), CRM_USER, SF, "h1")

    p, why = deal.state.win_probability(config)

    assert p == config.win_probability.base[Stage.bidding]
    assert "no milestone forced past" in why


def test_the_diagnosis_names_the_unverified_milestones(
    deal: Opportunity, config: ProcessConfig
) -> None:
    deal.import_stage(Stage.entry, day(1), CRM_USER, SF, "h1")

    found = {r.code: r.message for r in risks(deal.state, config, day(2))}

    assert "opportunity_assessed, customer_graded" in found["unverified_milestones"]
    assert "forced_past_milestone" not in found


def test_evidence_recorded_later_verifies_the_milestone(
    deal: Opportunity, config: ProcessConfig
) -> None:
    deal.import_stage(Stage.entry, day(1), CRM_USER, SF, "h1")

    meet(deal, Milestone.customer_graded, config, day(2))

    status = deal.state.milestones[Milestone.customer_graded]
    assert (status.met, status.verified) == (True, True)
    assert _unverified(deal) == {Milestone.opportunity_assessed}


def test_evidence_dated_before_the_move_means_the_milestone_was_never_unverified(
    deal: Opportunity, config: ProcessConfig
) -> None:
    deal.import_stage(Stage.entry, day(3), CRM_USER, SF, "h1")

    meet(deal, Milestone.opportunity_assessed, config, day(2))  # back-dated, recorded later

    assert _unverified(deal) == {Milestone.customer_graded}
    assert not fold(deal.entries, as_of=day(2, 12)).unverified  # before the move: nothing passed
    assert set(fold(deal.entries).unverified) == {Milestone.customer_graded}


def test_a_move_back_puts_the_milestones_ahead_again(deal: Opportunity) -> None:
    deal.import_stage(Stage.bidding, day(1), CRM_USER, SF, "h1")

    deal.import_stage(Stage.entry, day(2), CRM_USER, SF, "h2")

    assert deal.state.stage is Stage.entry
    assert deal.entries[-1].fact.unverified == []  # type: ignore[attr-defined]
    assert _unverified(deal) == {Milestone.opportunity_assessed, Milestone.customer_graded}


def test_the_gate_still_asks_for_the_stage_s_own_milestones_after_an_import(
    deal: Opportunity, config: ProcessConfig
) -> None:
    deal.import_stage(Stage.bidding, day(1), CRM_USER, SF, "h1")
    deal.import_stage(Stage.proposal, day(2), CRM_USER, SF, "h2")

    with pytest.raises(errors.MilestonesUnmet):
        deal.advance(day(3), SELLER)
    meet(deal, Milestone.standard_influenced, config, day(3))
    assert deal.advance(day(4), SELLER) is Stage.bidding


def test_forcing_past_an_unverified_milestone_makes_it_a_forced_exception(
    deal: Opportunity,
) -> None:
    deal.import_stage(Stage.proposal, day(1), CRM_USER, SF, "h1")
    deal.import_stage(Stage.entry, day(2), CRM_USER, SF, "h2")

    deal.force("customer moved fast", APPROVER, day(3), SELLER)

    status = deal.state.milestones[Milestone.insider_found]
    assert (status.forced_past, status.verified) == (True, True)


def test_an_imported_move_to_the_stage_it_is_in_records_nothing(deal: Opportunity) -> None:
    assert deal.import_stage(Stage.development, day(1), CRM_USER, SF, "h1") is False
    assert deal.version == 1


def test_an_imported_win_leaves_the_unmet_milestones_of_its_stage_unverified(
    deal: Opportunity,
) -> None:
    deal.import_stage(Stage.negotiation, day(1), CRM_USER, SF, "h1")

    deal.import_outcome(Outcome.won, None, day(2), CRM_USER, SF, "h2")

    s = deal.state
    assert s.outcome is Outcome.won and s.stage is Stage.negotiation
    assert {Milestone.contract_approved, Milestone.contract_signed} <= _unverified(deal)
    fact = deal.entries[-1].fact
    assert isinstance(fact, ev.OutcomeImported) and fact.reason is None


def test_an_imported_loss_keeps_its_reason_and_closes_the_deal(deal: Opportunity) -> None:
    deal.import_stage(Stage.entry, day(1), CRM_USER, SF, "h1")

    deal.import_outcome(Outcome.lost, LossReason.price, day(2), CRM_USER, SF, "h2")

    s = deal.state
    assert (s.outcome, s.outcome_reason, s.stage) == (Outcome.lost, "price", Stage.entry)
    with pytest.raises(errors.DealClosed):
        deal.import_stage(Stage.proposal, day(3), CRM_USER, SF, "h3")


def test_an_imported_loss_without_a_reason_is_lost_on_other(deal: Opportunity) -> None:
    deal.import_outcome(Outcome.lost, None, day(1), CRM_USER, SF, "h1")
    assert deal.state.outcome_reason == "other"


def test_an_imported_outcome_is_won_or_lost(deal: Opportunity) -> None:
    with pytest.raises(ValueError, match="won or lost"):
        deal.import_outcome(Outcome.withdrawn, None, day(1), CRM_USER, SF, "h1")
    assert deal.version == 1


def test_an_import_keeps_the_business_time_order(deal: Opportunity) -> None:
    deal.import_stage(Stage.entry, day(3), CRM_USER, SF, "h1")
    with pytest.raises(errors.OutOfTimeOrder):
        deal.import_stage(Stage.proposal, day(2), CRM_USER, SF, "h2")


def test_each_source_row_is_known_to_the_deal_once_recorded(deal: Opportunity) -> None:
    deal.import_value(Decimal("90000"), day(1), CRM_USER, SF, "h7")

    assert deal.has_source_row("h7") and not deal.has_source_row("h8")
    assert deal.state.value == Decimal("90000")
    assert deal.entries[-1].data["source"] == SF

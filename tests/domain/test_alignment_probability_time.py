"""Win probability, alignment, missing milestones and business time
(shared/domain.md, "Win probability", "Alignment" and "Business time")."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from domain.config import ProcessConfig
from domain.entries import Entry
from domain.errors import InputError, OutOfTimeOrder
from domain.opportunity import Opportunity
from domain.state import fold
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

from .conftest import (
    APPROVER,
    INSIDER,
    KEY_PERSON,
    OPENED_AT,
    SELLER,
    day,
    meet,
    meet_stage,
    open_deal,
    scores,
    walk_to,
)

M = Milestone

# -- win probability -----------------------------------------------------------


@pytest.mark.parametrize(
    ("stage", "base"),
    [
        (Stage.development, 0.10),
        (Stage.entry, 0.20),
        (Stage.proposal, 0.40),
        (Stage.bidding, 0.60),
        (Stage.negotiation, 0.80),
    ],
)
def test_an_open_deal_s_win_probability_is_the_base_of_its_stage(
    deal: Opportunity, config: ProcessConfig, stage: Stage, base: float
) -> None:
    walk_to(deal, stage, config)

    p, explained = deal.state.win_probability(config)

    assert p == pytest.approx(base)
    assert f"base {base:.2f} for {stage.value}" in explained


def test_forcing_past_a_missing_milestone_halves_win_probability(
    deal: Opportunity, config: ProcessConfig
) -> None:
    deal.assess(scores(), config, day(1), SELLER)

    deal.force("tender is close", APPROVER, day(2), SELLER)

    p, explained = deal.state.win_probability(config)
    assert p == pytest.approx(0.20 * 0.5)
    assert "0.5^1" in explained
    assert "customer_graded" in explained


def test_forcing_past_two_missing_milestones_quarters_win_probability(
    deal: Opportunity, config: ProcessConfig
) -> None:
    deal.force("tender is close", APPROVER, day(1), SELLER)

    p, _ = deal.state.win_probability(config)

    assert p == pytest.approx(0.20 * 0.25)


def test_milestones_skipped_by_every_forced_advance_count(
    deal: Opportunity, config: ProcessConfig
) -> None:
    deal.force("tender is close", APPROVER, day(1), SELLER)
    deal.find_insider(INSIDER, day(2), SELLER)

    deal.force("key persons out of reach", APPROVER, day(3), SELLER)

    assert deal.state.skipped_unmet == (
        M.opportunity_assessed,
        M.customer_graded,
        M.key_person_engaged,
    )
    assert deal.state.win_probability(config)[0] == pytest.approx(0.40 * 0.5**3)


def test_a_skipped_milestone_met_later_no_longer_lowers_win_probability(
    deal: Opportunity, config: ProcessConfig
) -> None:
    deal.force("tender is close", APPROVER, day(1), SELLER)

    deal.grade_by_hand(Grade.A, "done late", day(2), SELLER)

    assert deal.state.win_probability(config)[0] == pytest.approx(0.20 * 0.5)
    assert deal.state.milestones[M.customer_graded].forced_past


def test_an_unmet_milestone_that_was_never_forced_past_does_not_lower_win_probability(
    deal: Opportunity, config: ProcessConfig
) -> None:
    walk_to(deal, Stage.entry, config)
    deal.retract(2, "scores were invented", day(20), SELLER)

    p, explained = deal.state.win_probability(config)

    assert p == pytest.approx(0.20)
    assert "no milestone forced past" in explained


def test_a_won_deal_has_win_probability_one(deal: Opportunity, config: ProcessConfig) -> None:
    deal.force("tender is close", APPROVER, day(1), SELLER)
    walk_to(deal, Stage.negotiation, config)
    meet_stage(deal, config, day(20))

    p, explained = deal.state.win_probability(config)

    assert p == 1.0
    assert "won" in explained


@pytest.mark.parametrize(
    ("close", "outcome"),
    [
        (lambda d: d.lose(LossReason.price, None, day(20), SELLER), Outcome.lost),
        (lambda d: d.withdraw("unfavourable standard", day(20), SELLER), Outcome.withdrawn),
        (lambda d: d.abandon("not worth it", day(20), SELLER), Outcome.abandoned),
    ],
)
def test_a_closed_deal_has_win_probability_zero(
    deal: Opportunity,
    config: ProcessConfig,
    close: Callable[[Opportunity], None],
    outcome: Outcome,
) -> None:
    walk_to(deal, Stage.bidding, config)

    close(deal)

    p, explained = deal.state.win_probability(config)
    assert deal.state.outcome is outcome
    assert p == 0.0
    assert outcome.value in explained


def test_a_nurtured_deal_keeps_the_formula(deal: Opportunity, config: ProcessConfig) -> None:
    deal.force("tender is close", APPROVER, day(1), SELLER)

    deal.nurture("contact level lowered", day(2), SELLER)

    assert deal.state.win_probability(config)[0] == pytest.approx(0.20 * 0.25)


# -- alignment and missing milestones ------------------------------------------


def test_alignment_is_unknown_until_a_customer_step_is_observed(deal: Opportunity) -> None:
    state = deal.state

    assert state.alignment.value == "unknown"
    assert state.customer_step is None
    assert state.expected_stage is None


def test_the_article_s_case_is_behind_back_to_development_work_first(
    deal: Opportunity,
) -> None:
    deal.hold_activity(ActivityKind.visit, "project lead", "took the brochures", day(1), SELLER)
    deal.identify_stakeholder("design lead", Role.designer, None, day(2), SELLER)
    deal.hold_activity(ActivityKind.visit, "deputy manager", "took the card", day(30), SELLER)
    deal.observe_customer_step(CustomerStep.supplier_screening, day(30), SELLER)

    state = deal.state

    assert state.expected_stage is Stage.entry
    assert state.alignment.value == "behind"
    assert state.missing_milestones == (
        M.opportunity_assessed,
        M.customer_graded,
        M.insider_found,
        M.key_person_engaged,
    )


def test_a_deal_level_with_the_customer_is_behind_when_an_earlier_milestone_is_unmet(
    deal: Opportunity,
) -> None:
    deal.force("customer is short-listing already", APPROVER, day(1), SELLER)

    deal.observe_customer_step(CustomerStep.supplier_screening, day(2), SELLER)

    assert deal.state.stage is Stage.entry
    assert deal.state.alignment.value == "behind"


def test_a_deal_past_the_customer_is_behind_when_an_earlier_milestone_is_unmet(
    deal: Opportunity,
) -> None:
    deal.force("customer is short-listing already", APPROVER, day(1), SELLER)
    deal.force("design institute wants a proposal", APPROVER, day(2), SELLER)

    deal.observe_customer_step(CustomerStep.supplier_screening, day(3), SELLER)

    assert deal.state.alignment.value == "behind"


def test_a_deal_whose_customer_is_a_step_further_is_behind(
    deal: Opportunity, config: ProcessConfig
) -> None:
    walk_to(deal, Stage.entry, config)
    meet_stage(deal, config, day(20))

    deal.observe_customer_step(CustomerStep.criteria_definition, day(22), SELLER)

    assert deal.state.alignment.value == "behind"
    assert deal.state.missing_milestones == (M.standard_influenced,)


def test_a_deal_past_the_customer_with_earlier_milestones_met_is_ahead(
    deal: Opportunity, config: ProcessConfig
) -> None:
    walk_to(deal, Stage.proposal, config)

    deal.observe_customer_step(CustomerStep.supplier_screening, day(20), SELLER)

    assert deal.state.alignment.value == "ahead"
    assert deal.state.missing_milestones == (M.standard_influenced,)


def test_a_deal_level_with_the_customer_and_earlier_milestones_met_is_aligned(
    deal: Opportunity, config: ProcessConfig
) -> None:
    walk_to(deal, Stage.entry, config)

    deal.observe_customer_step(CustomerStep.supplier_screening, day(20), SELLER)

    assert deal.state.alignment.value == "aligned"
    assert deal.state.missing_milestones == (M.insider_found, M.key_person_engaged)


def test_the_current_stage_s_own_milestones_do_not_make_a_deal_behind(
    deal: Opportunity,
) -> None:
    deal.observe_customer_step(CustomerStep.need_initiation, day(1), SELLER)

    assert deal.state.alignment.value == "aligned"
    assert deal.state.missing_milestones == (M.opportunity_assessed, M.customer_graded)


def test_missing_milestones_run_to_our_stage_when_the_customer_step_is_unknown(
    deal: Opportunity,
) -> None:
    deal.force("tender is close", APPROVER, day(1), SELLER)
    deal.find_insider(INSIDER, day(2), SELLER)
    deal.force("key persons out of reach", APPROVER, day(3), SELLER)

    assert deal.state.missing_milestones == (
        M.opportunity_assessed,
        M.customer_graded,
        M.key_person_engaged,
        M.standard_influenced,
    )


def test_missing_milestones_run_to_the_customer_s_stage_when_it_is_further(
    deal: Opportunity, config: ProcessConfig
) -> None:
    deal.assess(scores(), config, day(1), SELLER)
    deal.engage_key_person(KEY_PERSON, day(2), SELLER)

    deal.observe_customer_step(CustomerStep.tender_evaluation, day(3), SELLER)

    assert deal.state.expected_stage is Stage.bidding
    assert deal.state.missing_milestones == (
        M.customer_graded,
        M.insider_found,
        M.standard_influenced,
        M.bid_submitted,
    )


def test_the_customer_step_may_move_back(deal: Opportunity) -> None:
    deal.observe_customer_step(CustomerStep.tender_evaluation, day(1), SELLER)

    deal.observe_customer_step(CustomerStep.need_initiation, day(2), SELLER)

    assert deal.state.customer_step is CustomerStep.need_initiation
    assert deal.state.expected_stage is Stage.development


@pytest.mark.parametrize(
    ("step", "stage"),
    list(zip(CustomerStep, Stage, strict=True)),
)
def test_each_customer_step_mirrors_the_stage_of_the_same_number(
    deal: Opportunity, step: CustomerStep, stage: Stage
) -> None:
    deal.observe_customer_step(step, day(1), SELLER)

    assert deal.state.expected_stage is stage


# -- business time: refusals -----------------------------------------------------

BEFORE_OPENING = OPENED_AT - timedelta(minutes=1)

EARLY_COMMANDS: dict[str, Callable[[Opportunity, ProcessConfig], object]] = {
    "customer-step": lambda d, c: d.observe_customer_step(
        CustomerStep.need_initiation, BEFORE_OPENING, SELLER
    ),
    "collect": lambda d, c: d.collect(AssessmentElement.needs, "x", BEFORE_OPENING, SELLER),
    "assess": lambda d, c: d.assess(scores(), c, BEFORE_OPENING, SELLER),
    "grade": lambda d, c: d.grade_by_hand(Grade.A, "x", BEFORE_OPENING, SELLER),
    "insider": lambda d, c: d.find_insider(INSIDER, BEFORE_OPENING, SELLER),
    "force": lambda d, c: d.force("x", APPROVER, BEFORE_OPENING, SELLER),
    "nurture": lambda d, c: d.nurture("x", BEFORE_OPENING, SELLER),
    "lose": lambda d, c: d.lose(LossReason.other, None, BEFORE_OPENING, SELLER),
}


@pytest.mark.parametrize("command", EARLY_COMMANDS)
def test_an_entry_dated_before_the_deal_was_opened_is_refused(
    deal: Opportunity, config: ProcessConfig, command: str
) -> None:
    with pytest.raises(OutOfTimeOrder):
        EARLY_COMMANDS[command](deal, config)

    assert len(deal.entries) == 1


def test_a_retraction_dated_before_the_deal_was_opened_is_refused(deal: Opportunity) -> None:
    deal.collect(AssessmentElement.needs, "x", day(1), SELLER)

    with pytest.raises(OutOfTimeOrder):
        deal.retract(2, "wrong", BEFORE_OPENING, SELLER)

    assert deal.state.retracted == {}


def test_an_advance_dated_before_the_last_stage_move_is_refused(
    deal: Opportunity, config: ProcessConfig
) -> None:
    walk_to(deal, Stage.entry, config)  # entered entry on day 3
    meet(deal, M.insider_found, config, day(1))
    meet(deal, M.key_person_engaged, config, day(1))

    with pytest.raises(OutOfTimeOrder, match="last stage move"):
        deal.advance(day(2), SELLER)

    assert deal.state.stage is Stage.entry


def test_a_force_dated_before_the_last_stage_move_is_refused(
    deal: Opportunity, config: ProcessConfig
) -> None:
    walk_to(deal, Stage.entry, config)

    with pytest.raises(OutOfTimeOrder):
        deal.force("x", APPROVER, day(2), SELLER)


def test_a_stage_move_dated_before_the_last_outcome_is_refused(
    deal: Opportunity, config: ProcessConfig
) -> None:
    meet_stage(deal, config, day(1))
    deal.nurture("postponed", day(3), SELLER)
    deal.reopen("back", day(5), SELLER)

    with pytest.raises(OutOfTimeOrder):
        deal.advance(day(4), SELLER)


def test_an_outcome_dated_before_the_last_stage_move_is_refused(
    deal: Opportunity, config: ProcessConfig
) -> None:
    walk_to(deal, Stage.entry, config)

    with pytest.raises(OutOfTimeOrder):
        deal.lose(LossReason.price, None, day(2), SELLER)

    assert deal.state.outcome is Outcome.open


def test_an_outcome_dated_before_the_last_outcome_is_refused(deal: Opportunity) -> None:
    deal.nurture("postponed", day(5), SELLER)

    with pytest.raises(OutOfTimeOrder):
        deal.reopen("back", day(4), SELLER)

    assert deal.state.outcome is Outcome.nurture


def test_a_signature_dated_before_the_last_outcome_is_refused(
    deal: Opportunity, config: ProcessConfig
) -> None:
    walk_to(deal, Stage.negotiation, config)  # entered negotiation on day 10
    deal.approve_contract(day(11), SELLER)
    deal.nurture("board reshuffle", day(12), SELLER)
    deal.reopen("new board in place", day(14), SELLER)

    with pytest.raises(OutOfTimeOrder, match="last stage move or outcome"):
        deal.sign(Decimal("1000000.00"), day(13), SELLER)

    assert deal.state.outcome is Outcome.open


def test_a_bid_dated_before_the_deal_entered_bidding_is_refused(
    deal: Opportunity, config: ProcessConfig
) -> None:
    walk_to(deal, Stage.bidding, config)  # entered bidding on day 8

    with pytest.raises(OutOfTimeOrder, match="entered bidding"):
        deal.submit_bid(Decimal("1000000.00"), None, False, day(7), SELLER)


def test_a_contract_approval_or_signature_dated_before_negotiation_is_refused(
    deal: Opportunity, config: ProcessConfig
) -> None:
    walk_to(deal, Stage.negotiation, config)  # entered negotiation on day 10

    with pytest.raises(OutOfTimeOrder, match="entered negotiation"):
        deal.approve_contract(day(9), SELLER)
    deal.approve_contract(day(20), SELLER)
    with pytest.raises(OutOfTimeOrder):
        deal.sign(Decimal("1000000.00"), day(9), SELLER)


def test_a_trial_or_oil_analysis_dated_before_implementation_is_refused(
    deal: Opportunity, config: ProcessConfig
) -> None:
    walk_to(deal, Stage.implementation, config)  # entered implementation on day 13

    with pytest.raises(OutOfTimeOrder, match="entered implementation"):
        deal.evaluate_trial("good", day(12), SELLER)
    with pytest.raises(OutOfTimeOrder, match="entered implementation"):
        deal.follow_up_oil_analysis("good", day(12), SELLER)


def test_evidence_may_be_dated_in_an_earlier_stage(
    deal: Opportunity, config: ProcessConfig
) -> None:
    walk_to(deal, Stage.proposal, config)

    deal.influence_standard(["VG 320"], day(2), SELLER)

    assert deal.state.milestones[M.standard_influenced].at == day(2)
    assert fold(deal.entries, as_of=day(2)).stage is Stage.development


@pytest.mark.parametrize(
    "command",
    [
        lambda d: d.collect(
            AssessmentElement.needs, "x", datetime.now(UTC) + timedelta(hours=1), SELLER
        ),
        lambda d: d.advance(datetime.now(UTC) + timedelta(days=1), SELLER),
        lambda d: d.retract(1, "x", datetime.now(UTC) + timedelta(days=1), SELLER),
        lambda d: d.collect(AssessmentElement.needs, "x", datetime(2026, 7, 2, 9, 0), SELLER),
    ],
    ids=["future collect", "future advance", "future retract", "naive time"],
)
def test_a_future_or_naive_business_time_is_refused_as_input(
    deal: Opportunity, command: Callable[[Opportunity], object]
) -> None:
    with pytest.raises(InputError):
        command(deal)

    assert len(deal.entries) == 1


def test_a_deal_cannot_be_opened_in_the_future() -> None:
    with pytest.raises(InputError, match="future"):
        open_deal(at=datetime.now(UTC) + timedelta(days=1))


# -- business time: as-of --------------------------------------------------------


def test_the_state_as_of_a_time_shows_the_stage_the_deal_was_in(
    deal: Opportunity, config: ProcessConfig
) -> None:
    walk_to(deal, Stage.bidding, config)  # entry day 3, proposal day 6, bidding day 8

    assert fold(deal.entries, as_of=day(2)).stage is Stage.development
    assert fold(deal.entries, as_of=day(3)).stage is Stage.entry
    assert fold(deal.entries, as_of=day(7)).stage is Stage.proposal
    assert fold(deal.entries).stage is Stage.bidding


def test_entries_apply_in_business_time_order_not_recording_order(deal: Opportunity) -> None:
    deal.find_insider(INSIDER, day(1), SELLER)
    deal.find_insider("Ma (design institute)", day(10), SELLER)

    deal.stakeholder_left(INSIDER, "retired", day(5), SELLER)  # logged late

    assert not fold(deal.entries, as_of=day(6)).is_met(M.insider_found)
    assert fold(deal.entries, as_of=day(10)).is_met(M.insider_found)
    assert fold(deal.entries, as_of=day(10)).milestones[M.insider_found].at == day(10)


def test_entries_at_the_same_business_time_apply_in_seq_order(deal: Opportunity) -> None:
    deal.observe_customer_step(CustomerStep.tender_evaluation, day(1), SELLER)

    deal.observe_customer_step(CustomerStep.criteria_definition, day(1), SELLER)

    assert deal.state.customer_step is CustomerStep.criteria_definition


def test_the_latest_customer_step_is_the_latest_in_business_time(deal: Opportunity) -> None:
    deal.observe_customer_step(CustomerStep.tender_evaluation, day(5), SELLER)

    deal.observe_customer_step(CustomerStep.supplier_screening, day(2), SELLER)

    assert deal.state.customer_step is CustomerStep.tender_evaluation


# -- business time: known-at -----------------------------------------------------


def recorded(entries: Sequence[Entry[Any]], at: dict[int, datetime]) -> list[Entry[Any]]:
    """The entries with ``recorded_at`` set by seq (the others on their own day)."""
    return [replace(e, recorded_at=at.get(e.seq, e.occurred_at)) for e in entries]


def test_known_at_leaves_out_what_was_recorded_later(deal: Opportunity) -> None:
    deal.find_insider(INSIDER, day(1), SELLER)  # seq 2, happened on day 1
    entries = recorded(deal.entries, {2: day(10)})  # but learnt on day 10

    assert not fold(entries, known_at=day(9)).is_met(M.insider_found)
    assert fold(entries, known_at=day(10)).is_met(M.insider_found)
    assert fold(entries, as_of=day(1), known_at=day(10)).is_met(M.insider_found)
    assert fold(entries, known_at=day(9)).version == 1


def test_a_retraction_counts_only_from_when_it_was_recorded(
    deal: Opportunity, config: ProcessConfig
) -> None:
    deal.assess(scores(), config, day(1), SELLER)  # seq 2
    deal.retract(2, "scored the wrong project", day(8), SELLER)  # seq 3
    entries = recorded(deal.entries, {3: day(8)})

    before = fold(entries, as_of=day(5), known_at=day(7))
    after = fold(entries, as_of=day(5), known_at=day(8))

    assert before.is_met(M.opportunity_assessed)
    assert before.retracted == {}
    assert not after.is_met(M.opportunity_assessed)
    assert set(after.retracted) == {2}


def test_a_retracted_outcome_is_still_shown_known_at_before_the_retraction(
    deal: Opportunity,
) -> None:
    deal.lose(LossReason.price, "Rival Lubes", day(2), SELLER)  # seq 2
    deal.retract(2, "not lost", day(4), SELLER)  # seq 3
    entries = recorded(deal.entries, {3: day(4)})

    assert fold(entries, known_at=day(3)).outcome is Outcome.lost
    assert fold(entries, known_at=day(4)).outcome is Outcome.open

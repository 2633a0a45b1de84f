"""Business time: what is refused as out of order, the state as of a time and
as known at a recorded time (shared/domain.md, "Business time")."""

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
from domain.fold import fold
from domain.opportunity import Opportunity
from domain.vocabulary import (
    AssessmentElement,
    CustomerStep,
    Grade,
    LossReason,
    Milestone,
    Outcome,
    Stage,
)

from .conftest import (
    APPROVER,
    INSIDER,
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


def test_a_signature_dated_before_the_contract_was_approved_is_refused(
    deal: Opportunity, config: ProcessConfig
) -> None:
    walk_to(deal, Stage.negotiation, config)  # entered negotiation on day 10
    deal.approve_contract(day(15), SELLER)

    with pytest.raises(OutOfTimeOrder, match="contract_approved was met"):
        deal.sign(Decimal("1000000.00"), day(14), SELLER)

    deal.sign(Decimal("1000000.00"), day(15), SELLER)
    assert deal.state.outcome is Outcome.won


def test_an_advance_dated_before_a_milestone_it_relies_on_was_met_is_refused(
    deal: Opportunity, config: ProcessConfig
) -> None:
    deal.assess(scores(), config, day(1), SELLER)
    deal.grade_by_hand(Grade.A, "strategic", day(6), SELLER)

    with pytest.raises(OutOfTimeOrder, match="customer_graded was met"):
        deal.advance(day(5), SELLER)

    assert deal.advance(day(6), SELLER) is Stage.entry


def test_a_force_dated_before_a_met_milestone_it_relies_on_is_refused(
    deal: Opportunity, config: ProcessConfig
) -> None:
    deal.assess(scores(), config, day(6), SELLER)  # met; customer_graded stays unmet

    with pytest.raises(OutOfTimeOrder, match="opportunity_assessed was met"):
        deal.force("tender early", APPROVER, day(5), SELLER)

    assert deal.force("tender early", APPROVER, day(6), SELLER) == (M.customer_graded,)


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

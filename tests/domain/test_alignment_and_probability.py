"""Win probability, alignment and missing milestones
(shared/domain.md, "Win probability" and "Alignment")."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from domain.config import ProcessConfig
from domain.opportunity import Opportunity
from domain.vocabulary import (
    ActivityKind,
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
    SELLER,
    day,
    meet_stage,
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

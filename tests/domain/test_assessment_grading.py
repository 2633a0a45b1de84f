"""The evaluation model and the grading rule (shared/domain.md, "Assessment" and
"Grading")."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from domain.config import ProcessConfig, load_config
from domain.errors import InputError, MilestonesUnmet
from domain.fold import fold
from domain.opportunity import Opportunity
from domain.vocabulary import (
    AssessmentElement,
    AssessmentFactor,
    Engagement,
    Grade,
    Milestone,
    Stage,
)

from .conftest import SELLER, day, scores


def config_from(tmp_path: Path, toml: str) -> ProcessConfig:
    path = tmp_path / "salesflow.toml"
    path.write_text(toml, "utf-8")
    return load_config(path)


# -- the evaluation model ------------------------------------------------------


def test_an_assessment_with_a_mean_of_exactly_three_passes(
    deal: Opportunity, config: ProcessConfig
) -> None:
    deal.assess(scores(3), config, day(1), SELLER)

    assert deal.state.is_met(Milestone.opportunity_assessed)
    assert deal.entries[-1].data["weighted_mean"] == 3.0
    assert deal.entries[-1].data["passed"] is True


def test_an_assessment_with_a_mean_below_three_fails(
    deal: Opportunity, config: ProcessConfig
) -> None:
    deal.assess(scores(3, price=2), config, day(1), SELLER)

    assessed = deal.entries[-1]
    assert assessed.event == "Assessed"
    assert assessed.data["weighted_mean"] == pytest.approx(26 / 9, abs=1e-4)
    assert assessed.data["passed"] is False
    assert assessed.data["knocked_out"] == []
    assert not deal.state.is_met(Milestone.opportunity_assessed)


@pytest.mark.parametrize("factor", ["technical_fit", "funding"])
def test_a_knock_out_factor_scored_1_fails_whatever_the_mean(
    deal: Opportunity, config: ProcessConfig, factor: str
) -> None:
    deal.assess(scores(5, **{factor: 1}), config, day(1), SELLER)

    assessed = deal.entries[-1].data
    assert assessed["weighted_mean"] > 4
    assert assessed["passed"] is False
    assert assessed["knocked_out"] == [factor]
    assert not deal.state.is_met(Milestone.opportunity_assessed)


@pytest.mark.parametrize("factor", ["price", "relationship", "customer_credit"])
def test_other_factors_scored_1_do_not_knock_out(
    deal: Opportunity, config: ProcessConfig, factor: str
) -> None:
    deal.assess(scores(5, **{factor: 1}), config, day(1), SELLER)

    assert deal.entries[-1].data["knocked_out"] == []
    assert deal.state.is_met(Milestone.opportunity_assessed)


def test_a_knock_out_factor_scored_2_does_not_knock_out(
    deal: Opportunity, config: ProcessConfig
) -> None:
    deal.assess(scores(4, technical_fit=2, funding=2), config, day(1), SELLER)

    assert deal.state.is_met(Milestone.opportunity_assessed)


def test_the_mean_is_weighted_by_the_model(deal: Opportunity, tmp_path: Path) -> None:
    weights = "\n".join(f"{f.value} = 1.0" for f in AssessmentFactor if f.value != "project_level")
    config = config_from(tmp_path, f"[evaluation.weights]\nproject_level = 9.0\n{weights}\n")

    deal.assess(scores(2, project_level=5), config, day(1), SELLER)

    assessed = deal.entries[-1].data
    assert assessed["weighted_mean"] == pytest.approx((9 * 5 + 8 * 2) / 17, abs=1e-4)
    assert assessed["passed"] is True
    assert assessed["weights"]["project_level"] == 9.0


def test_a_failed_assessment_is_recorded_and_leaves_the_milestone_unmet(
    deal: Opportunity, config: ProcessConfig
) -> None:
    deal.assess(scores(2), config, day(1), SELLER)
    deal.grade_by_hand(Grade.C, "small plant", day(2), SELLER)

    with pytest.raises(MilestonesUnmet) as refused:
        deal.advance(day(3), SELLER)

    assert refused.value.unmet == ("opportunity_assessed",)
    assert deal.state.assessment is not None
    assert deal.state.assessment["passed"] is False


def test_a_later_failed_assessment_unmeets_an_earlier_pass(
    deal: Opportunity, config: ProcessConfig
) -> None:
    deal.assess(scores(4), config, day(1), SELLER)

    deal.assess(scores(4, funding=1), config, day(2), SELLER)

    assert not deal.state.is_met(Milestone.opportunity_assessed)


def test_a_later_passing_assessment_meets_the_milestone_after_a_failure(
    deal: Opportunity, config: ProcessConfig
) -> None:
    deal.assess(scores(2), config, day(1), SELLER)

    deal.assess(scores(4), config, day(2), SELLER)

    assert deal.state.is_met(Milestone.opportunity_assessed)


def test_the_latest_assessment_is_the_latest_in_business_time_not_in_recording(
    deal: Opportunity, config: ProcessConfig
) -> None:
    deal.assess(scores(4), config, day(5), SELLER)

    deal.assess(scores(2), config, day(3), SELLER)

    assert deal.state.is_met(Milestone.opportunity_assessed)
    assert deal.state.assessment is not None
    assert deal.state.assessment["at"] == day(5)


def test_retracting_the_latest_assessment_lets_the_one_before_decide(
    deal: Opportunity, config: ProcessConfig
) -> None:
    deal.assess(scores(4), config, day(1), SELLER)
    deal.assess(scores(4, technical_fit=1), config, day(2), SELLER)

    deal.retract(3, "technical_fit was misread", day(3), SELLER)

    assert deal.state.is_met(Milestone.opportunity_assessed)
    assert deal.state.assessment is not None
    assert deal.state.assessment["seq"] == 2


def test_an_assessment_missing_a_factor_is_refused_and_nothing_is_recorded(
    deal: Opportunity, config: ProcessConfig
) -> None:
    partial: dict[AssessmentFactor, int] = {
        f: s for f, s in scores(4).items() if f is not AssessmentFactor.service
    }

    with pytest.raises(InputError, match="service"):
        deal.assess(partial, config, day(1), SELLER)

    assert [e.event for e in deal.entries] == ["Opened"]


def test_an_assessment_needs_no_collected_elements(
    deal: Opportunity, config: ProcessConfig
) -> None:
    deal.assess(scores(4), config, day(1), SELLER)

    assert deal.state.elements == {}
    assert deal.state.is_met(Milestone.opportunity_assessed)


def test_collected_elements_are_kept_by_element(deal: Opportunity) -> None:
    deal.collect(AssessmentElement.needs, "gear oil for 40 mills", day(1), SELLER)
    deal.collect(AssessmentElement.budget, "CNY 3 million", day(2), SELLER)
    deal.collect(AssessmentElement.budget, "CNY 3.5 million", day(3), SELLER)

    assert deal.state.elements == {"needs": "gear oil for 40 mills", "budget": "CNY 3.5 million"}


def test_the_assessment_stores_its_scores_mean_and_verdict_for_replay(
    deal: Opportunity, tmp_path: Path
) -> None:
    strict = config_from(tmp_path, "[evaluation]\npass_mean = 4.5\n")
    deal.assess(scores(4), strict, day(1), SELLER)

    replayed = fold(deal.entries)

    assessed = deal.entries[-1].data
    assert assessed["scores"] == {f.value: 4 for f in AssessmentFactor}
    assert (assessed["weighted_mean"], assessed["pass_mean"], assessed["passed"]) == (
        4.0,
        4.5,
        False,
    )
    assert not replayed.is_met(Milestone.opportunity_assessed)


# -- grading -------------------------------------------------------------------

GRADED_ON = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("likelihood", "close_by", "grade"),
    [
        (0.6, date(2026, 9, 29), Grade.A),  # 90 days
        (0.9, date(2026, 7, 1), Grade.A),  # 0 days
        (0.6, date(2026, 9, 30), Grade.B),  # 91 days
        (0.59, date(2026, 7, 10), Grade.B),
        (0.4, date(2026, 12, 28), Grade.B),  # 180 days
        (0.4, date(2026, 12, 29), Grade.C),  # 181 days
        (0.39, date(2026, 7, 10), Grade.C),
        (0.2, date(2028, 1, 1), Grade.C),
        (0.19, date(2026, 7, 10), Grade.D),
        (0.0, date(2026, 7, 2), Grade.D),
    ],
)
def test_the_grading_rule(
    deal: Opportunity, config: ProcessConfig, likelihood: float, close_by: date, grade: Grade
) -> None:
    given = deal.grade_by_rule(likelihood, close_by, config, GRADED_ON, SELLER)

    assert given is grade
    assert deal.state.grade is grade
    assert deal.state.is_met(Milestone.customer_graded)


def test_a_back_dated_grading_counts_the_days_from_its_own_date(
    deal: Opportunity, config: ProcessConfig
) -> None:
    grade = deal.grade_by_rule(0.7, date(2026, 9, 29), config, GRADED_ON, SELLER)

    graded = deal.entries[-1].data
    assert grade is Grade.A
    assert graded["days"] == 90
    assert (graded["method"], graded["likelihood"], graded["close_by"]) == (
        "rule",
        0.7,
        "2026-09-29",
    )


def test_a_close_date_before_the_grading_date_is_refused(
    deal: Opportunity, config: ProcessConfig
) -> None:
    with pytest.raises(InputError, match="before the grading date"):
        deal.grade_by_rule(0.7, date(2026, 6, 30), config, GRADED_ON, SELLER)

    assert deal.state.grade is None


def test_the_grading_date_is_taken_in_the_configured_time_zone(
    deal: Opportunity, tmp_path: Path
) -> None:
    shanghai = config_from(tmp_path, 'time_zone = "Asia/Shanghai"\n')
    late_evening_utc = datetime(2026, 7, 1, 20, 0, tzinfo=UTC)  # 2 July in Shanghai

    with pytest.raises(InputError):
        deal.grade_by_rule(0.7, date(2026, 7, 1), shanghai, late_evening_utc, SELLER)
    deal.grade_by_rule(0.7, date(2026, 9, 30), shanghai, late_evening_utc, SELLER)

    assert deal.entries[-1].data["days"] == 90


@pytest.mark.parametrize("grade", list(Grade))
def test_a_grade_set_by_hand_satisfies_customer_graded(deal: Opportunity, grade: Grade) -> None:
    deal.grade_by_hand(grade, "the director knows this customer", day(1), SELLER)

    assert deal.state.grade is grade
    assert deal.state.is_met(Milestone.customer_graded)
    assert deal.entries[-1].data["method"] == "manual"
    assert deal.entries[-1].data["reason"] == "the director knows this customer"


@pytest.mark.parametrize(
    ("grade", "engagement"),
    [
        (Grade.A, Engagement.pursue),
        (Grade.B, Engagement.limit_time),
        (Grade.C, Engagement.monitor),
        (Grade.D, Engagement.deprioritize),
    ],
)
def test_each_grade_carries_its_engagement_policy(
    deal: Opportunity, grade: Grade, engagement: Engagement
) -> None:
    deal.grade_by_hand(grade, "policy check", day(1), SELLER)

    assert deal.state.engagement is engagement


def test_a_grade_needs_no_assessment(deal: Opportunity, config: ProcessConfig) -> None:
    deal.grade_by_rule(0.5, date(2026, 10, 1), config, day(1), SELLER)

    assert deal.state.assessment is None
    assert deal.state.grade is Grade.B


def test_a_low_grade_does_not_block_advancing(deal: Opportunity, config: ProcessConfig) -> None:
    deal.assess(scores(4), config, day(1), SELLER)
    deal.grade_by_hand(Grade.D, "long shot", day(2), SELLER)

    deal.advance(day(3), SELLER)

    assert deal.state.stage is Stage.entry


def test_the_latest_grade_in_business_time_decides(deal: Opportunity) -> None:
    deal.grade_by_hand(Grade.A, "after the visit", day(6), SELLER)

    deal.grade_by_hand(Grade.C, "before the visit, logged late", day(2), SELLER)

    assert deal.state.grade is Grade.A
    assert deal.state.graded_at == day(6)


def test_two_grades_at_the_same_time_are_ordered_by_seq(deal: Opportunity) -> None:
    deal.grade_by_hand(Grade.A, "first", day(2), SELLER)

    deal.grade_by_hand(Grade.B, "second", day(2), SELLER)

    assert deal.state.grade is Grade.B


def test_as_of_before_a_grade_shows_none(deal: Opportunity) -> None:
    deal.grade_by_hand(Grade.A, "sure", day(2), SELLER)

    assert fold(deal.entries, as_of=day(1)).grade is None
    assert fold(deal.entries, as_of=day(2)).grade is Grade.A

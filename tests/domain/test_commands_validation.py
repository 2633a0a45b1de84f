"""Input checked at the edge before the domain sees it (domain/commands.py).

Each refused input is one bad field in an otherwise valid command, and each
command's valid form is shown to pass, so a refusal is for the stated reason.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from domain import commands as c
from domain.vocabulary import AssessmentFactor, CustomerStep, Grade, LossReason, Role

AT = "2026-07-01T09:00:00+00:00"
BASE: dict[str, Any] = {"key": "NX-2026-031", "at": AT, "by": "li.wei"}
ALL_FACTORS: dict[str, Any] = {f.value: 3 for f in AssessmentFactor}

VALID: list[tuple[type[BaseModel], dict[str, Any]]] = [
    (
        c.OpenDeal,
        {"customer": "Ningxia Coal", "title": "Gear oils", "tender_expected": "2026-11-15"},
    ),
    (c.ObserveStep, {"step": "supplier_screening"}),
    (c.Collect, {"element": "budget", "text": "CNY 3 million"}),
    (c.Assess, {"scores": ALL_FACTORS}),
    (c.GradeDeal, {"likelihood": 0.6, "close_by": "2026-09-29"}),
    (c.GradeDeal, {"grade": "B", "reason": "slow budget"}),
    (c.IdentifyStakeholder, {"name": "Sun", "role": "designer", "weight": 0.3}),
    (c.StakeholderLeaves, {"name": "Sun"}),
    (c.NamePerson, {"name": "Wang"}),
    (c.HoldActivity, {"kind": "reference_visit", "with_whom": "Sun"}),
    (c.Shortlist, {}),
    (c.Influence, {"criteria": ["FZG stage 12"]}),
    (c.ReceiveTender, {"due": "2026-08-01"}),
    (c.SubmitBid, {"price": "1250000.00", "margin": 0.18}),
    (c.Plain, {}),
    (c.Sign, {"value": "1250000"}),
    (c.Result, {"result": "wear down 30%"}),
    (c.Force, {"reason": "tender close", "approved_by": "director.zhang"}),
    (c.Lose, {"reason": "price", "competitor": "Rival Lubes"}),
    (c.Reasoned, {"reason": "postponed"}),
    (c.Retract, {"seq": 2, "reason": "typo"}),
]


def refused(model: type[BaseModel], **fields: Any) -> list[str]:
    """Validate ``model`` from BASE plus ``fields``, expecting a refusal;
    returns the dotted locations of the errors."""
    with pytest.raises(ValidationError) as error:
        model.model_validate({**BASE, **fields})
    return [".".join(str(part) for part in e["loc"]) for e in error.value.errors()]


@pytest.mark.parametrize(("model", "fields"), VALID, ids=[m.__name__ for m, _ in VALID])
def test_a_well_formed_command_is_accepted(model: type[BaseModel], fields: dict[str, Any]) -> None:
    command = model.model_validate({**BASE, **fields})

    assert command.model_dump()["key"] == "NX-2026-031"


# -- ids of the vocabulary -------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "field", "value"),
    [
        (c.ObserveStep, "step", "tendering"),
        (c.Collect, "element", "timeline"),
        (c.IdentifyStakeholder, "role", "boss"),
        (c.HoldActivity, "kind", "dinner"),
        (c.Lose, "reason", "bad_luck"),
        (c.GradeDeal, "grade", "E"),
    ],
)
def test_an_unknown_id_is_refused(model: type[BaseModel], field: str, value: str) -> None:
    extra: dict[str, Any] = {
        c.Collect: {"text": "x"},
        c.IdentifyStakeholder: {"name": "Sun"},
        c.GradeDeal: {"reason": "x"},
    }.get(model, {})

    assert refused(model, **extra, **{field: value}) == [field]


def test_ids_are_parsed_into_the_vocabulary() -> None:
    step = c.ObserveStep.model_validate({**BASE, "step": "tender_evaluation"})
    lose = c.Lose.model_validate({**BASE, "reason": "incumbent"})
    person = c.IdentifyStakeholder.model_validate({**BASE, "name": "Sun"})

    assert step.step is CustomerStep.tender_evaluation
    assert lose.reason is LossReason.incumbent
    assert person.role is Role.other


def test_an_unknown_assessment_factor_is_refused() -> None:
    locations = refused(c.Assess, scores={**ALL_FACTORS, "brand": 4})

    assert locations == ["scores.brand.[key]"]


# -- ranges ---------------------------------------------------------------------


@pytest.mark.parametrize("score", [0, 6, -1])
def test_a_score_outside_1_to_5_is_refused(score: int) -> None:
    assert refused(c.Assess, scores={**ALL_FACTORS, "funding": score}) == ["scores.funding"]


@pytest.mark.parametrize("score", [3.5, "4", True])
def test_a_score_must_be_a_whole_number(score: object) -> None:
    assert refused(c.Assess, scores={**ALL_FACTORS, "price": score}) == ["scores.price"]


@pytest.mark.parametrize("score", [1, 5])
def test_scores_1_and_5_are_accepted(score: int) -> None:
    command = c.Assess.model_validate({**BASE, "scores": {**ALL_FACTORS, "funding": score}})

    assert command.scores[AssessmentFactor.funding] == score


@pytest.mark.parametrize("likelihood", [-0.01, 1.01, 2])
def test_a_likelihood_outside_0_to_1_is_refused(likelihood: float) -> None:
    assert refused(c.GradeDeal, likelihood=likelihood, close_by="2026-09-01") == ["likelihood"]


@pytest.mark.parametrize("likelihood", [0.0, 1.0])
def test_likelihoods_0_and_1_are_accepted(likelihood: float) -> None:
    command = c.GradeDeal.model_validate(
        {**BASE, "likelihood": likelihood, "close_by": "2026-09-01"}
    )

    assert command.likelihood == likelihood


@pytest.mark.parametrize("weight", [-0.1, 1.5])
def test_a_stakeholder_weight_outside_0_to_1_is_refused(weight: float) -> None:
    assert refused(c.IdentifyStakeholder, name="Sun", weight=weight) == ["weight"]


@pytest.mark.parametrize("price", ["0", "-5", "12.345"])
def test_a_bid_price_must_be_positive_with_at_most_two_decimals(price: str) -> None:
    assert refused(c.SubmitBid, price=price) == ["price"]


def test_a_bid_price_is_kept_exact() -> None:
    bid = c.SubmitBid.model_validate({**BASE, "price": "1250000.10"})

    assert bid.price == Decimal("1250000.10")


@pytest.mark.parametrize("margin", [-1, 1, 1.5])
def test_a_bid_margin_must_lie_strictly_between_minus_1_and_1(margin: float) -> None:
    assert refused(c.SubmitBid, price="100", margin=margin) == ["margin"]


def test_retract_needs_a_positive_seq() -> None:
    assert refused(c.Retract, seq=0, reason="x") == ["seq"]


def test_influence_needs_at_least_one_criterion() -> None:
    assert refused(c.Influence, criteria=[]) == ["criteria"]


# -- keys and names ---------------------------------------------------------------


@pytest.mark.parametrize("key", ["", "NX 2026", "NX/2026", "深圳-01", "K" * 65])
def test_a_malformed_deal_key_is_refused(key: str) -> None:
    assert refused(c.Plain, key=key) == ["key"]


@pytest.mark.parametrize("key", ["NX-2026-031", "a.b_c-1", "K" * 64])
def test_a_well_formed_deal_key_is_accepted(key: str) -> None:
    assert c.Plain.model_validate({**BASE, "key": key}).key == key


@pytest.mark.parametrize(
    ("model", "field", "fields"),
    [
        (c.Plain, "by", {}),
        (c.OpenDeal, "customer", {"title": "Gear oils"}),
        (c.OpenDeal, "title", {"customer": "Ningxia Coal"}),
        (c.NamePerson, "name", {}),
        (c.Force, "approved_by", {"reason": "tender close"}),
        (c.Force, "reason", {"approved_by": "director.zhang"}),
        (c.Reasoned, "reason", {}),
        (c.Collect, "text", {"element": "needs"}),
    ],
)
@pytest.mark.parametrize("empty", ["", "   "])
def test_an_empty_name_or_text_is_refused(
    model: type[BaseModel], field: str, fields: dict[str, Any], empty: str
) -> None:
    assert refused(model, **fields, **{field: empty}) == [field]


def test_names_are_stripped_of_surrounding_blanks() -> None:
    person = c.NamePerson.model_validate({**BASE, "name": "  Wang  "})

    assert person.name == "Wang"


# -- times ----------------------------------------------------------------------


def test_a_future_time_is_refused() -> None:
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()

    assert refused(c.Plain, at=tomorrow) == ["at"]


def test_a_time_without_an_offset_is_refused() -> None:
    assert refused(c.Plain, at="2026-07-01T09:00:00") == ["at"]


def test_a_past_time_with_an_offset_is_accepted() -> None:
    command = c.Plain.model_validate({**BASE, "at": "2026-07-01T17:00:00+08:00"})

    assert command.at == datetime(2026, 7, 1, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("model", "fields", "option"),
    [
        (
            c.OpenDeal,
            {"customer": "N", "title": "T", "tender_expected": "2026-06-30"},
            "--tender-expected",
        ),
        (c.GradeDeal, {"likelihood": 0.5, "close_by": "2026-06-30"}, "--close-by"),
        (c.ReceiveTender, {"due": "2026-06-30"}, "--due"),
    ],
)
def test_a_business_date_before_the_command_s_time_is_refused(
    model: type[BaseModel], fields: dict[str, Any], option: str
) -> None:
    with pytest.raises(ValidationError, match=option):
        model.model_validate({**BASE, **fields})


@pytest.mark.parametrize(
    ("model", "fields"),
    [
        (c.OpenDeal, {"customer": "N", "title": "T", "tender_expected": "2026-07-01"}),
        (c.GradeDeal, {"likelihood": 0.5, "close_by": "2026-07-01"}),
        (c.ReceiveTender, {"due": "2026-07-01"}),
    ],
)
def test_a_business_date_on_the_command_s_own_day_is_accepted(
    model: type[BaseModel], fields: dict[str, Any]
) -> None:
    command = model.model_validate({**BASE, **fields})

    assert date(2026, 7, 1) in command.model_dump().values()


# -- grading one way ----------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"likelihood": 0.6, "close_by": "2026-09-01", "grade": "A", "reason": "sure"},
        {"likelihood": 0.6, "grade": "A"},
        {"close_by": "2026-09-01", "reason": "sure"},
    ],
    ids=["neither", "both fully", "half of each", "the other half of each"],
)
def test_a_grade_is_given_by_rule_or_by_hand_never_both_nor_neither(
    fields: dict[str, Any],
) -> None:
    with pytest.raises(ValidationError, match=r"by rule .* or by hand"):
        c.GradeDeal.model_validate({**BASE, **fields})


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"likelihood": 0.6}, "both --likelihood and --close-by"),
        ({"close_by": "2026-09-01"}, "both --likelihood and --close-by"),
        ({"grade": "A"}, "both --grade and --reason"),
        ({"reason": "sure"}, "both --grade and --reason"),
    ],
)
def test_a_grade_needs_both_inputs_of_its_way(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        c.GradeDeal.model_validate({**BASE, **fields})


def test_a_grade_by_hand_is_parsed() -> None:
    command = c.GradeDeal.model_validate({**BASE, "grade": "D", "reason": "long shot"})

    assert (command.grade, command.likelihood, command.close_by) == (Grade.D, None, None)


# -- the shape of commands -----------------------------------------------------------


def test_an_unknown_field_is_refused() -> None:
    assert refused(c.Plain, approver="someone") == ["approver"]


def test_a_command_is_frozen() -> None:
    command = c.Plain.model_validate(BASE)

    with pytest.raises(ValidationError):
        command.by = "someone else"  # type: ignore[misc]

"""A deal's value (shared/reports.md, "Deal value"): the contract's value once
signed with one; else the latest estimate or bid price by business time; else
unknown. Estimates are taken while the deal is open or nurtured."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain.config import ProcessConfig, load_config
from domain.errors import DealClosed, WrongOutcome
from domain.fold import fold
from domain.opportunity import Opportunity
from domain.vocabulary import LossReason, Milestone, Stage

from .conftest import OPENED_AT, SELLER, day, meet, open_deal, walk_to

CONFIG: ProcessConfig = load_config(None, "UTC")


def test_a_deal_has_no_value_until_one_is_given() -> None:
    deal = open_deal()
    assert deal.state.value is None


def test_the_opening_may_carry_the_first_estimate() -> None:
    deal = Opportunity.open(
        "V-1",
        "Gansu Cement",
        "Kiln oils",
        SELLER,
        date(2026, 11, 1),
        OPENED_AT,
        SELLER,
        value=Decimal("800000.00"),
    )
    assert deal.state.value == Decimal("800000.00")
    assert deal.entries[0].fact.summary().endswith("valued 800000.00)")


def test_the_latest_estimate_by_business_time_stands() -> None:
    deal = open_deal()
    deal.estimate_value(Decimal("500000"), day(5), SELLER)
    deal.estimate_value(Decimal("300000"), day(2), SELLER)  # back-dated: older news
    assert deal.state.value == Decimal("500000")
    deal.estimate_value(Decimal("650000.50"), day(6), SELLER)
    assert deal.state.value == Decimal("650000.50")


def test_a_bid_price_values_the_deal_like_an_estimate() -> None:
    deal = open_deal()
    deal.estimate_value(Decimal("900000"), day(1), SELLER)
    walk_to(deal, Stage.bidding, CONFIG)
    meet(deal, Milestone.bid_submitted, CONFIG, day(9))  # bids 1,250,000.00
    assert deal.state.value == Decimal("1250000.00")


def test_the_contracts_value_stands_over_every_estimate() -> None:
    deal = open_deal()
    walk_to(deal, Stage.negotiation, CONFIG)
    deal.approve_contract(day(11), SELLER)
    deal.sign(Decimal("1100000.00"), day(12), SELLER)
    assert deal.state.value == Decimal("1100000.00")


def test_a_contract_signed_without_a_value_leaves_the_estimate() -> None:
    deal = open_deal()
    deal.estimate_value(Decimal("420000"), day(1), SELLER)
    walk_to(deal, Stage.negotiation, CONFIG)
    deal.approve_contract(day(11), SELLER)
    before = deal.state.value
    deal.sign(None, day(12), SELLER)
    assert deal.state.value == before


def test_the_value_as_of_a_time_is_the_one_known_by_then() -> None:
    deal = open_deal()
    deal.estimate_value(Decimal("100000"), day(1), SELLER)
    deal.estimate_value(Decimal("200000"), day(4), SELLER)
    assert fold(deal.entries, as_of=day(0)).value is None
    assert fold(deal.entries, as_of=day(2)).value == Decimal("100000")
    assert fold(deal.entries, as_of=day(4)).value == Decimal("200000")


def test_a_retracted_estimate_no_longer_values_the_deal() -> None:
    deal = open_deal()
    deal.estimate_value(Decimal("100000"), day(1), SELLER)
    deal.estimate_value(Decimal("999999"), day(2), SELLER)  # a typo
    deal.retract(3, "typo", day(2, 1), SELLER)
    assert deal.state.value == Decimal("100000")


def test_estimates_are_taken_while_open_or_nurtured() -> None:
    deal = open_deal()
    deal.nurture("budget frozen until next year", day(1), SELLER)
    deal.estimate_value(Decimal("50000"), day(2), SELLER)
    assert deal.state.value == Decimal("50000")
    deal.reopen("budget released", day(3), SELLER)
    deal.lose(LossReason.price, "Rival Lubes", day(4), SELLER)
    with pytest.raises(DealClosed):
        deal.estimate_value(Decimal("1"), day(5), SELLER)


def test_a_won_deal_takes_no_more_estimates() -> None:
    deal = open_deal()
    walk_to(deal, Stage.negotiation, CONFIG)
    deal.approve_contract(day(11), SELLER)
    deal.sign(Decimal("1"), day(12), SELLER)
    with pytest.raises(WrongOutcome):
        deal.estimate_value(Decimal("2"), day(13), SELLER)


def test_the_currency_is_configured_and_checked() -> None:
    assert CONFIG.currency == "CNY"
    with pytest.raises(ValueError, match="ISO 4217"):
        ProcessConfig.model_validate({**CONFIG.model_dump(), "currency": "yuan"})

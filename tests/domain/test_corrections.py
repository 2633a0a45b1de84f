"""Putting a deal's own details right (shared/domain.md, "Corrections and
changes"): views show the corrected details, the audit keeps both."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from domain.errors import CannotRetract, InputError
from domain.fold import fold
from domain.opportunity import Opportunity
from domain.vocabulary import LossReason, Outcome

from .conftest import SELLER, day


def test_a_misspelt_customer_is_corrected_and_the_old_one_kept_in_the_entry(
    deal: Opportunity,
) -> None:
    deal.correct_details("typo in the name", day(3), SELLER, customer="Ningxia Coal Chemical Co.")

    assert deal.state.customer == "Ningxia Coal Chemical Co."
    assert deal.state.title == "Gear and hydraulic oils for the new plant"
    entry = deal.entries[-1]
    assert entry.event == "DetailsCorrected"
    assert entry.data["previous"] == {"customer": "Ningxia Coal Chemical"}
    assert "'Ningxia Coal Chemical' -> 'Ningxia Coal Chemical Co.'" in entry.fact.summary()


def test_a_correction_shows_in_every_view_of_business_time(deal: Opportunity) -> None:
    deal.correct_details("wrong owner", day(9), SELLER, owner="wang.fang")

    assert fold(deal.entries, as_of=day(1)).owner == "wang.fang"


def test_a_correction_counts_only_from_when_it_was_recorded(deal: Opportunity) -> None:
    deal.correct_details("wrong title", day(9), SELLER, title="Turbine oils")
    opened, correction = deal.entries
    entries = [replace(opened, recorded_at=day(0)), replace(correction, recorded_at=day(9))]

    assert fold(entries, known_at=day(8)).title == "Gear and hydraulic oils for the new plant"
    assert fold(entries, known_at=day(9)).title == "Turbine oils"


def test_a_closed_deal_accepts_a_correction(deal: Opportunity) -> None:
    deal.lose(LossReason.price, None, day(2), SELLER)

    deal.correct_details("the tender date moved", day(3), SELLER, tender_expected=date(2026, 12, 1))

    assert deal.state.tender_expected == "2026-12-01"
    assert deal.state.outcome is Outcome.lost


def test_a_correction_needs_a_detail_to_correct(deal: Opportunity) -> None:
    with pytest.raises(InputError, match="at least one"):
        deal.correct_details("nothing", day(3), SELLER)

    assert deal.version == 1


def test_a_retracted_correction_no_longer_counts(deal: Opportunity) -> None:
    deal.correct_details("typo", day(3), SELLER, customer="Ningxa")
    deal.retract(2, "the typo was in the correction", day(4), SELLER)

    assert deal.state.customer == "Ningxia Coal Chemical"


def test_opened_still_cannot_be_retracted_so_a_wrong_detail_is_corrected(
    deal: Opportunity,
) -> None:
    with pytest.raises(CannotRetract, match="Opened"):
        deal.retract(1, "typo", day(1), SELLER)

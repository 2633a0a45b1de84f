"""What no fact may hold: a time outside the range salesflow keeps, a date
too far ahead, a control character (shared/domain.md, "Business time"; the
README's "Rules we had to decide")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from domain import commands as c
from domain.errors import InputError
from domain.opportunity import Opportunity

from .conftest import SELLER, day, open_deal

EAST = timezone(timedelta(hours=14))


def test_a_business_time_before_1900_is_refused_even_with_an_offset() -> None:
    with pytest.raises(InputError, match="1900-01-01"):
        open_deal(at=datetime(1, 1, 1, tzinfo=EAST))
    with pytest.raises(ValidationError, match="1900-01-01"):
        c.OpenDeal.model_validate(
            {
                "key": "K",
                "at": datetime(1899, 12, 31, tzinfo=UTC),
                "by": "x",
                "customer": "c",
                "title": "t",
            }
        )


def test_a_business_date_more_than_ten_years_after_the_command_is_refused() -> None:
    command = {
        "key": "K",
        "at": datetime(2026, 7, 1, tzinfo=UTC),
        "by": "x",
        "customer": "c",
        "title": "t",
    }
    c.OpenDeal.model_validate({**command, "tender_expected": "2036-06-30"})
    with pytest.raises(ValidationError, match="more than 10 years"):
        c.OpenDeal.model_validate({**command, "tender_expected": "2037-01-01"})


@pytest.mark.parametrize("bad", ["\x00", "\x1b[2J", "\r", "\x7f"])
def test_no_text_holds_a_control_character(bad: str) -> None:
    base = {"key": "K", "at": datetime(2026, 7, 1, tzinfo=UTC), "by": "x", "title": "t"}
    with pytest.raises(ValidationError, match="control characters"):
        c.OpenDeal.model_validate({**base, "customer": f"Ning{bad}xia"})
    with pytest.raises(ValidationError, match="control characters"):
        c.OpenDeal.model_validate({**base, "customer": "c", "note": f"a{bad}b"})


def test_free_text_keeps_its_newlines_and_tabs_but_a_name_does_not() -> None:
    base = {"key": "K", "at": datetime(2026, 7, 1, tzinfo=UTC), "by": "x", "customer": "c"}
    assert c.OpenDeal.model_validate({**base, "title": "a\n\tb"}).title == "a\n\tb"
    with pytest.raises(ValidationError, match="control characters"):
        c.NamePerson.model_validate({"key": "K", "at": base["at"], "by": "x", "name": "W\nang"})


def test_the_domain_refuses_a_nul_from_the_python_api(deal: Opportunity) -> None:
    with pytest.raises(InputError, match="control characters"):
        deal.find_insider("Wang\x00", day(1), SELLER)
    with pytest.raises(InputError, match="control characters"):
        Opportunity.open("K-2", "c\x00", "t", SELLER, None, day(0), SELLER)
    assert deal.version == 1

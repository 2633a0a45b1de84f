"""Every write command's input, validated before the domain sees it.

These models check syntax and ranges (exit 2 when refused); the aggregate
checks the process rules (exit 1).
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Self

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)

from domain.errors import InputError
from domain.times import YEARS_AHEAD, check_business_time, latest_date
from domain.vocabulary import (
    KEY_PATTERN,
    NAME_MAX,
    TEXT_MAX,
    ActivityKind,
    AssessmentElement,
    AssessmentFactor,
    CustomerStep,
    Grade,
    LossReason,
    Role,
)


def _business_time(at: datetime) -> datetime:
    try:
        check_business_time(at)
    except InputError as exc:
        raise ValueError(str(exc)) from None
    return at


def _no_control(text: str, allowed: str = "") -> str:
    """Text without control characters (NUL, escapes, ...) but those ``allowed``."""
    bad = sorted({c for c in text if unicodedata.category(c) == "Cc" and c not in allowed})
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        raise ValueError(f"control characters are not allowed here ({shown})")
    return text


def _name(text: str) -> str:
    return _no_control(text)


def _text(text: str) -> str:
    return _no_control(text, allowed="\n\t")


#: What a text or a name looks like, told to schema readers (the HTTP API's
#: OpenAPI document): something other than spaces, no control characters
#: (a text may hold newlines and tabs). The validators below enforce it. The
#: spaces are spelled out, as Python's ``str.strip`` knows them: a regex's
#: ``\s`` differs between engines.
_SPACES = "\\x00-\\x20\\x7f-\\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_CONTROL = "\\x00-\\x1f\\x7f-\\x9f"
_TEXT_CHAR = "[^\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f]"
TEXT_SHAPE = f"^{_TEXT_CHAR}*[^{_SPACES}]{_TEXT_CHAR}*$"
NAME_SHAPE = f"^[^{_CONTROL}]*[^{_SPACES}][^{_CONTROL}]*$"
#: An amount as text: digits, at most two decimals.
AMOUNT_SHAPE = "^[0-9]{1,18}([.][0-9]{1,2})?$"

Key = Annotated[str, StringConstraints(pattern=KEY_PATTERN)]
Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=TEXT_MAX),
    AfterValidator(_text),
    Field(json_schema_extra={"pattern": TEXT_SHAPE}),
]
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=NAME_MAX),
    AfterValidator(_name),
    Field(json_schema_extra={"pattern": NAME_SHAPE}),
]
When = Annotated[AwareDatetime, AfterValidator(_business_time)]
Fraction = Annotated[float, Field(ge=0, le=1)]
Amount = Annotated[
    Decimal,
    Field(gt=0, max_digits=20, decimal_places=2),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "exclusiveMinimum": 0, "maximum": 1e18},
                {"type": "string", "pattern": AMOUNT_SHAPE},
            ],
            "description": "An amount, a JSON number or a string of digits (kept as a decimal).",
        }
    ),
]


class Command(BaseModel):
    """What every write command carries: the deal, when, who, and a note."""

    # Built on first use: a run validates one command, not all twenty-five.
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)
    key: Key
    at: When
    by: Name
    note: Text | None = None

    def _not_before_at(self, day: date | None, option: str) -> None:
        """A business date lies from the command's --at to ten years after it."""
        if day is None:
            return
        if day < self.at.date():
            raise ValueError(f"{option} {day} is before the command's --at {self.at.date()}")
        if day > latest_date(self.at):
            raise ValueError(
                f"{option} {day} is more than {YEARS_AHEAD} years after the command's --at"
            )


class OpenDeal(Command):
    customer: Name
    title: Text
    owner: Name | None = None
    tender_expected: date | None = None
    value: Amount | None = None

    @model_validator(mode="after")
    def _dates(self) -> Self:
        self._not_before_at(self.tender_expected, "--tender-expected")
        return self


class ObserveStep(Command):
    step: CustomerStep


class Collect(Command):
    element: AssessmentElement
    text: Text


class Assess(Command):
    scores: dict[AssessmentFactor, Annotated[int, Field(ge=1, le=5, strict=True)]]


class GradeDeal(Command):
    likelihood: Fraction | None = None
    close_by: date | None = None
    grade: Grade | None = None
    reason: Text | None = None

    @model_validator(mode="after")
    def _one_way(self) -> Self:
        by_rule = self.likelihood is not None or self.close_by is not None
        by_hand = self.grade is not None or self.reason is not None
        if by_rule == by_hand:
            raise ValueError(
                "grade either by rule (--likelihood P --close-by DATE) or by hand"
                " (--grade G --reason TEXT)"
            )
        if by_rule and (self.likelihood is None or self.close_by is None):
            raise ValueError("grading by rule needs both --likelihood and --close-by")
        if by_hand and (self.grade is None or self.reason is None):
            raise ValueError("grading by hand needs both --grade and --reason")
        self._not_before_at(self.close_by, "--close-by")
        return self


class IdentifyStakeholder(Command):
    name: Name
    role: Role = Role.other
    weight: Fraction | None = None


class StakeholderLeaves(Command):
    name: Name
    reason: Text | None = None


class NamePerson(Command):
    name: Name


class HoldActivity(Command):
    kind: ActivityKind
    with_whom: Text | None = None
    outcome: Text | None = None


class Shortlist(Command):
    pass


class Influence(Command):
    criteria: Annotated[list[Text], Field(min_length=1)]


class EstimateValue(Command):
    value: Amount


class ReceiveTender(Command):
    due: date | None = None

    @model_validator(mode="after")
    def _dates(self) -> Self:
        self._not_before_at(self.due, "--due")
        return self


class SubmitBid(Command):
    price: Amount
    margin: Annotated[float, Field(gt=-1, lt=1)] | None = None
    negotiated: bool = False


class Plain(Command):
    """A command with nothing but the deal, the time, the actor and a note."""


class Sign(Command):
    value: Amount | None = None


class Result(Command):
    result: Text


class Force(Command):
    reason: Text
    approved_by: Name


class Lose(Command):
    reason: LossReason
    competitor: Name | None = None


class Reasoned(Command):
    reason: Text


class CorrectDetails(Command):
    customer: Name | None = None
    title: Text | None = None
    owner: Name | None = None
    tender_expected: date | None = None
    reason: Text

    @model_validator(mode="after")
    def _something(self) -> Self:
        if (self.customer, self.title, self.owner, self.tender_expected) == (None,) * 4:
            raise ValueError("give at least one of --customer, --title, --owner, --tender-expected")
        self._not_before_at(self.tender_expected, "--tender-expected")
        return self


class Retract(Command):
    seq: Annotated[int, Field(ge=1)]
    reason: Text

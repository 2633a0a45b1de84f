"""The fields of an export's rows, validated by pydantic as every input is:
times (an offset-less time is UTC, a date alone is 00:00 in the configured
zone), amounts, flags, ids; and a validation error in the user's words."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StringConstraints,
    ValidationError,
    ValidationInfo,
)
from pydantic.functional_validators import WrapValidator

from domain.commands import Name
from domain.times import check_business_time
from domain.vocabulary import KEY_PATTERN


def _moment(value: Any, handler: Any, info: ValidationInfo) -> datetime:
    """A source time: ISO 8601 or epoch milliseconds; UTC without an offset;
    a date alone is 00:00 in the import's zone."""
    tz: ZoneInfo = (info.context or {}).get("tz", UTC)
    if isinstance(value, datetime):
        at = value
    elif isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit()):
        at = datetime.fromtimestamp(int(value) / 1000, UTC)
    elif isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 10:
                at = datetime.combine(date.fromisoformat(text), time(), tz)
            else:
                at = datetime.fromisoformat(text.replace(" ", "T", 1))
        except ValueError:
            raise ValueError(
                f"{text!r} is not a time (ISO 8601, such as 2025-03-04T10:22:33Z)"
            ) from None
    else:
        raise ValueError("a time is required")
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    check_business_time(at)
    return at.astimezone(UTC)


def _amount(value: Any) -> Decimal | None:
    """An amount; empty or zero is none (the CRM's way of not knowing)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise ValueError(f"{value!r} is not an amount") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"{value!r} is not an amount")
    if amount == 0:
        return None
    return amount.quantize(Decimal("0.01"))


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no", ""):
        return False
    raise ValueError(f"{value!r} is neither true nor false")


def _blank_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


def _optional_moment(value: Any, handler: Any, info: ValidationInfo) -> datetime | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return _moment(value, handler, info)


Moment = Annotated[datetime, WrapValidator(_moment)]
OptionalMoment = Annotated[datetime | None, WrapValidator(_optional_moment)]
AmountField = Annotated[Decimal | None, BeforeValidator(_amount)]
Flag = Annotated[bool, BeforeValidator(_flag)]
RowId = Annotated[str, StringConstraints(strip_whitespace=True, pattern=KEY_PATTERN)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
OptionalName = Annotated[Name | None, BeforeValidator(_blank_none)]


class SourceRow(BaseModel):
    """A row of an export: unknown columns are left alone."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)


def problem(exc: ValidationError) -> str:
    """A validation error, one clause per field, naming the source's column."""
    parts = []
    for e in exc.errors():
        column = ".".join(str(p) for p in e["loc"]) or "row"
        message = str(e["msg"]).removeprefix("Value error, ")
        parts.append(f"{column}: {message}")
    return "; ".join(parts)


__all__ = [
    "AmountField",
    "Flag",
    "Label",
    "Moment",
    "Name",
    "OptionalMoment",
    "OptionalName",
    "RowId",
    "SourceRow",
    "problem",
]

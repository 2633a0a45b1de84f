"""Click parameter types for what the command line reads: deal keys, business
times and dates, scores and amounts. A value that is not one is refused by
click before the command runs (exit 2), with the option named as typed.

Cheap to import: the types read the configured time zone from the run's
``Salesflow`` only when they convert a value.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import click

from domain.errors import InputError
from domain.times import parse_date, parse_when
from domain.vocabulary import KEY_PATTERN, AssessmentFactor

_KEY = re.compile(KEY_PATTERN)


class DealKey(click.ParamType[str]):
    """A deal's business key."""

    name = "KEY"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value)
        if not _KEY.match(text):
            self.fail(
                f"{text!r} is not a deal key (1-64 ASCII letters, digits, '-', '_', '.')",
                param,
                ctx,
            )
        return text


class When(click.ParamType[datetime]):
    """A business time, ISO 8601; a time without an offset is in the
    configured zone. A date alone means 00:00 of that day, or with
    ``end_of_day`` the end of that day (for --as-of, --known-at, --to)."""

    name = "WHEN"

    def __init__(self, *, end_of_day: bool = False) -> None:
        self.end_of_day = end_of_day

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        if isinstance(value, datetime):
            return value
        from cli.context import Salesflow

        flow = ctx.find_object(Salesflow) if ctx is not None else None
        if flow is None:
            raise click.UsageError("no salesflow context to read the time zone from")
        try:
            return parse_when(str(value), flow.settings.config.tz, end_of_day=self.end_of_day)
        except InputError as exc:
            self.fail(str(exc), param, ctx)


class BusinessDate(click.ParamType[date]):
    """A business date, YYYY-MM-DD (checked against the command's --at)."""

    name = "DATE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            return parse_date(str(value))
        except InputError as exc:
            self.fail(str(exc), param, ctx)


class Score(click.ParamType[tuple[AssessmentFactor, int]]):
    """One factor's score, FACTOR=N."""

    name = "FACTOR=N"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> tuple[AssessmentFactor, int]:
        if isinstance(value, tuple):
            return value
        factor, sep, score = str(value).partition("=")
        if not sep:
            self.fail(f"{value!r}: write FACTOR=N", param, ctx)
        if factor not in AssessmentFactor.__members__:
            known = ", ".join(f.value for f in AssessmentFactor)
            self.fail(f"unknown factor {factor!r} (known: {known})", param, ctx)
        if not _ascii_number(score, whole=True):
            self.fail(f"{value!r}: the score must be a whole number 1-5", param, ctx)
        return AssessmentFactor(factor), int(score)


_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", re.ASCII)
_WHOLE = re.compile(r"[+-]?\d+", re.ASCII)


def _ascii_number(text: str, whole: bool = False) -> bool:
    """Digits 0-9 only: Python's own parsers would also take full-width or
    Arabic-Indic digits (１, ٣), which nobody meant to type."""
    return bool((_WHOLE if whole else _NUMBER).fullmatch(text.strip()))


class Number(click.ParamType[float]):
    """A decimal number in ASCII digits (a fraction, seconds)."""

    name = "NUMBER"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        if isinstance(value, float):
            return value
        if not _ascii_number(str(value)):
            self.fail(f"{value!r} is not a number (digits 0-9, a '.' for decimals)", param, ctx)
        return float(value)


class Whole(click.ParamType[int]):
    """A whole number in ASCII digits (an entry's seq, a count)."""

    name = "INTEGER"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        if not _ascii_number(str(value), whole=True):
            self.fail(f"{value!r} is not a whole number (digits 0-9)", param, ctx)
        return int(value)


class Amount(click.ParamType[Decimal]):
    """An amount of money, a decimal number."""

    name = "AMOUNT"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> Decimal:
        if isinstance(value, Decimal):
            return value
        if not _ascii_number(str(value)):
            self.fail(f"{value!r} is not an amount (digits 0-9, a '.' for decimals)", param, ctx)
        try:
            return Decimal(str(value).strip())
        except InvalidOperation:
            self.fail(f"{value!r} is not an amount", param, ctx)


KEY = DealKey()
WHEN = When()
UNTIL = When(end_of_day=True)
DATE = BusinessDate()
SCORE = Score()
AMOUNT = Amount()
NUMBER = Number()
WHOLE = Whole()


def explain(error: Any, command: click.Command | None = None) -> str:
    """A pydantic ``ValidationError`` in the words the user typed: each field
    named as its option or argument of ``command`` (``--score service``,
    ``NAME``), the message without type codes or links, a hint where a
    percentage was given for a fraction."""
    typed: dict[str, str] = {}
    for param in command.params if command is not None else ():
        name = (param.name or "").rstrip("_")
        typed[name] = (
            param.opts[0] if isinstance(param, click.Option) else param.human_readable_name
        )
    parts = []
    for e in error.errors(include_url=False):
        loc = [str(p) for p in e["loc"] if p != "__root__"]
        msg = e["msg"].removeprefix("Value error, ")
        if not loc:
            parts.append(msg)
            continue
        field, *inner = loc
        where = typed.get(field) or {"key": "KEY", "seq": "SEQ"}.get(
            field, f"--{field.replace('_', '-')}"
        )
        where = " ".join([where, *(f"#{int(i) + 1}" if i.isdigit() else i for i in inner)])
        value = e.get("input")
        if isinstance(value, int | float) and 1 < value <= 100 and "less than or equal to 1" in msg:
            msg += f" (a fraction: {value:g} % is {value / 100:g})"
        parts.append(f"{where}: {msg}")
    return "; ".join(parts)

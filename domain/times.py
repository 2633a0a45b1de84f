"""Business-time parsing: ISO 8601, dates alone, the configured time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.errors import InputError


def parse_when(text: str, tz: ZoneInfo, *, end_of_day: bool = False) -> datetime:
    """An ISO 8601 time as an aware datetime.

    A date alone means 00:00 of that day, or the end of that day (inclusive)
    with ``end_of_day``; a time without an offset is in ``tz``.
    """
    text = text.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime.combine(day, time.min, tz)
            if end_of_day:
                moment += timedelta(days=1) - timedelta(microseconds=1)
            return moment
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InputError(f"{text!r} is not an ISO 8601 date or time") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def parse_date(text: str) -> date:
    """An ISO 8601 date (YYYY-MM-DD)."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise InputError(f"{text!r} is not an ISO 8601 date (YYYY-MM-DD)") from exc


def now() -> datetime:
    """The wall clock, aware, in UTC."""
    return datetime.now(UTC)

"""Business-time parsing: ISO 8601, dates alone, the configured time zone,
and the range of times salesflow keeps.

Every time is bounded where it comes in, so no stored or asked-for time can
overflow a conversion (year 1 with an offset east of UTC is year 0 in UTC):
a business time (``--at``) from 1900-01-01 to now; a time to view the
pipeline at (``--as-of``, ``--known-at``, a movement window) from 1900 to
9000; a business date (``--close-by``, ``--due``, ``--tender-expected``) from
1900 to ten years after the command's ``--at``."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.errors import InputError

#: The earliest business time and the latest time a view may ask for.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
#: How far after its command a business date may lie.
YEARS_AHEAD = 10


def parse_when(text: str, tz: ZoneInfo, *, end_of_day: bool = False) -> datetime:
    """An ISO 8601 time as an aware datetime.

    A date alone means 00:00 of that day, or the end of that day (inclusive)
    with ``end_of_day``; a time without an offset is in ``tz``.
    """
    text = text.strip()
    try:
        day = date.fromisoformat(text) if len(text) == 10 else None
        moment = datetime.fromisoformat(text) if day is None else None
    except ValueError as exc:
        raise InputError(f"{text!r} is not an ISO 8601 date or time") from exc
    if day is not None:
        moment = datetime.combine(day, time.min, tz)
        if end_of_day and day.year < LATEST.year:
            moment += timedelta(days=1) - timedelta(microseconds=1)
    assert moment is not None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=tz)
    if not EARLIEST <= moment < LATEST:
        raise InputError(
            f"{text!r} is outside the times salesflow keeps ({EARLIEST.date()} to {LATEST.date()})"
        )
    return moment


def parse_date(text: str) -> date:
    """An ISO 8601 date (YYYY-MM-DD), from 1900 on."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError as exc:
        raise InputError(f"{text!r} is not an ISO 8601 date (YYYY-MM-DD)") from exc
    if day < EARLIEST.date():
        raise InputError(f"{text!r} is before {EARLIEST.date()}")
    return day


def check_business_time(at: datetime) -> None:
    """A business time: aware, from 1900-01-01, never in the future."""
    if at.tzinfo is None:
        raise InputError("times must carry a time zone")
    if at < EARLIEST:
        raise InputError(f"{at.isoformat()} is before {EARLIEST.date()}, the earliest time kept")
    if at > datetime.now(UTC):
        raise InputError(f"{at.isoformat()} is in the future")


def latest_date(at: datetime) -> date:
    """The latest business date a command dated ``at`` may name."""
    day = at.date()
    return day.replace(year=min(day.year + YEARS_AHEAD, 9999), day=min(day.day, 28))


def now() -> datetime:
    """The wall clock, aware, in UTC."""
    return datetime.now(UTC)

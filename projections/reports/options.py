"""What a report takes: its window and filters, validated (pydantic), and
the window in business time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from domain.config import ProcessConfig
from domain.errors import InputError
from domain.vocabulary import NAME_MAX, Grade
from projections.reports import WINDOW_REQUIRED

#: The default window: this many days, ending today.
DEFAULT_DAYS = 365


#: The days a report's window may span (business dates, as everywhere).
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(8999, 12, 31)


class ReportOptions(BaseModel):
    """A report's options, as the CLI's flags and the API's query members."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    start: date | None = Field(None, alias="from", description="From the start of this day.")
    end: date | None = Field(None, alias="to", description="To the end of this day.")
    owner: str | None = Field(None, min_length=1, max_length=NAME_MAX)
    grade: Grade | None = None
    by_owner: bool = False

    @field_validator("start", "end")
    @classmethod
    def _a_business_date(cls, day: date | None) -> date | None:
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            raise ValueError(f"a date from {FIRST_DAY} to {LAST_DAY}")
        return day


@dataclass(frozen=True)
class Window:
    """A report's window, from the start of its first day to the end of its
    last, in the configured time zone; and its filters."""

    first: date
    last: date
    start: datetime
    end: datetime
    owner: str | None
    grade: str | None
    by_owner: bool

    def document(self, config: ProcessConfig) -> dict[str, Any]:
        doc: dict[str, Any] = {"from": self.first.isoformat(), "to": self.last.isoformat()}
        doc["owner"], doc["grade"] = self.owner, self.grade
        doc["currency"] = config.currency
        return doc


_FLAGS = {"owner": "--owner", "grade": "--grade", "by_owner": "--by-owner"}


def window(
    name: str, options: ReportOptions, takes: frozenset[str], config: ProcessConfig, now: datetime
) -> Window:
    """The window and filters of a report; refused (``InputError``) when the
    report does not take a filter given, or the window is not one."""
    for field, flag in _FLAGS.items():
        if getattr(options, field) not in (None, False) and field not in takes:
            raise InputError(f"the {name} report takes no {flag}")
    if name in WINDOW_REQUIRED and (options.start is None or options.end is None):
        raise InputError(f"the {name} report needs --from and --to")
    tz = config.tz
    last = options.end or now.astimezone(tz).date()
    first = options.start or max(last - timedelta(days=DEFAULT_DAYS - 1), FIRST_DAY)
    if first > last:
        raise InputError(f"--from {first} is after --to {last}")
    return Window(
        first,
        last,
        datetime.combine(first, time.min, tz),
        datetime.combine(last, time.max, tz),
        options.owner,
        options.grade.value if options.grade else None,
        options.by_owner,
    )

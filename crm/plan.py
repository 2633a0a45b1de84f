"""What an export says of each deal, in salesflow's words and independent of
the CRM: the opening and the changes its rows record, each with the source
row it came from and where that row is in the files."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from domain.vocabulary import LossReason, Outcome, Stage


@dataclass(frozen=True, slots=True)
class BadRow:
    """A row that cannot be read or mapped: its file and line (or array
    index), the deal it belongs to if known, and why."""

    where: str
    reason: str
    key: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"where": self.where, "key": self.key, "reason": self.reason}

    def __str__(self) -> str:
        deal = f" (deal {self.key})" if self.key else ""
        return f"{self.where}{deal}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Change:
    """One source row's change: the amount it changed to, the stage or outcome
    its stage label changed to (with a lost deal's reason), or both."""

    source_id: str
    at: datetime
    by: str
    where: str
    value: Decimal | None = None
    target: Stage | Outcome | None = None
    reason: LossReason | None = None


@dataclass(slots=True)
class DealPlan:
    """One deal of an export: its details, its opening's source row, and the
    changes of its history in business-time order (ties by source row id).
    ``bad``: the deal's first bad row; a deal with one is refused whole."""

    key: str
    source: str
    source_id: str
    where: str
    customer: str
    title: str
    owner: str
    opened_at: datetime
    opened_by: str
    changes: list[Change] = field(default_factory=list)
    #: Rows read and left out: deleted rows, rows that change nothing.
    skipped: int = 0
    bad: BadRow | None = None

"""An entry is one recorded fact of a deal's history, in a shape shared by the
aggregate, the read models and time travel: the same fold reads all three."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

#: Event class names that change the outcome.
OUTCOME_EVENTS = frozenset(
    {"ContractSigned", "Lost", "Withdrawn", "Abandoned", "Nurtured", "Reopened"}
)
#: Event class names that move the stage.
STAGE_MOVE_EVENTS = frozenset({"StageAdvanced", "StageForced"})
#: Entries that can never be retracted.
UNRETRACTABLE = frozenset({"Opened", "EntryRetracted"}) | STAGE_MOVE_EVENTS


@dataclass(frozen=True, slots=True)
class Entry:
    """One fact: ``seq`` is the aggregate version (1 is ``Opened``)."""

    seq: int
    event: str
    occurred_at: datetime
    recorded_at: datetime
    actor: str
    data: dict[str, Any] = field(default_factory=dict)
    note: str | None = None

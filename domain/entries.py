"""An entry is one recorded fact of a deal's history, in a shape shared by the
aggregate, the read models and time travel: the same fold reads all three.

An entry holds the typed event (``fact``) with where it sits in the deal's
history (``seq``, the aggregate version: 1 is ``Opened``) and its two clocks.
The read side keeps an entry as an audit-trail row and gets it back with
``restore``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from functools import cache
from typing import Any, Generic, TypeVar
from uuid import UUID

from domain.events import DealEvent, Opened, event_classes

F = TypeVar("F", bound=DealEvent, covariant=True)

#: The fields every event has; the rest are its data.
_BASE_FIELDS = frozenset(
    {
        "originator_id",
        "originator_version",
        "timestamp",
        "originator_topic",
        "occurred_at",
        "actor",
        "note",
    }
)
#: The stored topic of the aggregate (``Opened`` names it).
AGGREGATE_TOPIC = "salesflow:Opportunity"


@cache
def data_fields(cls: type[DealEvent]) -> tuple[str, ...]:
    """The names of an event class's own data, in declaration order."""
    return tuple(f.name for f in fields(cls) if f.name not in _BASE_FIELDS)


@dataclass(frozen=True, slots=True)
class Entry(Generic[F]):
    """One fact of a deal and where it sits: ``seq`` is the aggregate version."""

    seq: int
    occurred_at: datetime
    recorded_at: datetime
    actor: str
    note: str | None
    fact: F
    #: The fact's own fields as plain JSON values (as the audit trail keeps them).
    data: dict[str, Any] = field(compare=False, repr=False)

    @property
    def event(self) -> str:
        """The event class name, as the audit shows it (``InsiderFound``)."""
        return type(self.fact).__name__


def _data_of(fact: DealEvent) -> dict[str, Any]:
    cls = type(fact)
    names = _FIELDS.get(cls) or _FIELDS.setdefault(cls, data_fields(cls))
    state = fact.__dict__
    return {name: state[name] for name in names}


_FIELDS: dict[type[DealEvent], tuple[str, ...]] = {}


def entry_of(event: DealEvent) -> Entry[DealEvent]:
    """The entry a stored event stands for."""
    return Entry(
        seq=event.originator_version,
        occurred_at=event.occurred_at,
        recorded_at=event.timestamp,
        actor=event.actor,
        note=event.note,
        fact=event,
        data=_data_of(event),
    )


def restore(
    deal_id: UUID,
    seq: int,
    event: str,
    occurred_at: datetime,
    recorded_at: datetime,
    actor: str,
    note: str | None,
    data: dict[str, Any],
) -> Entry[DealEvent]:
    """An entry as the read side keeps it (an audit-trail row), typed again.

    The event is rebuilt as the store's mapper rebuilds one, without running
    its constructor: its data was checked when it was first recorded.
    """
    cls = event_classes().get(event)
    if cls is None:
        raise ValueError(f"unknown event {event!r}")
    state = dict(data)
    state.update(
        originator_id=deal_id,
        originator_version=seq,
        timestamp=recorded_at,
        occurred_at=occurred_at,
        actor=actor,
        note=note,
    )
    if issubclass(cls, Opened):
        state["originator_topic"] = AGGREGATE_TOPIC
    fact = object.__new__(cls)
    object.__setattr__(fact, "__dict__", state)
    return Entry(seq, occurred_at, recorded_at, actor, note, fact, data)

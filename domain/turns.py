"""What the application asks of its event store to write a deal fast and
safely: a *turn* on one deal, in one transaction of the store.

Inside a turn no other writer of the deal can save; the turn hands over the
deal's stored history, then records the new events, chained, in the same
transaction. A deal kept from an earlier command needs no turn: its events
are appended after the version kept, which the store refuses if that
version is no longer the deal's last. The stores' recorders (``adapters``)
implement both; the domain only names them.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.persistence import StoredEvent


class DealTurn(Protocol):
    """One deal's turn, open."""

    #: The deal's stored events, in version order (none: not opened yet).
    history: Sequence[StoredEvent]

    def record(self, events: Sequence[StoredEvent], **extra: Any) -> bytes | None:
        """Store ``events`` (chained) with what ``extra`` asks for, committed
        when the turn ends without an error; returns the last one's chain."""


class DealWriter(Protocol):
    """An event store that gives turns on deals, and appends without one."""

    def deal_turn(self, originator_id: UUID) -> AbstractContextManager[DealTurn]: ...

    def append(
        self, events: Sequence[StoredEvent], after: int, head: bytes | None, **extra: Any
    ) -> bytes | None:
        """Store one deal's events after version ``after`` whose chain is
        ``head``, at once, with what ``extra`` asks for, refused
        (``IntegrityError``) if that version is no longer the deal's last;
        returns the last one's chain."""


class Turns(Protocol):
    """Writers of one deal queue before their turn (``adapters.writers``): a
    context manager per deal key, held for the whole read-decide-save."""

    def __call__(self, key: str) -> AbstractContextManager[None]: ...

    def close(self) -> None: ...


class NoTurns:
    """Writers that queue nowhere but in the store's own turn."""

    def __call__(self, key: str) -> AbstractContextManager[None]:
        return nullcontext()

    def close(self) -> None:
        pass

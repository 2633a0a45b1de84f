"""Deals kept in memory between commands, so that a command on a deal
recently written does not read and replay its whole history again.

A kept deal is never trusted as current: a command takes it out (no other
thread can use it meanwhile), decides on it and appends its events after the
kept version, which the store refuses if another writer got there first; a
refusal, or a decision that refuses the command, is taken again in a turn on
the history as stored. A deal is put back only as saved, with the chain hash
of its last event (what its next event links to).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from uuid import UUID

from domain.opportunity import Opportunity

#: How many deals each process keeps, least recently used dropped first.
KEPT_DEALS = 1024


class KeptDeals:
    """A small LRU of deals by id, safe to share between threads."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._deals: OrderedDict[UUID, tuple[Opportunity, bytes | None]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, oid: UUID) -> tuple[Opportunity, bytes | None] | None:
        """The kept deal and its last chain, removed from the keep: its taker alone uses it."""
        with self._lock:
            return self._deals.pop(oid, None)

    def keep(self, deal: Opportunity, chain: bytes | None) -> None:
        """Keep ``deal`` as saved, unless a later version is kept already."""
        with self._lock:
            held = self._deals.get(deal.id)
            if held is not None and held[0].version > deal.version:
                return
            self._deals[deal.id] = (deal, chain)
            self._deals.move_to_end(deal.id)
            while len(self._deals) > self.size:
                self._deals.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._deals.clear()

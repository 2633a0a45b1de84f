"""Deals kept in memory between commands, so that a command on a deal
recently written does not read and replay its whole history again.

A kept deal is never trusted as current: a command takes it out (no other
thread can use it meanwhile) and its turn brings it up to date from the
store, in the same transaction as its save; it is put back only as saved.
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
        self._deals: OrderedDict[UUID, Opportunity] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, oid: UUID) -> Opportunity | None:
        """The kept deal, removed from the keep: its taker alone uses it."""
        with self._lock:
            return self._deals.pop(oid, None)

    def keep(self, deal: Opportunity) -> None:
        """Keep ``deal`` as saved, unless a later version is kept already."""
        with self._lock:
            held = self._deals.get(deal.id)
            if held is not None and held.version > deal.version:
                return
            self._deals[deal.id] = deal
            self._deals.move_to_end(deal.id)
            while len(self._deals) > self.size:
                self._deals.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._deals.clear()

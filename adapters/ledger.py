"""What both event stores keep for the chain: the ``chain`` column of every
stored event, the log's high-water mark and the recorded checkpoints.

The high-water mark is the last notification id ever given: a new event
takes the next one after it, so an id is never given twice even when the
last events were deleted (SQLite's rowid would reuse it, and a follower whose
position already covers it would never see the event that took it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from adapters.chain import GENESIS, link

LOG_TABLE = "salesflow_log"
CHECKPOINTS_TABLE = "salesflow_checkpoints"
LOG_DDL = "CREATE TABLE IF NOT EXISTS {table} (id INTEGER PRIMARY KEY, last_id BIGINT NOT NULL)"
#: Written only when missing (an upsert would wait on a writer's row lock).
LOG_SEED = "INSERT INTO {table} (id, last_id) SELECT 1, 0 WHERE NOT EXISTS (SELECT 1 FROM {table})"
CHECKPOINTS_DDL = (
    "CREATE TABLE IF NOT EXISTS {table} (position BIGINT NOT NULL, size BIGINT NOT NULL,"
    " root TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (position, at))"
)

#: The chain hash of the event at ``(deal id, version)``, or None (none, or not chained).
Lookup = Callable[[UUID, int], bytes | None]
#: What a writer already knows of deals' last events: deal id -> (version, chain).
Heads = dict[UUID, tuple[int, bytes | None]]


def links(events: Sequence[StoredEvent], heads: Heads | None, lookup: Lookup) -> list[bytes]:
    """The chain hash of each event to insert, in order: linked to the event
    before it in the same batch, to a head the writer read in this very
    transaction, or to the stored one (looked up); a deal's first event, or
    the first after events stored before the chain, links to ``GENESIS``."""
    known: Heads = dict(heads or {})
    out: list[bytes] = []
    for s in events:
        oid = s.originator_id
        assert isinstance(oid, UUID)
        version = s.originator_version
        head = known.get(oid)
        if version == 1:
            prev: bytes | None = GENESIS
        elif head is not None and head[0] == version - 1:
            prev = head[1]
        else:
            prev = lookup(oid, version - 1)
        h = link(s.topic, oid, version, s.state, prev or GENESIS)
        known[oid] = (version, h)
        out.append(h)
    return out

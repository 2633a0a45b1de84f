"""The hash chain of a deal's events and the Merkle tree of the log.

Every event is stored with ``chain``: SHA-256 over a canonical form of the
stored event (its topic, deal id, version and state bytes, each length-framed
so no two events share a form) followed by the previous event's ``chain``
(:data:`GENESIS` for a deal's first chained event). Editing, deleting or
moving an event breaks the link of the next one; rewriting a whole chain is
caught by a checkpoint kept elsewhere: the Merkle tree hash of the log (RFC
9162: leaf ``SHA-256(0x00 || event hash)``, node ``SHA-256(0x01 || left ||
right)``, the empty tree ``SHA-256()``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from uuid import UUID

#: The link of a deal's first chained event.
GENESIS = bytes(32)
_FORM = b"salesflow.event.v1\x00"
_sha256 = hashlib.sha256


def link(topic: str, originator_id: UUID, version: int, state: bytes, prev: bytes) -> bytes:
    """The chain hash of one stored event, chained to ``prev``."""
    name = topic.encode()
    return _sha256(
        b"".join(
            (
                _FORM,
                len(name).to_bytes(4, "big"),
                name,
                originator_id.bytes,
                version.to_bytes(8, "big", signed=True),
                len(state).to_bytes(8, "big"),
                state,
                prev,
            )
        )
    ).digest()


def leaf(event_hash: bytes) -> bytes:
    return _sha256(b"\x00" + event_hash).digest()


def node(left: bytes, right: bytes) -> bytes:
    return _sha256(b"\x01" + left + right).digest()


class Frontier:
    """The Merkle tree of a growing log, kept as its perfect subtrees (at most
    one per bit of the size): adding a leaf and reading the root are O(log n)."""

    def __init__(self) -> None:
        self.size = 0
        self._peaks: list[tuple[int, bytes]] = []  # (leaves, hash), largest first

    def add(self, event_hash: bytes) -> None:
        peaks = self._peaks
        peaks.append((1, leaf(event_hash)))
        while len(peaks) > 1 and peaks[-1][0] == peaks[-2][0]:
            (n, right), (_, left) = peaks.pop(), peaks.pop()
            peaks.append((2 * n, node(left, right)))
        self.size += 1

    def root(self) -> bytes:
        """RFC 9162's MTH of the leaves so far: the right-most subtrees join first."""
        if not self._peaks:
            return _sha256(b"").digest()
        acc = self._peaks[-1][1]
        for _, left in reversed(self._peaks[:-1]):
            acc = node(left, acc)
        return acc


def tree_root(event_hashes: Iterable[bytes]) -> bytes:
    """The Merkle tree hash of a whole log."""
    frontier = Frontier()
    for h in event_hashes:
        frontier.add(h)
    return frontier.root()

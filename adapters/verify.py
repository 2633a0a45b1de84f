"""``salesflow verify``: walk every deal's chain and the whole log, and say
what was done to them behind salesflow's back.

Each finding names the deal (its key), the entry (seq), the notification id
where there is one, and what is wrong: an ``edited`` event (its content no
longer matches its hash, which the next event still links to), a
``broken_chain`` (a stored hash changed, or a chain rewritten from there), a
``version_gap`` (entries missing from a deal: deleted, or renumbered),
``reordered`` entries, an ``inserted`` event (not chained, though stored
after the chain began), ``deleted`` events (notification ids missing from the
log), and a ``checkpoint_mismatch`` (the log is not the one a checkpoint
saw). Events stored before the chain existed are counted once, as a note.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from itertools import groupby
from typing import Any

import orjson

from adapters.chain import GENESIS, Frontier, link
from adapters.log_access import Checkpoint, EventRow, LogSnapshot

#: Reordering is looked for among at most this many entries of a damaged deal.
_REORDER_SEARCH = 400


@dataclass(frozen=True)
class Finding:
    kind: str
    detail: str
    deal: str | None = None
    seq: int | None = None
    id: int | None = None


@dataclass
class Report:
    """What verify found; ``intact`` when nothing."""

    deals: int = 0
    events: int = 0
    chained: int = 0
    not_chained: int = 0
    position: int = 0
    root: str = ""
    findings: list[Finding] = field(default_factory=list)
    checkpoints_checked: int = 0
    notes: list[str] = field(default_factory=list)
    #: Where deals have holes: (id before, id after, deal key, first missing seq).
    holes: list[tuple[int, int, str, int]] = field(default_factory=list, repr=False)

    @property
    def intact(self) -> bool:
        return not self.findings

    def document(self) -> dict[str, Any]:
        return {
            "intact": self.intact,
            "deals": self.deals,
            "events": self.events,
            "chained": self.chained,
            "not_chained": self.not_chained,
            "position": self.position,
            "root": self.root,
            "checkpoints_checked": self.checkpoints_checked,
            "findings": [asdict(f) for f in self.findings],
            "notes": self.notes,
        }


def _key_of(rows: list[EventRow]) -> str:
    """The deal's key from its opening event, else its id."""
    first = rows[0]
    if first.version == 1:
        try:
            key = orjson.loads(first.state).get("key")
        except (orjson.JSONDecodeError, AttributeError):
            key = None
        if isinstance(key, str):
            return key
    return str(first.deal)


def check_deal(rows: list[EventRow], report: Report) -> None:
    """One deal's events in version order: versions, chain links, order."""
    key = _key_of(rows)
    found = report.findings
    expected, prev_chain, begun, prev = 1, None, False, None
    true_prev: bytes | None = None
    for i, r in enumerate(rows):
        gap = r.version != expected
        if r.version > expected:
            missing = (
                f"entry {expected} is"
                if r.version == expected + 1
                else f"entries {expected}-{r.version - 1} are"
            )
            report.holes.append((prev.id if prev else 0, r.id, key, expected))
            found.append(
                Finding(
                    "version_gap",
                    f"{missing} missing: deleted from the store, or renumbered",
                    key,
                    expected,
                )
            )
        elif r.version < expected:  # a repeated version cannot be stored; a defensive note
            found.append(Finding("inserted", "a second event at this seq", key, r.version, r.id))
        if prev is not None and r.id < prev.id:
            found.append(
                Finding(
                    "reordered",
                    f"entry {r.version} was stored after entry {prev.version} (notification"
                    f" {r.id} before {prev.id})",
                    key,
                    r.version,
                    r.id,
                )
            )
        if r.chain is None:
            if begun:
                found.append(
                    Finding(
                        "inserted",
                        "not chained, though the deal's chain had begun: written behind"
                        " salesflow's back",
                        key,
                        r.version,
                        r.id,
                    )
                )
            else:
                report.not_chained += 1
            true_prev = None
        else:
            begun = True
            report.chained += 1
            own = link(r.topic, r.deal, r.version, r.state, prev_chain or GENESIS)
            # Linked to what the entry before should have stored: that entry's
            # hash was changed (reported there), not this one.
            follows = own == r.chain or (
                link(r.topic, r.deal, r.version, r.state, true_prev or GENESIS) == r.chain
            )
            if not follows and not gap:
                found.append(_why_unlinked(rows, i, key))
            true_prev = own
        prev_chain, expected, prev = r.chain, r.version + 1, r


def _why_unlinked(rows: list[EventRow], i: int, key: str) -> Finding:
    """What an event that does not follow from the one before was made into."""
    r = rows[i]
    if len(rows) <= _REORDER_SEARCH:
        chains = [GENESIS, *(x.chain for x in rows if x.chain is not None)]
        for other in rows:
            if other.version != r.version and any(
                link(r.topic, r.deal, other.version, r.state, c) == r.chain for c in chains
            ):
                return Finding(
                    "reordered",
                    f"this event was stored as entry {other.version}",
                    key,
                    r.version,
                    r.id,
                )
    nxt = rows[i + 1] if i + 1 < len(rows) else None
    if (
        nxt is None
        or nxt.version != r.version + 1  # nothing after it to tell: most likely an edit
        or (
            nxt.chain is not None
            and link(nxt.topic, nxt.deal, nxt.version, nxt.state, r.chain or GENESIS) == nxt.chain
        )
    ):
        return Finding(
            "edited",
            "its content no longer matches its hash: edited in the store",
            key,
            r.version,
            r.id,
        )
    return Finding(
        "broken_chain",
        "its stored hash does not follow from the entry before: changed, or the chain rewritten",
        key,
        r.version,
        r.id,
    )


def leaf_hash(r: EventRow) -> bytes:
    """The event hash a Merkle leaf covers: its chain, or (not chained) its own form."""
    return r.chain if r.chain is not None else link(r.topic, r.deal, r.version, r.state, GENESIS)


def check_log(
    rows: Iterable[EventRow], high_water: int, checkpoints: list[Checkpoint], report: Report
) -> None:
    """The log in notification order: ids given once each, checkpoints matched."""
    frontier = Frontier()
    wanted = sorted(checkpoints, key=lambda c: c.position)
    roots: dict[int, tuple[str, int]] = {}
    w = 0
    first_chained: int | None = None
    last_id = 0
    seen = {f.id for f in report.findings if f.kind == "inserted"}
    for r in rows:
        while w < len(wanted) and wanted[w].position < r.id:
            roots[wanted[w].position] = (frontier.root().hex(), frontier.size)
            w += 1
        if r.chain is not None and first_chained is None:
            first_chained = r.id
        elif r.chain is None and first_chained is not None and r.id not in seen:
            report.findings.append(
                Finding(
                    "inserted",
                    "not chained, though stored after the chain began",
                    str(r.deal),
                    r.version,
                    r.id,
                )
            )
        if first_chained is not None and last_id >= first_chained and r.id > last_id + 1:
            report.findings.append(_deleted(last_id + 1, r.id - 1, report.holes))
        frontier.add(leaf_hash(r))
        last_id = r.id
        report.events += 1
    while w < len(wanted):
        roots[wanted[w].position] = (frontier.root().hex(), frontier.size)
        w += 1
    if first_chained is not None and high_water > last_id:
        report.findings.append(_deleted(last_id + 1, high_water, [], at_end=True))
    report.position, report.root = last_id, frontier.root().hex()
    for cp in checkpoints:
        root, size = roots[cp.position]
        report.checkpoints_checked += 1
        if root != cp.root:
            fewer = "" if cp.size is None else _size_change(cp.size, size)
            report.findings.append(
                Finding(
                    "checkpoint_mismatch",
                    f"the log up to notification {cp.position} is not the one checkpointed"
                    f" at {cp.at}{fewer}: events before it were edited, deleted or inserted",
                    id=cp.position,
                )
            )


def _size_change(then: int, now: int) -> str:
    if now < then:
        return f" ({then - now} events fewer now)"
    if now > then:
        return f" ({now - then} events more now)"
    return ""


def _deleted(
    first: int, last: int, holes: list[tuple[int, int, str, int]], *, at_end: bool = False
) -> Finding:
    """Ids missing from the log; named by the deal whose hole they fit, if one does."""
    ids = f"notification {first}" if first == last else f"notifications {first}-{last}"
    where = "the end of the log" if at_end else "the log"
    fits = [(key, seq) for before, after, key, seq in holes if before < first and last < after]
    deal, seq = fits[0] if len(fits) == 1 else (None, None)
    return Finding("deleted", f"{ids} missing from {where}: events deleted", deal, seq, first)


def verify(log: LogSnapshot, given: Iterable[Checkpoint] = ()) -> Report:
    """Every deal and the log, against the recorded checkpoints and ``given`` ones."""
    report = Report()
    for _, rows in groupby(log.by_deal(), key=lambda r: r.deal):
        report.deals += 1
        check_deal(list(rows), report)
    check_log(log.by_id(), log.high_water(), [*log.checkpoints(), *given], report)
    if report.not_chained:
        report.notes.append(
            f"{report.not_chained} events were stored before the chain existed: not chained"
            " (the chain starts after them; nothing old is rewritten)"
        )
    return report


def checkpoint(log: LogSnapshot) -> Checkpoint:
    """The Merkle tree hash of the whole log as it stands."""
    frontier = Frontier()
    last = 0
    for r in log.by_id():
        frontier.add(leaf_hash(r))
        last = r.id
    at = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return Checkpoint(last, frontier.root().hex(), at, frontier.size)

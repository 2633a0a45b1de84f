"""Named errors. ``InputError`` is refused at the edge (exit 2); every
``SalesProcessError`` is a refusal by the domain or the store (exit 1).

Each class has a stable ``code`` (the HTTP API's problem ``code``), so that
clients can branch on it whatever the message says."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar


class InputError(ValueError):
    """Raised when input is refused before the domain sees it."""

    code: ClassVar[str] = "invalid_input"


class SalesProcessError(Exception):
    """Base of every refusal by the sales process or the store."""

    code: ClassVar[str] = "refused"


class UnknownDeal(SalesProcessError):
    """Raised when no deal has the given key."""

    code: ClassVar[str] = "unknown_deal"

    def __init__(self, key: str) -> None:
        super().__init__(f"no deal has the key {key!r}; open it first with 'deal open'")
        self.key = key


class NotYet(UnknownDeal):
    """Raised when a deal exists but not in the business or recorded time asked."""

    code: ClassVar[str] = "not_yet"

    def __init__(self, key: str, why: str) -> None:
        SalesProcessError.__init__(self, f"deal {key!r} {why}")
        self.key = key


class NotProjected(SalesProcessError):
    """Raised when a deal's read-model rows are held back: an entry of it
    cannot be projected (``projections status`` lists it)."""

    code: ClassVar[str] = "not_projected"

    def __init__(self, key: str, why: str) -> None:
        super().__init__(
            f"deal {key!r} is not in the read models: {why} (see 'projections status')"
        )


class DealAlreadyOpened(SalesProcessError):
    """Raised when a key is opened a second time."""

    code: ClassVar[str] = "deal_already_opened"

    def __init__(self, key: str) -> None:
        super().__init__(f"deal {key!r} is already open; use another key")
        self.key = key


class MilestonesUnmet(SalesProcessError):
    """Raised when ``advance`` finds the current stage's milestones unmet."""

    code: ClassVar[str] = "milestones_unmet"

    def __init__(self, key: str, stage: str, unmet: Iterable[str]) -> None:
        self.unmet = tuple(unmet)
        super().__init__(
            f"deal {key!r} cannot leave {stage}: unmet milestones "
            f"{', '.join(self.unmet)} (meet them, or 'force' with a reason and an approver)"
        )


class NothingToForce(SalesProcessError):
    """Raised when ``force`` is asked while every milestone is met."""

    code: ClassVar[str] = "nothing_to_force"

    def __init__(self, key: str, stage: str) -> None:
        super().__init__(
            f"deal {key!r} has met every milestone of {stage}: use 'advance', not 'force'"
        )


class WinCannotBeForced(SalesProcessError):
    """Raised when ``force`` would skip a milestone no force may skip (out of
    negotiation without a signed contract: a win cannot be forced)."""

    code: ClassVar[str] = "win_cannot_be_forced"

    def __init__(self, key: str, stage: str, unforceable: Iterable[str]) -> None:
        super().__init__(
            f"deal {key!r} cannot be forced out of {stage}: it needs {', '.join(unforceable)}"
            " (a win cannot be forced)"
        )


class LastStage(SalesProcessError):
    """Raised when a stage move is asked in implementation, the last stage."""

    code: ClassVar[str] = "last_stage"

    def __init__(self, key: str) -> None:
        super().__init__(f"deal {key!r} is in implementation, the last stage")


class WrongStage(SalesProcessError):
    """Raised when a command is given in a stage that does not accept it."""

    code: ClassVar[str] = "wrong_stage"

    def __init__(self, key: str, command: str, needed: str, actual: str) -> None:
        super().__init__(f"'{command}' needs deal {key!r} in {needed}; it is in {actual}")


class WrongOutcome(SalesProcessError):
    """Raised when a command is given while the deal's outcome does not accept it."""

    code: ClassVar[str] = "wrong_outcome"

    def __init__(self, key: str, command: str, needed: Iterable[str], actual: str) -> None:
        super().__init__(
            f"'{command}' needs deal {key!r} to be {' or '.join(needed)}; it is {actual}"
        )


class DealClosed(WrongOutcome):
    """Raised when a closed (lost, withdrawn, abandoned) deal is asked to change."""

    code: ClassVar[str] = "deal_closed"

    def __init__(self, key: str, command: str, actual: str) -> None:
        SalesProcessError.__init__(
            self,
            f"deal {key!r} is {actual} and closed: '{command}' is refused "
            "(only 'retract' is accepted)",
        )


class MilestoneNeeded(SalesProcessError):
    """Raised when a command needs a milestone met first (``sign``:
    ``contract_approved``)."""

    code: ClassVar[str] = "milestone_needed"

    def __init__(self, key: str, command: str, needed: Iterable[str]) -> None:
        self.needed = tuple(needed)
        super().__init__(f"deal {key!r}: '{command}' needs {', '.join(self.needed)} met first")


class AlreadyMet(SalesProcessError):
    """Raised when a command that meets its milestone once is given again
    (``sign`` of a signed contract)."""

    code: ClassVar[str] = "already_met"

    def __init__(self, key: str, command: str, milestone: str) -> None:
        super().__init__(f"deal {key!r}: {milestone} is already met; '{command}' is refused")


class OutOfTimeOrder(SalesProcessError):
    """Raised when an entry's business time breaks the deal's order of events."""

    code: ClassVar[str] = "out_of_time_order"


class CannotRetract(SalesProcessError):
    """Raised when an entry may not be retracted (or does not exist)."""

    code: ClassVar[str] = "cannot_retract"


class ConcurrentUpdate(SalesProcessError):
    """Raised when another writer kept changing the deal and retries ran out."""

    code: ClassVar[str] = "concurrent_update"

    def __init__(self, key: str, attempts: int) -> None:
        super().__init__(
            f"deal {key!r} was changed by another writer {attempts} times in a row; "
            "nothing was written, try again"
        )


class StoreHoldsOtherDeals(SalesProcessError):
    """Raised when the demo would mix its sample deals into a store of real ones."""

    code: ClassVar[str] = "store_holds_other_deals"

    def __init__(self, store: str, others: list[str]) -> None:
        shown = ", ".join(others[:3]) + (", ..." if len(others) > 3 else "")
        super().__init__(
            f"the store {store} holds {len(others)} deal(s) other than the demo's ({shown}):"
            " the demo would mix its sample deals with them; use another --store, or"
            " --into-existing to load them anyway"
        )
        self.others = others


class StoreMissing(SalesProcessError):
    """Raised when a read command names a SQLite store that does not exist."""

    code: ClassVar[str] = "store_missing"

    def __init__(self, path: str) -> None:
        super().__init__(f"no store at {path}; write a deal or run demo to create it")


class CannotWrite(SalesProcessError):
    """Raised when an output cannot be written where it was asked for."""

    code: ClassVar[str] = "cannot_write"


class StoreError(SalesProcessError):
    """Raised when the event store cannot be reached or used."""

    code: ClassVar[str] = "store_unavailable"


class VersionMismatch(SalesProcessError):
    """Raised when a conditional write finds the deal at another version."""

    code: ClassVar[str] = "version_mismatch"

    def __init__(self, key: str, expected: int, current: int) -> None:
        super().__init__(
            f"deal {key!r} is at version {current}, not {expected}: nothing was written"
        )
        self.key, self.expected, self.current = key, expected, current


class DamagedDeal(SalesProcessError):
    """Raised when a deal's stored history has a hole (an event was deleted
    from the store, or its seq changed): nothing can be read or written on it
    until the store is repaired."""

    code: ClassVar[str] = "damaged_deal"

    def __init__(self, key: str, missing: int, found: int) -> None:
        super().__init__(
            f"deal {key!r} is damaged in the store: its entry {missing} is missing"
            f" (the next one stored is {found}); nothing was read or written."
            " Run `salesflow verify` to see the damage"
        )
        self.key, self.missing, self.found = key, missing, found

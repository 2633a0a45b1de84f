"""The ``Opportunity`` aggregate: one key-account deal and the process rules.

Public command methods check the rules against the current state and raise a
named error; state changes only when an event is applied (``Event.apply``),
which also runs at every replay and so only records the fact. Where each
command is accepted comes from the process table (``domain.process``); the
methods add the checks of their own (the gate, a person who must be present).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain import errors
from domain import events as ev
from domain.entries import Entry, entry_of
from domain.facts import DealFacts
from domain.fold import apply_entry, fold
from domain.guard import check, check_force, check_gate, check_text, not_future, retractable
from domain.imports import DealImports
from domain.process import COMMAND, STEP_OF, TIMELESS, Step
from domain.state import DealState
from domain.vocabulary import (
    LossReason,
    Milestone,
    Stage,
)

_NAMESPACE = uuid5(NAMESPACE_URL, "https://salesflow.dev/deals")


@lru_cache(maxsize=4096)
def deal_id(key: str) -> UUID:
    """The aggregate id of a business key: the same key always maps to the same id."""
    return uuid5(_NAMESPACE, key)


class Opportunity(Aggregate, DealFacts, DealImports):
    """A key-account deal moving through the six sales stages.

    The facts any stage accepts are recorded by the methods of ``DealFacts``;
    those that move the deal, bound to a stage or outcome, and corrections,
    are recorded here; a CRM's history by those of ``DealImports``."""

    TOPIC = "salesflow:Opportunity"

    # The facts of a deal (domain.events), named as the aggregate's own.
    Event = ev.DealEvent
    Opened = ev.Opened
    CustomerStepObserved = ev.CustomerStepObserved
    AssessmentElementCollected = ev.AssessmentElementCollected
    Assessed = ev.Assessed
    Graded = ev.Graded
    StakeholderIdentified = ev.StakeholderIdentified
    StakeholderLeft = ev.StakeholderLeft
    InsiderFound = ev.InsiderFound
    KeyPersonEngaged = ev.KeyPersonEngaged
    ActivityHeld = ev.ActivityHeld
    ShortListed = ev.ShortListed
    StandardInfluenced = ev.StandardInfluenced
    TenderReceived = ev.TenderReceived
    ValueEstimated = ev.ValueEstimated
    BidSubmitted = ev.BidSubmitted
    ContractApproved = ev.ContractApproved
    ContractSigned = ev.ContractSigned
    TrialEvaluated = ev.TrialEvaluated
    OilAnalysisFollowedUp = ev.OilAnalysisFollowedUp
    StageAdvanced = ev.StageAdvanced
    StageForced = ev.StageForced
    Lost = ev.Lost
    Withdrawn = ev.Withdrawn
    Abandoned = ev.Abandoned
    Nurtured = ev.Nurtured
    Reopened = ev.Reopened
    StageImported = ev.StageImported
    OutcomeImported = ev.OutcomeImported
    DetailsCorrected = ev.DetailsCorrected
    EntryRetracted = ev.EntryRetracted

    def __init__(self) -> None:
        self._entries: list[Entry[ev.DealEvent]] = []
        self._state: DealState | None = None
        self._sources: set[str] = set()

    # -- state ------------------------------------------------------------
    def _take_in(self, event: ev.DealEvent) -> None:
        """Record a fact (runs at every replay: no checks here)."""
        entry = entry_of(event)
        self._entries.append(entry)
        source_id = getattr(event, "source_id", None)
        if source_id is not None:
            self._sources.add(source_id)
        state = self._state
        if (
            state is not None
            and type(event) not in TIMELESS
            and (not state.applied or entry.occurred_at >= state.applied[-1].occurred_at)
        ):
            apply_entry(state, entry)  # it sorts last: the fold would end the same
        else:
            self._state = None

    @property
    def entries(self) -> Sequence[Entry[ev.DealEvent]]:
        """The deal's history in seq order."""
        return tuple(self._entries)

    @property
    def last_entry(self) -> Entry[ev.DealEvent]:
        """The latest entry (without copying the history)."""
        return self._entries[-1]

    @property
    def state(self) -> DealState:
        """The current state: every entry, as of now."""
        if self._state is None:
            self._state = fold(self._entries)
        return self._state

    @property
    def key(self) -> str:
        return self.state.key

    # -- opening ----------------------------------------------------------
    @classmethod
    def open(
        cls,
        key: str,
        customer: str,
        title: str,
        owner: str,
        tender_expected: date | None,
        at: datetime,
        by: str,
        note: str | None = None,
        value: Decimal | None = None,
        source: tuple[str, str] | None = None,
    ) -> Opportunity:
        """Open a deal in ``development``, with a first estimate of its value
        if given; ``source``: the CRM and the row it was imported from."""
        not_future(at)
        check_text({"customer": customer, "title": title, "owner": owner, "by": by, "note": note})
        return cls._create(
            ev.Opened,
            id=deal_id(key),
            key=key,
            customer=customer,
            title=title,
            owner=owner,
            tender_expected=tender_expected.isoformat() if tender_expected else None,
            occurred_at=at,
            actor=by,
            note=note,
            value=str(value) if value is not None else None,
            source=source[0] if source else None,
            source_id=source[1] if source else None,
        )

    # -- the guard: where the process table accepts a command ---------------
    def _record(
        self, event: type[ev.DealEvent], at: datetime, by: str, note: str | None, **data: Any
    ) -> None:
        check(self.state, STEP_OF[event], at)
        check_text({"by": by, "note": note, **data})
        self.trigger_event(event, occurred_at=at, actor=by, note=note, **data)

    def _check(self, step: Step, at: datetime) -> None:
        """Refuse the command unless its step accepts the deal as it stands now."""
        check(self.state, step, at)

    # -- stage-bound commands ---------------------------------------------------
    def submit_bid(
        self,
        price: Decimal,
        margin: float | None,
        negotiated: bool,
        at: datetime,
        by: str,
        note: str | None = None,
    ) -> None:
        """Record a bid (or negotiated bid) submitted; only in ``bidding``."""
        self._record(
            ev.BidSubmitted, at, by, note, price=str(price), margin=margin, negotiated=negotiated
        )

    def approve_contract(self, at: datetime, by: str, note: str | None = None) -> None:
        """Record the contract approved; only in ``negotiation``."""
        self._record(ev.ContractApproved, at, by, note)

    def sign(self, value: Decimal | None, at: datetime, by: str, note: str | None = None) -> None:
        """Record the contract signed: the outcome becomes ``won``, the stage stays."""
        self._record(
            ev.ContractSigned, at, by, note, value=str(value) if value is not None else None
        )

    def evaluate_trial(self, result: str, at: datetime, by: str, note: str | None = None) -> None:
        """Record the trial evaluated; only in ``implementation``."""
        self._record(ev.TrialEvaluated, at, by, note, result=result)

    def follow_up_oil_analysis(
        self, result: str, at: datetime, by: str, note: str | None = None
    ) -> None:
        """Record usage and oil-analysis follow-up; only in ``implementation``."""
        self._record(ev.OilAnalysisFollowedUp, at, by, note, result=result)

    # -- stage moves ------------------------------------------------------------
    def advance(self, at: datetime, by: str, note: str | None = None) -> Stage:
        """Move to the next stage: only when this stage's milestones are all met."""
        self._check(STEP_OF[ev.StageAdvanced], at)
        stage = self.state.stage
        check_gate(self.state, at)
        check_text({"by": by, "note": note})
        self.trigger_event(
            ev.StageAdvanced,
            occurred_at=at,
            actor=by,
            note=note,
            from_stage=stage.value,
            to_stage=stage.next().value,
        )
        return stage.next()

    def force(
        self, reason: str, approved_by: str, at: datetime, by: str, note: str | None = None
    ) -> tuple[Milestone, ...]:
        """Move on without this stage's unmet milestones: a recorded exception."""
        self._check(STEP_OF[ev.StageForced], at)
        stage = self.state.stage
        unmet = check_force(self.state, at)
        check_text({"by": by, "note": note, "reason": reason, "approved_by": approved_by})
        self.trigger_event(
            ev.StageForced,
            occurred_at=at,
            actor=by,
            note=note,
            from_stage=stage.value,
            to_stage=stage.next().value,
            missing=[m.value for m in unmet],
            reason=reason,
            approved_by=approved_by,
        )
        return unmet

    # -- outcomes ---------------------------------------------------------------
    def lose(
        self,
        reason: LossReason,
        competitor: str | None,
        at: datetime,
        by: str,
        note: str | None = None,
    ) -> None:
        """Record the deal lost to a competitor or to no purchase."""
        self._record(ev.Lost, at, by, note, reason=reason.value, competitor=competitor)

    def withdraw(self, reason: str, at: datetime, by: str, note: str | None = None) -> None:
        """Record that we left the competition."""
        self._record(ev.Withdrawn, at, by, note, reason=reason)

    def abandon(self, reason: str, at: datetime, by: str, note: str | None = None) -> None:
        """Record that the deal is not worth following."""
        self._record(ev.Abandoned, at, by, note, reason=reason)

    def nurture(self, reason: str, at: datetime, by: str, note: str | None = None) -> None:
        """Lower the contact level: keep the customer for maintenance."""
        self._record(ev.Nurtured, at, by, note, reason=reason)

    def reopen(self, reason: str, at: datetime, by: str, note: str | None = None) -> None:
        """Bring a nurtured deal back to ``open``."""
        self._record(ev.Reopened, at, by, note, reason=reason)

    # -- corrections ------------------------------------------------------------
    def correct_details(
        self,
        reason: str,
        at: datetime,
        by: str,
        note: str | None = None,
        *,
        customer: str | None = None,
        title: str | None = None,
        owner: str | None = None,
        tender_expected: date | None = None,
    ) -> None:
        """Put the deal's own details right: they were recorded wrong. Views
        show the corrected details; the audit keeps both."""
        given: dict[str, str | None] = {
            "customer": customer,
            "title": title,
            "owner": owner,
            "tender_expected": tender_expected.isoformat() if tender_expected else None,
        }
        if all(v is None for v in given.values()):
            raise errors.InputError(
                "give at least one of --customer, --title, --owner, --tender-expected"
            )
        s = self.state
        previous = {name: getattr(s, name) for name, v in given.items() if v is not None}
        self._record(ev.DetailsCorrected, at, by, note, reason=reason, previous=previous, **given)

    def retract(self, seq: int, reason: str, at: datetime, by: str, note: str | None = None) -> str:
        """Say that entry ``seq`` was wrong: it no longer counts in any view."""
        self._check(COMMAND["retract"], at)
        target = retractable(self.state, self._entries, seq)
        self._record(ev.EntryRetracted, at, by, note, seq=seq, reason=reason)
        return target.event

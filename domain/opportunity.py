"""The ``Opportunity`` aggregate: one key-account deal and the process rules.

Public command methods check the rules against the current state and raise a
named error; state changes only when an event is applied (``Event.apply``),
which also runs at every replay and so only records the fact.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain import errors
from domain.config import ProcessConfig
from domain.entries import OUTCOME_EVENTS, UNRETRACTABLE, Entry
from domain.state import DealState, apply_entry, fold
from domain.vocabulary import (
    ActivityKind,
    AssessmentElement,
    AssessmentFactor,
    CustomerStep,
    Grade,
    LossReason,
    Milestone,
    Outcome,
    Role,
    Stage,
)

_NAMESPACE = uuid5(NAMESPACE_URL, "https://salesflow.dev/deals")
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
_WORKING = (Outcome.open, Outcome.won, Outcome.nurture)
_OPEN = (Outcome.open,)


def deal_id(key: str) -> UUID:
    """The aggregate id of a business key: the same key always maps to the same id."""
    return uuid5(_NAMESPACE, key)


class Opportunity(Aggregate):
    """A key-account deal moving through the six sales stages."""

    TOPIC = "salesflow:Opportunity"

    class Event(Aggregate.Event):
        """A fact about the deal: when it happened in the world and who recorded it."""

        TOPIC = "salesflow:Opportunity.Event"
        occurred_at: datetime
        actor: str
        note: str | None

        def apply(self, aggregate: Any) -> None:
            aggregate._take_in(self)

    class Opened(Event, Aggregate.Created):
        TOPIC = "salesflow:Opportunity.Opened"
        key: str
        customer: str
        title: str
        owner: str
        tender_expected: str | None

    class CustomerStepObserved(Event):
        TOPIC = "salesflow:Opportunity.CustomerStepObserved"
        step: str

    class AssessmentElementCollected(Event):
        TOPIC = "salesflow:Opportunity.AssessmentElementCollected"
        element: str
        text: str

    class Assessed(Event):
        TOPIC = "salesflow:Opportunity.Assessed"
        scores: dict[str, int]
        weights: dict[str, float]
        weighted_mean: float
        pass_mean: float
        passed: bool
        knocked_out: list[str]

    class Graded(Event):
        TOPIC = "salesflow:Opportunity.Graded"
        grade: str
        method: str
        likelihood: float | None
        close_by: str | None
        days: int | None
        reason: str | None

    class StakeholderIdentified(Event):
        TOPIC = "salesflow:Opportunity.StakeholderIdentified"
        name: str
        role: str
        weight: float | None

    class StakeholderLeft(Event):
        TOPIC = "salesflow:Opportunity.StakeholderLeft"
        name: str
        reason: str | None

    class InsiderFound(Event):
        TOPIC = "salesflow:Opportunity.InsiderFound"
        name: str

    class KeyPersonEngaged(Event):
        TOPIC = "salesflow:Opportunity.KeyPersonEngaged"
        name: str

    class ActivityHeld(Event):
        TOPIC = "salesflow:Opportunity.ActivityHeld"
        kind: str
        with_whom: str | None
        result: str | None

    class ShortListed(Event):
        TOPIC = "salesflow:Opportunity.ShortListed"

    class StandardInfluenced(Event):
        TOPIC = "salesflow:Opportunity.StandardInfluenced"
        criteria: list[str]

    class TenderReceived(Event):
        TOPIC = "salesflow:Opportunity.TenderReceived"
        due: str | None

    class BidSubmitted(Event):
        TOPIC = "salesflow:Opportunity.BidSubmitted"
        price: str
        margin: float | None
        negotiated: bool

    class ContractApproved(Event):
        TOPIC = "salesflow:Opportunity.ContractApproved"

    class ContractSigned(Event):
        TOPIC = "salesflow:Opportunity.ContractSigned"
        value: str | None

    class TrialEvaluated(Event):
        TOPIC = "salesflow:Opportunity.TrialEvaluated"
        result: str

    class OilAnalysisFollowedUp(Event):
        TOPIC = "salesflow:Opportunity.OilAnalysisFollowedUp"
        result: str

    class StageAdvanced(Event):
        TOPIC = "salesflow:Opportunity.StageAdvanced"
        from_stage: str
        to_stage: str

    class StageForced(Event):
        TOPIC = "salesflow:Opportunity.StageForced"
        from_stage: str
        to_stage: str
        missing: list[str]
        reason: str
        approved_by: str

    class Lost(Event):
        TOPIC = "salesflow:Opportunity.Lost"
        reason: str
        competitor: str | None

    class Withdrawn(Event):
        TOPIC = "salesflow:Opportunity.Withdrawn"
        reason: str

    class Abandoned(Event):
        TOPIC = "salesflow:Opportunity.Abandoned"
        reason: str

    class Nurtured(Event):
        TOPIC = "salesflow:Opportunity.Nurtured"
        reason: str

    class Reopened(Event):
        TOPIC = "salesflow:Opportunity.Reopened"
        reason: str

    class EntryRetracted(Event):
        TOPIC = "salesflow:Opportunity.EntryRetracted"
        seq: int
        reason: str

    def __init__(self) -> None:
        self._entries: list[Entry] = []
        self._state: DealState | None = None

    # -- state ------------------------------------------------------------
    def _take_in(self, event: Opportunity.Event) -> None:
        """Record a fact (runs at every replay: no checks here)."""
        entry = entry_of(event)
        self._entries.append(entry)
        state = self._state
        if (
            state is not None
            and entry.event != "EntryRetracted"
            and (not state.applied or entry.occurred_at >= state.applied[-1].occurred_at)
        ):
            apply_entry(state, entry)  # it sorts last: the fold would end the same
        else:
            self._state = None

    @property
    def entries(self) -> Sequence[Entry]:
        """The deal's history in seq order."""
        return tuple(self._entries)

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
    ) -> Opportunity:
        """Open a deal in ``development``."""
        _not_future(at)
        return cls._create(
            cls.Opened,
            id=deal_id(key),
            key=key,
            customer=customer,
            title=title,
            owner=owner,
            tender_expected=tender_expected.isoformat() if tender_expected else None,
            occurred_at=at,
            actor=by,
            note=note,
        )

    # -- guards -----------------------------------------------------------
    def _record(
        self,
        cls: type[Event],
        command: str,
        at: datetime,
        by: str,
        note: str | None,
        allowed: tuple[Outcome, ...],
        **data: Any,
    ) -> None:
        self._check(command, at, allowed)
        self.trigger_event(cls, occurred_at=at, actor=by, note=note, **data)

    def _check(self, command: str, at: datetime, allowed: tuple[Outcome, ...]) -> None:
        _not_future(at)
        s = self.state
        if s.outcome not in allowed:
            if s.outcome.is_closed:
                raise errors.DealClosed(s.key, command, s.outcome.value)
            raise errors.WrongOutcome(s.key, command, [o.value for o in allowed], s.outcome.value)
        assert s.opened_at is not None
        if at < s.opened_at:
            raise errors.OutOfTimeOrder(
                f"deal {s.key!r}: '{command}' dated {at.isoformat()} is before the deal"
                f" was opened ({s.opened_at.isoformat()})"
            )

    def _in_stage(self, command: str, stage: Stage, at: datetime) -> None:
        s = self.state
        if s.stage is not stage:
            raise errors.WrongStage(s.key, command, stage.value, s.stage.value)
        entered = s.entered[stage]
        if at < entered:
            raise errors.OutOfTimeOrder(
                f"deal {s.key!r}: '{command}' dated {at.isoformat()} is before the deal"
                f" entered {stage.value} ({entered.isoformat()})"
            )

    def _after_last_move(self, command: str, at: datetime) -> None:
        s = self.state
        last = s.last_move_at
        if last is not None and at < last:
            raise errors.OutOfTimeOrder(
                f"deal {s.key!r}: '{command}' dated {at.isoformat()} is before the deal's"
                f" last stage move or outcome ({last.isoformat()})"
            )

    # -- any-stage commands ---------------------------------------------------
    def observe_customer_step(
        self, step: CustomerStep, at: datetime, by: str, note: str | None = None
    ) -> None:
        """Record the customer's procurement step as observed."""
        self._record(
            self.CustomerStepObserved, "customer-step", at, by, note, _WORKING, step=step.value
        )

    def collect(
        self, element: AssessmentElement, text: str, at: datetime, by: str, note: str | None = None
    ) -> None:
        """Record one of the six assessment elements."""
        self._record(
            self.AssessmentElementCollected,
            "collect",
            at,
            by,
            note,
            _WORKING,
            element=element.value,
            text=text,
        )

    def assess(
        self,
        scores: dict[AssessmentFactor, int],
        config: ProcessConfig,
        at: datetime,
        by: str,
        note: str | None = None,
    ) -> None:
        """Score the opportunity in the evaluation model; a failure is recorded too."""
        model = config.evaluation
        missing = [f.value for f in model.required_factors if f not in scores]
        if missing:
            raise errors.InputError(f"the evaluation model requires {', '.join(missing)}")
        total = sum(model.weights[f] for f in model.required_factors)
        mean = sum(model.weights[f] * scores[f] for f in model.required_factors) / total
        knocked = [
            f.value
            for f in model.knockout_factors
            if f in scores and scores[f] <= model.knockout_score
        ]
        passed = mean >= model.pass_mean and not knocked
        self._record(
            self.Assessed,
            "assess",
            at,
            by,
            note,
            _WORKING,
            scores={f.value: int(scores[f]) for f in model.required_factors},
            weights={f.value: model.weights[f] for f in model.required_factors},
            weighted_mean=round(mean, 4),
            pass_mean=model.pass_mean,
            passed=passed,
            knocked_out=knocked,
        )

    def grade_by_rule(
        self,
        likelihood: float,
        close_by: date,
        config: ProcessConfig,
        at: datetime,
        by: str,
        note: str | None = None,
    ) -> Grade:
        """Grade by the configured rule, counting days from the grading's own date."""
        graded_on = at.astimezone(config.tz).date()
        if close_by < graded_on:
            raise errors.InputError(f"--close-by {close_by} is before the grading date {graded_on}")
        grade = config.grading.grade(likelihood, graded_on, close_by)
        self._record(
            self.Graded,
            "grade",
            at,
            by,
            note,
            _WORKING,
            grade=grade.value,
            method="rule",
            likelihood=likelihood,
            close_by=close_by.isoformat(),
            days=(close_by - graded_on).days,
            reason=None,
        )
        return grade

    def grade_by_hand(
        self, grade: Grade, reason: str, at: datetime, by: str, note: str | None = None
    ) -> None:
        """Set the grade by hand, with a reason."""
        self._record(
            self.Graded,
            "grade",
            at,
            by,
            note,
            _WORKING,
            grade=grade.value,
            method="manual",
            likelihood=None,
            close_by=None,
            days=None,
            reason=reason,
        )

    def identify_stakeholder(
        self,
        name: str,
        role: Role,
        weight: float | None,
        at: datetime,
        by: str,
        note: str | None = None,
    ) -> None:
        """Record a person of the buying organisation, their role and weight."""
        self._record(
            self.StakeholderIdentified,
            "stakeholder",
            at,
            by,
            note,
            _WORKING,
            name=name,
            role=role.value,
            weight=weight,
        )

    def stakeholder_left(
        self, name: str, reason: str | None, at: datetime, by: str, note: str | None = None
    ) -> None:
        """Record that a person left the buying organisation or turned against us."""
        self._check("stakeholder-left", at, _WORKING)
        person = self.state.stakeholders.get(name)
        if person is None or person.left:
            raise errors.SalesProcessError(
                f"deal {self.key!r}: {name!r} is not a present stakeholder"
            )
        self._record(
            self.StakeholderLeft,
            "stakeholder-left",
            at,
            by,
            note,
            _WORKING,
            name=name,
            reason=reason,
        )

    def find_insider(self, name: str, at: datetime, by: str, note: str | None = None) -> None:
        """Record an insider (内线) found."""
        self._record(self.InsiderFound, "insider", at, by, note, _WORKING, name=name)

    def engage_key_person(self, name: str, at: datetime, by: str, note: str | None = None) -> None:
        """Record a key person (关键人) engaged."""
        self._record(self.KeyPersonEngaged, "engage", at, by, note, _WORKING, name=name)

    def hold_activity(
        self,
        kind: ActivityKind,
        with_whom: str | None,
        result: str | None,
        at: datetime,
        by: str,
        note: str | None = None,
    ) -> None:
        """Record work done with the customer."""
        self._record(
            self.ActivityHeld,
            "activity",
            at,
            by,
            note,
            _WORKING,
            kind=kind.value,
            with_whom=with_whom,
            result=result,
        )

    def shortlist(self, at: datetime, by: str, note: str | None = None) -> None:
        """Record that we were short-listed as a candidate supplier."""
        self._record(self.ShortListed, "shortlist", at, by, note, _WORKING)

    def influence_standard(
        self, criteria: list[str], at: datetime, by: str, note: str | None = None
    ) -> None:
        """Record the procurement standard influenced in our favour."""
        self._record(
            self.StandardInfluenced, "influence", at, by, note, _WORKING, criteria=list(criteria)
        )

    def receive_tender(
        self, due: date | None, at: datetime, by: str, note: str | None = None
    ) -> None:
        """Record the tender document received."""
        self._record(
            self.TenderReceived,
            "tender",
            at,
            by,
            note,
            _WORKING,
            due=due.isoformat() if due else None,
        )

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
        self._check("bid", at, _OPEN)
        self._in_stage("bid", Stage.bidding, at)
        self._record(
            self.BidSubmitted,
            "bid",
            at,
            by,
            note,
            _OPEN,
            price=str(price),
            margin=margin,
            negotiated=negotiated,
        )

    def approve_contract(self, at: datetime, by: str, note: str | None = None) -> None:
        """Record the contract approved; only in ``negotiation``."""
        self._check("approve-contract", at, (Outcome.open, Outcome.won))
        self._in_stage("approve-contract", Stage.negotiation, at)
        self._record(
            self.ContractApproved, "approve-contract", at, by, note, (Outcome.open, Outcome.won)
        )

    def sign(self, value: Decimal | None, at: datetime, by: str, note: str | None = None) -> None:
        """Record the contract signed: the outcome becomes ``won``, the stage stays."""
        s = self.state
        if s.is_met(Milestone.contract_signed):
            raise errors.AlreadySigned(s.key)
        self._check("sign", at, _OPEN)
        self._in_stage("sign", Stage.negotiation, at)
        if not s.is_met(Milestone.contract_approved):
            raise errors.ContractNotApproved(s.key)
        self._after_last_move("sign", at)
        self._record(
            self.ContractSigned,
            "sign",
            at,
            by,
            note,
            _OPEN,
            value=str(value) if value is not None else None,
        )

    def evaluate_trial(self, result: str, at: datetime, by: str, note: str | None = None) -> None:
        """Record the trial evaluated; only in ``implementation``."""
        self._check("trial", at, (Outcome.open, Outcome.won))
        self._in_stage("trial", Stage.implementation, at)
        self._record(
            self.TrialEvaluated, "trial", at, by, note, (Outcome.open, Outcome.won), result=result
        )

    def follow_up_oil_analysis(
        self, result: str, at: datetime, by: str, note: str | None = None
    ) -> None:
        """Record usage and oil-analysis follow-up; only in ``implementation``."""
        self._check("oil-analysis", at, (Outcome.open, Outcome.won))
        self._in_stage("oil-analysis", Stage.implementation, at)
        self._record(
            self.OilAnalysisFollowedUp,
            "oil-analysis",
            at,
            by,
            note,
            (Outcome.open, Outcome.won),
            result=result,
        )

    # -- stage moves ------------------------------------------------------------
    def _movable(self, command: str, at: datetime) -> Stage:
        self._check(command, at, (Outcome.open, Outcome.won))
        s = self.state
        if s.stage is Stage.implementation:
            raise errors.LastStage(s.key)
        self._after_last_move(command, at)
        return s.stage

    def advance(self, at: datetime, by: str, note: str | None = None) -> Stage:
        """Move to the next stage: only when this stage's milestones are all met."""
        stage = self._movable("advance", at)
        unmet = self.state.unmet_of(stage)
        if unmet:
            raise errors.MilestonesUnmet(self.key, stage.value, [m.value for m in unmet])
        self.trigger_event(
            self.StageAdvanced,
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
        stage = self._movable("force", at)
        unmet = self.state.unmet_of(stage)
        if stage is Stage.negotiation and not self.state.is_met(Milestone.contract_signed):
            raise errors.WinCannotBeForced(self.key)
        if not unmet:
            raise errors.NothingToForce(self.key, stage.value)
        self.trigger_event(
            self.StageForced,
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
    def _close(
        self, cls: type[Event], command: str, at: datetime, by: str, note: str | None, **data: Any
    ) -> None:
        self._check(command, at, _OPEN)
        self._after_last_move(command, at)
        self.trigger_event(cls, occurred_at=at, actor=by, note=note, **data)

    def lose(
        self,
        reason: LossReason,
        competitor: str | None,
        at: datetime,
        by: str,
        note: str | None = None,
    ) -> None:
        """Record the deal lost to a competitor or to no purchase."""
        self._close(self.Lost, "lose", at, by, note, reason=reason.value, competitor=competitor)

    def withdraw(self, reason: str, at: datetime, by: str, note: str | None = None) -> None:
        """Record that we left the competition."""
        self._close(self.Withdrawn, "withdraw", at, by, note, reason=reason)

    def abandon(self, reason: str, at: datetime, by: str, note: str | None = None) -> None:
        """Record that the deal is not worth following."""
        self._close(self.Abandoned, "abandon", at, by, note, reason=reason)

    def nurture(self, reason: str, at: datetime, by: str, note: str | None = None) -> None:
        """Lower the contact level: keep the customer for maintenance."""
        self._close(self.Nurtured, "nurture", at, by, note, reason=reason)

    def reopen(self, reason: str, at: datetime, by: str, note: str | None = None) -> None:
        """Bring a nurtured deal back to ``open``."""
        self._check("reopen", at, (Outcome.nurture,))
        self._after_last_move("reopen", at)
        self.trigger_event(self.Reopened, occurred_at=at, actor=by, note=note, reason=reason)

    # -- corrections ------------------------------------------------------------
    def retract(self, seq: int, reason: str, at: datetime, by: str, note: str | None = None) -> str:
        """Say that entry ``seq`` was wrong: it no longer counts in any view."""
        _not_future(at)
        s = self.state
        if s.opened_at is not None and at < s.opened_at:
            raise errors.OutOfTimeOrder(
                f"deal {s.key!r}: 'retract' dated {at.isoformat()} is before the deal"
                f" was opened ({s.opened_at.isoformat()})"
            )
        target = next((e for e in self._entries if e.seq == seq), None)
        if target is None:
            raise errors.CannotRetract(f"deal {s.key!r} has no entry {seq}")
        if target.event in UNRETRACTABLE:
            raise errors.CannotRetract(
                f"deal {s.key!r}: entry {seq} ({target.event}) cannot be retracted"
                " (Opened, stage moves and retractions stand)"
            )
        if seq in s.retracted:
            raise errors.CannotRetract(f"deal {s.key!r}: entry {seq} is already retracted")
        if target.event in OUTCOME_EVENTS:
            if s.outcome_seq != seq:
                raise errors.CannotRetract(
                    f"deal {s.key!r}: only the latest outcome entry"
                    f" ({s.outcome_seq}) may be retracted"
                )
            if target.event == "ContractSigned" and s.stage is not Stage.negotiation:
                raise errors.CannotRetract(
                    f"deal {s.key!r}: ContractSigned can be retracted only while the deal"
                    f" is in negotiation; it is in {s.stage.value}"
                )
        self.trigger_event(
            self.EntryRetracted, occurred_at=at, actor=by, note=note, seq=seq, reason=reason
        )
        return target.event


def entry_of(event: Opportunity.Event) -> Entry:
    """The entry a stored event stands for (also used by the read side)."""
    fields = vars(event)
    return Entry(
        seq=event.originator_version,
        event=type(event).__name__,
        occurred_at=event.occurred_at,
        recorded_at=event.timestamp,
        actor=event.actor,
        note=event.note,
        data={k: v for k, v in fields.items() if k not in _BASE_FIELDS},
    )


def _not_future(at: datetime) -> None:
    if at.tzinfo is None:
        raise errors.InputError("times must carry a time zone")
    if at > datetime.now(UTC):
        raise errors.InputError(f"{at.isoformat()} is in the future")

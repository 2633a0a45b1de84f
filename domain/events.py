"""The facts of a deal: one event class per fact, in the sales team's words.

Every event carries ``occurred_at`` (when it happened in the world) and the
actor beside the store's own ``timestamp`` (when it was recorded). Each stored
topic is pinned (``salesflow:Opportunity.<Event>``), so moving or renaming a
class never orphans history; the ``Opportunity`` aggregate names each class
again as ``Opportunity.<Event>``. Fields hold plain JSON values (amounts and
dates as text), so the read side can keep an event's data as it is.

Which command records which event, where it is accepted and which milestone
it meets is the process table's (``domain.process``), not the events'.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from functools import cache
from typing import Any

from eventsourcing.domain import Aggregate


def _names(items: Any) -> str:
    return ", ".join(str(i) for i in items)


class DealEvent(Aggregate.Event):
    """A fact about the deal: when it happened in the world and who recorded it."""

    TOPIC = "salesflow:Opportunity.Event"
    occurred_at: datetime
    actor: str
    note: str | None

    def apply(self, aggregate: Any) -> None:
        aggregate._take_in(self)

    def summary(self) -> str:
        """A one-line human summary, as the audit shows it."""
        raise NotImplementedError(f"{type(self).__name__} has no summary")


class PersonEvent(DealEvent):
    """A fact about one person of the buying organisation."""

    name: str


class Reasoned(DealEvent):
    """An outcome, with the reason given for it."""

    reason: str

    def summary(self) -> str:
        return f"{type(self).__name__.lower()}: {self.reason}"


class Verdict(DealEvent):
    """A fact whose verdict decides its milestone: met when it passed."""

    passed: bool


class StageMoved(DealEvent):
    """The deal left one stage for the next."""

    from_stage: str
    to_stage: str

    @property
    def skipped(self) -> tuple[str, ...]:
        """The milestones it left unmet (none through the gate)."""
        return ()


class Opened(DealEvent, Aggregate.Created):
    TOPIC = "salesflow:Opportunity.Opened"
    key: str
    customer: str
    title: str
    owner: str
    tender_expected: str | None
    #: The first estimate of the deal's value, if given at the opening (events
    #: recorded before deals had a value carry none).
    value: str | None = None
    #: The CRM it was imported from, and the source row (none when recorded here).
    source: str | None = None
    source_id: str | None = None

    def summary(self) -> str:
        valued = f", valued {self.value}" if self.value else ""
        return f"opened {self.key} for {self.customer}: {self.title} (owner {self.owner}{valued})"


class ValueEstimated(DealEvent):
    TOPIC = "salesflow:Opportunity.ValueEstimated"
    value: str
    #: The CRM it was imported from, and the source row (none when recorded here).
    source: str | None = None
    source_id: str | None = None

    def summary(self) -> str:
        return f"value estimated at {self.value}"


class CustomerStepObserved(DealEvent):
    TOPIC = "salesflow:Opportunity.CustomerStepObserved"
    step: str

    def summary(self) -> str:
        return f"customer observed at {self.step}"


class AssessmentElementCollected(DealEvent):
    TOPIC = "salesflow:Opportunity.AssessmentElementCollected"
    element: str
    text: str

    def summary(self) -> str:
        return f"collected {self.element}: {self.text}"


class Assessed(Verdict):
    """Stores the scores, the weighted mean and the verdict, so that a later
    change of the evaluation model never rewrites history."""

    TOPIC = "salesflow:Opportunity.Assessed"
    scores: dict[str, int]
    weights: dict[str, float]
    weighted_mean: float
    pass_mean: float
    knocked_out: list[str]

    def summary(self) -> str:
        verdict = "passed" if self.passed else "failed"
        ko = f", knocked out by {_names(self.knocked_out)}" if self.knocked_out else ""
        return f"assessed: weighted mean {self.weighted_mean:.2f}, {verdict}{ko}"


class Graded(DealEvent):
    TOPIC = "salesflow:Opportunity.Graded"
    grade: str
    method: str
    likelihood: float | None
    close_by: str | None
    days: int | None
    reason: str | None

    def summary(self) -> str:
        if self.method == "manual":
            return f"graded {self.grade} by hand: {self.reason}"
        return (
            f"graded {self.grade} (likelihood {self.likelihood:g},"
            f" close by {self.close_by}, {self.days} days)"
        )


class StakeholderIdentified(PersonEvent):
    TOPIC = "salesflow:Opportunity.StakeholderIdentified"
    role: str
    weight: float | None

    def summary(self) -> str:
        return f"stakeholder {self.name} ({self.role})"


class StakeholderLeft(PersonEvent):
    TOPIC = "salesflow:Opportunity.StakeholderLeft"
    reason: str | None

    def summary(self) -> str:
        why = f": {self.reason}" if self.reason else ""
        return f"stakeholder {self.name} left{why}"


class InsiderFound(PersonEvent):
    TOPIC = "salesflow:Opportunity.InsiderFound"

    def summary(self) -> str:
        return f"insider found: {self.name}"


class KeyPersonEngaged(PersonEvent):
    TOPIC = "salesflow:Opportunity.KeyPersonEngaged"

    def summary(self) -> str:
        return f"key person engaged: {self.name}"


class ActivityHeld(DealEvent):
    TOPIC = "salesflow:Opportunity.ActivityHeld"
    kind: str
    with_whom: str | None
    result: str | None

    def summary(self) -> str:
        who = f" with {self.with_whom}" if self.with_whom else ""
        res = f": {self.result}" if self.result else ""
        return f"{self.kind}{who}{res}"


class ShortListed(DealEvent):
    TOPIC = "salesflow:Opportunity.ShortListed"

    def summary(self) -> str:
        return "short-listed as a candidate supplier"


class StandardInfluenced(DealEvent):
    TOPIC = "salesflow:Opportunity.StandardInfluenced"
    criteria: list[str]

    def summary(self) -> str:
        return f"procurement standard influenced: {_names(self.criteria)}"


class TenderReceived(DealEvent):
    TOPIC = "salesflow:Opportunity.TenderReceived"
    due: str | None

    def summary(self) -> str:
        due = f", due {self.due}" if self.due else ""
        return f"tender document received{due}"


class BidSubmitted(DealEvent):
    TOPIC = "salesflow:Opportunity.BidSubmitted"
    price: str
    margin: float | None
    negotiated: bool

    def summary(self) -> str:
        kind = "negotiated bid" if self.negotiated else "bid"
        margin = f", margin {self.margin:g}" if self.margin is not None else ""
        return f"{kind} submitted at {self.price}{margin}"


class ContractApproved(DealEvent):
    TOPIC = "salesflow:Opportunity.ContractApproved"

    def summary(self) -> str:
        return "contract approved"


class ContractSigned(DealEvent):
    TOPIC = "salesflow:Opportunity.ContractSigned"
    value: str | None

    def summary(self) -> str:
        value = f" for {self.value}" if self.value else ""
        return f"contract signed{value}: won"


class TrialEvaluated(DealEvent):
    TOPIC = "salesflow:Opportunity.TrialEvaluated"
    result: str

    def summary(self) -> str:
        return f"trial evaluated: {self.result}"


class OilAnalysisFollowedUp(DealEvent):
    TOPIC = "salesflow:Opportunity.OilAnalysisFollowedUp"
    result: str

    def summary(self) -> str:
        return f"oil analysis followed up: {self.result}"


class StageAdvanced(StageMoved):
    TOPIC = "salesflow:Opportunity.StageAdvanced"

    def summary(self) -> str:
        return f"advanced {self.from_stage} -> {self.to_stage}"


class StageForced(StageMoved):
    TOPIC = "salesflow:Opportunity.StageForced"
    missing: list[str]
    reason: str
    approved_by: str

    @property
    def skipped(self) -> tuple[str, ...]:
        return tuple(self.missing)

    def summary(self) -> str:
        return (
            f"forced {self.from_stage} -> {self.to_stage} skipping"
            f" {_names(self.missing)} (approved by {self.approved_by}: {self.reason})"
        )


class StageImported(StageMoved):
    """A CRM recorded the stage change, passing no gate. ``unverified``: the
    milestones of the stages it moved past that had no evidence then."""

    TOPIC = "salesflow:Opportunity.StageImported"
    unverified: list[str]
    source: str
    source_id: str

    def summary(self) -> str:
        past = f", unverified {_names(self.unverified)}" if self.unverified else ""
        return f"imported from {self.source}: {self.from_stage} -> {self.to_stage}{past}"


class OutcomeImported(DealEvent):
    """A CRM recorded the deal closed, ``won`` or ``lost`` (with a loss reason)."""

    TOPIC = "salesflow:Opportunity.OutcomeImported"
    outcome: str
    reason: str | None
    unverified: list[str]
    source: str
    source_id: str

    def summary(self) -> str:
        why = f" on {self.reason}" if self.reason else ""
        return f"imported from {self.source}: {self.outcome}{why}"


class Lost(Reasoned):
    TOPIC = "salesflow:Opportunity.Lost"
    competitor: str | None

    def summary(self) -> str:
        to = f" to {self.competitor}" if self.competitor else ""
        return f"lost on {self.reason}{to}"


class Withdrawn(Reasoned):
    TOPIC = "salesflow:Opportunity.Withdrawn"


class Abandoned(Reasoned):
    TOPIC = "salesflow:Opportunity.Abandoned"


class Nurtured(Reasoned):
    TOPIC = "salesflow:Opportunity.Nurtured"


class Reopened(Reasoned):
    TOPIC = "salesflow:Opportunity.Reopened"


class DetailsCorrected(DealEvent):
    """The deal's own details were recorded wrong: these are right. ``None``
    leaves a detail as it was; ``previous`` keeps what each corrected one said."""

    TOPIC = "salesflow:Opportunity.DetailsCorrected"
    customer: str | None
    title: str | None
    owner: str | None
    tender_expected: str | None
    reason: str
    previous: dict[str, str | None]

    def corrected(self) -> dict[str, str]:
        """The details it sets, by name."""
        given = {
            "customer": self.customer,
            "title": self.title,
            "owner": self.owner,
            "tender_expected": self.tender_expected,
        }
        return {name: value for name, value in given.items() if value is not None}

    def summary(self) -> str:
        changes = ", ".join(
            f"{name} {self.previous.get(name)!r} -> {value!r}"
            for name, value in self.corrected().items()
        )
        return f"corrected {changes}: {self.reason}"


class EntryRetracted(DealEvent):
    """Entry ``seq`` of the deal was wrong: it no longer counts."""

    TOPIC = "salesflow:Opportunity.EntryRetracted"
    seq: int
    reason: str

    def summary(self) -> str:
        return f"retracted entry {self.seq}: {self.reason}"


def _concrete(cls: type[DealEvent]) -> Iterator[type[DealEvent]]:
    for sub in cls.__subclasses__():
        if "TOPIC" in sub.__dict__:
            yield sub
        yield from _concrete(sub)


@cache
def event_classes() -> dict[str, type[DealEvent]]:
    """Every event class of a deal, by class name (the name the audit shows)."""
    return {cls.__name__: cls for cls in _concrete(DealEvent)}

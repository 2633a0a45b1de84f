"""The facts any stage accepts, recorded by the ``Opportunity`` aggregate:
the customer's step, the assessment and the grade, the buying organisation,
the work done, the standard influenced, the tender."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from domain import errors
from domain import events as ev
from domain.config import ProcessConfig
from domain.process import STEP_OF, Step
from domain.state import DealState
from domain.vocabulary import (
    ActivityKind,
    AssessmentElement,
    AssessmentFactor,
    CustomerStep,
    Grade,
    Role,
)


class DealFacts:
    """The any-stage commands of a deal (a part of ``Opportunity``)."""

    # What the aggregate provides.
    @property
    def state(self) -> DealState:
        raise NotImplementedError

    @property
    def key(self) -> str:
        raise NotImplementedError

    def _record(
        self, event: type[ev.DealEvent], at: datetime, by: str, note: str | None, **data: Any
    ) -> None:
        raise NotImplementedError

    def _check(self, step: Step, at: datetime) -> None:
        raise NotImplementedError

    def observe_customer_step(
        self, step: CustomerStep, at: datetime, by: str, note: str | None = None
    ) -> None:
        """Record the customer's procurement step as observed."""
        self._record(ev.CustomerStepObserved, at, by, note, step=step.value)

    def collect(
        self, element: AssessmentElement, text: str, at: datetime, by: str, note: str | None = None
    ) -> None:
        """Record one of the six assessment elements."""
        self._record(ev.AssessmentElementCollected, at, by, note, element=element.value, text=text)

    def assess(
        self,
        scores: dict[AssessmentFactor, int],
        config: ProcessConfig,
        at: datetime,
        by: str,
        note: str | None = None,
    ) -> None:
        """Score the opportunity in the evaluation model; a failure is recorded too."""
        self._record(ev.Assessed, at, by, note, **config.evaluation.assess(scores))

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
            ev.Graded,
            at,
            by,
            note,
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
            ev.Graded,
            at,
            by,
            note,
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
            ev.StakeholderIdentified, at, by, note, name=name, role=role.value, weight=weight
        )

    def stakeholder_left(
        self, name: str, reason: str | None, at: datetime, by: str, note: str | None = None
    ) -> None:
        """Record that a person left the buying organisation or turned against us."""
        self._check(STEP_OF[ev.StakeholderLeft], at)
        person = self.state.stakeholders.get(name)
        if person is None or person.left:
            raise errors.SalesProcessError(
                f"deal {self.key!r}: {name!r} is not a present stakeholder"
            )
        self._record(ev.StakeholderLeft, at, by, note, name=name, reason=reason)

    def find_insider(self, name: str, at: datetime, by: str, note: str | None = None) -> None:
        """Record an insider (内线) found."""
        self._record(ev.InsiderFound, at, by, note, name=name)

    def engage_key_person(self, name: str, at: datetime, by: str, note: str | None = None) -> None:
        """Record a key person (关键人) engaged."""
        self._record(ev.KeyPersonEngaged, at, by, note, name=name)

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
            ev.ActivityHeld, at, by, note, kind=kind.value, with_whom=with_whom, result=result
        )

    def shortlist(self, at: datetime, by: str, note: str | None = None) -> None:
        """Record that we were short-listed as a candidate supplier."""
        self._record(ev.ShortListed, at, by, note)

    def influence_standard(
        self, criteria: list[str], at: datetime, by: str, note: str | None = None
    ) -> None:
        """Record the procurement standard influenced in our favour."""
        self._record(ev.StandardInfluenced, at, by, note, criteria=list(criteria))

    def estimate_value(
        self, value: Decimal, at: datetime, by: str, note: str | None = None
    ) -> None:
        """Record an estimate of what the deal is worth (while open or nurtured)."""
        self._record(ev.ValueEstimated, at, by, note, value=str(value))

    def receive_tender(
        self, due: date | None, at: datetime, by: str, note: str | None = None
    ) -> None:
        """Record the tender document received."""
        self._record(ev.TenderReceived, at, by, note, due=due.isoformat() if due else None)

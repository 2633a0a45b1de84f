"""A deal's state: everything it is at one moment, and what follows from it
(the gate's unmet milestones, alignment, missing milestones, win probability).
``domain.fold`` computes it from the deal's entries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from domain import events as ev
from domain.config import ProcessConfig
from domain.entries import Entry
from domain.process import milestones_of
from domain.vocabulary import (
    MILESTONES,
    STAGES,
    Alignment,
    CustomerStep,
    Engagement,
    Grade,
    Milestone,
    Outcome,
    Role,
    Stage,
)


@dataclass(slots=True)
class MilestoneStatus:
    """Whether a milestone is met now, since when, whether it was forced past,
    and whether a CRM's history moved past it with no evidence (unverified)."""

    met: bool = False
    at: datetime | None = None
    seq: int | None = None
    forced_past: bool = False
    unverified: bool = False

    @property
    def verified(self) -> bool:
        """False only for a milestone an import moved past with no evidence."""
        return not self.unverified


@dataclass(slots=True)
class MilestonePeriod:
    """One period in which a milestone was met."""

    milestone: Milestone
    met_from: datetime
    met_from_recorded: datetime
    met_by_seq: int
    met_until: datetime | None = None
    met_until_recorded: datetime | None = None
    ended_by_seq: int | None = None
    ended_how: str | None = None


class Standing(NamedTuple):
    """What a stretch of business time holds of the deal (compared as one
    tuple: the fold asks after every entry whether it changed)."""

    outcome: Outcome
    stage: Stage
    value: Decimal | None
    grade: Grade | None
    customer_step: CustomerStep | None
    met: frozenset[Milestone]
    forced_past: frozenset[Milestone]
    forced_count: int
    stage_entered_at: datetime | None
    closed_at: datetime | None

    def state(self) -> DealState:
        """Just enough of a deal's state for its derived readings (alignment,
        missing milestones, win probability) at this stretch."""
        state = DealState(stage=self.stage, outcome=self.outcome, grade=self.grade)
        state.customer_step = self.customer_step
        for m in self.met:
            state.milestones[m].met = True
        for m in self.forced_past:
            state.milestones[m].forced_past = True
        return state


@dataclass(slots=True)
class Segment:
    """A stretch of business time in which the deal's standing stayed the
    same: its outcome, stage, value, grade, the customer's step, the
    milestones met and forced past. What the reports read (the pipeline at
    any moment, its stints in the open pipeline, what a deal was worth then)
    and what ``pipeline --as-of`` reads."""

    since: datetime
    standing: Standing
    until: datetime | None = None


@dataclass(slots=True)
class Stakeholder:
    """A person in the customer's buying organisation."""

    name: str
    role: Role = Role.other
    weight: float | None = None
    #: The milestones met while this person remains (insider, key person).
    brings: set[Milestone] = field(default_factory=set)
    left: bool = False

    @property
    def insider(self) -> bool:
        return Milestone.insider_found in self.brings

    @property
    def key_person(self) -> bool:
        return Milestone.key_person_engaged in self.brings

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "role": self.role.value,
            "weight": self.weight,
            "insider": self.insider,
            "key_person": self.key_person,
            "left": self.left,
        }


@dataclass(frozen=True, slots=True)
class ForcedAdvance:
    """A recorded exception: a stage left without its milestones."""

    from_stage: Stage
    to_stage: Stage
    missing: tuple[Milestone, ...]
    reason: str
    approved_by: str
    at: datetime
    seq: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": self.from_stage.value,
            "to": self.to_stage.value,
            "missing": [m.value for m in self.missing],
            "reason": self.reason,
            "approved_by": self.approved_by,
            "at": self.at.isoformat(),
        }


@dataclass(slots=True)
class StageStay:
    """One stay in a stage, from entering it to leaving it (or not yet)."""

    stage: Stage
    entered_at: datetime
    entered_recorded: datetime
    entered_seq: int
    left_at: datetime | None = None
    left_recorded: datetime | None = None
    left_seq: int | None = None
    left_how: str | None = None
    skipped: tuple[Milestone, ...] = ()


@dataclass(slots=True)
class DealState:
    """Everything a deal is at one moment."""

    key: str = ""
    customer: str = ""
    title: str = ""
    owner: str = ""
    tender_expected: str | None = None
    opened_at: datetime | None = None
    stage: Stage = Stage.development
    stage_entered_at: datetime | None = None
    entered: dict[Stage, datetime] = field(default_factory=dict)
    outcome: Outcome = Outcome.open
    outcome_at: datetime | None = None
    outcome_seq: int | None = None
    outcome_reason: str | None = None
    competitor: str | None = None
    last_move_at: datetime | None = None
    customer_step: CustomerStep | None = None
    elements: dict[str, str] = field(default_factory=dict)
    assessment: dict[str, Any] | None = None
    grade: Grade | None = None
    graded_at: datetime | None = None
    stakeholders: dict[str, Stakeholder] = field(default_factory=dict)
    shortlisted: bool = False
    tender_due: str | None = None
    criteria: list[str] = field(default_factory=list)
    milestones: dict[Milestone, MilestoneStatus] = field(
        default_factory=lambda: {m: MilestoneStatus() for m in MILESTONES}
    )
    periods: list[MilestonePeriod] = field(default_factory=list)
    forced_advances: list[ForcedAdvance] = field(default_factory=list)
    stays: list[StageStay] = field(default_factory=list)
    activities: list[tuple[datetime, str]] = field(default_factory=list)
    #: When a milestone met while someone remains lapsed: its last such person left.
    lapsed: dict[Milestone, datetime] = field(default_factory=dict)
    #: The latest estimate or bid price (by business time), and the contract's
    #: value once signed with one.
    estimated_value: Decimal | None = None
    contract_value: Decimal | None = None
    segments: list[Segment] = field(default_factory=list)
    #: The milestones met now, and those forced past (kept as they change, so
    #: that each stretch's standing is had without looking at all ten).
    met_set: frozenset[Milestone] = frozenset()
    forced_set: frozenset[Milestone] = frozenset()
    version: int = 0
    applied: list[Entry[ev.DealEvent]] = field(default_factory=list)
    retracted: dict[int, Entry[ev.DealEvent]] = field(default_factory=dict)

    # -- derived -----------------------------------------------------------
    @property
    def value(self) -> Decimal | None:
        """What the deal is worth: the contract's value if signed with one,
        else the latest estimate or bid price, else unknown (shared/reports.md)."""
        return self.contract_value if self.contract_value is not None else self.estimated_value

    def is_met(self, milestone: Milestone) -> bool:
        """True when the milestone is met in this state."""
        return self.milestones[milestone].met

    def unmet_of(self, stage: Stage) -> tuple[Milestone, ...]:
        """The stage's milestones not met, in order."""
        return tuple(m for m in milestones_of(stage) if not self.is_met(m))

    @property
    def engagement(self) -> Engagement | None:
        return self.grade.engagement if self.grade else None

    @property
    def expected_stage(self) -> Stage | None:
        return self.customer_step.mirrored_stage if self.customer_step else None

    @property
    def alignment(self) -> Alignment:
        """The coach's reading of our stage against the customer's step."""
        expected = self.expected_stage
        if expected is None:
            return Alignment.unknown
        n, s = expected.number, self.stage.number
        earlier_unmet = any(self.unmet_of(st) for st in STAGES[: n - 1])
        if n > s or earlier_unmet:
            return Alignment.behind
        if s > n:
            return Alignment.ahead
        return Alignment.aligned

    @property
    def missing_milestones(self) -> tuple[Milestone, ...]:
        """Unmet milestones of stages 1..max(S, N), in stage order."""
        upto = self.stage.number
        if self.expected_stage is not None:
            upto = max(upto, self.expected_stage.number)
        return tuple(m for st in STAGES[:upto] for m in self.unmet_of(st))

    @property
    def unverified(self) -> tuple[Milestone, ...]:
        """Milestones an imported history moved past with no evidence yet."""
        return tuple(m for m in MILESTONES if self.milestones[m].unverified)

    def unmet_through(self, stages: Sequence[Stage]) -> list[Milestone]:
        """The unmet milestones of ``stages``, in order."""
        return [m for st in stages for m in self.unmet_of(st)]

    @property
    def skipped_unmet(self) -> tuple[Milestone, ...]:
        """Milestones skipped by forced advances and still unmet."""
        return tuple(m for m in MILESTONES if self.milestones[m].forced_past and not self.is_met(m))

    def win_probability(self, config: ProcessConfig) -> tuple[float, str]:
        """The figure and how it was made."""
        if self.outcome is Outcome.won:
            return 1.0, "won: the contract is signed"
        if self.outcome.is_closed:
            return 0.0, f"{self.outcome.value}: the deal is closed"
        wp = config.win_probability
        base = wp.base[self.stage]
        k = len(self.skipped_unmet)
        p = base * wp.skip_factor**k
        text = f"base {base:.2f} for {self.stage.value}"
        if k:
            skipped = ", ".join(m.value for m in self.skipped_unmet)
            text += (
                f" x {wp.skip_factor:g}^{k} for milestones forced past and still unmet ({skipped})"
            )
        else:
            text += "; no milestone forced past and unmet"
        return round(p, 6), text

    @property
    def insider_left_at(self) -> datetime | None:
        """When the last insider left, while insider_found is unmet since."""
        return self.lapsed.get(Milestone.insider_found)

    @property
    def last_activity_at(self) -> datetime | None:
        return self.activities[-1][0] if self.activities else None

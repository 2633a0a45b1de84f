"""The fold: a deal's state as of a business time, known at a recorded time.

Every view of a deal (the aggregate's rule checks, ``deal show``, the read
models, replay, as-of and known-at) is this one function over the deal's
entries, so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.config import ProcessConfig
from domain.entries import Entry
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
    """Whether a milestone is met now, since when, and whether it was forced past."""

    met: bool = False
    at: datetime | None = None
    seq: int | None = None
    forced_past: bool = False


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


@dataclass(slots=True)
class Stakeholder:
    """A person in the customer's buying organisation."""

    name: str
    role: Role = Role.other
    weight: float | None = None
    insider: bool = False
    key_person: bool = False
    left: bool = False

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
    insider_left_at: datetime | None = None
    version: int = 0
    applied: list[Entry] = field(default_factory=list)
    retracted: dict[int, Entry] = field(default_factory=dict)

    # -- derived -----------------------------------------------------------
    def is_met(self, milestone: Milestone) -> bool:
        """True when the milestone is met in this state."""
        return self.milestones[milestone].met

    def unmet_of(self, stage: Stage) -> tuple[Milestone, ...]:
        """The stage's milestones not met, in order."""
        return tuple(m for m in stage.milestones if not self.is_met(m))

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
    def last_activity_at(self) -> datetime | None:
        return self.activities[-1][0] if self.activities else None


def visible(entries: Iterable[Entry], known_at: datetime | None) -> list[Entry]:
    """Entries recorded by ``known_at`` (all when it is None)."""
    if known_at is None:
        return list(entries)
    return [e for e in entries if e.recorded_at <= known_at]


def fold(
    entries: Sequence[Entry],
    as_of: datetime | None = None,
    known_at: datetime | None = None,
) -> DealState:
    """The deal as it stood in the world at ``as_of``, from what was recorded
    by ``known_at``: entries applied in ``occurred_at`` order, ties by seq,
    retracted ones left out (from the moment the retraction was recorded)."""
    seen = visible(entries, known_at)
    state = DealState()
    retractions = {e.data["seq"]: e for e in seen if e.event == "EntryRetracted"}
    by_seq = {e.seq: e for e in seen}
    state.retracted = {s: by_seq[s] for s in retractions if s in by_seq}
    state.version = max((e.seq for e in seen), default=0)
    live = sorted(
        (
            e
            for e in seen
            if e.event != "EntryRetracted"
            and e.seq not in retractions
            and (as_of is None or e.occurred_at <= as_of)
        ),
        key=lambda e: (e.occurred_at, e.seq),
    )
    for e in live:
        apply_entry(state, e)
    return state


def apply_entry(state: DealState, entry: Entry) -> None:
    """Apply one more entry, later in business time than every applied one.

    ``fold`` is this, entry after entry; the aggregate also calls it directly
    for a new entry that sorts last, instead of folding the history again.
    """
    _APPLY[entry.event](state, entry)
    state.applied.append(entry)
    state.version = max(state.version, entry.seq)


# -- appliers: one per event class name ---------------------------------------


def _met(state: DealState, m: Milestone, e: Entry, met: bool, how: str = "") -> None:
    status = state.milestones[m]
    if met and not status.met:
        status.met, status.at, status.seq = True, e.occurred_at, e.seq
        state.periods.append(MilestonePeriod(m, e.occurred_at, e.recorded_at, e.seq))
    elif not met and status.met:
        status.met, status.at, status.seq = False, None, None
        period = next(p for p in reversed(state.periods) if p.milestone is m)
        period.met_until, period.met_until_recorded = e.occurred_at, e.recorded_at
        period.ended_by_seq, period.ended_how = e.seq, how


def _opened(state: DealState, e: Entry) -> None:
    d = e.data
    state.key, state.customer, state.title = d["key"], d["customer"], d["title"]
    state.owner, state.tender_expected = d["owner"], d.get("tender_expected")
    state.opened_at = e.occurred_at
    _enter(state, Stage.development, e)


def _enter(state: DealState, stage: Stage, e: Entry) -> None:
    state.stage, state.stage_entered_at = stage, e.occurred_at
    state.entered[stage] = e.occurred_at
    state.stays.append(StageStay(stage, e.occurred_at, e.recorded_at, e.seq))


def _leave(state: DealState, e: Entry, how: str, skipped: tuple[Milestone, ...] = ()) -> None:
    stay = state.stays[-1]
    stay.left_at, stay.left_recorded, stay.left_seq = e.occurred_at, e.recorded_at, e.seq
    stay.left_how, stay.skipped = how, skipped


def _step(state: DealState, e: Entry) -> None:
    state.customer_step = CustomerStep(e.data["step"])


def _collected(state: DealState, e: Entry) -> None:
    state.elements[e.data["element"]] = e.data["text"]


def _assessed(state: DealState, e: Entry) -> None:
    state.assessment = {**e.data, "at": e.occurred_at, "seq": e.seq}
    _met(state, Milestone.opportunity_assessed, e, bool(e.data["passed"]), "assessment failed")


def _graded(state: DealState, e: Entry) -> None:
    state.grade, state.graded_at = Grade(e.data["grade"]), e.occurred_at
    _met(state, Milestone.customer_graded, e, True)


def _person(state: DealState, name: str) -> Stakeholder:
    return state.stakeholders.setdefault(name, Stakeholder(name))


def _people_milestones(state: DealState, e: Entry, how: str) -> None:
    present = [p for p in state.stakeholders.values() if not p.left]
    _met(state, Milestone.insider_found, e, any(p.insider for p in present), how)
    _met(state, Milestone.key_person_engaged, e, any(p.key_person for p in present), how)


def _identified(state: DealState, e: Entry) -> None:
    p = _person(state, e.data["name"])
    p.role = Role(e.data.get("role") or "other")
    p.weight, p.left = e.data.get("weight"), False
    _people_milestones(state, e, "")


def _left(state: DealState, e: Entry) -> None:
    p = _person(state, e.data["name"])
    was_insider = state.is_met(Milestone.insider_found)
    p.left = True
    _people_milestones(state, e, "stakeholder left")
    if was_insider and not state.is_met(Milestone.insider_found):
        state.insider_left_at = e.occurred_at


def _insider(state: DealState, e: Entry) -> None:
    p = _person(state, e.data["name"])
    p.insider, p.left = True, False
    _people_milestones(state, e, "")
    state.insider_left_at = None


def _key_person(state: DealState, e: Entry) -> None:
    p = _person(state, e.data["name"])
    p.key_person, p.left = True, False
    _people_milestones(state, e, "")


def _activity(state: DealState, e: Entry) -> None:
    state.activities.append((e.occurred_at, e.data["kind"]))


def _shortlisted(state: DealState, e: Entry) -> None:
    state.shortlisted = True


def _influenced(state: DealState, e: Entry) -> None:
    state.criteria.extend(e.data["criteria"])
    _met(state, Milestone.standard_influenced, e, True)


def _tender(state: DealState, e: Entry) -> None:
    state.tender_due = e.data.get("due")


def _milestone_of(m: Milestone) -> Any:
    def apply(state: DealState, e: Entry) -> None:
        _met(state, m, e, True)

    return apply


def _signed(state: DealState, e: Entry) -> None:
    _met(state, Milestone.contract_signed, e, True)
    _outcome(state, e, Outcome.won)


def _advanced(state: DealState, e: Entry) -> None:
    _leave(state, e, "advanced")
    _enter(state, Stage(e.data["to_stage"]), e)
    state.last_move_at = e.occurred_at


def _forced(state: DealState, e: Entry) -> None:
    missing = tuple(Milestone(m) for m in e.data["missing"])
    _leave(state, e, "forced", missing)
    for m in missing:
        state.milestones[m].forced_past = True
    state.forced_advances.append(
        ForcedAdvance(
            Stage(e.data["from_stage"]),
            Stage(e.data["to_stage"]),
            missing,
            e.data["reason"],
            e.data["approved_by"],
            e.occurred_at,
            e.seq,
        )
    )
    _enter(state, Stage(e.data["to_stage"]), e)
    state.last_move_at = e.occurred_at


def _outcome(state: DealState, e: Entry, outcome: Outcome) -> None:
    state.outcome, state.outcome_at, state.outcome_seq = outcome, e.occurred_at, e.seq
    state.outcome_reason = e.data.get("reason")
    state.competitor = e.data.get("competitor")
    state.last_move_at = e.occurred_at
    if outcome.is_closed:
        _leave(state, e, outcome.value)


def _outcome_of(outcome: Outcome) -> Any:
    def apply(state: DealState, e: Entry) -> None:
        _outcome(state, e, outcome)

    return apply


def _nothing(state: DealState, e: Entry) -> None:
    """Facts kept for the record that change no state."""


_APPLY: dict[str, Any] = {
    "Opened": _opened,
    "CustomerStepObserved": _step,
    "AssessmentElementCollected": _collected,
    "Assessed": _assessed,
    "Graded": _graded,
    "StakeholderIdentified": _identified,
    "StakeholderLeft": _left,
    "InsiderFound": _insider,
    "KeyPersonEngaged": _key_person,
    "ActivityHeld": _activity,
    "ShortListed": _shortlisted,
    "StandardInfluenced": _influenced,
    "TenderReceived": _tender,
    "BidSubmitted": _milestone_of(Milestone.bid_submitted),
    "ContractApproved": _milestone_of(Milestone.contract_approved),
    "ContractSigned": _signed,
    "TrialEvaluated": _milestone_of(Milestone.trial_evaluated),
    "OilAnalysisFollowedUp": _milestone_of(Milestone.oil_analysis_followed_up),
    "StageAdvanced": _advanced,
    "StageForced": _forced,
    "Lost": _outcome_of(Outcome.lost),
    "Withdrawn": _outcome_of(Outcome.withdrawn),
    "Abandoned": _outcome_of(Outcome.abandoned),
    "Nurtured": _outcome_of(Outcome.nurture),
    "Reopened": _outcome_of(Outcome.open),
}

"""The coach's reading of a deal: alignment, what is missing, the next work,
and the risks, judged at a moment of business time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from domain.config import ProcessConfig
from domain.entries import Entry
from domain.events import DealEvent
from domain.fold import fold, retracted_seq
from domain.process import TIMELESS, stage_of, work_items
from domain.state import DealState
from domain.vocabulary import MILESTONES, Grade, Milestone, Outcome, Stage


@dataclass(frozen=True)
class Risk:
    """A stable code and a message for people."""

    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


def _ids(milestones: Sequence[Milestone]) -> str:
    return ", ".join(m.value for m in milestones)


def risks(state: DealState, config: ProcessConfig, at: datetime) -> list[Risk]:
    """Every risk of the deal at business time ``at``, in a fixed order."""
    found: list[Risk] = []
    for check in _CHECKS:
        risk = check(state, config, at)
        if risk is not None:
            found.append(risk)
    return found


def _forced_past(state: DealState, config: ProcessConfig, at: datetime) -> Risk | None:
    skipped = state.skipped_unmet
    if not skipped:
        return None
    return Risk(
        "forced_past_milestone",
        f"forced past {_ids(skipped)}, still unmet: each halves the win probability",
    )


def _unverified(state: DealState, config: ProcessConfig, at: datetime) -> Risk | None:
    unverified = state.unverified
    if not unverified:
        return None
    return Risk(
        "unverified_milestones",
        f"an imported history moved past {_ids(unverified)} with no evidence:"
        " record the evidence, or the process cannot vouch for them",
    )


def _no_insider(state: DealState, config: ProcessConfig, at: datetime) -> Risk | None:
    if state.stage.number > Stage.entry.number and not state.is_met(Milestone.insider_found):
        return Risk(
            "no_insider",
            f"in {state.stage.value} without an insider (insider_found unmet):"
            " nobody tells us how the customer decides",
        )
    return None


def price_fight_looms(state: DealState) -> bool:
    """In bidding or negotiation with the standard never influenced: the bid
    will be judged on price."""
    return state.stage in (Stage.bidding, Stage.negotiation) and not state.is_met(
        Milestone.standard_influenced
    )


def is_price_fight(state: DealState) -> bool:
    """Lost where a price fight looms: the standard was never influenced."""
    return state.outcome is Outcome.lost and price_fight_looms(state)


def _standard(state: DealState, config: ProcessConfig, at: datetime) -> Risk | None:
    if price_fight_looms(state):
        return Risk(
            "standard_not_influenced",
            f"in {state.stage.value} with standard_influenced unmet: expect a price fight",
        )
    return None


def _late_entry(state: DealState, config: ProcessConfig, at: datetime) -> Risk | None:
    expected = state.expected_stage
    if expected is not None and expected.number - state.stage.number >= 2:
        assert state.customer_step is not None
        return Risk(
            "late_entry",
            f"the customer is at {state.customer_step.value} ({expected.value}),"
            f" two or more stages past our {state.stage.value}: we came in late",
        )
    return None


def insider_lapsed(state: DealState) -> bool:
    """The last insider left, and insider_found is unmet since."""
    return state.insider_left_at is not None and not state.is_met(Milestone.insider_found)


def _insider_lost(state: DealState, config: ProcessConfig, at: datetime) -> Risk | None:
    if insider_lapsed(state):
        assert state.insider_left_at is not None
        return Risk(
            "insider_lost",
            f"the last insider left on {state.insider_left_at.date().isoformat()}:"
            " insider_found is unmet again",
        )
    return None


def _last_activity_or(state: DealState, fallback: datetime | None) -> datetime | None:
    return state.last_activity_at or fallback


def is_stalled(state: DealState, config: ProcessConfig, at: datetime) -> bool:
    """Open, with no activity entry (or, with none, since opening) for more than
    the stalled days at ``at``."""
    since = _last_activity_or(state, state.opened_at)
    limit = timedelta(days=config.risks.stalled_days)
    return state.outcome is Outcome.open and since is not None and at - since > limit


def _stalled(state: DealState, config: ProcessConfig, at: datetime) -> Risk | None:
    if not is_stalled(state, config, at):
        return None
    since = _last_activity_or(state, state.opened_at)
    assert since is not None
    return Risk(
        "stalled",
        f"no activity for {(at - since).days} days (more than {config.risks.stalled_days})",
    )


def _policy(state: DealState, config: ProcessConfig, at: datetime) -> Risk | None:
    grade = state.grade
    if grade is None or state.outcome is not Outcome.open:
        return None
    window = config.risks.policy_window_days
    if grade is not Grade.A and state.stage is not Stage.development:
        return Risk(
            "grade_policy_mismatch",
            f"a grade {grade.value} deal ({grade.engagement.value}) in"
            f" {state.stage.value}: only A deals run the full sales process",
        )
    recent = [t for t, _ in state.activities if at - timedelta(days=window) < t <= at]
    most = config.risks.max_activities_low_grade
    if grade in (Grade.C, Grade.D) and len(recent) > most:
        return Risk(
            "grade_policy_mismatch",
            f"{len(recent)} activities in {window} days on a grade {grade.value}"
            f" deal ({grade.engagement.value}): more than {most}",
        )
    since = _last_activity_or(state, state.graded_at)
    if grade is Grade.A and since is not None and at - since >= timedelta(days=window):
        return Risk(
            "grade_policy_mismatch",
            f"no activity for {(at - since).days} days on a grade A deal (pursue)",
        )
    return None


def assessment_failed(state: DealState) -> bool:
    """The latest assessment failed in the evaluation model."""
    return state.assessment is not None and not state.assessment["passed"]


def _failed_pursued(state: DealState, config: ProcessConfig, at: datetime) -> Risk | None:
    assessment = state.assessment
    if assessment is None or not assessment_failed(state):
        return None
    if state.outcome in (Outcome.abandoned, Outcome.nurture):
        return None
    failed_at: datetime = assessment["at"]
    forced = any(
        f.from_stage is Stage.development and f.at >= failed_at for f in state.forced_advances
    )
    active = any(t > failed_at for t, _ in state.activities)
    if forced or active:
        how = "forced out of development" if forced else "activities logged"
        return Risk(
            "assessment_failed_but_pursued",
            f"the latest assessment failed, yet the deal was pursued ({how})"
            " instead of being abandoned or nurtured",
        )
    return None


_CHECKS = (
    _forced_past,
    _unverified,
    _no_insider,
    _standard,
    _late_entry,
    _insider_lost,
    _stalled,
    _policy,
    _failed_pursued,
)


def loss_explanation(state: DealState) -> str:
    """Why the deal ended, in the process's terms, naming each milestone id it
    rests on once: the outcome, a price fight, each forced advance with who
    approved it, a lapsed insider, a failed assessment, then the milestones
    still missing that none of those named."""
    stage = state.stage
    if state.outcome is Outcome.lost:
        to = f" to {state.competitor}" if state.competitor else ""
        parts = [f"Lost at {stage.value} on {state.outcome_reason}{to}."]
    else:
        parts = [f"{state.outcome.value.capitalize()} at {stage.value}: {state.outcome_reason}."]
    named: set[Milestone] = set()
    if is_price_fight(state):
        parts.append(
            "Price fight: standard_influenced was never met, so the bid was judged on price."
        )
        named.add(Milestone.standard_influenced)
    for f in state.forced_advances:
        parts.append(
            f"Forced {f.from_stage.value} -> {f.to_stage.value} past {_ids(f.missing)}"
            f" (approved by {f.approved_by}: {f.reason})."
        )
        named.update(f.missing)
    if insider_lapsed(state):
        parts.append("insider_found lapsed: the last insider left.")
        named.add(Milestone.insider_found)
    if assessment_failed(state):
        parts.append("opportunity_assessed failed in the evaluation model.")
        named.add(Milestone.opportunity_assessed)
    rest = [m for m in state.missing_milestones if m not in named]
    if rest:
        also = "Also missing" if named else "Missing milestones"
        parts.append(f"{also}: {_ids(rest)}.")
    elif not state.missing_milestones:
        parts.append("Every milestone up to this stage was met.")
    return " ".join(parts)


def next_actions(state: DealState) -> list[dict[str, Any]]:
    """For each missing milestone, in stage order: its stage and its work items."""
    return [
        {"milestone": m.value, "stage": stage_of(m).value, "work_items": list(work_items(m))}
        for m in state.missing_milestones
    ]


def replay(entries: Sequence[Entry[DealEvent]], config: ProcessConfig) -> list[dict[str, Any]]:
    """The history in business-time order; after each entry, the stage, the
    milestones met so far and the diagnosis judged at that entry's time.

    The coach reads with everything known now: a retracted entry is listed,
    marked, and has no effect at any step; corrected details hold throughout.
    """
    ordered = sorted(entries, key=lambda e: (e.occurred_at, e.seq))
    timeless = [e for e in ordered if type(e.fact) in TIMELESS]
    retracted = {seq for e in timeless if (seq := retracted_seq(e)) is not None}
    steps = []
    for n, entry in enumerate(ordered):
        state = fold([*ordered[: n + 1], *timeless])
        steps.append(
            {
                "seq": entry.seq,
                "event": entry.event,
                "occurred_at": entry.occurred_at,
                "actor": entry.actor,
                "summary": entry.fact.summary(),
                "note": entry.note,
                "retracted": entry.seq in retracted,
                "stage": state.stage.value,
                "outcome": state.outcome.value,
                "milestones_met": [m.value for m in MILESTONES if state.is_met(m)],
                "diagnosis": diagnose(state, config, entry.occurred_at),
            }
        )
    return steps


def diagnose(state: DealState, config: ProcessConfig, at: datetime) -> dict[str, Any]:
    """The ``diagnose --json`` document (keys fixed by shared/cli.md)."""
    return {
        "key": state.key,
        "stage": state.stage.value,
        "customer_step": state.customer_step.value if state.customer_step else None,
        "expected_stage": state.expected_stage.value if state.expected_stage else None,
        "alignment": state.alignment.value,
        "missing_milestones": [m.value for m in state.missing_milestones],
        "next_actions": next_actions(state),
        "risks": [r.as_dict() for r in risks(state, config, at)],
    }

"""How a deal reads: the ``deal show`` document, one-line summaries of entries,
and the explanation of a loss in the process's terms."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.config import ProcessConfig
from domain.entries import Entry
from domain.state import DealState
from domain.vocabulary import MILESTONES, Milestone, Outcome, Stage


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 with an offset, or None."""
    return moment.isoformat() if moment is not None else None


def standing(state: DealState, config: ProcessConfig) -> dict[str, Any]:
    """Where the deal stands, in the ids that every view shares."""
    return {
        "stage": state.stage.value,
        "outcome": state.outcome.value,
        "grade": state.grade.value if state.grade else None,
        "engagement": state.engagement.value if state.engagement else None,
        "customer_step": state.customer_step.value if state.customer_step else None,
        "expected_stage": state.expected_stage.value if state.expected_stage else None,
        "alignment": state.alignment.value,
        "missing_milestones": [m.value for m in state.missing_milestones],
        "win_probability": state.win_probability(config)[0],
    }


def deal_document(state: DealState, config: ProcessConfig) -> dict[str, Any]:
    """The ``deal show --json`` document (keys fixed by shared/cli.md)."""
    explained = state.win_probability(config)[1]
    return {
        "key": state.key,
        "customer": state.customer,
        "title": state.title,
        "owner": state.owner,
        **standing(state, config),
        "milestones": {
            m.value: {
                "met": state.milestones[m].met,
                "at": iso(state.milestones[m].at),
                "forced_past": state.milestones[m].forced_past,
            }
            for m in MILESTONES
        },
        "forced_advances": [f.as_dict() for f in state.forced_advances],
        "win_probability_explained": explained,
        "stakeholders": [s.as_dict() for s in state.stakeholders.values()],
        "tender_expected": state.tender_expected,
        "stage_entered_at": iso(state.stage_entered_at),
        "opened_at": iso(state.opened_at),
        "version": state.version,
    }


def _names(items: Any) -> str:
    return ", ".join(str(i) for i in items)


def summary(entry: Entry) -> str:
    """A one-line human summary of an entry."""
    d = entry.data
    match entry.event:
        case "Opened":
            return f"opened {d['key']} for {d['customer']}: {d['title']} (owner {d['owner']})"
        case "CustomerStepObserved":
            return f"customer observed at {d['step']}"
        case "AssessmentElementCollected":
            return f"collected {d['element']}: {d['text']}"
        case "Assessed":
            verdict = "passed" if d["passed"] else "failed"
            ko = f", knocked out by {_names(d['knocked_out'])}" if d["knocked_out"] else ""
            return f"assessed: weighted mean {d['weighted_mean']:.2f}, {verdict}{ko}"
        case "Graded":
            if d["method"] == "manual":
                return f"graded {d['grade']} by hand: {d['reason']}"
            return (
                f"graded {d['grade']} (likelihood {d['likelihood']:g},"
                f" close by {d['close_by']}, {d['days']} days)"
            )
        case "StakeholderIdentified":
            return f"stakeholder {d['name']} ({d['role']})"
        case "StakeholderLeft":
            why = f": {d['reason']}" if d.get("reason") else ""
            return f"stakeholder {d['name']} left{why}"
        case "InsiderFound":
            return f"insider found: {d['name']}"
        case "KeyPersonEngaged":
            return f"key person engaged: {d['name']}"
        case "ActivityHeld":
            who = f" with {d['with_whom']}" if d.get("with_whom") else ""
            res = f": {d['result']}" if d.get("result") else ""
            return f"{d['kind']}{who}{res}"
        case "ShortListed":
            return "short-listed as a candidate supplier"
        case "StandardInfluenced":
            return f"procurement standard influenced: {_names(d['criteria'])}"
        case "TenderReceived":
            due = f", due {d['due']}" if d.get("due") else ""
            return f"tender document received{due}"
        case "BidSubmitted":
            kind = "negotiated bid" if d["negotiated"] else "bid"
            margin = f", margin {d['margin']:g}" if d.get("margin") is not None else ""
            return f"{kind} submitted at {d['price']}{margin}"
        case "ContractApproved":
            return "contract approved"
        case "ContractSigned":
            value = f" for {d['value']}" if d.get("value") else ""
            return f"contract signed{value}: won"
        case "TrialEvaluated":
            return f"trial evaluated: {d['result']}"
        case "OilAnalysisFollowedUp":
            return f"oil analysis followed up: {d['result']}"
        case "StageAdvanced":
            return f"advanced {d['from_stage']} -> {d['to_stage']}"
        case "StageForced":
            return (
                f"forced {d['from_stage']} -> {d['to_stage']} skipping"
                f" {_names(d['missing'])} (approved by {d['approved_by']}: {d['reason']})"
            )
        case "Lost":
            to = f" to {d['competitor']}" if d.get("competitor") else ""
            return f"lost on {d['reason']}{to}"
        case "Withdrawn" | "Abandoned" | "Nurtured" | "Reopened":
            return f"{entry.event.lower()}: {d['reason']}"
        case "EntryRetracted":
            return f"retracted entry {d['seq']}: {d['reason']}"
    return entry.event


def is_price_fight(state: DealState) -> bool:
    """Lost at bidding or negotiation with the standard never influenced."""
    return (
        state.outcome is Outcome.lost
        and state.stage in (Stage.bidding, Stage.negotiation)
        and not state.is_met(Milestone.standard_influenced)
    )


def loss_explanation(state: DealState) -> str:
    """Why the deal ended, in the process's terms, naming the milestone ids."""
    stage = state.stage
    missing = [m.value for m in state.missing_milestones]
    parts: list[str] = []
    if state.outcome is Outcome.lost:
        to = f" to {state.competitor}" if state.competitor else ""
        parts.append(f"Lost at {stage.value} on {state.outcome_reason}{to}.")
    else:
        parts.append(
            f"{state.outcome.value.capitalize()} at {stage.value}: {state.outcome_reason}."
        )
    if is_price_fight(state):
        parts.append(
            "Price fight: standard_influenced was never met, so the bid was judged on price."
        )
    for f in state.forced_advances:
        parts.append(
            f"Forced {f.from_stage.value} -> {f.to_stage.value} past"
            f" {_names(m.value for m in f.missing)}."
        )
    if state.insider_left_at is not None and not state.is_met(Milestone.insider_found):
        parts.append("insider_found lapsed: the last insider left.")
    assessment = state.assessment
    if assessment is not None and not assessment["passed"]:
        parts.append("opportunity_assessed failed in the evaluation model.")
    if missing:
        parts.append(f"Missing milestones: {_names(missing)}.")
    else:
        parts.append("Every milestone up to this stage was met.")
    return " ".join(parts)

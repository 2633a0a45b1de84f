"""Unverified milestones: those a CRM's imported history moved past with no
evidence (shared/import.md). Not met and not forced past; met, and so
verified, once their evidence is recorded."""

from __future__ import annotations

from domain.process import milestones_of
from domain.state import DealState
from domain.vocabulary import STAGES, Milestone, Stage


def passed(state: DealState, milestones: list[str]) -> None:
    """An import moved past these milestones: unverified unless their
    evidence came first (a back-dated entry recorded later)."""
    for name in milestones:
        status = state.milestones[Milestone(name)]
        if not status.met:
            status.unverified = True


def moved_back(state: DealState, from_stage: Stage, to_stage: Stage) -> None:
    """Moved back: the milestones of that stage and after are ahead again,
    not passed (unmet, and the gate asks for them as ever)."""
    if to_stage.number >= from_stage.number:
        return
    for stage in STAGES[to_stage.number - 1 :]:
        for m in milestones_of(stage):
            state.milestones[m].unverified = False

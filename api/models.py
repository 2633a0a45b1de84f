"""The shapes of the API's answers, for its OpenAPI document.

The documents themselves are made by ``projections.documents`` (the same as
the command line's ``--json``); these models describe them to clients and to
the schema-driven test, and are never used to build them. Ids are the
vocabulary's, so a client can generate exhaustive switches from them.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from domain.vocabulary import (
    Alignment,
    Engagement,
    Grade,
    Milestone,
    Outcome,
    Role,
    Stage,
)


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MilestoneState(_Doc):
    met: bool
    at: str | None
    forced_past: bool
    verified: bool = Field(
        description="False only for a milestone an imported history moved past with no evidence."
    )


class ForcedAdvance(_Doc):
    from_: Stage = Field(alias="from")
    to: Stage
    missing: list[Milestone]
    reason: str
    approved_by: str
    at: str


class Stakeholder(_Doc):
    name: str
    role: Role
    weight: float | None
    insider: bool
    key_person: bool
    left: bool


class RecentEntry(_Doc):
    seq: int
    event: str
    occurred_at: str
    recorded_at: str
    actor: str
    summary: str
    note: str | None
    retracted: bool


class Standing(_Doc):
    stage: Stage
    outcome: Outcome
    grade: Grade | None
    engagement: Engagement | None
    customer_step: str | None
    expected_stage: Stage | None
    alignment: Alignment
    missing_milestones: list[Milestone]
    win_probability: float


class Deal(Standing):
    """``deal show --json``: where the deal stands; ``version`` is its ETag."""

    key: str
    customer: str
    title: str
    owner: str
    win_probability_explained: str
    value: str | None = Field(description="What the deal is worth, two decimals, or null.")
    currency: str
    milestones: dict[Milestone, MilestoneState]
    forced_advances: list[ForcedAdvance]
    stakeholders: list[Stakeholder]
    tender_expected: str | None
    stage_entered_at: str | None
    opened_at: str | None
    version: int
    time_zone: str
    recent_entries: list[RecentEntry]


class AuditRow(_Doc):
    """One entry of the deal's history (``audit --json``)."""

    seq: int
    event: str
    occurred_at: str
    recorded_at: str
    actor: str
    stage: Stage
    summary: str
    data: dict[str, Any]
    retracted: bool
    note: str | None
    source: str | None = Field(
        description="The CRM an imported entry came from (salesforce, hubspot); null if none."
    )


class Written(_Doc):
    """What a write answers: the new entry, and the deal after it."""

    entry: AuditRow
    deal: Deal


class PipelineRow(Standing):
    """One deal of ``pipeline --json``."""

    key: str
    customer: str
    title: str
    owner: str
    forced_count: int
    value: str | None
    days_in_stage: int
    stage_entered_at: str
    tender_expected: str | None
    last_activity_at: str | None


class LossRow(_Doc):
    key: str
    outcome: Outcome
    stage: Stage
    reason: str | None
    competitor: str | None
    missing_milestones: list[Milestone]
    forced_advances: list[ForcedAdvance]
    value: str | None
    explanation: str


class Action(_Doc):
    milestone: Milestone
    stage: Stage
    work_items: list[str]


class Risk(_Doc):
    code: str
    message: str


class Diagnosis(_Doc):
    """``diagnose --json``: the coach's reading."""

    model_config = ConfigDict(extra="allow")
    key: str
    stage: Stage
    customer_step: str | None
    expected_stage: Stage | None
    alignment: Alignment
    missing_milestones: list[Milestone]
    next_actions: list[Action]
    risks: list[Risk]


class ReplayStep(_Doc):
    seq: int
    event: str
    occurred_at: str
    stage: Stage
    diagnosis: Diagnosis
    retracted: bool
    outcome: Outcome
    milestones_met: list[Milestone]
    actor: str
    summary: str
    note: str | None


class MovementDeal(_Doc):
    key: str
    movements: list[str]
    stage_at_start: Stage | None
    stage_at_end: Stage | None
    outcome_at_start: Outcome | None
    outcome_at_end: Outcome | None


class Movement(_Doc):
    """``movement --json``: the window, the open deals at each end, the totals."""

    from_: str = Field(alias="from")
    to: str
    open_at_start: int
    open_at_end: int
    totals: dict[str, int]
    deals: list[MovementDeal]


class Quarantined(_Doc):
    model_config = ConfigDict(extra="allow")
    key: str
    seq: int | None = None
    event: str | None = None
    reason: str | None = None


class ProjectionStatus(_Doc):
    name: str
    position: int
    head: int
    lag: int
    quarantined: list[Quarantined]


class Health(_Doc):
    status: str


class Ready(_Doc):
    status: str
    position: int
    head: int
    lag: int


class FieldError(_Doc):
    field: str | None
    message: str


class Problem(_Doc):
    """An error, as RFC 9457 problem details; ``code`` is stable, branch on it."""

    model_config = ConfigDict(extra="allow")
    type: str
    title: str
    status: int
    detail: str
    code: str
    unmet: list[Milestone] | None = None
    current_version: int | None = None
    errors: list[FieldError] | None = None

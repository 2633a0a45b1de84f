"""The shapes of the reports' answers (shared/reports.md), for the OpenAPI
document; the documents are made by ``projections.reports``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from domain.vocabulary import Grade, Milestone, Outcome, Stage

Money = str | None


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Report(_Doc):
    report: str
    from_: str = Field(alias="from", description="The window's first day.")
    to: str = Field(description="The window's last day.")
    owner: str | None
    grade: Grade | None
    currency: str


class FunnelStage(_Doc):
    stage: Stage
    entered: int
    advanced: int
    forced: int
    imported: int = Field(description="Left it by a CRM's imported stage change.")
    closed_here: int
    open_here: int
    won_here: int
    conversion: float | None
    forced_share: float | None
    reached_from_start: float | None


class Funnel(_Report):
    stages: list[FunnelStage]


class Rate(_Doc):
    closed: int
    won: int
    rate: float | None
    low: float | None = Field(description="Wilson 95 % interval, low end.")
    high: float | None = Field(description="Wilson 95 % interval, high end.")


class Discipline(_Doc):
    stage: Stage
    met: Rate
    forced_past: Rate
    lift: float | None = Field(description="met rate - forced_past rate.")


class WinRates(_Report):
    overall: Rate
    by_grade: dict[str, Rate]
    by_owner: dict[str, Rate]
    by_milestone: dict[Milestone, Discipline]


class StageTimes(_Doc):
    stage: Stage
    stays: int
    mean_days: float | None
    median_days: float | None
    p75_days: float | None
    p90_days: float | None
    open_stays: int
    open_median_days: float | None


class TimeInStage(_Report):
    stages: list[StageTimes]


class VelocityFigures(_Doc):
    open_deals: int
    open_value: Money
    won: int
    avg_won_value: Money
    win_rate: float | None
    avg_cycle_days: float | None
    velocity_per_day: Money


class OwnerVelocity(VelocityFigures):
    owner: str


class Velocity(_Report):
    """The figures, or with ``by_owner`` one row per owner under ``owners``."""

    open_deals: int | None = None
    open_value: Money = None
    won: int | None = None
    avg_won_value: Money = None
    win_rate: float | None = None
    avg_cycle_days: float | None = None
    velocity_per_day: Money = None
    owners: list[OwnerVelocity] | None = None


class LossGroup(_Doc):
    stage: Stage
    outcome: Outcome
    reason: str
    deals: int
    price_fights: int


class StageTotal(_Doc):
    stage: Stage
    deals: int
    price_fights: int


class LossesByStage(_Report):
    rows: list[LossGroup]
    totals: list[StageTotal]


class Amount(_Doc):
    deals: int
    value: str


class Waterfall(_Report):
    start: Amount
    end: Amount
    new: Amount
    reopened: Amount
    increased: Amount
    decreased: Amount
    won: Amount
    lost: Amount
    nurtured: Amount


MODELS: dict[str, type[_Report]] = {
    "funnel": Funnel,
    "win-rates": WinRates,
    "time-in-stage": TimeInStage,
    "velocity": Velocity,
    "losses-by-stage": LossesByStage,
    "waterfall": Waterfall,
}

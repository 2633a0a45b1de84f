"""The process configuration: built-in TOML defaults, overridable by a user file."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from domain.errors import InputError
from domain.vocabulary import AssessmentFactor, Grade, Stage


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class EvaluationModel(_Frozen):
    """The company's evaluation model (评估模型)."""

    pass_mean: float = Field(ge=1, le=5)
    knockout_factors: tuple[AssessmentFactor, ...]
    knockout_score: int = Field(ge=1, le=5)
    weights: dict[AssessmentFactor, float]

    @field_validator("weights")
    @classmethod
    def _positive(cls, v: dict[AssessmentFactor, float]) -> dict[AssessmentFactor, float]:
        if not v or any(w <= 0 for w in v.values()):
            raise ValueError("every weight must be positive and at least one factor given")
        return v

    @property
    def required_factors(self) -> tuple[AssessmentFactor, ...]:
        """Factors the model scores; an assessment must give all of them."""
        return tuple(f for f in AssessmentFactor if f in self.weights)

    def assess(self, scores: Mapping[AssessmentFactor, int]) -> dict[str, Any]:
        """The assessment of ``scores``: the scores and weights used, the
        weighted mean, the pass mark, the verdict and the knock-outs (what an
        ``Assessed`` event stores, so a later change of model rewrites nothing)."""
        required = self.required_factors
        missing = [f.value for f in required if f not in scores]
        if missing:
            raise InputError(f"the evaluation model requires {', '.join(missing)}")
        mean = sum(self.weights[f] * scores[f] for f in required) / sum(
            self.weights[f] for f in required
        )
        knocked = [
            f.value
            for f in self.knockout_factors
            if f in scores and scores[f] <= self.knockout_score
        ]
        return {
            "scores": {f.value: int(scores[f]) for f in required},
            "weights": {f.value: self.weights[f] for f in required},
            "weighted_mean": round(mean, 4),
            "pass_mean": self.pass_mean,
            "passed": mean >= self.pass_mean and not knocked,
            "knocked_out": knocked,
        }


class GradeBand(_Frozen):
    """The least likelihood and the most days to close for a grade."""

    min_likelihood: float = Field(ge=0, le=1)
    max_days: int | None = Field(default=None, ge=0)


class GradingRule(_Frozen):
    """Grades A, B, C by band; whatever meets none is D."""

    A: GradeBand
    B: GradeBand
    C: GradeBand

    def grade(self, likelihood: float, graded_on: date, close_by: date) -> Grade:
        """Apply the rule, counting whole days from the grading's own date."""
        days = (close_by - graded_on).days
        for grade, band in ((Grade.A, self.A), (Grade.B, self.B), (Grade.C, self.C)):
            if likelihood >= band.min_likelihood and (
                band.max_days is None or days <= band.max_days
            ):
                return grade
        return Grade.D

    def why(self, grade: Grade, likelihood: float, days: int) -> str:
        """The rule's line that gave ``grade`` to a likelihood and days to close."""
        given = f"likelihood {likelihood:g}, {days} days to close"
        if grade is Grade.D:
            least = self.C.min_likelihood
            return f"{given}: D, as it meets none of A, B, C (C needs likelihood >= {least:g})"
        band: GradeBand = getattr(self, grade.value)
        most = f" and at most {band.max_days} days" if band.max_days is not None else ""
        return f"{given}: {grade.value} needs likelihood >= {band.min_likelihood:g}{most}"


class WinProbability(_Frozen):
    """base(stage) x skip_factor ** (skipped milestones still unmet)."""

    skip_factor: float = Field(gt=0, le=1)
    base: dict[Stage, float]

    @field_validator("base")
    @classmethod
    def _every_stage(cls, v: dict[Stage, float]) -> dict[Stage, float]:
        missing = [s.value for s in Stage if s not in v]
        if missing:
            raise ValueError(f"base probability missing for {', '.join(missing)}")
        if any(not 0 <= p <= 1 for p in v.values()):
            raise ValueError("base probabilities must lie in 0..1")
        return v


class RiskThresholds(_Frozen):
    """Thresholds of the coach's risk rules."""

    stalled_days: int = Field(ge=1)
    policy_window_days: int = Field(ge=1)
    max_activities_low_grade: int = Field(ge=0)


class ProcessConfig(_Frozen):
    """Every number of the process that the article leaves to us."""

    time_zone: str
    #: The one currency of every amount (ISO 4217), shown beside values.
    currency: str = "CNY"
    evaluation: EvaluationModel
    grading: GradingRule
    win_probability: WinProbability
    risks: RiskThresholds

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {v!r}") from exc
        return v

    @field_validator("currency")
    @classmethod
    def _currency_code(cls, v: str) -> str:
        if not (len(v) == 3 and v.isascii() and v.isalpha() and v.isupper()):
            raise ValueError(f"currency must be an ISO 4217 code of three capitals, not {v!r}")
        return v

    @property
    def tz(self) -> ZoneInfo:
        """The configured time zone."""
        return ZoneInfo(self.time_zone)


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(merged.get(k), dict) and k != "weights":
            merged[k] = _merge(merged[k], v)
        else:
            merged[k] = v
    return merged


def default_toml() -> dict[str, Any]:
    """The defaults shipped inside the package."""
    text = resources.files("domain").joinpath("defaults.toml").read_text("utf-8")
    return tomllib.loads(text)


def load_config(path: Path | None = None, zone: str = "UTC") -> ProcessConfig:
    """Defaults, overridden key by key by the TOML file at ``path`` if given;
    the time zone is ``zone`` unless the file sets ``time_zone``.

    A user's ``[evaluation.weights]`` table replaces the default one whole: it
    says which factors the model scores.
    """
    data = default_toml()
    if path is not None:
        try:
            data = _merge(data, tomllib.loads(path.read_text("utf-8")))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise InputError(f"cannot read config {path}: {exc}") from exc
    data.setdefault("time_zone", zone)
    try:
        return ProcessConfig.model_validate(data)
    except ValidationError as exc:
        raise InputError(f"invalid config {path or 'defaults'}: {_problems(exc)}") from exc


def _problems(error: ValidationError) -> str:
    """Each problem of a configuration as its key and what is allowed there."""
    parts = []
    for e in error.errors(include_url=False):
        key = ".".join(str(p) for p in e["loc"])
        message = e["msg"].removeprefix("Value error, ")
        parts.append(f"{key}: {message} (got {e['input']!r})" if key else message)
    return "; ".join(parts)

"""Helpers that enter deals through the application service, tersely; and
the seeded synthetic deals of ``domain.synthetic`` (what the benchmarks under
bench/ generate too)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from domain import commands as c
from domain.application import SalesProcess
from domain.synthetic import END, START, generate, one_deal
from domain.vocabulary import (
    AssessmentFactor,
)

_MODELS: dict[str, type[c.Command]] = {
    "open_deal": c.OpenDeal,
    "observe_step": c.ObserveStep,
    "collect": c.Collect,
    "assess": c.Assess,
    "grade": c.GradeDeal,
    "identify_stakeholder": c.IdentifyStakeholder,
    "stakeholder_left": c.StakeholderLeaves,
    "find_insider": c.NamePerson,
    "engage": c.NamePerson,
    "activity": c.HoldActivity,
    "shortlist": c.Shortlist,
    "influence": c.Influence,
    "tender": c.ReceiveTender,
    "estimate": c.EstimateValue,
    "bid": c.SubmitBid,
    "approve_contract": c.Plain,
    "sign": c.Sign,
    "trial": c.Result,
    "oil_analysis": c.Result,
    "advance": c.Plain,
    "force": c.Force,
    "lose": c.Lose,
    "withdraw": c.Reasoned,
    "abandon": c.Reasoned,
    "nurture": c.Reasoned,
    "reopen": c.Reasoned,
    "retract": c.Retract,
    "correct": c.CorrectDetails,
}
PASSING = {f.value: 4 for f in AssessmentFactor}


def t(text: str) -> datetime:
    """A UTC moment from '2026-07-01' or '2026-07-01T10:00'."""
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def do(process: SalesProcess, command: str, key: str, at: str, **fields: Any) -> Any:
    """Run one command through the service, as ``tester``."""
    model = _MODELS[command]
    cmd = model.model_validate({**fields, "key": key, "at": t(at), "by": "tester"})
    return getattr(process, command)(cmd)


def open_deal(process: SalesProcess, key: str, at: str = "2026-07-01") -> None:
    do(process, "open_deal", key, at, customer="Ningxia plant", title="Gear oils")


def developed(process: SalesProcess, key: str, at: str = "2026-07-02") -> None:
    """Assessed (passed) and graded A: development's milestones met."""
    do(process, "assess", key, at, scores=PASSING)
    do(process, "grade", key, at, likelihood=0.8, close_by="2026-09-01")


def walk_to_bidding(process: SalesProcess, key: str, *, influence: bool = True) -> None:
    """Open and walk a deal to bidding by the gates (or forced past the standard)."""
    open_deal(process, key)
    developed(process, key)
    do(process, "advance", key, "2026-07-03")
    do(process, "find_insider", key, "2026-07-04", name="Wang")
    do(process, "engage", key, "2026-07-05", name="Zhao")
    do(process, "advance", key, "2026-07-06")
    if influence:
        do(process, "influence", key, "2026-07-07", criteria=["drain interval"])
        do(process, "advance", key, "2026-07-08")
    else:
        do(process, "force", key, "2026-07-08", reason="tender early", approved_by="chen")


__all__ = ["END", "START", "generate", "one_deal"]

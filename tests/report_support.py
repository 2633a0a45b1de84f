"""The reports' scripted deals, worked out by hand in tests/test_reports.py,
and a way to run a report in-process."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from cli.context import Salesflow
from domain.application import SalesProcess
from projections.reports.build import ReportOptions, run
from tests.support import PASSING, do

#: The window the scripted figures are worked out for.
WINDOW = {"from": "2026-01-01", "to": "2026-11-30"}
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def report(flow: Salesflow, name: str, **options: Any) -> dict[str, Any]:
    """A report's document, run as the CLI and the API run it."""
    given = {**WINDOW, **options}
    return run(name, flow.fresh(), flow.settings.config, ReportOptions.model_validate(given), NOW)


def _open(p: SalesProcess, key: str, at: str, owner: str, value: int | None = None) -> None:
    fields: dict[str, Any] = {"customer": f"Customer {key}", "title": "Oils", "owner": owner}
    if value is not None:
        fields["value"] = value
    do(p, "open_deal", key, at, **fields)


def _developed(p: SalesProcess, key: str, at: str, grade: str = "A") -> None:
    do(p, "assess", key, at, scores=PASSING)
    if grade == "A":
        do(p, "grade", key, at, likelihood=0.8, close_by=f"{at[:8]}28")  # soon: A
    else:
        do(p, "grade", key, at, grade=grade, reason="a smaller plant")


def _to_proposal(p: SalesProcess, key: str, month: str) -> None:
    """Developed on day 2, entry on day 3, insider and key person, proposal on day 6."""
    _developed(p, key, f"2026-{month}-02")
    do(p, "advance", key, f"2026-{month}-03")
    do(p, "find_insider", key, f"2026-{month}-04", name="Wang")
    do(p, "engage", key, f"2026-{month}-05", name="Zhao")
    do(p, "advance", key, f"2026-{month}-06")


def scripted(p: SalesProcess) -> None:
    """Six deals (S-A .. S-F): one won, one lost after a forced advance, one
    nurtured and reopened, one open from last year, one abandoned, one withdrawn."""
    _open(p, "S-A", "2026-02-01", "li.wei", 100000)
    _to_proposal(p, "S-A", "02")
    do(p, "influence", "S-A", "2026-02-07", criteria=["drain interval"])
    do(p, "advance", "S-A", "2026-02-08")
    do(p, "bid", "S-A", "2026-02-10", price=120000)
    do(p, "advance", "S-A", "2026-02-12")
    do(p, "approve_contract", "S-A", "2026-02-14")
    do(p, "sign", "S-A", "2026-02-15", value=130000)

    _open(p, "S-B", "2026-03-01", "xiao.zhang", 200000)
    _to_proposal(p, "S-B", "03")
    do(p, "force", "S-B", "2026-03-08", reason="tender early", approved_by="director.chen")
    do(p, "lose", "S-B", "2026-03-20", reason="price", competitor="Rival")

    _open(p, "S-C", "2026-04-01", "li.wei")
    _developed(p, "S-C", "2026-04-02")
    do(p, "estimate", "S-C", "2026-04-05", value=50000)
    do(p, "nurture", "S-C", "2026-04-10", reason="budget frozen")
    do(p, "reopen", "S-C", "2026-04-20", reason="budget found")
    do(p, "estimate", "S-C", "2026-04-25", value=80000)

    _open(p, "S-D", "2025-06-01", "xiao.zhang", 300000)
    do(p, "estimate", "S-D", "2026-05-01", value=250000)

    _open(p, "S-E", "2026-05-01", "xiao.zhang", 10000)
    do(p, "abandon", "S-E", "2026-05-10", reason="too small")

    _open(p, "S-F", "2026-06-01", "li.wei", 40000)
    _developed(p, "S-F", "2026-06-02", grade="B")
    do(p, "advance", "S-F", "2026-06-03")
    do(p, "withdraw", "S-F", "2026-06-15", reason="standard against us")

"""The README's SQL, one query per report over the report views, gives the
same figures as ``salesflow report`` on generated data, on both stores (the
time-in-stage query, with its percentile_cont, on PostgreSQL)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from cli.context import Salesflow
from projections.reports import REPORTS
from projections.reports.sql import FROM, POSTGRES_ONLY, QUERIES, TO
from tests.conftest import cli_json
from tests.support import generate

WINDOWS = (("2024-01-01", "2024-12-31"), ("2025-04-01", "2026-03-31"))


def _sql(flow: Salesflow, name: str, first: str, last: str) -> list[dict[str, Any]]:
    read = flow.fresh()
    start = datetime.combine(date.fromisoformat(first), time.min, UTC).isoformat()
    end = datetime.combine(date.fromisoformat(last), time.max, UTC).isoformat()
    text = QUERIES[name].replace(FROM, f"'{start}'").replace(TO, f"'{end}'")
    text = re.sub(r"\breport_\w+", lambda m: read.qualified(m.group()), text)
    return read.query(text.replace("%", "%%"))


def _near(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(Decimal(str(a)) - Decimal(str(b))) < Decimal("0.011")


@pytest.fixture
def generated(flow: Salesflow) -> Salesflow:
    generate(flow.process, 5000, seed=21, batch=100)
    return flow


def test_the_readme_shows_every_query() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    assert set(QUERIES) == set(REPORTS)
    for name, text in QUERIES.items():
        assert text in readme, name


def test_the_sql_gives_the_reports_figures(generated: Salesflow) -> None:
    flow = generated
    for first, last in WINDOWS:
        docs = {n: cli_json(flow, "report", n, "--from", first, "--to", last) for n in REPORTS}

        funnel = {r["stage"]: r for r in docs["funnel"]["stages"]}
        rows = _sql(flow, "funnel", first, last)
        assert rows and sum(int(r["entered"]) for r in rows) > 0
        for r in rows:
            assert {k: int(v) for k, v in r.items() if k != "stage"} == {
                k: funnel[r["stage"]][k]
                for k in (
                    "entered",
                    "advanced",
                    "forced",
                    "imported",
                    "closed_here",
                    "open_here",
                    "won_here",
                )
            }

        w = docs["win-rates"]
        got = {
            (r["part"], r["name"]): (int(r["closed"] or 0), int(r["won"] or 0))
            for r in _sql(flow, "win-rates", first, last)
        }
        assert got[("overall", "")] == (w["overall"]["closed"], w["overall"]["won"])
        for part in ("by_grade", "by_owner"):
            for name, figures in w[part].items():
                assert got.get((part, name), (0, 0)) == (figures["closed"], figures["won"])
        for m, figures in w["by_milestone"].items():
            for side in ("met", "forced_past"):
                assert got.get((side, m), (0, 0)) == (figures[side]["closed"], figures[side]["won"])

        (v,) = _sql(flow, "velocity", first, last)
        doc = docs["velocity"]
        assert (int(v["open_deals"]), int(v["won"])) == (doc["open_deals"], doc["won"])
        assert _near(v["open_value"], doc["open_value"]) and _near(
            v["avg_won_value"], doc["avg_won_value"]
        )
        assert _near(v["avg_cycle_days"], doc["avg_cycle_days"])
        assert doc["win_rate"] == round(int(v["won"]) / int(v["closed"]), 4)

        losses = [
            {
                "stage": r["stage"],
                "outcome": r["outcome"],
                "reason": r["reason"],
                "deals": int(r["deals"]),
                "price_fights": int(r["price_fights"]),
            }
            for r in _sql(flow, "losses-by-stage", first, last)
        ]
        assert losses == docs["losses-by-stage"]["rows"] and losses

        fall = docs["waterfall"]
        for r in _sql(flow, "waterfall", first, last):
            assert int(r["deals"]) == fall[r["movement"]]["deals"], r
            assert _near(r["value"], fall[r["movement"]]["value"]), r

        if flow.settings.store.kind == "postgresql":
            times = {r["stage"]: r for r in docs["time-in-stage"]["stages"]}
            for r in _sql(flow, "time-in-stage", first, last):
                mine = times[r["stage"]]
                assert (int(r["stays"]), int(r["open_stays"])) == (
                    mine["stays"],
                    mine["open_stays"],
                )
                for k in ("mean_days", "median_days", "p75_days", "p90_days", "open_median_days"):
                    assert _near(r[k], mine[k]), (r["stage"], k)
        else:
            assert "time-in-stage" in POSTGRES_ONLY

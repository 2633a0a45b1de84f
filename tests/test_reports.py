"""The six reports of shared/reports.md on six scripted deals whose figures
are worked out by hand here (tests/report_support.py tells the deals'
stories), on both stores. Window: 2026-01-01 .. 2026-11-30, UTC."""

from __future__ import annotations

from typing import Any

import pytest

from cli.context import Salesflow
from projections.reports.money import balance
from tests.report_support import report, scripted


@pytest.fixture
def deals(flow: Salesflow) -> Salesflow:
    scripted(flow.process)
    return flow


def _by_stage(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["stage"]: row for row in doc["stages"]}


def test_the_funnel_counts_the_cohort_opened_in_the_window(deals: Salesflow) -> None:
    # S-D was opened in 2025: not of the cohort.
    f = _by_stage(report(deals, "funnel"))
    assert f["development"] == {
        "stage": "development",
        "entered": 5,  # A B C E F
        "advanced": 3,  # A B F
        "forced": 0,
        "imported": 0,
        "closed_here": 1,  # E abandoned
        "open_here": 1,  # C, reopened
        "won_here": 0,
        "conversion": 0.6,
        "forced_share": 0.0,
        "reached_from_start": 1.0,
    }
    assert [f["entry"][k] for k in ("entered", "advanced", "closed_here")] == [3, 2, 1]
    assert (f["entry"]["conversion"], f["entry"]["reached_from_start"]) == (0.6667, 0.6)
    # B was forced past standard_influenced: half of those that left proposal.
    assert [f["proposal"][k] for k in ("entered", "advanced", "forced")] == [2, 1, 1]
    assert (f["proposal"]["conversion"], f["proposal"]["forced_share"]) == (1.0, 0.5)
    assert [f["bidding"][k] for k in ("entered", "advanced", "closed_here")] == [2, 1, 1]
    assert f["negotiation"]["won_here"] == 1 and f["negotiation"]["forced_share"] is None
    assert f["negotiation"]["reached_from_start"] == 0.2
    assert f["implementation"]["entered"] == 0 and f["implementation"]["conversion"] is None


def test_the_funnel_by_owner_and_grade(deals: Salesflow) -> None:
    mine = _by_stage(report(deals, "funnel", owner="li.wei"))  # A C F
    assert [mine["development"][k] for k in ("entered", "advanced", "open_here")] == [3, 2, 1]
    graded_b = _by_stage(report(deals, "funnel", grade="B"))  # F
    assert [graded_b["entry"][k] for k in ("entered", "closed_here")] == [1, 1]
    assert graded_b["development"]["entered"] == 1


def test_the_funnel_of_another_window(deals: Salesflow) -> None:
    f = _by_stage(report(deals, "funnel", **{"from": "2025-01-01", "to": "2025-12-31"}))
    assert f["development"]["entered"] == 1 and f["development"]["open_here"] == 1  # D


def test_win_rates_overall_by_grade_and_by_owner(deals: Salesflow) -> None:
    w = report(deals, "win-rates")
    # A won, B lost, F withdrawn; E was abandoned (never competed): not counted.
    assert w["overall"] == {"closed": 3, "won": 1, "rate": 0.3333, "low": 0.0615, "high": 0.7923}
    assert w["by_grade"]["A"] == {"closed": 2, "won": 1, "rate": 0.5, "low": 0.0945, "high": 0.9055}
    assert w["by_grade"]["B"]["closed"] == 1 and w["by_grade"]["B"]["rate"] == 0.0
    assert w["by_grade"]["C"] == {"closed": 0, "won": 0, "rate": None, "low": None, "high": None}
    assert w["by_owner"]["li.wei"]["closed"] == 2 and w["by_owner"]["li.wei"]["won"] == 1
    assert w["by_owner"]["xiao.zhang"] == {
        "closed": 1,
        "won": 0,
        "rate": 0.0,
        "low": 0.0,
        "high": 0.7935,
    }


def test_win_rates_by_milestone_discipline(deals: Salesflow) -> None:
    m = report(deals, "win-rates")["by_milestone"]
    assert "contract_signed" not in m and "trial_evaluated" not in m
    # A, B and F left development with both of its milestones met.
    assert m["opportunity_assessed"]["met"]["closed"] == 3
    assert m["customer_graded"]["forced_past"]["closed"] == 0
    assert m["customer_graded"]["lift"] is None
    assert m["insider_found"]["met"] == {
        "closed": 2,
        "won": 1,
        "rate": 0.5,
        "low": 0.0945,
        "high": 0.9055,
    }
    # A met the standard and won; B was forced past it and lost.
    s = m["standard_influenced"]
    assert s["stage"] == "proposal"
    assert s["met"] == {"closed": 1, "won": 1, "rate": 1.0, "low": 0.2065, "high": 1.0}
    assert s["forced_past"] == {"closed": 1, "won": 0, "rate": 0.0, "low": 0.0, "high": 0.7935}
    assert s["lift"] == 1.0
    assert m["bid_submitted"]["met"]["closed"] == 1
    assert m["contract_approved"]["met"]["closed"] == 0  # A is won, still in negotiation


def test_win_rates_by_owner_only(deals: Salesflow) -> None:
    w = report(deals, "win-rates", owner="xiao.zhang")
    assert w["overall"]["closed"] == 1 and list(w["by_owner"]) == ["xiao.zhang"]
    assert w["by_milestone"]["standard_influenced"]["forced_past"]["closed"] == 1


def test_time_in_stage(deals: Salesflow) -> None:
    t = _by_stage(report(deals, "time-in-stage"))
    # development: A 2, B 2, E 9, F 2 days; C and D still there at the end.
    assert t["development"] == {
        "stage": "development",
        "stays": 4,
        "mean_days": 3.75,
        "median_days": 2.0,
        "p75_days": 3.75,
        "p90_days": 6.9,
        "open_stays": 2,
        "open_median_days": 396.0,  # C 244 days, D 548
    }
    entry = t["entry"]  # A 3, B 3, F 12
    assert [entry[k] for k in ("stays", "mean_days", "median_days", "p75_days", "p90_days")] == [
        3,
        6.0,
        3.0,
        7.5,
        10.2,
    ]
    assert [t["bidding"][k] for k in ("stays", "mean_days", "p75_days")] == [2, 8.0, 10.0]
    assert t["negotiation"]["stays"] == 0
    assert (t["negotiation"]["open_stays"], t["negotiation"]["open_median_days"]) == (1, 292.0)
    assert t["implementation"]["mean_days"] is None


def test_velocity(deals: Salesflow) -> None:
    v = report(deals, "velocity")
    assert v["open_deals"] == 2 and v["open_value"] == "330000.00"  # C 80000, D 250000
    assert (v["won"], v["avg_won_value"], v["avg_cycle_days"]) == (1, "130000.00", 14.0)
    assert v["win_rate"] == 0.3333
    assert v["velocity_per_day"] == "6190.48"  # 2 x 130000 x 1/3 / 14


def test_velocity_by_owner(deals: Salesflow) -> None:
    rows = {r["owner"]: r for r in report(deals, "velocity", by_owner=True)["owners"]}
    assert rows["li.wei"]["velocity_per_day"] == "4642.86"  # 1 x 130000 x 1/2 / 14
    assert rows["xiao.zhang"]["win_rate"] == 0.0 and rows["xiao.zhang"]["velocity_per_day"] is None


def test_losses_by_stage(deals: Salesflow) -> None:
    doc = report(deals, "losses-by-stage")
    assert doc["rows"] == [
        {
            "stage": "development",
            "outcome": "abandoned",
            "reason": "abandoned",
            "deals": 1,
            "price_fights": 0,
        },
        {
            "stage": "entry",
            "outcome": "withdrawn",
            "reason": "withdrawn",
            "deals": 1,
            "price_fights": 0,
        },
        {"stage": "bidding", "outcome": "lost", "reason": "price", "deals": 1, "price_fights": 1},
    ]
    assert [t["stage"] for t in doc["totals"]] == ["development", "entry", "bidding"]


def test_the_waterfall_balances(deals: Salesflow) -> None:
    w = report(deals, "waterfall")
    assert w["start"] == {"deals": 1, "value": "300000.00"}  # D
    assert w["new"] == {"deals": 5, "value": "350000.00"}  # A B C(none) E F
    assert w["reopened"] == {"deals": 1, "value": "50000.00"}  # C
    assert w["nurtured"] == {"deals": 1, "value": "50000.00"}  # C
    # A left at its bid price, 120000: the contract's value came with the signing.
    assert w["won"] == {"deals": 1, "value": "120000.00"}
    assert w["lost"] == {"deals": 3, "value": "250000.00"}  # B E F
    # A 100000 -> 120000; C 0 -> 50000, then 50000 -> 80000; D 300000 -> 250000.
    assert w["increased"] == {"deals": 2, "value": "100000.00"}
    assert w["decreased"] == {"deals": 1, "value": "50000.00"}
    assert w["end"] == {"deals": 2, "value": "330000.00"}  # C D
    for part in ("deals", "value"):
        end, side = balance(w, part)
        assert end == side


def test_the_waterfall_of_a_window_inside_a_stint(deals: Salesflow) -> None:
    w = report(deals, "waterfall", **{"from": "2026-04-15", "to": "2026-04-30"})
    # C was nurtured (not open) at the start, reopened at 50000 and raised to 80000.
    assert w["reopened"] == {"deals": 1, "value": "50000.00"}
    assert w["increased"] == {"deals": 1, "value": "30000.00"}
    assert w["start"]["deals"] == 1 and w["end"]["deals"] == 2  # D; then C and D

"""Every report against a brute-force computation from a fold of every
deal's entries (as the as-of test does), on generated data with retractions
and back-dated entries, at several windows, on both stores; the funnel's
identity and the waterfall's balance asserted, in deals and in value."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any

import pytest

from cli.context import Salesflow
from domain.entries import Entry
from domain.events import DealEvent
from domain.fold import fold
from domain.process import milestones_of
from domain.state import DealState
from domain.vocabulary import STAGES, Milestone, Outcome
from projections import queries
from projections.reports.build import ReportOptions, run
from projections.reports.figures import rate
from projections.reports.money import balance
from tests.support import generate

WINDOWS = (
    ("2023-01-01", "2026-11-30"),
    ("2024-01-01", "2024-12-31"),
    ("2025-03-01", "2025-03-31"),
    ("2025-06-15", "2026-06-14"),
)
NOW = datetime(2026, 12, 1, tzinfo=UTC)
COMPETED = (Outcome.won, Outcome.lost, Outcome.withdrawn)
History = Sequence[Entry[DealEvent]]


@pytest.fixture
def data(flow: Salesflow) -> tuple[Salesflow, list[tuple[History, DealState]]]:
    generate(flow.process, 7000, seed=12, batch=100)
    histories = queries.entries(flow.fresh()).values()
    deals: list[tuple[History, DealState]] = [(h, fold(h)) for h in histories]
    assert len(deals) > 200
    retracted = sum(bool(s.retracted) for _, s in deals)
    back_dated = sum(any(b.occurred_at < a.occurred_at for a, b in pairwise(h)) for h, _ in deals)
    assert retracted > 5 and back_dated > 20  # the data has what the test is for
    return flow, deals


def _bounds(first: str, last: str) -> tuple[datetime, datetime]:
    return (
        datetime.combine(date.fromisoformat(first), time.min, UTC),
        datetime.combine(date.fromisoformat(last), time.max, UTC),
    )


def _report(flow: Salesflow, name: str, first: str, last: str, **options: Any) -> dict[str, Any]:
    given = ReportOptions.model_validate({"from": first, "to": last, **options})
    return run(name, flow.fresh(), flow.settings.config, given, NOW)


def _days(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 86400


def _quantiles(values: list[float]) -> tuple[float, float, float] | None:
    """median, p75 and p90 as PostgreSQL's percentile_cont makes them."""
    if not values:
        return None
    if len(values) == 1:
        return values[0], values[0], values[0]
    quartiles = statistics.quantiles(values, n=4, method="inclusive")
    deciles = statistics.quantiles(values, n=10, method="inclusive")
    return quartiles[1], quartiles[2], deciles[8]


def _close(a: float | None, b: float | None) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and abs(a - b) < 0.011)


def test_the_funnel(data: tuple[Salesflow, list[tuple[History, DealState]]]) -> None:
    flow, deals = data
    for first, last in WINDOWS:
        start, end = _bounds(first, last)
        for owner in (None, "owner7"):
            doc = _report(flow, "funnel", first, last, owner=owner)
            want: dict[str, dict[str, int]] = {s.value: defaultdict(int) for s in STAGES}
            for _, s in deals:
                assert s.opened_at is not None
                if not start <= s.opened_at <= end or (owner and s.owner != owner):
                    continue
                for stay in s.stays:
                    how = stay.left_how
                    if how in ("lost", "withdrawn", "abandoned"):
                        how = "closed_here"
                    elif how is None:
                        how = "won_here" if s.outcome is Outcome.won else "open_here"
                    want[stay.stage.value][how] += 1
                    want[stay.stage.value]["entered"] += 1
            for row in doc["stages"]:
                w = want[row["stage"]]
                for k in ("entered", "advanced", "forced", "closed_here", "open_here", "won_here"):
                    assert row[k] == w[k], (first, last, owner, row["stage"], k)
                parts = ("advanced", "forced", "closed_here", "open_here", "won_here")
                assert row["entered"] == sum(row[k] for k in parts)
            assert doc["stages"][0]["entered"] > 0 or owner


def test_win_rates(data: tuple[Salesflow, list[tuple[History, DealState]]]) -> None:
    flow, deals = data
    for first, last in WINDOWS:
        start, end = _bounds(first, last)
        doc = _report(flow, "win-rates", first, last)
        overall = [0, 0]
        grades: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        owners: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        met: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        forced: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for history, s in deals:
            if s.outcome not in COMPETED:
                continue
            assert s.outcome_at is not None
            if not start <= s.outcome_at <= end:
                continue
            won = int(s.outcome is Outcome.won)
            then = fold(history, as_of=s.outcome_at)
            grade = then.grade.value if then.grade else "ungraded"
            for tally in (overall, grades[grade], owners[s.owner]):
                tally[0] += 1
                tally[1] += won
            for stay in s.stays:
                if stay.left_how not in ("advanced", "forced") or stay.left_at is None:
                    continue
                at_leaving = fold(history, as_of=stay.left_at)
                for m in milestones_of(stay.stage):
                    if m is Milestone.contract_signed:
                        continue
                    if m in stay.skipped:
                        forced[m.value][0] += 1
                        forced[m.value][1] += won
                    elif at_leaving.is_met(m):
                        met[m.value][0] += 1
                        met[m.value][1] += won
        assert doc["overall"] == rate(overall[1], overall[0])
        for g, (n, won) in grades.items():
            assert doc["by_grade"][g] == rate(won, n)
        assert doc["by_owner"] == {o: rate(won, n) for o, (n, won) in sorted(owners.items())}
        for m, figures in doc["by_milestone"].items():
            assert figures["met"] == rate(met[m][1], met[m][0]), (first, m)
            assert figures["forced_past"] == rate(forced[m][1], forced[m][0]), (first, m)
    # Over the whole history, forcing past the standard costs deals (as generated).
    lift = _report(flow, "win-rates", *WINDOWS[0])["by_milestone"]["standard_influenced"]["lift"]
    assert lift is not None and lift > 0


def test_time_in_stage(data: tuple[Salesflow, list[tuple[History, DealState]]]) -> None:
    flow, deals = data
    for first, last in WINDOWS:
        start, end = _bounds(first, last)
        doc = _report(flow, "time-in-stage", first, last)
        ended: dict[str, list[float]] = defaultdict(list)
        ages: dict[str, list[float]] = defaultdict(list)
        for _, s in deals:
            for stay in s.stays:
                if stay.left_at is not None and start <= stay.left_at <= end:
                    ended[stay.stage.value].append(_days(stay.entered_at, stay.left_at))
                if stay.entered_at <= end and (stay.left_at is None or stay.left_at > end):
                    ages[stay.stage.value].append(_days(stay.entered_at, end))
        for row in doc["stages"]:
            stays, open_ = sorted(ended[row["stage"]]), sorted(ages[row["stage"]])
            assert (row["stays"], row["open_stays"]) == (len(stays), len(open_))
            assert _close(row["mean_days"], statistics.fmean(stays) if stays else None)
            q = _quantiles(stays)
            for k, want in zip(
                ("median_days", "p75_days", "p90_days"), q or (None,) * 3, strict=True
            ):
                assert _close(row[k], want), (first, row["stage"], k)
            assert _close(row["open_median_days"], statistics.median(open_) if open_ else None)


def test_velocity(data: tuple[Salesflow, list[tuple[History, DealState]]]) -> None:
    flow, deals = data
    for first, last in WINDOWS:
        start, end = _bounds(first, last)
        doc = _report(flow, "velocity", first, last)
        open_deals, open_value, won, closed = 0, Decimal(0), 0, 0
        values: list[Decimal] = []
        cycles: list[float] = []
        for history, s in deals:
            at_end = fold(history, as_of=end)
            if at_end.opened_at is not None and at_end.outcome is Outcome.open:
                open_deals += 1
                open_value += at_end.value or 0
            if s.outcome in COMPETED and s.outcome_at and start <= s.outcome_at <= end:
                closed += 1
                if s.outcome is Outcome.won:
                    assert s.opened_at is not None
                    won += 1
                    cycles.append(_days(s.opened_at, s.outcome_at))
                    if s.value is not None:
                        values.append(s.value)
        assert (doc["open_deals"], doc["won"]) == (open_deals, won)
        assert Decimal(doc["open_value"]) == open_value
        if values:
            mean_value = sum(values, Decimal(0)) / len(values)
            assert abs(Decimal(doc["avg_won_value"]) - mean_value) < Decimal("0.01")
        assert doc["win_rate"] == (round(won / closed, 4) if closed else None)
        assert _close(doc["avg_cycle_days"], statistics.fmean(cycles) if cycles else None)
        if doc["velocity_per_day"] is not None:
            avg = float(sum(values, Decimal(0)) / len(values))
            want = open_deals * avg * (won / closed) / statistics.fmean(cycles)
            assert abs(float(doc["velocity_per_day"]) - want) < 0.01


def test_losses_by_stage(data: tuple[Salesflow, list[tuple[History, DealState]]]) -> None:
    from domain.diagnosis import is_price_fight

    flow, deals = data
    for first, last in WINDOWS:
        start, end = _bounds(first, last)
        doc = _report(flow, "losses-by-stage", first, last)
        want: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
        for _, s in deals:
            if s.outcome.is_closed and s.outcome_at and start <= s.outcome_at <= end:
                reason = s.outcome_reason if s.outcome is Outcome.lost else s.outcome.value
                tally = want[(s.stage.value, s.outcome.value, str(reason))]
                tally[0] += 1
                tally[1] += int(is_price_fight(s))
        got = {
            (r["stage"], r["outcome"], r["reason"]): [r["deals"], r["price_fights"]]
            for r in doc["rows"]
        }
        assert got == dict(want)
        assert sum(t["deals"] for t in doc["totals"]) == sum(v[0] for v in want.values())


def _waterfall(
    history: History, start: datetime, end: datetime, tally: dict[str, list[Any]]
) -> None:
    """One deal's part of the waterfall, from folds at every moment it changed."""

    def add(kind: str, value: Decimal | None) -> None:
        tally[kind][0] += 1
        tally[kind][1] += value or 0

    before = fold(history, as_of=start - timedelta(microseconds=1))
    moments = sorted({e.occurred_at for e in history if start <= e.occurred_at <= end})
    prev: DealState | None = before if before.opened_at is not None else None
    opening: Decimal | None = None
    if prev is not None and prev.outcome is Outcome.open:
        add("start", prev.value)
        opening = prev.value or Decimal(0)
    moved: dict[str, int] = {"increased": 0, "decreased": 0}
    amounts: dict[str, Decimal] = {"increased": Decimal(0), "decreased": Decimal(0)}

    def stint_ended(value: Decimal | None) -> None:
        assert opening is not None
        change = (value or Decimal(0)) - opening
        if change:
            kind = "increased" if change > 0 else "decreased"
            moved[kind] = 1
            amounts[kind] += abs(change)

    for t in moments:
        cur = fold(history, as_of=t)
        if cur.opened_at is None:
            continue
        was_open = prev is not None and prev.outcome is Outcome.open
        if cur.outcome is Outcome.open and not was_open:
            add("new" if prev is None else "reopened", cur.value)
            opening = cur.value or Decimal(0)
        elif was_open and cur.outcome is not Outcome.open:
            assert prev is not None
            kind = {Outcome.won: "won", Outcome.nurture: "nurtured"}.get(cur.outcome, "lost")
            add(kind, prev.value)
            stint_ended(prev.value)
        prev = cur
    if prev is not None and prev.outcome is Outcome.open:
        add("end", prev.value)
        stint_ended(prev.value)
    for kind in ("increased", "decreased"):
        tally[kind][0] += moved[kind]
        tally[kind][1] += amounts[kind]


def test_the_waterfall(data: tuple[Salesflow, list[tuple[History, DealState]]]) -> None:
    flow, deals = data
    for first, last in WINDOWS:
        start, end = _bounds(first, last)
        for owner in (None, "owner3"):
            doc = _report(flow, "waterfall", first, last, owner=owner)
            kinds = (
                "start",
                "end",
                "new",
                "reopened",
                "increased",
                "decreased",
                "won",
                "lost",
                "nurtured",
            )
            tally: dict[str, list[Any]] = {k: [0, Decimal(0)] for k in kinds}
            for history, s in deals:
                if owner is None or s.owner == owner:
                    _waterfall(history, start, end, tally)
            got = {k: [doc[k]["deals"], Decimal(doc[k]["value"])] for k in kinds}
            assert got == tally, (first, last, owner)
            for part in ("deals", "value"):
                end_side, moves = balance(doc, part)
                assert end_side == moves, (first, last, part)
            assert doc["new"]["deals"] + doc["start"]["deals"] > 0 or owner

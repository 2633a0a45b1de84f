"""The stage reports: ``funnel`` and ``time-in-stage``."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from domain.vocabulary import STAGES
from projections.report_views import FUNNEL, TIME_IN_STAGE
from projections.reports.figures import days, fraction, mean, percentile
from projections.reports.options import Window
from projections.store import ReadStore, as_moment, as_param


def _filters(read: ReadStore, w: Window, params: list[Any]) -> str:
    sql = ""
    for column in ("owner", "grade"):
        if getattr(w, column) is not None:
            sql += f" AND {column} = %s"
            params.append(getattr(w, column))
    return sql


#: How a deal of the funnel left a stage, or why it is still there.
HOW = ("advanced", "forced", "imported", "closed", "open", "won")


def funnel(read: ReadStore, w: Window) -> dict[str, Any]:
    """For the deals opened in the window, each stage in process order: how
    many entered it and how each left it, or is still there."""
    params: list[Any] = [as_param(read.dialect, w.start), as_param(read.dialect, w.end)]
    where = "opened_at >= %s AND opened_at <= %s" + _filters(read, w, params)
    counts: Counter[tuple[str, str]] = Counter()
    for r in read.query(
        f"SELECT stage, how, count(*) AS n FROM {read.qualified(FUNNEL.name)}"
        f" WHERE {where} GROUP BY stage, how",
        params,
    ):
        counts[(r["stage"], r["how"])] = int(r["n"])
    rows = []
    first = sum(counts[(STAGES[0].value, how)] for how in HOW)
    for stage in STAGES:
        c = {how: counts[(stage.value, how)] for how in HOW}
        entered = sum(c.values())
        left = c["advanced"] + c["forced"] + c["imported"]
        rows.append(
            {
                "stage": stage.value,
                "entered": entered,
                "advanced": c["advanced"],
                "forced": c["forced"],
                "imported": c["imported"],
                "closed_here": c["closed"],
                "open_here": c["open"],
                "won_here": c["won"],
                "conversion": fraction(left, entered),
                "forced_share": fraction(c["forced"], left),
                "reached_from_start": fraction(entered, first),
            }
        )
    return {"stages": rows}


def time_in_stage(read: ReadStore, w: Window) -> dict[str, Any]:
    """Each stage: the days of the stays that ended in the window, and the
    age at its end of the stays still open then."""
    view = read.qualified(TIME_IN_STAGE.name)
    params: list[Any] = [as_param(read.dialect, w.start), as_param(read.dialect, w.end)]
    extra = _filters(read, w, params)
    ended: defaultdict[str, list[float]] = defaultdict(list)
    for r in read.query(
        f"SELECT stage, duration_days FROM {view} WHERE left_at >= %s AND left_at <= %s{extra}",
        params,
    ):
        ended[r["stage"]].append(float(r["duration_days"]))
    params = [as_param(read.dialect, w.end), as_param(read.dialect, w.end)]
    extra = _filters(read, w, params)
    ages: defaultdict[str, list[float]] = defaultdict(list)
    for r in read.query(
        f"SELECT stage, entered_at FROM {view}"
        f" WHERE entered_at <= %s AND (left_at IS NULL OR left_at > %s){extra}",
        params,
    ):
        ages[r["stage"]].append((w.end - as_moment(r["entered_at"])).total_seconds() / 86400)
    rows = []
    for stage in STAGES:
        stays, open_ = sorted(ended[stage.value]), sorted(ages[stage.value])
        rows.append(
            {
                "stage": stage.value,
                "stays": len(stays),
                "mean_days": days(mean(stays)),
                "median_days": days(percentile(stays, 0.5)),
                "p75_days": days(percentile(stays, 0.75)),
                "p90_days": days(percentile(stays, 0.9)),
                "open_stays": len(open_),
                "open_median_days": days(percentile(open_, 0.5)),
            }
        )
    return {"stages": rows}

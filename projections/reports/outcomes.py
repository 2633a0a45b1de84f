"""The outcome reports: ``win-rates`` (and its milestone discipline) and
``losses-by-stage``."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from domain.process import MILESTONE_STAGE
from domain.vocabulary import MILESTONES, STAGES, Grade, Milestone, Stage
from projections.report_views import LOSSES_BY_STAGE, WIN_RATES, WIN_RATES_BY_MILESTONE
from projections.reports.figures import rate
from projections.reports.options import Window
from projections.store import ReadStore, as_param

#: The milestones whose discipline win-rates measures: those of development
#: to negotiation, signing aside (a signed deal is won: it would measure nothing).
DISCIPLINE: tuple[Milestone, ...] = tuple(
    m
    for m in MILESTONES
    if MILESTONE_STAGE[m] not in (Stage.implementation,) and m is not Milestone.contract_signed
)
_GRADES = (*(g.value for g in Grade), "ungraded")


def _window(read: ReadStore, w: Window) -> tuple[str, list[Any]]:
    params: list[Any] = [as_param(read.dialect, w.start), as_param(read.dialect, w.end)]
    where = "closed_at >= %s AND closed_at <= %s"
    if w.owner is not None:
        where += " AND owner = %s"
        params.append(w.owner)
    return where, params


def win_rates(read: ReadStore, w: Window) -> dict[str, Any]:
    """Over the deals won, lost or withdrawn in the window: the win rate
    overall, by grade at closing, by owner, and by milestone discipline."""
    where, params = _window(read, w)
    closed: defaultdict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for r in read.query(
        f"SELECT grade, owner, count(*) AS n, sum(won) AS won"
        f" FROM {read.qualified(WIN_RATES.name)} WHERE {where} GROUP BY grade, owner",
        params,
    ):
        closed[(r["grade"], r["owner"])] = [int(r["n"]), int(r["won"])]

    def over(pick: int, name: str | None) -> dict[str, Any]:
        n = sum(v[0] for k, v in closed.items() if name is None or k[pick] == name)
        won = sum(v[1] for k, v in closed.items() if name is None or k[pick] == name)
        return rate(won, n)

    owners = sorted({owner for _, owner in closed})
    by_milestone = _by_milestone(read, where, params)
    return {
        "overall": over(0, None),
        "by_grade": {g: over(0, g) for g in _GRADES},
        "by_owner": {o: over(1, o) for o in owners},
        "by_milestone": by_milestone,
    }


def _by_milestone(read: ReadStore, where: str, params: list[Any]) -> dict[str, Any]:
    counts: dict[str, dict[str, int]] = {}
    for r in read.query(
        "SELECT milestone, sum(met) AS met, sum(met * won) AS met_won,"
        " sum(forced_past) AS forced, sum(forced_past * won) AS forced_won"
        f" FROM {read.qualified(WIN_RATES_BY_MILESTONE.name)} WHERE {where} GROUP BY milestone",
        params,
    ):
        counts[r["milestone"]] = {
            k: int(r[k] or 0) for k in ("met", "met_won", "forced", "forced_won")
        }
    out: dict[str, Any] = {}
    for m in DISCIPLINE:
        c = counts.get(m.value, {"met": 0, "met_won": 0, "forced": 0, "forced_won": 0})
        met, forced = rate(c["met_won"], c["met"]), rate(c["forced_won"], c["forced"])
        lift = None
        if met["rate"] is not None and forced["rate"] is not None:
            lift = round(met["rate"] - forced["rate"], 4)
        out[m.value] = {
            "stage": MILESTONE_STAGE[m].value,
            "met": met,
            "forced_past": forced,
            "lift": lift,
        }
    return out


def reading(milestone: str, figures: dict[str, Any]) -> str:
    """One line a manager reads: what meeting a milestone, and forcing past
    it, came to on these deals."""
    stage, met, forced = figures["stage"], figures["met"], figures["forced_past"]

    def share(r: dict[str, Any]) -> str:
        return f"{round(100 * r['rate'])} % (n={r['closed']})" if r["rate"] is not None else "n=0"

    line = (
        f"deals that met {milestone} before leaving {stage} won {share(met)},"
        f" those forced past it {share(forced)}"
    )
    if figures["lift"] is not None:
        line += f": {round(100 * figures['lift']):+d} points"
    return line


def losses_by_stage(read: ReadStore, w: Window) -> dict[str, Any]:
    """The deals lost, withdrawn or abandoned in the window, by the stage they
    closed in and why; with totals by stage."""
    rows = read.query(
        "SELECT stage, outcome, reason, count(*) AS deals, sum(price_fight) AS price_fights"
        f" FROM {read.qualified(LOSSES_BY_STAGE.name)}"
        " WHERE closed_at >= %s AND closed_at <= %s GROUP BY stage, outcome, reason",
        [as_param(read.dialect, w.start), as_param(read.dialect, w.end)],
    )
    order = {s.value: n for n, s in enumerate(STAGES)}
    found = sorted(
        (
            {
                "stage": r["stage"],
                "outcome": r["outcome"],
                "reason": r["reason"],
                "deals": int(r["deals"]),
                "price_fights": int(r["price_fights"] or 0),
            }
            for r in rows
        ),
        key=lambda r: (order[r["stage"]], r["outcome"], r["reason"]),
    )
    totals = []
    for stage in STAGES:
        mine = [r for r in found if r["stage"] == stage.value]
        if mine:
            totals.append(
                {
                    "stage": stage.value,
                    "deals": sum(r["deals"] for r in mine),
                    "price_fights": sum(r["price_fights"] for r in mine),
                }
            )
    return {"rows": found, "totals": totals}

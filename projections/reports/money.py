"""The money reports: ``velocity`` and ``waterfall``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from projections.cells import cents, money
from projections.report_views import VELOCITY, WATERFALL
from projections.reports.figures import fraction, mean, total
from projections.reports.options import Window
from projections.store import ReadStore, as_moment, as_param


def velocity(read: ReadStore, w: Window) -> dict[str, Any]:
    """How fast the open pipeline turns into money, as of the window's end
    (one row per owner with ``by_owner``)."""
    view = read.qualified(VELOCITY.name)
    owner = " AND owner = %s" if w.owner is not None else ""
    mine = [w.owner] if w.owner is not None else []
    at = as_param(read.dialect, w.end)
    open_ = read.query(
        f"SELECT owner, value FROM {view} WHERE fact = 'open' AND since <= %s"
        f" AND (until IS NULL OR until > %s){owner}",
        [at, at, *mine],
    )
    closed = read.query(
        f"SELECT owner, outcome, value, cycle_days FROM {view} WHERE fact = 'closed'"
        f" AND since >= %s AND since <= %s{owner}",
        [as_param(read.dialect, w.start), at, *mine],
    )
    if not w.by_owner:
        return _velocity(open_, closed)
    owners = sorted({r["owner"] for r in (*open_, *closed)})
    return {
        "owners": [
            {
                "owner": o,
                **_velocity(
                    [r for r in open_ if r["owner"] == o], [r for r in closed if r["owner"] == o]
                ),
            }
            for o in owners
        ]
    }


def _velocity(open_: list[dict[str, Any]], closed: list[dict[str, Any]]) -> dict[str, Any]:
    won = [r for r in closed if r["outcome"] == "won"]
    valued = [v for r in won if (v := cents(r["value"])) is not None]
    avg_value = sum(valued, Decimal(0)) / len(valued) if valued else None
    win_rate = fraction(len(won), len(closed))
    cycle = mean([float(r["cycle_days"]) for r in won])
    speed = None
    if avg_value is not None and win_rate is not None and cycle:
        speed = len(open_) * float(avg_value) * (len(won) / len(closed)) / cycle
    return {
        "open_deals": len(open_),
        "open_value": money(total(r["value"] for r in open_)),
        "won": len(won),
        "avg_won_value": money(avg_value),
        "win_rate": win_rate,
        "avg_cycle_days": None if cycle is None else round(cycle, 2),
        "velocity_per_day": None if speed is None else money(Decimal(str(speed))),
    }


#: The waterfall's movements, in the order of its balance.
MOVES = ("new", "reopened", "increased", "decreased", "won", "lost", "nurtured")
_LEFT_TO = {
    "won": "won",
    "lost": "lost",
    "withdrawn": "lost",
    "abandoned": "lost",
    "nurture": "nurtured",
}


def waterfall(read: ReadStore, w: Window) -> dict[str, Any]:
    """The open pipeline from the start of the window to its end, in deals
    and in value, and every movement between; it balances."""
    owner = " AND owner = %s" if w.owner is not None else ""
    rows = read.query(
        "SELECT deal_id, segment, since, until, outcome, value, stint, came_from, went_to"
        f" FROM {read.qualified(WATERFALL.name)} WHERE since <= %s"
        f" AND (until IS NULL OR until >= %s){owner} ORDER BY deal_id, segment",
        [
            as_param(read.dialect, w.end),
            as_param(read.dialect, w.start),
            *([w.owner] if w.owner else []),
        ],
    )
    counts = {k: 0 for k in ("start", "end", *MOVES)}
    sums = {k: Decimal("0.00") for k in counts}
    stints: dict[tuple[str, int], list[Decimal]] = {}

    def add(kind: str, value: Decimal) -> None:
        counts[kind] += 1
        sums[kind] += value

    for r in rows:
        if r["outcome"] != "open":
            continue
        since, until = as_moment(r["since"]), r["until"] and as_moment(r["until"])
        value = cents(r["value"]) or Decimal("0.00")
        if since < w.start:
            add("start", value)
        elif r["segment"] == 1:
            add("new", value)
        elif r["came_from"] != "open":
            add("reopened", value)
        if until is None or until > w.end:
            add("end", value)
        elif until >= w.start and r["went_to"] != "open":
            add(_LEFT_TO[r["went_to"]], value)
        stints.setdefault((r["deal_id"], r["stint"]), [value, value])[1] = value
    # A deal whose value changed counts once in each direction it moved in.
    moved: dict[str, set[str]] = {"increased": set(), "decreased": set()}
    for (deal, _), (first, last) in stints.items():
        if last != first:
            kind = "increased" if last > first else "decreased"
            moved[kind].add(deal)
            sums[kind] += abs(last - first)
    counts.update({kind: len(deals) for kind, deals in moved.items()})
    return {k: {"deals": counts[k], "value": money(sums[k])} for k in ("start", "end", *MOVES)}


def balance(doc: dict[str, Any], part: str) -> tuple[Any, Any]:
    """Both sides of the waterfall's balance in ``part`` ("deals" or "value"):
    ``end`` and ``start + new + reopened + increased - decreased - won - lost
    - nurtured``. In deals, a changed value moves no deal in or out, so
    ``increased`` and ``decreased`` count the deals whose value changed and stay
    out of the balance."""
    num = int if part == "deals" else Decimal
    sign = {
        "new": 1,
        "reopened": 1,
        "increased": 1,
        "decreased": -1,
        "won": -1,
        "lost": -1,
        "nurtured": -1,
    }
    if part == "deals":
        sign["increased"] = sign["decreased"] = 0
    side = num(doc["start"][part]) + sum(s * num(doc[k][part]) for k, s in sign.items())
    return num(doc["end"][part]), side

"""A report's figures as rows of one table: the CSV of ``salesflow report``
and the tables people read."""

from __future__ import annotations

from typing import Any

RATE = ("closed", "won", "rate", "low", "high")


def table(name: str, doc: dict[str, Any]) -> tuple[list[dict[str, Any]], tuple[str, ...]]:
    """The report's rows and their columns."""
    if name in ("funnel", "time-in-stage"):
        rows = doc["stages"]
        return rows, tuple(rows[0])
    if name == "win-rates":
        return _win_rates(doc)
    if name == "velocity":
        rows = (
            doc["owners"] if "owners" in doc else [{k: v for k, v in doc.items() if k in VELOCITY}]
        )
        return rows, (("owner",) if "owners" in doc else ()) + VELOCITY
    if name == "losses-by-stage":
        return doc["rows"], ("stage", "outcome", "reason", "deals", "price_fights")
    if name == "waterfall":
        from projections.reports.money import MOVES

        rows = [{"movement": k, **doc[k]} for k in ("start", *MOVES, "end")]
        return rows, ("movement", "deals", "value")
    raise KeyError(name)


VELOCITY = (
    "open_deals",
    "open_value",
    "won",
    "avg_won_value",
    "win_rate",
    "avg_cycle_days",
    "velocity_per_day",
)


def _win_rates(doc: dict[str, Any]) -> tuple[list[dict[str, Any]], tuple[str, ...]]:
    rows: list[dict[str, Any]] = [{"group": "overall", "name": "", **doc["overall"], "lift": None}]
    for group in ("by_grade", "by_owner"):
        rows += [{"group": group, "name": k, **v, "lift": None} for k, v in doc[group].items()]
    for m, figures in doc["by_milestone"].items():
        for side in ("met", "forced_past"):
            rows.append(
                {
                    "group": f"by_milestone.{side}",
                    "name": m,
                    **figures[side],
                    "lift": figures["lift"],
                }
            )
    return rows, ("group", "name", *RATE, "lift")

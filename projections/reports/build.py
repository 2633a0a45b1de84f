"""Run a report by name: its window, its filters, its figures."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from domain.config import ProcessConfig
from projections.reports import TAKES
from projections.reports.options import ReportOptions, Window, window
from projections.store import ReadStore

#: What makes a report's figures from the store and the window.
Maker = Callable[[ReadStore, Window], dict[str, Any]]


def makers() -> dict[str, Maker]:
    """Each report's maker of figures, by name."""
    from projections.reports import money, outcomes, stages

    return {
        "funnel": stages.funnel,
        "win-rates": outcomes.win_rates,
        "time-in-stage": stages.time_in_stage,
        "velocity": money.velocity,
        "losses-by-stage": outcomes.losses_by_stage,
        "waterfall": money.waterfall,
    }


def run(
    name: str, read: ReadStore, config: ProcessConfig, options: ReportOptions, now: datetime
) -> dict[str, Any]:
    """The report ``name`` over the window and filters of ``options``: its
    document (the CLI's ``--json`` and the API's body)."""
    w = window(name, options, frozenset(TAKES[name]), config, now)
    make = makers()[name]
    doc: dict[str, Any] = {"report": name, **w.document(config)}
    doc.update(make(read, w))
    return doc


__all__ = ["ReportOptions", "Window", "run"]

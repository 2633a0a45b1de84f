"""The reports of shared/reports.md, computed from the report views.

Each report reads the rows of its view (``projections.report_views``) inside
its window, chosen by the database, and makes its figures here: the same
rows a BI tool reads with the README's queries. ``run`` is what the command
line and the HTTP API call.
"""

from __future__ import annotations

#: The reports, in the order of shared/reports.md (this module imports
#: nothing, so that the command line can name them at once).
REPORTS: tuple[str, ...] = (
    "funnel",
    "win-rates",
    "time-in-stage",
    "velocity",
    "losses-by-stage",
    "waterfall",
)

#: The options each report takes beyond its window (shared/reports.md).
TAKES: dict[str, tuple[str, ...]] = {
    "funnel": ("owner", "grade"),
    "win-rates": ("owner",),
    "time-in-stage": ("owner", "grade"),
    "velocity": ("owner", "by_owner"),
    "losses-by-stage": (),
    "waterfall": ("owner",),
}
#: The reports whose window must be given.
WINDOW_REQUIRED: tuple[str, ...] = ("waterfall",)

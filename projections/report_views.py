"""The reporting schema's views, one per report (shared/reports.md): each
the rows a report counts, with the window left open, so that a BI tool
filters by its dates and aggregates to the report's figures (the README
shows one query per report). The same text runs on both dialects.

The views are ours (a change to one raises ``schema.VERSION``, which makes
them again): made with the tables, dropped before a rebuild swaps
the tables in (so that they do not pin the old tables) and made again after.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from domain.process import STAGE_MILESTONES
from domain.vocabulary import MILESTONES as MILESTONE_IDS
from domain.vocabulary import STAGES
from projections.schema import (
    CLOSINGS,
    LOSSES,
    MILESTONES,
    PIPELINE,
    SEGMENTS,
    STAGE_HISTORY,
    Table,
)


def _order(column: str, names: tuple[str, ...]) -> str:
    cases = " ".join(f"WHEN '{n}' THEN {i}" for i, n in enumerate(names, 1))
    return f"CASE {column} {cases} END"


_STAGE_ORDER = _order("s.stage", tuple(s.value for s in STAGES))


@dataclass(frozen=True)
class View:
    """A view of the reporting schema: its name, what a row is, its SELECT
    (``{pipeline}`` and the like stand for the tables' qualified names)."""

    name: str
    about: str
    select: str

    def sql(self, table: Callable[[Table], str]) -> str:
        names = {
            t.name: table(t)
            for t in (PIPELINE, STAGE_HISTORY, LOSSES, SEGMENTS, CLOSINGS, MILESTONES)
        }
        return self.select.format(**names)


FUNNEL = View(
    "report_funnel",
    "One row per deal and stage it entered, with how it left the stage (advanced,"
    " forced, imported, closed) or why it is still there (open, won); window on opened_at.",
    f"""SELECT s.deal_id, s.key, p.owner, p.grade, p.opened_at, s.stage,
  {_STAGE_ORDER} AS stage_order,
  CASE WHEN s.left_how IN ('advanced', 'forced', 'imported') THEN s.left_how
       WHEN s.left_how IS NOT NULL THEN 'closed'
       WHEN p.outcome = 'won' THEN 'won' ELSE 'open' END AS how
FROM {{stage_history}} s JOIN {{pipeline}} p ON p.deal_id = s.deal_id""",
)

TIME_IN_STAGE = View(
    "report_time_in_stage",
    "One row per stay of a deal in a stage; ended stays count by left_at, open ones"
    " (left_at null or after the window) by their age at its end.",
    f"""SELECT s.deal_id, s.key, p.owner, p.grade, s.stage, {_STAGE_ORDER} AS stage_order,
  s.entered_at, s.left_at, s.left_how, s.duration_days
FROM {{stage_history}} s JOIN {{pipeline}} p ON p.deal_id = s.deal_id""",
)

WIN_RATES = View(
    "report_win_rates",
    "One row per deal won, lost or withdrawn: won 1 or 0, its grade at closing and"
    " its owner; window on closed_at.",
    """SELECT c.deal_id, c.key, c.owner, COALESCE(c.grade, 'ungraded') AS grade, c.outcome,
  CASE WHEN c.outcome = 'won' THEN 1 ELSE 0 END AS won, c.closed_at, c.value
FROM {deal_closings} c WHERE c.outcome IN ('won', 'lost', 'withdrawn')""",
)


def _discipline() -> str:
    """The milestones whose discipline win-rates measures, each with its
    stage and order, as a table of constants (one SELECT per row: both
    dialects read it)."""
    rows = [
        (stage.value, m.value, n)
        for n, m in enumerate(MILESTONE_IDS, 1)
        for stage, ms in STAGE_MILESTONES.items()
        if m in ms and stage is not STAGES[-1] and m.value != "contract_signed"
    ]
    return " UNION ALL ".join(
        f"SELECT '{stage}' AS stage, '{m}' AS milestone, {n} AS milestone_order"
        for stage, m, n in rows
    )


_SKIPPED = "(';' || COALESCE(s.skipped_milestones, '') || ';') LIKE ('%;' || x.milestone || ';%')"

WIN_RATES_BY_MILESTONE = View(
    "report_win_rates_by_milestone",
    "One row per deal won, lost or withdrawn and milestone of a stage it left"
    " (contract_signed aside): met or forced_past (1 or 0) when it left; window on closed_at.",
    f"""SELECT s.deal_id, s.key, c.owner, x.milestone, x.milestone_order, s.stage, s.left_how,
  CASE WHEN {_SKIPPED} THEN 0
       WHEN EXISTS (SELECT 1 FROM {{milestones}} p WHERE p.deal_id = s.deal_id
                    AND p.milestone = x.milestone AND p.met AND NOT p.retracted
                    AND p.met_from <= s.left_at
                    AND (p.met_until IS NULL OR p.met_until > s.left_at)) THEN 1
       ELSE 0 END AS met,
  CASE WHEN {_SKIPPED} THEN 1 ELSE 0 END AS forced_past,
  CASE WHEN c.outcome = 'won' THEN 1 ELSE 0 END AS won, c.closed_at
FROM {{stage_history}} s
JOIN ({_discipline()}) x ON x.stage = s.stage
JOIN {{deal_closings}} c ON c.deal_id = s.deal_id
WHERE s.left_how IN ('advanced', 'forced') AND c.outcome IN ('won', 'lost', 'withdrawn')""",
)

VELOCITY = View(
    "report_velocity",
    "The facts of pipeline velocity: one row per stretch of a deal in the open"
    " pipeline (fact 'open': since, until, value) and one per deal won, lost or"
    " withdrawn (fact 'closed': since is the closing, with cycle_days).",
    """SELECT g.deal_id, g.key, p.owner, 'open' AS fact, g.since, g.until, g.outcome,
  g.value, NULL AS cycle_days
FROM {deal_segments} g JOIN {pipeline} p ON p.deal_id = g.deal_id WHERE g.outcome = 'open'
UNION ALL
SELECT c.deal_id, c.key, c.owner, 'closed' AS fact, c.closed_at AS since, NULL AS until,
  c.outcome, c.value, c.cycle_days
FROM {deal_closings} c WHERE c.outcome IN ('won', 'lost', 'withdrawn')""",
)

LOSSES_BY_STAGE = View(
    "report_losses_by_stage",
    "One row per deal lost, withdrawn or abandoned: the stage it closed in and its"
    " reason (a loss reason, or the outcome for withdrawn and abandoned); window on closed_at.",
    f"""SELECT s.deal_id, s.key, s.stage, {_STAGE_ORDER} AS stage_order, s.outcome,
  CASE WHEN s.outcome = 'lost' THEN COALESCE(s.reason, 'unknown') ELSE s.outcome END AS reason,
  CASE WHEN s.price_fight THEN 1 ELSE 0 END AS price_fight, s.value, s.closed_at
FROM {{losses}} s""",
)

WATERFALL = View(
    "report_waterfall",
    "One row per stretch of business time in which a deal's outcome, stage, value and"
    " grade stayed the same, with its owner, its stint in the open pipeline and the"
    " outcomes before and after it: the open pipeline's movements in any window.",
    """SELECT g.deal_id, g.key, p.owner, g.segment, g.since, g.until, g.outcome, g.value,
  g.stint, g.came_from, g.went_to
FROM {deal_segments} g JOIN {pipeline} p ON p.deal_id = g.deal_id""",
)

VIEWS: tuple[View, ...] = (
    FUNNEL,
    TIME_IN_STAGE,
    WIN_RATES,
    WIN_RATES_BY_MILESTONE,
    VELOCITY,
    LOSSES_BY_STAGE,
    WATERFALL,
)


def create_views_sql(table: Callable[[Table], str], qualified: Callable[[str], str]) -> list[str]:
    """CREATE VIEW of every report view (each dropped first: a view's columns
    may change between versions)."""
    out = []
    for v in VIEWS:
        out.append(f"DROP VIEW IF EXISTS {qualified(v.name)}")
        out.append(f"CREATE VIEW {qualified(v.name)} AS {v.sql(table)}")
    return out


def drop_views_sql(qualified: Callable[[str], str]) -> list[str]:
    """DROP VIEW of every report view."""
    return [f"DROP VIEW IF EXISTS {qualified(v.name)}" for v in VIEWS]

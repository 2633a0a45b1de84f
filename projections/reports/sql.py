"""One SQL query per report over the report views: what a BI tool runs to
get the figures of ``salesflow report`` (the README shows each; a test runs
them against the command line's figures). The window is written as its two
literal bounds, ``FROM`` and ``TO``, in UTC; every query runs on PostgreSQL
(the reporting schema on the search_path) and all but ``time-in-stage``
(which uses ``percentile_cont``) run unchanged on SQLite."""

from __future__ import annotations

#: The window of the README's queries: 2026-01-01 .. 2026-11-30, in UTC.
FROM = "'2026-01-01T00:00:00+00:00'"
TO = "'2026-11-30T23:59:59.999999+00:00'"

FUNNEL = f"""SELECT stage,
  count(*) AS entered,
  sum(CASE WHEN how = 'advanced' THEN 1 ELSE 0 END) AS advanced,
  sum(CASE WHEN how = 'forced' THEN 1 ELSE 0 END) AS forced,
  sum(CASE WHEN how = 'imported' THEN 1 ELSE 0 END) AS imported,
  sum(CASE WHEN how = 'closed' THEN 1 ELSE 0 END) AS closed_here,
  sum(CASE WHEN how = 'open' THEN 1 ELSE 0 END) AS open_here,
  sum(CASE WHEN how = 'won' THEN 1 ELSE 0 END) AS won_here
FROM report_funnel
WHERE opened_at >= {FROM} AND opened_at <= {TO}
GROUP BY stage, stage_order ORDER BY stage_order;"""

WIN_RATES = f"""SELECT 'overall' AS part, '' AS name, count(*) AS closed, sum(won) AS won
FROM report_win_rates WHERE closed_at >= {FROM} AND closed_at <= {TO}
UNION ALL
SELECT 'by_grade', grade, count(*), sum(won)
FROM report_win_rates WHERE closed_at >= {FROM} AND closed_at <= {TO} GROUP BY grade
UNION ALL
SELECT 'by_owner', owner, count(*), sum(won)
FROM report_win_rates WHERE closed_at >= {FROM} AND closed_at <= {TO} GROUP BY owner
UNION ALL
SELECT 'met', milestone, sum(met), sum(met * won)
FROM report_win_rates_by_milestone WHERE closed_at >= {FROM} AND closed_at <= {TO}
GROUP BY milestone
UNION ALL
SELECT 'forced_past', milestone, sum(forced_past), sum(forced_past * won)
FROM report_win_rates_by_milestone WHERE closed_at >= {FROM} AND closed_at <= {TO}
GROUP BY milestone;"""

TIME_IN_STAGE = f"""SELECT stage,
  count(*) FILTER (WHERE ended) AS stays,
  avg(duration_days) FILTER (WHERE ended) AS mean_days,
  percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_days) FILTER (WHERE ended) AS median_days,
  percentile_cont(0.75) WITHIN GROUP (ORDER BY duration_days) FILTER (WHERE ended) AS p75_days,
  percentile_cont(0.9) WITHIN GROUP (ORDER BY duration_days) FILTER (WHERE ended) AS p90_days,
  count(*) FILTER (WHERE still_open) AS open_stays,
  percentile_cont(0.5) WITHIN GROUP (ORDER BY age_days) FILTER (WHERE still_open)
    AS open_median_days
FROM (
  SELECT stage, stage_order, duration_days,
    left_at >= {FROM} AND left_at <= {TO} AS ended,
    entered_at <= {TO} AND (left_at IS NULL OR left_at > {TO}) AS still_open,
    extract(epoch FROM (timestamptz {TO} - entered_at)) / 86400 AS age_days
  FROM report_time_in_stage
) s
GROUP BY stage, stage_order ORDER BY stage_order;"""

VELOCITY = f"""SELECT
  sum(CASE WHEN fact = 'open' AND since <= {TO} AND (until IS NULL OR until > {TO})
      THEN 1 ELSE 0 END) AS open_deals,
  sum(CASE WHEN fact = 'open' AND since <= {TO} AND (until IS NULL OR until > {TO})
      THEN coalesce(value, 0) ELSE 0 END) AS open_value,
  sum(CASE WHEN fact = 'closed' AND outcome = 'won' AND since >= {FROM} AND since <= {TO}
      THEN 1 ELSE 0 END) AS won,
  sum(CASE WHEN fact = 'closed' AND since >= {FROM} AND since <= {TO}
      THEN 1 ELSE 0 END) AS closed,
  avg(CASE WHEN fact = 'closed' AND outcome = 'won' AND since >= {FROM} AND since <= {TO}
      THEN value END) AS avg_won_value,
  avg(CASE WHEN fact = 'closed' AND outcome = 'won' AND since >= {FROM} AND since <= {TO}
      THEN cycle_days END) AS avg_cycle_days
FROM report_velocity;"""

LOSSES_BY_STAGE = f"""SELECT stage, outcome, reason,
  count(*) AS deals, sum(price_fight) AS price_fights
FROM report_losses_by_stage
WHERE closed_at >= {FROM} AND closed_at <= {TO}
GROUP BY stage, stage_order, outcome, reason
ORDER BY stage_order, outcome, reason;"""

WATERFALL = f"""WITH open_ AS (
  SELECT * FROM report_waterfall
  WHERE outcome = 'open' AND since <= {TO} AND (until IS NULL OR until >= {FROM})
), stints AS (
  SELECT DISTINCT deal_id, stint,
    coalesce(first_value(value) OVER w, 0) AS first_value,
    coalesce(last_value(value) OVER w, 0) AS last_value
  FROM open_
  WINDOW w AS (PARTITION BY deal_id, stint ORDER BY segment
               ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
)
SELECT 'start' AS movement, count(*) AS deals, coalesce(sum(value), 0) AS value
FROM open_ WHERE since < {FROM}
UNION ALL SELECT 'new', count(*), coalesce(sum(value), 0)
FROM open_ WHERE segment = 1 AND since >= {FROM}
UNION ALL SELECT 'reopened', count(*), coalesce(sum(value), 0)
FROM open_ WHERE segment > 1 AND came_from <> 'open' AND since >= {FROM}
UNION ALL SELECT 'increased', count(DISTINCT deal_id), coalesce(sum(last_value - first_value), 0)
FROM stints WHERE last_value > first_value
UNION ALL SELECT 'decreased', count(DISTINCT deal_id), coalesce(sum(first_value - last_value), 0)
FROM stints WHERE last_value < first_value
UNION ALL SELECT 'won', count(*), coalesce(sum(value), 0)
FROM open_ WHERE went_to = 'won' AND until <= {TO}
UNION ALL SELECT 'lost', count(*), coalesce(sum(value), 0)
FROM open_ WHERE went_to IN ('lost', 'withdrawn', 'abandoned') AND until <= {TO}
UNION ALL SELECT 'nurtured', count(*), coalesce(sum(value), 0)
FROM open_ WHERE went_to = 'nurture' AND until <= {TO}
UNION ALL SELECT 'end', count(*), coalesce(sum(value), 0)
FROM open_ WHERE until IS NULL OR until > {TO};"""

QUERIES: dict[str, str] = {
    "funnel": FUNNEL,
    "win-rates": WIN_RATES,
    "time-in-stage": TIME_IN_STAGE,
    "velocity": VELOCITY,
    "losses-by-stage": LOSSES_BY_STAGE,
    "waterfall": WATERFALL,
}
#: The queries that need PostgreSQL.
POSTGRES_ONLY = ("time-in-stage",)

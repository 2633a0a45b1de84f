"""The read models after scripted scenarios, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import psycopg

from cli.context import Salesflow
from domain.demo_data import ARTICLE_CASE, article_case, enter
from domain.times import now
from projections import queries
from projections.asof import pipeline_as_of
from projections.report_views import drop_views_sql
from projections.schema import AUDIT_TRAIL, LOSSES, MILESTONES, STAGE_HISTORY
from tests.conftest import make_flow
from tests.support import do, t, walk_to_bidding


def price_fight(flow: Salesflow) -> None:
    """Forced past the standard, bid, lost on price; an insider who left; a retraction."""
    p = flow.process
    walk_to_bidding(p, "HB-7", influence=False)
    do(p, "activity", "HB-7", "2026-07-09", kind="visit", with_whom="buyer")
    do(p, "bid", "HB-7", "2026-07-10", price="980000", margin=0.12)
    do(p, "stakeholder_left", "HB-7", "2026-07-12", name="Wang", reason="moved to HQ")
    do(p, "tender", "HB-7", "2026-07-13")
    do(p, "retract", "HB-7", "2026-07-14", seq=12, reason="logged on the wrong deal")
    do(p, "lose", "HB-7", "2026-07-20", reason="price", competitor="Lowprice")


def rows_of(flow: Salesflow, table: Any) -> list[dict[str, Any]]:
    return queries.table_rows(flow.fresh(), table, flow.settings.config.tz)


def test_pipeline_has_one_row_per_deal_in_key_order(flow: Salesflow) -> None:
    price_fight(flow)
    enter(flow.process, ARTICLE_CASE, article_case())
    rows = queries.pipeline(flow.fresh(), flow.settings.config.tz, now())
    assert [r["key"] for r in rows] == ["HB-7", ARTICLE_CASE]
    hb, nx = rows
    assert (hb["stage"], hb["outcome"], hb["grade"], hb["forced_count"]) == (
        "bidding",
        "lost",
        "A",
        1,
    )
    assert hb["win_probability"] == 0.0
    assert hb["missing_milestones"] == ["insider_found", "standard_influenced"]
    assert hb["days_in_stage"] == 12  # 8 July to the loss on 20 July
    assert hb["closed_at"].isoformat().startswith("2026-07-20")
    assert (nx["stage"], nx["alignment"], nx["expected_stage"]) == (
        "development",
        "behind",
        "entry",
    )
    assert nx["missing_milestones"] == [
        "opportunity_assessed",
        "customer_graded",
        "insider_found",
        "key_person_engaged",
    ]
    assert nx["last_activity_at"].isoformat().startswith("2026-09-09")
    assert nx["win_probability"] == 0.1


def test_stage_history_has_one_row_per_stay(flow: Salesflow) -> None:
    price_fight(flow)
    stays = rows_of(flow, STAGE_HISTORY)
    assert [(s["stage"], s["left_how"]) for s in stays] == [
        ("development", "advanced"),
        ("entry", "advanced"),
        ("proposal", "forced"),
        ("bidding", "lost"),
    ]
    assert stays[2]["skipped_milestones"] == ["standard_influenced"]
    assert stays[3]["duration_days"] == 12.0 - 0.0  # 8 to 20 July, both 00:00
    assert all(s["entered_recorded_at"] is not None for s in stays)


def test_audit_trail_has_every_entry_with_both_clocks_and_retractions(
    flow: Salesflow,
) -> None:
    price_fight(flow)
    audit = rows_of(flow, AUDIT_TRAIL)
    assert [r["seq"] for r in audit] == list(range(1, 15))
    forced = next(r for r in audit if r["event"] == "StageForced")
    assert forced["stage"] == "bidding"
    assert "standard_influenced" in forced["summary"]
    retracted = next(r for r in audit if r["seq"] == 12)
    assert retracted["event"] == "TenderReceived" and retracted["retracted"] is True
    assert retracted["retracted_by_seq"] == 13
    assert all(r["recorded_at"] >= r["occurred_at"] for r in audit)
    bid = next(r for r in audit if r["event"] == "BidSubmitted")
    data = bid["data"] if isinstance(bid["data"], dict) else json.loads(bid["data"])
    assert data["price"] == "980000" and bid["actor"] == "tester"


def test_milestones_show_periods_lapses_and_skips(flow: Salesflow) -> None:
    price_fight(flow)
    rows = rows_of(flow, MILESTONES)
    by = {(r["milestone"], r["period"]): r for r in rows}
    insider = by[("insider_found", 1)]
    assert insider["met"] is True and insider["ended_how"] == "stakeholder left"
    assert insider["met_until"].isoformat().startswith("2026-07-12")
    standard = by[("standard_influenced", 1)]
    assert (standard["met"], standard["forced_past"]) == (False, True)
    assert standard["ended_how"] == "forced past, never met"
    assert ("trial_evaluated", 1) not in by


def test_losses_explain_a_price_fight_by_its_milestones(flow: Salesflow) -> None:
    price_fight(flow)
    (loss,) = queries.losses(flow.fresh(), flow.settings.config.tz)
    assert (loss["key"], loss["outcome"], loss["stage"], loss["reason"]) == (
        "HB-7",
        "lost",
        "bidding",
        "price",
    )
    assert loss["competitor"] == "Lowprice" and loss["price_fight"] is True
    assert "standard_influenced" in loss["explanation"]
    assert "Price fight" in loss["explanation"]
    assert loss["forced_advances"][0]["missing"] == ["standard_influenced"]
    assert loss["days_in_pipeline"] == 19


def test_a_retracted_stage_move_leaves_the_stage_history_but_not_the_past(
    flow: Salesflow,
) -> None:
    p = flow.process
    walk_to_bidding(p, "MV-1")
    read = flow.fresh()
    before = max(r["recorded_at"] for r in queries.audit(read, flow.settings.config.tz, "MV-1"))
    done = do(p, "retract", "MV-1", "2026-07-09", seq=9, reason="advanced by mistake")

    assert (done.seq, done.value) == (10, "StageAdvanced")
    stays = [r for r in rows_of(flow, STAGE_HISTORY) if r["key"] == "MV-1"]
    assert [s["stage"] for s in stays] == ["development", "entry", "proposal"]
    assert stays[-1]["left_at"] is None
    [now_row] = queries.pipeline(flow.fresh(), flow.settings.config.tz, now())
    assert now_row["stage"] == "proposal"
    [then] = pipeline_as_of(flow.read, flow.settings.config, now(), before)
    assert then["stage"] == "bidding"


def test_corrected_details_show_in_the_read_models_and_the_audit_keeps_both(
    flow: Salesflow,
) -> None:
    p = flow.process
    do(p, "open_deal", "CR-1", "2026-07-01", customer="Ningxa plant", title="Gear oils")
    do(p, "lose", "CR-1", "2026-07-05", reason="price")
    audit = queries.audit(flow.fresh(), flow.settings.config.tz, "CR-1")
    known = max(r["recorded_at"] for r in audit)
    do(p, "correct", "CR-1", "2026-07-06", customer="Ningxia plant", reason="typo")

    [row] = queries.pipeline(flow.fresh(), flow.settings.config.tz, now())
    assert row["customer"] == "Ningxia plant"
    [loss] = queries.losses(flow.read, flow.settings.config.tz)
    assert loss["customer"] == "Ningxia plant"
    audit = queries.audit(flow.read, flow.settings.config.tz, "CR-1")
    assert audit[0]["data"]["customer"] == "Ningxa plant"
    assert audit[-1]["data"]["previous"] == {"customer": "Ningxa plant"}
    [then] = pipeline_as_of(flow.read, flow.settings.config, now(), known)
    assert then["customer"] == "Ningxa plant"
    [as_of_opening] = pipeline_as_of(flow.read, flow.settings.config, t("2026-07-01T12:00"), None)
    assert as_of_opening["customer"] == "Ningxia plant"


def test_a_retracted_period_is_marked_so_that_counting_met_periods_leaves_it_out(
    flow: Salesflow,
) -> None:
    p = flow.process
    do(p, "open_deal", "RT-1", "2026-07-01", customer="C", title="T")
    do(p, "influence", "RT-1", "2026-07-02", criteria=["viscosity"])
    do(p, "retract", "RT-1", "2026-07-03", seq=2, reason="another customer's standard")
    [period] = [r for r in rows_of(flow, MILESTONES) if r["key"] == "RT-1"]
    assert (period["milestone"], period["met"], period["retracted"]) == (
        "standard_influenced",
        True,
        True,
    )
    [live] = flow.read.query(
        f"SELECT COUNT(*) AS n FROM {flow.read.table(MILESTONES)} WHERE met AND NOT retracted"
        " AND key = 'RT-1'"
    )
    assert live["n"] == 0


def _execute(flow: Salesflow, *statements: str) -> None:
    """Statements run on the read models' database, outside salesflow."""
    store = flow.settings.store
    if store.kind == "sqlite":
        with sqlite3.connect(store.path) as conn:
            for sql in statements:
                conn.execute(sql)
        return
    with psycopg.connect(store.conninfo(), autocommit=True) as pg:
        for sql in statements:
            pg.execute(sql)


def test_read_models_of_another_version_are_rebuilt_on_first_use(
    flow: Salesflow, store_url: str
) -> None:
    price_fight(flow)
    before = {t.name: rows_of(flow, t) for t in (MILESTONES, LOSSES)}
    read = flow.read
    schema = "" if read.dialect == "sqlite" else f"{flow.settings.store.reporting_schema}."
    flow.close()
    # What an older salesflow left: no report views, its version, a column fewer, other rows.
    _execute(
        flow,
        *drop_views_sql(lambda name: f"{schema}{name}"),
        f"UPDATE {schema}salesflow_schema SET version = 1",
        f"ALTER TABLE {schema}milestones DROP COLUMN retracted",
        f"UPDATE {schema}losses SET explanation = 'written by an older salesflow'",
    )
    again = make_flow(store_url)
    try:
        after = {t.name: rows_of(again, t) for t in (MILESTONES, LOSSES)}
    finally:
        again.close()
    assert after == before

"""The projection engine: exactly once, restartable, rebuildable, never stale."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any

import pytest

from cli.context import Salesflow
from domain.config import ProcessConfig
from domain.demo_data import load_demo
from domain.entries import Entry
from projections.engine import Projector
from projections.rebuild import rebuild
from projections.rows import DealRows, deal_rows
from projections.schema import PIPELINE, PROJECTION, TABLES
from tests.conftest import make_flow
from tests.support import do, open_deal

Snapshot = dict[str, list[tuple[Any, ...]]]


def snapshot(flow: Salesflow) -> Snapshot:
    """Every read-model row, in a stable order."""
    read = flow.read
    return {
        t.name: sorted(
            (
                tuple(str(v) for v in r.values())
                for r in read.query(f"SELECT {', '.join(t.column_names)} FROM {read.table(t)}")
            ),
        )
        for t in TABLES
    }


def event_count(flow: Salesflow) -> int:
    return flow.projector().head()


def test_rebuild_equals_incremental_row_for_row(flow: Salesflow) -> None:
    p = flow.process
    open_deal(p, "A-1")
    flow.fresh()
    load_demo(p)
    flow.fresh()  # incremental: a page per catch-up, deals touched across pages
    do(p, "activity", "GS-2026-019", "2026-11-03", kind="call")
    do(p, "retract", "SX-2026-012", "2026-11-04", seq=21, reason="wrong trial result")
    do(p, "find_insider", "A-1", "2026-07-01T08:00", name="back-dated")
    flow.fresh()
    incremental = snapshot(flow)
    rebuild(flow.projector())
    assert snapshot(flow) == incremental
    assert len(incremental["audit_trail"]) == event_count(flow)


def test_a_crash_between_pages_resumes_without_applying_twice(flow: Salesflow) -> None:
    load_demo(flow.process)
    pages = 0

    def crash_after_two_pages(_: int) -> None:
        nonlocal pages
        pages += 1
        if pages == 2:
            raise KeyboardInterrupt("power cut")

    small = Projector(flow.process, flow.read, page_size=7)
    with pytest.raises(KeyboardInterrupt):
        small.catch_up(crash_after_two_pages)
    assert flow.read.position(PROJECTION) == 14
    small.catch_up()
    resumed = snapshot(flow)
    rebuild(flow.projector())
    assert snapshot(flow) == resumed
    assert len(resumed["audit_trail"]) == event_count(flow)


def test_a_crash_inside_a_page_leaves_nothing_half_written(
    flow: Salesflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_demo(flow.process)
    projector = Projector(flow.process, flow.read, page_size=10)
    projector.catch_up()
    before = snapshot(flow)
    position = flow.read.position(PROJECTION)
    do(flow.process, "activity", "GS-2026-019", "2026-11-03", kind="call")
    do(flow.process, "shortlist", "NX-2026-031", "2026-11-03")

    from projections import postgres_store, sqlite_store

    for page_class in (sqlite_store._SQLitePage, postgres_store._PostgresPage):
        monkeypatch.setattr(page_class, "advance", _crash)
    with pytest.raises(RuntimeError, match="crash after the rows"):
        projector.catch_up()
    assert flow.read.position(PROJECTION) == position
    assert snapshot(flow) == before
    monkeypatch.undo()
    projector.catch_up()
    assert flow.read.position(PROJECTION) == event_count(flow)
    after = snapshot(flow)
    assert len(after["audit_trail"]) == event_count(flow)
    rebuild(flow.projector())
    assert snapshot(flow) == after


def _crash(self: Any, position: int) -> None:
    raise RuntimeError("crash after the rows were written")


def test_a_deal_that_cannot_be_projected_is_quarantined_and_the_others_go_on(
    flow: Salesflow,
) -> None:
    load_demo(flow.process)
    bad_deal = str(flow.process.deal("HB-2026-007").id)
    broken = True

    def failing(deal: str, entries: Sequence[Entry[Any]], config: ProcessConfig) -> DealRows:
        if deal == bad_deal and broken:
            raise ValueError("handler bug")
        return deal_rows(deal, entries, config)

    projector = Projector(flow.process, flow.read, rows_of=failing)
    projector.catch_up()
    assert flow.read.position(PROJECTION) == event_count(flow)
    [held] = flow.read.quarantine(PROJECTION)
    assert (held["key"], held["deal_id"]) == ("HB-2026-007", bad_deal)
    assert "handler bug" in held["reason"]
    keys = {r["key"] for r in flow.read.query(f"SELECT key FROM {flow.read.table(PIPELINE)}")}
    assert "HB-2026-007" not in keys and "NX-2026-031" in keys
    broken = False  # the bug fixed: the deal's next entry brings it back, whole
    do(flow.process, "correct", "HB-2026-007", "2026-11-01", title="Oils", reason="typo")
    projector.catch_up()
    assert flow.read.quarantine(PROJECTION) == []
    after = snapshot(flow)
    rebuild(flow.projector())
    assert snapshot(flow) == after


def test_two_followers_end_with_the_same_tables_as_one(store_url: str) -> None:
    writer = make_flow(store_url)
    load_demo(writer.process)
    for i in range(40):
        open_deal(writer.process, f"F-{i:03d}")
        do(writer.process, "activity", f"F-{i:03d}", "2026-07-02", kind="visit")
    followers = [make_flow(store_url) for _ in range(2)]
    for f in followers:
        f.read  # noqa: B018 - open both before racing
    errors: list[BaseException] = []

    def follow(f: Salesflow) -> None:
        try:
            Projector(f.process, f.read, page_size=5).catch_up()
        except BaseException as exc:  # pragma: no cover - asserted below
            errors.append(exc)

    threads = [threading.Thread(target=follow, args=(f,)) for f in followers]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    both = snapshot(writer)
    assert len(both["audit_trail"]) == event_count(writer)
    rebuild(writer.projector())
    assert snapshot(writer) == both
    for f in (*followers, writer):
        f.close()


def test_a_read_sees_writes_made_by_another_process(store_url: str) -> None:
    flow = make_flow(store_url)
    flow.read.ensure_schema()  # the store and its read models, made here first
    env = {**os.environ, "SALESFLOW_STORE": store_url, "SALESFLOW_USER": "other"}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "cli",
            "deal",
            "open",
            "OTHER-1",
            "--customer",
            "C",
            "--title",
            "T",
            "--at",
            "2026-07-01",
        ],
        check=True,
        env=env,
        capture_output=True,
    )
    rows = flow.read.query(f"SELECT key FROM {flow.read.table(PIPELINE)}")
    assert rows == []  # nothing follows the log in the background...
    keys = [r["key"] for r in flow.fresh().query(f"SELECT key FROM {flow.read.table(PIPELINE)}")]
    assert keys == ["OTHER-1"]  # ...yet every read command catches up first
    flow.close()


def test_a_bi_client_reads_the_sqlite_tables(tmp_path: Any) -> None:
    flow = make_flow(f"sqlite:///{tmp_path / 'bi.db'}")
    load_demo(flow.process)
    flow.fresh()
    flow.close()
    with sqlite3.connect(tmp_path / "bi.db") as conn:
        rows = conn.execute(
            "SELECT key, stage, outcome FROM pipeline WHERE outcome = 'lost'"
        ).fetchall()
        lost = conn.execute("SELECT key, explanation FROM losses ORDER BY key").fetchall()
    assert rows == [("HB-2026-007", "bidding", "lost")]
    assert "standard_influenced" in lost[0][1]


def test_a_bi_client_reads_the_postgres_tables_with_psql(pg_url: str) -> None:
    flow = make_flow(pg_url)
    load_demo(flow.process)
    flow.fresh()
    store = flow.settings.store
    out = subprocess.run(
        [
            "psql",
            "-h",
            store.host,
            "-p",
            str(store.port),
            "-U",
            store.user,
            "-d",
            store.dbname,
            "-At",
            "-c",
            f"SELECT key, stage, outcome FROM {store.reporting_schema}.pipeline"
            " WHERE outcome = 'won'",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    assert out.stdout.strip() == "SX-2026-012|implementation|won"
    flow.close()


def test_a_live_follower_keeps_the_tables_current_without_a_read_command(
    store_url: str,
) -> None:
    writer, follower = make_flow(store_url), make_flow(store_url)
    stop = threading.Event()
    thread = threading.Thread(target=follower.projector().follow, args=(stop, 0.05))
    thread.start()
    try:
        open_deal(writer.process, "LIVE-1")
        deadline = time.monotonic() + 10
        table = writer.read.table(PIPELINE)
        while time.monotonic() < deadline:
            if writer.read.query(f"SELECT key FROM {table}"):
                break
            time.sleep(0.02)
        assert writer.read.query(f"SELECT key FROM {table}") == [{"key": "LIVE-1"}]
    finally:
        stop.set()
        thread.join()
        writer.close()
        follower.close()

"""A rebuild in several processes: the deals split among them, the result the
same as one process's, the live tables untouched until the swap."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest

from cli.context import Salesflow
from domain.demo_data import load_demo
from projections.errors import ProjectionError
from projections.partitions import partition_of, read_page
from projections.rebuild import Helpers, rebuild
from projections.schema import AUDIT_TRAIL, LOSSES, PIPELINE, PROJECTION, STAGE_HISTORY, TABLES
from tests.conftest import make_flow
from tests.support import do, open_deal
from tests.test_projection_engine import Snapshot, event_count, snapshot


@pytest.fixture
def busy(store_url: str) -> Iterator[Salesflow]:
    """A store whose deals interleave in the log, incrementally projected."""
    f = make_flow(store_url)
    load_demo(f.process)
    for i in range(12):
        open_deal(f.process, f"R-{i:02d}")
    for i in range(12):
        do(f.process, "activity", f"R-{i:02d}", "2026-07-02", kind="visit")
        do(f.process, "activity", "GS-2026-019", "2026-11-03", kind="call")
    do(f.process, "retract", "SX-2026-012", "2026-11-04", seq=21, reason="wrong trial result")
    f.fresh()
    yield f
    f.close()


class Split:
    """Holds a rebuild's own process alone for ``alone`` pages, then until
    its helpers are ready; records what the helpers applied."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, alone: int) -> None:
        self.by_helpers = 0
        calls = 0
        real_ready, real_wait = Helpers.ready, Helpers.wait

        def ready(helpers: Helpers) -> bool:
            nonlocal calls
            calls += 1
            if calls <= alone:
                return False
            deadline = time.monotonic() + 60
            while not real_ready(helpers):
                assert time.monotonic() < deadline, "helpers never got ready"
                time.sleep(0.01)
            return True

        def wait(helpers: Helpers, progress: object) -> int:
            self.by_helpers = real_wait(helpers, progress)  # type: ignore[arg-type]
            return self.by_helpers

        monkeypatch.setattr(Helpers, "ready", ready)
        monkeypatch.setattr(Helpers, "wait", wait)


@pytest.mark.parametrize("alone", [0, 3])
def test_a_rebuild_split_among_processes_equals_incremental_row_for_row(
    busy: Salesflow, monkeypatch: pytest.MonkeyPatch, alone: int
) -> None:
    incremental = snapshot(busy)
    split = Split(monkeypatch, alone)
    applied = rebuild(busy.projector(workers=3), page_size=5)
    assert applied == event_count(busy)
    assert 0 < split.by_helpers < applied  # every process had deals of its own
    assert snapshot(busy) == incremental
    assert busy.read.position(PROJECTION) == event_count(busy)


def test_a_small_rebuild_does_not_wait_for_its_helpers(busy: Salesflow) -> None:
    incremental = snapshot(busy)
    started = time.monotonic()
    assert rebuild(busy.projector(workers=2)) == event_count(busy)
    assert snapshot(busy) == incremental
    # Helpers take a fresh interpreter's start-up; this store needs less.
    assert time.monotonic() - started < 5


def test_an_unreadable_event_in_a_helper_s_part_is_quarantined_and_the_rebuild_goes_on(
    busy: Salesflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = next(n for n in _all_notes(busy) if partition_of(n.originator_id, 2) == 1 and n.id > 10)
    _corrupt(busy, bad.id)
    Split(monkeypatch, 0)
    assert rebuild(busy.projector(workers=2), page_size=5) == event_count(busy)
    [held] = busy.read.quarantine(PROJECTION)
    assert held["deal_id"] == str(bad.originator_id) and held["seq"] == bad.originator_version
    assert "cannot read it" in held["reason"]
    assert busy.read.position(PROJECTION) == event_count(busy)


def test_a_second_rebuild_at_once_is_refused(busy: Salesflow, store_url: str) -> None:
    other = make_flow(store_url)
    try:
        with (
            busy.read.shadow_tables().rebuild_lock(PROJECTION),
            pytest.raises(ProjectionError, match="already running"),
        ):
            rebuild(other.projector(workers=1))
        assert rebuild(other.projector(workers=1)) == event_count(busy)
    finally:
        other.close()


def test_readers_keep_the_whole_live_tables_during_a_rebuild(busy: Salesflow) -> None:
    before = snapshot(busy)
    seen: list[Snapshot] = []
    rebuild(busy.projector(workers=1), lambda n: seen.append(snapshot(busy)), page_size=5)
    assert len(seen) > 3
    assert all(s == before for s in seen)
    assert len(busy.read.query(f"SELECT seq FROM {busy.read.table(AUDIT_TRAIL)}")) == len(
        before["audit_trail"]
    )


@pytest.mark.parametrize("parts", [2, 3, 5])
def test_every_event_falls_in_exactly_one_partition(busy: Salesflow, parts: int) -> None:
    everything = {n.id: n for n in _all_notes(busy)}
    head = max(everything)
    seen: list[int] = []
    for part in range(parts):
        start = 1
        while True:
            notes, last = read_page(busy.process.recorder, start, 4, head, part, parts)
            if last is None:
                break
            for n in notes:
                assert partition_of(n.originator_id, parts) == part
                assert n == everything[n.id]
            seen.extend(n.id for n in notes)
            start = last + 1
    assert sorted(seen) == sorted(everything)


def _all_notes(flow: Salesflow) -> list:  # type: ignore[type-arg]
    return list(flow.process.recorder.select_notifications(1, 100_000))


def _corrupt(flow: Salesflow, notification_id: int) -> None:
    """Overwrite a stored event's state with bytes no transcoder reads."""
    recorder = flow.process.recorder
    store = flow.settings.store
    if store.kind == "sqlite":
        import sqlite3

        with sqlite3.connect(store.path) as conn:
            conn.execute(
                f"UPDATE {recorder.events_table_name} SET state = ? WHERE rowid = ?",  # type: ignore[attr-defined]
                (b"\x00not json", notification_id),
            )
    else:
        import psycopg

        with psycopg.connect(store.conninfo(), autocommit=True) as conn:
            conn.execute(
                f"UPDATE {store.events_schema}.{recorder.events_table_name}"  # type: ignore[attr-defined]
                " SET state = %s WHERE notification_id = %s",
                (b"\x00not json", notification_id),
            )


def test_a_rebuild_keeps_what_users_hung_on_the_live_tables(busy: Salesflow) -> None:
    read = busy.read
    pipeline, audit = read.table(PIPELINE), read.table(AUDIT_TRAIL)
    schema = pipeline[: -len(PIPELINE.name)]  # "" on SQLite, "reporting_x." on PostgreSQL
    ddl = cast(Any, read).conn.execute  # what a BI user's own SQL session would do
    ddl(f"CREATE VIEW {schema}won AS SELECT key FROM {pipeline} WHERE outcome = 'won'")
    ddl(f"CREATE INDEX by_time ON {audit} (occurred_at)")
    if read.dialect == "postgresql":
        ddl(f"GRANT SELECT ON {read.table(STAGE_HISTORY)} TO PUBLIC")
    before, identities = snapshot(busy), _identities(busy)
    rebuild(busy.projector(workers=1))
    assert snapshot(busy) == before
    assert read.query(f"SELECT key FROM {schema}won") == [{"key": "SX-2026-012"}]
    assert _has_index(busy, "by_time")
    after = _identities(busy)
    # Tables with something of their users' are refilled in place; the others swapped.
    kept = {PIPELINE.name, AUDIT_TRAIL.name} | (
        {STAGE_HISTORY.name} if read.dialect == "postgresql" else set()
    )
    assert {t for t in identities if identities[t] == after[t]} == kept
    if read.dialect == "postgresql":
        granted = f"SELECT has_table_privilege('public', '{read.table(STAGE_HISTORY)}', 'SELECT')"
        assert list(read.query(granted)[0].values()) == [True]


def _identities(flow: Salesflow) -> dict[str, Any]:
    """Each live table's identity: its oid, or its root page on SQLite."""
    read = flow.read
    if read.dialect == "sqlite":
        sql = "SELECT rootpage AS id FROM sqlite_master WHERE type = 'table' AND name = %s"
    else:
        sql = "SELECT to_regclass(%s)::oid AS id"
    return {t.name: read.query(sql, (read.table(t),))[0]["id"] for t in TABLES}


def _has_index(flow: Salesflow, name: str) -> bool:
    read = flow.read
    if read.dialect == "sqlite":
        return bool(read.query("SELECT 1 FROM sqlite_master WHERE name = %s", (name,)))
    schema = read.table(PIPELINE)[: -len(PIPELINE.name)]
    return bool(
        read.query("SELECT to_regclass(%s) IS NOT NULL AS ok", (f"{schema}{name}",))[0]["ok"]
    )


@pytest.mark.postgres
def test_each_table_and_column_says_what_it_means_before_and_after_a_rebuild(
    pg_url: str,
) -> None:
    flow = make_flow(pg_url)
    try:
        load_demo(flow.process)
        read = flow.fresh()
        ddl = cast(Any, read).conn.execute
        ddl(f"COMMENT ON TABLE {read.table(LOSSES)} IS 'the board''s copy'")
        ids = _identities(flow)
        rebuild(flow.projector(workers=1))
        for t in TABLES:
            [row] = read.query(
                "SELECT obj_description(to_regclass(%s), 'pg_class') AS d", (read.table(t),)
            )
            assert row["d"] == (t.about if t is not LOSSES else "the board's copy")
            for number, (name, _, meaning) in enumerate(t.spec, 1):
                [col] = read.query(
                    "SELECT col_description(to_regclass(%s), attnum) AS d FROM pg_attribute"
                    " WHERE attrelid = to_regclass(%s) AND attname = %s",
                    (read.table(t), read.table(t), name),
                )
                assert col["d"] == meaning, (t.name, name, number)
        after = _identities(flow)
        # Our own comments do not keep a table from being swapped; a user's does.
        assert {t.name for t in TABLES if ids[t.name] == after[t.name]} == {LOSSES.name}
    finally:
        flow.close()


def test_the_tables_a_rebuild_swaps_in_have_their_statistics(pg_url: str) -> None:
    # Without them PostgreSQL's planner read the whole audit trail to find 60
    # deals' entries (found measuring the web app's board at 1M events).
    flow = make_flow(pg_url)
    try:
        load_demo(flow.process)
        read = flow.fresh()
        rebuild(flow.projector(workers=1))
        for t in TABLES:
            [row] = read.query(
                "SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)", (read.table(t),)
            )
            assert row["reltuples"] >= 0, t.name  # -1: never analysed
    finally:
        flow.close()


def _children(pid: int) -> set[int]:
    """The processes whose parent is ``pid`` (from /proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def test_a_killed_rebuild_takes_its_helpers_with_it_and_the_next_one_runs(
    store_url: str,
) -> None:
    import os
    import signal
    import subprocess
    import sys

    from tests.support import generate

    flow = make_flow(store_url)
    generate(flow.process, 30_000, seed=9)
    flow.fresh()
    before = snapshot(flow)
    env = {**os.environ, "SALESFLOW_STORE": store_url, "SALESFLOW_TZ": "UTC"}
    command = [sys.executable, "-m", "cli", "projections", "rebuild", "--workers", "3"]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while len(_children(proc.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    helpers = _children(proc.pid)
    assert len(helpers) >= 2, "the rebuild started its helpers"
    tracking = flow.read.qualified("salesflow_tracking")
    working = f"SELECT position FROM {tracking} WHERE name = %s"
    parts = [f"{PROJECTION}__rebuild/{n}" for n in (1, 2)]

    def positions() -> list[int]:
        return [r["position"] for p in parts for r in flow.read.query(working, (p,))]

    while time.monotonic() < deadline:  # until the helpers apply their parts
        if any(positions()) and proc.poll() is None:
            break
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    at_kill = positions()
    time.sleep(0.3)
    assert positions() == at_kill  # nothing written by a helper after its rebuild died
    assert not [
        h
        for h in helpers
        if Path(f"/proc/{h}/stat").exists()
        and Path(f"/proc/{h}/stat").read_text().split()[2] != "Z"
    ]
    rebuild(flow.projector(workers=2), page_size=500)
    assert snapshot(flow) == before
    flow.close()
    assert b"leaked" not in proc.stderr.read() if proc.stderr else True

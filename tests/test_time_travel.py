"""Time travel and pipeline movement: as-of, known-at, pipeline --as-of
against the fold, movement."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cli.context import Salesflow
from domain.fold import fold
from projections import queries
from projections.asof import pipeline_as_of
from projections.movement import movement
from tests.conftest import cli_json
from tests.support import do, generate, open_deal, t


def test_as_of_and_known_at_on_a_back_dated_entry_and_a_retraction(flow: Salesflow) -> None:
    p = flow.process
    open_deal(p, "TT-1")
    do(p, "observe_step", "TT-1", "2026-07-01", step="supplier_screening")
    do(p, "find_insider", "TT-1", "2026-07-05", name="Wang")
    recorded_insider = p.deal("TT-1").entries[-1].recorded_at
    do(p, "engage", "TT-1", "2026-07-02", name="Zhao")  # back-dated, logged later
    recorded_engage = p.deal("TT-1").entries[-1].recorded_at
    do(p, "retract", "TT-1", "2026-07-06", seq=3, reason="wrong person")
    recorded_retraction = p.deal("TT-1").entries[-1].recorded_at

    def met(as_of: str | None = None, known: datetime | None = None) -> list[str]:
        args = ["deal", "show", "TT-1"]
        if as_of:
            args += ["--as-of", as_of]
        if known:
            args += ["--known-at", known.isoformat()]
        doc = cli_json(flow, *args)
        return [m for m, s in doc["milestones"].items() if s["met"]]

    assert met() == ["key_person_engaged"]  # the insider is retracted now
    assert met(as_of="2026-07-01") == []
    assert met(as_of="2026-07-03") == ["key_person_engaged"]
    assert met(known=recorded_insider) == ["insider_found"]
    assert met(as_of="2026-07-03", known=recorded_insider) == []
    assert met(known=recorded_engage) == ["insider_found", "key_person_engaged"]
    assert met(known=recorded_retraction - timedelta(microseconds=1)) == [
        "insider_found",
        "key_person_engaged",
    ]
    rows = cli_json(
        flow, "pipeline", "--as-of", "2026-07-03", "--known-at", recorded_engage.isoformat()
    )
    assert rows[0]["missing_milestones"] == [
        "opportunity_assessed",
        "customer_graded",
        "insider_found",
    ]
    rows = cli_json(
        flow, "pipeline", "--as-of", "2026-07-10", "--known-at", recorded_engage.isoformat()
    )
    assert rows[0]["missing_milestones"] == ["opportunity_assessed", "customer_graded"]


def _reference(flow: Salesflow, as_of: datetime, known: datetime | None) -> list[Any]:
    out = []
    for entries in queries.entries(flow.read).values():
        s = fold(entries, as_of=as_of, known_at=known)
        if s.opened_at is None:
            continue
        out.append(
            (
                s.key,
                s.customer,
                s.stage.value,
                s.outcome.value,
                s.grade and s.grade.value,
                s.alignment.value,
                [m.value for m in s.missing_milestones],
                len(s.forced_advances),
                s.win_probability(flow.settings.config)[0],
                s.last_activity_at,
            )
        )
    return sorted(out, key=lambda r: r[0])


def test_pipeline_as_of_from_sql_matches_the_fold_of_every_deal(flow: Salesflow) -> None:
    generate(flow.process, 6000, seed=3, batch=100)
    read = flow.fresh()
    recorded = sorted(e.recorded_at for es in queries.entries(read).values() for e in es)
    cutoffs = [None, recorded[len(recorded) // 3], recorded[2 * len(recorded) // 3]]
    for as_of in (t("2023-06-01"), t("2024-06-30T12:00"), t("2025-09-01"), t("2026-11-01")):
        for known in cutoffs:
            rows = pipeline_as_of(read, flow.settings.config, as_of, known)
            got = [
                (
                    r["key"],
                    r["customer"],
                    r["stage"],
                    r["outcome"],
                    r["grade"],
                    r["alignment"],
                    r["missing_milestones"],
                    r["forced_count"],
                    r["win_probability"],
                    r["last_activity_at"],
                )
                for r in rows
            ]
            assert got == _reference(flow, as_of, known), (as_of, known)


def test_movement_totals_balance_on_a_generated_pipeline(flow: Salesflow) -> None:
    generate(flow.process, 22000, seed=5)
    histories = list(queries.entries(flow.fresh()).values())
    assert len(histories) >= 1000
    for start, end in (
        ("2023-01-01", "2023-12-31"),
        ("2024-03-01", "2024-03-31"),
        ("2025-01-01", "2026-11-30"),
    ):
        doc = movement(histories, flow.settings.config, t(start), t(end + "T23:59:59"))
        n = doc["totals"]
        assert doc["open_at_end"] == (
            doc["open_at_start"]
            + n["new"]
            + n["reopened"]
            - n["won"]
            - n["lost"]
            - n["withdrawn"]
            - n["abandoned"]
            - n["nurtured"]
        )
        assert n["new"] > 0 and n["lost"] > 0 and n["advanced"] > 0
        for deal in doc["deals"]:
            assert not ({"unchanged", "advanced"} <= set(deal["movements"]))


def test_movement_through_the_cli(flow: Salesflow, tmp_path: Path) -> None:
    p = flow.process
    open_deal(p, "M-1", at="2026-03-01")
    open_deal(p, "M-2", at="2026-04-10")
    do(p, "nurture", "M-1", "2026-04-15", reason="later")
    doc = cli_json(flow, "movement", "--from", "2026-04-01", "--to", "2026-04-30")
    assert (doc["open_at_start"], doc["open_at_end"]) == (1, 1)
    assert doc["totals"]["new"] == 1 and doc["totals"]["nurtured"] == 1
    assert [(d["key"], d["movements"]) for d in doc["deals"]] == [
        ("M-1", ["nurtured"]),
        ("M-2", ["new"]),
    ]
    with pytest.raises(AssertionError):
        cli_json(flow, "movement", "--from", "2026-05-01", "--to", "2026-04-01")


def test_pipeline_as_of_reads_the_same_from_the_stretches_and_from_the_audit_trail(
    flow: Salesflow,
) -> None:
    # Known now, the pipeline as of a time is read from deal_segments; known at a
    # time, from the audit trail's two clocks: known at the last recording, the
    # two must agree in every column.
    generate(flow.process, 5000, seed=8, batch=100)
    read = flow.fresh()
    last = max(e.recorded_at for es in queries.entries(read).values() for e in es)
    for as_of in (t("2023-03-01"), t("2024-02-29T18:00"), t("2025-07-01"), t("2026-11-01")):
        stretches = pipeline_as_of(read, flow.settings.config, as_of, None)
        trail = pipeline_as_of(read, flow.settings.config, as_of, last)
        assert stretches and stretches == trail, as_of

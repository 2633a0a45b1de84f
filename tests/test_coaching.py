"""Coaching and time travel: diagnose, replay, as-of, known-at, movement."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bench.generate import generate
from cli.context import Salesflow
from cli.main import cli
from domain.demo_data import ARTICLE_CASE, article_case, enter
from domain.diagnosis import replay
from domain.state import fold
from domain.vocabulary import Milestone
from projections import queries
from projections.asof import pipeline_as_of
from projections.movement import movement
from tests.support import PASSING, do, open_deal, t, walk_to_bidding

ARTICLE_DIAGNOSIS = {
    "key": "NX-2026-031",
    "stage": "development",
    "customer_step": "supplier_screening",
    "expected_stage": "entry",
    "alignment": "behind",
    "missing_milestones": [
        "opportunity_assessed",
        "customer_graded",
        "insider_found",
        "key_person_engaged",
    ],
    "next_actions": [
        {
            "milestone": "opportunity_assessed",
            "stage": "development",
            "work_items": [
                "collect the six assessment elements (needs, schedule, budget, competition,"
                " decision, priorities)",
                "score the opportunity in the evaluation model",
                "if it fails, abandon it or lower the contact level",
            ],
        },
        {
            "milestone": "customer_graded",
            "stage": "development",
            "work_items": [
                "estimate the time to close and the likelihood of closing",
                "grade the customer A/B/C/D and plan the effort by grade",
            ],
        },
        {
            "milestone": "insider_found",
            "stage": "entry",
            "work_items": [
                "confirm the project information",
                "find an insider",
                "through the insider learn the buying organisation, the roles and each"
                " person's weight in the decision",
            ],
        },
        {
            "milestone": "key_person_engaged",
            "stage": "entry",
            "work_items": [
                "identify the key persons in the decision",
                "build a relationship with them and keep good relations with the other"
                " participants",
                "aim to be short-listed",
            ],
        },
    ],
    "risks": [],
}


def cli_json(flow: Salesflow, *args: str) -> Any:
    store = flow.settings.store
    url = (
        f"sqlite:///{store.path}"
        if store.kind == "sqlite"
        else f"postgresql://{store.user}@{store.host}:{store.port}/{store.dbname}"
        f"?schema={store.events_schema}&reporting={store.reporting_schema}"
    )
    result = CliRunner().invoke(cli, ["--store", url, *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_the_articles_case_diagnosis(flow: Salesflow) -> None:
    enter(flow.process, ARTICLE_CASE, article_case())
    doc = cli_json(flow, "diagnose", ARTICLE_CASE, "--as-of", "2026-09-10")
    assert doc == ARTICLE_DIAGNOSIS


def test_the_articles_case_stalls_a_month_after_the_last_call(flow: Salesflow) -> None:
    enter(flow.process, ARTICLE_CASE, article_case())
    doc = cli_json(flow, "diagnose", ARTICLE_CASE, "--as-of", "2026-10-15")
    assert doc["risks"] == [
        {"code": "stalled", "message": "no activity for 36 days (more than 30)"}
    ]


def _diagnosis(flow: Salesflow, key: str, as_of: str) -> dict[str, Any]:
    doc = cli_json(flow, "diagnose", key, "--as-of", as_of)
    assert isinstance(doc, dict)
    return doc


def _doc(
    key: str,
    stage: str,
    missing: list[Milestone],
    risks: list[dict[str, str]],
    alignment: str = "unknown",
) -> dict[str, Any]:
    """A whole diagnosis of a deal with no customer step observed."""
    return {
        "key": key,
        "stage": stage,
        "customer_step": None,
        "expected_stage": None,
        "alignment": alignment,
        "missing_milestones": [m.value for m in missing],
        "next_actions": _actions(*missing),
        "risks": risks,
    }


def _actions(*milestones: Milestone) -> list[dict[str, Any]]:
    return [
        {"milestone": m.value, "stage": m.stage.value, "work_items": list(m.work_items)}
        for m in milestones
    ]


def test_forced_past_milestone_no_insider_and_standard_not_influenced(flow: Salesflow) -> None:
    p = flow.process
    open_deal(p, "R-1")
    do(p, "assess", "R-1", "2026-07-02", scores=PASSING)
    do(p, "grade", "R-1", "2026-07-02", likelihood=0.8, close_by="2026-09-01")
    do(p, "advance", "R-1", "2026-07-03")
    do(p, "engage", "R-1", "2026-07-04", name="Zhao")
    do(p, "force", "R-1", "2026-07-05", reason="fast", approved_by="chen")
    do(p, "force", "R-1", "2026-07-06", reason="fast", approved_by="chen")
    do(p, "activity", "R-1", "2026-07-07", kind="visit")
    assert _diagnosis(flow, "R-1", "2026-07-08") == {
        "key": "R-1",
        "stage": "bidding",
        "customer_step": None,
        "expected_stage": None,
        "alignment": "unknown",
        "missing_milestones": ["insider_found", "standard_influenced", "bid_submitted"],
        "next_actions": _actions(
            Milestone.insider_found, Milestone.standard_influenced, Milestone.bid_submitted
        ),
        "risks": [
            {
                "code": "forced_past_milestone",
                "message": "forced past insider_found,"
                " standard_influenced, still unmet: each halves the win probability",
            },
            {
                "code": "no_insider",
                "message": "in bidding without an insider (insider_found"
                " unmet): nobody tells us how the customer decides",
            },
            {
                "code": "standard_not_influenced",
                "message": "in bidding with standard_influenced unmet: expect a price fight",
            },
        ],
    }


def test_late_entry_and_insider_lost(flow: Salesflow) -> None:
    p = flow.process
    open_deal(p, "R-2")
    do(p, "find_insider", "R-2", "2026-07-02", name="Wang")
    do(p, "stakeholder_left", "R-2", "2026-07-03", name="Wang", reason="retired")
    do(p, "observe_step", "R-2", "2026-07-04", step="tender_evaluation")
    do(p, "activity", "R-2", "2026-07-05", kind="call")
    assert _diagnosis(flow, "R-2", "2026-07-06") == {
        "key": "R-2",
        "stage": "development",
        "customer_step": "tender_evaluation",
        "expected_stage": "bidding",
        "alignment": "behind",
        "missing_milestones": [
            "opportunity_assessed",
            "customer_graded",
            "insider_found",
            "key_person_engaged",
            "standard_influenced",
            "bid_submitted",
        ],
        "next_actions": _actions(
            Milestone.opportunity_assessed,
            Milestone.customer_graded,
            Milestone.insider_found,
            Milestone.key_person_engaged,
            Milestone.standard_influenced,
            Milestone.bid_submitted,
        ),
        "risks": [
            {
                "code": "late_entry",
                "message": "the customer is at tender_evaluation"
                " (bidding), two or more stages past our development: we came in late",
            },
            {
                "code": "insider_lost",
                "message": "the last insider left on 2026-07-03: insider_found is unmet again",
            },
        ],
    }


def test_stalled_and_each_grade_policy_mismatch(flow: Salesflow) -> None:
    p = flow.process
    open_deal(p, "R-3")  # grade B past development
    do(p, "assess", "R-3", "2026-07-02", scores=PASSING)
    do(p, "grade", "R-3", "2026-07-02", likelihood=0.5, close_by="2026-12-01")
    do(p, "advance", "R-3", "2026-07-03")
    entry = [Milestone.insider_found, Milestone.key_person_engaged]
    assert _diagnosis(flow, "R-3", "2026-08-10") == _doc(
        "R-3",
        "entry",
        entry,
        [
            {"code": "stalled", "message": "no activity for 40 days (more than 30)"},
            {
                "code": "grade_policy_mismatch",
                "message": "a grade B deal (limit_time) in entry:"
                " only A deals run the full sales process",
            },
        ],
    )
    open_deal(p, "R-4")  # grade C, too busy
    do(p, "grade", "R-4", "2026-07-02", grade="C", reason="small plant")
    for day in range(3, 8):
        do(p, "activity", "R-4", f"2026-07-{day:02d}", kind="visit")
    assert _diagnosis(flow, "R-4", "2026-07-08") == _doc(
        "R-4",
        "development",
        [Milestone.opportunity_assessed],
        [
            {
                "code": "grade_policy_mismatch",
                "message": "5 activities in 14 days on a grade C deal (monitor): more than 4",
            }
        ],
    )
    open_deal(p, "R-5")  # grade A, neglected since the grading
    do(p, "grade", "R-5", "2026-07-02", grade="A", reason="strategic")
    assert _diagnosis(flow, "R-5", "2026-07-16") == _doc(
        "R-5",
        "development",
        [Milestone.opportunity_assessed],
        [
            {
                "code": "grade_policy_mismatch",
                "message": "no activity for 14 days on a grade A deal (pursue)",
            }
        ],
    )
    assert _diagnosis(flow, "R-5", "2026-07-15")["risks"] == []


def test_assessment_failed_but_pursued(flow: Salesflow) -> None:
    p = flow.process
    open_deal(p, "R-6")
    do(p, "assess", "R-6", "2026-07-02", scores={**PASSING, "technical_fit": 1})
    do(p, "activity", "R-6", "2026-07-03", kind="visit")
    assert _diagnosis(flow, "R-6", "2026-07-04") == _doc(
        "R-6",
        "development",
        [Milestone.opportunity_assessed, Milestone.customer_graded],
        [
            {
                "code": "assessment_failed_but_pursued",
                "message": "the latest assessment"
                " failed, yet the deal was pursued (activities logged) instead of being"
                " abandoned or nurtured",
            }
        ],
    )
    do(p, "nurture", "R-6", "2026-07-05", reason="lower the contact level")
    assert _diagnosis(flow, "R-6", "2026-07-06")["risks"] == []


def test_replay_shows_the_forcing_entry_as_where_it_went_wrong(flow: Salesflow) -> None:
    p = flow.process
    walk_to_bidding(p, "HB-7", influence=False)
    do(p, "bid", "HB-7", "2026-07-10", price="900")
    do(p, "lose", "HB-7", "2026-07-20", reason="price")
    steps = cli_json(flow, "replay", "HB-7")
    first = next(
        s
        for s in steps
        if any(r["code"] == "forced_past_milestone" for r in s["diagnosis"]["risks"])
    )
    assert (first["seq"], first["event"], first["stage"]) == (8, "StageForced", "bidding")
    assert [s["seq"] for s in steps] == list(range(1, 11))
    assert set(steps[0]) >= {"seq", "event", "occurred_at", "stage", "diagnosis"}
    assert steps[-1]["diagnosis"]["stage"] == "bidding"


def test_replay_is_in_business_time_and_marks_retractions(flow: Salesflow) -> None:
    p = flow.process
    open_deal(p, "RP-1")
    do(p, "activity", "RP-1", "2026-07-10", kind="visit")
    do(p, "find_insider", "RP-1", "2026-07-05", name="Wang")  # logged late
    do(p, "retract", "RP-1", "2026-07-11", seq=3, reason="not an insider after all")
    steps = replay(p.entries("RP-1"), p.config)
    assert [(s["seq"], s["retracted"]) for s in steps] == [
        (1, False),
        (3, True),
        (2, False),
        (4, False),
    ]
    assert all("insider_found" not in s["milestones_met"] for s in steps)


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

"""Coaching: the diagnosis, its risks, and replay."""

from __future__ import annotations

from typing import Any

from cli.context import Salesflow
from domain.demo_data import ARTICLE_CASE, article_case, enter
from domain.diagnosis import replay
from domain.process import stage_of, work_items
from domain.vocabulary import Milestone
from tests.conftest import cli_json
from tests.support import PASSING, do, open_deal, walk_to_bidding

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
        {"milestone": m.value, "stage": stage_of(m).value, "work_items": list(work_items(m))}
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

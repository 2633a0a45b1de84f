"""End to end through the command line: one test per command group, and the
error paths with their exit codes and messages."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from domain.vocabulary import AssessmentFactor
from tests.conftest import Sf, enter_article_case


def test_the_articles_case_through_the_cli(sf_any: Sf) -> None:
    enter_article_case(sf_any)
    doc = sf_any.json("deal", "show", "NX-2026-031")
    assert doc["stage"] == "development"
    assert doc["customer_step"] == "supplier_screening"
    assert doc["expected_stage"] == "entry"
    assert doc["alignment"] == "behind"
    assert doc["missing_milestones"] == [
        "opportunity_assessed",
        "customer_graded",
        "insider_found",
        "key_person_engaged",
    ]
    refused = sf_any("deal", "advance", "NX-2026-031", code=1)
    assert "opportunity_assessed" in refused.stderr and "customer_graded" in refused.stderr
    assert "insider_found" not in refused.stderr


def test_deal_show_json_has_the_keys_tools_rely_on(sf: Sf) -> None:
    enter_article_case(sf)
    doc = sf.json("deal", "show", "NX-2026-031")
    for key in (
        "key",
        "customer",
        "title",
        "owner",
        "stage",
        "outcome",
        "grade",
        "engagement",
        "customer_step",
        "expected_stage",
        "alignment",
        "milestones",
        "missing_milestones",
        "forced_advances",
        "win_probability",
        "win_probability_explained",
        "stakeholders",
        "version",
    ):
        assert key in doc
    assert set(doc["milestones"]) == {
        "opportunity_assessed",
        "customer_graded",
        "insider_found",
        "key_person_engaged",
        "standard_influenced",
        "bid_submitted",
        "contract_approved",
        "contract_signed",
        "trial_evaluated",
        "oil_analysis_followed_up",
    }
    assert doc["milestones"]["insider_found"] == {
        "met": False,
        "at": None,
        "forced_past": False,
        "verified": True,
    }
    assert doc["stakeholders"] == [
        {
            "name": "Design lead",
            "role": "designer",
            "weight": None,
            "insider": False,
            "key_person": False,
            "left": False,
        }
    ]
    assert doc["owner"] == "xiao.zhang" and doc["version"] == 5


def test_a_deal_walks_the_whole_process_through_the_cli(sf: Sf) -> None:
    k = "SX-1"
    sf("deal", "open", k, "--customer", "Shanxi", "--title", "Oils", "--at", "2026-03-01")
    for element in ("needs", "schedule", "budget", "competition", "decision", "priorities"):
        sf("deal", "collect", k, element, f"{element} known", "--at", "2026-03-02")
    scores = [a for f in AssessmentFactor for a in ("--score", f"{f.value}=4")]
    out = sf("deal", "assess", k, *scores, "--at", "2026-03-03").stdout
    assert "4.00" in out and "passed" in out
    out = sf(
        "deal", "grade", k, "--likelihood", "0.7", "--close-by", "2026-05-30", "--at", "2026-03-03"
    ).stdout
    assert "graded A (pursue)" in out
    sf("deal", "advance", k, "--at", "2026-03-04")
    sf("deal", "insider", k, "Wang", "--at", "2026-03-05")
    sf("deal", "engage", k, "Zhao", "--at", "2026-03-06")
    sf("deal", "shortlist", k, "--at", "2026-03-07")
    sf("deal", "advance", k, "--at", "2026-03-08")
    sf("deal", "activity", k, "demo", "--at", "2026-03-09")
    sf("deal", "influence", k, "drain interval", "viscosity index", "--at", "2026-03-10")
    sf("deal", "advance", k, "--at", "2026-03-11")
    sf("deal", "tender", k, "--due", "2026-04-01", "--at", "2026-03-12")
    sf("deal", "bid", k, "--price", "1250000", "--margin", "0.2", "--at", "2026-03-20")
    sf("deal", "advance", k, "--at", "2026-03-21")
    sf("deal", "approve-contract", k, "--at", "2026-03-22")
    sf("deal", "sign", k, "--value", "1250000", "--at", "2026-03-23")
    assert sf.json("deal", "show", k)["outcome"] == "won"
    sf("deal", "advance", k, "--at", "2026-03-24")
    sf("deal", "trial", k, "--result", "wear down", "--at", "2026-05-01")
    sf("deal", "oil-analysis", k, "--result", "clean", "--at", "2026-06-01")
    doc = sf.json("deal", "show", k)
    assert (doc["stage"], doc["outcome"], doc["win_probability"]) == ("implementation", "won", 1.0)
    assert doc["missing_milestones"] == []
    refused = sf("deal", "advance", k, code=1)
    assert "implementation" in refused.stderr


def test_forcing_losing_and_the_losses_report(sf: Sf) -> None:
    k = "HB-1"
    sf("deal", "open", k, "--customer", "Hebei", "--title", "Mill oils", "--at", "2026-02-01")
    out = sf(
        "deal",
        "force",
        k,
        "--reason",
        "tender early",
        "--approved-by",
        "chen",
        "--at",
        "2026-02-02",
    ).stdout
    assert "opportunity_assessed, customer_graded" in out
    sf("deal", "force", k, "--reason", "r", "--approved-by", "chen", "--at", "2026-02-03")
    sf("deal", "force", k, "--reason", "r", "--approved-by", "chen", "--at", "2026-02-04")
    sf("deal", "bid", k, "--price", "900", "--at", "2026-02-05")
    sf("deal", "lose", k, "--reason", "price", "--competitor", "Cheap Co", "--at", "2026-02-10")
    (loss,) = sf.json("losses")
    assert set(loss) == {
        "key",
        "outcome",
        "stage",
        "reason",
        "competitor",
        "missing_milestones",
        "forced_advances",
        "value",
        "explanation",
    }
    assert (loss["stage"], loss["reason"], loss["competitor"]) == ("bidding", "price", "Cheap Co")
    assert loss["value"] == "900.00"  # the bid's price values the deal
    assert "standard_influenced" in loss["explanation"]
    assert len(loss["forced_advances"]) == 3
    refused = sf("deal", "activity", k, "call", code=1)
    assert "lost" in refused.stderr and "retract" in refused.stderr


def test_nurture_reopen_and_retract(sf: Sf) -> None:
    k = "SD-1"
    sf("deal", "open", k, "--customer", "Shandong", "--title", "Oils", "--at", "2026-04-01")
    sf("deal", "nurture", k, "--reason", "grade C", "--at", "2026-04-02")
    assert "open" in sf("deal", "advance", k, code=1).stderr
    sf("deal", "reopen", k, "--reason", "budget approved", "--at", "2026-04-10")
    sf("deal", "insider", k, "Wang", "--at", "2026-04-11")
    sf("deal", "retract", k, "4", "--reason", "wrong person", "--at", "2026-04-12")
    doc = sf.json("deal", "show", k)
    assert doc["milestones"]["insider_found"]["met"] is False
    assert "stand" in sf("deal", "retract", k, "1", "--reason", "x", code=1).stderr
    audit = sf.json("audit", k)
    assert [a["event"] for a in audit] == [
        "Opened",
        "Nurtured",
        "Reopened",
        "InsiderFound",
        "EntryRetracted",
    ]
    assert audit[3]["retracted"] is True
    assert set(audit[0]) == {
        "seq",
        "event",
        "occurred_at",
        "recorded_at",
        "actor",
        "stage",
        "summary",
        "data",
        "retracted",
        "note",
        "source",
    }


def test_pipeline_as_json_and_csv(sf: Sf) -> None:
    enter_article_case(sf)
    sf("deal", "open", "A-2", "--customer", "Anhui", "--title", "T", "--at", "2026-11-01")
    rows = sf.json("pipeline")
    assert [r["key"] for r in rows] == ["A-2", "NX-2026-031"]
    for key in (
        "key",
        "customer",
        "stage",
        "outcome",
        "grade",
        "win_probability",
        "days_in_stage",
        "missing_milestones",
        "forced_count",
    ):
        assert key in rows[0]
    table = list(csv.DictReader(io.StringIO(sf("pipeline", "--csv").stdout)))
    assert table[1]["missing_milestones"] == (
        "opportunity_assessed;customer_graded;insider_found;key_person_engaged"
    )


def test_projections_status_rebuild_run_and_export(sf: Sf, tmp_path: Path) -> None:
    enter_article_case(sf)
    (status,) = sf.json("projections", "status")
    assert status == {
        "name": "reporting",
        "position": 0,
        "head": 5,
        "lag": 5,
        "quarantined": [],
    }
    sf("projections", "run", "--once")
    assert sf.json("projections", "status")[0]["lag"] == 0
    assert "5 events applied" in sf("projections", "rebuild").stdout
    assert "5 events applied" in sf("projections", "rebuild", "--workers", "2").stdout
    assert "--workers" in sf("projections", "rebuild", "--workers", "0", code=2).stderr
    assert sf.json("projections", "status")[0]["lag"] == 0
    out = tmp_path / "export"
    sf("export", "--format", "csv", "--out", str(out))
    assert sorted(p.name for p in out.iterdir()) == [
        "audit_trail.csv",
        "deal_closings.csv",
        "deal_segments.csv",
        "losses.csv",
        "milestones.csv",
        "pipeline.csv",
        "stage_history.csv",
    ]
    sf("export", "--format", "json", "--out", str(out))
    assert json.loads((out / "pipeline.json").read_text())[0]["key"] == "NX-2026-031"


def test_the_demo_loads_and_shows_and_runs_twice(sf: Sf) -> None:
    first = sf("demo").stdout
    assert "NX-2026-031" in first and "HB-2026-007" in first
    second = sf("demo").stdout
    assert "already in the store" in second
    rows = sf.json("pipeline")
    assert {(r["key"], r["stage"], r["outcome"]) for r in rows} >= {
        ("SX-2026-012", "implementation", "won"),
        ("HB-2026-007", "bidding", "lost"),
        ("NM-2026-004", "development", "abandoned"),
        ("SD-2026-022", "development", "nurture"),
    }


def test_the_demo_refuses_a_store_that_holds_other_deals(sf: Sf) -> None:
    sf("deal", "open", "REAL-1", "--customer", "C", "--title", "T", "--at", "2026-07-01")

    refused = sf("demo", code=1)

    assert "REAL-1" in refused.stderr and "--into-existing" in refused.stderr
    assert [r["key"] for r in sf.json("pipeline")] == ["REAL-1"]
    sf("demo", "--into-existing")
    assert len(sf.json("pipeline")) > 1

"""Importing a CRM's history through the command line, on both stores
(shared/import.md): the export's shapes as the CRMs write them
(tests/crm_support.py), what each read model shows after, idempotence, bad
rows and files, dry runs and maps."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Sf
from tests.crm_support import (
    BAD,
    BARE,
    HISTORY,
    LOST,
    OPEN,
    OPPORTUNITIES,
    USER,
    WON,
    hubspot_export,
    salesforce_export,
)


def _import_sf(sf: Sf, folder: Path, *extra: str, code: int = 1) -> Any:
    opp, hist = folder / "Opportunity.csv", folder / "OpportunityHistory.csv"
    result = sf(
        "import", "salesforce", "--opportunities", str(opp), "--history", str(hist), *extra,
        "--json", code=code,
    )  # fmt: skip
    return json.loads(result.stdout), result.stderr


@pytest.fixture
def export(tmp_path: Path) -> Path:
    salesforce_export(tmp_path / "sf")
    return tmp_path / "sf"


def _events(sf: Sf) -> int:
    return sum(len(sf.json("audit", row["key"])) for row in sf.json("pipeline"))


def test_a_salesforce_export_imports_every_good_deal_and_refuses_the_bad_one(
    sf_any: Sf, export: Path
) -> None:
    summary, stderr = _import_sf(sf_any, export)

    assert (summary["deals"], summary["refused"]) == (4, 1)
    assert summary["entries"] == 19
    [bad] = summary["bad_rows"]
    assert bad == {
        "where": "OpportunityHistory.csv:18",
        "key": f"SF-{BAD}",
        "reason": "the stage 'Legal Review' is not in the stage map",
    }
    assert "OpportunityHistory.csv:18" in stderr
    keys = [r["key"] for r in sf_any.json("pipeline")]
    assert keys == sorted(f"SF-{k}" for k in (WON, LOST, OPEN, BARE))


def test_a_won_deal_reads_as_the_crm_recorded_it(sf_any: Sf, export: Path) -> None:
    _import_sf(sf_any, export)
    key = f"SF-{WON}"

    doc = sf_any.json("deal", "show", key)
    assert (doc["customer"], doc["title"], doc["owner"]) == (
        "宁夏煤业集团",
        "齿轮油年度采购",
        "王磊",
    )
    assert (doc["stage"], doc["outcome"], doc["value"]) == ("negotiation", "won", "120000.00")
    signed = doc["milestones"]["contract_signed"]
    assert (signed["met"], signed["forced_past"], signed["verified"]) == (False, False, False)
    assert doc["milestones"]["trial_evaluated"]["verified"] is True

    audit = sf_any.json("audit", key)
    assert [a["event"] for a in audit] == [
        "Opened",
        "ValueEstimated",
        "StageImported",
        "StageImported",
        "ValueEstimated",
        "StageImported",
        "StageImported",
        "OutcomeImported",
    ]
    assert {a["source"] for a in audit} == {"salesforce"}
    assert [a["actor"] for a in audit[1:]] == [USER] * 7
    assert audit[0]["occurred_at"].startswith("2025-01-06T02:15:00")
    assert audit[-1]["occurred_at"].startswith("2025-06-20T03:00:00")
    assert audit[4]["data"]["value"] == "120000.00"  # the amount changed at the quote
    assert audit[-1]["data"] == {
        "outcome": "won",
        "reason": None,
        "unverified": ["contract_approved", "contract_signed"],
        "source": "salesforce",
        "source_id": "0085g0000H000015",
    }


def test_an_open_deal_that_moved_back_shows_its_stays_and_its_unverified_milestones(
    sf_any: Sf, export: Path
) -> None:
    _import_sf(sf_any, export)
    key = f"SF-{OPEN}"

    audit = sf_any.json("audit", key)
    moves = [a["summary"] for a in audit if a["event"] == "StageImported"]
    # Two rows of one second, in Id order: Value Proposition, then Needs Analysis.
    assert moves[0].startswith("imported from salesforce: development -> proposal")
    assert moves[1] == "imported from salesforce: proposal -> entry"
    values = [a["data"]["value"] for a in audit if a["event"] == "ValueEstimated"]
    assert values == ["50000.00", "45000.00"]  # the deleted row's 55000 is left out

    doc = sf_any.json("deal", "show", key)
    assert (doc["stage"], doc["outcome"]) == ("entry", "open")
    unverified = {m for m, st in doc["milestones"].items() if not st["verified"]}
    assert unverified == {"opportunity_assessed", "customer_graded"}
    risks = {r["code"] for r in sf_any.json("diagnose", key)["risks"]}
    assert "unverified_milestones" in risks


def test_losses_funnel_and_movement_read_the_imported_history(sf_any: Sf, export: Path) -> None:
    _import_sf(sf_any, export)

    [loss] = sf_any.json("losses")
    assert (loss["key"], loss["stage"], loss["reason"]) == (f"SF-{LOST}", "entry", "price")

    window = ("--from", "2025-01-01", "--to", "2025-12-31")
    stages = {r["stage"]: r for r in sf_any.json("report", "funnel", *window)["stages"]}
    assert [stages["development"][k] for k in ("entered", "imported", "open_here")] == [4, 3, 1]
    assert [stages["entry"][k] for k in ("entered", "imported", "closed_here", "open_here")] == [
        3,
        1,
        1,
        1,
    ]
    assert stages["negotiation"]["won_here"] == 1

    totals = sf_any.json("movement", *window)["totals"]
    assert (totals["new"], totals["won"], totals["lost"], totals["imported"]) == (4, 1, 1, 3)


def test_win_rates_count_no_unverified_milestone_as_met_or_forced(sf_any: Sf, export: Path) -> None:
    _import_sf(sf_any, export)

    rates = sf_any.json("report", "win-rates", "--from", "2025-01-01", "--to", "2025-12-31")

    assert (rates["overall"]["closed"], rates["overall"]["won"]) == (2, 1)
    for milestone, figures in rates["by_milestone"].items():
        assert figures["met"]["closed"] == 0, milestone
        assert figures["forced_past"]["closed"] == 0, milestone


def test_after_import_a_deal_takes_the_usual_commands_and_evidence_verifies(
    sf_any: Sf, export: Path
) -> None:
    _import_sf(sf_any, export)
    key = f"SF-{OPEN}"

    sf_any("deal", "grade", key, "--grade", "B", "--reason", "known account", "--at", "2026-01-05")

    graded = sf_any.json("deal", "show", key)["milestones"]["customer_graded"]
    assert (graded["met"], graded["verified"]) == (True, True)
    sf_any("deal", "insider", key, "Wang", "--at", "2026-01-06")
    sf_any("deal", "lose", key, "--reason", "price", "--at", "2026-02-01")
    assert sf_any.json("deal", "show", key)["outcome"] == "lost"


def test_a_second_import_writes_nothing_and_a_newer_export_only_what_is_new(
    sf_any: Sf, export: Path
) -> None:
    _import_sf(sf_any, export)
    before = _events(sf_any)

    again, _ = _import_sf(sf_any, export)

    assert (again["deals"], again["entries"]) == (0, 0)
    assert _events(sf_any) == before
    newer = [
        *HISTORY,
        ("0085g0000H000035", OPEN, "Proposal/Price Quote", "45000", "65", "2026-03-31",
         "2025-06-01T10:00:00.000Z", USER, "false"),
    ]  # fmt: skip
    salesforce_export(export, OPPORTUNITIES, newer)
    third, _ = _import_sf(sf_any, export)
    assert (third["deals"], third["entries"]) == (1, 1)
    assert _events(sf_any) == before + 1
    assert sf_any.json("deal", "show", f"SF-{OPEN}")["stage"] == "bidding"


def test_a_dry_run_checks_everything_and_writes_nothing(sf_any: Sf, export: Path) -> None:
    opp, hist = export / "Opportunity.csv", export / "OpportunityHistory.csv"
    result = sf_any(
        "import", "salesforce", "--opportunities", str(opp), "--history", str(hist), "--dry-run",
        code=1,
    )  # fmt: skip

    assert f"would write SF-{WON}: 8 entries" in result.stdout
    assert "would import 4 deals, 19 entries" in result.stdout
    sf_any("pipeline")  # the store exists, and holds no deal
    assert sf_any.json("pipeline") == []


def test_a_map_names_what_the_org_calls_its_stages(
    sf_any: Sf, export: Path, tmp_path: Path
) -> None:
    stage_map = tmp_path / "map.toml"
    stage_map.write_text('[stages]\n"Legal Review" = "negotiation"\n', encoding="utf-8")

    summary, _ = _import_sf(sf_any, export, "--map", str(stage_map), code=0)

    assert (summary["deals"], summary["refused"]) == (5, 0)
    assert sf_any.json("deal", "show", f"SF-{BAD}")["stage"] == "negotiation"


def test_a_file_that_cannot_be_read_writes_nothing(sf_any: Sf, export: Path) -> None:
    hist = export / "OpportunityHistory.csv"
    text = hist.read_bytes()
    hist.write_bytes(text.replace(b'"IsDeleted"', b'"Deleted"', 1))

    result = sf_any(
        "import", "salesforce", "--opportunities", str(export / "Opportunity.csv"),
        "--history", str(hist), code=2,
    )  # fmt: skip
    assert "lacks the column(s) IsDeleted" in result.stderr

    hist.write_bytes(text + b'"0085g0000H000099","x","\xff\xfe"\r\n')
    result = sf_any(
        "import", "salesforce", "--opportunities", str(export / "Opportunity.csv"),
        "--history", str(hist), code=2,
    )  # fmt: skip
    assert "OpportunityHistory.csv" in result.stderr
    assert sf_any.json("pipeline") == []


def test_a_bad_map_is_refused_before_anything_is_read(
    sf_any: Sf, export: Path, tmp_path: Path
) -> None:
    stage_map = tmp_path / "map.toml"
    stage_map.write_text('[stages]\n"Legal Review" = "legal"\n', encoding="utf-8")

    result = sf_any(
        "import", "salesforce", "--opportunities", str(export / "Opportunity.csv"),
        "--history", str(export / "OpportunityHistory.csv"), "--map", str(stage_map), code=2,
    )  # fmt: skip

    assert "map.toml: stages.Legal Review" in result.stderr


def test_a_hubspot_export_imports_with_its_pipelines(sf_any: Sf, tmp_path: Path) -> None:
    deals, pipelines = hubspot_export(tmp_path / "hs")
    args = ("import", "hubspot", "--deals", str(deals), "--pipelines", str(pipelines), "--json")

    summary = json.loads(sf_any(*args, code=1).stdout)

    assert (summary["deals"], summary["refused"]) == (3, 1)
    assert summary["bad_rows"][0]["where"] == "deals.json[3].propertiesWithHistory.dealstage[0]"
    assert "Legal Review" in summary["bad_rows"][0]["reason"]
    won = sf_any.json("deal", "show", "HS-1001")
    assert (won["title"], won["outcome"], won["value"]) == ("润滑油框架协议", "won", "200000.00")
    [loss] = sf_any.json("losses")
    assert (loss["key"], loss["reason"], loss["stage"]) == ("HS-1002", "price", "development")
    assert sf_any.json("deal", "show", "HS-1003")["stage"] == "entry"
    assert {a["actor"] for a in sf_any.json("audit", "HS-1003")[1:]} == {"7001"}
    again = json.loads(sf_any(*args, code=1).stdout)
    assert (again["deals"], again["entries"]) == (0, 0)

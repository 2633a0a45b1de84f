"""End to end through the command line: one test per command group, and the
error paths with their exit codes and messages."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from cli.main import cli
from domain.vocabulary import AssessmentFactor


class Sf:
    """Runs ``salesflow --store URL ...`` in-process."""

    def __init__(self, store: str, tmp_path: Path) -> None:
        self.store, self.tmp_path = store, tmp_path
        self.runner = CliRunner()

    def __call__(self, *args: str, code: int = 0) -> Result:
        result = self.runner.invoke(
            cli, ["--store", self.store, *args], env={"SALESFLOW_USER": "xiao.zhang"}
        )
        assert result.exit_code == code, (result.output, result.stderr, result.exception)
        if code:
            assert "Traceback" not in result.output + result.stderr
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self(*args, "--json").stdout)


@pytest.fixture
def sf(tmp_path: Path) -> Sf:
    return Sf(f"sqlite:///{tmp_path / 'cli.db'}", tmp_path)


@pytest.fixture
def sf_any(store_url: str, tmp_path: Path) -> Sf:
    return Sf(store_url, tmp_path)


def enter_article_case(sf: Sf) -> None:
    k = "NX-2026-031"
    sf(
        "deal",
        "open",
        k,
        "--customer",
        "Ningxia plant",
        "--title",
        "Equipment oils",
        "--at",
        "2026-07-01",
        "--tender-expected",
        "2026-11-15",
    )
    sf(
        "deal",
        "activity",
        k,
        "visit",
        "--with",
        "project lead A",
        "--at",
        "2026-07-06",
        "--outcome",
        "took the brochures",
    )
    sf("deal", "stakeholder", k, "Design lead", "--role", "designer", "--at", "2026-07-20")
    sf("deal", "customer-step", k, "supplier_screening", "--at", "2026-09-08")
    sf(
        "deal",
        "activity",
        k,
        "call",
        "--with",
        "project manager",
        "--outcome",
        "hung up",
        "--at",
        "2026-09-09",
    )


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
    assert doc["milestones"]["insider_found"] == {"met": False, "at": None, "forced_past": False}
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
        "explanation",
    }
    assert (loss["stage"], loss["reason"], loss["competitor"]) == ("bidding", "price", "Cheap Co")
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
    assert status == {"name": "reporting", "position": 0, "head": 5, "lag": 5}
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


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["deal", "open", "bad key!", "--customer", "C", "--title", "T"], "deal key"),
        (["deal", "open", "K-1", "--customer", " ", "--title", "T"], "--customer"),
        (["deal", "customer-step", "K-1", "tendering"], "tendering"),
        (["deal", "collect", "K-1", "weather", "sunny"], "weather"),
        (["deal", "assess", "K-1", "--score", "beauty=3"], "beauty"),
        (["deal", "assess", "K-1", "--score", "price=4"], "requires"),
        (["deal", "stakeholder", "K-1", "Li", "--role", "boss"], "boss"),
        (["deal", "stakeholder", "K-1", "Li", "--weight", "1.5"], "--weight"),
        (
            ["deal", "grade", "K-1", "--likelihood", "1.2", "--close-by", "2026-12-01"],
            "--likelihood",
        ),
        (
            [
                "deal",
                "grade",
                "K-1",
                "--likelihood",
                "0.5",
                "--close-by",
                "2026-06-01",
                "--at",
                "2026-07-01",
            ],
            "before the command's --at",
        ),
        (["deal", "grade", "K-1", "--grade", "A"], "--reason"),
        (["deal", "activity", "K-1", "dinner"], "dinner"),
        (["deal", "lose", "K-1", "--reason", "bad luck"], "bad luck"),
        (["deal", "insider", "K-1", "Wang", "--at", "2999-01-01"], "future"),
        (["deal", "insider", "K-1", "Wang", "--at", "yesterday"], "ISO 8601"),
        (["deal", "bid", "K-1", "--price", "cheap"], "amount"),
        (["deal", "retract", "K-1", "zero", "--reason", "x"], "zero"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message_and_writes_nothing(
    sf: Sf, args: list[str], needle: str
) -> None:
    sf("deal", "open", "K-1", "--customer", "C", "--title", "T", "--at", "2026-07-01")
    result = sf(*args, code=2)
    assert needle in result.stderr
    assert sf.json("deal", "show", "K-1")["version"] == 1


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["deal", "insider", "NOPE", "Wang"], "no deal"),
        (["deal", "open", "K-1", "--customer", "C", "--title", "T"], "already"),
        (["deal", "bid", "K-1", "--price", "10"], "bidding"),
        (["deal", "sign", "K-1"], "negotiation"),
        (["deal", "reopen", "K-1", "--reason", "x"], "nurture"),
        (["deal", "retract", "K-1", "9", "--reason", "x"], "no entry 9"),
        (["deal", "insider", "K-1", "Wang", "--at", "2026-06-01"], "before the deal was opened"),
        (["deal", "stakeholder-left", "K-1", "Ghost"], "not a present stakeholder"),
    ],
)
def test_refusals_by_the_domain_exit_1_and_say_why(sf: Sf, args: list[str], needle: str) -> None:
    sf("deal", "open", "K-1", "--customer", "C", "--title", "T", "--at", "2026-07-01")
    result = sf(*args, code=1)
    assert needle in result.stderr
    assert sf.json("deal", "show", "K-1")["version"] == 1


def test_an_unknown_deal_in_show_and_audit_exits_1(sf: Sf) -> None:
    assert "no deal" in sf("deal", "show", "NOPE", code=1).stderr
    assert "no deal" in sf("audit", "NOPE", code=1).stderr


def test_a_bad_store_url_or_config_exits_2(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["--store", "mysql://x/y", "pipeline"])
    assert result.exit_code == 2 and "sqlite:///" in result.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text("[evaluation]\npass_mean = 9\n")
    result = runner.invoke(
        cli, ["--store", f"sqlite:///{tmp_path / 'x.db'}", "--config", str(bad), "pipeline"]
    )
    assert result.exit_code == 2 and "pass_mean" in result.stderr


def test_a_config_file_changes_the_evaluation_model(sf: Sf, tmp_path: Path) -> None:
    cfg = tmp_path / "strict.toml"
    cfg.write_text("[evaluation]\npass_mean = 4.5\n")
    sf("deal", "open", "K-1", "--customer", "C", "--title", "T", "--at", "2026-07-01")
    scores = [a for f in AssessmentFactor for a in ("--score", f"{f.value}=4")]
    out = sf("--config", str(cfg), "deal", "assess", "K-1", *scores).stdout
    assert "failed" in out and "4.5" in out


def test_an_unreachable_store_exits_1_without_a_traceback(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["--store", "postgresql://nobody@127.0.0.1:1/none", "pipeline"]
    )
    assert result.exit_code == 1
    assert "store" in result.stderr and "Traceback" not in result.output + result.stderr


def test_export_to_parquet_and_a_clear_error_without_pyarrow(
    sf: Sf, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pyarrow.parquet as pq

    enter_article_case(sf)
    out = tmp_path / "pq"
    sf("export", "--format", "parquet", "--out", str(out))
    table = pq.read_table(out / "pipeline.parquet").to_pylist()
    assert table[0]["key"] == "NX-2026-031" and table[0]["stage"] == "development"
    assert len(pq.read_table(out / "audit_trail.parquet")) == 5
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    refused = sf("export", "--format", "parquet", "--out", str(out), code=2)
    assert "salesflow[parquet]" in refused.stderr

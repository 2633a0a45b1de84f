"""The command line's error paths: exit codes and messages, and nothing written."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli
from domain.vocabulary import AssessmentFactor
from tests.conftest import Sf, enter_article_case


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
    sf("deal", "open", "K-1", "--customer", "C", "--title", "T", "--at", "2026-07-01")
    assert "no deal" in sf("deal", "show", "NOPE", code=1).stderr
    assert "no deal" in sf("audit", "NOPE", code=1).stderr


@pytest.mark.parametrize(
    "read",
    [
        ["pipeline"],
        ["deal", "show", "K-1"],
        ["audit", "K-1"],
        ["losses"],
        ["diagnose", "K-1"],
        ["replay", "K-1"],
        ["movement", "--from", "2026-01-01", "--to", "2026-02-01"],
        ["projections", "status"],
        ["export", "--format", "csv", "--out", "x"],
    ],
)
def test_a_read_of_a_sqlite_store_that_does_not_exist_creates_nothing(
    sf: Sf, tmp_path: Path, read: list[str]
) -> None:
    refused = sf(*read, code=1).stderr
    assert "no store at" in refused and "demo" in refused
    assert not (tmp_path / "cli.db").exists()


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


@pytest.mark.parametrize("args", [["pipeline"], ["pipeline", "--csv"], ["audit", "GEN-4-0000000"]])
def test_a_reader_that_stops_early_leaves_a_quiet_exit_0(tmp_path: Path, args: list[str]) -> None:
    import os
    import subprocess

    from tests.conftest import make_flow
    from tests.support import generate

    url = f"sqlite:///{tmp_path / 'many.db'}"
    flow = make_flow(url)
    generate(flow.process, 8000, seed=4)
    flow.fresh()
    flow.close()
    env = {**os.environ, "SALESFLOW_STORE": url, "SALESFLOW_TZ": "UTC"}
    command = [sys.executable, "-m", "cli", *args]
    if args[0] == "audit":  # a short output: the reader has gone before it is written
        command = [
            sys.executable,
            "-c",
            "import time, runpy; time.sleep(0.5); runpy.run_module('cli', run_name='__main__')",
            *args,
        ]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    if args[0] == "audit":
        proc.stdout.close()
    else:
        proc.stdout.readline()
        proc.stdout.close()
    assert proc.wait(timeout=60) == 0
    assert proc.stderr.read() == b""


def test_parquet_exports_have_the_declared_types_whatever_the_data(sf: Sf, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    from projections.schema import TABLES

    sf("deal", "open", "K-1", "--customer", "C", "--title", "T", "--at", "2026-07-01")
    sf("export", "--format", "parquet", "--out", str(tmp_path / "one"))
    sf("demo", "--into-existing")
    sf("export", "--format", "parquet", "--out", str(tmp_path / "many"))
    for t in TABLES:
        one = pq.read_schema(tmp_path / "one" / f"{t.name}.parquet")
        assert one == pq.read_schema(tmp_path / "many" / f"{t.name}.parquet"), t.name
        assert one.names == list(t.column_names)
    pipeline = pq.read_schema(tmp_path / "one" / "pipeline.parquet")
    assert str(pipeline.field("closed_at").type) == "timestamp[us, tz=UTC]"  # all null here
    assert str(pipeline.field("forced_count").type) == "int64"

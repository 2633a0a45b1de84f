"""Generated command lines, as an adversary would type them: every command of
cli.md with well-formed, malformed and extreme arguments, on both stores.

For every one: no traceback and no fault of salesflow's (its last-resort
message), an exit code cli.md gives (0, 1 or 2), JSON that parses when asked
for and given, and nothing written when it exits non-zero.

``.ci/run`` runs ``SALESFLOW_FUZZ_EXAMPLES`` (default 300) per store; for a long
run: ``SALESFLOW_FUZZ_EXAMPLES=5000 .venv/bin/pytest tests/test_cli_fuzz.py``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cli.context import Salesflow
from cli.main import cli
from tests.conftest import make_flow
from tests.support import do, open_deal, walk_to_bidding

EXAMPLES = int(os.environ.get("SALESFLOW_FUZZ_EXAMPLES", "300"))

text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", " ", "x" * 2001, '=HYPERLINK("a","b")', "a\x00b", "\x1b[2J", "宁夏"]),
)
key = st.one_of(
    st.sampled_from(["K-1", "K-2", "NEW-1", "bad key", "", "K" * 65]), st.text(max_size=12)
)
when = st.one_of(
    st.sampled_from(
        [
            "2026-07-01",
            "2026-07-09T10:00",
            "2026-07-09T10:00+08:00",
            "0001-01-01T00:00+14:00",
            "9999-12-31T23:59:59-12:00",
            "1899-12-31",
            "2999-01-01",
            "2026-02-30",
            "yesterday",
            "",
        ]
    ),
    st.text(max_size=25),
)
number = st.one_of(
    st.sampled_from(["0.5", "1", "0", "-1", "65", "1e309", "nan", "inf", "１", "٣", "1.2.3", ""]),
    st.floats(allow_nan=True).map(str),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
)


def ids(*valid: str) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from([*valid, "nonsense", ""]), st.text(max_size=10))


def line(*parts: st.SearchStrategy[str] | str) -> st.SearchStrategy[list[str]]:
    return st.tuples(*(st.just(p) if isinstance(p, str) else p for p in parts)).map(list)


def optional(flag: str, value: st.SearchStrategy[str]) -> st.SearchStrategy[list[str]]:
    return st.one_of(st.just([]), value.map(lambda v: [flag, v]))


COMMANDS = st.one_of(
    line("deal", "open", key, "--customer", text, "--title", text, "--at", when),
    line("deal", "open", key, "--customer", text, "--title", text, "--tender-expected", when),
    line("deal", "customer-step", key, ids("need_initiation", "tender_evaluation"), "--at", when),
    line("deal", "collect", key, ids("needs", "budget"), text),
    line("deal", "assess", key, "--score", ids("price=4", "funding=1", "price=９")),
    line("deal", "grade", key, "--likelihood", number, "--close-by", when),
    line("deal", "grade", key, "--grade", ids("A", "D"), "--reason", text),
    line("deal", "stakeholder", key, text, "--role", ids("user"), "--weight", number),
    line("deal", "stakeholder-left", key, text),
    line("deal", "insider", key, text, "--at", when),
    line("deal", "engage", key, text, "--note", text),
    line("deal", "activity", key, ids("visit", "call"), "--with", text, "--by", text),
    line("deal", "shortlist", key),
    line("deal", "influence", key, text, text),
    line("deal", "tender", key, "--due", when),
    line("deal", "bid", key, "--price", number, "--margin", number),
    line("deal", "approve-contract", key, "--at", when),
    line("deal", "sign", key, "--value", number),
    line("deal", "trial", key, "--result", text),
    line("deal", "oil-analysis", key, "--result", text),
    line("deal", "advance", key, "--at", when),
    line("deal", "force", key, "--reason", text, "--approved-by", text),
    line("deal", "lose", key, "--reason", ids("price", "timing"), "--competitor", text),
    line("deal", ids("withdraw", "abandon", "nurture", "reopen"), key, "--reason", text),
    line("deal", "retract", key, number, "--reason", text),
    line("deal", "correct", key, "--customer", text, "--reason", text),
    line("deal", "show", key, "--as-of", when, "--known-at", when, "--json"),
    line("pipeline", "--as-of", when, "--known-at", when, "--json"),
    line("pipeline", "--stage", ids("bidding"), "--csv"),
    line("audit", key, "--json"),
    line("losses", "--outcome", ids("lost"), "--json"),
    line("diagnose", key, "--as-of", when, "--json"),
    line("replay", key, "--json"),
    line("movement", "--from", when, "--to", when, "--json"),
    line("projections", "status", "--json"),
    line("projections", ids("status", "rebuild", "run", "nope"), "--workers", number),
)


@pytest.fixture
def seeded(store_url: str) -> Iterator[tuple[str, Salesflow]]:
    """A store with a deal in bidding (K-1) and one just opened (K-2)."""
    flow = make_flow(store_url)
    walk_to_bidding(flow.process, "K-1")
    open_deal(flow.process, "K-2")
    do(flow.process, "activity", "K-2", "2026-07-02", kind="visit")
    yield store_url, flow
    flow.close()


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(args=COMMANDS)
def test_no_generated_command_line_breaks_a_rule_of_cli_md(
    seeded: tuple[str, Salesflow], tmp_path: Path, args: list[str]
) -> None:
    url, flow = seeded
    before = flow.projector().head()
    if args[:1] == ["projections"] and "run" in args:
        args = [*args, "--once"]  # the follower would follow for ever
    env = {"SALESFLOW_USER": "fuzz", "SALESFLOW_TZ": "Asia/Shanghai"}
    result = CliRunner().invoke(cli, ["--store", url, *args], env=env)
    said = result.output + (result.stderr or "")
    where = (args, result.exit_code, said[-500:])
    assert result.exception is None or isinstance(result.exception, SystemExit), where
    assert "Traceback" not in said and "fault of salesflow" not in said, where
    assert result.exit_code in (0, 1, 2), where
    if result.exit_code != 0:
        assert flow.projector().head() == before, where
    elif "--json" in args:
        json.loads(result.stdout)

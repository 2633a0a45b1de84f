"""Stores for the tests: every scenario runs on SQLite and on PostgreSQL.

PostgreSQL tests run when ``SALESFLOW_TEST_POSTGRES`` holds a server URL
(``.ci/run`` exports it); then an unreachable server fails them, never skips.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner, Result

from adapters.settings import Settings
from adapters.stores import Store
from cli.context import Salesflow
from cli.main import cli

PG_ENV = "SALESFLOW_TEST_POSTGRES"


def postgres_url() -> str | None:
    """The PostgreSQL server the tests may use, if any."""
    return os.environ.get(PG_ENV) or None


def _drop_schemas(url: str, *schemas: str) -> None:
    with psycopg.connect(Store.parse(url).conninfo(), autocommit=True) as conn:
        for schema in schemas:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def _postgres_store() -> Iterator[str]:
    base = postgres_url()
    if base is None:
        pytest.skip(f"PostgreSQL tests need {PG_ENV}=postgresql://USER@HOST/DB")
    tag = uuid.uuid4().hex[:12]
    events, reporting = f"t_ev_{tag}", f"t_rp_{tag}"
    yield f"{base}?schema={events}&reporting={reporting}"
    _drop_schemas(base, events, reporting)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty store of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'salesflow.db'}"
    else:
        yield from _postgres_store()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL store only."""
    yield from _postgres_store()


def make_flow(url: str) -> Salesflow:
    """A Salesflow on ``url`` with the built-in configuration."""
    return Salesflow(
        Settings.build(store=url, environ={"SALESFLOW_USER": "tester", "SALESFLOW_TZ": "UTC"})
    )


@pytest.fixture
def flow(store_url: str) -> Iterator[Salesflow]:
    """The application and read models on a fresh store."""
    f = make_flow(store_url)
    yield f
    f.close()


# -- the command line, in-process ----------------------------------------------


class Sf:
    """Runs ``salesflow --store URL ...`` in-process."""

    def __init__(self, store: str, tmp_path: Path) -> None:
        self.store, self.tmp_path = store, tmp_path
        self.runner = CliRunner()
        self.env = {"SALESFLOW_USER": "xiao.zhang", "SALESFLOW_TZ": "UTC"}

    def __call__(self, *args: str, code: int = 0) -> Result:
        result = self.runner.invoke(
            cli,
            ["--store", self.store, *args],
            env=self.env,
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


def url_of(flow: Salesflow) -> str:
    """The ``--store`` URL of the flow's store."""
    store = flow.settings.store
    if store.kind == "sqlite":
        return f"sqlite:///{store.path}"
    return (
        f"postgresql://{store.user}@{store.host}:{store.port}/{store.dbname}"
        f"?schema={store.events_schema}&reporting={store.reporting_schema}"
    )


def cli_json(flow: Salesflow, *args: str) -> Any:
    """``salesflow --store <flow's store> ARGS --json``, parsed."""
    url = url_of(flow)
    result = CliRunner().invoke(cli, ["--store", url, *args, "--json"], env={"SALESFLOW_TZ": "UTC"})
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)

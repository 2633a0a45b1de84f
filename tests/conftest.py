"""Stores for the tests: every scenario runs on SQLite and on PostgreSQL.

PostgreSQL tests run when ``SALESFLOW_TEST_POSTGRES`` holds a server URL
(``.ci/run`` exports it); then an unreachable server fails them, never skips.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from adapters.settings import Settings
from adapters.stores import Store
from cli.context import Salesflow

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
    return Salesflow(Settings.build(store=url, environ={"SALESFLOW_USER": "tester"}))


@pytest.fixture
def flow(store_url: str) -> Iterator[Salesflow]:
    """The application and read models on a fresh store."""
    f = make_flow(store_url)
    yield f
    f.close()

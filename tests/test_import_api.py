"""``POST /imports/salesforce`` and ``POST /imports/hubspot`` on both stores:
the files as multipart form fields, for managers only, answering what
``salesflow import ... --json`` prints."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api_support import Api, workers
from tests.crm_support import WON, hubspot_export, salesforce_export


@pytest.fixture
def api(store_url: str) -> Iterator[Api]:
    with workers(store_url, follow=False) as (one,):
        yield one


def _send(
    api: Api, path: str, files: dict[str, Path], who: str | None, **params: str
) -> httpx.Response:
    sent: httpx.Response = api.client.post(
        path,
        files={
            name: (p.name, p.read_bytes(), "application/octet-stream") for name, p in files.items()
        },
        params=params,
        headers=api.headers(who),
    )
    return sent


def _salesforce(tmp_path: Path) -> dict[str, Path]:
    opp, hist = salesforce_export(tmp_path / "sf")
    return {"opportunities": opp, "history": hist}


def test_a_manager_imports_a_salesforce_export(api: Api, tmp_path: Path) -> None:
    r = _send(api, "/imports/salesforce", _salesforce(tmp_path), "director.chen")

    assert r.status_code == 200, r.text
    doc: dict[str, Any] = r.json()
    assert {k: doc[k] for k in ("dry_run", "deals", "entries", "refused")} == {
        "dry_run": False,
        "deals": 4,
        "entries": 19,
        "refused": 1,
    }
    assert doc["bad_rows"][0]["where"] == "OpportunityHistory.csv:18"
    deal = api.get(f"/deals/SF-{WON}").json()
    assert (deal["outcome"], deal["milestones"]["contract_signed"]["verified"]) == ("won", False)
    again = _send(api, "/imports/salesforce", _salesforce(tmp_path), "director.chen").json()
    assert (again["deals"], again["entries"]) == (0, 0)


def test_a_dry_run_through_http_writes_nothing(api: Api, tmp_path: Path) -> None:
    r = _send(api, "/imports/salesforce", _salesforce(tmp_path), "wang.fang", dry_run="true")

    assert (r.status_code, r.json()["dry_run"], r.json()["entries"]) == (200, True, 19)
    assert api.get(f"/deals/SF-{WON}").status_code == 404


@pytest.mark.parametrize("who", ["xiao.zhang", "coach.liu", "analyst.zhou"])
def test_only_a_manager_imports(api: Api, tmp_path: Path, who: str) -> None:
    r = _send(api, "/imports/salesforce", _salesforce(tmp_path), who)

    assert r.status_code == 403
    assert r.headers["content-type"].startswith("application/problem+json")
    assert api.get(f"/deals/SF-{WON}").status_code == 404


def test_a_file_that_cannot_be_read_is_a_problem_and_writes_nothing(
    api: Api, tmp_path: Path
) -> None:
    files = _salesforce(tmp_path)
    files["history"].write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")

    r = _send(api, "/imports/salesforce", files, "director.chen")

    assert r.status_code == 422
    assert r.json()["code"] == "invalid_input" and "OpportunityHistory.csv" in r.json()["detail"]
    assert api.get(f"/deals/SF-{WON}").status_code == 404
    missing = api.client.post(
        "/imports/salesforce",
        files={"opportunities": ("Opportunity.csv", b"Id\r\n", "text/csv")},
        headers=api.headers("director.chen"),
    )
    assert missing.status_code == 422


def test_a_manager_imports_a_hubspot_export(api: Api, tmp_path: Path) -> None:
    deals, pipelines = hubspot_export(tmp_path / "hs")

    r = _send(api, "/imports/hubspot", {"deals": deals, "pipelines": pipelines}, "director.chen")

    assert r.status_code == 200, r.text
    assert (r.json()["deals"], r.json()["refused"]) == (3, 1)
    assert api.get("/deals/HS-1002").json()["outcome"] == "lost"


def test_no_token_no_import(api: Api, tmp_path: Path) -> None:
    r = _send(api, "/imports/salesforce", _salesforce(tmp_path), None)
    assert r.status_code == 401

"""Every route of the HTTP API on both stores: the article's case, the reads
with the CLI's keys, paging and CSV, and every problem status of api.md."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from eventsourcing.persistence import OperationalError

from tests.api_support import ARTICLE, Api, enter_article_case, workers
from tests.conftest import cli_json, make_flow


@pytest.fixture
def api(store_url: str) -> Iterator[Api]:
    with workers(store_url) as (one,):
        yield one


def test_the_articles_case_through_http(api: Api) -> None:
    enter_article_case(api)
    deal = api.get(f"/deals/{ARTICLE}").json()
    assert (deal["stage"], deal["customer_step"], deal["alignment"]) == (
        "development",
        "supplier_screening",
        "behind",
    )
    assert deal["missing_milestones"] == [
        "opportunity_assessed",
        "customer_graded",
        "insider_found",
        "key_person_engaged",
    ]
    refused = api.post(f"/deals/{ARTICLE}/advance")
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert problem["code"] == "milestones_unmet"
    assert problem["unmet"] == ["opportunity_assessed", "customer_graded"]
    assert problem["type"] == "/problems/milestones_unmet" and problem["status"] == 409
    assert "cannot leave development" in problem["detail"]


def test_a_write_answers_with_its_entry_and_the_deal(api: Api) -> None:
    opened = api.post("/deals", {"key": "K-1", "customer": "Hebei Steel", "title": "Oils"})
    assert opened.status_code == 201
    assert opened.headers["location"] == "/deals/K-1" and opened.headers["etag"] == '"1"'
    done = api.post("/deals/K-1/activity", {"kind": "visit", "with": "Mr Ma", "note": "warm"})
    assert done.status_code == 200 and done.headers["etag"] == '"2"'
    entry, deal = done.json()["entry"], done.json()["deal"]
    assert entry["seq"] == 2 and entry["event"] == "ActivityHeld"
    assert entry["actor"] == "xiao.zhang" and entry["note"] == "warm"
    assert entry["data"]["with_whom"] == "Mr Ma"
    assert deal["version"] == 2 and deal["owner"] == "xiao.zhang"
    assert done.json()["entry"] == api.get("/deals/K-1/audit").json()[-1]


def test_reads_have_the_keys_of_the_clis_json(api: Api, store_url: str) -> None:
    enter_article_case(api)
    flow = make_flow(store_url)
    try:
        for path, args in (
            (f"/deals/{ARTICLE}/audit", ("audit", ARTICLE)),
            (f"/deals/{ARTICLE}/diagnosis", ("diagnose", ARTICLE)),
            (f"/deals/{ARTICLE}/replay", ("replay", ARTICLE)),
            ("/pipeline", ("pipeline",)),
            ("/losses", ("losses",)),
            (
                "/movement?from=2026-01-01&to=2026-12-31",
                ("movement", "--from", "2026-01-01", "--to", "2026-12-31"),
            ),
            ("/projections/status", ("projections", "status")),
        ):
            got, cli = api.get(path).json(), cli_json(flow, *args)
            assert _keys(got) == _keys(cli), path
        shown = api.get(f"/deals/{ARTICLE}").json()
        assert _keys(shown) == _keys(cli_json(flow, "deal", "show", ARTICLE))
        assert shown == cli_json(flow, "deal", "show", ARTICLE)
    finally:
        flow.close()


def _keys(doc: Any) -> Any:
    if isinstance(doc, list):
        return [_keys(d) for d in doc[:1]]
    if isinstance(doc, dict):
        return {k: _keys(v) for k, v in doc.items() if k != "recorded_at"}
    return type(doc).__name__ if doc is not None else None


def test_as_of_and_known_at_read_as_in_the_cli(api: Api) -> None:
    enter_article_case(api)
    early = api.get(f"/deals/{ARTICLE}?as_of=2026-07-10").json()
    assert early["customer_step"] is None and len(early["recent_entries"]) == 2
    assert api.get(f"/deals/{ARTICLE}/diagnosis?as_of=2026-09-08").json()["alignment"] == "behind"
    assert api.get(f"/deals/{ARTICLE}?as_of=2026-06-01").json()["code"] == "not_yet"
    bad = api.get(f"/deals/{ARTICLE}?as_of=yesterday")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "as_of"
    rows = api.get("/pipeline?as_of=2026-07-10").json()
    assert rows[0]["customer_step"] is None


def test_deal_show_carries_an_etag_and_answers_if_none_match(api: Api) -> None:
    api.open("K-1")
    first = api.get("/deals/K-1")
    assert first.headers["etag"] == '"1"'
    assert api.get("/deals/K-1", if_none_match='"1"').status_code == 304
    api.write("K-1", "activity", {"kind": "call"})
    again = api.get("/deals/K-1", if_none_match='"1"')
    assert again.status_code == 200 and again.headers["etag"] == '"2"'


def test_the_pipeline_pages_in_key_order_with_link_next(api: Api) -> None:
    for n in range(5):
        api.open(f"P-{n}", who="li.wei" if n % 2 else "xiao.zhang")
    seen, path, pages = [], "/pipeline?limit=2", 0
    while path:
        r = api.get(path)
        seen += [row["key"] for row in r.json()]
        link = r.headers.get("link")
        found = re.match(r'<([^>]+)>; rel="next"', link or "")
        path = found.group(1) if found else ""
        pages += 1
    assert seen == [f"P-{n}" for n in range(5)] and pages == 3
    mine = api.get("/pipeline?owner=li.wei&limit=1")
    assert [r["key"] for r in mine.json()] == ["P-1"] and "owner=li.wei" in mine.headers["link"]
    assert api.get("/pipeline?limit=0").status_code == 422
    assert api.get("/pipeline?limit=5001").status_code == 422
    assert api.get("/pipeline?stage=nowhere").status_code == 422


def test_table_reads_answer_csv_when_asked(api: Api) -> None:
    enter_article_case(api)
    r = api.get("/pipeline", accept="text/csv")
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert rows[0]["key"] == ARTICLE
    assert rows[0]["missing_milestones"].startswith("opportunity_assessed;")
    audit = api.get(f"/deals/{ARTICLE}/audit", accept="text/csv;q=0.9, application/json;q=0.1")
    assert audit.text.splitlines()[0].startswith("seq,event,occurred_at")
    assert api.get("/losses", accept="application/json").headers["content-type"] == (
        "application/json"
    )


def test_health_ready_openapi_and_docs_need_no_token(api: Api) -> None:
    assert api.get("/health", who=None).json() == {"status": "ok"}
    ready = api.get("/ready", who=None).json()
    assert ready["status"] == "ready" and ready["lag"] == ready["head"] - ready["position"]
    spec = api.get("/openapi.json", who=None).json()
    assert spec["openapi"].startswith("3.1")
    assert "/deals/{key}/customer-step" in spec["paths"] and "/pipeline" in spec["paths"]
    docs = api.get("/docs", who=None)
    assets = re.findall(r'(?:src|href)="([^"]+)"', docs.text)
    assert docs.status_code == 200 and len(assets) == 3  # script, style, icon: all ours
    for asset in assets:
        assert asset.startswith("http://testserver/"), asset  # served here: works offline
        assert api.get(asset.removeprefix("http://testserver"), who=None).status_code == 200


def test_every_problem_status_of_api_md(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    api.open("K-1")
    cases: list[tuple[Any, int, str]] = [
        (api.get("/pipeline", who=None), 401, "unauthenticated"),
        (
            api.client.get("/pipeline", headers={"Authorization": "Bearer sf_x_y"}),
            401,
            "unauthenticated",
        ),
        (api.post("/deals/K-1/activity", {"kind": "call"}, who="coach.liu"), 403, "forbidden"),
        (api.get("/deals/NOPE"), 404, "unknown_deal"),
        (api.post("/deals/NOPE/advance"), 404, "unknown_deal"),
        (
            api.post("/deals", {"key": "K-1", "customer": "c", "title": "t"}),
            409,
            "deal_already_opened",
        ),
        (api.post("/deals/K-1/bid", {"price": "10"}), 409, "wrong_stage"),
        (
            api.post("/deals/K-1/activity", {"kind": "call"}, if_match='"7"'),
            412,
            "version_mismatch",
        ),
        (
            api.client.post(
                "/deals/K-1/advance",
                content=b"x",
                headers={**api.headers("xiao.zhang"), "Content-Type": "text/plain"},
            ),
            415,
            "unsupported_media_type",
        ),
        (
            api.client.post(
                "/deals/K-1/advance",
                content=b"{",
                headers={**api.headers("xiao.zhang"), "Content-Type": "application/json"},
            ),
            400,
            "malformed_body",
        ),
        (api.post("/deals/K-1/activity", {"kind": "party"}), 422, "invalid_input"),
        (api.post("/deals/K-1/activity", {"kind": "call", "by": "someone"}), 422, "invalid_input"),
        (api.get("/nowhere"), 404, "not_found"),
        (
            api.client.delete("/deals/K-1", headers=api.headers("xiao.zhang")),
            405,
            "method_not_allowed",
        ),
    ]
    for response, status, code in cases:
        assert (response.status_code, response.json()["code"]) == (status, code), response.text
        assert response.headers["content-type"] == "application/problem+json"
        doc = response.json()
        assert set(doc) >= {"type", "title", "status", "detail", "code"}
        assert "Traceback" not in response.text
    assert cases[0][0].headers["www-authenticate"].startswith("Bearer")
    assert cases[7][0].json()["current_version"] == 1
    assert cases[10][0].json()["errors"][0] == {
        "field": "kind",
        "message": cases[10][0].json()["errors"][0]["message"],
    }

    def unreachable(oid: Any) -> Any:
        raise OperationalError("connection refused")

    runtime = api.client.app.state.runtime  # type: ignore[attr-defined]
    monkeypatch.setattr(runtime.process._writer, "deal_turn", unreachable)
    gone = api.post("/deals/K-1/activity", {"kind": "call"})
    assert (gone.status_code, gone.json()["code"]) == (503, "store_unavailable")

    def no_reader() -> Any:
        raise OSError("connection refused")

    monkeypatch.setattr(runtime, "reader", no_reader)
    assert api.get("/ready", who=None).status_code == 503


def test_a_field_error_names_the_member_as_the_client_sent_it(api: Api) -> None:
    api.open("K-1")
    r = api.post("/deals/K-1/grade", {"likelihood": 0.8})
    assert r.status_code == 422
    assert "close_by" in r.json()["detail"] and "--" not in r.json()["detail"]
    future = api.post("/deals/K-1/activity", {"kind": "call", "at": "2999-01-01T00:00:00Z"})
    assert future.json()["errors"][0]["field"] == "at"
    exact = api.post("/deals/K-1/activity", {"kind": "call", "with": 5})
    assert exact.json()["errors"][0]["field"] == "with"


def test_amounts_keep_every_digit(api: Api) -> None:
    api.open("K-1")
    big = api.client.post(
        "/deals/K-1/correct",
        content=b'{"title": "Mill", "reason": "typo"}',
        headers={**api.headers("xiao.zhang"), "Content-Type": "application/json"},
    )
    assert big.status_code == 200
    from domain.process import STAGE_MILESTONES  # noqa: F401 - the process is loaded

    body = b'{"price": 12345678901234567.89}'
    r = api.client.post(
        "/deals/K-1/bid",
        content=body,
        headers={**api.headers("xiao.zhang"), "Content-Type": "application/json"},
    )
    assert r.json()["code"] == "wrong_stage"  # validated whole, then refused by the process

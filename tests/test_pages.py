"""The web app's pages over HTTP, on both stores: each page answers for
every role, shows the figures the API's JSON gives, and sends a reader
without a valid token to the sign-in page."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from domain.demo_data import ARTICLE_CASE, load_demo, load_history
from tests.api_support import PEOPLE, Api, workers
from tests.conftest import make_flow


@pytest.fixture
def api(store_url: str) -> Iterator[Api]:
    flow = make_flow(store_url)
    load_demo(flow.process)
    load_history(flow.process)
    flow.close()
    with workers(store_url) as (one,):
        yield one


def _page(api: Api, path: str, who: str = "coach.liu") -> str:
    got = api.get(path, who=who)
    assert got.status_code == 200, (path, got.status_code, got.text[:500])
    assert got.headers["content-type"].startswith("text/html")
    return got.text


def test_signing_in_and_out(api: Api) -> None:
    c = api.client
    away = c.get("/app/deals/NX-2026-031?as_of=2026-08-01", follow_redirects=False)
    assert away.status_code == 303
    assert away.headers["location"] == "/app/login?next=/app/deals/NX-2026-031%3Fas_of%3D2026-08-01"
    forged = c.get("/app/", headers={"Authorization": "Bearer sf_nobody_x"}, follow_redirects=False)
    assert forged.status_code == 303 and forged.headers["location"].startswith("/app/login")
    refused = c.post("/app/login", content="token=wrong", headers=_FORM, follow_redirects=False)
    assert refused.status_code == 401 and "unknown or revoked" in refused.text
    token = api.tokens["analyst.zhou"]
    signed = c.post(
        "/app/login",
        content=f"token={token}&next=/app/losses",
        headers=_FORM,
        follow_redirects=False,
    )
    assert signed.status_code == 303 and signed.headers["location"] == "/app/losses"
    cookie = signed.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/app" in cookie
    assert c.get("/app/losses").status_code == 200  # the cookie is kept by the client
    elsewhere = c.post(
        "/app/login",
        content=f"token={token}&next=https://evil.example/",
        headers=_FORM,
        follow_redirects=False,
    )
    assert elsewhere.headers["location"] == "/app/"
    out = c.post("/app/logout", follow_redirects=False)
    assert out.status_code == 303 and 'salesflow_session=""' in out.headers["set-cookie"]
    c.cookies.clear()
    assert c.get("/app/", follow_redirects=False).status_code == 303


_FORM = {"content-type": "application/x-www-form-urlencoded"}


def test_every_role_reads_every_page(api: Api) -> None:
    for who in PEOPLE:
        for path in (
            "/app/",
            f"/app/deals/{ARTICLE_CASE}",
            f"/app/deals/{ARTICLE_CASE}/replay",
            "/app/losses",
            "/app/reports",
        ):
            _page(api, path, who)


def test_the_board_shows_the_api_s_pipeline(api: Api) -> None:
    html = _page(api, "/app/")
    rows = api.get("/pipeline?limit=5000").json()
    working = [r for r in rows if r["outcome"] in ("open", "nurture")]
    counts = dict(re.findall(r'data-stage="(\w+)".*?data-count="(\d+)"', html, re.S))
    for stage, n in counts.items():
        assert int(n) == sum(1 for r in working if r["stage"] == stage), stage
    cards = re.findall(r'<li class="card" data-key="([^"]+)"', html)
    assert sorted(cards) == sorted(r["key"] for r in working)[:60]  # a page, in key order
    assert "GS-2026-019" in cards and "SX-2026-012" not in cards  # won: behind the toggle
    everyone = _page(api, "/app/?closed=true")
    assert 'data-key="HB-2026-007"' in _page(api, "/app/?outcome=lost") and "More deals" in everyone
    mine = _page(api, "/app/?owner=xiao.zhang")
    assert set(re.findall(r'data-key="([^"]+)"', mine)) <= {
        r["key"] for r in working if r["owner"] == "xiao.zhang"
    }


def test_the_article_s_deal_page(api: Api) -> None:
    html = _page(api, f"/app/deals/{ARTICLE_CASE}")
    doc = api.get(f"/deals/{ARTICLE_CASE}").json()
    assert doc["alignment"] == "behind" and 'class="align align-behind">behind<' in html
    shown = re.findall(r'<code class="milestone-missing">(\w+)</code>', html)
    assert shown == doc["missing_milestones"] and len(shown) == 4
    assert f"{doc['win_probability']}" in html and "supplier_screening" in html
    assert html.count("<tr class=") == len(api.get(f"/deals/{ARTICLE_CASE}/audit").json())
    then = _page(api, f"/app/deals/{ARTICLE_CASE}?as_of=2026-07-10")
    assert "not observed" in then  # the customer's step came in September
    assert api.get("/app/deals/NOPE-1").status_code == 404


def test_the_replay_steps_through_the_history(api: Api) -> None:
    steps = api.get(f"/deals/{ARTICLE_CASE}/replay").json()
    third = _page(api, f"/app/deals/{ARTICLE_CASE}/replay?step=3")
    assert f"#{steps[2]['seq']} {steps[2]['event']}" in third
    assert 'rel="prev" id="prev" href="?step=2"' in third and 'href="?step=4"' in third
    last = _page(api, f"/app/deals/{ARTICLE_CASE}/replay?step={len(steps)}")
    assert 'id="next"' not in last and "stalled" not in last.split("After it")[0]


def test_losses_name_the_approvers_and_the_price_fights(api: Api) -> None:
    html = _page(api, "/app/losses")
    losses = api.get("/losses").json()
    assert re.findall(r'<tr data-key="([^"]+)"', html) == [r["key"] for r in losses]
    hebei = html.split('data-key="HB-2026-007"')[1].split("</tr>")[0]
    assert "price fight" in hebei and "<strong>director.chen</strong>" in hebei


def test_the_reports_page_shows_the_reports_figures(api: Api) -> None:
    window = "from=2025-01-01&to=2026-11-30"
    html = _page(api, f"/app/reports?{window}")
    funnel = api.get(f"/reports/funnel?{window}").json()
    first = funnel["stages"][0]
    assert f'<th scope="row">development</th><td class="n">{first["entered"]}</td>' in html
    fall = api.get(f"/reports/waterfall?{window}").json()
    end = fall["end"]
    cells = f'<td class="n">{end["deals"]}</td><td class="n">{end["value"]}</td>'
    assert f'<th scope="row">end</th>{cells}' in html
    rates = api.get(f"/reports/win-rates?{window}").json()
    s = rates["by_milestone"]["standard_influenced"]
    assert f"{s['met']['won']} / {s['met']['closed']}" in html
    assert html.count("<canvas") == 6 and "deals that met standard_influenced" in html

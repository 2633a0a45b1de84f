"""The reports end to end: ``salesflow report`` (table, --json, --csv, the
options it refuses) and ``GET /reports/NAME`` (the keys of reports.md, every
role), on both stores."""

from __future__ import annotations

import csv
import io

from cli.context import Salesflow
from tests.api_support import workers
from tests.conftest import Sf
from tests.report_support import scripted

WINDOW = ("--from", "2026-01-01", "--to", "2026-11-30")


def test_salesflow_report(sf_any: Sf) -> None:
    sf = sf_any
    from tests.conftest import make_flow

    flow: Salesflow = make_flow(sf.store)
    scripted(flow.process)
    flow.close()
    said = sf("report", "win-rates", *WINDOW).stdout
    assert "overall: won 1 of 3 (33 %, 95 % interval 6-79 %)" in said
    assert (
        "deals that met standard_influenced before leaving proposal won 100 % (n=1),"
        " those forced past it 0 % (n=1): +100 points"
    ) in said
    funnel = sf.json("report", "funnel", *WINDOW)
    assert funnel["report"] == "funnel" and funnel["from"] == "2026-01-01"
    assert funnel["stages"][0]["entered"] == 5 and funnel["currency"] == "CNY"
    rows = list(csv.DictReader(io.StringIO(sf("report", "waterfall", *WINDOW, "--csv").stdout)))
    assert rows[0]["movement"] == "start" and rows[-1] == {
        "movement": "end",
        "deals": "2",
        "value": "330000.00",
    }
    assert (
        "balance in value: end 330000.00 = 330000.00 (balanced)"
        in sf("report", "waterfall", *WINDOW).stdout
    )
    assert "takes no --grade" in sf("report", "win-rates", "--grade", "A", code=2).stderr
    assert "needs --from and --to" in sf("report", "waterfall", code=2).stderr
    assert (
        "after --to"
        in sf("report", "funnel", "--from", "2026-02-01", "--to", "2026-01-01", code=2).stderr
    )
    assert "nowhere" in sf("report", "nowhere", code=2).stderr
    by_owner = sf.json("report", "velocity", *WINDOW, "--by-owner")
    assert [r["owner"] for r in by_owner["owners"]] == ["li.wei", "xiao.zhang"]


def test_get_reports(store_url: str) -> None:
    with workers(store_url) as (api,):
        from tests.conftest import make_flow

        flow = make_flow(store_url)
        scripted(flow.process)
        flow.close()
        query = "?from=2026-01-01&to=2026-11-30"
        for who in ("coach.liu", "analyst.zhou", "xiao.zhang", "director.chen"):
            got = api.get(f"/reports/win-rates{query}", who=who)
            assert got.status_code == 200, got.text
        doc = got.json()
        assert {"overall", "by_grade", "by_owner", "by_milestone"} <= set(doc)
        assert doc["overall"] == {
            "closed": 3,
            "won": 1,
            "rate": 0.3333,
            "low": 0.0615,
            "high": 0.7923,
        }
        assert doc["by_milestone"]["standard_influenced"]["lift"] == 1.0
        assert api.get(f"/reports/funnel{query}&owner=li.wei").json()["stages"][0]["entered"] == 3
        assert (
            api.get(f"/reports/velocity{query}&by_owner=true").json()["owners"][0]["owner"]
            == "li.wei"
        )
        fall = api.get(f"/reports/waterfall{query}").json()
        assert fall["end"] == {"deals": 2, "value": "330000.00"}
        assert api.get("/reports/waterfall").status_code == 422
        bad = api.get("/reports/funnel?from=2026-02-01&to=2026-01-01")
        assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
        assert "after" in bad.json()["detail"]
        assert api.get(f"/reports/win-rates{query}", who=None).status_code == 401
        csv_text = api.get(f"/reports/losses-by-stage{query}", Accept="text/csv").text
        assert csv_text.splitlines()[0] == "stage,outcome,reason,deals,price_fights"
        assert api.get("/reports/nowhere").status_code == 404

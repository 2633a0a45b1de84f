"""Deal value end to end, on both stores: `deal open --value`, `deal estimate`,
the value in `deal show`, the pipeline (now and as of a time), the losses and
the HTTP API (shared/reports.md, "Deal value")."""

from __future__ import annotations

from tests.api_support import workers
from tests.conftest import Sf


def test_the_value_through_the_cli(sf_any: Sf) -> None:
    sf = sf_any
    opened = sf(
        "deal",
        "open",
        "V-1",
        "--customer",
        "Gansu",
        "--title",
        "Kiln oils",
        "--value",
        "800000",
        "--at",
        "2026-03-01",
    ).stdout
    assert "valued 800000 CNY" in opened
    assert sf.json("deal", "show", "V-1")["value"] == "800000.00"
    said = sf("deal", "estimate", "V-1", "--value", "950000.5", "--at", "2026-04-01").stdout
    assert "value estimated at 950000.5 CNY" in said
    shown = sf.json("deal", "show", "V-1")
    assert (shown["value"], shown["currency"]) == ("950000.50", "CNY")
    assert "value 950000.50 CNY" in sf("deal", "show", "V-1").stdout
    (row,) = sf.json("pipeline")
    assert row["value"] == "950000.50"
    (then,) = sf.json("pipeline", "--as-of", "2026-03-15")
    assert then["value"] == "800000.00"
    csv_text = sf("pipeline", "--csv").stdout
    assert "950000.50" in csv_text
    sf("deal", "lose", "V-1", "--reason", "price", "--at", "2026-05-01")
    assert sf.json("losses")[0]["value"] == "950000.50"
    refused = sf("deal", "estimate", "V-1", "--value", "1", code=1)
    assert "lost" in refused.stderr
    assert "--value" in sf("deal", "estimate", "V-1", "--value", "0", code=2).stderr


def test_the_value_through_the_api(store_url: str) -> None:
    with workers(store_url) as (api,):
        opened = api.post(
            "/deals",
            {"key": "V-2", "customer": "Hebei", "title": "Mill oils", "value": "1250000.00"},
        )
        assert opened.status_code == 201 and opened.json()["deal"]["value"] == "1250000.00"
        done = api.write("V-2", "estimate", {"value": 1300000})
        assert done["entry"]["event"] == "ValueEstimated"
        assert done["deal"]["value"] == "1300000.00"
        assert api.get("/pipeline").json()[0]["value"] == "1300000.00"
        bad = api.post("/deals/V-2/estimate", {"value": "a lot"})
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "value"
        assert api.post("/deals/V-2/estimate", {"value": 5}, who="coach.liu").status_code == 403

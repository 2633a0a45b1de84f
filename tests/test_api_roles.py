"""Who may write what through the API (shared/api.md's roles), and that the
caller, never the body, is the actor and the approver."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api_support import Api, workers


@pytest.fixture
def api(store_url: str) -> Iterator[Api]:
    with workers(store_url) as (one,):
        one.open("ZH-1", who="xiao.zhang")  # xiao.zhang's deal
        one.open("LW-1", who="li.wei")  # li.wei's deal
        one.open("DC-1", who="director.chen")  # the manager's own deal
        yield one


CALL = {"kind": "call"}


@pytest.mark.parametrize(
    ("who", "key", "status"),
    [
        ("xiao.zhang", "ZH-1", 200),  # a rep on their own deal
        ("xiao.zhang", "LW-1", 403),  # a rep on another rep's deal
        ("director.chen", "LW-1", 200),  # a manager on any deal
        ("coach.liu", "ZH-1", 403),  # coaches write nothing
        ("analyst.zhou", "ZH-1", 403),  # analysts write nothing
    ],
)
def test_who_may_write_on_which_deal(api: Api, who: str, key: str, status: int) -> None:
    r = api.post(f"/deals/{key}/activity", CALL, who=who)
    assert r.status_code == status, r.text
    if status == 403:
        assert r.json()["code"] == "forbidden"
        assert len(api.get(f"/deals/{key}/audit").json()) == 1  # nothing written


@pytest.mark.parametrize("who", ["xiao.zhang", "director.chen", "coach.liu", "analyst.zhou"])
def test_everyone_reads_everything(api: Api, who: str) -> None:
    for path in (
        "/deals/LW-1",
        "/deals/LW-1/audit",
        "/deals/LW-1/diagnosis",
        "/pipeline",
        "/losses",
        "/projections/status",
    ):
        assert api.get(path, who=who).status_code == 200, (who, path)


def test_a_rep_opens_only_their_own_deals(api: Api) -> None:
    body = {"customer": "Gansu", "title": "Oils"}
    assert api.post("/deals", {"key": "ZH-2", **body}).json()["deal"]["owner"] == "xiao.zhang"
    assert api.post("/deals", {"key": "ZH-3", "owner": "xiao.zhang", **body}).status_code == 201
    other = api.post("/deals", {"key": "ZH-4", "owner": "li.wei", **body})
    assert (other.status_code, other.json()["code"]) == (403, "forbidden")
    assert api.get("/deals/ZH-4").status_code == 404
    assert api.post("/deals", {"key": "C-1", **body}, who="coach.liu").status_code == 403
    made = api.post("/deals", {"key": "M-1", "owner": "li.wei", **body}, who="director.chen")
    assert made.status_code == 201 and made.json()["entry"]["actor"] == "director.chen"


def test_a_rep_retracts_only_their_own_entries(api: Api) -> None:
    api.write("ZH-1", "activity", CALL, who="director.chen")  # entry 2, the manager's
    api.write("ZH-1", "activity", CALL, who="xiao.zhang")  # entry 3, the rep's
    theirs = api.post("/deals/ZH-1/retract", {"seq": 2, "reason": "wrong"})
    assert theirs.status_code == 403
    mine = api.post("/deals/ZH-1/retract", {"seq": 3, "reason": "wrong call"})
    assert mine.status_code == 200 and mine.json()["entry"]["event"] == "EntryRetracted"
    assert (
        api.post("/deals/ZH-1/retract", {"seq": 2, "reason": "x"}, who="director.chen").status_code
        == 200
    )


def test_a_rep_cannot_give_a_deal_away(api: Api) -> None:
    r = api.post("/deals/ZH-1/correct", {"owner": "li.wei", "reason": "handover"})
    assert r.status_code == 403
    assert (
        api.post("/deals/ZH-1/correct", {"title": "Mill oils", "reason": "typo"}).status_code == 200
    )
    moved = api.post(
        "/deals/ZH-1/correct", {"owner": "li.wei", "reason": "handover"}, who="director.chen"
    )
    assert moved.status_code == 200 and moved.json()["deal"]["owner"] == "li.wei"
    assert api.post("/deals/ZH-1/activity", CALL).status_code == 403  # no longer theirs


def test_force_is_approved_by_the_calling_manager(api: Api) -> None:
    forced = api.post(
        "/deals/ZH-1/force", {"reason": "customer asked for a proposal"}, who="director.chen"
    )
    assert forced.status_code == 200, forced.text
    entry, deal = forced.json()["entry"], forced.json()["deal"]
    assert entry["actor"] == "director.chen" and entry["event"] == "StageForced"
    assert deal["forced_advances"][0]["approved_by"] == "director.chen"
    assert deal["stage"] == "entry"


def test_no_one_approves_their_own_exception(api: Api) -> None:
    own = api.post("/deals/DC-1/force", {"reason": "in a hurry"}, who="director.chen")
    assert (own.status_code, own.json()["code"]) == (403, "forbidden")
    assert "own deal" in own.json()["detail"]
    rep = api.post("/deals/ZH-1/force", {"reason": "in a hurry"})
    assert rep.status_code == 403
    assert api.post("/deals/DC-1/force", {"reason": "ok"}, who="wang.fang").status_code == 200


def test_a_body_cannot_name_the_actor_or_the_approver(api: Api) -> None:
    by = api.post("/deals/ZH-1/activity", {"kind": "call", "by": "li.wei"})
    assert by.status_code == 422 and by.json()["errors"][0]["field"] == "by"
    approver = api.post(
        "/deals/ZH-1/force", {"reason": "x", "approved_by": "wang.fang"}, who="director.chen"
    )
    assert approver.status_code == 422 and approver.json()["errors"][0]["field"] == "approved_by"
    assert api.get("/deals/ZH-1").json()["version"] == 1


def test_a_revoked_token_stops_working(api: Api, store_url: str) -> None:
    from adapters.users import Users
    from tests.api_support import settings_of

    Users(settings_of(store_url).store).revoke("li.wei")
    api.client.app.state.runtime._tokens.clear()  # type: ignore[attr-defined]
    r = api.get("/pipeline", who="li.wei")
    assert r.status_code == 401 and "invalid_token" in r.headers["www-authenticate"]

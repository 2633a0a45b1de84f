"""Conditional writes, idempotency keys and read-your-writes across workers,
on both stores: a retry never writes twice, a stale If-Match never writes."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest

from adapters.idempotency import Finished
from tests.api_support import Api, add_people, settings_of, workers


def _events(api: Api, key: str) -> int:
    return len(api.get(f"/deals/{key}/audit").json())


def test_if_match_applies_only_at_that_version(store_url: str) -> None:
    with workers(store_url) as (api,):
        api.open("K-1")
        ok = api.post("/deals/K-1/activity", {"kind": "call"}, if_match='"1"')
        assert ok.status_code == 200 and ok.headers["etag"] == '"2"'
        stale = api.post("/deals/K-1/activity", {"kind": "visit"}, if_match='"1"')
        assert stale.status_code == 412
        assert stale.json()["current_version"] == 2 and _events(api, "K-1") == 2
        assert api.post("/deals/K-1/activity", {"kind": "call"}, if_match="*").status_code == 200


def test_two_clients_racing_with_one_if_match_one_wins(store_url: str) -> None:
    with workers(store_url, n=2) as apis:
        apis[0].open("K-1")
        start = threading.Barrier(2)
        answers: list[httpx.Response] = []

        def race(api: Api) -> None:
            start.wait()
            answers.append(api.post("/deals/K-1/activity", {"kind": "call"}, if_match='"1"'))

        threads = [threading.Thread(target=race, args=(a,)) for a in apis]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(a.status_code for a in answers) == [200, 412]
        assert _events(apis[0], "K-1") == 2  # the opening and the one winner


def test_a_retry_with_the_same_key_gets_the_first_answer_and_writes_nothing(store_url: str) -> None:
    with workers(store_url) as (api,):
        api.open("K-1")
        first = api.post("/deals/K-1/activity", {"kind": "call"}, idempotency_key="call-1")
        again = api.post("/deals/K-1/activity", {"kind": "call"}, idempotency_key="call-1")
        assert (again.status_code, again.content) == (first.status_code, first.content)
        assert again.headers["etag"] == first.headers["etag"] == '"2"'
        assert _events(api, "K-1") == 2
        other = api.post("/deals/K-1/activity", {"kind": "visit"}, idempotency_key="call-1")
        assert (other.status_code, other.json()["code"]) == (422, "idempotency_key_reused")
        elsewhere = api.post("/deals/K-1/advance", {"kind": "call"}, idempotency_key="call-1")
        assert elsewhere.status_code == 422  # the same key on another route is another request


def test_keys_are_kept_per_token(store_url: str) -> None:
    with workers(store_url) as (api,):
        api.open("K-1")
        api.post("/deals/K-1/activity", {"kind": "call"}, idempotency_key="k")
        theirs = api.post(
            "/deals/K-1/activity", {"kind": "call"}, who="director.chen", idempotency_key="k"
        )
        assert theirs.status_code == 200 and _events(api, "K-1") == 3


def test_a_refusal_is_the_first_answer_too(store_url: str) -> None:
    with workers(store_url) as (api,):
        api.open("K-1")
        refused = api.post("/deals/K-1/advance", idempotency_key="adv")
        assert refused.status_code == 409
        again = api.post("/deals/K-1/advance", idempotency_key="adv")
        assert (again.status_code, again.content) == (409, refused.content)
        assert again.headers["content-type"] == "application/problem+json"


def test_opening_a_deal_twice_with_one_key_opens_it_once(store_url: str) -> None:
    with workers(store_url) as (api,):
        body = {"key": "K-9", "customer": "c", "title": "t"}
        first = api.post("/deals", body, idempotency_key="open-k9")
        again = api.post("/deals", body, idempotency_key="open-k9")
        assert first.status_code == again.status_code == 201
        assert again.headers["location"] == "/deals/K-9" and again.content == first.content


def test_a_retry_after_a_restart_or_on_another_worker_writes_nothing(store_url: str) -> None:
    with workers(store_url) as (api,):
        api.open("K-1")
        first = api.post(
            "/deals/K-1/collect",
            {"element": "needs", "text": "gear oils"},
            idempotency_key="needs-1",
        )
        tokens = api.tokens
    from fastapi.testclient import TestClient

    from api.app import create_app

    # A new server on the same store: the users are still there, and so is the key.
    with TestClient(create_app(settings_of(store_url), follow=False)) as restarted:
        again = Api(restarted, tokens).post(
            "/deals/K-1/collect",
            {"element": "needs", "text": "gear oils"},
            idempotency_key="needs-1",
        )
        assert (again.status_code, again.content) == (200, first.content)
        assert _events(Api(restarted, tokens), "K-1") == 2


def test_a_key_whose_first_request_still_runs_is_409(store_url: str) -> None:
    with workers(store_url) as (api,):
        api.open("K-1")
        runtime = api.client.app.state.runtime  # type: ignore[attr-defined]
        user = runtime.user(api.tokens["xiao.zhang"])
        # The first request has claimed its key and not finished (it runs elsewhere).
        import hashlib
        import json

        body = {"kind": "call"}
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
        fingerprint = hashlib.sha256(f"POST /deals/K-1/activity\n{canonical}".encode()).hexdigest()
        assert (
            runtime.process.recorder.claim_key(user.token_id, "slow", fingerprint).outcome == "run"
        )
        busy = api.post("/deals/K-1/activity", body, idempotency_key="slow")
        assert (busy.status_code, busy.json()["code"]) == (409, "idempotency_key_in_flight")
        assert _events(api, "K-1") == 1


def test_a_kept_answer_is_saved_with_its_events_or_not_at_all(store_url: str) -> None:
    """A save refused by the store (another writer saved first) keeps no answer."""
    settings = settings_of(store_url)
    add_people(settings)
    from adapters.stores import open_process
    from domain import commands as c
    from domain.times import now
    from domain.vocabulary import ActivityKind

    process = open_process(settings.store, settings.config)
    try:
        process.open_deal(c.OpenDeal(key="K-1", customer="c", title="t", at=now(), by="x"))
        mine, theirs = process.deal("K-1"), process.deal("K-1")
        for deal in (mine, theirs):
            deal.hold_activity(ActivityKind.call, None, None, now(), "x")
        process.save(theirs)
        keys: Any = process.recorder
        assert keys.claim_key("tok", "key-1", "h").outcome == "run"
        from eventsourcing.persistence import IntegrityError

        with pytest.raises(IntegrityError):
            process.save(mine, idempotency=Finished("tok", "key-1", 200, "{}"))
        assert keys.claim_key("tok", "key-1", "h").outcome == "in_flight"  # still not done
        assert keys.claim_key("tok", "key-2", "h").outcome == "run"
        fresh = process.deal("K-1")
        fresh.hold_activity(ActivityKind.visit, None, None, now(), "x")
        process.save(fresh, idempotency=Finished("tok", "key-2", 200, '{"ok": 1}'))
        replay = keys.claim_key("tok", "key-2", "h")
        assert (replay.outcome, replay.response) == ("replay", '{"ok": 1}')
    finally:
        process.close()


def test_a_read_after_a_write_sees_it_on_every_worker(store_url: str) -> None:
    with workers(store_url, n=2) as (writer, reader):
        for n in range(3):
            writer.open(f"R-{n}")
            rows: list[dict[str, Any]] = reader.get("/pipeline").json()
            assert [r["key"] for r in rows] == [f"R-{i}" for i in range(n + 1)]
            assert len(reader.get(f"/deals/R-{n}/audit").json()) == 1
        writer.write("R-0", "lose", {"reason": "price", "competitor": "Lowprice"})
        assert [r["key"] for r in reader.get("/losses").json()] == ["R-0"]

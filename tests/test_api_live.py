"""End to end: ``salesflow users add`` and ``salesflow serve`` as a user runs
them, a client on a real socket, and a stop with SIGTERM."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from tests.live_server import salesflow, serving


def test_a_live_server_serves_a_client_then_stops_cleanly(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'live.db'}"
    token = salesflow(store, "users", "add", "li.wei", "--role", "rep").splitlines()[-1]
    assert token.startswith("sf_")
    listed = json.loads(salesflow(store, "users", "list", "--json"))
    assert [(u["name"], u["role"]) for u in listed] == [("li.wei", "rep")]
    assert token not in json.dumps(listed)
    with serving(store, tmp_path) as served:
        auth = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=served.url, headers=auth, timeout=30) as client:
            opened = client.post("/deals", json={"key": "L-1", "customer": "c", "title": "t"})
            assert opened.status_code == 201
            assert client.post("/deals/L-1/activity", json={"kind": "visit"}).status_code == 200
            assert client.get("/deals/L-1").json()["version"] == 2
            assert [r["key"] for r in client.get("/pipeline").json()] == ["L-1"]
            assert (
                client.get("/pipeline", headers={"Authorization": "Bearer no"}).status_code == 401
            )
        code, out, err = served.stop()
    assert code == 0, err
    assert "stopped" in out
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    routes = [(x["method"], x["route"], x["status"], x["user"]) for x in lines]
    assert ("POST", "/deals/{key}/activity", 200, "li.wei") in routes
    assert ("GET", "/pipeline", 401, None) in routes
    assert all(isinstance(x["ms"], float | int) for x in lines)
    assert token not in out + err and token.split("_")[2] not in out + err
    # After the stop, the store holds exactly what was answered.
    audit = json.loads(salesflow(store, "audit", "L-1", "--json"))
    assert [e["actor"] for e in audit] == ["li.wei", "li.wei"]


def test_two_workers_on_postgresql_read_their_writes(pg_url: str, tmp_path: Path) -> None:
    token = salesflow(pg_url, "users", "add", "director.chen", "--role", "manager").splitlines()[-1]
    with serving(pg_url, tmp_path, workers=2) as served:
        # No keep-alive: each request may land on either worker.
        limits = httpx.Limits(max_keepalive_connections=0)
        with httpx.Client(
            base_url=served.url,
            timeout=30,
            limits=limits,
            headers={"Authorization": f"Bearer {token}"},
        ) as client:
            for n in range(12):
                assert (
                    client.post(
                        "/deals", json={"key": f"W-{n}", "customer": "c", "title": "t"}
                    ).status_code
                    == 201
                )
                keys = [r["key"] for r in client.get("/pipeline").json()]
                assert keys == sorted(f"W-{i}" for i in range(n + 1)), n
                assert client.get(f"/deals/W-{n}/audit").status_code == 200
        code, _, err = served.stop()
    assert code == 0, err

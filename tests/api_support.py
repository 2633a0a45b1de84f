"""The HTTP API in-process for the tests: an app per "worker" on one store,
users of every role, and a client that speaks as one of them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import httpx
from fastapi.testclient import TestClient

from adapters.settings import Settings
from adapters.stores import open_process
from adapters.users import Users
from api.app import create_app

#: The users the tests speak as: name -> role.
PEOPLE = {
    "xiao.zhang": "rep",
    "li.wei": "rep",
    "director.chen": "manager",
    "wang.fang": "manager",
    "coach.liu": "coach",
    "analyst.zhou": "analyst",
}
ARTICLE = "NX-2026-031"


def settings_of(url: str) -> Settings:
    return Settings.build(store=url, environ={"SALESFLOW_USER": "tester", "SALESFLOW_TZ": "UTC"})


def add_people(settings: Settings) -> dict[str, str]:
    """Every user of ``PEOPLE`` with a token: name -> token."""
    open_process(settings.store, settings.config).close()  # the store's tables first
    users = Users(settings.store)
    return {name: users.add(name, role) for name, role in PEOPLE.items()}


class Api:
    """One worker of the API on a store, and the tokens of ``PEOPLE``."""

    def __init__(self, client: TestClient, tokens: dict[str, str]) -> None:
        self.client, self.tokens = client, tokens

    def headers(self, who: str | None, **extra: str) -> dict[str, str]:
        given = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return {**given, **{k.replace("_", "-"): v for k, v in extra.items()}}

    def post(
        self, path: str, body: Any = None, who: str | None = "xiao.zhang", **headers: str
    ) -> httpx.Response:
        sent: httpx.Response = self.client.post(
            path, json={} if body is None else body, headers=self.headers(who, **headers)
        )
        return sent

    def get(self, path: str, who: str | None = "xiao.zhang", **headers: str) -> httpx.Response:
        got: httpx.Response = self.client.get(path, headers=self.headers(who, **headers))
        return got

    def write(
        self, key: str, command: str, body: Any = None, who: str = "xiao.zhang", **headers: str
    ) -> dict[str, Any]:
        """A write that must succeed; its answer."""
        r = self.post(f"/deals/{key}/{command}", body, who, **headers)
        assert r.status_code == 200, r.text
        doc: dict[str, Any] = r.json()
        return doc

    def open(self, key: str, who: str = "xiao.zhang", **body: Any) -> dict[str, Any]:
        r = self.post(
            "/deals", {"key": key, "customer": "Hebei Steel", "title": "Oils", **body}, who
        )
        assert r.status_code == 201, r.text
        doc: dict[str, Any] = r.json()
        return doc


@contextmanager
def workers(url: str, n: int = 1, follow: bool = False) -> Iterator[list[Api]]:
    """``n`` workers of the API on the store at ``url``, with its users."""
    settings = settings_of(url)
    tokens = add_people(settings)
    with ExitStack() as stack:
        apis = [
            Api(stack.enter_context(TestClient(create_app(settings, follow=follow))), tokens)
            for _ in range(n)
        ]
        yield apis


def enter_article_case(api: Api) -> None:
    """The article's case (shared/domain.md), through HTTP."""
    k = ARTICLE
    api.open(
        k,
        customer="Ningxia plant",
        title="Equipment oils",
        at="2026-07-01",
        tender_expected="2026-11-15",
    )
    api.write(
        k,
        "activity",
        {
            "kind": "visit",
            "with": "project lead A",
            "outcome": "took the brochures",
            "at": "2026-07-06",
        },
    )
    api.write(k, "stakeholder", {"name": "Design lead", "role": "designer", "at": "2026-07-20"})
    api.write(k, "customer-step", {"step": "supplier_screening", "at": "2026-09-08"})
    api.write(
        k,
        "activity",
        {"kind": "call", "with": "project manager", "outcome": "hung up", "at": "2026-09-09"},
    )

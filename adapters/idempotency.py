"""Idempotency keys kept in the store's database (the HTTP API's
``Idempotency-Key``): a key is claimed before its request runs; the status
and body of its first response are kept, those of a write in the very
transaction of its events (``IdempotentRecorder``), so that a crash never
keeps one without the other; a repeat gets them back and writes nothing.

Statements are written with ``%s`` and run on either store's cursor.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

TABLE = "salesflow_idempotency"
DDL = (
    "CREATE TABLE IF NOT EXISTS {table} (token TEXT NOT NULL, key TEXT NOT NULL,"
    " body_hash TEXT NOT NULL, state TEXT NOT NULL, status INTEGER, response TEXT,"
    " created_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (token, key))"
)
#: A claim left running longer than this is taken to have died with its worker.
STALE_AFTER = 120.0
#: Keys are kept at least this long (api.md: 24 hours).
KEPT_FOR = 48 * 3600.0


@dataclass(frozen=True)
class Claim:
    """What a request with a key may do: ``run`` it (first time, or the first
    died), ``replay`` the kept response, or be refused as ``reused`` (another
    body) or ``in_flight`` (the first still running)."""

    outcome: str
    status: int | None = None
    response: str | None = None


@dataclass(frozen=True)
class Finished:
    """The first response to a key, kept with the events it produced."""

    token: str
    key: str
    status: int
    response: str


Run = Callable[[str, Sequence[Any]], list[Any]]


def claim(run: Run, table: str, token: str, key: str, body_hash: str) -> Claim:
    """Claim ``key`` for ``token``'s request with this body (see ``Claim``)."""
    now = time.time()
    if int(now) % 97 == 0:  # now and then, forget keys past their time
        run(f"DELETE FROM {table} WHERE created_at < %s", (now - KEPT_FOR,))
    inserted = run(
        f"INSERT INTO {table} (token, key, body_hash, state, created_at)"
        " VALUES (%s, %s, %s, 'running', %s) ON CONFLICT (token, key) DO NOTHING"
        " RETURNING key",
        (token, key, body_hash, now),
    )
    if inserted:
        return Claim("run")
    rows = run(
        f"SELECT body_hash, state, status, response, created_at FROM {table}"
        " WHERE token = %s AND key = %s",
        (token, key),
    )
    if not rows:  # forgotten in between: claim it again
        return claim(run, table, token, key, body_hash)
    kept_hash, state, status, response, created = rows[0]
    if kept_hash != body_hash:
        return Claim("reused")
    if state == "done":
        return Claim("replay", status, response)
    if now - created < STALE_AFTER:
        return Claim("in_flight")
    taken = run(
        f"UPDATE {table} SET created_at = %s WHERE token = %s AND key = %s"
        " AND state = 'running' AND created_at = %s RETURNING key",
        (now, token, key, created),
    )
    return Claim("run") if taken else claim(run, table, token, key, body_hash)


def finish_sql(table: str) -> str:
    """The statement that keeps a first response (``Finished``)."""
    return (
        f"INSERT INTO {table} (token, key, body_hash, state, status, response, created_at)"
        " VALUES (%s, %s, '', 'done', %s, %s, %s) ON CONFLICT (token, key) DO UPDATE"
        " SET state = 'done', status = excluded.status, response = excluded.response"
    )


def finish_params(done: Finished) -> tuple[Any, ...]:
    return (done.token, done.key, done.status, done.response, time.time())


def release_sql(table: str) -> str:
    """Forget a claim whose request failed on the server's side (it may be retried)."""
    return f"DELETE FROM {table} WHERE token = %s AND key = %s AND state = 'running'"


class Keys(Protocol):
    """What the recorder of a store offers for idempotency keys."""

    def claim_key(self, token: str, key: str, body_hash: str) -> Claim: ...

    def finish_key(self, done: Finished) -> None: ...

    def release_key(self, token: str, key: str) -> None: ...

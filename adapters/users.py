"""Users of the HTTP API and their tokens, in the store's database.

A token is shown once, when it is made; the store keeps only a salted,
deliberately slow hash of its secret (``hashlib.scrypt``), found by the
token's public id and compared in constant time. A token reads
``sf_<id>_<secret>``: the id finds the user's row, the secret proves it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from adapters.stores import Store
from domain.errors import InputError, SalesProcessError

ROLES = ("rep", "manager", "coach", "analyst")
TABLE = "salesflow_users"
_DDL = (
    "CREATE TABLE IF NOT EXISTS {table} (name TEXT PRIMARY KEY, role TEXT NOT NULL,"
    " token_id TEXT UNIQUE, salt TEXT, hash TEXT, created_at DOUBLE PRECISION NOT NULL,"
    " last_used_at DOUBLE PRECISION, revoked_at DOUBLE PRECISION)"
)
#: scrypt's cost: about 50 ms a check on this machine (a token is checked once
#: per worker, then remembered a little while).
_N, _R, _P = 2**14, 8, 1


class UnknownUser(SalesProcessError):
    """Raised when no user has the given name."""

    code = "unknown_user"


@dataclass(frozen=True)
class User:
    """Who calls the API, and what the role lets them do."""

    name: str
    role: str
    #: The token's public id: what idempotency keys are kept per.
    token_id: str = ""


def _hash(secret: str, salt: str) -> str:
    return hashlib.scrypt(
        secret.encode(), salt=bytes.fromhex(salt), n=_N, r=_R, p=_P, dklen=32
    ).hex()


def _new_token() -> tuple[str, str, str]:
    """A token, its id and its secret."""
    token_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    return f"sf_{token_id}_{secret}", token_id, secret


class Users:
    """The users of one store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        if store.kind == "sqlite":
            self.table = TABLE
        else:
            self.table = f'"{store.events_schema or "public"}".{TABLE}'

    @contextmanager
    def _cursor(self) -> Iterator[Any]:
        if self.store.kind == "sqlite":
            conn = sqlite3.connect(self.store.path, timeout=30, isolation_level=None)
            try:
                conn.execute("BEGIN IMMEDIATE")
                yield _Qmark(conn.cursor())
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            finally:
                conn.close()
            return
        import psycopg

        with psycopg.connect(self.store.conninfo()) as pg, pg.cursor() as cur:
            yield cur

    def _run(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._cursor() as cur:
            cur.execute(_DDL.format(table=self.table))
            cur.execute(sql, tuple(params))
            return list(cur.fetchall()) if cur.description else []

    def add(self, name: str, role: str) -> str:
        """Add a user; returns their token (shown this once)."""
        if role not in ROLES:
            raise InputError(f"unknown role {role!r} (known: {', '.join(ROLES)})")
        if not name.strip() or len(name) > 200 or any(ord(c) < 32 for c in name):
            raise InputError("a user's name is 1-200 characters, no control characters")
        token, token_id, secret = _new_token()
        salt = secrets.token_hex(16)
        if self._run(f"SELECT name FROM {self.table} WHERE name = %s", (name,)):
            raise SalesProcessError(
                f"a user {name!r} exists already; 'users token' gives a new token"
            )
        self._run(
            f"INSERT INTO {self.table} (name, role, token_id, salt, hash, created_at)"
            " VALUES (%s, %s, %s, %s, %s, %s)",
            (name, role, token_id, salt, _hash(secret, salt), time.time()),
        )
        return token

    def token(self, name: str) -> str:
        """A new token for ``name``; the old one stops working."""
        token, token_id, secret = _new_token()
        salt = secrets.token_hex(16)
        changed = self._run(
            f"UPDATE {self.table} SET token_id = %s, salt = %s, hash = %s, revoked_at = NULL"
            " WHERE name = %s RETURNING name",
            (token_id, salt, _hash(secret, salt), name),
        )
        if not changed:
            raise UnknownUser(f"no user is called {name!r}")
        return token

    def revoke(self, name: str) -> None:
        """Stop ``name``'s token from working."""
        changed = self._run(
            f"UPDATE {self.table} SET revoked_at = %s, token_id = NULL WHERE name = %s"
            " RETURNING name",
            (time.time(), name),
        )
        if not changed:
            raise UnknownUser(f"no user is called {name!r}")

    def list(self) -> list[dict[str, Any]]:
        """Every user: name, role, when made and last used, whether revoked (never tokens)."""
        rows = self._run(
            f"SELECT name, role, created_at, last_used_at, revoked_at FROM {self.table}"
            " ORDER BY name"
        )
        return [
            {"name": n, "role": r, "created": c, "last_used": u, "revoked": v is not None}
            for n, r, c, u, v in rows
        ]

    def check(self, token: str) -> User | None:
        """The user a token belongs to (None for a bad or revoked token)."""
        parts = token.split("_")
        if len(parts) < 3 or parts[0] != "sf":
            return None
        token_id, secret = parts[1], "_".join(parts[2:])
        rows = self._run(
            f"SELECT name, role, salt, hash FROM {self.table}"
            " WHERE token_id = %s AND revoked_at IS NULL",
            (token_id,),
        )
        if not rows:
            return None
        name, role, salt, kept = rows[0]
        if not hmac.compare_digest(_hash(secret, salt), kept):
            return None
        self._run(f"UPDATE {self.table} SET last_used_at = %s WHERE name = %s", (time.time(), name))
        return User(name, role, token_id)


class _Qmark:
    """A sqlite3 cursor that takes ``%s`` placeholders, as psycopg's does."""

    def __init__(self, cur: sqlite3.Cursor) -> None:
        self.cur = cur

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.cur.execute(sql.replace("%s", "?"), tuple(params))

    @property
    def description(self) -> Any:
        return self.cur.description

    def fetchall(self) -> list[Any]:
        return self.cur.fetchall()

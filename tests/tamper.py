"""Tampering with a store directly, as someone with the database would: in
the SQLite file, or in the PostgreSQL tables, never through salesflow."""

from __future__ import annotations

import sqlite3
from typing import Any

import psycopg

from adapters.stores import Store
from domain.opportunity import deal_id


class Tamper:
    """Direct SQL on the events of a store, by deal key and seq."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.sqlite = store.kind == "sqlite"
        if self.sqlite:
            self.table, self.id = "stored_events", "rowid"
        else:
            self.table, self.id = f'"{store.events_schema}".sales_events', "notification_id"

    def _oid(self, key: str) -> Any:
        return deal_id(key).hex if self.sqlite else deal_id(key)

    def run(self, sql: str, *params: Any) -> list[Any]:
        """``sql`` with ``{t}`` for the events table, ``{id}`` for its id column
        and ``%s`` for parameters."""
        text = sql.format(t=self.table, id=self.id)
        if self.sqlite:
            with sqlite3.connect(self.store.path) as conn:
                return conn.execute(text.replace("%s", "?"), params).fetchall()
        with psycopg.connect(self.store.conninfo(), autocommit=True) as conn:
            cur = conn.execute(text, params)
            return list(cur.fetchall()) if cur.description else []

    def edit(self, key: str, seq: int, old: str, new: str) -> None:
        state = self.state(key, seq)
        assert old.encode() in state, state
        self.run(
            "UPDATE {t} SET state = %s WHERE originator_id = %s AND originator_version = %s",
            state.replace(old.encode(), new.encode()),
            self._oid(key),
            seq,
        )

    def state(self, key: str, seq: int) -> bytes:
        rows = self.run(
            "SELECT state FROM {t} WHERE originator_id = %s AND originator_version = %s",
            self._oid(key),
            seq,
        )
        return bytes(rows[0][0])

    def delete(self, key: str, seq: int) -> None:
        self.run(
            "DELETE FROM {t} WHERE originator_id = %s AND originator_version = %s",
            self._oid(key),
            seq,
        )

    def renumber(self, key: str, seq: int, to: int) -> None:
        self.run(
            "UPDATE {t} SET originator_version = %s"
            " WHERE originator_id = %s AND originator_version = %s",
            to,
            self._oid(key),
            seq,
        )

    def swap(self, key: str, a: int, b: int) -> None:
        self.renumber(key, a, -1)
        self.renumber(key, b, a)
        self.renumber(key, -1, b)

    def set_chain(self, key: str, seq: int, chain: bytes | None) -> None:
        self.run(
            "UPDATE {t} SET chain = %s WHERE originator_id = %s AND originator_version = %s",
            chain,
            self._oid(key),
            seq,
        )

    def unchain_all(self) -> None:
        """As if every event had been stored before the chain existed."""
        self.run("UPDATE {t} SET chain = NULL")

    def copy_as(self, key: str, seq: int, to: int) -> None:
        """A copy of entry ``seq`` inserted as entry ``to``, with no chain."""
        self.run(
            "INSERT INTO {t} (originator_id, originator_version, topic, state)"
            " SELECT originator_id, %s, topic, state FROM {t}"
            " WHERE originator_id = %s AND originator_version = %s",
            to,
            self._oid(key),
            seq,
        ) if self.sqlite else self.run(
            "INSERT INTO {t} (originator_id, originator_version, topic, state, notification_id)"
            " SELECT originator_id, %s, topic, state, (SELECT max(notification_id) + 1 FROM {t})"
            " FROM {t} WHERE originator_id = %s AND originator_version = %s",
            to,
            self._oid(key),
            seq,
        )

    def ids(self, key: str) -> list[int]:
        rows = self.run(
            "SELECT {id} FROM {t} WHERE originator_id = %s ORDER BY originator_version",
            self._oid(key),
        )
        return [int(r[0]) for r in rows]

"""The SQLite event store's recorder: every event chained and given a
notification id never given before, the idempotency keys kept in the
transaction of their events, and turns on deals for the application.

Writes begin ``IMMEDIATE``: the write lock is taken (waiting out the busy
timeout) before anything is read, so a read in a write never goes stale
under another writer and SQLite never answers "database is locked" for it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from eventsourcing import persistence as p
from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor

from adapters import idempotency as idem
from adapters import ledger

_ERRORS: tuple[tuple[type[sqlite3.Error], type[p.PersistenceError]], ...] = (
    (sqlite3.IntegrityError, p.IntegrityError),
    (sqlite3.OperationalError, p.OperationalError),
    (sqlite3.ProgrammingError, p.ProgrammingError),
    (sqlite3.Error, p.PersistenceError),
)


class _Turn:
    """A deal's turn on SQLite: a write transaction already begun."""

    def __init__(self, recorder: IdempotentSQLiteRecorder, c: SQLiteCursor, oid: UUID):
        self.recorder, self.c = recorder, c
        c.execute(recorder._deal_rows, (oid.hex,))
        rows = c.fetchall()
        head = rows[-1] if rows else None
        self.heads: ledger.Heads = {oid: (head[0], head[3])} if head else {}
        self.history = [
            StoredEvent(originator_id=oid, originator_version=v, topic=t, state=s)
            for v, t, s, _ in rows
        ]

    def record(self, events: Sequence[StoredEvent], **extra: Any) -> bytes | None:
        return self.recorder._append(self.c, events, self.heads, None, **extra)[1]


class IdempotentSQLiteRecorder(SQLiteApplicationRecorder):
    """The library's recorder, chaining events, with the idempotency keys' table."""

    def __init__(self, datastore: Any, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name)
        t = self.events_table_name
        self._insert = (
            f"INSERT INTO {t} (rowid, originator_id, originator_version, topic, state, chain)"
            " VALUES (?,?,?,?,?,?)"
        )
        # The next ids: after the last rowid, or after the high-water mark that
        # a deletion leaves (the trigger below), so that no id is given twice.
        self._next_id = (
            f"SELECT max(coalesce((SELECT max(rowid) FROM {t}), 0),"
            f" coalesce((SELECT last_id FROM {ledger.LOG_TABLE} WHERE id = 1), 0))"
        )
        self._deal_rows = (
            f"SELECT originator_version, topic, state, chain FROM {t}"
            " WHERE originator_id = ? ORDER BY originator_version"
        )
        self._kept_and_next = (
            f"SELECT EXISTS (SELECT 1 FROM {t} WHERE originator_id = ? AND originator_version = ?),"
            f" (SELECT chain FROM {t} WHERE originator_id = ? AND originator_version = ?),"
            f" ({self._next_id[len('SELECT ') :]})"
        )
        self._chain_of = f"SELECT chain FROM {t} WHERE originator_id = ? AND originator_version = ?"

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            idem.DDL.format(table=idem.TABLE),
            ledger.LOG_DDL.format(table=ledger.LOG_TABLE),
            ledger.LOG_SEED.format(table=ledger.LOG_TABLE),
            # A deleted event's id stays taken: the mark moves past it.
            f"CREATE TRIGGER IF NOT EXISTS salesflow_event_deleted AFTER DELETE ON"
            f" {self.events_table_name} BEGIN UPDATE {ledger.LOG_TABLE}"
            " SET last_id = max(last_id, OLD.rowid) WHERE id = 1; END",
            ledger.CHECKPOINTS_DDL.format(table=ledger.CHECKPOINTS_TABLE),
        ]

    def create_table(self) -> None:
        with self.write() as c:
            self._create_table(c)

    def _create_table(self, c: SQLiteCursor) -> None:
        super()._create_table(c)
        c.execute(f"PRAGMA table_info({self.events_table_name})")
        if "chain" not in {row[1] for row in c.fetchall()}:
            # Events stored before the chain keep NULL: reported once, never rewritten.
            c.execute(f"ALTER TABLE {self.events_table_name} ADD COLUMN chain BLOB")

    @contextmanager
    def write(self) -> Iterator[SQLiteCursor]:
        """A write transaction that holds the write lock from its start."""
        with self.datastore.get_connection(commit=True) as conn:
            c = conn.cursor()
            try:
                c.execute("BEGIN IMMEDIATE")
                try:
                    yield c
                except BaseException:
                    conn.rollback()
                    raise
                conn.commit()
            except sqlite3.Error as exc:
                for theirs, ours in _ERRORS:
                    if isinstance(exc, theirs):
                        raise ours(exc) from exc
                raise

    @contextmanager
    def deal_turn(self, originator_id: UUID) -> Iterator[_Turn]:
        with self.write() as c:
            yield _Turn(self, c, originator_id)

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        with self.write() as c:
            return self._insert_events(c, stored_events, **kwargs)

    def append(
        self, events: Sequence[StoredEvent], after: int, head: bytes | None, **extra: Any
    ) -> bytes | None:
        """Store one deal's ``events`` after its version ``after`` (chain
        ``head``) in a transaction of their own: refused (IntegrityError) if
        another writer stored that version first."""
        oid = events[0].originator_id
        assert isinstance(oid, UUID)
        with self.write() as c:
            # One read: the kept version as stored (never written past a deleted
            # event), and where the ids go on.
            c.execute(self._kept_and_next, (oid.hex, after, oid.hex, after))
            stored, chain, last_id = c.fetchone()
            if after and (not stored or chain != head):
                raise p.IntegrityError(f"version {after} is not stored as kept")
            return self._append(c, events, {oid: (after, head)}, last_id, **extra)[1]

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        return self._append(c, stored_events, kwargs.pop("heads", None), None, **kwargs)[0]

    def _append(
        self,
        c: SQLiteCursor,
        stored_events: Sequence[StoredEvent],
        heads: ledger.Heads | None,
        last_id: int | None,
        **kwargs: Any,
    ) -> tuple[list[int], bytes | None]:
        """Insert, chained and numbered after ``last_id`` (None: read here);
        the ids and the last event's chain."""
        ids: list[int] = []
        chains: list[bytes] = []
        if stored_events:
            chains = ledger.links(stored_events, heads, lambda o, v: self._chain(c, o, v))
            if last_id is None:
                c.execute(self._next_id)
                last_id = int(c.fetchone()[0])
            ids = list(range(last_id + 1, last_id + 1 + len(stored_events)))
            rows = [
                (i, s.originator_id.hex, s.originator_version, s.topic, s.state, h)  # type: ignore[union-attr]
                for i, s, h in zip(ids, stored_events, chains, strict=True)
            ]
            if len(rows) == 1:
                c.execute(self._insert, rows[0])
            else:
                c.executemany(self._insert, rows)
        done: idem.Finished | None = kwargs.get("idempotency")
        if done is not None:
            c.execute(idem.finish_sql(idem.TABLE).replace("%s", "?"), idem.finish_params(done))
        return ids, (chains[-1] if chains else None)

    def _chain(self, c: SQLiteCursor, oid: UUID, version: int) -> bytes | None:
        c.execute(self._chain_of, (oid.hex, version))
        row = c.fetchone()
        return bytes(row[0]) if row and row[0] is not None else None

    def _run(self, sql: str, params: Sequence[Any]) -> list[Any]:
        with self.write() as c:
            c.execute(sql.replace("%s", "?"), tuple(params))
            return list(c.fetchall())

    def claim_key(self, token: str, key: str, body_hash: str) -> idem.Claim:
        return idem.claim(self._run, idem.TABLE, token, key, body_hash)

    def finish_key(self, done: idem.Finished) -> None:
        self._run(idem.finish_sql(idem.TABLE), idem.finish_params(done))

    def release_key(self, token: str, key: str) -> None:
        self._run(idem.release_sql(idem.TABLE), (token, key))

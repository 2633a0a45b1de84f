"""The PostgreSQL event store's recorder: every event chained and given the
next notification id after the log's high-water mark (under the library's
table lock, so ids follow commit order and a rolled-back insert leaves no
gap), the idempotency keys kept in the transaction of their events, and turns
on deals for the application: an advisory lock on the deal held by the write
transaction itself, so a command costs two round trips and a commit.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing import persistence as p
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from psycopg import Connection, Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed, Identifier, Literal

from adapters import idempotency as idem
from adapters import ledger
from domain.errors import ConcurrentUpdate

#: How long a writer waits for its turn on a deal before it gives up.
PATIENCE_MS = 30_000
#: The advisory locks' key space (a second key beside the deal's hash).
LOCK_SPACE = 7261003


def _sql(text: str) -> Composed:
    """A statement of our own text (table names made by ``Identifier``)."""
    return Composed([SQL(text)])


class _Turn:
    """A deal's turn on PostgreSQL: a transaction holding the deal's lock."""

    def __init__(
        self, recorder: IdempotentPostgresRecorder, conn: Connection[DictRow], oid: UUID, after: int
    ):
        self.recorder, self.conn, self.oid = recorder, conn, oid
        with conn.cursor() as curs:  # in the turn's pipeline: one round trip, on fetching
            curs.execute(recorder.sql_timeout, prepare=True)
            curs.execute(recorder.sql_turn, (LOCK_SPACE, str(oid)), prepare=True)
            curs.execute(recorder.sql_deal_rows, (oid, after), prepare=True)
            rows = curs.fetchall()
            self.whole = after == 0 or not rows or rows[0]["originator_version"] != after
            if self.whole and after:
                curs.execute(recorder.sql_deal_rows, (oid, 0), prepare=True)
                rows = curs.fetchall()
        head = rows[-1] if rows else None
        chain = head["chain"] if head else None
        self.heads: ledger.Heads = (
            {oid: (head["originator_version"], bytes(chain) if chain else None)} if head else {}
        )
        self.newer = [
            StoredEvent(
                originator_id=oid,
                originator_version=r["originator_version"],
                topic=r["topic"],
                state=bytes(r["state"]),
            )
            for r in (rows if self.whole else rows[1:])
        ]

    def record(self, events: Sequence[StoredEvent], **extra: Any) -> None:
        """Queued with the commit: sent, and any refusal raised, as the turn ends."""
        with self.conn.cursor() as curs:
            self.recorder._insert_events(curs, events, **extra)
            self.recorder._insert_stored_events(curs, events, heads=self.heads)


class IdempotentPostgresRecorder(PostgresApplicationRecorder):
    """The library's recorder, chaining events, with the idempotency keys' table."""

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        schema = Identifier(datastore.schema).as_string()
        self.keys_table = f"{schema}.{idem.TABLE}"
        self.log_table = f"{schema}.{ledger.LOG_TABLE}"
        self.checkpoints_table = f"{schema}.{ledger.CHECKPOINTS_TABLE}"
        events = SQL("{0}.{1}").format(Identifier(datastore.schema), Identifier(events_table_name))
        self.events = events
        self.sql_create_statements.extend(
            [
                _sql(idem.DDL.format(table=self.keys_table)),
                # Events stored before the chain keep NULL: reported once, never
                # rewritten. Altered only when missing: ALTER TABLE locks the table
                # even when the column exists, and would deadlock with a writer.
                SQL(
                    "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM information_schema.columns"
                    " WHERE table_schema = {0} AND table_name = {1} AND column_name = 'chain')"
                    " THEN ALTER TABLE {2} ADD COLUMN chain bytea; END IF; END $$"
                ).format(Literal(datastore.schema), Literal(events_table_name), events),
                _sql(ledger.LOG_DDL.format(table=self.log_table)),
                _sql(
                    f"INSERT INTO {self.log_table} (id, last_id) SELECT 1, 0"
                    f" WHERE NOT EXISTS (SELECT 1 FROM {self.log_table})"
                ),
                _sql(ledger.CHECKPOINTS_DDL.format(table=self.checkpoints_table)),
                # A deleted event's id stays taken: the mark moves past it.
                _sql(
                    f"CREATE OR REPLACE FUNCTION {schema}.salesflow_event_deleted()"
                    " RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                    f" UPDATE {self.log_table} SET last_id = greatest(last_id,"
                    " OLD.notification_id) WHERE id = 1; RETURN NULL; END $$"
                ),
                SQL(
                    "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname ="
                    " 'salesflow_event_deleted' AND tgrelid = {0}::regclass) THEN"
                    " CREATE TRIGGER salesflow_event_deleted AFTER DELETE ON {1} FOR EACH ROW"
                    " EXECUTE FUNCTION {2}.salesflow_event_deleted(); END IF; END $$"
                ).format(Literal(events.as_string()), events, Identifier(datastore.schema)),
            ]
        )
        self.sql_timeout = _sql(f"SET LOCAL lock_timeout = '{PATIENCE_MS}ms'")
        self.sql_turn = SQL("SELECT pg_advisory_xact_lock(%s, hashtext(%s))")
        self.sql_deal_rows: Composed = SQL(
            "SELECT originator_version, topic, state, chain FROM {0}"
            " WHERE originator_id = %s AND originator_version >= %s ORDER BY originator_version"
        ).format(events)
        self.sql_chains = SQL(
            "SELECT e.originator_id, e.originator_version, e.chain FROM {0} e"
            " JOIN unnest(%s::uuid[], %s::bigint[]) AS k(oid, v)"
            " ON e.originator_id = k.oid AND e.originator_version = k.v"
        ).format(events)
        self.sql_insert = SQL(
            "WITH head AS (SELECT greatest(coalesce(max(notification_id), 0),"
            " coalesce((SELECT last_id FROM {log} WHERE id = 1), 0)) AS base FROM {events})"
            " INSERT INTO {events} (originator_id, originator_version, topic, state, chain,"
            " notification_id)"
            " SELECT e.oid, e.v, e.topic, e.state, e.chain, head.base + e.n"
            " FROM head, unnest(%(oids)s::uuid[], %(versions)s::bigint[], %(topics)s::text[],"
            " %(states)s::bytea[], %(chains)s::bytea[]) WITH ORDINALITY"
            " AS e(oid, v, topic, state, chain, n) ORDER BY e.n"
            " RETURNING notification_id"
        ).format(log=_sql(self.log_table), events=events)

    @contextmanager
    def deal_turn(self, originator_id: UUID, after: int) -> Iterator[_Turn]:
        try:
            # Pipelined: the lock and the read go in one round trip, the
            # insert and the commit in another.
            with self.datastore.get_connection() as conn, conn.pipeline(), conn.transaction():
                yield _Turn(self, conn, originator_id, after)
        except psycopg.errors.LockNotAvailable:
            raise ConcurrentUpdate(str(originator_id), 0) from None
        except psycopg.errors.UniqueViolation as exc:
            raise p.IntegrityError(exc) from exc
        except psycopg.Error as exc:
            raise p.OperationalError(exc) from exc

    def _insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        done: idem.Finished | None = kwargs.get("idempotency")
        if done is not None:
            curs.execute(idem.finish_sql(self.keys_table), idem.finish_params(done))

    def _insert_stored_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        chains = ledger.links(stored_events, kwargs.get("heads"), self._lookup(curs, stored_events))
        self._lock_table(curs)
        self._notify_channel(curs)
        curs.execute(
            self.sql_insert,
            {
                "n": len(stored_events),
                "oids": [s.originator_id for s in stored_events],
                "versions": [s.originator_version for s in stored_events],
                "topics": [s.topic for s in stored_events],
                "states": [s.state for s in stored_events],
                "chains": chains,
            },
            prepare=True,
        )

    def _lookup(self, curs: Cursor[DictRow], events: Sequence[StoredEvent]) -> ledger.Lookup:
        """The stored chains the batch links to, fetched in one query when first asked."""
        found: dict[tuple[UUID, int], bytes | None] | None = None

        def lookup(oid: UUID, version: int) -> bytes | None:
            nonlocal found
            if found is None:
                wanted = [(s.originator_id, s.originator_version - 1) for s in events]
                curs.execute(self.sql_chains, ([w[0] for w in wanted], [w[1] for w in wanted]))
                found = {
                    (r["originator_id"], r["originator_version"]): (
                        bytes(r["chain"]) if r["chain"] is not None else None
                    )
                    for r in curs.fetchall()
                }
            return found.get((oid, version))

        return lookup

    def _run(self, sql: str, params: Sequence[Any]) -> list[Any]:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(sql, tuple(params))
            rows = curs.fetchall() if curs.description else []
            return [tuple(r.values()) for r in rows]

    def claim_key(self, token: str, key: str, body_hash: str) -> idem.Claim:
        return idem.claim(self._run, self.keys_table, token, key, body_hash)

    def finish_key(self, done: idem.Finished) -> None:
        self._run(idem.finish_sql(self.keys_table), idem.finish_params(done))

    def release_key(self, token: str, key: str) -> None:
        self._run(idem.release_sql(self.keys_table), (token, key))

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


@contextmanager
def _refusals(oid: UUID) -> Iterator[None]:
    """psycopg's errors in the library's terms (and a turn never had, in ours)."""
    try:
        yield
    except psycopg.errors.LockNotAvailable:
        raise ConcurrentUpdate(str(oid), 0) from None
    except psycopg.errors.UniqueViolation as exc:
        raise p.IntegrityError(exc) from exc
    except psycopg.Error as exc:
        raise p.OperationalError(exc) from exc


class _Turn:
    """A deal's turn on PostgreSQL: a transaction holding the deal's lock."""

    def __init__(self, recorder: IdempotentPostgresRecorder, conn: Connection[DictRow], oid: UUID):
        self.recorder, self.conn = recorder, conn
        with conn.cursor() as curs:  # in the turn's pipeline: one round trip, on fetching
            curs.execute(recorder.sql_timeout, prepare=True)
            curs.execute(recorder.sql_turn, (LOCK_SPACE, str(oid)), prepare=True)
            curs.execute(recorder.sql_deal_rows, (oid,), prepare=True)
            rows = curs.fetchall()
        head = rows[-1] if rows else None
        chain = head["chain"] if head else None
        self.heads: ledger.Heads = (
            {oid: (head["originator_version"], bytes(chain) if chain else None)} if head else {}
        )
        self.history = [
            StoredEvent(
                originator_id=oid,
                originator_version=r["originator_version"],
                topic=r["topic"],
                state=bytes(r["state"]),
            )
            for r in rows
        ]

    def record(self, events: Sequence[StoredEvent], **extra: Any) -> bytes | None:
        """Queued with the commit: sent, and any refusal raised, as the turn ends."""
        with self.conn.cursor() as curs:
            self.recorder._insert_events(curs, events, **extra)
            return self.recorder._call_append(curs, events, self.heads)


class IdempotentPostgresRecorder(PostgresApplicationRecorder):
    """The library's recorder, chaining events, with the idempotency keys' table."""

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        schema = Identifier(datastore.schema).as_string()
        self.keys_table = f"{schema}.{idem.TABLE}"
        self.log_table = f"{schema}.{ledger.LOG_TABLE}"
        self.checkpoints_table = f"{schema}.{ledger.CHECKPOINTS_TABLE}"
        events = SQL("{0}.{1}").format(Identifier(datastore.schema), Identifier(events_table_name))
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
                _sql(ledger.LOG_SEED.format(table=self.log_table)),
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
            " WHERE originator_id = %s ORDER BY originator_version"
        ).format(events)
        self.sql_chains = SQL(
            "SELECT e.originator_id, e.originator_version, e.chain FROM {0} e"
            " JOIN unnest(%s::uuid[], %s::bigint[]) AS k(oid, v)"
            " ON e.originator_id = k.oid AND e.originator_version = k.v"
        ).format(events)
        # One call locks the table (so ids follow commit order), notifies the
        # followers and inserts, numbering after the last id or the mark a
        # deletion left: a write outside a turn is one round trip.
        append = f"{schema}.salesflow_append"
        self.sql_create_statements.append(
            _sql(
                f"CREATE OR REPLACE FUNCTION {append}(oids uuid[], versions bigint[],"
                " topics text[], states bytea[], chains bytea[], after bigint, head bytea)"
                " RETURNS SETOF bigint LANGUAGE plpgsql AS $$ DECLARE base bigint; BEGIN"
                f" PERFORM set_config('lock_timeout', '{PATIENCE_MS}ms', true);"
                # A writer appending after the version it kept: that version must
                # still be stored as it was (never written past a deleted event).
                # It waits for the deal's turn, so a writer in its turn is never
                # beaten by one appending without.
                f" IF after > 0 THEN PERFORM pg_advisory_xact_lock({LOCK_SPACE},"
                " hashtext(oids[1]::text)); END IF;"
                f" IF after > 0 AND NOT EXISTS (SELECT 1 FROM {events.as_string()} x"
                " WHERE x.originator_id = oids[1] AND x.originator_version = after"
                " AND x.chain IS NOT DISTINCT FROM head) THEN"
                " RAISE unique_violation USING MESSAGE = 'not stored as kept'; END IF;"
                f" LOCK TABLE {events.as_string()} IN EXCLUSIVE MODE;"
                f" PERFORM pg_notify('{self.channel_name}', '');"
                " SELECT greatest(coalesce(max(e.notification_id), 0),"
                f" coalesce((SELECT h.last_id FROM {self.log_table} h WHERE h.id = 1), 0))"
                f" INTO base FROM {events.as_string()} e;"
                f" RETURN QUERY INSERT INTO {events.as_string()} AS t (originator_id,"
                " originator_version, topic, state, chain, notification_id)"
                " SELECT u.oid, u.v, u.topic, u.state, u.chain, base + u.n"
                " FROM unnest(oids, versions, topics, states, chains) WITH ORDINALITY"
                " AS u(oid, v, topic, state, chain, n) ORDER BY u.n RETURNING t.notification_id;"
                " END $$"
            )
        )
        self.sql_append = _sql(f"SELECT * FROM {append}(%s, %s, %s, %s, %s, %s, %s)")

    @contextmanager
    def deal_turn(self, originator_id: UUID) -> Iterator[_Turn]:
        # Pipelined: the lock and the read go in one round trip, the insert
        # and the commit in another.
        with (
            _refusals(originator_id),
            self.datastore.get_connection() as conn,
            conn.pipeline(),
            conn.transaction(),
        ):
            yield _Turn(self, conn, originator_id)

    def _insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        done: idem.Finished | None = kwargs.get("idempotency")
        if done is not None:
            curs.execute(idem.finish_sql(self.keys_table), idem.finish_params(done))

    def _insert_stored_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        self._call_append(curs, stored_events, kwargs.get("heads"))

    def _call_append(
        self,
        curs: Cursor[DictRow],
        events: Sequence[StoredEvent],
        heads: ledger.Heads | None,
        after: int = 0,
        head: bytes | None = None,
    ) -> bytes | None:
        """Queue the call; the last event's chain."""
        chains = ledger.links(events, heads, self._lookup(curs, events))
        curs.execute(
            self.sql_append,
            (
                [s.originator_id for s in events],
                [s.originator_version for s in events],
                [s.topic for s in events],
                [s.state for s in events],
                chains,
                after,
                head,
            ),
            prepare=True,
        )
        return chains[-1] if chains else None

    def _fetch_ids_after_insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **_: Any
    ) -> Sequence[int] | None:
        return [row["salesflow_append"] for row in curs.fetchall()]

    def append(
        self, events: Sequence[StoredEvent], after: int, head: bytes | None, **extra: Any
    ) -> bytes | None:
        """Store one deal's ``events`` after its version ``after`` (chain
        ``head``) in one statement of its own: refused (IntegrityError) if
        another writer stored that version first."""
        oid = events[0].originator_id
        assert isinstance(oid, UUID)
        with _refusals(oid), self.datastore.get_connection() as conn:
            if not extra:  # one statement, its own transaction: one round trip
                with conn.cursor() as curs:
                    return self._call_append(curs, events, {oid: (after, head)}, after, head)
            with conn.pipeline(), conn.transaction(), conn.cursor() as curs:
                self._insert_events(curs, events, **extra)
                return self._call_append(curs, events, {oid: (after, head)}, after, head)

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

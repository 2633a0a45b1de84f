"""The PostgreSQL event store's recorder, which also keeps idempotency keys:
a write's first response is kept in the transaction of its events."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from adapters import idempotency as idem


class IdempotentPostgresRecorder(PostgresApplicationRecorder):
    """The library's recorder, and the idempotency keys' table beside the events."""

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        self.keys_table = f"{Identifier(datastore.schema).as_string()}.{idem.TABLE}"
        self.sql_create_statements.append(SQL(idem.DDL.format(table=self.keys_table)))  # type: ignore[arg-type]

    def _insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        super()._insert_events(curs, stored_events, **kwargs)
        done: idem.Finished | None = kwargs.get("idempotency")
        if done is not None:
            curs.execute(idem.finish_sql(self.keys_table), idem.finish_params(done))

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

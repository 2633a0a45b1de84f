"""The SQLite event store's recorder, which also keeps idempotency keys: a
write's first response is kept in the transaction of its events."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor

from adapters import idempotency as idem


class IdempotentSQLiteRecorder(SQLiteApplicationRecorder):
    """The library's recorder, and the idempotency keys' table beside the events."""

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), idem.DDL.format(table=idem.TABLE)]

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._insert_events(c, stored_events, **kwargs)
        done: idem.Finished | None = kwargs.get("idempotency")
        if done is not None:
            c.execute(idem.finish_sql(idem.TABLE).replace("%s", "?"), idem.finish_params(done))
        return ids

    def _run(self, sql: str, params: Sequence[Any]) -> list[Any]:
        with self.datastore.transaction(commit=True) as c:
            c.execute(sql.replace("%s", "?"), tuple(params))
            return list(c.fetchall())

    def claim_key(self, token: str, key: str, body_hash: str) -> idem.Claim:
        return idem.claim(self._run, idem.TABLE, token, key, body_hash)

    def finish_key(self, done: idem.Finished) -> None:
        self._run(idem.finish_sql(idem.TABLE), idem.finish_params(done))

    def release_key(self, token: str, key: str) -> None:
        self._run(idem.release_sql(idem.TABLE), (token, key))

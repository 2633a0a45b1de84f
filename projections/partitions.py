"""One slice of the event log: the events of the deals in one partition.

A rebuild splits the deals among worker processes by the last byte of the
deal's id, so that each worker sees whole histories and never waits for
another's rows. The events are selected with the recorder's own table and
columns, filtered by partition in SQL (each worker reads only its share), and
become the same ``Notification`` objects that ``select_notifications`` returns,
so that they are decoded by the application's mapper as usual.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, Notification

#: At most this many partitions: the last byte of an id picks one.
MAX_PARTS = 16


def partition_of(deal_id: UUID | str, parts: int) -> int:
    """The partition of a deal among ``parts``."""
    uid = deal_id if isinstance(deal_id, UUID) else UUID(deal_id)
    return uid.bytes[15] % parts


def read_page(
    recorder: ApplicationRecorder, start: int, limit: int, stop: int | None, part: int, parts: int
) -> tuple[Sequence[Notification], int | None]:
    """The next page of partition ``part`` of ``parts`` from id ``start``, and
    the last id it covers (``None``: nothing from ``start`` on).

    Unpartitioned, a page is the next ``limit`` notifications up to ``stop``.
    A partition's page is its share of the next ``limit * parts`` ids up to
    ``stop`` (which it needs): a window of ids is an index range the planner
    always reads in order, where ``LIMIT`` under a filter it cannot estimate
    sometimes makes it sort the whole table. A window may hold none of the
    partition's events; it still counts as covered.
    """
    if parts == 1:
        notes = recorder.select_notifications(start, limit, stop=stop)
        return notes, (notes[-1].id if notes else None)
    if not 0 <= part < parts <= MAX_PARTS:
        raise ValueError(f"partition {part} of {parts}")
    if stop is None:
        raise ValueError("a partition is read up to a given position")
    if start > stop:
        return [], None
    last = min(start + limit * parts - 1, stop)
    # Imported here: each is only needed on its own store.
    from eventsourcing.postgres import PostgresApplicationRecorder
    from eventsourcing.sqlite import SQLiteApplicationRecorder

    if isinstance(recorder, SQLiteApplicationRecorder):
        return _select_sqlite(recorder, start, last, part, parts), last
    if isinstance(recorder, PostgresApplicationRecorder):
        return _select_postgres(recorder, start, last, part, parts), last
    raise TypeError(f"no partitioned reading for {type(recorder).__name__}")


#: The value of the hex digit at a place of the id's text (0 if not one).
_SQLITE_DIGIT = "(max(instr('0123456789abcdef', lower(substr(originator_id, {0}, 1))), 1) - 1)"


def _select_sqlite(
    recorder: Any, start: int, last: int, part: int, parts: int
) -> list[Notification]:
    # Ids are stored as their hex text: the last byte is the last two digits.
    # Anything else in those places counts as 0, so that every event falls
    # in exactly one partition, whatever the text.
    statement = (
        f"SELECT rowid, originator_id, originator_version, topic, state"
        f" FROM {recorder.events_table_name}"
        " WHERE rowid >= ? AND rowid <= ?"
        f" AND ({_SQLITE_DIGIT.format(-2)} * 16 + {_SQLITE_DIGIT.format(-1)}) % ? = ?"
        " ORDER BY rowid"
    )
    params = (start, last, parts, part)
    with recorder.datastore.transaction(commit=False) as c:
        c.execute(statement, params)
        return [
            Notification(
                id=row[0],
                originator_id=recorder.convert_originator_id(row[1]),
                originator_version=row[2],
                topic=row[3],
                state=row[4],
            )
            for row in c.fetchall()
        ]


def _select_postgres(
    recorder: Any, start: int, last: int, part: int, parts: int
) -> list[Notification]:
    from psycopg.sql import SQL, Identifier

    statement = SQL(
        "SELECT notification_id, originator_id, originator_version, topic, state"
        " FROM {schema}.{table}"
        " WHERE notification_id >= %s AND notification_id <= %s"
        " AND get_byte(uuid_send(originator_id), 15) %% %s = %s"
        " ORDER BY notification_id"
    ).format(
        schema=Identifier(recorder.datastore.schema),
        table=Identifier(recorder.events_table_name),
    )
    params = (start, last, parts, part)
    with recorder.datastore.get_connection() as conn, conn.cursor() as curs:
        curs.execute(statement, params, prepare=True)
        return [
            Notification(
                id=row["notification_id"],
                originator_id=row["originator_id"],
                originator_version=row["originator_version"],
                topic=row["topic"],
                state=bytes(row["state"]),
            )
            for row in curs.fetchall()
        ]

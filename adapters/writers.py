"""Writers of one deal take turns, so that a burst of updates on a hot deal
all land instead of turning each other away with version conflicts.

A write is read, decide, save; two at once on one deal would both read the
same version and one would lose the save. Taking turns before the read makes
them queue: on SQLite, which has one writer at a time anyway, an exclusive
lock on a file beside the store (held by a process, released if it dies); on
PostgreSQL, a session advisory lock keyed by the deal, on a small pool of
connections of its own, so writers of other deals never wait. The store's
uniqueness on (deal, version) still refuses any writer that takes no turn.
"""

from __future__ import annotations

import errno
import fcntl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from domain.errors import ConcurrentUpdate

if TYPE_CHECKING:
    from adapters.stores import Store

#: How long a writer waits for its turn before it gives up, in seconds.
PATIENCE = 30.0
#: The advisory locks' key space (a second key beside the deal's hash).
_LOCK_SPACE = 7261003


class FileTurns:
    """Turns on a SQLite store: an exclusive lock on ``<db>.writers.lock``."""

    def __init__(self, db_path: str) -> None:
        self.path = f"{db_path}.writers.lock"

    @contextmanager
    def __call__(self, key: str) -> Iterator[None]:
        with open(self.path, "a") as lock:
            deadline = time.monotonic() + PATIENCE
            while True:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as exc:
                    if exc.errno not in (errno.EAGAIN, errno.EACCES):
                        raise
                    if time.monotonic() > deadline:
                        raise ConcurrentUpdate(key, 0) from None
                    time.sleep(0.001)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def close(self) -> None:
        """Nothing to let go of: each turn opens and closes its own file."""


class AdvisoryTurns:
    """Turns on a PostgreSQL store: an advisory lock per deal."""

    def __init__(self, store: Store) -> None:
        self.conninfo = store.conninfo()
        self._pool: Any = None

    def _connections(self) -> Any:
        if self._pool is None:
            from psycopg_pool import ConnectionPool

            def configure(conn: Any) -> None:
                conn.autocommit = True
                conn.execute(f"SET lock_timeout = '{int(PATIENCE * 1000)}ms'")

            self._pool = ConnectionPool(
                self.conninfo, min_size=1, max_size=8, configure=configure, open=True
            )
        return self._pool

    @contextmanager
    def __call__(self, key: str) -> Iterator[None]:
        import psycopg

        with self._connections().connection() as conn:
            try:
                conn.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", (_LOCK_SPACE, key))
            except psycopg.errors.LockNotAvailable:
                raise ConcurrentUpdate(key, 0) from None
            try:
                yield
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", (_LOCK_SPACE, key))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None

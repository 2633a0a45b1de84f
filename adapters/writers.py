"""Writers of one deal take turns, so that a burst of updates on a hot deal
all land instead of turning each other away with version conflicts.

A write is read, decide, save; two at once on one deal would both read the
same version and one would lose the save. Taking turns before the read makes
them queue: on SQLite, which has one writer at a time anyway, an exclusive
lock on a file beside the store (held by a process, released if it dies).
On PostgreSQL the turn is an advisory lock keyed by the deal, taken by the
write transaction itself (``adapters.postgres_recorder``), so writers of other
deals never wait. The store's uniqueness on (deal, version) still refuses any
writer that takes no turn.
"""

from __future__ import annotations

import errno
import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from domain.errors import ConcurrentUpdate

#: How long a writer waits for its turn before it gives up, in seconds.
PATIENCE = 30.0


class FileTurns:
    """Turns on a SQLite store: an exclusive lock on ``<db>.writers.lock``.

    Each thread keeps its own open file (a lock belongs to an open file, so
    threads sharing one would never wait for each other), reopened after a
    fork for the same reason."""

    def __init__(self, db_path: str) -> None:
        self.path = f"{db_path}.writers.lock"
        self._mine = threading.local()
        self._opened: list[IO[str]] = []
        self._guard = threading.Lock()

    def _file(self) -> IO[str]:
        held: tuple[int, IO[str]] | None = getattr(self._mine, "file", None)
        if held is None or held[0] != os.getpid():
            lock = open(self.path, "a")  # noqa: SIM115 - kept open for the next turns
            with self._guard:
                self._opened.append(lock)
            held = (os.getpid(), lock)
            self._mine.file = held
        return held[1]

    @contextmanager
    def __call__(self, key: str) -> Iterator[None]:
        lock = self._file()
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
        with self._guard:
            for lock in self._opened:
                lock.close()
            self._opened.clear()
        self._mine = threading.local()

"""What one worker of ``salesflow serve`` holds: the settings, the write side,
a small pool of read-model connections, the users, and a follower thread
that keeps the read models caught up by itself.

Workers share nothing but the store: any worker, on any host, answers any
request, and the read models' tracking row makes the followers of every
worker take turns, each event applied exactly once.
"""

from __future__ import annotations

import hashlib
import logging
import queue
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from adapters.settings import Settings
from adapters.stores import open_process
from adapters.users import User, Users
from api.schemas import Gate
from projections.connect import open_read_store
from projections.engine import Projector
from projections.store import ReadStore

if TYPE_CHECKING:
    from domain.application import SalesProcess

log = logging.getLogger("salesflow.api")
#: How long a checked token is believed without asking the store again: a
#: revoked token stops working on every worker within this time.
TOKEN_TTL = 10.0
#: Read-model connections one worker keeps at most.
READERS = 8


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Runtime:
    """One worker's resources, opened at start-up and closed at shutdown."""

    def __init__(self, settings: Settings, follow: bool = True) -> None:
        self.settings = settings
        self.config = settings.config
        self.process: SalesProcess = open_process(settings.store, settings.config)
        self.users = Users(settings.store)
        self.gate = Gate(settings.config)
        self._readers: queue.LifoQueue[ReadStore] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(READERS)
        self._tokens: dict[str, tuple[User, float]] = {}
        self._stop = threading.Event()
        self._follower: threading.Thread | None = None
        with self.reader():
            pass  # the read models' tables exist before the first request
        if follow:
            self._follower = threading.Thread(target=self._follow, name="follower", daemon=True)
            self._follower.start()

    # -- read models ------------------------------------------------------
    @contextmanager
    def reader(self) -> Iterator[ReadStore]:
        """A read-model connection of the pool, for one request."""
        self._slots.acquire()
        try:
            try:
                read = self._readers.get_nowait()
            except queue.Empty:
                read = open_read_store(self.settings.store)
            try:
                yield read
            except BaseException:
                read.close()  # it may be broken: the next request opens another
                raise
            self._readers.put(read)
        finally:
            self._slots.release()

    def projector(self, read: ReadStore) -> Projector:
        return Projector(self.process, read, settings=self.settings)

    @contextmanager
    def fresh(self) -> Iterator[ReadStore]:
        """The read models, caught up to at least the head of the log as it
        is now: every write answered before this call is in them."""
        with self.reader() as read:
            projector = self.projector(read)
            if read.position(projector.name) < projector.head():
                projector.catch_up()
            yield read

    def _follow(self) -> None:
        """Keep the read models caught up; a lost store is retried with backoff."""
        backoff = 0.5
        while not self._stop.is_set():
            try:
                with self.reader() as read:
                    self.projector(read).follow(self._stop)
                return
            except Exception as exc:  # the store went away: try again
                log.warning("follower: %s; trying again in %.1f s", exc, backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 30.0)

    # -- users ----------------------------------------------------------
    def remembered(self, token: str) -> User | None:
        """The user of a token checked less than ``TOKEN_TTL`` s ago, if any."""
        known = self._tokens.get(_digest(token))
        if known is not None and known[1] > time.monotonic():
            return known[0]
        return None

    def user(self, token: str) -> User | None:
        """The user a bearer token belongs to (remembered ``TOKEN_TTL`` s)."""
        known = self.remembered(token)
        if known is not None:
            return known
        digest = _digest(token)
        found = self.users.check(token)
        if len(self._tokens) > 10_000:
            self._tokens.clear()
        if found is not None:
            self._tokens[digest] = (found, time.monotonic() + TOKEN_TTL)
        else:
            self._tokens.pop(digest, None)
        return found

    def close(self) -> None:
        self._stop.set()
        if self._follower is not None:
            self._follower.join(timeout=10)
        while True:
            try:
                self._readers.get_nowait().close()
            except queue.Empty:
                break
        self.process.close()

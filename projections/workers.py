"""The helper processes of a rebuild: each applies the deals of one partition.

They are started with ``spawn``: a fresh interpreter opens its own
connections, where a forked one would share the parent's sockets. Each one
reports its progress, its end or its failure on a queue; the rebuild waits for
all of them before it swaps the new tables in, and stops them all if one fails
or dies.
"""

from __future__ import annotations

import multiprocessing
import queue
from types import TracebackType
from typing import TYPE_CHECKING, Any

from projections.store import ProjectionError

if TYPE_CHECKING:
    from collections.abc import Callable
    from multiprocessing.process import BaseProcess

    from domain.settings import Settings


class Helpers:
    """Partitions 1 to ``parts - 1`` of a rebuild, each in its own process."""

    def __init__(self, settings: Settings | None, name: str, head: int, parts: int) -> None:
        self.settings, self.name, self.head, self.parts = settings, name, head, parts
        self.applied = 0
        self._done: set[int] = set()
        self._procs: list[BaseProcess] = []
        self._queue: Any = None

    def __enter__(self) -> Helpers:
        if self.parts > 1:
            ctx = multiprocessing.get_context("spawn")
            self._queue = ctx.Queue()
            for part in range(1, self.parts):
                proc = ctx.Process(
                    target=_work,
                    args=(self.settings, self.name, self.head, part, self.parts, self._queue),
                    name=f"salesflow-rebuild-{part}",
                    daemon=True,
                )
                proc.start()
                self._procs.append(proc)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for proc in self._procs:
            if proc.is_alive():
                proc.terminate()
            proc.join()
        if self._queue is not None:
            self._queue.close()

    def poll(self, progress: Callable[[int], None] | None) -> None:
        """Take in what the helpers reported so far, without waiting."""
        while self._queue is not None:
            try:
                message = self._queue.get_nowait()
            except queue.Empty:
                return
            self._take(message, progress)

    def wait(self, progress: Callable[[int], None] | None) -> int:
        """Wait until every helper is done; returns how many events they applied."""
        while len(self._done) < self.parts - 1:
            try:
                message = self._queue.get(timeout=0.2)
            except queue.Empty:
                self._check_alive()
                continue
            self._take(message, progress)
        return self.applied

    def _check_alive(self) -> None:
        for part, proc in enumerate(self._procs, 1):
            if part not in self._done and not proc.is_alive():
                self.poll(None)  # its last words may still be in the queue
                if part not in self._done:
                    raise ProjectionError(
                        f"rebuild of {self.name}: worker {part} died (exit code {proc.exitcode})"
                    )

    def _take(self, message: tuple[str, int, Any], progress: Callable[[int], None] | None) -> None:
        kind, part, value = message
        if kind == "progress":
            self.applied += value
            if progress is not None:
                progress(value)
        elif kind == "done":
            self._done.add(part)
        else:
            raise ProjectionError(value)


def _work(settings: Settings, name: str, head: int, part: int, parts: int, out: Any) -> None:
    """A helper's life: open the store, apply partition ``part``, report."""
    # Imported here: the engine starts the helpers, and a fresh interpreter
    # imports what it needs when it runs this.
    from domain.application import open_process
    from projections.engine import REBUILD_PAGE_SIZE, Projector, Slice
    from projections.schema import SHADOW
    from projections.store import open_read_store, part_tracking

    try:
        process = open_process(settings)
        try:
            read = open_read_store(settings.store)
            try:
                mine = Projector(process, read, name).on_slice(
                    Slice(part_tracking(name, part), SHADOW, part, parts, head)
                )
                mine.catch_up(lambda n: out.put(("progress", part, n)), REBUILD_PAGE_SIZE)
            finally:
                read.close()
        finally:
            process.close()
    except Exception as exc:
        out.put(("failed", part, f"rebuild of {name}, worker {part}: {exc}"))
        return
    out.put(("done", part, 0))

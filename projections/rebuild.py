"""A rebuild: the whole log applied again into shadow tables, then swapped in.

The deals are split among worker processes by the last byte of their id:
this one and helpers, each applying whole histories of its own deals. The
helpers are started with ``spawn`` (a fresh interpreter opens its own
connections, where a forked one would share the parent's sockets) and take a
moment to import the application; meanwhile this process applies the log
alone, every deal. Once every helper is ready, it stops at a page boundary,
starts every partition from where it got, and lets them go. If it reaches
the head first, it stops them: a small store never waits for them.

Helpers report progress, their end or their failure on a pipe each (no
semaphores for a killed rebuild to leak); the rebuild waits for all of them
before the swap, and stops them all if one fails or dies. A helper dies with
its rebuild (a parent-death signal on Linux; elsewhere it notices between
pages), and holds a shared lock for its life, which a later rebuild waits on
before it touches the shadow tables. Readers keep the old tables until the
swap, and a failed rebuild leaves them as they were.
"""

from __future__ import annotations

import multiprocessing
import signal
import sys
from multiprocessing.connection import Connection, wait
from types import TracebackType
from typing import TYPE_CHECKING, Any

from adapters.stores import open_process
from projections.connect import open_read_store
from projections.engine import Projector, Slice
from projections.errors import ProjectionError
from projections.schema import SHADOW
from projections.store import part_tracking

if TYPE_CHECKING:
    from collections.abc import Callable
    from multiprocessing.process import BaseProcess

    from adapters.settings import Settings

#: Events per page of a rebuild (per partition, once split).
REBUILD_PAGE_SIZE = 5000


def rebuild(
    projector: Projector,
    progress: Callable[[int], None] | None = None,
    page_size: int = REBUILD_PAGE_SIZE,
) -> int:
    """Rebuild ``projector``'s read models in ``projector.workers`` processes,
    in pages of ``page_size`` events (per process); returns how many events
    were applied."""
    name, parts, read = projector.name, projector.workers, projector.read
    shadow = read.shadow_tables()
    if parts > 1 and projector.settings is None:
        raise ValueError("a rebuild in several processes needs the settings")
    mine = part_tracking(name, 0)
    with shadow.rebuild_lock(name):
        # A rebuild killed meanwhile may have left helpers still writing to the
        # shadow tables: wait until the last of them is gone.
        shadow.wait_for_helpers(name)
        head = projector.head()
        shadow.begin_rebuild(name, parts)
        with Helpers(projector.settings, name, head, parts, page_size) as helpers:

            def report(n: int) -> None:
                if progress is not None:
                    progress(n)
                helpers.poll(progress)

            alone = projector.on_slice(Slice(mine, SHADOW, 0, 1, head))
            applied = alone.catch_up(report, page_size, until=helpers.ready)
            reached = read.position(mine)
            if reached < head:
                shadow.start_parts(name, parts, reached)
                helpers.go()
                split = projector.on_slice(Slice(mine, SHADOW, 0, parts, head))
                applied += split.catch_up(report, page_size)
                applied += helpers.wait(progress)
        shadow.finish_rebuild(name, parts, head)
    return applied


class Helpers:
    """Partitions 1 to ``parts - 1`` of a rebuild, each in its own process."""

    def __init__(
        self, settings: Settings | None, name: str, head: int, parts: int, page_size: int
    ) -> None:
        self.settings, self.name, self.head, self.parts = settings, name, head, parts
        self.page_size = page_size
        self.applied = 0
        self._ready: set[int] = set()
        self._done: set[int] = set()
        self._procs: list[BaseProcess] = []
        self._pipes: dict[int, Connection] = {}

    def __enter__(self) -> Helpers:
        if self.parts > 1:
            ctx = multiprocessing.get_context("spawn")
            for part in range(1, self.parts):
                mine, theirs = ctx.Pipe(duplex=True)
                proc = ctx.Process(
                    target=_work,
                    args=(
                        self.settings,
                        self.name,
                        self.head,
                        part,
                        self.parts,
                        self.page_size,
                        theirs,
                    ),
                    name=f"salesflow-rebuild-{part}",
                    daemon=True,
                )
                proc.start()
                theirs.close()
                self._procs.append(proc)
                self._pipes[part] = mine
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
        for pipe in self._pipes.values():
            pipe.close()

    def ready(self) -> bool:
        """Whether every helper has started and waits to be let go."""
        self.poll(None)
        return len(self._ready) == self.parts - 1

    def go(self) -> None:
        """Let the helpers apply their partitions (from their tracked positions)."""
        for pipe in self._pipes.values():
            pipe.send(("go", 0, 0))

    def poll(self, progress: Callable[[int], None] | None, timeout: float = 0) -> None:
        """Take in what the helpers reported so far (waiting up to ``timeout``)."""
        open_pipes = [p for part, p in self._pipes.items() if part not in self._done]
        for pipe in wait(open_pipes, timeout) if open_pipes else []:
            assert isinstance(pipe, Connection)
            try:
                while pipe.poll():
                    self._take(pipe.recv(), progress)
            except EOFError:
                pass  # it died: _check_alive says so

    def wait(self, progress: Callable[[int], None] | None) -> int:
        """Wait until every helper is done; returns how many events they applied."""
        while len(self._done) < self.parts - 1:
            self.poll(progress, timeout=0.2)
            self._check_alive(progress)
        return self.applied

    def _check_alive(self, progress: Callable[[int], None] | None) -> None:
        for part, proc in enumerate(self._procs, 1):
            if part not in self._done and not proc.is_alive():
                self.poll(progress)  # its last words may still be in the pipe
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
        elif kind == "ready":
            self._ready.add(part)
        elif kind == "done":
            self._done.add(part)
        else:
            raise ProjectionError(value)


def _die_with_parent() -> None:
    """Ask the kernel to kill this helper when its rebuild dies (Linux)."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if _parent_gone():  # it died before the signal was asked for
        raise SystemExit(0)


def _parent_gone() -> bool:
    parent = multiprocessing.parent_process()
    return parent is None or not parent.is_alive()


def _work(
    settings: Settings,
    name: str,
    head: int,
    part: int,
    parts: int,
    page_size: int,
    pipe: Connection,
) -> None:
    """A helper's life: die with the rebuild, open the store, hold the helpers'
    lock, say it is ready, wait to be let go, apply partition ``part``, report."""
    _die_with_parent()
    try:
        process = open_process(settings.store, settings.config)
        try:
            read = open_read_store(settings.store)
            try:
                with read.shadow_tables().hold_as_helper(name):
                    pipe.send(("ready", part, 0))
                    while not pipe.poll(0.5):
                        if _parent_gone():
                            return
                    pipe.recv()  # go
                    mine = Projector(process, read, name).on_slice(
                        Slice(part_tracking(name, part), SHADOW, part, parts, head)
                    )
                    mine.catch_up(
                        lambda n: pipe.send(("progress", part, n)), page_size, until=_parent_gone
                    )
            finally:
                read.close()
        finally:
            process.close()
    except Exception as exc:
        pipe.send(("failed", part, f"rebuild of {name}, worker {part}: {exc}"))
        return
    pipe.send(("done", part, 0))

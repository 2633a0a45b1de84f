"""The composition root: one ``Salesflow`` per run, built from ``Settings``.

Nothing connects until a command asks for the store; tests hand in their own
``Salesflow`` through click's ``obj``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from adapters.settings import Settings
from adapters.stores import open_process
from domain.application import SalesProcess
from projections.engine import Projector
from projections.store import ReadStore, open_read_store


@dataclass
class Salesflow:
    """The application and its read models, opened on first use."""

    settings: Settings
    _process: SalesProcess | None = field(default=None, repr=False)
    _read: ReadStore | None = field(default=None, repr=False)

    @property
    def process(self) -> SalesProcess:
        if self._process is None:
            self._process = open_process(self.settings.store, self.settings.config)
        return self._process

    @property
    def read(self) -> ReadStore:
        if self._read is None:
            self.process  # noqa: B018 - the events' tables first, then the read models
            self._read = open_read_store(self.settings.store)
        return self._read

    def projector(self, workers: int | None = None) -> Projector:
        """The projector of the read models; ``workers`` for its rebuilds
        (default: the settings')."""
        return Projector(
            self.process,
            self.read,
            settings=self.settings,
            workers=workers or self.settings.rebuild_workers,
        )

    def fresh(self) -> ReadStore:
        """The read models, first brought up to the head of the event log."""
        self.projector().catch_up()
        return self.read

    def close(self) -> None:
        if self._read is not None:
            self._read.close()
            self._read = None
        if self._process is not None:
            self._process.close()
            self._process = None

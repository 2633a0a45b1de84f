"""The composition root: one ``Salesflow`` per run, built from ``Settings``.

Nothing is read, imported or connected until a command asks for it: the
settings are built on first use (a command's ``--help`` reads none), the
event store and the read models are opened on first use. Tests hand in their
own ``Salesflow`` through click's ``obj``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from adapters.settings import Settings
    from domain.application import SalesProcess
    from projections.engine import Projector
    from projections.store import ReadStore


class Salesflow:
    """The settings, the application and its read models, each made on first use."""

    def __init__(self, settings: Settings | Callable[[], Settings]) -> None:
        self._settings: Settings | None = None
        self._build: Callable[[], Settings] | None = None
        if callable(settings):
            self._build = settings
        else:
            self._settings = settings
        self._process: SalesProcess | None = None
        self._read: ReadStore | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            assert self._build is not None
            self._settings = self._build()
        return self._settings

    @property
    def process(self) -> SalesProcess:
        if self._process is None:
            from adapters.stores import open_process

            self._process = open_process(self.settings.store, self.settings.config)
        return self._process

    @property
    def read(self) -> ReadStore:
        if self._read is None:
            from projections.connect import open_read_store

            self.process  # noqa: B018 - the events' tables first, then the read models
            self._read = open_read_store(self.settings.store)
        return self._read

    def projector(self, workers: int | None = None) -> Projector:
        """The projector of the read models; ``workers`` for its rebuilds
        (default: the settings')."""
        from projections.engine import Projector

        return Projector(
            self.process,
            self.read,
            settings=self.settings,
            workers=workers or self.settings.rebuild_workers,
        )

    def exists(self) -> bool:
        """Whether the store is there (a SQLite file may not be yet)."""
        store = self.settings.store
        return store.kind != "sqlite" or Path(store.path).exists()

    def reading(self) -> None:
        """A read never creates a store: refused when there is none yet."""
        if not self.exists():
            from domain.errors import StoreMissing

            raise StoreMissing(self.settings.store.path)

    def fresh(self) -> ReadStore:
        """The read models, first brought up to the head of the event log."""
        self.reading()
        self.projector().catch_up()
        return self.read

    def close(self) -> None:
        if self._read is not None:
            self._read.close()
            self._read = None
        if self._process is not None:
            self._process.close()
            self._process = None


#: Passes the run's ``Salesflow`` to a command as its first argument.
pass_flow = click.make_pass_decorator(Salesflow)

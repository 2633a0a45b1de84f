"""Settings: the rebuild's workers come from the environment, checked."""

from __future__ import annotations

import os

import pytest

from adapters.settings import MAX_WORKERS, Settings
from domain.errors import InputError


def test_a_rebuild_uses_one_worker_per_cpu_by_default() -> None:
    settings = Settings.build(store="sqlite:///x.db", environ={})
    assert settings.rebuild_workers == max(1, min(os.cpu_count() or 1, MAX_WORKERS))


def test_the_environment_sets_the_rebuild_workers() -> None:
    env = {"SALESFLOW_REBUILD_WORKERS": "3"}
    assert Settings.build(store="sqlite:///x.db", environ=env).rebuild_workers == 3


@pytest.mark.parametrize("bad", ["0", "17", "two", "-1"])
def test_rebuild_workers_out_of_range_are_refused(bad: str) -> None:
    with pytest.raises(InputError, match="SALESFLOW_REBUILD_WORKERS"):
        Settings.build(store="sqlite:///x.db", environ={"SALESFLOW_REBUILD_WORKERS": bad})

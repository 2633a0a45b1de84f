"""Settings: the rebuild's workers come from the environment, checked."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from adapters.settings import MAX_WORKERS, Settings, default_zone
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


def test_serve_follows_the_log_unless_told_not_to() -> None:
    def follow(env: dict[str, str]) -> bool:
        return Settings.build(store="sqlite:///x.db", environ=env).follow

    assert follow({}) and follow({"SALESFLOW_FOLLOW": "yes"})
    assert not follow({"SALESFLOW_FOLLOW": "0"})
    with pytest.raises(InputError, match="SALESFLOW_FOLLOW"):
        follow({"SALESFLOW_FOLLOW": "maybe"})


# -- the time zone -----------------------------------------------------------------


def _zone(environ: dict[str, str], config: str | None = None) -> str:
    return Settings.build(store="sqlite:///x.db", config=config, environ=environ).config.time_zone


def test_salesflow_tz_sets_the_zone_when_the_config_file_sets_none() -> None:
    assert _zone({"SALESFLOW_TZ": "Asia/Shanghai", "TZ": "Europe/Paris"}) == "Asia/Shanghai"


def test_the_operating_system_zone_comes_next_then_utc() -> None:
    assert _zone({"TZ": ":Europe/Paris"}) == "Europe/Paris"
    assert _zone({"TZ": "not/a zone"}) == "UTC"
    assert _zone({}) == "UTC"


def test_the_system_setting_is_read_from_the_real_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import tzlocal

    monkeypatch.delenv("SALESFLOW_TZ", raising=False)
    monkeypatch.delenv("TZ", raising=False)
    monkeypatch.setattr(tzlocal, "get_localzone_name", lambda: "America/Lima")
    assert default_zone(os.environ, system=True) == "America/Lima"
    monkeypatch.setattr(tzlocal, "get_localzone_name", lambda: 1 / 0)
    assert default_zone(os.environ, system=True) == "UTC"


def test_the_config_file_overrides_the_environment(tmp_path: Path) -> None:
    cfg = tmp_path / "tz.toml"
    cfg.write_text('time_zone = "Europe/Berlin"\n')
    assert _zone({"SALESFLOW_TZ": "Asia/Shanghai"}, str(cfg)) == "Europe/Berlin"


def test_an_unknown_salesflow_tz_is_refused() -> None:
    with pytest.raises(InputError, match="SALESFLOW_TZ"):
        _zone({"SALESFLOW_TZ": "Mars/Olympus"})


def test_a_bad_config_names_its_key_and_what_is_allowed(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[evaluation]\npass_mean = 9\n")
    with pytest.raises(InputError) as refused:
        _zone({}, str(cfg))
    message = str(refused.value)
    assert "evaluation.pass_mean" in message and "less than or equal to 5" in message
    assert "http" not in message and "type=" not in message

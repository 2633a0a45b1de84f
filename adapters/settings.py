"""The one reader of configuration: flags and environment become ``Settings``.

Nothing here connects to anything; ``Store`` only says where to connect.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from adapters.stores import DEFAULT_STORE, Store
from domain.config import ProcessConfig, load_config
from domain.errors import InputError


def default_user(environ: Mapping[str, str]) -> str:
    """``SALESFLOW_USER``, else the OS user, else ``unknown``."""
    if environ.get("SALESFLOW_USER"):
        return environ["SALESFLOW_USER"]
    try:
        return getpass.getuser() or "unknown"
    except (OSError, KeyError):
        return "unknown"


def default_zone(environ: Mapping[str, str], system: bool) -> str:
    """The time zone when the configuration file sets none: ``SALESFLOW_TZ``,
    else the operating system's (``TZ``, else the system setting, read only
    when ``system``: the environment is the real one), else UTC."""
    chosen = environ.get("SALESFLOW_TZ")
    if chosen:
        if not _known_zone(chosen):
            raise InputError(f"SALESFLOW_TZ: unknown time zone {chosen!r} (an IANA name)")
        return chosen
    posix = (environ.get("TZ") or "").removeprefix(":")
    if posix and _known_zone(posix):
        return posix
    if system:
        try:
            import tzlocal

            name = tzlocal.get_localzone_name()
        except Exception:  # an unreadable system setting: UTC, as documented
            name = None
        if name and _known_zone(name):
            return name
    return "UTC"


def _known_zone(name: str) -> bool:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


#: At most this many rebuild workers (the deals are split by one byte of their id).
MAX_WORKERS = 16


def default_workers(environ: Mapping[str, str]) -> int:
    """``SALESFLOW_REBUILD_WORKERS``, else one per CPU (at most ``MAX_WORKERS``)."""
    raw = environ.get("SALESFLOW_REBUILD_WORKERS")
    if not raw:
        return max(1, min(os.cpu_count() or 1, MAX_WORKERS))
    try:
        workers = int(raw)
    except ValueError:
        workers = 0
    if not 1 <= workers <= MAX_WORKERS:
        raise InputError(
            f"SALESFLOW_REBUILD_WORKERS must be a whole number from 1 to {MAX_WORKERS}, not {raw!r}"
        )
    return workers


def default_follow(environ: Mapping[str, str]) -> bool:
    """``SALESFLOW_FOLLOW``: whether ``serve`` keeps the read models caught up
    in the background (default yes; ``0`` when another process does)."""
    raw = environ.get("SALESFLOW_FOLLOW", "1").strip().lower()
    if raw not in ("1", "0", "yes", "no", "true", "false"):
        raise InputError(f"SALESFLOW_FOLLOW must be 1 or 0, not {raw!r}")
    return raw in ("1", "yes", "true")


class Settings(BaseModel):
    """Everything a run of salesflow is configured with."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)
    store: Store
    config: ProcessConfig
    user: str
    #: Processes a rebuild splits the deals among (this one included).
    rebuild_workers: int = 1
    #: Whether each ``serve`` worker keeps the read models caught up itself.
    follow: bool = True

    @classmethod
    def build(
        cls,
        store: str | None = None,
        config: str | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> Settings:
        """From flags first, then ``SALESFLOW_*`` environment variables, then defaults."""
        env = os.environ if environ is None else environ
        if store is not None and not store.strip():
            raise InputError(
                "--store is empty: give sqlite:///PATH or postgresql://USER@HOST[:PORT]/DB"
                " (or leave it out for salesflow.db here)"
            )
        url = store or env.get("SALESFLOW_STORE") or DEFAULT_STORE
        path = config or env.get("SALESFLOW_CONFIG")
        return cls(
            store=Store.parse(url),
            config=load_config(Path(path) if path else None, default_zone(env, environ is None)),
            user=default_user(env),
            rebuild_workers=default_workers(env),
            follow=default_follow(env),
        )

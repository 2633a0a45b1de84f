"""The one reader of configuration: flags and environment become ``Settings``.

Nothing here connects to anything; ``Store`` only says where to connect.
"""

from __future__ import annotations

import getpass
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qs, unquote, urlsplit

from pydantic import BaseModel, ConfigDict

from domain.config import ProcessConfig, load_config
from domain.errors import InputError

DEFAULT_STORE = "sqlite:///salesflow.db"
_SCHEMA = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class Store(BaseModel):
    """Where the events and the read models live."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    kind: Literal["sqlite", "postgresql"]
    path: str = ""
    dbname: str = ""
    host: str = "127.0.0.1"
    port: int = 5432
    user: str = ""
    password: str = ""
    events_schema: str | None = None
    reporting_schema: str = "reporting"

    @classmethod
    def parse(cls, url: str) -> Store:
        """``sqlite:///rel.db``, ``sqlite:////abs.db``, a bare file path, or
        ``postgresql://USER[:PASSWORD]@HOST[:PORT]/DB[?schema=S&reporting=R]``."""
        if url.startswith("sqlite:///"):
            path = url[len("sqlite:///") :]
            if not path:
                raise InputError(f"store {url!r} names no file")
            return cls(kind="sqlite", path=path)
        if url.startswith(("postgresql://", "postgres://")):
            return cls._postgres(url)
        if "://" in url:
            raise InputError(
                f"store {url!r}: use sqlite:///PATH or postgresql://USER@HOST[:PORT]/DB"
            )
        return cls(kind="sqlite", path=url)

    @classmethod
    def _postgres(cls, url: str) -> Store:
        parts = urlsplit(url)
        dbname = unquote(parts.path.lstrip("/"))
        if not dbname:
            raise InputError(f"store {url!r} names no database")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        unknown = set(query) - {"schema", "reporting"}
        if unknown:
            raise InputError(f"store {url!r}: unknown option {', '.join(sorted(unknown))}")
        for name in ("schema", "reporting"):
            if name in query and not _SCHEMA.match(query[name]):
                raise InputError(f"store {url!r}: {name} must be a lower-case SQL name")
        try:
            port = parts.port or 5432
        except ValueError as exc:
            raise InputError(f"store {url!r}: bad port") from exc
        return cls(
            kind="postgresql",
            dbname=dbname,
            host=parts.hostname or "127.0.0.1",
            port=port,
            user=unquote(parts.username or "") or getpass.getuser(),
            password=unquote(parts.password or ""),
            events_schema=query.get("schema"),
            reporting_schema=query.get("reporting", "reporting"),
        )

    def eventsourcing_env(self) -> dict[str, str]:
        """The library's settings for this store (tables created on first use)."""
        if self.kind == "sqlite":
            return {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": self.path,
                "SQLITE_LOCK_TIMEOUT": "30",
                "CREATE_TABLE": "y",
            }
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": self.dbname,
            "POSTGRES_HOST": self.host,
            "POSTGRES_PORT": str(self.port),
            "POSTGRES_USER": self.user,
            # eventsourcing insists on a password; empty works with trust auth.
            "POSTGRES_PASSWORD": self.password,
            # Off on purpose: in 9.5.6 it mis-orders notifications (see README).
            "POSTGRES_ENABLE_DB_FUNCTIONS": "n",
            "CREATE_TABLE": "y",
        }
        if self.events_schema:
            env["POSTGRES_SCHEMA"] = self.events_schema
        return env

    def conninfo(self) -> str:
        """A libpq connection string for psycopg."""
        from psycopg.conninfo import make_conninfo

        return make_conninfo(
            dbname=self.dbname,
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
        )


def default_user(environ: Mapping[str, str]) -> str:
    """``SALESFLOW_USER``, else the OS user, else ``unknown``."""
    if environ.get("SALESFLOW_USER"):
        return environ["SALESFLOW_USER"]
    try:
        return getpass.getuser() or "unknown"
    except (OSError, KeyError):
        return "unknown"


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


class Settings(BaseModel):
    """Everything a run of salesflow is configured with."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)
    store: Store
    config: ProcessConfig
    user: str
    #: Processes a rebuild splits the deals among (this one included).
    rebuild_workers: int = 1

    @classmethod
    def build(
        cls,
        store: str | None = None,
        config: str | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> Settings:
        """From flags first, then ``SALESFLOW_*`` environment variables, then defaults."""
        env = os.environ if environ is None else environ
        url = store or env.get("SALESFLOW_STORE") or DEFAULT_STORE
        path = config or env.get("SALESFLOW_CONFIG")
        return cls(
            store=Store.parse(url),
            config=load_config(Path(path) if path else None),
            user=default_user(env),
            rebuild_workers=default_workers(env),
        )

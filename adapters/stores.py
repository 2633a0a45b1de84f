"""Where the events and the read models live, and how to open them.

The one module that knows store URLs, connection strings and the PostgreSQL
set-up of the event store; the domain knows none of it.
"""

from __future__ import annotations

import getpass
import re
from typing import TYPE_CHECKING, Literal
from urllib.parse import parse_qs, unquote, urlsplit

from pydantic import BaseModel, ConfigDict

from domain.errors import InputError, SalesProcessError, StoreError

if TYPE_CHECKING:
    from domain.application import SalesProcess
    from domain.config import ProcessConfig

DEFAULT_STORE = "sqlite:///salesflow.db"
_SCHEMA = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
#: PostgreSQL's keywords that cannot name a schema unquoted (``pg_get_keywords()``,
#: categories R, T and C, PostgreSQL 15): the event store's library names its
#: types by schema without quotes, so such a schema is refused before any use.
_KEYWORD_TEXT = """
    all analyse analyze and any array as asc asymmetric authorization between bigint binary
    bit boolean both case cast char character check coalesce collate collation column
    concurrently constraint create cross current_catalog current_date current_role
    current_schema current_time current_timestamp current_user dec decimal default
    deferrable desc distinct do else end except exists extract false fetch float for foreign
    freeze from full grant greatest group grouping having ilike in initially inner inout int
    integer intersect interval into is isnull join lateral leading least left like limit
    localtime localtimestamp national natural nchar none normalize not notnull null nullif
    numeric offset on only or order out outer overlaps overlay placing position precision
    primary real references returning right row select session_user setof similar smallint
    some substring symmetric table tablesample then time timestamp to trailing treat trim
    true union unique user using values varchar variadic verbose when where window with
    xmlattributes xmlconcat xmlelement xmlexists xmlforest xmlnamespaces xmlparse xmlpi
    xmlroot xmlserialize xmltable
"""
_KEYWORDS = frozenset(_KEYWORD_TEXT.split())

#: Serialises the first use of an events schema (CREATE ... IF NOT EXISTS races).
_FIRST_USE_LOCK = 7261001


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
            if query.get(name) in _KEYWORDS:
                raise InputError(
                    f"store {url!r}: {name} {query[name]!r} is a word of SQL; choose another name"
                )
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

    @property
    def url(self) -> str:
        """Where it is, for people (never the password)."""
        if self.kind == "sqlite":
            return f"sqlite:///{self.path}"
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.dbname}"

    def eventsourcing_env(self) -> dict[str, str]:
        """The library's settings for this store (tables created on first use)."""
        if self.kind == "sqlite":
            return {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": self.path,
                "SQLITE_LOCK_TIMEOUT": "30",
                "CREATE_TABLE": "y",
                "APPLICATION_RECORDER_TOPIC": "adapters.sqlite_recorder:IdempotentSQLiteRecorder",
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
            "APPLICATION_RECORDER_TOPIC": "adapters.postgres_recorder:IdempotentPostgresRecorder",
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


def open_process(store: Store, config: ProcessConfig) -> SalesProcess:
    """Connect to the store's events (creating schema and tables on first use)."""
    from adapters.writers import FileTurns
    from domain.application import SalesProcess

    try:
        if store.kind == "sqlite":
            return SalesProcess(store.eventsourcing_env(), config, FileTurns(store.path))
        import psycopg

        # Two processes starting at once would race on CREATE ... IF NOT EXISTS
        # ("tuple concurrently updated"): serialise first use with a lock.
        with psycopg.connect(store.conninfo(), autocommit=True) as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", (_FIRST_USE_LOCK,))
            try:
                if store.events_schema:
                    conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{store.events_schema}"')
                # Turns on deals are advisory locks of the write transactions
                # themselves (adapters.postgres_recorder): nothing to queue on here.
                return SalesProcess(store.eventsourcing_env(), config)
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (_FIRST_USE_LOCK,))
    except SalesProcessError:
        raise
    except Exception as exc:  # the library raises many kinds on a bad store
        raise StoreError(f"cannot open the store: {exc}") from exc

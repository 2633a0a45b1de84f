"""The write path of the application service against a raw insert, on each store.

    python bench/commands.py [--stores sqlite postgresql] [--ops 300] [--rounds 7]
                             [--big 1000000] [--small 10000] [--writers 8]
                             [--writer-commands 50] [--quick]

A command is read, decide, save. A deal kept from an earlier command is
decided on as kept and its event appended after the kept version in one
write (on PostgreSQL one statement), which the store refuses if that version
is no longer the deal's last; otherwise (or then) the deal's turn is taken
and its history read, decided on and appended to in one transaction. Either
way the event is chained to the deal's last and given the next notification
id. The floor under
that is the store's own cost of one durable write, so each figure is printed
beside a raw baseline measured in the same run, on the same machine, with the
same durability: one INSERT of one event row per transaction, of the size of
a real stored ActivityHeld event, into a table of the events table's shape
(SQLite: a file in the same directory, opened as the library opens its store,
autocommit, WAL, the default synchronous, BEGIN / INSERT / COMMIT; PostgreSQL:
its own schema, a bigserial notification id with its unique index, one
prepared autocommit INSERT a row, psycopg 3). Figures are medians over
``--rounds`` interleaved rounds of ``--ops`` operations each, the raw insert
first in every round:

1. raw insert, rotating over ``--deals`` ids as the commands rotate over deals;
2. command: ``activity`` through ``SalesProcess`` (``tests.support.do``), on
   ``--deals`` deals opened for the round, so each holds only a few entries;
3. 200-entry deal: the same command on ``--long-deals`` deals opened for the
   round and given activities up to ``--long-entries`` entries before the
   timing (each grows by ``ops / long-deals`` entries during it);
4. big store: the same command on ``--big-deals`` deals opened for the round
   in a store of ``--big`` events and in one of ``--small`` events, which store
   goes first alternating by round. Both are filled, timed, with seeded
   synthetic deals (``domain.synthetic.generate``: ``process.save`` of 200
   deals at a time, so through the recorder's ``insert_events``, with real
   chains and notification ids), then flushed to disk so that no command pays
   for the fill's writeback; printed as the ratio of a command's time;
5. eight writers: ``--writers`` processes (spawned, each its own application)
   each running ``--writer-commands`` commands on one shared deal; then what
   was acknowledged, refused and stored, and ``verify_store`` of the store.

Targets: command >= 60 % of raw, 200-entry deal >= 50 %, big store <= 1.2x
the time of the small one, no acknowledged command lost. Other work on the
machine makes the figures noisy; the per-round figures are printed too.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg

from adapters.stores import Store
from bench.hot_writers import writers
from bench.raw_insert import PostgresRaw, RawTable, SqliteRaw
from domain.application import SalesProcess
from domain.opportunity import deal_id
from domain.synthetic import generate
from tests.conftest import make_flow
from tests.support import do, open_deal

PG = os.environ.get(
    "SALESFLOW_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/salesflow_bench"
)
AT = "2026-07-02"
ACTIVITY_TOPIC = "salesflow:Opportunity.ActivityHeld"
FULL = {"ops": 300, "rounds": 7, "big": 1_000_000}
QUICK = {"ops": 100, "rounds": 3, "big": 100_000}


@dataclass(frozen=True)
class Options:
    ops: int
    rounds: int
    deals: int
    long_deals: int
    long_entries: int
    big: int
    small: int
    big_deals: int
    writers: int
    writer_commands: int


# -- timing ----------------------------------------------------------------------------


def rate(ops: int, op: Callable[[int], None]) -> float:
    """Operations per second of ``op(0) ... op(ops - 1)``."""
    started = time.perf_counter()
    for i in range(ops):
        op(i)
    return ops / (time.perf_counter() - started)


def runs(rates: list[float]) -> str:
    return "[runs: " + ", ".join(f"{r:,.0f}" for r in rates) + "]"


def size(n: int) -> str:
    """1000000 as '1M', 200000 as '200k'."""
    if n >= 1_000_000:
        return f"{n / 1_000_000:g}M"
    return f"{n / 1000:g}k" if n >= 1000 else str(n)


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def pct(ratio: float) -> str:
    return f"{100 * ratio:.0f} %"


def line(label: str, per_second: float, note: str, rates: list[float]) -> None:
    """One figure: its label, the median rate, a note, the rounds' rates."""
    print(
        f"  {label:<18}{per_second:>8,.0f}/s  {note + '  ' if note else ''}{runs(rates)}",
        flush=True,
    )


# -- the raw baseline ------------------------------------------------------------------


def raw_round(table: RawTable, opts: Options) -> float:
    oids = [uuid.uuid4() for _ in range(opts.deals)]
    return rate(opts.ops, lambda i: table.insert(oids[i % opts.deals], i // opts.deals + 1))


# -- commands --------------------------------------------------------------------------


def activity(process: SalesProcess, key: str, with_whom: str) -> None:
    do(process, "activity", key, AT, kind="call", with_whom=with_whom)


def commands_on(process: SalesProcess, keys: list[str], ops: int) -> float:
    """Commands per second, rotating over ``keys``."""
    return rate(ops, lambda i: activity(process, keys[i % len(keys)], f"w{i}"))


def fresh_deals(process: SalesProcess, prefix: str, n: int, entries: int = 1) -> list[str]:
    """``n`` deals opened, each given activities up to ``entries`` entries."""
    keys = [f"{prefix}-{j}" for j in range(n)]
    for key in keys:
        open_deal(process, key)
        for i in range(entries - 1):
            activity(process, key, f"prep{i}")
    return keys


def activity_state(process: SalesProcess) -> bytes:
    """The stored state of a real ActivityHeld event."""
    open_deal(process, "PROBE")
    activity(process, "PROBE", "w0")
    (state,) = [
        s.state
        for s in process.recorder.select_events(deal_id("PROBE"))
        if s.topic == ACTIVITY_TOPIC
    ]
    return state


# -- the stores ------------------------------------------------------------------------


@dataclass(frozen=True)
class Stores:
    """The stores of one kind: the main one (commands, writers), the small and
    the big one, the raw table's place, and what to drop at the end."""

    kind: str
    main: str
    small: str
    big: str
    raw_schema: str
    schemas: tuple[str, ...]


def stores(kind: str, tmp: Path) -> Stores:
    if kind == "sqlite":
        main, small, big = (f"sqlite:///{tmp / name}.db" for name in ("bench", "small", "big"))
        return Stores(kind, main, small, big, raw_schema="", schemas=())
    tag = uuid.uuid4().hex[:10]
    main, small, big = (
        f"{PG}?schema=bench_cmd_{n}&reporting=bench_rp_{n}"
        for n in (tag, f"{tag}_small", f"{tag}_big")
    )
    schemas = tuple(
        f"bench_{what}_{tag}{suffix}" for suffix in ("", "_small", "_big") for what in ("cmd", "rp")
    )
    raw = f"bench_raw_{tag}"
    return Stores(kind, main, small, big, raw_schema=raw, schemas=(*schemas, raw))


@contextmanager
def dropped_at_end(s: Stores) -> Iterator[None]:
    try:
        yield
    finally:
        if s.schemas:
            with psycopg.connect(Store.parse(PG).conninfo(), autocommit=True) as conn:
                for schema in s.schemas:
                    conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def raw_table(s: Stores, tmp: Path, state: bytes) -> RawTable:
    chain = os.urandom(32)
    if s.kind == "sqlite":
        return SqliteRaw(tmp / "raw.db", ACTIVITY_TOPIC, state, chain)
    return PostgresRaw(PG, s.raw_schema, ACTIVITY_TOPIC, state, chain)


# -- 1 to 3: raw, command, long deal -------------------------------------------------


def against_raw(s: Stores, tmp: Path, opts: Options) -> None:
    flow = make_flow(s.main)
    process = flow.process
    table = raw_table(s, tmp, activity_state(process))
    raws, short, long = [], [], []
    for r in range(opts.rounds):
        keys = fresh_deals(process, f"CMD-{r}", opts.deals)
        long_keys = fresh_deals(process, f"LONG-{r}", opts.long_deals, opts.long_entries)
        raws.append(raw_round(table, opts))
        short.append(commands_on(process, keys, opts.ops))
        long.append(commands_on(process, long_keys, opts.ops))
    table.close()
    flow.close()
    raw, cmd, lng = (statistics.median(x) for x in (raws, short, long))
    line("raw insert", raw, "", raws)
    note = f"({pct(cmd / raw)} of raw; target >= 60 %, {verdict(cmd >= 0.6 * raw)})"
    line("command", cmd, note, short)
    note = f"({pct(lng / raw)} of raw; target >= 50 %, {verdict(lng >= 0.5 * raw)})"
    line(f"{opts.long_entries}-entry deal", lng, note, long)


# -- 4: a big store against a small one ------------------------------------------------


def filled(url: str, events: int) -> SalesProcess:
    """The store at ``url`` filled with about ``events`` synthetic events."""
    process = make_flow(url).process
    started = time.perf_counter()
    n = generate(process, events)
    seconds = time.perf_counter() - started
    print(
        f"  filled {size(events)}-event store: {n:,} events in {seconds:.1f} s"
        f" ({n / seconds:,.0f} events/s)",
        flush=True,
    )
    return process


def settle(urls: list[str]) -> None:
    """What was written flushed to disk (the WAL checkpointed, PostgreSQL's
    CHECKPOINT), so that no timed command pays for an earlier fill's writeback."""
    for url in urls:
        store = Store.parse(url)
        if store.kind == "sqlite":
            with closing(sqlite3.connect(store.path)) as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            with psycopg.connect(store.conninfo(), autocommit=True) as pg:
                pg.execute("CHECKPOINT")
    os.sync()


def on_fresh_deals(process: SalesProcess, prefix: str, opts: Options) -> float:
    return commands_on(process, fresh_deals(process, prefix, opts.big_deals), opts.ops)


def big_against_small(s: Stores, opts: Options) -> None:
    small, big = filled(s.small, opts.small), filled(s.big, opts.big)
    settle([s.small, s.big])
    on_small, on_big = [], []
    for r in range(opts.rounds):  # which store goes first alternates
        if r % 2:
            on_big.append(on_fresh_deals(big, f"B-{r}", opts))
        on_small.append(on_fresh_deals(small, f"S-{r}", opts))
        if not r % 2:
            on_big.append(on_fresh_deals(big, f"B-{r}", opts))
    small.close()
    big.close()
    fast, slow = statistics.median(on_small), statistics.median(on_big)
    ratio = fast / slow
    line(f"{size(opts.small)}-event store", fast, "", on_small)
    note = f"({ratio:.2f}x of {size(opts.small)}; target <= 1.2x, {verdict(ratio <= 1.2)})"
    line(f"{size(opts.big)}-event store", slow, note, on_big)


# -- the command line ------------------------------------------------------------------


def options() -> tuple[Options, list[str]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--stores", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--quick", action="store_true", help="small ops, rounds and big store")
    parser.add_argument("--ops", type=int, help=f"operations per round ({FULL['ops']})")
    parser.add_argument("--rounds", type=int, help=f"interleaved rounds ({FULL['rounds']})")
    parser.add_argument("--deals", type=int, default=50, help="fresh deals per round")
    parser.add_argument("--long-deals", type=int, default=3)
    parser.add_argument("--long-entries", type=int, default=200)
    parser.add_argument("--big", type=int, help=f"events in the big store ({FULL['big']})")
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--big-deals", type=int, default=5, help="fresh deals per round")
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--writer-commands", type=int, default=50)
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    opts = Options(
        ops=args.ops or sizes["ops"],
        rounds=args.rounds or sizes["rounds"],
        deals=args.deals,
        long_deals=args.long_deals,
        long_entries=args.long_entries,
        big=args.big or sizes["big"],
        small=args.small,
        big_deals=args.big_deals,
        writers=args.writers,
        writer_commands=args.writer_commands,
    )
    return opts, args.stores


def main() -> None:
    opts, kinds = options()
    print(
        f"{os.cpu_count()} CPUs; medians of {opts.rounds} rounds of {opts.ops} operations,"
        " raw insert first in each round; rates in operations/s"
    )
    with tempfile.TemporaryDirectory(prefix="salesflow-bench-commands-") as name:
        for kind in kinds:
            tmp = Path(name) / kind
            tmp.mkdir()
            s = stores(kind, tmp)
            print(f"{kind}:", flush=True)
            with dropped_at_end(s):
                os.sync()  # the previous store's writes are not this one's to pay for
                against_raw(s, tmp, opts)
                big_against_small(s, opts)
                writers(s.main, tmp, opts.writers, opts.writer_commands)


if __name__ == "__main__":
    main()

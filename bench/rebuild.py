"""Rebuild speed and memory of the read models, against the raw read.

    python bench/rebuild.py [--events 100000 1000000] [--stores sqlite postgresql]
                            [--workers N] [--repeat 3]

For each store and size: generate (or reuse) a seeded store of synthetic deals,
then, each in a fresh process and taking turns ``--repeat`` times, (1) the raw
read: SELECT the events table in pages of the rebuild's page size and
json.loads each stored state, nothing else, in one process; (2) a full rebuild
of every read model with the default number of workers (one per CPU, or
``--workers``). Prints the median events/s of each, the ratio of the medians,
and the peak memory (max RSS) of the rebuild's process and of its largest
helper. Then, once, (3) the same rebuild in one process, for comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.settings import Settings
from adapters.stores import Store
from cli.context import Salesflow
from projections.rebuild import REBUILD_PAGE_SIZE
from projections.rebuild import rebuild as rebuild_all

DATA = Path(__file__).resolve().parent / "data"
PG = os.environ.get("SALESFLOW_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def store_url(kind: str, events: int) -> str:
    if kind == "sqlite":
        DATA.mkdir(exist_ok=True)
        return f"sqlite:///{DATA / f'gen-{events}.db'}"
    return f"{PG}?schema=bench_ev_{events}&reporting=bench_rp_{events}"


def flow_for(url: str) -> Salesflow:
    return Salesflow(Settings.build(store=url, environ={"SALESFLOW_USER": "bench"}))


def each_store(
    doc: str | None, run: Callable[[str, int], None], events: Sequence[int] = (100_000, 1_000_000)
) -> None:
    """The benchmarks' command line: ``run(kind, events)`` for each store and
    size of ``--stores`` and ``--events``."""
    parser = argparse.ArgumentParser(description=doc)
    parser.add_argument("--events", type=int, nargs="+", default=list(events))
    parser.add_argument("--stores", nargs="+", default=["sqlite", "postgresql"])
    args = parser.parse_args()
    for kind in args.stores:
        for n in args.events:
            run(kind, n)


def ensure_generated(url: str, events: int) -> int:
    flow = flow_for(url)
    head = flow.projector().head()
    if head < events:
        started = time.perf_counter()
        # Imported only here: the rebuild's helpers start by importing this
        # module again, and should import no more than the command line's.
        from domain.synthetic import generate

        generate(flow.process, events - head, seed=7 + head)
        head = flow.projector().head()
        print(f"  generated {head} events in {time.perf_counter() - started:.0f} s", flush=True)
    flow.close()
    return head


def raw_read(url: str, page: int) -> dict[str, float]:
    """SELECT the events in pages and json.loads each stored state, nothing else."""
    store = Settings.build(store=url, environ={}).store
    started = time.perf_counter()
    n = _raw_sqlite(store.path, page) if store.kind == "sqlite" else _raw_postgres(store, page)
    elapsed = time.perf_counter() - started
    return {"events": n, "seconds": elapsed, "rate": n / elapsed, "peak_mb": _peak_mb()}


def _raw_sqlite(path: str, page: int) -> int:
    import sqlite3

    conn, n, last = sqlite3.connect(path), 0, 0
    while rows := conn.execute(
        "SELECT rowid, state FROM stored_events WHERE rowid > ? ORDER BY rowid LIMIT ?",
        (last, page),
    ).fetchall():
        for _, state in rows:
            json.loads(state)
        n, last = n + len(rows), rows[-1][0]
    conn.close()
    return n


def _raw_postgres(store: Store, page: int) -> int:
    import psycopg

    table = f"{store.events_schema or 'public'}.sales_events"
    n, last = 0, 0
    with psycopg.connect(store.conninfo()) as conn:
        while rows := conn.execute(
            f"SELECT notification_id, state FROM {table} WHERE notification_id > %s"
            " ORDER BY notification_id LIMIT %s",
            (last, page),
        ).fetchall():
            for _, state in rows:
                json.loads(state)
            n, last = n + len(rows), rows[-1][0]
    return n


def rebuild(url: str, workers: int | None) -> dict[str, float]:
    flow = flow_for(url)
    projector = flow.projector(workers)
    started = time.perf_counter()
    n = rebuild_all(projector)
    elapsed = time.perf_counter() - started
    flow.close()
    return {
        "events": n,
        "seconds": elapsed,
        "rate": n / elapsed,
        "workers": projector.workers,
        "peak_mb": _peak_mb(),
        "helper_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _in_fresh_process(what: str, url: str, workers: int | None = None) -> dict[str, float]:
    command = [sys.executable, __file__, "--measure", what, "--url", url]
    if workers:
        command += ["--workers", str(workers)]
    out = subprocess.run(command, check=True, capture_output=True, text=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def _line(label: str, runs: list[dict[str, float]]) -> dict[str, float]:
    """Print the run of median rate among ``runs``; returns it."""
    mid = sorted(runs, key=lambda r: r["rate"])[len(runs) // 2]
    rates = ", ".join(f"{r['rate']:.0f}" for r in runs)
    peak = f"peak {mid['peak_mb']:.0f} MB"
    if mid.get("helper_peak_mb"):
        peak += f" (+ helpers, each at most {mid['helper_peak_mb']:.0f} MB)"
    print(
        f"  {label:<22} {mid['events']:>9.0f} events {mid['seconds']:6.1f} s"
        f" {mid['rate']:>8.0f}/s   {peak}   [runs: {rates}]",
        flush=True,
    )
    return mid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--stores", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--workers", type=int, help="rebuild workers (default: one per CPU)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--measure", choices=["raw", "rebuild"])
    parser.add_argument("--url")
    args = parser.parse_args()
    if args.measure:
        result = (
            raw_read(args.url, REBUILD_PAGE_SIZE)
            if args.measure == "raw"
            else rebuild(args.url, args.workers)
        )
        print(json.dumps(result))
        return
    print(
        f"page size {REBUILD_PAGE_SIZE}; {os.cpu_count()} CPUs; rates in events/s,"
        f" median of {args.repeat} runs taking turns; peak = max RSS"
    )
    for kind in args.stores:
        for events in args.events:
            url = store_url(kind, events)
            print(f"{kind}, ~{events} events:", flush=True)
            ensure_generated(url, events)
            raws, builds = [], []
            for _ in range(args.repeat):
                raws.append(_in_fresh_process("raw", url))
                builds.append(_in_fresh_process("rebuild", url, args.workers))
            raw = _line("raw read", raws)
            built = _line(f"rebuild, {builds[0]['workers']:.0f} processes", builds)
            print(f"  ratio     {built['rate'] / raw['rate']:.1%} of the raw read", flush=True)
            alone = _line("rebuild, 1 process", [_in_fresh_process("rebuild", url, 1)])
            print(f"  ratio     {alone['rate'] / raw['rate']:.1%} of the raw read", flush=True)


if __name__ == "__main__":
    main()

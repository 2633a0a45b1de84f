"""Rebuild speed and memory of the read models, against the raw read.

    python bench/rebuild.py [--events 100000 1000000] [--stores sqlite postgresql]

For each store and size: generate (or reuse) a seeded store of synthetic deals,
then, each in a fresh process, (1) the raw read: SELECT the events table in pages
of the rebuild's page size and json.loads each stored state, nothing else;
(2) a full rebuild of every read model. Prints events/s for both, their ratio
and the rebuild's peak memory (max RSS of its process).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.generate import generate
from cli.context import Salesflow
from domain.settings import Settings, Store
from projections.rebuild import REBUILD_PAGE_SIZE

DATA = Path(__file__).resolve().parent / "data"
PG = os.environ.get("SALESFLOW_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def store_url(kind: str, events: int) -> str:
    if kind == "sqlite":
        DATA.mkdir(exist_ok=True)
        return f"sqlite:///{DATA / f'gen-{events}.db'}"
    return f"{PG}?schema=bench_ev_{events}&reporting=bench_rp_{events}"


def flow_for(url: str) -> Salesflow:
    return Salesflow(Settings.build(store=url, environ={"SALESFLOW_USER": "bench"}))


def ensure_generated(url: str, events: int) -> int:
    flow = flow_for(url)
    head = flow.projector().head()
    if head < events:
        started = time.perf_counter()
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


def rebuild(url: str) -> dict[str, float]:
    flow = flow_for(url)
    projector = flow.projector()
    started = time.perf_counter()
    n = projector.rebuild()
    elapsed = time.perf_counter() - started
    flow.close()
    return {"events": n, "seconds": elapsed, "rate": n / elapsed, "peak_mb": _peak_mb()}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _in_fresh_process(what: str, url: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--measure", what, "--url", url],
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--stores", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--measure", choices=["raw", "rebuild"])
    parser.add_argument("--url")
    args = parser.parse_args()
    if args.measure:
        result = (
            raw_read(args.url, REBUILD_PAGE_SIZE) if args.measure == "raw" else rebuild(args.url)
        )
        print(json.dumps(result))
        return
    print(f"page size {REBUILD_PAGE_SIZE}; rates in events/s; peak = max RSS of the process")
    for kind in args.stores:
        for events in args.events:
            url = store_url(kind, events)
            print(f"{kind}, ~{events} events:", flush=True)
            ensure_generated(url, events)
            raw = _in_fresh_process("raw", url)
            built = _in_fresh_process("rebuild", url)
            print(
                f"  raw read  {raw['events']:>9.0f} events {raw['seconds']:7.1f} s"
                f" {raw['rate']:>9.0f}/s   peak {raw['peak_mb']:.0f} MB"
            )
            print(
                f"  rebuild   {built['events']:>9.0f} events {built['seconds']:7.1f} s"
                f" {built['rate']:>9.0f}/s   peak {built['peak_mb']:.0f} MB"
            )
            print(f"  ratio     {built['rate'] / raw['rate']:.1%} of the raw read", flush=True)


if __name__ == "__main__":
    main()

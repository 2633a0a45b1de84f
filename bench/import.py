"""Import speed and memory against a raw batched insert.

    python bench/import.py [--opportunities 10000] [--rows 100000]
                           [--stores sqlite postgresql] [--repeat 3]
                           [--memory-rows 100000 1000000]

A generated Salesforce export (bench/sf_export.py) is imported, whole (the
files read and staged, the deals written), into a fresh store of each kind,
in a fresh process. Then the raw baseline, in the same run and on the same
store: the very event rows the import wrote, inserted again into a table of
the same shape (a copy of the events table, keys included) 20 rows per
transaction, with the store's own durability (SQLite in WAL with its default
synchronous; PostgreSQL's defaults), nothing else. Taking turns ``--repeat``
times; medians of events/s and their ratio. ``--memory-rows``: the peak
memory (max RSS) of the import's process as the export grows, on SQLite.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.settings import Settings
from tests.crm_support import write_export

PG = os.environ.get("SALESFLOW_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
BATCH = 20


def _settings(url: str) -> Settings:
    return Settings.build(store=url, environ={"SALESFLOW_USER": "bench", "SALESFLOW_TZ": "UTC"})


def measure(url: str, folder: Path) -> dict[str, float]:
    """One import, in this process: its time, entries and peak memory."""
    from adapters.stores import open_process
    from crm.run import import_salesforce

    settings = _settings(url)
    process = open_process(settings.store, settings.config)
    started = time.perf_counter()
    summary = import_salesforce(
        process,
        folder / "Opportunity.csv",
        folder / "OpportunityHistory.csv",
        None,
        settings.config.tz,
    )
    seconds = time.perf_counter() - started
    process.close()
    return {
        "entries": summary.entries,
        "deals": summary.deals,
        "seconds": seconds,
        "rate": summary.entries / seconds,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _fresh(kind: str, n: int) -> str:
    if kind == "sqlite":
        path = Path(tempfile.gettempdir()) / f"salesflow-bench-import-{n}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    import psycopg

    with psycopg.connect(PG, autocommit=True) as conn:
        for schema in (f"bench_imp_ev_{n}", f"bench_imp_rp_{n}"):
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    return f"{PG}?schema=bench_imp_ev_{n}&reporting=bench_imp_rp_{n}"


def _import(url: str, folder: Path) -> dict[str, float]:
    command = [sys.executable, __file__, "--measure", url, "--folder", str(folder)]
    out = subprocess.run(command, check=True, capture_output=True, text=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def _raw(url: str) -> dict[str, float]:
    """The import's rows inserted again, 20 per transaction, into a copy of
    the events table on the same store."""
    store = _settings(url).store
    if store.kind == "sqlite":
        conn = sqlite3.connect(store.path, isolation_level=None)
        (ddl,) = conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'stored_events'"
        ).fetchone()
        conn.execute("DROP TABLE IF EXISTS raw_events")
        conn.execute(ddl.replace("stored_events", "raw_events", 1))
        rows = conn.execute(
            "SELECT originator_id, originator_version, topic, state FROM stored_events"
        ).fetchall()
        started = time.perf_counter()
        for i in range(0, len(rows), BATCH):
            conn.execute("BEGIN")
            conn.executemany("INSERT INTO raw_events VALUES (?, ?, ?, ?)", rows[i : i + BATCH])
            conn.execute("COMMIT")
        seconds = time.perf_counter() - started
        conn.execute("DROP TABLE raw_events")
        conn.close()
        return {"rows": len(rows), "seconds": seconds, "rate": len(rows) / seconds}
    import psycopg

    schema = store.events_schema or "public"
    with psycopg.connect(store.conninfo(), autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {schema}.raw_events")
        conn.execute(f"CREATE TABLE {schema}.raw_events (LIKE {schema}.sales_events INCLUDING ALL)")
        rows = conn.execute(
            f"SELECT originator_id, originator_version, topic, state FROM {schema}.sales_events"
        ).fetchall()
        started = time.perf_counter()
        for i in range(0, len(rows), BATCH):
            with conn.transaction(), conn.cursor() as cur:
                cur.executemany(
                    f"INSERT INTO {schema}.raw_events (originator_id, originator_version,"
                    " topic, state) VALUES (%s, %s, %s, %s)",
                    rows[i : i + BATCH],
                )
        seconds = time.perf_counter() - started
        conn.execute(f"DROP TABLE {schema}.raw_events")
    return {"rows": len(rows), "seconds": seconds, "rate": len(rows) / seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opportunities", type=int, default=10_000)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--stores", nargs="*", default=["sqlite", "postgresql"])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--memory-rows", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--measure", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.folder)))
        return
    with tempfile.TemporaryDirectory(prefix="salesflow-bench-export-") as tmp:
        folder = Path(tmp) / "export"
        write_export(folder, args.opportunities, args.rows)
        print(f"export: {args.opportunities} opportunities, {args.rows} history rows", flush=True)
        for kind in args.stores:
            imports, raws = [], []
            for _ in range(args.repeat):
                url = _fresh(kind, args.rows)
                imports.append(_import(url, folder))
                raws.append(_raw(url))
            rate = statistics.median(r["rate"] for r in imports)
            raw = statistics.median(r["rate"] for r in raws)
            mid = sorted(imports, key=lambda r: r["rate"])[len(imports) // 2]
            runs = ", ".join(f"{r['rate']:.0f}" for r in imports)
            raw_runs = ", ".join(f"{r['rate']:.0f}" for r in raws)
            print(
                f"{kind}: import {mid['entries']:.0f} entries of {mid['deals']:.0f} deals"
                f" in {mid['seconds']:.1f} s, {rate:.0f}/s (peak {mid['peak_mb']:.0f} MB);"
                f" raw batched insert (20 per transaction) {raw:.0f}/s;"
                f" import = {rate / raw:.0%} of raw"
                f"  [import runs: {runs}; raw runs: {raw_runs}]",
                flush=True,
            )
        for rows in args.memory_rows:
            sized = Path(tmp) / f"export-{rows}"
            write_export(sized, max(1, rows // 10), rows)
            run = _import(_fresh("sqlite", rows), sized)
            print(
                f"memory: {rows} history rows ({run['entries']:.0f} entries) imported into"
                f" SQLite in {run['seconds']:.1f} s, peak {run['peak_mb']:.0f} MB",
                flush=True,
            )
            shutil.rmtree(sized, ignore_errors=True)


if __name__ == "__main__":
    main()

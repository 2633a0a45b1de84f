"""Writers on one hot deal: 8 threads x 100 commands, against one writer doing
the same 800 commands in the same run, on each store.

    python bench/writers.py [--writers 8] [--commands 100] [--stores sqlite postgresql]

Prints, for each store, the commands per second and how many were refused,
with writers taking turns (salesflow's way) and without (every writer
retrying on its own), beside one writer alone.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cli.context import Salesflow
from domain.turns import NoTurns
from tests.conftest import make_flow
from tests.support import do, open_deal

PG = os.environ.get("SALESFLOW_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def _run(url: str, key: str, writers: int, commands: int, turns: bool) -> tuple[float, int]:
    flows: list[Salesflow] = [make_flow(url) for _ in range(writers)]
    if not turns:
        for f in flows:
            f.process.turns = NoTurns()
    open_deal(flows[0].process, key)
    refused = 0
    lock = threading.Lock()

    def write(n: int) -> None:
        nonlocal refused
        for i in range(commands):
            try:
                do(
                    flows[n].process,
                    "activity",
                    key,
                    "2026-07-02",
                    kind="call",
                    with_whom=f"{n}-{i}",
                )
            except Exception:
                with lock:
                    refused += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    for f in flows:
        f.close()
    return writers * commands / elapsed, refused


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--commands", type=int, default=100)
    parser.add_argument("--stores", nargs="+", default=["sqlite", "postgresql"])
    args = parser.parse_args()
    total = args.writers * args.commands
    with tempfile.TemporaryDirectory() as tmp:
        for kind in args.stores:
            tag = f"w{os.getpid()}"
            url = (
                f"sqlite:///{tmp}/writers.db"
                if kind == "sqlite"
                else f"{PG}?schema=bench_ev_{tag}&reporting=bench_rp_{tag}"
            )
            alone, _ = _run(url, "ALONE-1", 1, total, True)
            print(f"{kind}: one writer, {total} commands: {alone:.0f}/s")
            for turns in (True, False):
                rate, refused = _run(url, f"HOT-{int(turns)}", args.writers, args.commands, turns)
                how = "taking turns" if turns else "no turns (retries only)"
                print(
                    f"{kind}: {args.writers} writers x {args.commands}, {how}: {rate:.0f}/s"
                    f" ({rate / alone:.0%} of one writer), {refused} of {total} refused"
                )
            if kind == "postgresql":
                import psycopg

                from adapters.stores import Store

                with psycopg.connect(Store.parse(PG).conninfo(), autocommit=True) as conn:
                    conn.execute(f"DROP SCHEMA IF EXISTS bench_ev_{tag} CASCADE")
                    conn.execute(f"DROP SCHEMA IF EXISTS bench_rp_{tag} CASCADE")


if __name__ == "__main__":
    main()

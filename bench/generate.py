"""Make the benchmarks' generated stores: seeded synthetic deals
(``domain.synthetic``: values, several owners, grades, forced and unforced
paths, retractions, back-dated entries), then the read models rebuilt.

    python bench/generate.py [--events 100000 1000000] [--stores sqlite postgresql]

The same stores bench/rebuild.py, bench/asof.py and bench/reports.py use
(SQLite files under bench/data, PostgreSQL schemas bench_ev_N and
bench_rp_N); a store that holds enough events already is kept.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.rebuild import each_store, ensure_generated, flow_for, store_url
from projections.rebuild import rebuild


def make(kind: str, events: int) -> None:
    url = store_url(kind, events)
    head = ensure_generated(url, events)
    flow = flow_for(url)
    projector = flow.projector()
    if projector.status().lag:
        started = time.perf_counter()
        rebuild(projector)
        print(f"  read models rebuilt in {time.perf_counter() - started:.0f} s", flush=True)
    print(f"{kind}: {head} events, read models at the head ({url})", flush=True)
    flow.close()


def main() -> None:
    each_store(__doc__, make)


if __name__ == "__main__":
    main()
